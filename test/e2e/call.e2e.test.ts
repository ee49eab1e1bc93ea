import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';

/** Sub-runbooks (docs/format.md#sub-runbooks) through the built CLI, its output through a pipe:
 * the runnable example of examples/call, run from another directory. */

const dir = tempDir();
afterAll(() => dir.remove());
const books = join(dir.path, 'books');
mkdirSync(books);
for (const name of ['restart-app.yaml', 'drain-node.yaml', 'restart-app.test.yaml'])
  copyFileSync(join(ROOT, 'examples/call', name), join(books, name));
const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state'), NO_COLOR: '1' };
const cli = (...args: string[]) => runBin([...args, '--dir', books], { cwd: dir.path, env });

/** The run's lines without the timings and run ids, which change from run to run. */
function steady(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s+(run |journal: |to continue)/.test(line))
    .map((line) => line.replace(/ \d+ms$/, '').replace(/ in \d+ms/, ''));
}

describe('runbook run with a call', () => {
  it('runs the called steps indented under their call, approved by their ids in the run', async () => {
    const result = await cli('run', 'restart-app', '--approve', 'drain/evict', '--var', 'node=n7');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = steady(result.stdout);
    expect(lines.slice(lines.indexOf('Resolution'))).toEqual([
      'Resolution',
      '  ↳ drain: call drain-node#resolution — Drain a node',
      '    ✓ drain/cordon',
      '        $ echo "cordon n7"',
      '    ✓ drain/evict approved by --approve',
      '    ✓ drain/evict — Evict every pod from the node [destructive]',
      '        $ echo "evicted from n7 within 5s"',
      '  ✓ drain — Drain the node (the drain-node procedure) [destructive]',
      '  ✓ restart',
      '      $ echo "restarting the app away from n7"',
      '',
      'Verification',
      '  ✓ healthy',
      '      $ echo ok',
      '',
      '✔ Succeeded — 6 succeeded',
      '',
    ]);
  });

  it('stops at a destructive called step with no approval, naming it (exit 3)', async () => {
    const result = await cli('run', 'restart-app', '--format', 'json');
    expect(result.code).toBe(3);
    const json = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string }>;
    };
    expect(json.status).toBe('declined');
    expect(json.steps.map((s) => `${s.id} ${s.status}`)).toEqual([
      'find-node succeeded',
      'drain/cordon succeeded',
      'drain/evict skipped',
      'drain skipped',
    ]);
  });

  it('plans the called steps in a dry run', async () => {
    const result = await cli('run', 'restart-app', '--dry-run');
    expect(result.code).toBe(0);
    const lines = steady(result.stdout);
    const at = lines.indexOf('Resolution');
    expect(lines.slice(at, at + 7)).toEqual([
      'Resolution',
      '  ↳ drain: call drain-node#resolution — Drain a node',
      '    ○ drain/cordon',
      '        $ echo "cordon <steps.find_node.outputs.node>"',
      '    ○ drain/evict — Evict every pod from the node [destructive]',
      '        $ echo "evicted from <steps.find_node.outputs.node> within 5s"',
      '  ○ drain — Drain the node (the drain-node procedure) [destructive]',
    ]);
  });

  it('show lists the called steps under their call', async () => {
    const result = await cli('show', 'restart-app');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const at = lines.indexOf('Resolution');
    expect(lines.slice(at, at + 9)).toEqual([
      'Resolution',
      '   1. drain call  Drain the node (the drain-node procedure)',
      '      drain-node#resolution with {"node":"${{ steps.find_node.outputs.node }}","grace":5}',
      '       1. drain/cordon write',
      '          echo "cordon ${{ vars.node }}"',
      '          outputs: stdout, stderr, exit_code, json',
      '       2. drain/evict destructive  Evict every pod from the node',
      '          echo "evicted from ${{ vars.node }} within ${{ vars.grace }}s"',
      '          outputs: stdout, stderr, exit_code, json',
    ]);
  });

  it('runbook test gives results to called steps by their ids', async () => {
    const result = await cli('test', books);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ 2 scenarios: 2 passed, 0 failed');
  });
});

describe('calls that cannot be made', () => {
  it('validate of one file resolves its calls in the runbook directories, at file:line:col', async () => {
    const file = join(dir.path, 'caller.yaml');
    writeFileSync(
      file,
      `id: caller
title: Caller
resolution:
  - id: drain
    call: drain-nod#resolution
  - id: again
    call: drain-node#resolution
    with: { nodes: n1 }
`,
    );
    const result = await cli('validate', 'caller.yaml', '--format', 'json');
    expect(result.code).toBe(2);
    const json = JSON.parse(result.stdout) as {
      files: Array<{
        errors: Array<{ line: number; col: number; message: string; hint?: string }>;
      }>;
    };
    expect(json.files[0]?.errors.map((e) => [e.line, e.col, e.message, e.hint])).toEqual([
      [5, 11, 'call: no runbook with id "drain-nod"', 'did you mean "drain-node"?'],
      [
        7,
        11,
        'call: runbook drain-node needs a value for node: give it under with:',
        'with: { node: … }',
      ],
      [8, 13, 'call: runbook drain-node declares no variable "nodes"', 'did you mean "node"?'],
    ]);
  });

  it('a run refuses a cycle before anything runs (exit 2), with no stack trace', async () => {
    const cycle = join(dir.path, 'cycle');
    mkdirSync(cycle);
    writeFileSync(
      join(cycle, 'ping.yaml'),
      'id: ping\ntitle: Ping\nresolution:\n  - id: to-pong\n    call: pong\n',
    );
    writeFileSync(
      join(cycle, 'pong.yaml'),
      'id: pong\ntitle: Pong\nresolution:\n  - id: to-ping\n    call: ping#resolution\n',
    );
    const result = await runBin(['run', 'ping', '--dir', cycle], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'cycle/ping.yaml:5:11: error: call cycle: ping (step to-pong) → pong → ping#resolution',
    );
    expect(result.stderr).toContain(
      'cycle/pong.yaml:5:11: error: call cycle: pong (step to-ping) → ping#resolution → pong',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('resume of a run with a call', () => {
  it('sees an edit to the called runbook under a completed called step', async () => {
    const here = tempDir();
    try {
      const rb = join(here.path, 'rb');
      mkdirSync(rb);
      writeFileSync(
        join(rb, 'caller.yaml'),
        'id: caller\ntitle: Caller\nseverity: P3\nresolution:\n  - id: via\n    call: callee#resolution\n',
      );
      const callee = (first: string): void =>
        writeFileSync(
          join(rb, 'callee.yaml'),
          `id: callee\ntitle: Callee\nseverity: P3\nresolution:\n  - id: s1\n    run: echo ${first}\n  - id: s2\n    run: test -f ${join(here.path, 'ok')}\n`,
        );
      callee('one');
      const run = (...args: string[]) =>
        runBin(args, { cwd: here.path, env: { RUNBOOK_STATE_DIR: join(here.path, 'state') } });
      const first = await run('run', 'caller', '--dir', rb, '--format', 'json');
      expect(first.code).toBe(1);
      const { run_id: runId } = JSON.parse(first.stdout) as { run_id: string };
      callee('uno');
      writeFileSync(join(here.path, 'ok'), '');
      const refused = await run('resume', runId);
      expect([refused.code, refused.stdout]).toEqual([1, '']);
      expect(refused.stderr.split('\n')[0]).toBe(
        `runbook: the runbook rb/caller.yaml (or a runbook it calls) changed under steps run ${runId} completed: via/s1 (changed)`,
      );
      const forced = await run('resume', runId, '--force', '--format', 'json');
      expect(forced.code).toBe(0);
    } finally {
      here.remove();
    }
  });
});
