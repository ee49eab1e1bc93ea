import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, parseJournal, runBin, tempDir } from '../helpers/cli.js';

/** A signal to bin/runbook.js while a step's process tree runs (the engine's other controls are in
 * test/integration/engine-control.int.test.ts). */

const FIXTURES = join(ROOT, 'test/fixtures/engine');

function sleepers(): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('sleep 31.4159')).length;
}

describe('the step engine, interrupted', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it.each(['SIGTERM', 'SIGINT'])(
    'on %s: kills the running step’s tree, writes interrupted to the journal, says how to continue, exits 130',
    async (signal) => {
      const before = sleepers();
      const state = join(dir.path, 'state');
      const child = runBin(['run', 'signals', '--dir', FIXTURES, '--var', `out=${dir.path}`], {
        env: { RUNBOOK_STATE_DIR: state },
      });
      // Wait until the step's tree is running (the bound only guards against a hang), then
      // interrupt the CLI.
      for (let i = 0; i < 1500 && sleepers() < before + 2; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(sleepers()).toBe(before + 2);
      execFileSync('pkill', [
        `-${signal.slice(3)}`,
        '-f',
        `runbook.js run signals --dir ${FIXTURES} --var out=${dir.path}`,
      ]);
      const result = await child;
      expect(result.code).toBe(130);
      expect(result.stdout).toContain('Interrupted');
      expect(result.stderr).toContain(`${signal} received`);
      // Killed processes may take a moment to be reaped on a busy machine.
      for (let i = 0; i < 500 && sleepers() > before; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(sleepers()).toBe(before);
      expect(existsSync(join(dir.path, 'reached'))).toBe(false);
      const runs = execFileSync('ls', [join(state, 'runs')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      const runId = (runs[0] ?? '').replace(/\.jsonl$/, '');
      expect(result.stdout.split('\n')).toContain(`  to continue: runbook resume ${runId}`);
      const journal = parseJournal(readFileSync(join(state, 'runs', runs[0] ?? ''), 'utf8'));
      expect(journal.find((e) => e.type === 'step.end' && e.id === 'long-tree')).toMatchObject({
        status: 'interrupted',
      });
      expect(journal.at(-1)).toMatchObject({ type: 'run.end', status: 'interrupted' });
    },
    90_000,
  );
});
