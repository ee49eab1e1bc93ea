import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

/**
 * The reader of runbook's output goes away (`runbook run … | head -3`, a pager quit): a run stops
 * as on Ctrl-C, with its lock released and its journal ended, instead of the process ending in the
 * middle of a step; any other command stops quietly (src/cli/reader-gone.ts).
 */

let dir: { path: string; remove: () => void };
const state = (): string => join(dir.path, 'state');

beforeAll(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'runbooks'));
  const wait = (file: string): string =>
    `touch ${dir.path}/${file}-started; while [ ! -e ${dir.path}/${file} ]; do sleep 0.02; done`;
  writeFileSync(
    join(dir.path, 'runbooks/piped.yaml'),
    [
      'id: piped',
      'title: Piped',
      'severity: P3',
      'resolution:',
      `  - { id: first, run: "${wait('go1')}" }`,
      `  - { id: second, run: "${wait('go2')}" }`,
      `  - { id: third, run: "touch ${dir.path}/third-ran" }`,
      '',
    ].join('\n'),
  );
});
afterAll(() => dir.remove());

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the reader of the output goes away', () => {
  it('a run stops as on Ctrl-C: the running step is stopped, the next is not started, the lock is released and the journal ends interrupted (exit 130)', async () => {
    const child = spawn(process.execPath, [BIN, 'run', 'piped', '--yes'], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNBOOK_STATE_DIR: state() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until('the first step to start', () => existsSync(join(dir.path, 'go1-started')));
    // The reader goes; the first step ends, and its line meets the closed pipe.
    child.stdout.destroy();
    writeFileSync(join(dir.path, 'go1'), '');
    expect(await exited).toBe(130);
    expect(stderr.split('\n')).toContain(
      'runbook: the output was closed — stopping the running step',
    );
    expect(existsSync(join(dir.path, 'third-ran'))).toBe(false);
    expect(existsSync(join(state(), 'locks/piped.lock'))).toBe(false);
    const journals = readdirJournals();
    expect(journals).toHaveLength(1);
    const [journal = ''] = journals;
    const events = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; id?: string; status?: string });
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'interrupted' });
    expect(events.filter((event) => event.type === 'step.end' && event.id === 'third')).toEqual([]);
  });

  it('any other command stops quietly, with no error', async () => {
    const child = spawn(process.execPath, [BIN, 'list'], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNBOOK_STATE_DIR: state() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.destroy();
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(stderr).toBe('');
  });
});

/** The run journals in the state directory. */
function readdirJournals(): string[] {
  const runs = join(state(), 'runs');
  return readdirSync(runs)
    .filter((file) => file.endsWith('.jsonl'))
    .map((file) => join(runs, file));
}
