import { z } from 'zod';
import { durationInput } from '../../common/duration.js';

const duration = durationInput({
  error: 'expected a duration such as 10s or 1m',
  seconds: 'positive',
});

const workerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
    error: 'expected a Worker name: letters, digits, - and _',
  })
  .describe('Name of the Worker, e.g. my-worker');

const versionId = z
  .string()
  .regex(/^[0-9A-Fa-f][0-9A-Fa-f-]*$/, { error: 'expected a Worker Version ID (a UUID)' })
  .describe('A Worker Version ID (UUID), as listed by wrangler.versions');

export const nameInput = z.strictObject({ name: workerName });

export const versionInput = z.strictObject({ name: workerName, version_id: versionId });

export const rollbackInput = z.strictObject({
  name: workerName,
  version_id: versionId
    .optional()
    .describe(
      'The Version to serve to 100% of traffic; default: the one of the previous deployment',
    ),
  message: z
    .string()
    .min(1)
    .max(120)
    .describe('Why: recorded on the new deployment (120 characters at most)'),
});

export const secretPutInput = z.strictObject({
  name: workerName,
  key: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a secret name such as ENCRYPTION_KEY' })
    .describe('Name of the secret binding, e.g. ENCRYPTION_KEY'),
  value: z
    .string()
    .min(1)
    .describe(
      'The new value: give it from a secret variable. Sent to wrangler on stdin, never in argv; wrangler trims trailing whitespace',
    ),
});

const STATUS_CHOICES = ['ok', 'error', 'canceled'] as const;

export type TailStatus = (typeof STATUS_CHOICES)[number];

export const tailInput = z.strictObject({
  name: workerName,
  duration: duration.describe(
    'How long to listen, including wrangler start-up (e.g. 10s, 1m); wrangler is then stopped',
  ),
  filter: z
    .strictObject({
      status: z
        .union([z.enum(STATUS_CHOICES), z.array(z.enum(STATUS_CHOICES)).min(1)])
        .optional()
        .describe('Invocation outcome: ok, error or canceled (or a list of them)'),
      search: z
        .string()
        .min(1)
        .optional()
        .describe('Text that a console.log message contains (any case)'),
      method: z
        .union([z.string().regex(/^[A-Za-z]+$/), z.array(z.string().regex(/^[A-Za-z]+$/)).min(1)])
        .optional()
        .describe('HTTP method of the request (or a list of them), e.g. POST'),
    })
    .optional()
    .describe('Which events to keep: applied by Cloudflare and again to what arrives'),
  max_events: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Stop the tail once this many matching events have arrived (before the duration is up), and keep the first this many',
    ),
});

export type TailInput = z.output<typeof tailInput>;

export type RollbackInput = z.output<typeof rollbackInput>;

export type SecretPutInput = z.output<typeof secretPutInput>;
