import { processes } from '../../src/cli/processes.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExpressions } from '../../src/schema/expressions.js';
import { createRegistry } from '../../src/adapters/registry.js';
import { Redactor } from '../../src/engine/redact.js';
import type { FailureChoice } from '../../src/engine/ports.js';
import { runRunbook } from '../../src/engine/run.js';
import { resolveVars } from '../../src/engine/vars.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { parseRunbook } from '../../src/schema/load.js';
import { loadConfig } from '../../src/schema/config.js';
import { parseJournal, runBin, tempDir } from '../helpers/cli.js';

// The expression language loads on first need; these tests use it directly.
beforeAll(() => loadExpressions());

describe('one run at a time', () => {
  const dir = tempDir();
  const state = join(dir.path, 'state');
  const env = { RUNBOOK_STATE_DIR: state };

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(
      join(dir.path, 'runbooks/slow.yaml'),
      `id: slow\ntitle: Slow\nvars:\n  out: { required: true }\nresolution:\n  - id: wait\n    run: touch \${{ vars.out }}/started; sleep 1.5\n`,
    );
  });
  afterAll(() => dir.remove());

  it('refuses a second concurrent run, naming the holder; --force overrides; the lock goes with the run', async () => {
    const first = runBin(['run', 'slow', '--var', `out=${dir.path}`], { cwd: dir.path, env });
    for (let i = 0; i < 100 && !existsSync(join(dir.path, 'started')); i++)
      await new Promise((r) => setTimeout(r, 20));
    const holder = JSON.parse(readFileSync(join(state, 'locks/slow.lock'), 'utf8')) as {
      run_id: string;
      pid: number;
      user: string;
    };
    const second = await runBin(['run', 'slow', '--var', `out=${dir.path}`], {
      cwd: dir.path,
      env,
    });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(
      `runbook slow is being run by ${holder.user} (run ${holder.run_id}, pid ${holder.pid} on ${hostname()}`,
    );
    expect(second.stderr).toContain('pass --force');
    const dry = await runBin(['run', 'slow', '--var', `out=${dir.path}`, '--dry-run'], {
      cwd: dir.path,
      env,
    });
    expect(dry.code).toBe(0);
    const forced = await runBin(
      ['run', 'slow', '--var', `out=${dir.path}`, '--force', '--only', 'detection'],
      { cwd: dir.path, env },
    );
    expect(forced.code).toBe(0);
    expect((await first).code).toBe(0);
    expect(existsSync(join(state, 'locks/slow.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that is gone, with a warning', async () => {
    mkdirSync(join(state, 'locks'), { recursive: true });
    const stale = {
      run_id: '20260101T000000Z-dead00',
      pid: 2 ** 22 + 17,
      user: 'someone',
      host: hostname(),
      started_at: '2026-01-01T00:00:00.000Z',
      runbook: 'slow',
    };
    writeFileSync(join(state, 'locks/slow.lock'), JSON.stringify(stale));
    const result = await runBin(
      ['run', 'slow', '--var', `out=${dir.path}`, '--only', 'detection'],
      { cwd: dir.path, env },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'warning: took over the lock on slow from run 20260101T000000Z-dead00',
    );
  });
});

describe('a failure in an interactive run is the person’s call', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('retry runs the step again, skip goes on and is recorded, abort stops the run (exit 3)', async () => {
    const yaml = `id: flaky
title: Flaky
vars:
  out: { required: true }
resolution:
  - id: second-time-lucky
    run: test -f \${{ vars.out }}/tried || { touch \${{ vars.out }}/tried; exit 1; }
  - id: always-broken
    run: echo broken >&2; exit 2
  - id: after
    run: touch \${{ vars.out }}/after
  - id: broken-again
    run: exit 5
  - id: never
    run: touch \${{ vars.out }}/never
`;
    const config = await loadConfig(dir.path, {});
    const registry = createRegistry();
    const { runbook } = parseRunbook('flaky.yaml', Buffer.from(yaml), { registry, config });
    if (!runbook) throw new Error('invalid test runbook');
    const choices: FailureChoice[] = ['retry', 'skip', 'abort'];
    const asked: string[] = [];
    const events: EngineEvent[] = [];
    const result = await runRunbook({
      runbook,
      file: 'flaky.yaml',
      registry,
      runId: 'test-run',
      vars: resolveVars(runbook, {
        cliVars: { out: dir.path },
        envName: undefined,
        processEnv: {},
      }),
      redactor: new Redactor(),
      hosts: {},
      env: { PATH: process.env.PATH },
      cwd: dir.path,
      signal: new AbortController().signal,
      plan: { mode: 'execute' },
      ports: {
        processes,
        prompter: {
          confirm: () => Promise.resolve(true),
          acknowledge: () => Promise.resolve({ by: 'test' }),
          onFailure: (request) => {
            asked.push(`${request.step}: ${request.reason}`);
            return Promise.resolve(choices.shift() ?? 'abort');
          },
        },
        events: { show: (event) => events.push(event) },
      },
    });
    expect(asked).toEqual([
      'second-time-lucky: exited with code 1',
      'always-broken: exited with code 2',
      'broken-again: exited with code 5',
    ]);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['second-time-lucky', 'succeeded'],
      ['always-broken', 'skipped'],
      ['after', 'succeeded'],
      ['broken-again', 'failed'],
    ]);
    expect(result.steps[1]?.reason).toMatch(/^skipped by .+ after it failed: exited with code 2$/);
    expect(result.status).toBe('declined');
    expect(existsSync(join(dir.path, 'after'))).toBe(true);
    expect(existsSync(join(dir.path, 'never'))).toBe(false);
    expect(
      events
        .filter((e) => e.type === 'step.decision')
        .map((e) => (e.type === 'step.decision' ? e.choice : '')),
    ).toEqual(['retry', 'skip', 'abort']);
    // Each failed attempt is in the timeline before the decision about it.
    const timeline = events
      .filter((e) => e.type === 'step.end' || e.type === 'step.decision')
      .map((e) =>
        e.type === 'step.end'
          ? `${e.id}:${e.status}`
          : `decision:${e.type === 'step.decision' ? e.choice : ''}`,
      );
    expect(timeline.slice(0, 4)).toEqual([
      'second-time-lucky:failed',
      'decision:retry',
      'second-time-lucky:succeeded',
      'always-broken:failed',
    ]);
    void parseJournal;
  });
});
