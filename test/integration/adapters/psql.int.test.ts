import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { psql } from '../../../src/adapters/psql/index.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { recordingContext } from '../../helpers/recorded-exec.js';

/** The psql adapter against a real PostgreSQL 15 cluster: the superuser over the unix socket
 * (PG* variables), and a password-authenticated role over TCP (a URL with a password). */

let pg: PgCluster;
const dir = tempDir('psql-');
const sessions = new Set<Session>();

interface Session {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stderr: string }>;
}

beforeAll(async () => {
  pg = await startPostgres();
});

afterEach(async () => {
  // Sessions a test opened are closed, and their server backends gone, before the next test.
  for (const session of sessions) session.child.kill('SIGKILL');
  sessions.clear();
  if (!pg) return;
  await pg.psql(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'fixture-%'`,
  );
  await waitFor(
    async () =>
      (await pg.psql(
        `select count(*) from pg_stat_activity where application_name like 'fixture-%'`,
      )) === '0',
  );
});

afterAll(() => {
  for (const session of sessions) session.child.kill('SIGKILL');
  pg?.stop();
  dir.remove();
});

/** Where a psql for the app role connects, and its password, kept apart as the adapter does. */
function appConnection(): { url: string; env: Record<string, string> } {
  return {
    url: `postgres://${pg.user}@127.0.0.1:${pg.port}/${pg.database}`,
    env: { PGPASSWORD: pg.password },
  };
}

/** A psql of our own, outside the adapter: a session to count, a query to find and kill. */
function openSession(
  name: string,
  options: { sql?: string; stdin?: string; as?: 'superuser' | 'app' } = {},
): Session {
  const app = options.as === 'app' ? appConnection() : undefined;
  const args = ['-X', '-w', '-q', ...(app ? ['-d', app.url] : [])];
  if (options.sql !== undefined) args.push('-c', options.sql);
  const child = spawn('psql', args, {
    env: {
      PATH: process.env.PATH,
      ...(app ? app.env : pg.env),
      PGAPPNAME: `fixture-${name}`,
    },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
  });
  if (options.stdin !== undefined) child.stdin?.write(options.stdin);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  const session = { child, exited };
  sessions.add(session);
  return session;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until a fixture session runs `state`, for longer than `seconds` when given. */
async function waitForState(name: string, state: string, seconds = 0): Promise<number> {
  let pid = '';
  await waitFor(async () => {
    pid = await pg.psql(
      `select pid from pg_stat_activity where application_name = 'fixture-${name}' and state = '${state}'` +
        (seconds > 0 ? ` and now() - query_start > interval '${seconds} seconds'` : ''),
    );
    return pid !== '';
  });
  return Number(pid);
}

function context(env: Record<string, string> = {}): ActionContext {
  const base = {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: { PATH: process.env.PATH, ...env },
    cwd: dir.path,
  };
  return { ...base, exec: localExec(base), host: undefined };
}

type ActionName = keyof typeof psql.actions;

/** Runs an action as the engine would: input parsed by its schema, then run(). */
function run(
  name: ActionName,
  input: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<ActionOutcome> {
  const action = psql.actions[name];
  return action.run(action.input.parse(input), context(env));
}

/** As the superuser over the unix socket, through the PG* variables. */
const asSuperuser = (name: ActionName, input: Record<string, unknown>) => run(name, input, pg.env);

/** As the app role over TCP, through a URL with its password. */
const asApp = (name: ActionName, input: Record<string, unknown>) =>
  run(name, { ...input, url: pg.url });

describe('psql preflight', () => {
  it('finds psql and its version', async () => {
    const preflight = await psql.preflight({ env: { PATH: process.env.PATH } });
    expect(preflight).toMatchObject({ ok: true, binary: 'psql' });
    expect(preflight.version).toMatch(/^\d+\.\d+$/);
  });
});

describe('psql.query and psql.select', () => {
  it('creates, fills and reads a table over a password-authenticated URL; NULL is not the empty string', async () => {
    const created = await asApp('query', {
      sql: 'create table notes (id int primary key, body text, score numeric, done boolean)',
    });
    expect(created).toMatchObject({
      ok: true,
      outputs: { command: 'CREATE TABLE', row_count: 0, rows: [] },
    });

    const inserted = await asApp('query', {
      sql: `insert into notes values
        (1, null, 1.5, true),
        (2, '', -3, false),
        (3, 'a, b; "quoted" it''s', 0, null),
        (4, E'two\\nlines\\ttab \\\\ backslash', 42, true),
        (5, 'héllo ✓ 日本 🚀', null, false);`,
    });
    expect(inserted.outputs).toMatchObject({ command: 'INSERT 0 5', row_count: 5 });

    const read = await asApp('query', { sql: 'select * from notes order by id;' });
    expect(read.ok).toBe(true);
    expect(read.outputs).toEqual({
      columns: ['id', 'body', 'score', 'done'],
      row_count: 5,
      rows: [
        { id: 1, body: null, score: 1.5, done: true },
        { id: 2, body: '', score: -3, done: false },
        { id: 3, body: 'a, b; "quoted" it\'s', score: 0, done: null },
        { id: 4, body: 'two\nlines\ttab \\ backslash', score: 42, done: true },
        { id: 5, body: 'héllo ✓ 日本 🚀', score: null, done: false },
      ],
      notices: [],
    });
  });

  it('reports UPDATE counts, RETURNING rows, SHOW values and an empty result', async () => {
    await asApp('query', { sql: 'create table counters (name text, n int)' });
    await asApp('query', { sql: `insert into counters values ('a', 1), ('b', 2), ('c', 3)` });

    const updated = await asApp('query', { sql: 'update counters set n = n + 10 where n > 1' });
    expect(updated.outputs).toMatchObject({ command: 'UPDATE 2', row_count: 2, rows: [] });

    const returned = await asApp('query', {
      sql: `update counters set n = 0 where name = 'a' returning name, n`,
    });
    expect(returned.outputs).toMatchObject({ row_count: 1, rows: [{ name: 'a', n: 0 }] });

    const shown = await asApp('select', { sql: 'show default_transaction_read_only' });
    expect(shown.outputs).toMatchObject({
      rows: [{ default_transaction_read_only: 'off' }],
      columns: ['default_transaction_read_only'],
    });

    const none = await asApp('select', { sql: `select * from counters where name = 'zzz'` });
    expect(none.outputs).toMatchObject({ rows: [], row_count: 0 });

    const multi = await asApp('query', {
      sql: `begin; delete from counters where name = 'c'; commit;`,
    });
    expect(multi.outputs).toMatchObject({ command: 'COMMIT', row_count: 1 });
  });

  it('uses the PG* variables when there is no URL', async () => {
    const outcome = await asSuperuser('select', {
      sql: `select current_user as who, current_database() as db, current_setting('application_name') as app`,
    });
    expect(outcome.outputs.rows).toEqual([{ who: 'postgres', db: 'postgres', app: 'runbook' }]);
  });

  it('fails with psql’s own message for bad SQL, a wrong password or no server', async () => {
    const bad = await asApp('query', { sql: 'select nope from nowhere' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toBe('ERROR: relation "nowhere" does not exist');
    // psql's status for an error in a script with ON_ERROR_STOP.
    expect(bad.outputs.exit_code).toBe(3);

    const wrong = await run('query', {
      sql: 'select 1',
      url: `postgres://${pg.user}:wrong-password@127.0.0.1:${pg.port}/${pg.database}`,
    });
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatch(/password authentication failed for user "app"/);
    expect(wrong.error).not.toContain('wrong-password');

    const down = await run('query', { sql: 'select 1', url: 'postgres://app@127.0.0.1:1/app' });
    expect(down.ok).toBe(false);
    expect(down.error).toMatch(/^psql: error: connection to server at "127.0.0.1", port 1 failed/);
  });

  it('psql.select cannot write, even through EXPLAIN ANALYZE', async () => {
    await asApp('query', { sql: 'create table guarded (a int)' });
    const outcome = await asApp('select', {
      sql: 'explain analyze insert into guarded values (1)',
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe('ERROR: cannot execute INSERT in a read-only transaction');
    const count = await asApp('query', { sql: 'select count(*) as n from guarded' });
    expect(count.outputs.rows).toEqual([{ n: 0 }]);
  });
});

describe('params: values that stay data', () => {
  const HOSTILE = [
    '; CREATE TABLE injected_marker(x int)',
    "'); DROP TABLE victim; --",
    "it's \\'; a back\\slash",
    'two\nlines\r\n; CREATE TABLE injected_marker(x int); --',
    '$$; CREATE TABLE injected_marker(x int); $$',
    ':\'v\' :"v" :v \\! touch /tmp/injected-marker',
    '',
  ];

  beforeAll(async () => {
    await asApp('query', { sql: 'create table victim (a int)' });
  });

  it.each(HOSTILE)(":'v' is the exact value %j", async (value) => {
    const outcome = await asApp('select', { sql: `select :'v' as v`, params: { v: value } });
    expect(outcome).toMatchObject({ ok: true, outputs: { rows: [{ v: value }] } });
  });

  it(`:"t" names a relation: a hostile name is just a name that does not exist`, async () => {
    const outcome = await asApp('query', {
      sql: `SELECT count(*) FROM :"t"`,
      params: { t: 'pg_class; CREATE TABLE injected_marker(x int)' },
    });
    expect(outcome).toMatchObject({
      ok: false,
      error: 'ERROR: relation "pg_class; CREATE TABLE injected_marker(x int)" does not exist',
    });
    const select = await asApp('select', {
      sql: `SELECT count(*) AS n FROM :"t"`,
      params: { t: 'pg_class WHERE pg_terminate_backend(pg_backend_pid()) IS NULL' },
    });
    expect(select.error).toBe(
      'ERROR: relation "pg_class WHERE pg_terminate_backend(pg_backend_pid()) IS NULL" does not exist',
    );
    const left = await asApp('select', {
      sql: `select to_regclass('injected_marker') is null as no_marker, to_regclass('victim') is not null as victim`,
    });
    expect(left.outputs.rows).toEqual([{ no_marker: true, victim: true }]);
  });

  it('fills literals and identifiers of any statement, and takes numbers', async () => {
    await asApp('query', { sql: 'create table "Odd Name" (note text, n int)' });
    const inserted = await asApp('query', {
      sql: `insert into :"table" values (:'note', :'n'::int) returning note, n`,
      params: { table: 'Odd Name', note: "'); DROP TABLE victim; --", n: 7 },
    });
    expect(inserted.outputs.rows).toEqual([{ note: "'); DROP TABLE victim; --", n: 7 }]);
    const analyzed = await asApp('query', {
      sql: `ANALYZE VERBOSE :"table"`,
      params: { table: 'Odd Name' },
    });
    expect(analyzed).toMatchObject({ ok: true, outputs: { command: 'ANALYZE' } });
    expect((analyzed.outputs.notices as string[])[0]).toBe('INFO: analyzing "public.Odd Name"');
  });

  it('keeps several statements one request: a failure rolls them all back, as psql -c did', async () => {
    await asApp('query', { sql: 'create table ledger2 (a int)' });
    const failed = await asApp('query', {
      sql: `insert into ledger2 values (:'a'::int); insert into ledger2 values (1/0)`,
      params: { a: 1 },
    });
    expect(failed.error).toBe('ERROR: division by zero');
    expect(
      (await asApp('query', { sql: 'select count(*) as n from ledger2' })).outputs.rows,
    ).toEqual([{ n: 0 }]);
  });

  it('never puts a value in argv', async () => {
    const secret = `s3cret-${process.pid}`;
    const real = context();
    const { ctx, recorder } = recordingContext((request) => real.exec(request), real);
    const action = psql.actions.select;
    const outcome = await action.run(
      action.input.parse({ sql: `select :'v' as v`, params: { v: secret }, url: pg.url }),
      ctx,
    );
    expect(outcome.outputs.rows).toEqual([{ v: secret }]);
    // The value travels in the environment, and psql reads it with \getenv: argv has none.
    const url = new URL(pg.url);
    expect(recorder.calls()).toEqual([
      {
        file: 'psql',
        args: [
          '-X',
          '-w',
          '-v',
          'ON_ERROR_STOP=1',
          '-q',
          '-At',
          '-d',
          `postgres://app@${url.host}/app`,
        ],
        env: {
          PGCLIENTENCODING: 'UTF8',
          PGPASSWORD: decodeURIComponent(url.password),
          RUNBOOK_PARAM_v: secret,
          PGAPPNAME: 'runbook',
          PGCONNECT_TIMEOUT: '10',
        },
        input: [
          '\\getenv v RUNBOOK_PARAM_v',
          'BEGIN TRANSACTION READ ONLY;',
          "select coalesce(json_agg(t), '[]') from (",
          "select :'v' as v",
          ') t;',
          'ROLLBACK;',
          '',
        ].join('\n'),
      },
    ]);
  });
});

describe('psql.connections', () => {
  it('counts client connections by state, without its own', async () => {
    openSession('idle-1', { stdin: '' });
    openSession('idle-2', { stdin: '' });
    openSession('in-tx', { stdin: 'begin;\nselect 1;\n' });
    openSession('busy', { stdin: 'select pg_sleep(30);\n' });
    await waitForState('idle-1', 'idle');
    await waitForState('idle-2', 'idle');
    await waitForState('in-tx', 'idle in transaction');
    await waitForState('busy', 'active');

    const outcome = await asSuperuser('connections', {});
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toEqual({
      total: 4,
      max_connections: 40,
      usage_pct: 10,
      by_state: {
        active: 1,
        idle: 2,
        idle_in_transaction: 1,
        idle_in_transaction_aborted: 0,
        fastpath_function_call: 0,
        disabled: 0,
        unknown: 0,
      },
      notices: [],
    });

    // Another database has none; a role that may not see others' state counts them as unknown.
    expect((await asSuperuser('connections', { database: 'app' })).outputs.total).toBe(0);
    const app = await asApp('connections', {});
    expect(app.outputs).toMatchObject({ total: 4, by_state: { unknown: 4, active: 0 } });
  });
});

describe('psql.long_running and psql.terminate', () => {
  it('finds a real pg_sleep(60) and terminates it; the victim’s psql exits', async () => {
    const victim = openSession('victim', {
      sql: 'select pg_sleep(60) /* stuck report */',
      as: 'app',
    });
    const bystander = openSession('bystander', { sql: 'select pg_sleep(60) /* superuser */' });
    const victimPid = await waitForState('victim', 'active', 1);
    const bystanderPid = await waitForState('bystander', 'active', 1);

    const found = await asApp('long_running', { threshold: '1s', user: 'app' });
    expect(found.ok).toBe(true);
    expect(found.outputs).toMatchObject({ count: 1, pids: [victimPid] });
    const [query] = found.outputs.queries as Array<Record<string, unknown>>;
    expect(query).toMatchObject({
      pid: victimPid,
      state: 'active',
      usename: 'app',
      datname: 'app',
      application_name: 'fixture-victim',
      client_addr: '127.0.0.1',
      query: 'select pg_sleep(60) /* stuck report */',
    });
    expect(query?.duration_s).toBeGreaterThanOrEqual(1);
    expect(query?.duration_s).toBeLessThan(30);
    expect((await asApp('long_running', { threshold: '10m' })).outputs.count).toBe(0);

    // The app role may end its own backends, not the superuser's. Allowed to see them (not to
    // signal them), it leaves them alone instead of failing half-way.
    await pg.psql('grant pg_read_all_stats to app');
    const outcome = await asApp('terminate', { older_than: '1s' });
    await pg.psql('revoke pg_read_all_stats from app');
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      terminated: [victimPid],
      not_terminated: [bystanderPid],
      count: 1,
    });
    const exit = await victim.exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('FATAL:  terminating connection due to administrator command');
    expect(bystander.child.exitCode).toBeNull();

    // Filters narrow what is terminated: another user's name matches nothing.
    const nobody = await asSuperuser('terminate', { older_than: '1s', user: 'someone-else' });
    expect(nobody.outputs).toMatchObject({ terminated: [], count: 0 });
    expect(bystander.child.exitCode).toBeNull();
    const superuser = await asSuperuser('terminate', { older_than: '1s', pids: [bystanderPid] });
    expect(superuser.outputs).toMatchObject({ terminated: [bystanderPid] });
    expect((await bystander.exited).code).toBe(2);
  });
});

describe('psql.read_only', () => {
  it('makes new sessions of a database read-only, and writable again from inside it', async () => {
    await asApp('query', { sql: 'create table ledger (a int)' });
    const on = await asApp('read_only', { database: 'app', enabled: true });
    expect(on.ok).toBe(true);
    expect(on.outputs).toMatchObject({ database: 'app', read_only: true });

    const shown = await asApp('select', { sql: 'show default_transaction_read_only' });
    expect(shown.outputs.rows).toEqual([{ default_transaction_read_only: 'on' }]);
    const write = await asApp('query', { sql: 'insert into ledger values (1)' });
    expect(write.error).toBe('ERROR: cannot execute INSERT in a read-only transaction');

    // The URL points at the read-only database itself.
    const off = await asApp('read_only', { database: 'app', enabled: false });
    expect(off.ok).toBe(true);
    expect(off.outputs).toMatchObject({ database: 'app', read_only: false });
    const again = await asApp('select', { sql: 'show default_transaction_read_only' });
    expect(again.outputs.rows).toEqual([{ default_transaction_read_only: 'off' }]);
    expect((await asApp('query', { sql: 'insert into ledger values (1)' })).ok).toBe(true);
  });
});

const RUNBOOK = `
id: db-stuck-queries
title: Database connections exhausted by stuck queries
service: cookcam-api
severity: P1
vars:
  database_url: { env: DATABASE_URL, secret: true, required: true }
detection:
  checks:
    - id: connections
      uses: psql.connections
      with: { url: "\${{ vars.database_url }}" }
      expect: { by_state.active: { lt: 1 } }
diagnosis:
  - id: long-queries
    uses: psql.long_running
    with: { url: "\${{ vars.database_url }}", threshold: 1s }
    capture:
      stuck: outputs.count
      stuck_pids: outputs.pids
resolution:
  - id: kill-long-queries
    when: steps.long_queries.outputs.stuck > 0
    uses: psql.terminate
    with:
      url: "\${{ vars.database_url }}"
      older_than: 1s
      pids: "\${{ steps.long_queries.outputs.stuck_pids }}"
verification:
  - id: none-left
    uses: psql.long_running
    with: { url: "\${{ vars.database_url }}", threshold: 1s }
    expect: { count: 0 }
`;

describe('a runbook run with psql steps', () => {
  it('detects, diagnoses, terminates (approved) and verifies; the password never shows', async () => {
    mkdirSync(join(dir.path, 'runbooks/db'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/db/db-stuck-queries.yaml'), RUNBOOK);
    const victim = openSession('cli-victim', { sql: 'select pg_sleep(60)', as: 'app' });
    const victimPid = await waitForState('cli-victim', 'active', 1);
    const state = join(dir.path, 'state');

    const result = await runCli(
      [
        'run',
        'db-stuck-queries',
        '--dir',
        join(dir.path, 'runbooks'),
        '--format',
        'json',
        '--non-interactive',
        '--approve',
        'kill-long-queries',
      ],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: state, DATABASE_URL: pg.url } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      run_id: string;
      steps: Array<{
        id: string;
        status: string;
        effect: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    expect(result.code).toBe(0);
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.map((step) => [step.id, step.status, step.effect])).toEqual([
      ['connections', 'failed', 'read'],
      ['long-queries', 'succeeded', 'read'],
      ['kill-long-queries', 'succeeded', 'destructive'],
      ['none-left', 'succeeded', 'read'],
    ]);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('connections')?.outputs.by_state).toMatchObject({ active: 1 });
    expect(step('long-queries')?.outputs).toMatchObject({ stuck: 1, stuck_pids: [victimPid] });
    expect(step('kill-long-queries')?.outputs).toMatchObject({ terminated: [victimPid] });
    expect((await victim.exited).code).toBe(2);

    // The URL shows its user, host and database; its password was never there to redact.
    const shown = `postgres://${pg.user}@127.0.0.1:${pg.port}/${pg.database}`;
    for (const s of doc.steps) {
      expect(s.command).toContain(`-d ${shown} `);
      expect(s.command).not.toContain('***');
    }
    const journalFile = join(state, 'runs', `${doc.run_id}.jsonl`);
    expect(readdirSync(join(state, 'runs'))).toContain(`${doc.run_id}.jsonl`);
    const journal = readFileSync(journalFile, 'utf8');
    expect(journal).toContain(shown);
    for (const text of [result.stdout, journal]) {
      expect(text).not.toContain(pg.password);
      expect(text).not.toContain(encodeURIComponent(pg.password));
    }
  });
});
