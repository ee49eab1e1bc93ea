import { z } from 'zod';

export const DEFAULT_JOURNAL_LINES = 100;

/** journald's syslog priorities, 0 (emerg) to 7 (debug). */
export const PRIORITIES = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warning',
  'notice',
  'info',
  'debug',
] as const;

// Units may start with "-" (-.mount, -.slice): systemctl gets them after `--`, and journalctl's
// -u takes the next argument whatever it looks like.
const unit = z
  .string()
  .min(1)
  .regex(/^[^\s\0]+$/, { error: 'a unit name has no spaces, line breaks or NUL characters' })
  .describe('Unit name, e.g. fondation-worker or nginx.service');

const user = z
  .boolean()
  .optional()
  .describe("The calling user's service manager instead of the system's (--user)");

export const unitInput = z.strictObject({ unit, user });

export const journalInput = z.strictObject({
  unit,
  user,
  since: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Oldest entry: a duration back from now (30m, 1h) or anything journalctl --since takes ("2024-05-01 10:00", "1 hour ago", today)',
    ),
  until: z.string().min(1).optional().describe('Newest entry, as journalctl --until takes it'),
  lines: z
    .number()
    .int()
    .positive()
    .max(100_000)
    .optional()
    .describe(`How many of the latest entries (default ${DEFAULT_JOURNAL_LINES})`),
  priority: z
    .union([z.enum(PRIORITIES), z.number().int().min(0).max(7)])
    .optional()
    .describe('Only entries of this priority or more urgent: err, warning, 3…'),
  grep: z
    .string()
    .min(1)
    .optional()
    .describe('Only entries whose message matches this regular expression (journalctl --grep)'),
});

export type UnitInput = z.output<typeof unitInput>;
export type JournalInput = z.output<typeof journalInput>;
