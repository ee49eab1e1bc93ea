import { endLeftover, findLeftovers, type Leftover } from '../exec/leftovers.js';
import type { Io } from './io.js';

/**
 * Before a run: the processes that earlier runs, killed while a step ran, left running. Each is
 * named with the command that ends it; with `--kill-orphans` they are ended (SIGTERM, then SIGKILL).
 */
export async function handleLeftovers(
  io: Io,
  stateDir: string,
  runbookId: string,
  end: boolean,
): Promise<void> {
  const leftovers = findLeftovers(stateDir);
  for (const leftover of leftovers) {
    const list = leftover.processes.map((p) => `pid ${p.pid} ${p.command}`).join(', ');
    if (!end) {
      const groups =
        leftover.groups.length === 0 ? '' : ` (pgid ${leftover.groups.map(String).join(', ')})`;
      io.stderr.write(
        `warning: processes ${whose(leftover)} are still running${groups}: ${list}\n`,
      );
      io.stderr.write(
        `hint: end them with \`${leftover.kill}\`, or with \`runbook run ${runbookId} --kill-orphans\`\n`,
      );
      continue;
    }
    const report = await endLeftover(leftover);
    io.stderr.write(`ended ${count(report.ended)} ${whose(leftover)}\n`);
    if (report.survivors.length > 0)
      io.stderr.write(
        `warning: ${count(report.survivors.length)} could not be ended: ${report.survivors
          .map((p) => `pid ${p.pid} ${p.command}`)
          .join(', ')}\n`,
      );
  }
  // Forgets the records of runs that have nothing left running now.
  if (end && leftovers.length > 0) findLeftovers(stateDir);
}

function whose(leftover: Leftover): string {
  const step = leftover.step === undefined ? '' : `step ${leftover.step} `;
  return `of ${step}from run ${leftover.run_id} (runbook ${leftover.runbook})`;
}

function count(n: number): string {
  return `${n} process${n === 1 ? '' : 'es'}`;
}
