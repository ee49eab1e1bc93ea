import { closeSync, linkSync, lstatSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  createExclusive,
  readOwnFile,
  secureDir,
  StateIoError,
  UnsafeStateError,
  writeAll,
  writeAtomic,
} from '../common/state-files.js';
import { RunbookError } from '../common/errors.js';

/** Who holds a lock: enough for the person refused to find them. */
export interface LockHolder {
  run_id: string;
  pid: number;
  user: string;
  host: string;
  started_at: string;
  runbook: string;
  /** The step it is at, when the store knows (the team database does). */
  step?: string;
  /** The database session holding the lock (the team database's store only). */
  backend_pid?: number;
}

/** Another run holds the lock. The caller says how to take it over (`force`), if it may. */
export class LockedError extends RunbookError {
  /** What the lock is of: `runbook <id>`, `host <name>`. */
  readonly what: string;
  readonly holder: LockHolder;
  constructor(what: string, holder: LockHolder, hint?: string) {
    super(
      'declined',
      `${what} is being run by ${holder.user} (run ${holder.run_id}, pid ${holder.pid} on ${holder.host}, since ${holder.started_at}${holder.step === undefined ? '' : `, at step ${holder.step}`})`,
      hint,
    );
    this.what = what;
    this.holder = holder;
  }
}

export interface HeldLock {
  /** Locks taken over from runs whose process had died. */
  takenOver: Array<{ name: string; holder: LockHolder; alive: boolean }>;
  /** Lets the locks go: at once for files; a database's resolves once it has. */
  release(): void | Promise<void>;
}

/** The local files' locks: let go at once. */
export type LocalLock = Omit<HeldLock, 'release'> & { release(): void };

/** A takeover in progress is a few file operations; one this old was left by a killed process. */
const STALE_TAKEOVER_MS = 10_000;
/** How long to wait for another process's takeover of the same lock to finish. */
const TAKEOVER_WAIT_MS = 15_000;

/**
 * One run at a time per runbook (and per `on:` host): a lock file in the state directory, created
 * exclusively, holding who runs. A lock whose process is gone is taken over; `force` takes any.
 *
 * Taking over is the one step where several processes may act on the same file: each of them must
 * first create `<lock>.takeover` exclusively, so exactly one replaces the lock (atomically, by
 * rename), and the others then find a live holder.
 */
export function acquireLocks(
  stateDir: string,
  names: readonly string[],
  holder: LockHolder,
  force: boolean,
): LocalLock {
  const dir = secureDir(stateDir, 'locks');
  const taken: string[] = [];
  const takenOver: HeldLock['takenOver'] = [];
  const release = (): void => {
    for (const file of taken.splice(0)) {
      if (readHolder(file)?.run_id !== holder.run_id) continue;
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    for (const name of names) {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
      const previous = acquire(file, name, holder, force);
      if (previous) takenOver.push({ name, holder: previous, alive: isAlive(previous) });
      taken.push(file);
    }
  } catch (error) {
    release();
    if (error instanceof RunbookError) throw error;
    throw new StateIoError('cannot take the run lock', error);
  }
  return { takenOver, release };
}

/** Takes one lock; returns the holder it was taken from, if any. */
function acquire(
  file: string,
  name: string,
  holder: LockHolder,
  force: boolean,
): LockHolder | undefined {
  const body = `${JSON.stringify(holder)}\n`;
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    if (createWith(file, body)) return undefined;
    const current = readLock(file);
    if (current && !force && isAlive(current)) throw lockedBy(name, current);
    const takeover = `${file}.takeover`;
    if (createWith(takeover, body)) {
      try {
        // Still the lock judged dead (or forced)? Then this process alone replaces it.
        const now = readLock(file);
        if (sameHolder(now, current)) {
          writeAtomic(file, body);
          return current;
        }
      } finally {
        try {
          unlinkSync(takeover);
        } catch {
          // Removed as stale by another process, after a pause of this one past STALE_TAKEOVER_MS.
        }
      }
      continue;
    }
    // Another process is taking it over; wait for the outcome, unless it died doing so. A takeover
    // already gone ended meanwhile: look at the lock again (not "stale": removing it would remove
    // the next process's).
    const age = ageMs(takeover);
    if (age === undefined) continue;
    if (age > STALE_TAKEOVER_MS) {
      try {
        unlinkSync(takeover);
      } catch {
        // Someone else removed it.
      }
    } else if (Date.now() > deadline) {
      throw new StateIoError(
        `cannot take the lock ${file}`,
        new Error('another takeover is stuck'),
      );
    } else pause(10);
  }
}

/**
 * Creates `file` holding `body` if it does not exist; false if it does. The body is written to a
 * file of its own first and then linked into place, so no one ever reads a lock half written.
 */
function createWith(file: string, body: string): boolean {
  const temp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.new`;
  let fd: number | undefined;
  try {
    fd = createExclusive(temp);
    writeAll(fd, body);
    closeSync(fd);
    fd = undefined;
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StateIoError(`cannot create ${file}`, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never made.
    }
  }
}

/** The lock's holder; undefined when it is unreadable (a torn write: treated as dead). A lock
 * that is a symbolic link, or not this user's own, is refused outright. */
function readLock(file: string): LockHolder | undefined {
  let info;
  try {
    info = lstatSync(file);
  } catch {
    return undefined;
  }
  if (!info.isFile())
    throw new UnsafeStateError(
      `lock ${file} is not a regular file (a symbolic link?): refusing to use it`,
      `remove it if you trust nothing in that directory, then run again`,
    );
  return readHolder(file);
}

function readHolder(file: string): LockHolder | undefined {
  const text = readOwnFile(file);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    return typeof parsed.run_id === 'string' && typeof parsed.pid === 'number'
      ? (parsed as LockHolder)
      : undefined;
  } catch {
    return undefined;
  }
}

function sameHolder(a: LockHolder | undefined, b: LockHolder | undefined): boolean {
  return a?.run_id === b?.run_id && a?.pid === b?.pid;
}

function lockedBy(name: string, holder: LockHolder): LockedError {
  return new LockedError(
    name.startsWith('host-') ? `host ${name.slice(5)}` : `runbook ${name}`,
    holder,
  );
}

/** How long ago the file was last written; undefined when it is gone. */
function ageMs(file: string): number | undefined {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Whether the holder's process still runs (only knowable on the same machine). */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return !isZombie(holder.pid);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
