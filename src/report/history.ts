import type { ChalkInstance } from 'chalk';
import type { EngineEvent, RunMode } from '../engine/events.js';
import type { RunRecord, RunState, Stopped } from '../state/run-record.js';
import type { RunSummary } from '../state/store.js';
import { formatDuration } from '../common/duration.js';
import { visible } from './visible.js';

// What `runbook history` and `runbook status` print (docs/commands.md#runbook-history): a table of
// one line per run for people, and one JSON document with stable keys for programs.

/** The words of the run modes, as `--mode` takes them and the JSON gives them. */
export const MODE_WORDS = {
  execute: 'real',
  'read-only': 'read-only',
  'dry-run': 'dry-run',
} as const;
export type ModeWord = (typeof MODE_WORDS)[RunMode];

/** A run in `history --json`. Every key is always there; what is unknown is null. */
export interface HistoryJson {
  run_id: string;
  runbook: string;
  title: string;
  severity: string | null;
  service: string | null;
  mode: ModeWord;
  user: string;
  host: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  status: RunState;
  stopped: { kind: Stopped['kind']; step: string | null } | null;
  findings: string[];
  parts: number;
  /** The run's incident (`run --incident`); absent when it has none. */
  incident?: string;
  /** To whom its escalation rules said to escalate, in the order they fired; absent when none
   * did. */
  escalated?: string[];
}

export function historyJson(runs: readonly RunSummary[]): HistoryJson[] {
  return runs.map((run) => ({
    run_id: run.run_id,
    runbook: run.runbook.id,
    title: run.runbook.title,
    severity: run.runbook.severity ?? null,
    service: run.runbook.service ?? null,
    mode: MODE_WORDS[run.mode] ?? run.mode,
    user: run.user,
    host: run.host,
    started_at: run.started_at,
    ended_at: run.ended_at ?? null,
    duration_ms: run.duration_ms ?? null,
    status: run.status,
    stopped: run.stopped ? { kind: run.stopped.kind, step: run.stopped.step ?? null } : null,
    findings: run.findings,
    parts: run.parts,
    ...(run.incident === undefined ? {} : { incident: run.incident }),
    ...(run.escalated?.length ? { escalated: run.escalated } : {}),
  }));
}

/** Text from a journal, on one line of a table: control characters, line breaks and tabs escaped. */
export function cell(text: string): string {
  return visible(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** Shortened to `max` characters, the cut shown. */
function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `2026-01-06 10:15:02`, in UTC (a journal's times are). */
export function utc(iso: string | undefined): string {
  if (iso === undefined) return '-';
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso)
    ? iso.slice(0, 19).replace('T', ' ')
    : cell(iso);
}

/** Whom a run's escalation rules named, after its result: ` · escalated to DBA, CTO`; '' when
 * none fired. */
export function escalatedWords(escalated: readonly string[] | undefined): string {
  return escalated?.length ? ` · escalated to ${escalated.map(cell).join(', ')}` : '';
}

/** How a run ended or what stopped it, in a few words: `failed at restart`. */
export function resultWords(status: RunState, stopped: Stopped | undefined): string {
  const step = stopped?.step === undefined ? undefined : cell(stopped.step);
  switch (status) {
    case 'succeeded':
    case 'running':
      return status;
    case 'pending':
      return step ? `pending: manual step ${step}` : 'pending';
    case 'failed':
    case 'declined':
    case 'interrupted':
    case 'crashed':
      return step ? `${status} at ${step}` : status;
  }
}

function colorOf(status: RunState, colors: ChalkInstance): (text: string) => string {
  switch (status) {
    case 'succeeded':
      return colors.green;
    case 'failed':
    case 'crashed':
      return colors.red;
    case 'running':
      return colors.cyan;
    default:
      return colors.yellow;
  }
}

/** Rows padded to their columns; the last column is never padded. */
export function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((text, i) => (i === row.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const RUNBOOK_CHARS = 28;
const WHO_CHARS = 28;

/** `alice@bastion-1`, shortened. */
export function who(user: string, host: string): string {
  return cap(`${cell(user)}@${cell(host)}`, WHO_CHARS);
}

/** The lines of `runbook history`: a header, then one run a line, newest first. */
export function historyLines(runs: readonly RunSummary[], colors: ChalkInstance): string[] {
  const header = ['RUN', 'RUNBOOK', 'SEV', 'MODE', 'BY', 'STARTED (UTC)', 'TOOK', 'RESULT'];
  const rows = runs.map((run) => {
    let result = resultWords(run.status, run.stopped);
    if (run.findings.length > 0)
      result += ` · finding${run.findings.length === 1 ? '' : 's'}: ${run.findings.map(cell).join(', ')}`;
    result += escalatedWords(run.escalated);
    if (run.parts > 1) result += ` · ${run.parts} parts`;
    return [
      cell(run.run_id),
      cap(cell(run.runbook.id), RUNBOOK_CHARS),
      cell(run.runbook.severity ?? '-'),
      MODE_WORDS[run.mode] ?? cell(run.mode),
      who(run.user, run.host),
      utc(run.started_at),
      run.duration_ms === undefined ? '-' : formatDuration(run.duration_ms),
      result,
    ];
  });
  const [head, ...body] = table(header, rows);
  return [
    colors.bold(head ?? ''),
    ...body.map((line, i) => {
      const run = runs[i];
      const result = rows[i]?.[7] ?? '';
      if (!run || !line.endsWith(result)) return line;
      return line.slice(0, line.length - result.length) + colorOf(run.status, colors)(result);
    }),
  ];
}

/** The step a run is in: started and not ended, in its latest part. */
export function currentStep(record: RunRecord): { id: string; section: string } | undefined {
  const open = new Map<string, string>();
  for (const event of record.events as EngineEvent[]) {
    if (event.type === 'run.start' || event.type === 'run.resume') open.clear();
    else if (event.type === 'step.start') {
      open.delete(event.step);
      open.set(event.step, event.section);
    } else if (event.type === 'step.end') open.delete(event.id);
  }
  const last = [...open].at(-1);
  return last && { id: last[0], section: last[1] };
}
