import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type Effect,
  type ProcessRequest,
  type ProcessResult,
} from './adapter.js';
import { formatArgv } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { firstLine, lineMatching, parseJsonLines } from './support/lines.js';
import { runTool, type Unavailable } from './support/run-tool.js';
import { DURATION_PATTERN } from '../common/duration.js';

const SYSTEMCTL = 'systemctl';
const JOURNALCTL = 'journalctl';
const DEFAULT_JOURNAL_LINES = 100;
/** `systemctl is-active` exits 3 for any state but active (inactive, failed, activating…). */
const NOT_ACTIVE_EXIT = 3;

/** The `systemctl show` properties `systemd.status` reads, in machine-readable key=value form. */
export const STATUS_PROPERTIES = [
  'Id',
  'Description',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'FragmentPath',
  'Result',
  'MainPID',
  'ExecMainStartTimestamp',
  'ExecMainStatus',
  'NRestarts',
  'MemoryCurrent',
  'StateChangeTimestamp',
] as const;

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

const unitInput = z.strictObject({ unit, user });

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

type UnitInput = z.output<typeof unitInput>;
type JournalInput = z.output<typeof journalInput>;

/** A unit command and its effect: stopping a service takes it away, the others bring it up. */
const CONTROL_VERBS = {
  start: 'write',
  stop: 'destructive',
  restart: 'write',
  reload: 'write',
} as const satisfies Record<string, Effect>;

type ControlVerb = keyof typeof CONTROL_VERBS;

function scope(input: { user?: boolean | undefined }): string[] {
  return input.user ? ['--user'] : [];
}

/** `systemctl show`: timestamps are printed in the process's time zone, so ask for UTC. */
export function statusRequest(input: UnitInput): ProcessRequest {
  return {
    file: SYSTEMCTL,
    args: [
      ...scope(input),
      'show',
      '--no-pager',
      `--property=${STATUS_PROPERTIES.join(',')}`,
      '--',
      input.unit,
    ],
    env: { TZ: 'UTC' },
  };
}

export function isActiveRequest(input: UnitInput): ProcessRequest {
  return { file: SYSTEMCTL, args: [...scope(input), 'is-active', '--', input.unit] };
}

/** `--no-ask-password`: a run without a terminal must fail, not wait for a polkit prompt. */
export function controlRequest(verb: ControlVerb, input: UnitInput): ProcessRequest {
  return {
    file: SYSTEMCTL,
    args: [...scope(input), '--no-ask-password', verb, '--', input.unit],
  };
}

export function journalRequest(input: JournalInput): ProcessRequest {
  const args = [...scope(input), '-u', input.unit];
  if (input.since !== undefined) args.push('--since', journalTime(input.since));
  if (input.until !== undefined) args.push('--until', journalTime(input.until));
  args.push('-n', String(input.lines ?? DEFAULT_JOURNAL_LINES));
  if (input.priority !== undefined) args.push('-p', String(input.priority));
  if (input.grep !== undefined) args.push('--grep', input.grep);
  args.push('-o', 'json', '--no-pager', '--quiet');
  return { file: JOURNALCTL, args };
}

/** A bare duration (`30m`) means that long ago; journalctl wants it as `-30m`. */
function journalTime(value: string): string {
  return DURATION_PATTERN.test(value) ? `-${value}` : value;
}

/** The command line as people would type it, with the environment the process gets. */
export function describeRequest(request: ProcessRequest): string {
  const env = Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`);
  return formatArgv([...env, request.file, ...request.args]);
}

/** `systemctl show` output: one `Key=value` per line (a value may itself contain `=`). */
export function parseShow(text: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    properties[line.slice(0, equals)] = line.slice(equals + 1).replace(/\r$/, '');
  }
  return properties;
}

/** The outputs of `systemd.status` from the properties of `systemctl show`. */
export function statusOutputs(properties: Record<string, string>): Record<string, unknown> {
  const text = (key: string): string | null => {
    const value = properties[key];
    return value === undefined || value === '' ? null : value;
  };
  return {
    unit: text('Id'),
    description: text('Description'),
    load_state: text('LoadState'),
    active_state: text('ActiveState'),
    sub_state: text('SubState'),
    unit_file_state: text('UnitFileState'),
    fragment_path: text('FragmentPath'),
    result: text('Result'),
    active: properties.ActiveState === 'active' || properties.ActiveState === 'reloading',
    main_pid: integer(properties.MainPID) ?? 0,
    started_at: timestamp(properties.ExecMainStartTimestamp),
    exit_status: integer(properties.ExecMainStatus),
    restarts: integer(properties.NRestarts),
    memory_bytes: integer(properties.MemoryCurrent),
    state_changed_at: timestamp(properties.StateChangeTimestamp),
    properties,
  };
}

/** A counter or id; `[not set]` and UINT64_MAX (systemd's "infinity") are no value. */
function integer(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : null;
}

/** `Mon 2024-05-13 09:12:44 UTC` (with TZ=UTC) or `@1715591564` as ISO 8601; null when empty. */
export function timestamp(value: string | undefined): string | null {
  if (!value) return null;
  const unix = /^@(\d+)$/.exec(value);
  if (unix) return new Date(Number(unix[1]) * 1000).toISOString();
  const utc = /^\w{3} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})? UTC$/.exec(value);
  if (!utc) return null;
  return new Date(`${utc[1]}T${utc[2]}${(utc[3] ?? '').slice(0, 4)}Z`).toISOString();
}

/** One journal entry as a runbook sees it. */
export interface JournalEntry {
  timestamp: string | null;
  message: string;
  priority: number | null;
  level: string | null;
  pid: number | null;
  identifier: string | null;
  unit: string | null;
}

/** `journalctl -o json`: one object per line, every field a string — or an array of bytes when
 * the value is not valid UTF-8, or null when it was too large to show. */
export function parseJournal(text: string): JournalEntry[] {
  return parseJsonLines(text).map((value, index) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error(`entry ${index + 1} is not a JSON object`);
    const fields = value as Record<string, unknown>;
    const field = (key: string): string | null => fieldText(fields[key]);
    const priority = integer(field('PRIORITY') ?? undefined);
    const micros = field('__REALTIME_TIMESTAMP');
    return {
      timestamp: micros && /^\d+$/.test(micros) ? isoFromMicros(micros) : null,
      message: field('MESSAGE') ?? '',
      priority,
      level: priority === null ? null : (PRIORITIES[priority] ?? null),
      pid: integer(field('_PID') ?? undefined),
      identifier: field('SYSLOG_IDENTIFIER') ?? field('_COMM'),
      // systemd's own messages about a unit come from init.scope and name it in UNIT.
      unit:
        field('UNIT') ??
        field('USER_UNIT') ??
        field('_SYSTEMD_UNIT') ??
        field('_SYSTEMD_USER_UNIT'),
    };
  });
}

function fieldText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((byte) => typeof byte === 'number'))
    return Buffer.from(value as number[]).toString('utf8');
  return null;
}

function isoFromMicros(micros: string): string {
  const millis = BigInt(micros) / 1000n;
  return new Date(Number(millis)).toISOString();
}

/** The outputs of `systemd.journal`: the entries, plus counts and text to assert on. */
export function journalOutputs(entries: JournalEntry[]): Record<string, unknown> {
  return {
    entries,
    count: entries.length,
    errors: entries.filter((entry) => entry.priority !== null && entry.priority <= 3).length,
    warnings: entries.filter((entry) => entry.priority === 4).length,
    text: entries.map((entry) => entry.message).join('\n'),
    last_at: entries.at(-1)?.timestamp ?? null,
  };
}

/** What a failed systemctl or journalctl said, in one line. */
function toolError(request: ProcessRequest, result: ProcessResult): string | undefined {
  const said = firstLine(result.stderr) ?? firstLine(result.stdout);
  if (!said) return undefined;
  const verb = request.args.find((arg) => !arg.startsWith('-')) ?? '';
  const command = request.file === SYSTEMCTL ? `systemctl ${verb}` : request.file;
  return `${command} failed (exit ${String(result.exitCode)}): ${said}`;
}

/** systemctl and journalctl ran, but no systemd answered them (not booted with it, no bus). */
const managerDown: Unavailable = (result) => {
  const message = lineMatching(
    result.stderr,
    /has not been booted with systemd|Failed to connect to bus|Failed to get D-Bus connection/,
  );
  return message === undefined
    ? undefined
    : {
        message,
        hint: 'systemd units need a machine booted with systemd; run the step there (on: <host>)',
      };
};

/** Runs a request; a non-zero exit gets the tool's own first line as the error. */
async function runSystemd(
  ctx: ActionContext,
  request: ProcessRequest,
  parse?: (result: ProcessResult) => Record<string, unknown>,
): Promise<{ outcome: ActionOutcome; result: ProcessResult | undefined }> {
  let result: ProcessResult | undefined;
  const exec = async (req: ProcessRequest): Promise<ProcessResult> =>
    (result = await ctx.exec(req));
  const outcome = await runTool({ ...ctx, exec }, request, parse, managerDown);
  if (outcome.unavailable) return { outcome, result };
  if (!outcome.ok && result && result.exitCode !== null && result.exitCode !== 0 && !result.error) {
    const error = toolError(request, result);
    if (error) outcome.error = error;
  }
  return { outcome, result };
}

async function status(input: UnitInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome } = await runSystemd(ctx, statusRequest(input), (result) =>
    statusOutputs(parseShow(result.stdout)),
  );
  if (outcome.ok && outcome.outputs.load_state === 'not-found') {
    outcome.ok = false;
    outcome.error = `unit ${input.unit} not found (LoadState=not-found): check its name with systemctl list-units --all`;
  }
  return outcome;
}

/** Inactive is an answer, not a failure: ok with `active: false`, for `expect` to judge. */
async function isActive(input: UnitInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome, result } = await runSystemd(ctx, isActiveRequest(input));
  const state = result ? firstLine(result.stdout) : undefined;
  const answered =
    result !== undefined &&
    !result.error &&
    !result.timedOut &&
    !result.interrupted &&
    (result.exitCode === 0 || result.exitCode === NOT_ACTIVE_EXIT);
  if (!answered || !state) {
    if (outcome.ok) return { ...outcome, ok: false, error: 'systemctl is-active printed no state' };
    return outcome;
  }
  const { error: _notAFailure, ...rest } = outcome;
  return {
    ...rest,
    ok: true,
    outputs: { ...outcome.outputs, active: result.exitCode === 0, state },
  };
}

async function journal(input: JournalInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome, result } = await runSystemd(ctx, journalRequest(input), (done) =>
    journalOutputs(parseJournal(done.stdout)),
  );
  // The raw JSON lines are not repeated: `entries` carries them.
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  // journalctl --grep exits 1, silently, when nothing matches: that is an empty answer.
  const nothingMatched =
    input.grep !== undefined &&
    result?.exitCode === 1 &&
    !result.error &&
    !result.timedOut &&
    !result.interrupted &&
    !result.stdout.trim() &&
    !result.stderr.trim();
  if (!nothingMatched) return outcome;
  const { error: _error, ...answered } = outcome;
  return { ...answered, ok: true, outputs: { ...outcome.outputs, ...journalOutputs([]) } };
}

function control(verb: ControlVerb) {
  return defineAction({
    summary: `systemctl ${verb} <unit>: outputs exit_code, stdout, stderr`,
    input: unitInput,
    effect: CONTROL_VERBS[verb],
    describe: (input) => describeRequest(controlRequest(verb, input)),
    run: async (input, ctx) => (await runSystemd(ctx, controlRequest(verb, input))).outcome,
  });
}

export const systemd = {
  name: 'systemd',
  summary: 'systemd units through systemctl and their logs through journalctl',
  binary: SYSTEMCTL,
  actions: {
    status: defineAction({
      summary:
        'systemctl show <unit>: outputs active, active_state, sub_state, load_state, result, main_pid, started_at, restarts, memory_bytes',
      input: unitInput,
      effect: 'read',
      describe: (input) => describeRequest(statusRequest(input)),
      run: status,
    }),
    is_active: defineAction({
      summary:
        'systemctl is-active <unit>: outputs active (boolean) and state; an inactive unit is an answer, not a failure',
      input: unitInput,
      effect: 'read',
      describe: (input) => describeRequest(isActiveRequest(input)),
      run: isActive,
    }),
    start: control('start'),
    stop: control('stop'),
    restart: control('restart'),
    reload: control('reload'),
    journal: defineAction({
      summary:
        'journalctl -u <unit> -o json: outputs entries (timestamp, message, priority, level, pid), count, errors, warnings, text',
      input: journalInput,
      effect: 'read',
      describe: (input) => describeRequest(journalRequest(input)),
      run: journal,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(SYSTEMCTL, env, {
      versionArgs: ['--version'],
      pickVersion: (output) => /^systemd (\d+)/m.exec(output)?.[1],
      hint: 'systemd units need a machine booted with systemd',
    }),
} satisfies Adapter;
