import { UsageError } from '../common/errors.js';
import { DURATION_PATTERN, parseDuration } from '../common/duration.js';
import type { RunMode } from '../engine/events.js';
import { historyJson, historyLines, MODE_WORDS } from '../report/history.js';
import { visible } from '../report/visible.js';
import { loadConfig } from '../schema/config.js';
import type { RunState } from '../state/run-record.js';
import type { RunList } from '../state/store.js';
import { defineCommand, flag, jsonFlag, type Values } from './define.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { openStateStore } from './setup.js';
import { currentUser } from '../engine/user.js';
import { parseIncident } from './run.js';

/** What `--status` takes: how a run ended, or `running` or `crashed`. */
export const RUN_STATES: readonly RunState[] = [
  'succeeded',
  'failed',
  'declined',
  'pending',
  'interrupted',
  'running',
  'crashed',
];

const DEFAULT_LIMIT = 50;

const flags = {
  runbook: flag.string('--runbook <id>', 'only runs of this runbook'),
  since: flag.string(
    '--since <when>',
    'only runs started since: a duration ago (24h, 7d, 30m) or a date (2026-01-06, 2026-01-06T10:00Z; UTC)',
  ),
  status: flag.string('--status <status>', `only runs that ended so: ${RUN_STATES.join(', ')}`),
  mode: flag.string('--mode <mode>', 'only real, read-only or dry-run runs'),
  limit: flag.string(
    '--limit <n>',
    `at most this many, newest first (default ${DEFAULT_LIMIT}; 0: all)`,
  ),
  allUsers: flag.boolean(
    '--all-users',
    "everyone's runs (a team database lists only yours without it; local files hold this machine's)",
  ),
  incident: flag.string('--incident <id>', 'only the runs of this incident (run --incident)'),
  json: jsonFlag,
};

export const history = defineCommand({
  name: 'history',
  summary: 'List past and running runs, newest first, from the state directory',
  args: {},
  flags,
  handler: (_args, options, io) => historyCommand(options, io),
});

async function historyCommand(options: Values<typeof flags>, io: Io): Promise<number> {
  const status = parseStatus(options.status);
  const mode = parseMode(options.mode);
  const since = options.since === undefined ? undefined : parseSince(options.since, new Date());
  const limit = parseLimit(options.limit);
  const config = await loadConfig(io.cwd, io.env);
  const incident = parseIncident(options.incident);
  const store = await openStateStore(io, config);
  // A team database holds everyone's runs: yours unless asked for all (or for one incident's).
  const mine = store.shared && !options.allUsers && incident === undefined;
  const list = await store
    .listRuns({
      ...(options.runbook === undefined ? {} : { runbook: options.runbook }),
      ...(since === undefined ? {} : { since }),
      ...(status === undefined ? {} : { status }),
      ...(mode === undefined ? {} : { mode }),
      ...(mine ? { user: currentUser(io.env) } : {}),
      ...(incident === undefined ? {} : { incident }),
      ...(limit === 0 ? {} : { limit }),
    })
    .finally(() => store.close());
  warnSkipped(list, io);
  if (options.allUsers && !store.shared)
    io.stderr.write(
      `note: --all-users: runs are kept in ${visible(store.description)}, which holds this machine's runs only; a team database holds everyone's (docs/state.md)\n`,
    );
  const shown = list.runs;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(historyJson(shown), null, 2)}\n`);
    return EXIT.ok;
  }
  if (list.total === 0) {
    io.stdout.write(`No runs recorded yet (in ${visible(list.location)}).\n`);
    return EXIT.ok;
  }
  if (shown.length === 0) {
    io.stdout.write(
      `No run matches (${list.total} run${list.total === 1 ? '' : 's'} recorded in ${visible(list.location)}${mine ? `; yours only: --all-users for everyone's` : ''}).\n`,
    );
    return EXIT.ok;
  }
  const colors = colorsFor(io.stdout, io.env);
  io.stdout.write(`${historyLines(shown, colors).join('\n')}\n`);
  const { matching } = list;
  const counted =
    shown.length < matching
      ? `${shown.length} of ${matching} matching runs shown (--limit 0 for all)`
      : `${matching} run${matching === 1 ? '' : 's'}${matching < list.total ? ` of ${list.total}` : ''}`;
  io.stdout.write(`\n${counted}. One run in full: runbook report <run-id>\n`);
  return EXIT.ok;
}

/** One line for what is in the runs directory and is not a run's journal. */
export function warnSkipped(list: RunList, io: Io): void {
  if (list.skipped.length === 0) return;
  const shown = list.skipped.slice(0, 5).map(visible).join(', ');
  const more = list.skipped.length > 5 ? ` and ${list.skipped.length - 5} more` : '';
  const files = list.skipped.length === 1 ? 'file' : `${list.skipped.length} files`;
  io.stderr.write(
    `warning: skipped ${files} in ${visible(list.location)} that ${list.skipped.length === 1 ? 'is' : 'are'} not a run journal: ${shown}${more}\n`,
  );
}

function parseStatus(value: string | undefined): RunState | undefined {
  if (value === undefined) return undefined;
  if ((RUN_STATES as readonly string[]).includes(value)) return value as RunState;
  throw new UsageError(
    `--status: unknown status "${visible(value)}"`,
    `one of: ${RUN_STATES.join(', ')}`,
  );
}

function parseMode(value: string | undefined): RunMode | undefined {
  if (value === undefined) return undefined;
  const found = Object.entries(MODE_WORDS).find(([, word]) => word === value);
  if (found) return found[0] as RunMode;
  throw new UsageError(
    `--mode: unknown mode "${visible(value)}"`,
    `one of: ${Object.values(MODE_WORDS).join(', ')}`,
  );
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  throw new UsageError(
    `--limit must be a whole number (got "${visible(value)}")`,
    '0 lists every run',
  );
}

const ISO_DATE =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?)?(Z|[+-]\d\d:?\d\d)?$/;

/**
 * `--since`: a duration ago in the runbook format's syntax (docs/format.md: 30m, 24h, 7d), or a
 * date or time in ISO 8601; a time without a zone is UTC, as every time runbook prints.
 */
export function parseSince(value: string, now: Date): Date {
  const text = value.trim();
  if (DURATION_PATTERN.test(text)) return new Date(now.getTime() - parseDuration(text));
  const match = ISO_DATE.exec(text);
  if (match) {
    const iso = text.replace(' ', 'T');
    const ms = Date.parse(
      match[4] === undefined ? `${iso}T00:00:00Z` : match[7] === undefined ? `${iso}Z` : iso,
    );
    if (Number.isFinite(ms)) return new Date(ms);
  }
  throw new UsageError(
    `--since: "${visible(value)}" is neither a duration nor a date`,
    'a duration ago (30m, 24h, 7d) or a UTC date (2026-01-06, 2026-01-06T10:00)',
  );
}
