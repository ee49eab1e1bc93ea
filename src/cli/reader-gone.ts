/**
 * When the reader of a command's output goes away (EPIPE on stdout or stderr:
 * `runbook run … | head`), a command that must finish cleanly — a run: its step, its lock, its
 * journal — is told and stops as on Ctrl-C, rather than the process stopping at once
 * (src/cli/entry.ts tells; src/cli/run.ts listens). The news travels as an event of `process`, not
 * of a module's own emitter: the entry and the commands are separate bundles
 * (scripts/build/split-commands.mjs), each with its own copy of this module.
 */
import type { EventEmitter } from 'node:events';

const READER_GONE = 'runbook:reader-gone';
const events = process as unknown as EventEmitter;

/** Listens until the returned function is called. */
export function onReaderGone(listener: () => void): () => void {
  events.on(READER_GONE, listener);
  return () => events.off(READER_GONE, listener);
}

/** Tells the listeners; false when none listens (the process may stop at once). */
export function tellReaderGone(): boolean {
  return events.emit(READER_GONE);
}
