import { z } from 'zod';
import { argvWord } from '../support/argv-word.js';
import { durationInput } from '../../common/duration.js';

export const DEFAULT_SCAN_LINES = 10_000;

export const DEFAULT_RECENT = 20;

export const STATUS_TIMEOUT = '5s';

const duration = durationInput({ seconds: 'positive' });

// nginx has no `--`: paths that start with "-" are refused (write ./-name for such a file).
const path = (what: string) => argvWord('a path').describe(what);

export const controlInput = z.strictObject({
  binary: path('The nginx binary (default: nginx on PATH), e.g. /usr/sbin/nginx').optional(),
  config: path('Configuration file (nginx -c); default: the one nginx was built with').optional(),
  prefix: path('Prefix path (nginx -p)').optional(),
  error_log: path(
    'Error log to use until the configuration is read (nginx -e, nginx 1.19.5 or later)',
  ).optional(),
  global: z
    .string()
    .min(1)
    .optional()
    .describe('Global directives (nginx -g), e.g. "pid /run/nginx-b.pid;"'),
});

export const statusInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .describe('A stub_status URL (e.g. http://127.0.0.1/nginx_status) or any health URL'),
  timeout: duration.optional().describe(`Whole-request timeout (default ${STATUS_TIMEOUT})`),
  headers: z.record(z.string(), z.string()).optional().describe('Request headers'),
});

export const rateLimitedInput = z.strictObject({
  error_log: path("nginx's error log, e.g. /var/log/nginx/error.log"),
  lines: z
    .number()
    .int()
    .positive()
    .max(10_000_000)
    .optional()
    .describe(`How many of the log's last lines to read (default ${DEFAULT_SCAN_LINES})`),
  since: duration
    .optional()
    .describe(
      "Only entries this recent, e.g. 15m (the log's times are read as this machine's local time)",
    ),
  zone: z.string().min(1).optional().describe('Only this limit_req zone'),
  recent: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe(`How many of the latest rejections to list in entries (default ${DEFAULT_RECENT})`),
});

export type ControlInput = z.output<typeof controlInput>;
export type StatusInput = z.output<typeof statusInput>;
export type RateLimitedInput = z.output<typeof rateLimitedInput>;
