import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
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
const MAX_STRING = JOURNAL_STRING_CHARS;

/** Long outputs (a response body, a log dump) are kept to their first 8 KiB in the journal. */
function summarize(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_STRING
      ? `${value.slice(0, MAX_STRING)}… [${value.length - MAX_STRING} more characters]`
      : value;
  }
  if (Array.isArray(value)) return value.map(summarize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) setOwn(out, key, summarize(inner));
    return out;
  }
  return value;
}

/** The append-only event log of one run: JSON Lines, each event written (and so flushed to the
 * kernel) as it happens, so a crash or kill loses nothing that was reported. An event is written
 * whole or not at all: a write that fails part-way (a full disk) is cut back off the file. */
export class Journal {
  readonly path: string;
  #fd: number | undefined;
  #size = 0;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Throws UnsafeStateError (the directory is not safe to use) or StateIoError. */
  static open(stateDir: string, runId: string): Journal {
    const dir = secureDir(stateDir, 'runs');
    const path = join(dir, `${runId}.jsonl`);
    try {
      return new Journal(path, createAppendOnly(path));
    } catch (error) {
      throw new StateIoError(`cannot create the run journal ${path}`, error);
    }
  }

  /**
   * Opens the journal of an existing run to append to it (`runbook resume`), never through a
   * symbolic link. Throws UnsafeStateError or StateIoError (no such journal: ENOENT).
   */
  static append(stateDir: string, runId: string): Journal {
    const dir = secureDir(stateDir, 'runs');
    const path = join(dir, `${runId}.jsonl`);
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
      const journal = new Journal(path, fd);
      journal.#size = fstatSync(fd).size;
      return journal;
    } catch (error) {
      throw new StateIoError(`cannot open the run journal ${path}`, error);
    }
  }

  /** Throws StateIoError when the event could not be written; the file then ends as before. */
  write(event: EngineEvent): void {
    if (this.#fd === undefined) return;
    const line = Buffer.from(`${JSON.stringify(summarize(event))}\n`, 'utf8');
    try {
      let offset = 0;
      while (offset < line.length)
        offset += writeSync(this.#fd, line, offset, line.length - offset);
      this.#size += line.length;
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
      fsyncSync(this.#fd);
    } catch (error) {
      throw new StateIoError(`cannot write the run journal ${this.path}`, error);
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
