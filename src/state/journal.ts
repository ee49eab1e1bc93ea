import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { monotonicMs } from '../common/clock.js';
import { setOwn } from '../common/own.js';
import { createAppendOnly, secureDir, StateIoError } from '../common/state-files.js';
import type { EngineEvent } from '../engine/events.js';

/** `$RUNBOOK_STATE_DIR`, else the config's `state_dir`, else `$XDG_STATE_HOME/runbook`. */
export function stateDirectory(
  env: Record<string, string | undefined>,
  configured: string | undefined,
): string {
  if (env.RUNBOOK_STATE_DIR) return resolve(env.RUNBOOK_STATE_DIR);
  if (configured) return configured;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'runbook');
}

/** A new run id: sortable by time, unique enough for one machine. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const random = Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${random}`;
}

/** A longer string (a response body, a log dump) keeps its first this many characters. */
export const JOURNAL_STRING_CHARS = 8192;
/**
 * A value set by `capture:` keeps this many: later steps read it, and `runbook resume` restores it
 * from the journal, so it is kept whole unless it is past this much larger bound.
 */
export const JOURNAL_CAPTURE_CHARS = 1024 * 1024;

/** Long strings (a response body, a log dump) are kept to their first `bound` characters, with
 * the count of those left out; `cut` is told when one was. */
function summarize(value: unknown, bound: number, cut?: () => void): unknown {
  if (typeof value === 'string') {
    if (value.length <= bound) return value;
    cut?.();
    return `${value.slice(0, bound)}… [${value.length - bound} more characters]`;
  }
  if (Array.isArray(value)) return value.map((inner) => summarize(inner, bound, cut));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      setOwn(out, key, summarize(inner, bound, cut));
    return out;
  }
  return value;
}

/** An event as the journal keeps it: long strings cut (captured values at their own, larger
 * bound), and a step's outputs that were cut named in `cut_outputs`. */
function journalled(event: EngineEvent): unknown {
  if (event.type !== 'step.end') return summarize(event, JOURNAL_STRING_CHARS);
  const { outputs, ...rest } = event;
  const captured = new Set(event.captured ?? []);
  const kept: Record<string, unknown> = {};
  const cut: string[] = [...(event.cut_outputs ?? [])];
  for (const [name, value] of Object.entries(outputs)) {
    const bound = captured.has(name) ? JOURNAL_CAPTURE_CHARS : JOURNAL_STRING_CHARS;
    setOwn(
      kept,
      name,
      summarize(value, bound, () => {
        if (!cut.includes(name)) cut.push(name);
      }),
    );
  }
  return {
    ...(summarize(rest, JOURNAL_STRING_CHARS) as object),
    outputs: kept,
    ...(cut.length > 0 ? { cut_outputs: cut } : {}),
  };
}

/** Events after which the journal is made to survive a crash of the machine (fdatasync): the
 * run's start and end at once, a step's end within SYNC_WINDOW_MS. Events between them are
 * written (a killed process loses none of them), not synced. */
const SYNCED_AT_ONCE: ReadonlySet<EngineEvent['type']> = new Set([
  'run.start',
  'run.resume',
  'run.end',
]);

/**
 * A step's end is synced at once when the journal was last synced this long ago or more, and
 * otherwise this long after that sync (a timer), together with the ends that came meanwhile: steps
 * further apart than this are each synced as they end, and a burst of quick steps shares one sync.
 * A sync costs milliseconds on a real disk; after each of 50 trivial steps it would cost more than
 * the steps (docs/performance.md#durable-journal).
 */
export const SYNC_WINDOW_MS = 250;

/** The append-only event log of one run: JSON Lines, each event written (and so flushed to the
 * kernel) as it happens, so a killed process loses nothing that was reported. An event is written
 * whole or not at all: a write that fails part-way (a full disk) is cut back off the file. At step
 * boundaries the file's data is synced to the disk (fdatasync; see SYNC_WINDOW_MS), so that a
 * machine that stops loses no step that ended more than SYNC_WINDOW_MS before. */
export class Journal {
  readonly path: string;
  #fd: number | undefined;
  #size = 0;
  /** When the journal was last synced (monotonicMs). */
  #syncedAt = -Infinity;
  /** A step's end waits for this timer to be synced. */
  #syncTimer: NodeJS.Timeout | undefined;
  /** A sync the timer made failed: the next write says so. */
  #syncError: unknown;

  private constructor(path: string, fd: number, size = 0) {
    this.path = path;
    this.#fd = fd;
    this.#size = size;
  }

  /** Throws UnsafeStateError (the directory is not safe to use) or StateIoError. */
  static open(stateDir: string, runId: string): Journal {
    const path = journalPath(stateDir, runId);
    try {
      return new Journal(path, createAppendOnly(path));
    } catch (error) {
      throw new StateIoError(`cannot create the run journal ${path}`, error);
    }
  }

  /**
   * Opens the journal of an existing run to append its next part (`runbook resume`). A torn last
   * line (the process was killed while writing it) is ended with a newline first, so that the new
   * events start on a line of their own; readers count it as a line that is not an event.
   * Throws StateIoError.
   */
  static append(stateDir: string, runId: string): Journal {
    const path = journalPath(stateDir, runId);
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW);
      let size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) size += writeSync(fd, '\n');
      }
      return new Journal(path, fd, size);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      throw new StateIoError(`cannot append to the run journal ${path}`, error);
    }
  }

  /**
   * Throws StateIoError when the event could not be written; the file then ends as before. Gives
   * the event's line as written, without its newline (another store sends it on as it is).
   */
  write(event: EngineEvent): string | undefined {
    if (this.#fd === undefined) return undefined;
    if (this.#syncError !== undefined) {
      const error = this.#syncError;
      this.#syncError = undefined;
      throw new StateIoError(`cannot sync the run journal ${this.path}`, error);
    }
    const text = JSON.stringify(journalled(event));
    const line = Buffer.from(`${text}\n`, 'utf8');
    try {
      let offset = 0;
      while (offset < line.length)
        offset += writeSync(this.#fd, line, offset, line.length - offset);
      this.#size += line.length;
      if (SYNCED_AT_ONCE.has(event.type)) this.#syncNow();
      else if (event.type === 'step.end') this.#syncSoon();
      return text;
    } catch (error) {
      try {
        ftruncateSync(this.#fd, this.#size);
      } catch {
        // Readers skip a torn last line all the same.
      }
      throw new StateIoError(`cannot write the run journal ${this.path}`, error);
    }
  }

  /** Makes what was written survive a crash of the machine. Throws StateIoError. */
  sync(): void {
    if (this.#fd === undefined) return;
    try {
      this.#syncNow();
    } catch (error) {
      throw new StateIoError(`cannot sync the run journal ${this.path}`, error);
    }
  }

  #syncNow(): void {
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    if (this.#fd === undefined) return;
    fdatasyncSync(this.#fd);
    this.#syncedAt = monotonicMs();
  }

  /** Syncs now when the last sync is SYNC_WINDOW_MS old, else when it will be. */
  #syncSoon(): void {
    const since = monotonicMs() - this.#syncedAt;
    if (since >= SYNC_WINDOW_MS) {
      this.#syncNow();
      return;
    }
    this.#syncTimer ??= setTimeout(() => {
      try {
        this.#syncNow();
      } catch (error) {
        this.#syncError = error;
      }
    }, SYNC_WINDOW_MS - since);
    this.#syncTimer.unref();
  }

  close(): void {
    if (this.#fd === undefined) return;
    // What waits for its sync is synced before the file is let go.
    if (this.#syncTimer !== undefined) {
      try {
        this.#syncNow();
      } catch {
        // The events are written; a killed process would lose none of them.
      }
    }
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Where the journal of a run is: `<stateDir>/runs/<run-id>.jsonl` (the directory made safe). */
export function journalPath(stateDir: string, runId: string): string {
  return join(secureDir(stateDir, 'runs'), `${runId}.jsonl`);
}
