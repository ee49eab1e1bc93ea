/**
 * A worker thread of `runbook import` (src/cli/import-pool.ts starts it): it makes its own
 * configuration, adapters and validator, then writes and validates the runbooks of each drafted
 * file it is sent, and posts the file's outcome back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { finishOne, prepareImport, type ImportFlags } from './import-make.js';
import type { Io, OutStream } from './io.js';
import type { WorkerJob, WorkerMessage } from './import-pool.js';

export async function workerMain(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (message: WorkerMessage): void => port.postMessage(message);
  const data = workerData as {
    flags: ImportFlags;
    cwd: string;
    env: Record<string, string | undefined>;
  };
  // What the main thread has said already (a config warning) is not said again.
  const sink: OutStream = { write: () => true } as unknown as OutStream;
  const io: Io = {
    stdout: sink,
    stderr: sink,
    get stdin() {
      return process.stdin;
    },
    env: data.env,
    cwd: data.cwd,
  };
  let context: Awaited<ReturnType<typeof prepareImport>>['context'];
  try {
    context = (await prepareImport(data.flags, io)).context;
  } catch (error) {
    post({ failed: error instanceof Error ? error.message : String(error) });
    return;
  }
  // One file at a time, in the order sent.
  let queue = Promise.resolve();
  port.on('message', (job: WorkerJob) => {
    queue = queue.then(async () => {
      try {
        post({ index: job.index, outcome: await finishOne(job.file, context) });
      } catch (error) {
        post({
          index: job.index,
          outcome: {
            kind: 'error',
            message: error instanceof Error ? error.message : String(error),
          },
        });
      }
    });
  });
}
