import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { StateError } from '../errors.js';
import type { EngineEvent } from './events.js';

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

const MAX_STRING = 8192;

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
    for (const [key, inner] of Object.entries(value)) out[key] = summarize(inner);
    return out;
  }
  return value;
}

/** The append-only event log of one run: JSON Lines, each event written (and so flushed to the
 * kernel) as it happens, so a crash or kill loses nothing that was reported. */
export class Journal {
  readonly path: string;
  #fd: number | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  static open(stateDir: string, runId: string): Journal {
    const dir = join(stateDir, 'runs');
    const path = join(dir, `${runId}.jsonl`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return new Journal(path, openSync(path, 'a', 0o600));
    } catch (error) {
      throw new StateError(
        `cannot write the run journal in ${dir}: ${(error as Error).message}`,
        'set RUNBOOK_STATE_DIR to a writable directory',
      );
    }
  }

  write(event: EngineEvent): void {
    if (this.#fd === undefined) return;
    writeSync(this.#fd, `${JSON.stringify(summarize(event))}\n`);
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
