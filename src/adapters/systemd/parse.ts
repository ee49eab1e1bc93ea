import { parseJsonLines } from '../support/lines.js';
import { PRIORITIES } from './inputs.js';

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
