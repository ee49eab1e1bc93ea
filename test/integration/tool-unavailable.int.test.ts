import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';

// A step whose program is missing, or whose daemon or server does not answer, fails with the
// tool's own message and the hint `doctor` gives; no expression reads the outputs it never gave,
// and `check` grades it UNKNOWN (it could not run), never CRITICAL.

let dir: { path: string; remove: () => void };
/** A PATH with a shell and the basic utilities, and none of the tools. */
let bareBin: string;

beforeAll(() => {
  dir = tempDir('runbook-unavailable-');
  bareBin = join(dir.path, 'bin');
  mkdirSync(bareBin);
  for (const tool of ['sh', 'cat', 'echo'])
    symlinkSync(
      execFileSync('sh', ['-c', `command -v ${tool}`])
        .toString()
        .trim(),
      join(bareBin, tool),
    );
  mkdirSync(join(dir.path, 'runbooks'));
});
afterAll(() => dir.remove());

/** A runbook of one detection check that captures one of its outputs. */
function writeCheck(id: string, step: string[]): void {
  writeFileSync(
    join(dir.path, 'runbooks', `${id}.yaml`),
    [
      `id: ${id}`,
      'title: T',
      'detection:',
      '  checks:',
      '    - id: probe',
      ...step.map((line) => `      ${line}`),
      '',
    ].join('\n'),
  );
}

interface Observed {
  /** check's exit code. */
  exit: number;
  state: string;
  summary: string;
  status: string | undefined;
  reason: string | undefined;
  hint: string | undefined;
  unavailable: boolean | undefined;
}

async function observe(id: string, env: Record<string, string>): Promise<Observed> {
  const common = ['--dir', join(dir.path, 'runbooks')];
  const fullEnv = { RUNBOOK_STATE_DIR: join(dir.path, 'state'), ...env };
  const check = await runCli(['check', id, '--format', 'json', ...common], {
    cwd: dir.path,
    env: fullEnv,
  });
  const checked = JSON.parse(check.stdout) as { checks: Array<{ state: string; summary: string }> };
  const run = await runCli(['run', id, '--read-only', '--format', 'json', ...common], {
    cwd: dir.path,
    env: fullEnv,
  });
  const ran = JSON.parse(run.stdout) as {
    steps: Array<{ status: string; reason?: string; hint?: string; unavailable?: boolean }>;
  };
  const [result] = checked.checks;
  const [step] = ran.steps;
  return {
    exit: check.code,
    state: result?.state ?? '',
    summary: result?.summary ?? '',
    status: step?.status,
    reason: step?.reason,
    hint: step?.hint,
    unavailable: step?.unavailable,
  };
}

const absent = [
  {
    adapter: 'pm2',
    step: ['uses: pm2.status', 'with: { app: api }', 'capture: { state: outputs.status }'],
    reason: 'pm2: command not found (is it installed and on PATH?)',
    hint: 'install pm2: npm install -g pm2',
  },
  {
    adapter: 'docker',
    step: ['uses: docker.ps', 'capture: { n: outputs.count }'],
    reason: 'docker: command not found (is it installed and on PATH?)',
    hint: 'install the Docker CLI (Debian: apt-get install docker.io)',
  },
  {
    adapter: 'psql',
    step: [
      'uses: psql.select',
      'with: { sql: "select 1 as n" }',
      'capture: { n: "outputs.rows[0].n" }',
    ],
    reason: 'psql: command not found (is it installed and on PATH?)',
    hint: 'install the PostgreSQL client (apt-get install postgresql-client)',
  },
  {
    adapter: 'wrangler',
    step: ['uses: wrangler.whoami', 'capture: { who: outputs.email }'],
    reason: 'wrangler: command not found (is it installed and on PATH?)',
    hint: 'install wrangler (npm i -g wrangler; 4.86.0 is the last release for Node 20)',
  },
  {
    adapter: 'systemd',
    step: [
      'uses: systemd.status',
      'with: { unit: api.service }',
      'capture: { s: outputs.active_state }',
    ],
    reason: 'systemctl: command not found (is it installed and on PATH?)',
    hint: 'systemd units need a machine booted with systemd',
  },
  {
    adapter: 'nginx',
    step: ['uses: nginx.test', 'capture: { ok: outputs.valid }'],
    reason: 'nginx: command not found (is it installed and on PATH?)',
    hint: 'install nginx (apt-get install nginx), or give actions binary: /usr/sbin/nginx',
  },
  {
    adapter: 'curl',
    step: [
      'uses: curl.get',
      'with: { url: "http://127.0.0.1:9/" }',
      'capture: { s: outputs.status }',
    ],
    reason: 'curl: command not found (is it installed and on PATH?)',
    hint: 'install curl (apt-get install curl)',
  },
  {
    adapter: 'shell',
    step: ['run: pm2 jlist', 'effect: read', 'capture: { s: "outputs.json[0].name" }'],
    reason: 'sh: 1: pm2: not found',
    hint: 'install the missing program, or fix PATH (runbook doctor <id> lists what a runbook needs)',
  },
];

describe('a program that is not installed', () => {
  it.each(absent)('$adapter: its message and hint, UNKNOWN in check', async (tool) => {
    const id = `absent-${tool.adapter}`;
    writeCheck(id, tool.step);
    const seen = await observe(id, { PATH: bareBin });
    expect(seen).toEqual({
      exit: 3,
      state: 'UNKNOWN',
      summary: `${tool.reason} (${tool.hint})`,
      status: 'failed',
      reason: tool.reason,
      hint: tool.hint,
      unavailable: true,
    });
  });
});

describe('a daemon or server that does not answer', () => {
  let pg: PgCluster;
  let closedPort: number;
  beforeAll(async () => {
    pg = await startPostgres();
    // A port nothing listens on: bound, then released.
    const server = createServer();
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    closedPort = (server.address() as { port: number }).port;
    await new Promise((closed) => server.close(closed));
  }, 120_000);
  afterAll(() => pg?.stop());

  it('docker: no engine at DOCKER_HOST', async () => {
    writeCheck('down-docker', ['uses: docker.ps', 'capture: { n: outputs.count }']);
    const socket = join(dir.path, 'no-engine.sock');
    const seen = await observe('down-docker', {
      PATH: process.env.PATH ?? '',
      DOCKER_HOST: `unix://${socket}`,
    });
    const said = `Cannot connect to the Docker daemon at unix://${socket}. Is the docker daemon running?`;
    const hint =
      'start the Docker engine, or point DOCKER_HOST (or the with: host of a step) at one that runs';
    expect(seen).toEqual({
      exit: 3,
      state: 'UNKNOWN',
      summary: `${said} (${hint})`,
      status: 'failed',
      reason: said,
      hint,
      unavailable: true,
    });
  });

  it('pm2: its daemon can be neither reached nor started', async () => {
    // PM2_HOME is a file: pm2 can create no socket there and start no daemon.
    const home = join(dir.path, 'pm2-home-is-a-file');
    writeFileSync(home, '');
    writeCheck('down-pm2', [
      'uses: pm2.status',
      `with: { app: api, pm2_home: "${home}" }`,
      'capture: { state: outputs.status }',
    ]);
    const seen = await observe('down-pm2', {
      PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
    });
    const said = `the pm2 daemon cannot be reached or started: connect ENOTDIR ${home}/rpc.sock`;
    const hint =
      'check PM2_HOME (the pm2_home: of the step, or ~/.pm2): it must be a directory this user can write';
    expect(seen).toEqual({
      exit: 3,
      state: 'UNKNOWN',
      summary: `${said} (${hint})`,
      status: 'failed',
      reason: said,
      hint,
      unavailable: true,
    });
  }, 60_000);

  it('psql: no server on that port', async () => {
    writeCheck('down-psql', [
      'uses: psql.select',
      `with: { url: "postgres://runbook@127.0.0.1:${closedPort}/postgres", sql: "select 1 as n" }`,
      'capture: { n: "outputs.rows[0].n" }',
    ]);
    const seen = await observe('down-psql', { PATH: process.env.PATH ?? '' });
    const said = `psql: error: connection to server at "127.0.0.1", port ${closedPort} failed: Connection refused`;
    const hint =
      'is the PostgreSQL server running and reachable? check the url: of the step (or PGHOST and PGPORT)';
    expect(seen).toEqual({
      exit: 3,
      state: 'UNKNOWN',
      summary: `${said} (${hint})`,
      status: 'failed',
      reason: said,
      hint,
      unavailable: true,
    });
  });

  it('psql: a server that refuses the login is not a failed expectation either', async () => {
    writeCheck('refused-psql', [
      'uses: psql.select',
      `with: { url: "postgres://${pg.user}:wrong-password@127.0.0.1:${pg.port}/${pg.database}", sql: "select 1 as n" }`,
      'capture: { n: "outputs.rows[0].n" }',
    ]);
    const seen = await observe('refused-psql', { PATH: process.env.PATH ?? '' });
    const said = `psql: error: connection to server at "127.0.0.1", port ${pg.port} failed: FATAL: password authentication failed for user "${pg.user}"`;
    const hint =
      'check the user and password of the connection (the url: of the step, or PGUSER and PGPASSWORD)';
    expect(seen).toEqual({
      exit: 3,
      state: 'UNKNOWN',
      summary: `${said} (${hint})`,
      status: 'failed',
      reason: said,
      hint,
      unavailable: true,
    });
  });

  it('a tool that answers with a failure is still graded by its answer', async () => {
    writeCheck('answered-psql', [
      'uses: psql.select',
      `with: { url: "${pg.url}", sql: "select 1 as n from no_such_table" }`,
      'capture: { n: "outputs.rows[0].n" }',
    ]);
    const seen = await observe('answered-psql', { PATH: process.env.PATH ?? '' });
    const said = 'ERROR: relation "no_such_table" does not exist';
    expect(seen).toEqual({
      exit: 2,
      state: 'CRITICAL',
      summary: said,
      status: 'failed',
      reason: said,
      hint: undefined,
      unavailable: undefined,
    });
  });
});
