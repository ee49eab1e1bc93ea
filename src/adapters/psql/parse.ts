import type { SqlMode } from './script.js';
import { STATE_KEYS } from './inputs.js';

/** Reads psql's output for a statement run in `mode` into rows, row_count and columns. */
export function parseSqlOutput(stdout: string, mode: SqlMode): Record<string, unknown> {
  switch (mode) {
    case 'rows':
    case 'returning': {
      const rows = parseJsonRows(stdout);
      return { rows, row_count: rows.length, columns: Object.keys(rows[0] ?? {}) };
    }
    case 'text-rows': {
      const [header = [], ...records] = parseCsv(stdout);
      const rows = records.map((record) =>
        Object.fromEntries(header.map((name, index) => [name, record[index] ?? null])),
      );
      return { rows, row_count: rows.length, columns: header };
    }
    case 'command': {
      const lines = stdout.split('\n').filter((line) => line !== '');
      const command = lines.at(-1) ?? '';
      let rowCount = 0;
      for (const line of [...lines].reverse()) {
        const count = /^(?:INSERT \d+|UPDATE|DELETE|SELECT|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(
          line,
        );
        if (count) {
          rowCount = Number(count[1]);
          break;
        }
      }
      return { rows: [], row_count: rowCount, columns: [], command };
    }
    default:
      return mode satisfies never;
  }
}

function parseJsonRows(stdout: string): Array<Record<string, unknown>> {
  const value = parseJson(stdout);
  if (!Array.isArray(value)) throw new Error('expected a JSON array of rows');
  return value as Array<Record<string, unknown>>;
}

function parseJson(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') throw new Error('psql printed nothing');
  return JSON.parse(text) as unknown;
}

/** psql --csv output: RFC 4180 fields, "" for a quote inside a quoted field, \n between records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && !fieldStarted) {
      const close = (from: number): number => {
        let j = from;
        while (j < text.length) {
          if (text[j] === '"' && text[j + 1] === '"') j += 2;
          else if (text[j] === '"') return j;
          else j++;
        }
        throw new Error('unterminated quoted CSV field');
      };
      const end = close(i + 1);
      field += text.slice(i + 1, end).replace(/""/g, '"');
      i = end + 1;
      fieldStarted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (fieldStarted || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** One JSON object printed by a named action's query. */
export function parseObject(stdout: string): Record<string, unknown> {
  const value = parseJson(stdout);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('expected a JSON object');
  return value as Record<string, unknown>;
}

/** Counts by state under snake_case keys, every state present (0 when none). */
export function connectionsOutputs(stdout: string): Record<string, unknown> {
  const { max_connections: max, states } = parseObject(stdout);
  const byState: Record<string, number> = {};
  for (const key of Object.values(STATE_KEYS)) byState[key] = 0;
  // Other roles' sessions show no state to a role without pg_read_all_stats.
  byState.unknown = 0;
  let total = 0;
  for (const [state, count] of Object.entries((states ?? {}) as Record<string, number>)) {
    const key = STATE_KEYS[state as keyof typeof STATE_KEYS] ?? state.replace(/\W+/g, '_');
    byState[key] = (byState[key] ?? 0) + count;
    total += count;
  }
  const usage = typeof max === 'number' && max > 0 ? Math.round((total / max) * 1000) / 10 : null;
  return { total, max_connections: max, usage_pct: usage, by_state: byState };
}

export function longRunningOutputs(stdout: string): Record<string, unknown> {
  const queries = parseJsonRows(stdout);
  const durations = queries.map((query) => Number(query.duration_s ?? 0));
  return {
    queries,
    count: queries.length,
    pids: queries.map((query) => query.pid),
    longest_s: durations.length > 0 ? Math.max(...durations) : 0,
  };
}

export function terminateOutputs(stdout: string): Record<string, unknown> {
  const result = parseObject(stdout);
  const terminated = Array.isArray(result.terminated) ? result.terminated : [];
  return { ...result, count: terminated.length };
}

/** NOTICE, WARNING and INFO messages psql printed on stderr. */
export function notices(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => /^(?:NOTICE|WARNING|INFO):/.test(line));
}
