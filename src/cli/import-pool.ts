/**
 * `runbook import` on several threads (docs/import.md#speed): this thread and the workers each
 * import whole files from one queue, each with ids unique in that file alone; this thread then
 * takes the results in file order, as an import on one thread does, and imports again here, with
 * the ids taken by the files before it, any file whose ids clash with theirs. A file's ids are the
 * first free ones of its titles, so a file with no clash has the ids it would have had on one
 * thread, and the output is the same byte for byte whichever way it ran
 * (test/e2e/import/import-threads.e2e.test.ts).
 *
 * The workers start from dist/import-worker.cjs (scripts/build/import-worker.cjs), which runs the
 * commands bundle (dist/commands.cjs, with its code cache) and calls its `importWorker`
 * (src/cli/commands.ts); run from source (tests), there is no bundle and the files are imported
 * on this thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileOutcome, ImportFlags, MarkdownInput } from './import-make.js';

export interface PoolOptions {
  flags: ImportFlags;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Says that a worker could not import (its files are imported on this thread). */
  warn: (message: string) => void;
  /** Imports one file on this thread, its ids unique in `taken`. */
  redo: (input: MarkdownInput, taken: Set<string>) => Promise<FileOutcome>;
}

/** What a worker posts: a file's outcome, or that it cannot import (then this thread does). */
export type WorkerMessage = { index: number; outcome: FileOutcome } | { failed: string };

/** Jobs a worker holds at a time: one it works on, one waiting, so that it never idles. */
const QUEUED = 2;

/** The bundle the workers run, beside dist/import-worker.cjs (scripts/build/import-worker.cjs). */
const BUNDLE = 'commands.cjs';

export async function importInWorkers(
  inputs: MarkdownInput[],
  count: number,
  options: PoolOptions,
): Promise<FileOutcome[]> {
  const boot = join(import.meta.dirname, 'import-worker.cjs');
  const outcomes: Array<FileOutcome | undefined> = new Array<FileOutcome | undefined>(
    inputs.length,
  );
  if (existsSync(boot) && existsSync(join(import.meta.dirname, BUNDLE))) {
    // This thread is one of the `count`: it takes files from the same queue as the workers, while
    // they start and after.
    const queue = { next: 0 };
    await Promise.all([
      runWorkers(boot, inputs, count - 1, options, outcomes, queue),
      importHere(inputs, options, outcomes, queue),
    ]);
  }
  // In file order, as on one thread.
  const taken = new Set<string>();
  const merged: FileOutcome[] = [];
  for (const [index, input] of inputs.entries()) {
    let outcome = outcomes[index];
    if (
      outcome === undefined ||
      // An error a worker met is met again here, where it is reported as on one thread.
      outcome.kind === 'error' ||
      (outcome.kind === 'ok' && outcome.file.runbooks.some((runbook) => taken.has(runbook.id)))
    ) {
      outcome = await options.redo(input, taken);
    } else if (outcome.kind === 'ok')
      for (const runbook of outcome.file.runbooks) taken.add(runbook.id);
    merged.push(outcome);
    if (outcome.kind === 'invalid') break;
  }
  return merged;
}

/** The next file not yet taken, shared by this thread and the workers. */
interface Queue {
  next: number;
}

/** Imports files on this thread, one at a time, its ids unique in each file (as a worker's are),
 * and lets the workers' messages in between files. */
async function importHere(
  inputs: MarkdownInput[],
  options: PoolOptions,
  outcomes: Array<FileOutcome | undefined>,
  queue: Queue,
): Promise<void> {
  while (queue.next < inputs.length) {
    const index = queue.next++;
    const input = inputs[index];
    if (input) outcomes[index] = await options.redo(input, new Set());
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Fills `outcomes` with what the workers import; a file a worker could not import stays
 * undefined. */
function runWorkers(
  boot: string,
  inputs: MarkdownInput[],
  count: number,
  options: PoolOptions,
  outcomes: Array<FileOutcome | undefined>,
  queue: Queue,
): Promise<void> {
  let running = count;
  if (count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    for (let n = 0; n < count; n++) {
      const worker = new Worker(boot, {
        workerData: { bundle: BUNDLE, flags: options.flags, cwd: options.cwd, env: options.env },
        stdout: true,
        stderr: true,
      });
      let holding = 0;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        void worker.terminate();
        if (--running === 0) resolve();
      };
      const feed = (): void => {
        while (holding < QUEUED && queue.next < inputs.length) {
          const index = queue.next++;
          holding++;
          worker.postMessage({ index, input: inputs[index] });
        }
        if (holding === 0) finish();
      };
      worker.on('message', (message: WorkerMessage) => {
        if ('failed' in message) {
          options.warn(
            `an import worker stopped (${message.failed}); its files are imported on one thread`,
          );
          return finish();
        }
        outcomes[message.index] = message.outcome;
        holding--;
        feed();
      });
      // A worker that dies leaves its files to this thread.
      worker.on('error', (error) => {
        options.warn(
          `an import worker stopped (${error.message}); its files are imported on one thread`,
        );
        finish();
      });
      worker.on('exit', finish);
      feed();
    }
  });
}
