import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { readOwnFile, secureDir, StateIoError } from '../common/state-files.js';
import type { EngineEvent } from '../engine/events.js';
import { Journal } from './journal.js';
import { readJournal, type JournalRead } from './journal-reader.js';
import { acquireLocks, type HeldLock, type LocalLock, type LockHolder } from './lock.js';
import { runRecord, type RunRecord } from './run-record.js';
import {
  appendIndex,
  compactLines,
  endLine,
  entriesOf,
  isRunId,
  linesOfRecord,
  readIndex,
  startLine,
  summaryOfEntry,
  summaryOfRecord,
  writeIndex,
  type IndexLine,
} from './run-index.js';
import type {
  JournalSink,
  ProcessProbe,
  RunFilter,
  RunList,
  RunSummary,
  StateStore,
} from './store.js';

/**
 * A run's process, judged without its exact start time, is taken for the run when it started no
 * later than this after the run's first event: /proc's start times are in clock ticks, the boot
 * time they count from is known to a few milliseconds, and a process writes its run.start after it
 * started. A reused pid belongs to a process started after the run's own ended.
 */
const START_SLACK_MS = 2000;

/** The index is compacted when it holds this many lines more than one and a half a run. */
const COMPACT_SLACK = 50;

/**
 * The embedded state store: files under the state directory (docs/architecture.md#state).
 * `runs/<run-id>.jsonl` are the journals (src/state/journal.ts), `runs-index.jsonl` (beside `runs/`) the index
 * history reads (src/state/run-index.ts), `locks/` the locks (src/state/lock.ts). Opening one
 * touches no file: a command pays only for what it reads.
 */
export class FileStateStore implements StateStore {
  readonly description: string;
  readonly shared = false;
  readonly stateDir: string;
  readonly #probe: ProcessProbe;
  readonly #host = hostname();

  constructor(stateDir: string, probe: ProcessProbe) {
    this.stateDir = stateDir;
    this.#probe = probe;
    this.description = `files in ${stateDir}`;
  }

  get runsLocation(): string {
    return this.#runsDir;
  }

  get #runsDir(): string {
    return join(this.stateDir, 'runs');
  }

  createJournal(runId: string): Promise<JournalSink> {
    return Promise.resolve(this.journalSink(runId, false));
  }

  appendJournal(runId: string): Promise<JournalSink> {
    return Promise.resolve(this.journalSink(runId, true));
  }

  /**
   * The local journal of a run, new or appended to, and the events it holds already: the spool
   * another store sends on from (src/state/pg-store.ts). Throws StateIoError, UnsafeStateError.
   */
  journalSink(runId: string, append: boolean): LocalSink {
    if (!append) return { ...this.#sink(Journal.open(this.stateDir, runId), []), earlier: 0 };
    const journal = Journal.append(this.stateDir, runId);
    const earlier = readJournal(journal.path).events.map(withoutOutputs);
    const count = earlier.length;
    return { ...this.#sink(journal, earlier), earlier: count };
  }

  acquireLocks(names: readonly string[], holder: LockHolder, force: boolean): Promise<HeldLock> {
    return Promise.resolve(this.acquireLocksNow(names, holder, force));
  }

  /** acquireLocks, at once: for `runbook check`, whose locks are always this machine's. */
  acquireLocksNow(names: readonly string[], holder: LockHolder, force: boolean): LocalLock {
    return acquireLocks(this.stateDir, names, holder, force);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  readRun(runId: string): Promise<RunRecord | undefined> {
    return Promise.resolve(this.readRunNow(runId));
  }

  readRunNow(runId: string): RunRecord | undefined {
    if (!isRunId(runId)) return undefined;
    const read = this.#readJournal(runId);
    return read && this.#record(read, this.#runningRecordStart(runId)).record;
  }

  listRuns(filter: RunFilter): Promise<RunList> {
    return Promise.resolve(this.listRunsNow(filter));
  }

  listRunsNow(filter: RunFilter): RunList {
    const runsDir = this.#runsDir;
    const location = runsDir;
    let names: string[];
    try {
      names = readdirSync(runsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { runs: [], total: 0, matching: 0, location, skipped: [] };
      throw new StateIoError(`cannot read ${runsDir}`, error);
    }
    // The directory is trusted as the journals' writer trusts it, or not at all.
    secureDir(this.stateDir, 'runs');
    const ids = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.jsonl') || name.startsWith('.')) continue;
      const id = name.slice(0, -'.jsonl'.length);
      if (isRunId(id)) ids.add(id);
    }

    // The index, completed with the journals it does not list (or rebuilt: it is missing).
    const indexed = readIndex(runsDir);
    const lines: IndexLine[] = indexed ?? [];
    const known = entriesOf(lines);
    const added: IndexLine[] = [];
    for (const id of ids) if (!known.has(id)) added.push(...this.#linesFromJournal(id));
    lines.push(...added);
    try {
      if (indexed === undefined) writeIndex(runsDir, lines);
      else appendIndex(runsDir, added);
    } catch {
      // A state directory this user cannot write: the listing is right all the same.
    }

    const since = filter.since?.getTime();
    const runs: RunSummary[] = [];
    const skipped: string[] = [];
    const crashed: IndexLine[] = [];
    let total = 0;
    const entries = entriesOf(lines);
    for (const entry of entries.values()) {
      // A journal removed by hand is a run forgotten.
      if (!ids.has(entry.run_id)) continue;
      if (entry.unreadable) {
        skipped.push(`${entry.run_id}.jsonl`);
        continue;
      }
      total++;
      // What the first part's start line tells is enough to leave a run out without its journal.
      const { first } = entry;
      if (first?.runbook && !matchesStart(filter, since, first)) continue;
      let summary = summaryOfEntry(entry);
      if (!summary) {
        // A run without an end in the index: running, crashed, or its end line was lost.
        const read = this.#readJournal(entry.run_id, true);
        if (!read) continue;
        const start = entry.latest;
        const { record, alive } = this.#record(
          read,
          start?.pid_start === undefined
            ? this.#runningRecordStart(entry.run_id)
            : { pid: start.pid, start: start.pid_start },
        );
        if (!record) {
          skipped.push(`${entry.run_id}.jsonl`);
          continue;
        }
        if (record.parts.at(-1)?.ended_at !== undefined || !alive) crashed.push(endLine(record));
        summary = summaryOfRecord(record);
      }
      if (matchesStart(filter, since, summary) && matches(filter, summary)) runs.push(summary);
    }
    try {
      // Once most runs have a start and an end line, one line a run is read faster.
      if (indexed !== undefined && lines.length > entries.size * 1.5 + COMPACT_SLACK) {
        writeIndex(runsDir, compactLines(entriesOf([...lines, ...crashed]), ids));
      } else appendIndex(runsDir, crashed);
    } catch {
      // Found again next time.
    }
    runs.sort((a, b) =>
      a.started_at === b.started_at
        ? compare(b.run_id, a.run_id)
        : compare(b.started_at, a.started_at),
    );
    const matching = runs.length;
    if (filter.limit !== undefined) runs.splice(filter.limit);
    return { runs, total, matching, location, skipped: skipped.sort() };
  }

  /** A sink that writes the journal, and the index lines of the run's start and end. */
  #sink(journal: Journal, earlier: EngineEvent[]): Omit<LocalSink, 'earlier'> {
    const runsDir = dirname(journal.path);
    // The run's events, as written (a step's outputs left out): its summary at the end is made
    // from them, over every part, without reading the journal back.
    const events = earlier;
    const index = (event: EngineEvent): void => {
      try {
        if (event.type === 'run.start' || event.type === 'run.resume')
          appendIndex(runsDir, [startLine(event, this.#probe.start(event.pid)?.ticks)]);
        else if (event.type === 'run.end') {
          const record = runRecord(
            { path: journal.path, events, torn: false, unreadable: 0 },
            false,
          );
          if (record) appendIndex(runsDir, [endLine(record)]);
        }
      } catch {
        // The index is completed from the journals when read (run-index.ts).
      }
    };
    return {
      location: journal.path,
      write: (event) => {
        const line = journal.write(event);
        // Kept without a step's outputs (which may be megabytes): the summary needs none.
        events.push(withoutOutputs(event));
        if (event.type === 'run.start' || event.type === 'run.resume' || event.type === 'run.end')
          index(event);
        return line;
      },
      sync: () => journal.sync(),
      close: () => journal.close(),
      settle: () => Promise.resolve(undefined),
    };
  }

  /** A journal as read; undefined when there is none. `quiet`: one that cannot be read is none. */
  #readJournal(runId: string, quiet = false): JournalRead | undefined {
    try {
      return readJournal(join(this.#runsDir, `${runId}.jsonl`));
    } catch (error) {
      if (quiet || (error instanceof StateIoError && error.code === 'ENOENT')) return undefined;
      throw error;
    }
  }

  /** The index lines of a journal the index does not list. */
  #linesFromJournal(runId: string): IndexLine[] {
    const read = this.#readJournal(runId, true);
    if (!read) return [];
    const { record, alive } = this.#record(read, this.#runningRecordStart(runId));
    if (record) return linesOfRecord(record, alive);
    // An empty journal is a run being created: its first event is on its way.
    if (read.events.length === 0 && !read.torn && read.unreadable === 0) return [];
    return [{ event: 'unreadable', run_id: runId }];
  }

  /** A run's record, and whether the process of its last part (when it has not ended) still runs. */
  #record(
    read: JournalRead,
    known: KnownStart | undefined,
  ): { record: RunRecord | undefined; alive: boolean } {
    let last: EngineEvent | undefined;
    for (let i = read.events.length - 1; i >= 0 && !last; i--) {
      const event = read.events[i];
      if (event?.type === 'run.start' || event?.type === 'run.resume' || event?.type === 'run.end')
        last = event;
    }
    const alive =
      (last?.type === 'run.start' || last?.type === 'run.resume') &&
      this.#alive(
        last.host,
        last.pid,
        last.ts,
        // The part's own record of its process's start, else the running record's.
        last.pid_start ?? (known?.pid === last.pid ? known.start : undefined),
      );
    return { record: runRecord(read, alive), alive };
  }

  /**
   * Whether the process that started a part at `startedAt` still runs: the pid's process now is
   * the same one (its start time is the one recorded, or none later than the part's start). On
   * another host it cannot be known, and is taken to run.
   */
  #alive(host: string, pid: number, startedAt: string, pidStart: string | undefined): boolean {
    if (host !== this.#host) return true;
    const now = this.#probe.start(pid);
    if (!now) return false;
    if (pidStart !== undefined && now.ticks !== undefined) return now.ticks === pidStart;
    if (now.ms === undefined) return true;
    return now.ms <= Date.parse(startedAt) + START_SLACK_MS;
  }

  /** The start time of a real run's process, from its record in `running/` (src/exec/leftovers.ts). */
  #runningRecordStart(runId: string): KnownStart | undefined {
    const text = readOwnFile(join(this.stateDir, 'running', `${runId}.json`));
    if (text === undefined) return undefined;
    try {
      const entry = JSON.parse(text) as { pid?: unknown; pid_start?: unknown };
      return typeof entry.pid === 'number' && typeof entry.pid_start === 'string'
        ? { pid: entry.pid, start: entry.pid_start }
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A local journal: what it writes gives the line written (undefined once closed), and
 * `earlier` counts the events it held before (those of a resumed run's earlier parts). */
export interface LocalSink extends JournalSink {
  write(event: EngineEvent): string | undefined;
  earlier: number;
}

/** A process's start time (clock ticks after boot) as recorded when its run started. */
interface KnownStart {
  pid: number;
  start: string;
}

function matchesStart(
  filter: RunFilter,
  since: number | undefined,
  start: {
    runbook?: { id: string } | undefined;
    mode: string;
    user: string;
    started_at: string;
    incident?: string | undefined;
  },
): boolean {
  if (filter.runbook !== undefined && start.runbook?.id !== filter.runbook) return false;
  if (filter.mode !== undefined && start.mode !== filter.mode) return false;
  if (filter.user !== undefined && start.user !== filter.user) return false;
  if (filter.incident !== undefined && start.incident !== filter.incident) return false;
  if (since !== undefined && !(Date.parse(start.started_at) >= since)) return false;
  return true;
}

function matches(filter: RunFilter, summary: RunSummary): boolean {
  return filter.status === undefined || summary.status === filter.status;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An event as a run's summary needs it: a step's end without its outputs. */
function withoutOutputs(event: EngineEvent): EngineEvent {
  return event.type === 'step.end' ? { ...event, outputs: {} } : event;
}
