import type { Effect, ProcessRequest } from '../adapter.js';
import { formatArgv } from '../../common/quote.js';
import { DURATION_PATTERN } from '../../common/duration.js';
import { DEFAULT_JOURNAL_LINES, type JournalInput, type UnitInput } from './inputs.js';

export const SYSTEMCTL = 'systemctl';

const JOURNALCTL = 'journalctl';

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

/** A unit command and its effect: stopping a service takes it away, the others bring it up. */
export const CONTROL_VERBS = {
  start: 'write',
  stop: 'destructive',
  restart: 'write',
  reload: 'write',
} as const satisfies Record<string, Effect>;

export type ControlVerb = keyof typeof CONTROL_VERBS;

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
