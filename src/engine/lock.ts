import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunbookError, StateError } from '../errors.js';

/** Who holds a lock: enough for the person refused to find them. */
export interface LockHolder {
  run_id: string;
  pid: number;
  user: string;
  host: string;
  started_at: string;
  runbook: string;
}

/** Another run holds the lock. */
export class LockedError extends RunbookError {
  readonly holder: LockHolder;
  constructor(what: string, holder: LockHolder) {
    super(
      'declined',
      `${what} is being run by ${holder.user} (run ${holder.run_id}, pid ${holder.pid} on ${holder.host}, since ${holder.started_at})`,
      'wait for it, talk to them, or pass --force if you are sure that run is gone',
    );
    this.holder = holder;
  }
}

export interface HeldLock {
  /** Locks taken over from runs whose process had died. */
  takenOver: Array<{ name: string; holder: LockHolder }>;
  release(): void;
}

/**
 * One run at a time per runbook (and per `on:` host): a lock file in the state directory, created
 * exclusively, holding who runs. A lock whose process is gone is taken over; `force` takes any.
 */
export function acquireLocks(
  stateDir: string,
  names: readonly string[],
  holder: LockHolder,
  force: boolean,
): HeldLock {
  const dir = join(stateDir, 'locks');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StateError(
      `cannot create the lock directory ${dir}: ${(error as Error).message}`,
      'set RUNBOOK_STATE_DIR to a writable directory',
    );
  }
  const taken: string[] = [];
  const takenOver: HeldLock['takenOver'] = [];
  const release = (): void => {
    for (const file of taken.splice(0)) {
      try {
        const current = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
        if (current.run_id === holder.run_id) unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    for (const name of names) {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
      const body = `${JSON.stringify(holder)}\n`;
      try {
        writeFileSync(file, body, { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const current = readHolder(file);
        if (current && !force && isAlive(current)) {
          throw new LockedError(
            name.startsWith('host-') ? `host ${name.slice(5)}` : `runbook ${name}`,
            current,
          );
        }
        if (current) takenOver.push({ name, holder: current });
        writeFileSync(file, body, { mode: 0o600 });
      }
      taken.push(file);
    }
  } catch (error) {
    release();
    if (error instanceof RunbookError) throw error;
    throw new StateError(`cannot take the run lock: ${(error as Error).message}`);
  }
  return { takenOver, release };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
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
