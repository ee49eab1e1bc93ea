import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';

/** One run of a runbook at a time: real processes of bin/runbook.js contending for its lock (the
 * engine's prompts after a failure are in test/integration/engine-prompts.int.test.ts). */

describe('one run at a time', () => {
  const dir = tempDir();
  const state = join(dir.path, 'state');
  const env = { RUNBOOK_STATE_DIR: state };

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(
      join(dir.path, 'runbooks/slow.yaml'),
      // It holds its lock until the test lets it go (the file go): no timing to race.
      `id: slow\ntitle: Slow\nvars:\n  out: { required: true }\nresolution:\n  - id: wait\n    run: touch \${{ vars.out }}/started; while [ ! -f \${{ vars.out }}/go ]; do sleep 0.05; done\n`,
    );
  });
  afterAll(() => dir.remove());

  it('refuses a second concurrent run, naming the holder; --force overrides; the lock goes with the run', async () => {
    const first = runBin(['run', 'slow', '--var', `out=${dir.path}`], { cwd: dir.path, env });
    try {
      for (let i = 0; i < 1500 && !existsSync(join(dir.path, 'started')); i++)
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
    } finally {
      writeFileSync(join(dir.path, 'go'), '');
    }
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

describe('host locks reach into called runbooks and loop groups', () => {
  const dir = tempDir();
  const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };
  const file = (name: string, text: string): void => writeFileSync(join(dir.path, name), text);

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    file('runbook.config.yaml', 'hosts:\n  db: { host: 127.0.0.1 }\n  web: { host: 127.0.0.1 }\n');
    // holder waits for the file go, then calls via-db, whose only host step never runs.
    file(
      'runbooks/holder.yaml',
      `id: holder\ntitle: Holder\nseverity: P3\nvars:\n  out: { required: true }\nresolution:\n  - id: hold\n    run: touch \${{ vars.out }}/started; while [ ! -f \${{ vars.out }}/go ]; do sleep 0.05; done\n  - id: via-db\n    call: on-db\n  - id: per\n    for_each: [x]\n    steps:\n      - { id: remote, when: "false", on: web, run: "true" }\n`,
    );
    file(
      'runbooks/on-db.yaml',
      `id: on-db\ntitle: On db\nseverity: P3\nresolution:\n  - { id: remote, when: "false", on: db, run: "true" }\n`,
    );
    for (const host of ['db', 'web'])
      file(
        `runbooks/other-${host}.yaml`,
        `id: other-${host}\ntitle: Other ${host}\nseverity: P3\nresolution:\n  - { id: remote, on: ${host}, run: "true" }\n`,
      );
  });
  afterAll(() => dir.remove());

  it('a run whose called runbook or group step works on a host holds that host', async () => {
    const holder = runBin(['run', 'holder', '--var', `out=${dir.path}`], { cwd: dir.path, env });
    const started = join(dir.path, 'started');
    const deadline = Date.now() + 20_000;
    while (!existsSync(started) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(started)).toBe(true);
    for (const host of ['db', 'web']) {
      const other = await runBin(['run', `other-${host}`], { cwd: dir.path, env });
      expect(other.code).toBe(3);
      expect(other.stderr.split('\n')[0]).toMatch(
        new RegExp(`^runbook: host ${host} is being run by .+ \\(run \\S+, pid \\d+ on `),
      );
    }
    writeFileSync(join(dir.path, 'go'), '');
    expect((await holder).code).toBe(0);
  });
});
