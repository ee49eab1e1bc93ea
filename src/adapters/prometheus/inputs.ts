import { z } from 'zod';
import { DURATION_PATTERN, durationInput } from '../../common/duration.js';
import { timeoutSchema } from '../support/undici.js';

/** The `with:` of prometheus.query and prometheus.range (docs/adapters.md#prometheus). */

/** A point in time: unix seconds, an RFC 3339 time, or a duration back from now (`15m`). */
export const timeInput = z
  .union([
    z.number().nonnegative(),
    z.string().refine((text) => DURATION_PATTERN.test(text) || RFC3339.test(text), {
      error:
        'expected unix seconds, an RFC 3339 time such as 2026-01-02T15:04:05Z, or a duration back from now such as 15m',
    }),
  ])
  .describe('Unix seconds, an RFC 3339 time, or a duration back from now (e.g. 15m)');

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const step = durationInput({
  seconds: 'positive',
  zero: 'a step of 0 gives no points: give at least 1ms',
});

const base = {
  url: z
    .string()
    .min(1)
    .describe(
      "The Prometheus server's base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept)",
    ),
  query: z.string().min(1).describe('The PromQL expression'),
  timeout: timeoutSchema
    .optional()
    .describe('Whole-request timeout (default 10s), also sent as the evaluation timeout'),
  bearer_token: z
    .string()
    .min(1)
    .regex(/^[^\r\n]*$/, { error: 'a token cannot contain a line break' })
    .optional()
    .describe('Sent as "Authorization: Bearer …"; give it from a secret var'),
  basic_auth: z
    .strictObject({
      username: z
        .string()
        .regex(/^[^:\r\n]*$/, { error: 'a user name cannot contain ":" or a line break' }),
      password: z.string(),
    })
    .optional()
    .describe('HTTP basic authentication; give the password from a secret var'),
};

const oneAuth = {
  check: (input: { bearer_token?: string | undefined; basic_auth?: unknown }) =>
    input.bearer_token === undefined || input.basic_auth === undefined,
  error: { error: 'give bearer_token or basic_auth, not both', path: ['bearer_token'] },
};

export const queryInput = z
  .strictObject({
    ...base,
    time: timeInput.optional().describe('Evaluation time (default: now)'),
  })
  .refine(oneAuth.check, oneAuth.error);

export const rangeInput = z
  .strictObject({
    ...base,
    start: timeInput.describe(
      'Start: unix seconds, an RFC 3339 time, or a duration back from now (e.g. 1h)',
    ),
    end: timeInput.optional().describe('End (default: now)'),
    step: step.describe('Resolution: the time between points, e.g. 30s'),
  })
  .refine(oneAuth.check, oneAuth.error);

export type QueryInput = z.output<typeof queryInput>;
export type RangeInput = z.output<typeof rangeInput>;
export type TimeInput = z.output<typeof timeInput>;
