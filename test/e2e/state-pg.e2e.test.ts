import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runBin, tempDir } from '../helpers/cli.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';

/**
 * The team store on a real PostgreSQL (docs/state.md): bin/runbook.js as processes, each "machine"
 * a state directory of its own, all sharing one database.
 */

const USER = userInfo().username;

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A runbook that stops at `hold` until `go-<tag>` exists, and at `hold2` until `go2-<tag>`. */
const GATE = (dir: string) => `id: gate
title: A gate
severity: P2
vars:
  tag: { required: true }
resolution:
  - id: one
    run: echo one
    effect: read
  - id: hold
    run: touch ${dir}/started-\${{ vars.tag }}; while [ ! -e ${dir}/go-\${{ vars.tag }} ]; do sleep 0.01; done
    effect: read
  - id: middle
    run: echo middle
    effect: read
  - id: hold2
    run: touch ${dir}/held2-\${{ vars.tag }}; while [ ! -e ${dir}/go2-\${{ vars.tag }} ]; do sleep 0.01; done
    effect: read
  - id: last
    run: tr '\\0' ' ' < /proc/$PPID/cmdline > ${dir}/cmdline-\${{ vars.tag }}; env > ${dir}/env-\${{ vars.tag }}
    effect: read
`;

describe('team state on PostgreSQL', () => {
  const dir = tempDir('runbook-pg-');
  const books = join(dir.path, 'runbooks');
  let pg: PgCluster;
  const outputs: string[] = [];
  /** A machine: its own state directory, the team database. */
  const machine = (name: string) => ({
    RUNBOOK_STATE_DIR: join(dir.path, `state-${name}`),
    RUNBOOK_STATE_URL: pg.url,
  });
  const bin = async (args: string[], env: Record<string, string>) => {
    // A busy machine runs ten runs of fifty steps at once slowly.
    const result = await runBin(args, { cwd: dir.path, env, timeoutMs: 180_000 });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  /** SQL as the superuser in the team's database: psql's unaligned tuples. */
  const sql = async (text: string) =>
    (
      await promisify(execFile)(
        'psql',
        ['-X', '-w', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', text],
        {
          env: { PATH: process.env.PATH, ...pg.env, PGDATABASE: pg.database },
        },
      )
    ).stdout.trim();
  const spawnRun = (args: string[], env: Record<string, string>) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '', code: undefined as number | null | undefined };
    child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        out.code = code;
        outputs.push(out.stdout, out.stderr);
        resolve(code);
      }),
    );
    return { child, out, done };
  };
  const touch = (name: string) => writeFileSync(join(dir.path, name), '');
  const localEvents = (env: { RUNBOOK_STATE_DIR: string }, runId: string) =>
    readFileSync(join(env.RUNBOOK_STATE_DIR, 'runs', `${runId}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
  const dbEvents = async (runId: string) =>
    (
      await sql(
        `select seq || ' ' || type from runbook_events where run_id = '${runId}' order by seq`,
      )
    )
      .split('\n')
      .filter(Boolean);
  const runIdOf = (stdout: string) => /journal: .*\/([^/]+)\.jsonl/.exec(stdout)?.[1] ?? '';

  beforeAll(async () => {
    pg = await startPostgres();
    mkdirSync(books, { recursive: true });
    writeFileSync(join(books, 'gate.yaml'), GATE(dir.path));
    writeFileSync(
      join(books, 'flaky.yaml'),
      `id: flaky\ntitle: Flaky\nresolution:\n  - id: first\n    run: echo first\n    effect: read\n  - id: fixable\n    run: test -e ${dir.path}/fixed\n    effect: read\n`,
    );
    for (let i = 0; i < 10; i++)
      writeFileSync(
        join(books, `b${i}.yaml`),
        `id: b${i}\ntitle: Fifty steps\nresolution:\n${Array.from({ length: 50 }, (_, s) => `  - id: s${s}\n    run: "true"\n    effect: read\n`).join('')}`,
      );
  }, 120_000);
  afterAll(() => {
    pg?.stop();
    dir.remove();
  });

  it('says what to run against an unmigrated database, and migrates it once', async () => {
    const env = machine('a');
    const status = await bin(['state', 'status'], env);
    expect(status.code).toBe(69);
    expect(status.stdout).toBe(
      `Runs are kept in the team database postgres://app@127.0.0.1:${pg.port}/app.\nSchema version 0 of 2: run \`runbook state migrate\`.\nNo lock is held.\nNo journal waits to be sent.\n`,
    );
    const run = await bin(['run', 'gate', '--var', 'tag=x'], env);
    expect(run.code).toBe(69);
    expect(run.stderr).toBe(
      `runbook: the team database postgres://app@127.0.0.1:${pg.port}/app is at schema version 0; this runbook needs version 2\nhint: run: runbook state migrate (as a role that may create tables; docs/state.md)\n`,
    );
    const migrate = await bin(['state', 'migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe(
      `applied migration 1: runs, events and locks\napplied migration 2: approvals\npostgres://app@127.0.0.1:${pg.port}/app is at schema version 2.\n`,
    );
    const again = await bin(['state', 'migrate', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({
      store: 'postgres',
      location: `postgres://app@127.0.0.1:${pg.port}/app`,
      applied: [],
      version: 2,
    });
    expect(await sql('select version from runbook_schema_migrations order by 1')).toBe('1\n2');
  });

  it('two runs from two processes contend for the lock: exactly one proceeds; the refused one names the holder and its step', async () => {
    const a = spawnRun(['run', 'gate', '--var', 'tag=la'], machine('a'));
    const b = spawnRun(['run', 'gate', '--var', 'tag=lb'], machine('b'));
    await until('one run to hold and the other to be refused', () => {
      const started = ['la', 'lb'].filter((tag) => existsSync(join(dir.path, `started-${tag}`)));
      return started.length === 1 && (a.out.code !== undefined || b.out.code !== undefined);
    });
    const [winner, loser, tag] = existsSync(join(dir.path, 'started-la'))
      ? [a, b, 'la']
      : [b, a, 'lb'];
    expect(loser.out.code).toBe(3);
    expect(loser.out.stderr).toMatch(
      new RegExp(
        `^runbook: runbook gate is being run by ${USER} \\(run \\d{8}T\\d{6}Z-[0-9a-f]{6}, pid ${winner.child.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`,
      ),
    );
    // Once it holds at a step, the refusal says which.
    await until(
      'the holder’s step to be recorded',
      async () => (await sql(`select step from runbook_locks where name = 'gate'`)) === 'hold',
    );
    const third = await bin(['run', 'gate', '--var', 'tag=lc'], machine('c'));
    expect(third.code).toBe(3);
    expect(third.stderr).toContain(
      `, at step hold)\nhint: wait for it, talk to them, or pass --force`,
    );
    touch(`go-${tag}`);
    touch(`go2-${tag}`);
    expect(await winner.done).toBe(0);
    expect(existsSync(join(dir.path, `started-${tag === 'la' ? 'lb' : 'la'}`))).toBe(false);
  });

  it('--force takes the lock from a run that still holds it: the holder is told, and the takeover is in the journal, in the database', async () => {
    const holder = spawnRun(['run', 'gate', '--var', 'tag=f1'], machine('a'));
    await until('the holder to hold', () => existsSync(join(dir.path, 'started-f1')));
    await until(
      'its lock to be recorded',
      async () => (await sql(`select step from runbook_locks where name = 'gate'`)) === 'hold',
    );
    const [holderRun, since] = (
      await sql(
        `select run_id || ' ' || to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') from runbook_locks where name = 'gate'`,
      )
    ).split(' ');
    touch('go-f2');
    touch('go2-f2');
    const forced = await bin(['run', 'gate', '--var', 'tag=f2', '--force'], machine('b'));
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe(
      `warning: took over the lock on gate from run ${holderRun} (pid ${holder.child.pid}, ${USER}, since ${since}): that process still runs (--force)\n`,
    );
    const forcedRun = runIdOf(forced.stdout);
    await until(
      'the forced run to be in the database',
      async () =>
        (await sql(`select status from runbook_runs where run_id = '${forcedRun}'`)) ===
        'succeeded',
    );
    expect(
      JSON.parse(
        await sql(
          `select event->'origin'->'locks_taken_over' from runbook_events where run_id = '${forcedRun}' and type = 'run.start'`,
        ),
      ),
    ).toEqual([
      { name: 'gate', run_id: holderRun, user: USER, host: hostname(), since, still_running: true },
    ]);
    // The holder's lock connection was ended: it is told, and it goes on to its end.
    touch('go-f1');
    touch('go2-f1');
    expect(await holder.done).toBe(0);
    expect(holder.out.stderr.split('\n')).toContain(
      "runbook: the connection holding this run's lock on gate was lost (the database restarted, or another run took it with --force): another run can start meanwhile",
    );
  });

  it('kill -9 of the holder releases its lock within a second; the next run needs no --force', async () => {
    const holds = `select count(*) from runbook_events where type = 'step.start' and event->>'step' = 'hold'`;
    const holdsBefore = Number(await sql(holds));
    const holder = spawnRun(['run', 'gate', '--var', 'tag=k'], machine('a'));
    await until('the holder to hold', () => existsSync(join(dir.path, 'started-k')));
    // Its events go to the database in batches: the step it is killed in must be there.
    await until('its step in the database', async () => Number(await sql(holds)) > holdsBefore);
    await until(
      'its advisory lock',
      async () =>
        (await sql(`select count(*) from pg_locks where locktype = 'advisory' and granted`)) ===
        '1',
    );
    const killedAt = Date.now();
    holder.child.kill('SIGKILL');
    await until(
      'the lock to go',
      async () =>
        (await sql(`select count(*) from pg_locks where locktype = 'advisory' and granted`)) ===
        '0',
      5000,
    );
    expect(Date.now() - killedAt).toBeLessThan(1000);
    touch('go-k');
    touch('go2-k');
    touch('go-k2');
    touch('go2-k2');
    const next = await bin(['run', 'gate', '--var', 'tag=k2'], machine('b'));
    expect(next.code).toBe(0);
    expect(next.stderr).toBe('');
    // The killed run is crashed, for everyone.
    const status = JSON.parse((await bin(['status', '--json'], machine('c'))).stdout) as {
      running: unknown[];
      resumable: Array<{ runbook: string; status: string; stopped: unknown }>;
    };
    expect(status.running).toEqual([]);
    expect(status.resumable.map((run) => [run.runbook, run.status, run.stopped])).toContainEqual([
      'gate',
      'crashed',
      { kind: 'crashed', step: 'hold' },
    ]);
  });

  it('a database restart in the middle of a run: the run finishes and the database has its whole journal', async () => {
    const env = machine('a');
    const run = spawnRun(['run', 'gate', '--var', 'tag=r'], env);
    await until('the run to hold', () => existsSync(join(dir.path, 'started-r')));
    pg.halt();
    touch('go-r');
    await until('the run to say the database is out of reach', () =>
      run.out.stderr.includes('the team database is unreachable'),
    );
    await pg.start();
    touch('go2-r');
    expect(await run.done).toBe(0);
    const runId = runIdOf(run.out.stdout);
    const lines = run.out.stderr.split('\n').filter(Boolean);
    expect(lines.filter((line) => line.includes('the team database is unreachable'))).toHaveLength(
      1,
    );
    expect(lines.filter((line) => line.includes('reachable again'))).toEqual([
      'runbook: the team database is reachable again: the events kept meanwhile are sent',
    ]);
    const local = localEvents(env, runId);
    expect(local).toHaveLength(19);
    expect(await dbEvents(runId)).toEqual(local.map((type, seq) => `${seq} ${type}`));
    expect(await sql(`select status from runbook_runs where run_id = '${runId}'`)).toBe(
      'succeeded',
    );
  });

  it('a database down until the run ends: the journal stays local, the run says how it will be sent, and state flush sends it', async () => {
    const env = machine('d');
    touch('go-s');
    touch('go2-s');
    pg.halt();
    try {
      const refused = await bin(['run', 'gate', '--var', 'tag=s'], env);
      expect(refused.code).toBe(69);
      expect(refused.stderr).toContain(
        `runbook: cannot reach the team database postgres://app@127.0.0.1:${pg.port}/app: `,
      );
      expect(refused.stderr).toContain('hint: pass --force to run with only this machine’s lock');
      const forced = await bin(['run', 'gate', '--var', 'tag=s', '--force'], env);
      expect(forced.code).toBe(0);
      const runId = runIdOf(forced.stdout);
      const journal = join(env.RUNBOOK_STATE_DIR, 'runs', `${runId}.jsonl`);
      expect(forced.stderr).toContain(
        `warning: the team database is still unreachable: 19 events of this run are only in ${journal}; the next command that reads the database sends them, or run: runbook state flush\n`,
      );
    } finally {
      await pg.start();
    }
    const flushed = await bin(['state', 'flush'], env);
    expect(flushed.stdout).toBe(
      `Sent 19 events of 1 run to postgres://app@127.0.0.1:${pg.port}/app.\n`,
    );
    expect((await bin(['state', 'flush'], env)).stdout).toBe(
      'No journal was waiting to be sent.\n',
    );
  });

  it('history, report, status and resume read the database, from another machine', async () => {
    const failed = await bin(['run', 'flaky'], machine('a'));
    expect(failed.code).toBe(1);
    const runId = runIdOf(failed.stdout);
    const other = machine('e');
    const listed = JSON.parse(
      (await bin(['history', '--json', '--runbook', 'flaky'], other)).stdout,
    );
    expect(listed).toEqual([
      expect.objectContaining({
        run_id: runId,
        status: 'failed',
        stopped: { kind: 'failed', step: 'fixable' },
        parts: 1,
      }),
    ]);
    const report = JSON.parse((await bin(['report', runId, '--format', 'json'], other)).stdout) as {
      run_id: string;
      journal: { path: string };
    };
    expect(report.run_id).toBe(runId);
    expect(report.journal.path).toBe(`postgres://app@127.0.0.1:${pg.port}/app (run ${runId})`);
    touch('fixed');
    const resumed = await bin(['resume', runId], other);
    expect(resumed.code).toBe(0);
    const after = JSON.parse(
      (await bin(['history', '--json', '--runbook', 'flaky'], machine('a'))).stdout,
    );
    expect(after).toEqual([
      expect.objectContaining({ run_id: runId, status: 'succeeded', parts: 2 }),
    ]);
    // The resuming machine's journal is the whole run; the database's is the same.
    const local = localEvents(other, runId);
    expect(local.filter((type) => type === 'run.resume')).toHaveLength(1);
    expect(await dbEvents(runId)).toEqual(local.map((type, seq) => `${seq} ${type}`));
  });

  it(
    '10 runs at once from 10 processes, 50 steps each: no event lost or duplicated',
    { timeout: 240_000 },
    async () => {
      const runs = await Promise.all(
        Array.from({ length: 10 }, (_, i) => bin(['run', `b${i}`], machine(`m${i}`))),
      );
      expect(runs.map((run) => run.code)).toEqual(Array(10).fill(0));
      let total = 0;
      for (const [i, run] of runs.entries()) {
        const runId = runIdOf(run.stdout);
        const local = localEvents(machine(`m${i}`), runId);
        total += local.length;
        expect(local.filter((type) => type === 'step.end')).toHaveLength(50);
        expect(await dbEvents(runId)).toEqual(local.map((type, seq) => `${seq} ${type}`));
      }
      expect(
        await sql(
          `select count(*) || ' ' || count(distinct (run_id, seq)) from runbook_events e join runbook_runs r using (run_id) where r.runbook_id like 'b_'`,
        ),
      ).toBe(`${total} ${total}`);
      expect(total).toBe(10 * 154);
    },
  );

  it('the database’s password reaches no argv, no step’s environment, no output and no journal', async () => {
    const encoded = encodeURIComponent(pg.password);
    const seen = [
      ...outputs,
      readFileSync(join(dir.path, 'cmdline-r'), 'utf8'),
      readFileSync(join(dir.path, 'env-r'), 'utf8'),
    ];
    for (const state of readdirSync(dir.path).filter((name) => name.startsWith('state-')))
      for (const file of existsSync(join(dir.path, state, 'runs'))
        ? readdirSync(join(dir.path, state, 'runs'))
        : [])
        seen.push(readFileSync(join(dir.path, state, 'runs', file), 'utf8'));
    expect(readFileSync(join(dir.path, 'cmdline-r'), 'utf8')).toContain('run gate --var tag=r');
    expect(readFileSync(join(dir.path, 'env-r'), 'utf8')).not.toContain('RUNBOOK_STATE_URL');
    for (const text of seen) {
      expect(text).not.toContain(pg.password);
      expect(text).not.toContain(encoded);
    }
    expect(
      await sql(
        `select count(*) from runbook_events where event::text like '%${pg.password.replace(/'/g, "''")}%' or event::text like '%${encoded}%'`,
      ),
    ).toBe('0');
  });

  it('a step with approval: waits for another person’s `runbook approve`; --yes and the runner cannot approve it', async () => {
    writeFileSync(
      join(books, 'rollback.yaml'),
      `id: rollback\ntitle: Roll back after approval\nresolution:\n  - id: check\n    run: echo check\n    effect: read\n  - id: roll-back\n    run: echo rolled back\n    effect: destructive\n    approval: { by: other }\n`,
    );
    // The other person: the postgres OS user (the server's own), its own state directory.
    const otherState = mkdtempSync('/tmp/rb-approver-');
    const asOther = (args: string[]) => {
      chownSync(otherState, Number(execFileSync('id', ['-u', 'postgres'])), 0);
      const command =
        process.getuid?.() === 0
          ? ['runuser', '-u', 'postgres', '--']
          : ['sudo', '-n', '-u', 'postgres', '--'];
      return promisify(execFile)(
        command[0] ?? '',
        [
          ...command.slice(1),
          'env',
          `RUNBOOK_STATE_URL=${pg.url}`,
          `RUNBOOK_STATE_DIR=${otherState}`,
          `HOME=${otherState}`,
          process.execPath,
          BIN,
          ...args,
        ],
        { cwd: '/' },
      );
    };
    try {
      const run = spawnRun(['run', 'rollback', '--yes'], machine('ap'));
      await until('the run to ask for approval', () =>
        run.out.stderr.includes('waits for approval'),
      );
      const runId = /runbook approve (\S+) roll-back/.exec(run.out.stderr)?.[1] ?? '';
      expect(run.out.stderr).toBe(
        `runbook: step roll-back waits for approval by someone other than ${USER}; to approve: runbook approve ${runId} roll-back\n`,
      );
      // The team sees what it waits for, and the command that lets it go on.
      const status = await bin(['status', '--json'], machine('st'));
      const waiting = (
        JSON.parse(status.stdout) as {
          running: Array<{ run_id: string; waiting_for_approval?: unknown }>;
        }
      ).running.find((one) => one.run_id === runId);
      expect(waiting?.waiting_for_approval).toEqual({
        step: 'roll-back',
        by: 'other',
        approvers: null,
        approve: `runbook approve ${runId} roll-back`,
      });
      const text = await bin(['status'], machine('st'));
      expect(text.stdout.split('\n')).toContain(
        `  ⏸ ${runId} waits for approval of roll-back by anyone but ${USER}: runbook approve ${runId} roll-back`,
      );
      const mine = await bin(['approve', runId, 'roll-back'], machine('ap'));
      expect(mine.code).toBe(3);
      expect(mine.stderr).toBe(
        `runbook: you (${USER}) are running ${runId}: step roll-back needs someone else's approval\nhint: ask anyone else on the team to run this command\n`,
      );
      const theirs = await asOther(['approve', runId, 'roll-back']);
      expect(theirs.stdout).toBe(
        `Approved step roll-back of ${USER}'s run ${runId}: it goes on.\n`,
      );
      expect(await run.done).toBe(0);
      const confirms = (
        await sql(
          `select event->>'by' from runbook_events where run_id = '${runId}' and type = 'step.confirm'`,
        )
      ).split('\n');
      expect(confirms).toEqual(['postgres']);
      expect((await asOther(['approve', runId, 'roll-back'])).stdout).toMatch(
        new RegExp(`^Step roll-back of run ${runId} was approved already, by postgres@`),
      );
    } finally {
      rmSync(otherState, { recursive: true, force: true });
    }
    // With local files no one else can give it: the step is declined, and says why.
    const files = await bin(['run', 'rollback', '--yes', '--format', 'json'], {
      RUNBOOK_STATE_DIR: join(dir.path, 'state-files'),
    });
    expect(files.code).toBe(3);
    const steps = (
      JSON.parse(files.stdout) as { steps: Array<{ id: string; status: string; reason?: string }> }
    ).steps;
    expect(steps.find((step) => step.id === 'roll-back')).toMatchObject({
      status: 'skipped',
      reason: `step "roll-back" needs approval by someone other than ${USER}: approvals by another person need the team database (docs/state.md#approvals)`,
    });
  });

  it('a run on local files does not load the PostgreSQL client; one on the team database loads it from its one-file bundle', async () => {
    const hook = join(dir.path, 'hook.cjs');
    // The PostgreSQL client's modules, as the paths the process loaded them from.
    writeFileSync(
      hook,
      `process.on('exit', () => require('fs').writeFileSync(process.env.HOOK_OUT, JSON.stringify(Object.keys(require('module')._cache).filter((k) => k.includes('/node_modules/pg') || k.endsWith('/dist/pg.cjs')).map((k) => require('path').relative(${JSON.stringify(ROOT)}, k)))));\n`,
    );
    touch('go-z');
    touch('go2-z');
    const files = await bin(['run', 'gate', '--var', 'tag=z'], {
      RUNBOOK_STATE_DIR: join(dir.path, 'state-files'),
      HOOK_OUT: join(dir.path, 'hook-files'),
      NODE_OPTIONS: `--require ${hook}`,
    });
    expect(files.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir.path, 'hook-files'), 'utf8'))).toEqual([]);
    const team = await bin(['run', 'gate', '--var', 'tag=z'], {
      ...machine('z'),
      HOOK_OUT: join(dir.path, 'hook-team'),
      NODE_OPTIONS: `--require ${hook}`,
    });
    expect(team.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir.path, 'hook-team'), 'utf8'))).toEqual(['dist/pg.cjs']);
  });
});
