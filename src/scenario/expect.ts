import { isDeepStrictEqual } from 'node:util';
import type { StepRecord } from '../engine/events.js';
import type { Scenario } from '../schema/scenario.js';

/** What a scenario's run did, as its expectations read it (docs/testing.md#expect). */
export interface Observed {
  /** The steps that started, in order. */
  ran: string[];
  findings: string[];
  status: string;
  /** Why the run stopped, when it did. */
  reason: string | undefined;
  exitCode: number;
  /** The rollback steps that started. */
  rolledBack: string[];
  /** Each step's last record, by id. */
  records: ReadonlyMap<string, StepRecord>;
  /** The escalation rules that fired, by name, in order. */
  escalated: string[];
}

/** Compares a run with what a scenario expects: one line per expectation not met, saying what
 * was expected and what happened. Empty when every one is met. */
export function compareExpectations(expect: Scenario['expect'], observed: Observed): string[] {
  const failures: string[] = [];
  if (expect.ran !== undefined && !isDeepStrictEqual(expect.ran, observed.ran))
    failures.push(
      `ran: expected ${list(expect.ran)}, got ${list(observed.ran)}${observed.reason ? ` (the run ended ${observed.status}: ${oneLine(observed.reason)})` : ''}`,
    );
  for (const id of expect.skipped ?? [])
    if (observed.ran.includes(id))
      failures.push(`skipped: expected ${id} not to run, but it ran${why(observed, id)}`);
  for (const [id, command] of Object.entries(expect.commands ?? {})) {
    const record = observed.records.get(id);
    if (!record)
      failures.push(`commands.${id}: expected ${show(command)}, but ${id} was not reached`);
    else if (record.command === undefined)
      failures.push(`commands.${id}: expected ${show(command)}, got no command (a manual step)`);
    else if (record.command !== command)
      failures.push(mismatch(`commands.${id}`, command, record.command));
  }
  for (const [id, outputs] of Object.entries(expect.outputs ?? {})) {
    const record = observed.records.get(id);
    for (const [name, value] of Object.entries(outputs)) {
      if (!record) {
        failures.push(`outputs.${id}.${name}: expected ${show(value)}, but ${id} was not reached`);
        continue;
      }
      // null: the step has no such output, or it is null.
      if (value === null && (record.outputs[name] ?? null) === null) continue;
      if (!Object.hasOwn(record.outputs, name)) {
        const has = Object.keys(record.outputs);
        failures.push(
          `outputs.${id}.${name}: expected ${show(value)}, but ${id} has no output ${name} (it has ${has.length ? has.join(', ') : 'none'})`,
        );
        continue;
      }
      const actual = plain(record.outputs[name]);
      if (!isDeepStrictEqual(plain(value), actual))
        failures.push(
          typeof value === 'string' && typeof actual === 'string'
            ? mismatch(`outputs.${id}.${name}`, value, actual)
            : `outputs.${id}.${name}: expected ${show(value)}, got ${show(actual)}`,
        );
    }
  }
  if (expect.findings !== undefined && !isDeepStrictEqual(expect.findings, observed.findings))
    failures.push(`findings: expected ${list(expect.findings)}, got ${list(observed.findings)}`);
  if (expect.status !== undefined && expect.status !== observed.status)
    failures.push(
      `status: expected ${expect.status}, got ${observed.status}${observed.reason ? ` (${oneLine(observed.reason)})` : ''}`,
    );
  if (expect.exit_code !== undefined && expect.exit_code !== observed.exitCode)
    failures.push(`exit_code: expected ${expect.exit_code}, got ${observed.exitCode}`);
  if (expect.rollback !== undefined && expect.rollback !== observed.rolledBack.length > 0)
    failures.push(
      expect.rollback
        ? `rollback: expected it to run, but no rollback step ran`
        : `rollback: expected it not to run, but it ran (${observed.rolledBack.join(', ')})`,
    );
  if (expect.escalated !== undefined && !isDeepStrictEqual(expect.escalated, observed.escalated))
    failures.push(`escalated: expected ${list(expect.escalated)}, got ${list(observed.escalated)}`);
  return failures;
}

/** Strings longer than this are compared by where they first differ, not shown whole. */
const LONG = 60;
/** Characters shown on each side of the first difference. */
const WINDOW = 24;
/** An actual string up to this long is shown whole too, under the difference. */
const WHOLE = 400;

/**
 * Two strings that differ. Short ones are shown whole; for a long one, where they first differ:
 * the lengths, the character, and a window of each around it (JSON-escaped), with a caret under
 * the difference on the lines after the first.
 */
export function mismatch(what: string, expected: string, actual: string): string {
  if (expected.length <= LONG && actual.length <= LONG)
    return `${what}: expected ${show(expected)}, got ${show(actual)}`;
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  const start = Math.max(0, at - WINDOW);
  const window = (text: string): { shown: string; caret: number } => {
    const before = JSON.stringify(text.slice(start, at)).slice(1, -1);
    const rest = JSON.stringify(text.slice(at, at + WINDOW)).slice(1, -1);
    const head = start > 0 ? '…' : '';
    const tail = at + WINDOW < text.length ? '…' : '';
    return { shown: `${head}${before}${rest}${tail}`, caret: head.length + before.length };
  };
  const e = window(expected);
  const a = window(actual);
  const line = expected.slice(0, at).split('\n').length;
  const col = at - expected.lastIndexOf('\n', at - 1);
  return [
    `${what}: differs at character ${at + 1} (line ${line}, column ${col}); expected ${expected.length} characters, got ${actual.length}`,
    `expected: ${e.shown}`,
    `     got: ${a.shown}`,
    `          ${' '.repeat(Math.min(e.caret, a.caret))}^`,
    // Whole, when that is short enough to copy into the scenario.
    ...(actual.length <= WHOLE ? [`got, whole: ${show(actual)}`] : []),
  ].join('\n');
}

/** A message on one line: a newline in it as a backslash and n. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

/** Why a step that should not have run did: a when: that was true, or none. */
function why(observed: Observed, id: string): string {
  const record = observed.records.get(id);
  return record?.status ? ` (${record.status})` : '';
}

function list(ids: readonly string[]): string {
  return `[${ids.join(', ')}]`;
}

/** A value as YAML would show it in flow style: JSON is close enough, and exact. */
function show(value: unknown): string {
  return JSON.stringify(plain(value)) ?? String(value);
}

/** Values as a scenario file writes them: a CEL integer (bigint) is a number. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = plain(inner);
    return out;
  }
  return value;
}
