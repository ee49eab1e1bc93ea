import { z } from 'zod';
import { durationInput } from '../../common/duration.js';

export const DEFAULT_TIMEOUT = '10s';

const duration = durationInput({ seconds: 'positive' });

const headers = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'not a valid header name' }),
    z.string().regex(/^[^\r\n]*$/, { error: 'a header value cannot contain a line break' }),
  )
  .optional()
  .describe(
    'Request headers; credentials (Authorization, Cookie, *token*, *key*…) reach curl on stdin, not in its argv',
  );

const common = {
  url: z.string().min(1).describe('Absolute URL'),
  headers,
  timeout: duration
    .optional()
    .describe(`Whole-request timeout, curl --max-time (default ${DEFAULT_TIMEOUT})`),
  fail: z
    .boolean()
    .optional()
    .describe('curl --fail: an HTTP status of 400 or more is curl exit 22, and no body is kept'),
  retry: z
    .number()
    .int()
    .min(0)
    .max(20)
    .optional()
    .describe('curl --retry N --retry-connrefused: retries timeouts, refusals and 408/429/5xx'),
  retry_delay: duration
    .optional()
    .describe(
      "Time between retries, curl --retry-delay: whole seconds, at least 1s (default: curl's backoff, 1s doubling)",
    ),
  insecure: z.boolean().optional().describe('curl --insecure: do not verify the TLS certificate'),
  follow: z.boolean().optional().describe('curl --location: follow redirects'),
};

export const getInput = z.strictObject({
  ...common,
  method: z.enum(['GET', 'HEAD']).optional().describe('GET (default) or HEAD (curl --head)'),
});

export const requestInput = z.strictObject({
  ...common,
  method: z
    .string()
    .regex(/^[A-Z]+$/, { error: 'an HTTP method in capitals, e.g. POST' })
    .optional()
    .describe('HTTP method (default POST when there is data, else GET)'),
  data: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .describe('Request body: a string is sent as is; an object or array as JSON'),
});

export type GetInput = z.output<typeof getInput>;
export type RequestInput = z.output<typeof requestInput>;
