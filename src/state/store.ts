import type { EngineEvent, RunMode } from '../engine/events.js';
import type { HeldLock, LockHolder } from './lock.js';
import type { RunRecord, RunState } from './run-record.js';

/**
 * Where runbook keeps what outlives a command: run journals, the index history lists them from,
 * and the locks that keep two runs of a runbook apart. Commands reach it only through this
 * interface, so another store (a team's PostgreSQL) can take the place of the local files without
 * the engine or the commands changing (docs/architecture.md#state).
 */
export interface StateStore {
  /** What it is, for messages: `files in ~/.local/state/runbook`. */
  readonly description: string;
  /** Where runs are kept, for messages: a directory, a database. */
  readonly runsLocation: string;
  /** Whether it holds the runs of everyone who uses it (a team database), not one machine's. */
  readonly shared: boolean;

  /**
   * Starts the journal of a new run. Throws StateIoError or UnsafeStateError. Events are written
   * to the local journal file first, as they happen, whatever the store (docs/state.md).
   */
  createJournal(runId: string): Promise<JournalSink>;
  /** Opens the journal of an existing run to append its next part (`runbook resume`). */
  appendJournal(runId: string): Promise<JournalSink>;

  /**
   * The record of one run; undefined when there is no such run. Throws StateIoError when it exists
   * but cannot be read.
   */
  readRun(runId: string): Promise<RunRecord | undefined>;
  /**
   * Runs, newest first, as the index has them (see RunFilter). Never fails on a crashed run's
   * journal; what is not a run's at all is left out and named in `skipped`.
   */
  listRuns(filter: RunFilter): Promise<RunList>;

  /** One run at a time per runbook and per `on:` host (see lock.ts). Throws LockedError. */
  acquireLocks(names: readonly string[], holder: LockHolder, force: boolean): Promise<HeldLock>;

  /** Lets go of what the store holds open (a database connection); nothing for files. */
  close(): Promise<void>;
  /** Starts what its first use will need (a database's client and connection), not waiting. */
  prepare?(): void;

  /**
   * Approvals by another person (`approval:`), where others can give them: the team database.
   * Absent for the local files, which no other person may write (docs/state.md#approvals).
   */
  readonly approvals?: ApprovalBook;
}

/** A step waiting for, or given, another person's approval. */
export interface Approval {
  run_id: string;
  step: string;
  /** Who runs it: never the one who approves. */
  runner: string;
  /** `other`, or the group of approvers. */
  by: string;
  /** Who may approve: the group's members; null for anyone but the runner. */
  approvers: string[] | null;
  requested_at: string;
  approved_by: string | null;
  approved_host: string | null;
  approved_at: string | null;
}

export interface ApprovalBook {
  /** Asks for an approval (again: the request is renewed, an approval given is kept). */
  request(
    request: Pick<Approval, 'run_id' | 'step' | 'runner' | 'by' | 'approvers'>,
  ): Promise<void>;
  read(runId: string, step: string): Promise<Approval | undefined>;
  /** The steps of a run that wait for an approval nobody gave yet (`runbook status`). */
  waiting(runId: string): Promise<Array<Pick<Approval, 'step' | 'by' | 'approvers'>>>;
  /** Records that `by` approved; false when it was approved already. */
  give(runId: string, step: string, by: string, host: string): Promise<boolean>;
}

/** Where a run's events go, as they happen. */
export interface JournalSink {
  /** Where a person can find it: a file path, or a database's run id. */
  readonly location: string;
  /** Records one event; throws StateIoError when it could not (the event is then not in it). */
  write(event: EngineEvent): void;
  /** Makes what was written survive a crash of the machine (at step boundaries). */
  sync(): void;
  close(): void;
  /**
   * Waits, at most `timeoutMs`, until every event written is where others read it: at once for
   * files; for a database, once its writer has sent them all. Says, when some are still only in
   * the local journal, where they are and how they will be sent; undefined when none are.
   */
  settle(timeoutMs: number): Promise<string | undefined>;
}

/** Which runs to list. */
export interface RunFilter {
  runbook?: string;
  /** Runs started at or after this time. */
  since?: Date;
  status?: RunState;
  mode?: RunMode;
  /** Only the runs this user started (a database store; the files are one user's already). */
  user?: string;
  /** Only the runs of this incident (`run --incident`). */
  incident?: string;
  /** At most this many, the newest. */
  limit?: number;
}

/** What listRuns found. */
export interface RunList {
  /** The runs that match, newest first. */
  runs: RunSummary[];
  /** How many runs the store holds, matching or not. */
  total: number;
  /** How many runs match the filter, `limit` aside. */
  matching: number;
  /** Where the runs are, for a person: a directory, a database. */
  location: string;
  /** What looked like a run but is not one (a file that is not a journal): to warn about. */
  skipped: string[];
}

/**
 * How a store tells whether a run's process still runs (src/exec/process-tree.ts gives one): when
 * the process `pid` started, as clock ticks after boot (`ticks`, which with the pid names one
 * process even once its pid is reused) and as milliseconds since the epoch (`ms`). Undefined when
 * there is no such process (or only a zombie); a field is absent when it cannot be known.
 */
export interface ProcessProbe {
  start(pid: number): { ticks?: string; ms?: number } | undefined;
}

/** A run in a list: what one line of `runbook history` shows. */
export type RunSummary = Pick<
  RunRecord,
  | 'run_id'
  | 'runbook'
  | 'mode'
  | 'user'
  | 'host'
  | 'started_at'
  | 'ended_at'
  | 'duration_ms'
  | 'status'
  | 'stopped'
  | 'findings'
> & {
  parts: number;
  incident?: string;
  /** To whom its escalation rules said to escalate, in the order they fired; absent when none
   * fired (and for runs recorded before it was kept). */
  escalated?: string[];
};
