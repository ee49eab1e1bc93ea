#!/usr/bin/env node
// Benchmarks the team store (docs/state.md#speed) against the local files, on a throwaway
// PostgreSQL 15 cluster it starts (initdb and pg_ctl from $PGBIN, default
// /usr/lib/postgresql/15/bin; as root the server runs as the `postgres` user):
//   1. `runbook run bench-50` (50 × `run: "true"`, the 50-step benchmark of bench/run.mjs) with
//      the local files, and with the team database: medians, and the overhead per step
//      ((database − files) / 50); and `runbook run bench-1` with both, so that a step's own cost
//      with the database is the slope, the fixed cost (loading the client, connecting) out:
//      ((db50 − db1) − (files50 − files1)) / 49 (goal ≤ 1 ms a step);
//   2. `runbook history --all-users` over 100,000 runs in the database (inserted in one statement,
//      as the store writes them), against `node -e 0` (goal ≤ 500 ms).
// The server runs with its defaults but fsync (off: the bench measures runbook, not the disk).
//
// Usage: npm run build && node bench/state-pg.mjs [--json]
// Env:   BENCH_RUNS=N timed runs of each (default 15: what a step adds is within the runs' own
//        spread, so it takes many); BENCH_STEPS=N steps of the long run (default 50; 200 measures a
//        step's cost more finely); BENCH_HISTORY_RUNS=N (default 100000)
// Exit:  0 whatever the figures (a measurement, not a test); 1 when a run fails; 2 bad usage.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, positiveInt, trivialStepsRunbook } from './common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';
const STEPS = positiveInt('BENCH_STEPS', 50);
const NAME = `bench-${STEPS}`;

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.some((a) => a !== '--json')) {
  process.stderr.write(
    'usage: node bench/state-pg.mjs [--json]   (env: BENCH_RUNS, BENCH_HISTORY_RUNS)\n',
  );
  process.exit(2);
}
const runs = positiveInt('BENCH_RUNS', 15);
const historyRuns = positiveInt('BENCH_HISTORY_RUNS', 100_000);

const work = mkdtempSync('/tmp/rb-pgbench-');
chmodSync(work, 0o755);
const asRoot = process.getuid?.() === 0;
const as = (file, argv) =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...argv]] : [file, argv];
const data = join(work, 'data');
let started = false;
function cleanup() {
  if (started) {
    const [file, argv] = as(join(PGBIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    spawnSync(file, argv, { stdio: 'ignore' });
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
if (asRoot) {
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  chownSync(work, id('-u'), id('-g'));
}
const run = (file, argv) => execFileSync(...as(file, argv), { stdio: 'ignore' });
run(join(PGBIN, 'initdb'), [
  '-D',
  data,
  '-U',
  'postgres',
  '--auth-local=trust',
  '--auth-host=scram-sha-256',
  '--no-sync',
  '-E',
  'UTF8',
  '--locale=C',
]);
started = true;
run(join(PGBIN, 'pg_ctl'), [
  '-D',
  data,
  '-l',
  join(work, 'log'),
  '-w',
  '-o',
  `-p ${port} -k ${work} -c listen_addresses=127.0.0.1 -c fsync=off`,
  'start',
]);
const psql = (sql, db = 'postgres') =>
  execFileSync(
    'psql',
    [
      '-X',
      '-q',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      work,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      db,
      '-c',
      sql,
    ],
    { encoding: 'utf8' },
  ).trim();
// A password as a team's is: random. One that shares a word with the runbook's id ("bench") would
// make every event's text a candidate for masking (src/engine/redact.ts), which a real one is not.
const password = randomBytes(18).toString('base64url');
psql(`create role bench login password '${password}'`);
psql('create database bench owner bench');
const url = `postgres://bench:${password}@127.0.0.1:${port}/bench`;

const runbookDir = join(work, 'runbooks');
mkdirSync(runbookDir);
writeFileSync(join(runbookDir, `${NAME}.yaml`), trivialStepsRunbook(STEPS));
writeFileSync(join(runbookDir, 'bench-1.yaml'), trivialStepsRunbook(1));
const base = { PATH: process.env.PATH, HOME: work, NO_COLOR: '1' };
const filesEnv = { ...base, RUNBOOK_STATE_DIR: join(work, 'state-files') };
const pgEnv = { ...base, RUNBOOK_STATE_DIR: join(work, 'state-pg'), RUNBOOK_STATE_URL: url };

function cli(argv, env) {
  const result = spawnSync(process.execPath, [CLI, ...argv], { env, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(
      `bench: runbook ${argv.join(' ')} exited ${result.status}\n${result.stderr}`,
    );
    process.exit(1);
  }
  return result;
}
cli(['state', 'migrate'], pgEnv);

function timed(argv, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    process.stderr.write(`bench: ${argv.join(' ')} exited ${result.status}\n${result.stderr}`);
    process.exit(1);
  }
  return ms;
}

// 1. The 50-step run, files and database alternating (so that load on the machine hits both).
const runArgs = [process.execPath, CLI, 'run', NAME, '--dir', runbookDir, '--non-interactive'];
cli(runArgs.slice(2), filesEnv);
cli(runArgs.slice(2), pgEnv);
// And a run of one step: what a run costs whatever its steps (loading the client, connecting),
// so that the cost of a step is the slope between the two.
const oneArgs = runArgs.map((arg) => (arg === NAME ? 'bench-1' : arg));
cli(oneArgs.slice(2), filesEnv);
cli(oneArgs.slice(2), pgEnv);
const files = [];
const team = [];
const filesOne = [];
const teamOne = [];
for (let i = 0; i < runs; i++) {
  files.push(timed(runArgs, filesEnv));
  team.push(timed(runArgs, pgEnv));
  filesOne.push(timed(oneArgs, filesEnv));
  teamOne.push(timed(oneArgs, pgEnv));
}
for (const list of [files, team, filesOne, teamOne]) list.sort((a, b) => a - b);
const events = Number(
  psql(
    `select count(*) from runbook_events e join runbook_runs r using (run_id) where r.runbook_id = '${NAME}'`,
    'bench',
  ),
);
const expected = (runs + 1) * (STEPS * 3 + 4); // bench-1's events are not counted here
if (events !== expected) {
  process.stderr.write(`bench: the database holds ${events} events of ${NAME}, not ${expected}\n`);
  process.exit(1);
}

// 2. history over many runs: rows as the store writes them (a summary each), and events for none
// (history reads only runbook_runs).
psql(
  `insert into runbook_runs (run_id, runbook_id, mode, user_name, host, started_at, ended_at, status, summary)
  select id, rb, 'execute', u, 'bastion-' || (n % 4), t, t + interval '40 seconds', st,
    jsonb_build_object('run_id', id, 'runbook', jsonb_build_object('id', rb, 'title', 'Runbook ' || rb,
      'severity', 'P2', 'file', 'runbooks/' || rb || '.yaml'), 'mode', 'execute', 'user', u,
      'host', 'bastion-' || (n % 4), 'started_at', to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'ended_at', to_char((t + interval '40 seconds') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'duration_ms', 40000, 'status', st, 'findings', '[]'::jsonb, 'parts', 1)
  from (select n, to_char(timestamptz '2025-01-01' + n * interval '1 minute', 'YYYYMMDD"T"HH24MISS"Z-"') || lpad(to_hex(n), 6, '0') as id,
          (array['api-down','disk-full','db-pool','cert-expiry','queue-backlog'])[1 + n % 5] as rb,
          (array['alice','bob','carol','dave'])[1 + n % 4] as u,
          timestamptz '2025-01-01' + n * interval '1 minute' as t,
          case when n % 10 < 8 then 'succeeded' else 'failed' end as st
        from generate_series(1, ${historyRuns}) as n) as g`,
  'bench',
);
psql('analyze runbook_runs', 'bench');
const node = [];
const history = [];
const historyAll = [];
for (let i = 0; i < runs; i++) {
  node.push(timed([process.execPath, '-e', '0'], base));
  history.push(timed([process.execPath, CLI, 'history', '--all-users'], pgEnv));
  historyAll.push(
    timed(
      [
        process.execPath,
        CLI,
        'history',
        '--all-users',
        '--runbook',
        'disk-full',
        '--status',
        'failed',
      ],
      pgEnv,
    ),
  );
}
for (const list of [node, history, historyAll]) list.sort((a, b) => a - b);

const result = {
  runs,
  steps: STEPS,
  run_files_ms: median(files),
  run_postgres_ms: median(team),
  overhead_per_step_ms: (median(team) - median(files)) / STEPS,
  run_one_files_ms: median(filesOne),
  run_one_postgres_ms: median(teamOne),
  // The cost of one more step with the database, against files: the fixed cost taken out.
  added_per_step_ms:
    (median(team) - median(teamOne) - (median(files) - median(filesOne))) / (STEPS - 1),
  history_runs: historyRuns + runs + 1,
  node_e_0_ms: median(node),
  history_ms: median(history),
  history_filtered_ms: median(historyAll),
};
if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const f = (ms) => `${ms.toFixed(0)} ms`;
  process.stdout.write(
    [
      `runbook run ${NAME} (${STEPS} steps), median of ${runs}:`,
      `  local files      ${f(result.run_files_ms)}`,
      `  team database    ${f(result.run_postgres_ms)}   (${(result.run_postgres_ms / result.run_files_ms).toFixed(2)}× files)`,
      `  overhead a step  ${result.overhead_per_step_ms.toFixed(2)} ms, the fixed cost included ((database − files) / ${STEPS})`,
      `runbook run bench-1 (1 step): files ${f(result.run_one_files_ms)}, team database ${f(result.run_one_postgres_ms)} (the fixed cost: ${f(result.run_one_postgres_ms - result.run_one_files_ms)})`,
      `  a step's cost with the database, fixed cost out: ${result.added_per_step_ms.toFixed(2)} ms (goal ≤ 1 ms)`,
      `runbook history --all-users over ${result.history_runs.toLocaleString('en')} runs in the database, median of ${runs}:`,
      `  node -e 0                          ${f(result.node_e_0_ms)}`,
      `  history (newest 50)                ${f(result.history_ms)}   (${(result.history_ms / result.node_e_0_ms).toFixed(2)}× node -e 0; goal ≤ 500 ms)`,
      `  history --runbook R --status S     ${f(result.history_filtered_ms)}   (${(result.history_filtered_ms / result.node_e_0_ms).toFixed(2)}× node -e 0)`,
      '',
    ].join('\n'),
  );
}
