/**
 * `runbook import` on two threads or more (docs/import.md#speed), as a pipeline: this thread reads
 * each file and drafts its runbooks, in file order, so that their ids are taken as on one thread;
 * the workers write and validate the drafted runbooks, about half of the work, and post each file's
 * outcome back. Each thread warms up only its own half of the code. The output is the same byte
 * for byte whichever way it ran (test/e2e/import/import-threads.e2e.test.ts). A file that a
 * worker does not finish (it stopped, or met an error) is finished on this thread, where an error
 * is reported as on one thread.
 *
 * The workers start from dist/import-worker.cjs (scripts/build/import-worker.cjs), which runs the
 * commands bundle (dist/commands.cjs, with its code cache) and calls its `importWorker`
 * (src/cli/commands.ts); run from source (tests), there is no bundle and every file is finished on
 * this thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DraftedFile } from '../import/index.js';
import type { Drafted, FileOutcome, ImportFlags, MarkdownInput } from './import-make.js';

export interface PoolOptions {
  flags: ImportFlags;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Says that a worker could not finish files (they are finished on this thread). */
  warn: (message: string) => void;
}

/** The work of this thread: drafting a file, and finishing one no worker finished. */
export interface PoolWork {
  /** Reads one file and drafts its runbooks, their ids unique in `taken`. */
  draft: (input: MarkdownInput, taken: Set<string>) => Drafted | FileOutcome;
  /** Writes and validates a drafted file's runbooks. */
  finish: (file: DraftedFile) => Promise<FileOutcome>;
}

/** What this thread posts to a worker: a drafted file to finish. */
export interface WorkerJob {
  index: number;
  file: DraftedFile;
}

/** What a worker posts: a file's outcome, or that it cannot finish files (then this thread does). */
export type WorkerMessage = { index: number; outcome: FileOutcome } | { failed: string };

/** Drafted files a worker holds at most: this thread drafts no further ahead of the workers. While
 * a worker starts (a fifth of a second), this thread drafts about fifteen files. */
const AHEAD = 32;

/** The bundle the workers run, beside dist/import-worker.cjs (scripts/build/import-worker.cjs). */
const BUNDLE = 'commands.cjs';

interface Finisher {
  worker: Worker;
  /** The indexes of the files it holds. */
  held: Set<number>;
  alive: boolean;
}

/** Workers started, ready to finish what `run` drafts; `close` stops them. */
export interface Pool {
  /** Imports `inputs`: the outcomes in file order, ending at the first bug, as on one thread. */
  run: (inputs: MarkdownInput[], work: PoolWork) => Promise<FileOutcome[]>;
  close: () => void;
}

/** Starts count − 1 workers (this thread is the count's first), which load what they need while
 * this thread gets ready. What they say before `run` is said only if `run` comes. */
export function startPool(count: number, options: PoolOptions): Pool {
  let listener: { done: (index: number, outcome: FileOutcome) => void; stopped: () => void } = {
    done: () => undefined,
    stopped: () => undefined,
  };
  const stops: string[] = [];
  let warn = (message: string): void => {
    stops.push(message);
  };
  const boot = join(import.meta.dirname, 'import-worker.cjs');
  const finishers =
    existsSync(boot) && existsSync(join(import.meta.dirname, BUNDLE))
      ? Array.from({ length: count - 1 }, () =>
          startFinisher(boot, options, {
            done: (index, outcome) => listener.done(index, outcome),
            stopped: (why) => {
              warn(`an import worker stopped (${why}); its files are finished on this thread`);
              listener.stopped();
            },
          }),
        )
      : [];
  const close = (): void => {
    for (const finisher of finishers) {
      finisher.alive = false;
      void finisher.worker.terminate();
    }
  };
  const run = async (inputs: MarkdownInput[], work: PoolWork): Promise<FileOutcome[]> => {
    for (const message of stops) options.warn(message);
    warn = options.warn;
    const outcomes: Array<FileOutcome | undefined> = new Array<FileOutcome | undefined>(
      inputs.length,
    );
    /** Drafted files posted to a worker and not finished by it yet. */
    const sent = new Map<number, DraftedFile>();
    let wake: (() => void) | undefined;
    const news = (): Promise<void> =>
      new Promise((resolve) => {
        wake = resolve;
      });
    const tell = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    listener = {
      done: (index, outcome) => {
        // An error a worker met is met again here, where it is reported as on one thread.
        if (outcome.kind !== 'error') {
          outcomes[index] = outcome;
          sent.delete(index);
        }
        tell();
      },
      stopped: tell,
    };
    try {
      const taken = new Set<string>();
      for (const [index, input] of inputs.entries()) {
        const drafted = work.draft(input, taken);
        if (drafted.kind !== 'drafted') {
          outcomes[index] = drafted;
          continue;
        }
        let finisher = leastHeld(finishers);
        while (finisher !== undefined && finisher.held.size >= AHEAD) {
          await news();
          finisher = leastHeld(finishers);
        }
        if (finisher === undefined) {
          outcomes[index] = await work.finish(drafted.file);
          continue;
        }
        finisher.held.add(index);
        sent.set(index, drafted.file);
        finisher.worker.postMessage({ index, file: drafted.file } satisfies WorkerJob);
        // Lets the workers' outcomes in between files.
        await new Promise((resolve) => setImmediate(resolve));
      }
      while (finishers.some((finisher) => finisher.alive && finisher.held.size > 0)) await news();
    } finally {
      close();
    }
    for (const [index, file] of sent) outcomes[index] = await work.finish(file);
    const ordered: FileOutcome[] = [];
    for (const outcome of outcomes) {
      if (outcome === undefined) throw new Error('an imported file has no outcome');
      ordered.push(outcome);
      if (outcome.kind === 'invalid') break;
    }
    return ordered;
  };
  return { run, close };
}

/** The live worker holding the fewest files. */
function leastHeld(finishers: Finisher[]): Finisher | undefined {
  let least: Finisher | undefined;
  for (const finisher of finishers)
    if (finisher.alive && (least === undefined || finisher.held.size < least.held.size))
      least = finisher;
  return least;
}

function startFinisher(
  boot: string,
  options: PoolOptions,
  on: {
    done: (index: number, outcome: FileOutcome) => void;
    /** Why it stopped, when it was not told to. */
    stopped: (why: string) => void;
  },
): Finisher {
  const worker = new Worker(boot, {
    workerData: { bundle: BUNDLE, flags: options.flags, cwd: options.cwd, env: options.env },
    stdout: true,
    stderr: true,
  });
  const finisher: Finisher = { worker, held: new Set(), alive: true };
  // A worker that stops leaves the files it holds to this thread.
  const stop = (why: string): void => {
    if (!finisher.alive) return;
    finisher.alive = false;
    void worker.terminate();
    on.stopped(why);
  };
  worker.on('message', (message: WorkerMessage) => {
    if ('failed' in message) return stop(message.failed);
    finisher.held.delete(message.index);
    on.done(message.index, message.outcome);
  });
  worker.on('error', (error) => stop(error.message));
  worker.on('exit', (code) => stop(`exit ${code}`));
  return finisher;
}
