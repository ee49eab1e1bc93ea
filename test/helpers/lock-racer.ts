// One contender in the lock race of state-files.test.ts, run as its own process. For each line
// `go <stateDir> <barrier>` on stdin it waits for the barrier file, then tries to take the lock
// and prints `won` or `lost <reason>`; on `release` it lets go of what it holds.
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { hostname } from 'node:os';
import { acquireLocks, type LocalLock } from '../../src/state/lock.js';

let held: LocalLock | undefined;
const wait = new Int32Array(new SharedArrayBuffer(4));
for await (const line of createInterface({ input: process.stdin })) {
  const [command, stateDir = '', barrier = ''] = line.split(' ');
  if (command === 'release') {
    held?.release();
    held = undefined;
    process.stdout.write('released\n');
    continue;
  }
  while (!existsSync(barrier)) Atomics.wait(wait, 0, 0, 1);
  try {
    held = acquireLocks(
      stateDir,
      ['crash'],
      {
        run_id: `racer-${process.pid}-${Date.now()}`,
        pid: process.pid,
        user: 'racer',
        host: hostname(),
        started_at: new Date().toISOString(),
        runbook: 'crash',
      },
      false,
    );
    process.stdout.write('won\n');
  } catch (error) {
    process.stdout.write(`lost ${(error as Error).constructor.name}\n`);
  }
}
