import { closeSync, constants, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readOwnFile, writeAll, writeAtomic } from '../common/state-files.js';
import type { EngineEvent, RunbookInfo, RunMode } from '../engine/events.js';
import type { RunRecord, RunState, Stopped } from './run-record.js';
import type { RunSummary } from './store.js';
import { tryParseJson } from '../common/json.js';

// The index of the local file store (docs/architecture.md#state): `runs/index.jsonl`, beside the
// journals. A run appends one line when it starts (and one per resumed part) and one when it ends,
// each in a single write to a file opened with O_APPEND, so that runs ending together never
// clobber each other's lines. `runbook history` reads it instead of every journal; it is rebuilt
// from the journals when it is missing or untrusted, and completed with the journals it does not
// list. Nothing in it is needed by anything else: losing it loses nothing.

/**
 * The index's name, in the state directory beside the runs directory (not in it: the runs
 * directory holds journals and nothing else, for people and tools that list it).
 */
export const INDEX_FILE = 'runs-index.jsonl';

/** Where the index of the journals in `runsDir` is. */
export function indexPath(runsDir: string): string {
  return join(dirname(runsDir), INDEX_FILE);
}

/** A part of a run started: what a history line needs of it. */
export interface StartLine {
  event: 'start';
  run_id: string;
  part: number;
  /** The first part's (a resumed part's event does not repeat it). */
  runbook?: RunbookInfo;
  mode: RunMode;
  user: string;
  host: string;
  pid: number;
  /** The start time of `pid` (clock ticks after boot), when known: a reused pid is not the run. */
  pid_start?: string;
  started_at: string;
  /** The first part's incident (`run --incident`), when it has one. */
  incident?: string;
}

/** The run as it stood when part `part` ended (or was found crashed): the whole run's summary. */
export interface EndLine {
  event: 'end';
  run_id: string;
  part: number;
  ended_at: string | null;
  status: RunState;
  duration_ms: number | null;
  findings: string[];
  stopped: Stopped | null;
  /** Whom its escalations named (RunSummary.escalated), when any fired. */
  escalated?: string[];
}

/**
 * A run whose latest part has ended (or crashed), whole on one line: what a rebuild or a
 * compaction writes in place of its start and end lines. `part`: its latest part.
 */
export interface RunLine {
  event: 'run';
  run_id: string;
  part: number;
  runbook: RunbookInfo;
  mode: RunMode;
  user: string;
  host: string;
  started_at: string;
  ended_at: string | null;
  status: RunState;
  duration_ms: number | null;
  findings: string[];
  stopped: Stopped | null;
  incident?: string;
  escalated?: string[];
}

/** A file in the runs directory that is not a run's journal: listed so it is not read again. */
export interface UnreadableLine {
  event: 'unreadable';
  run_id: string;
}

export type IndexLine = StartLine | EndLine | RunLine | UnreadableLine;

/** What the index says of one run. */
export interface IndexEntry {
  run_id: string;
  /** The start line of its first part (or the run's own line). */
  first: StartLine | RunLine | undefined;
  /** The start line of its latest part that has one. */
  latest: StartLine | undefined;
  /** The last end line (or run line) of its latest part that has one. */
  end: EndLine | RunLine | undefined;
  /** Its latest part, from any line. */
  lastPart: number;
  unreadable: boolean;
}

/** A name a run can have: what newRunId() makes, and nothing that leaves the directory. */
export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id);
}

/** Appends lines to the index in one write (O_APPEND: lines of other runs are never overwritten). */
export function appendIndex(runsDir: string, lines: readonly IndexLine[]): void {
  if (lines.length === 0) return;
  const fd = openSync(
    indexPath(runsDir),
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeAll(fd, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  } finally {
    closeSync(fd);
  }
}

/** Replaces the index at once (a rebuild). Throws StateIoError. */
export function writeIndex(runsDir: string, lines: readonly IndexLine[]): void {
  writeAtomic(indexPath(runsDir), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
}

/** The index's lines; undefined when it is missing or not to be trusted (not this user's own). */
export function readIndex(runsDir: string): IndexLine[] | undefined {
  const text = readOwnFile(indexPath(runsDir));
  return text === undefined ? undefined : parseIndex(text);
}

/**
 * The lines of the index's text. A line that is not one (a writer killed mid-line, whose torn
 * piece the next append then continued) is left out; a whole line appended after such a piece is
 * found again, since a line always starts with `{"event":`, which no JSON string can hold as is.
 */
export function parseIndex(text: string): IndexLine[] {
  // Whole lines, the usual case, are read in one parse (several times faster than one a line).
  if (text.endsWith('}\n') && !text.includes('\n\n')) {
    try {
      const all = JSON.parse(`[${text.slice(0, -1).replaceAll('\n', ',')}]`) as unknown[];
      if (all.every((value) => checkLine(value) !== undefined)) return all as IndexLine[];
    } catch {
      // A torn line: read line by line.
    }
  }
  const lines: IndexLine[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const line = parseLine(raw) ?? parseLine(raw.slice(Math.max(0, raw.lastIndexOf('{"event":'))));
    if (line) lines.push(line);
  }
  return lines;
}

function parseLine(text: string): IndexLine | undefined {
  return checkLine(tryParseJson(text));
}

function checkLine(value: unknown): IndexLine | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const line = value as Partial<IndexLine> & { part?: unknown };
  if (typeof line.run_id !== 'string' || !isRunId(line.run_id)) return undefined;
  switch (line.event) {
    case 'unreadable':
      return line as UnreadableLine;
    case 'start':
      return Number.isInteger(line.part) &&
        typeof line.started_at === 'string' &&
        typeof line.pid === 'number'
        ? (line as StartLine)
        : undefined;
    case 'run':
      return Number.isInteger(line.part) &&
        typeof line.status === 'string' &&
        Array.isArray(line.findings) &&
        typeof line.started_at === 'string' &&
        typeof line.runbook === 'object' &&
        line.runbook !== null
        ? (line as RunLine)
        : undefined;
    case 'end':
      return Number.isInteger(line.part) &&
        typeof line.status === 'string' &&
        Array.isArray(line.findings)
        ? (line as EndLine)
        : undefined;
    default:
      return undefined;
  }
}

/** The index's lines by run: for each part, its last start and end line. */
export function entriesOf(lines: readonly IndexLine[]): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  for (const line of lines) {
    let entry = entries.get(line.run_id);
    if (!entry) {
      entry = {
        run_id: line.run_id,
        first: undefined,
        latest: undefined,
        end: undefined,
        lastPart: 0,
        unreadable: false,
      };
      entries.set(line.run_id, entry);
    }
    if (line.event === 'unreadable') {
      entry.unreadable = true;
      continue;
    }
    if (line.event === 'start') {
      if (line.part === 1) entry.first = line;
      if (line.part >= (entry.latest?.part ?? 0)) entry.latest = line;
    } else {
      if (line.event === 'run') entry.first = line;
      if (line.part >= (entry.end?.part ?? 0)) entry.end = line;
    }
    if (line.part > entry.lastPart) entry.lastPart = line.part;
  }
  return entries;
}

/**
 * The history line of a run from the index alone; undefined when the index cannot tell (its first
 * part's start or its latest part's end is not there): the journal says.
 */
export function summaryOfEntry(entry: IndexEntry): RunSummary | undefined {
  const { first, end } = entry;
  if (!first?.runbook || !end || end.part !== entry.lastPart) return undefined;
  return {
    run_id: entry.run_id,
    runbook: first.runbook,
    mode: first.mode,
    user: first.user,
    host: first.host,
    started_at: first.started_at,
    ended_at: end.ended_at ?? undefined,
    duration_ms: end.duration_ms ?? undefined,
    status: end.status,
    stopped: end.stopped ?? undefined,
    findings: end.findings,
    parts: entry.lastPart,
    ...(first.incident === undefined ? {} : { incident: first.incident }),
    ...escalatedField(end.escalated),
  };
}

/** `escalated`, when it names anyone: from an index line, only its strings. */
function escalatedField(escalated: unknown): { escalated?: string[] } {
  if (!Array.isArray(escalated)) return {};
  const names = escalated.filter((name): name is string => typeof name === 'string');
  return names.length > 0 ? { escalated: names } : {};
}

/** Whom a run's escalation rules said to escalate to, each once, in the order they fired. */
export function escalatedOf(events: readonly EngineEvent[]): string[] {
  const names = new Set<string>();
  for (const event of events)
    if (event.type === 'escalation.due' || event.type === 'escalation.triggered')
      names.add(event.to);
  return [...names];
}

/** The start line of a part, from its run.start or run.resume event. */
export function startLine(
  event: Extract<EngineEvent, { type: 'run.start' | 'run.resume' }>,
  pidStart: string | undefined,
): StartLine {
  return {
    event: 'start',
    run_id: event.run_id,
    part: event.type === 'run.start' ? 1 : event.part,
    ...(event.type === 'run.start' ? { runbook: event.runbook } : {}),
    mode: event.mode,
    user: event.user,
    host: event.host,
    pid: event.pid,
    ...(pidStart === undefined ? {} : { pid_start: pidStart }),
    started_at: event.ts,
    ...(event.type === 'run.start' && event.incident !== undefined
      ? { incident: event.incident }
      : {}),
  };
}

/** The end line of a run whose latest part has ended (or crashed). */
export function endLine(record: RunRecord): EndLine {
  return {
    event: 'end',
    run_id: record.run_id,
    part: record.parts.at(-1)?.part ?? 1,
    ended_at: record.ended_at ?? null,
    status: record.status,
    duration_ms: record.duration_ms ?? null,
    findings: record.findings,
    stopped: record.stopped ?? null,
    ...escalatedField(escalatedOf(record.events)),
  };
}

/**
 * Every line the index holds of a run, read from its journal (a rebuild). `alive`: the process of
 * its last part may still run, so a journal without an end is not yet known to be crashed.
 */
export function linesOfRecord(record: RunRecord, alive: boolean): IndexLine[] {
  if (record.parts.at(-1)?.ended_at !== undefined || !alive)
    return [runLine(summaryOfRecord(record))];
  return record.parts.map((part) => ({
    event: 'start',
    run_id: record.run_id,
    part: part.part,
    ...(part.part === 1 ? { runbook: record.runbook } : {}),
    mode: part.mode,
    user: part.user,
    host: part.host,
    pid: part.pid,
    started_at: part.started_at,
    ...(part.part === 1 && record.incident !== undefined ? { incident: record.incident } : {}),
  }));
}

/** A finished run's one line. */
export function runLine(summary: RunSummary): RunLine {
  return {
    event: 'run',
    run_id: summary.run_id,
    part: summary.parts,
    runbook: summary.runbook,
    mode: summary.mode,
    user: summary.user,
    host: summary.host,
    started_at: summary.started_at,
    ended_at: summary.ended_at ?? null,
    status: summary.status,
    duration_ms: summary.duration_ms ?? null,
    findings: summary.findings,
    stopped: summary.stopped ?? null,
    ...(summary.incident === undefined ? {} : { incident: summary.incident }),
    ...escalatedField(summary.escalated),
  };
}

/**
 * The index again, one line a run where it can be (the runs in `keep` only): what a compaction
 * writes once runs have added a start and an end line each.
 */
export function compactLines(
  entries: ReadonlyMap<string, IndexEntry>,
  keep: ReadonlySet<string>,
): IndexLine[] {
  const lines: IndexLine[] = [];
  for (const entry of entries.values()) {
    if (!keep.has(entry.run_id)) continue;
    if (entry.unreadable) {
      lines.push({ event: 'unreadable', run_id: entry.run_id });
      continue;
    }
    const summary = summaryOfEntry(entry);
    if (summary) lines.push(runLine(summary));
    else
      for (const line of new Set([entry.first, entry.latest, entry.end]))
        if (line) lines.push(line);
  }
  return lines;
}

/** What a run is, as a history line. */
export function summaryOfRecord(record: RunRecord): RunSummary {
  return {
    run_id: record.run_id,
    runbook: record.runbook,
    mode: record.mode,
    user: record.user,
    host: record.host,
    started_at: record.started_at,
    ended_at: record.ended_at,
    duration_ms: record.duration_ms,
    status: record.status,
    stopped: record.stopped,
    findings: record.findings,
    parts: record.parts.length,
    ...(record.incident === undefined ? {} : { incident: record.incident }),
    ...escalatedField(escalatedOf(record.events)),
  };
}
