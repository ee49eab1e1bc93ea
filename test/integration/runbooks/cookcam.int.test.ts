import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';
import { baseConfig, NGINX, startNginx, type NginxFixture } from '../../helpers/nginx.js';
import { startPm2Fixture, waitFor, waitForHealth, type Pm2Fixture } from '../../helpers/pm2.js';
import { freePort } from '../../helpers/ports.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { runbookIds } from '../../helpers/recorders.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/**
 * The CookCam runbooks (runbooks/cookcam): three incidents run for real, from detection through
 * verification — "API not responding" against a Node HTTP app under a real pm2, "Database connection issues" against a real PostgreSQL 15 with
 * idle and stuck connections, and "Rate limit triggered" against a real nginx with a limit_req zone.
 */

const DIR = join(ROOT, 'runbooks/cookcam');
const IDS = runbookIds(DIR);

interface StepRecord {
  id: string;
  section: string;
  status: string;
  effect: string;
  command: string | null;
  outputs: Record<string, unknown>;
}

interface RunDocument {
  run_id: string;
  status: string;
  exit_code: number;
  steps: StepRecord[];
}

const stepOf = (doc: RunDocument, id: string): StepRecord => {
  const found = doc.steps.find((step) => step.id === id);
  if (!found) throw new Error(`no step ${id} in the run`);
  return found;
};

const statuses = (doc: RunDocument): string[][] =>
  doc.steps.map((step) => [step.section, step.id, step.status]);

describe('the CookCam runbooks', () => {
  // Their dry runs are in test/fixtures/shipped-plans.yaml (test/e2e/shipped-plans.e2e.test.ts).
  it('ships the six runbooks of the seed', () => {
    expect(IDS).toEqual([
      'cookcam-api-down',
      'cookcam-db-connections',
      'cookcam-memory-leak',
      'cookcam-mitigation',
      'cookcam-rate-limit',
      'cookcam-stripe-webhooks',
    ]);
  });
});

describe('"API not responding" against a real pm2', () => {
  let fixture: Pm2Fixture;
  let port: number;
  const dir = tempDir('runbook-cookcam-pm2-');

  beforeAll(async () => {
    fixture = startPm2Fixture();
    port = await freePort();
    const started = await fixture.pm2(['start', fixture.appScript, '--name', 'cookcam-api'], {
      PORT: String(port),
    });
    expect(started.code, started.stderr).toBe(0);
    await waitForHealth(port);
  });
  afterAll(async () => {
    const left = await fixture.close();
    dir.remove();
    expect(left).toEqual([]);
  });

  const run = async (): Promise<{ code: number; doc: RunDocument }> => {
    const result = await runCli(
      [
        'run',
        'cookcam-api-down',
        '--dir',
        DIR,
        '--var',
        `api_url=http://127.0.0.1:${port}`,
        '--var',
        `port=${port}`,
        '--non-interactive',
        '--approve',
        'restart',
        '--format',
        'json',
      ],
      { env: { ...fixture.env, RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    return { code: result.code, doc: JSON.parse(result.stdout) as RunDocument };
  };

  it('detects the stopped API, diagnoses it with pm2, restarts it (approved) and verifies /health', async () => {
    const stopped = await fixture.pm2(['stop', 'cookcam-api']);
    expect(stopped.code, stopped.stderr).toBe(0);

    const { code, doc } = await run();
    expect(statuses(doc)).toEqual([
      ['detection', 'health', 'failed'],
      ['diagnosis', 'pm2-status', 'succeeded'],
      ['diagnosis', 'port-binding', 'succeeded'],
      ['diagnosis', 'resources', 'succeeded'],
      ['resolution', 'restart', 'succeeded'],
      ['resolution', 'force-delete', 'skipped'],
      ['resolution', 'force-start', 'skipped'],
      ['resolution', 'root-cause-logs', 'succeeded'],
      ['verification', 'healthy-again', 'succeeded'],
      ['verification', 'pm2-online', 'succeeded'],
    ]);
    expect(code).toBe(0);
    expect(doc.status).toBe('succeeded');
    expect(stepOf(doc, 'health').outputs).not.toHaveProperty('status');
    expect(stepOf(doc, 'pm2-status').outputs).toMatchObject({
      app_status: 'stopped',
      online: 0,
      processes: [{ name: 'cookcam-api', status: 'stopped', pid: 0 }],
    });
    expect(stepOf(doc, 'port-binding').outputs.stdout).toContain(`nothing listens on port ${port}`);
    expect(stepOf(doc, 'restart')).toMatchObject({
      effect: 'destructive',
      command: 'pm2 restart cookcam-api',
    });
    expect(stepOf(doc, 'restart').outputs).toMatchObject({ status: 'online', pids_before: [] });
    const [pid] = stepOf(doc, 'restart').outputs.pids as number[];
    expect(stepOf(doc, 'root-cause-logs').outputs.log_lines).toContain(`listening on ${port}`);
    expect(stepOf(doc, 'healthy-again').outputs).toMatchObject({
      status: 200,
      json: { ok: true, pid },
    });
    // The API really serves again, from the process pm2 started.
    expect((await waitForHealth(port)).pid).toBe(pid);
  });

  it('leaves a healthy API alone: no restart', async () => {
    const { code, doc } = await run();
    expect(code).toBe(0);
    expect(stepOf(doc, 'health').status).toBe('succeeded');
    expect(stepOf(doc, 'port-binding').outputs.stdout).toContain(`127.0.0.1:${port}`);
    expect(
      doc.steps.filter((step) => step.section === 'resolution').map((step) => step.status),
    ).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
  });
});

describe('"Database connection issues" against a real PostgreSQL', () => {
  let pg: PgCluster;
  const dir = tempDir('runbook-cookcam-pg-');
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    pg = await startPostgres({ user: 'cookcam', database: 'cookcam' });
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    pg?.stop();
    dir.remove();
  });

  /** A psql of the API's role over TCP: runs `sql` and, with keepOpen, stays connected. */
  const session = (name: string, sql: string, keepOpen: boolean) => {
    const args = ['-X', '-w', '-q', '-d', `postgres://${pg.user}@127.0.0.1:${pg.port}/cookcam`];
    if (!keepOpen) args.push('-c', sql);
    const child = spawn('psql', args, {
      env: { PATH: process.env.PATH, PGPASSWORD: pg.password, PGAPPNAME: `cookcam-${name}` },
      stdio: [keepOpen ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    });
    if (keepOpen) child.stdin?.write(`${sql}\n`);
    children.push(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stderr })),
    );
    return { child, exited };
  };

  const backend = (name: string, state: string): Promise<number> =>
    waitFor(`${name} ${state} for over a second`, async () => {
      const pid = await pg.psql(
        `select pid from pg_stat_activity where application_name = 'cookcam-${name}'` +
          ` and state = '${state}' and now() - query_start > interval '1.2 seconds'`,
      );
      return pid === '' ? undefined : Number(pid);
    });

  it('finds the idle and stuck connections, terminates them (approved) and verifies they are gone', async () => {
    const stuck = session('report', 'select pg_sleep(60) /* nightly report */', false);
    session('pool-1', 'select 1;', true);
    session('pool-2', 'select 1;', true);
    const stuckPid = await backend('report', 'active');
    const idlePids = [await backend('pool-1', 'idle'), await backend('pool-2', 'idle')].sort(
      (a, b) => a - b,
    );

    const result = await runCli(
      [
        'run',
        'cookcam-db-connections',
        '--dir',
        DIR,
        '--var',
        'query_threshold=1s',
        '--var',
        'idle_threshold=1s',
        '--var',
        'pool_reset=terminate-idle',
        '--non-interactive',
        '--approve',
        'kill-long-queries',
        '--approve',
        'terminate-idle',
        '--format',
        'json',
      ],
      { env: { DATABASE_URL: pg.url, RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(statuses(doc)).toEqual([
      ['detection', 'connection-usage', 'succeeded'],
      ['detection', 'stuck-queries', 'failed'],
      ['diagnosis', 'connection-count', 'succeeded'],
      ['diagnosis', 'long-running', 'succeeded'],
      ['diagnosis', 'active-queries', 'succeeded'],
      ['diagnosis', 'idle-connections', 'succeeded'],
      ['resolution', 'kill-long-queries', 'succeeded'],
      ['resolution', 'restart-pool', 'skipped'],
      ['resolution', 'terminate-idle', 'succeeded'],
      ['resolution', 'raise-max-connections', 'skipped'],
      ['verification', 'no-stuck-queries', 'succeeded'],
      ['verification', 'no-stale-idle', 'succeeded'],
      ['verification', 'connections-after', 'succeeded'],
    ]);
    expect(result.code).toBe(0);
    expect(doc.status).toBe('succeeded');

    expect(stepOf(doc, 'stuck-queries').outputs).toMatchObject({ count: 1, pids: [stuckPid] });
    expect(stepOf(doc, 'connection-count').outputs).toMatchObject({
      total: 3,
      max_connections: 40,
      active: 1,
      idle: 2,
    });
    expect(stepOf(doc, 'long-running').outputs).toMatchObject({
      stuck: 1,
      stuck_pids: [stuckPid],
    });
    const rows = stepOf(doc, 'active-queries').outputs.rows as Array<Record<string, unknown>>;
    expect(rows.map((row) => row.pid)).toEqual([stuckPid]);
    expect(rows[0]?.query).toContain('pg_sleep(60)');
    expect(stepOf(doc, 'idle-connections').outputs).toMatchObject({ idle_stale: 2 });
    expect([...(stepOf(doc, 'idle-connections').outputs.idle_pids as number[])].sort()).toEqual(
      idlePids,
    );
    expect(stepOf(doc, 'kill-long-queries')).toMatchObject({ effect: 'destructive' });
    expect(stepOf(doc, 'kill-long-queries').outputs).toMatchObject({ terminated: [stuckPid] });
    expect(stepOf(doc, 'terminate-idle').outputs).toMatchObject({ terminated: idlePids });
    expect(stepOf(doc, 'connections-after').outputs).toMatchObject({ total: 0 });

    // The stuck query's client was cut off; none of the three backends is left.
    const exit = await stuck.exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('terminating connection due to administrator command');
    const left = await pg.psql(
      `select count(*) from pg_stat_activity where pid in (${[stuckPid, ...idlePids].join(', ')})`,
    );
    expect(left).toBe('0');
    // The password never reached the output.
    expect(result.stdout).not.toContain(pg.password);
    expect(result.stdout).not.toContain(encodeURIComponent(pg.password));
  });
});

describe('"Rate limit triggered" against a real nginx', () => {
  let server: NginxFixture;
  const dir = tempDir('runbook-cookcam-nginx-');

  /** /api/ allows 1 request a second with a burst of 2, and answers 429 past it (as CookCam does). */
  const config = (root: string, port: number): string =>
    baseConfig(
      root,
      `    listen 127.0.0.1:${port};
    location = /nginx_status { stub_status; access_log off; }
    location /api/ {
      limit_req zone=api_limit burst=2 nodelay;
      limit_req_status 429;
      root ${root}/html;
    }`,
      '  limit_req_zone $binary_remote_addr zone=api_limit:1m rate=1r/s;',
    );

  beforeAll(async () => {
    server = await startNginx(config, { 'html/api/health.json': '{"status":"ok"}\n' });
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  const get = async (path: string): Promise<number> =>
    (await fetch(`${server.url}${path}`, { signal: timeoutSignal(5000) })).status;

  it('sees the 429s in the error log, raises the zone rate (approved), reloads, and verifies', async () => {
    let rejected = 0;
    for (let sent = 0; rejected < 3 && sent < 50; sent++)
      if ((await get('/api/health.json')) === 429) rejected++;
    expect(rejected).toBe(3);

    const result = await runCli(
      [
        'run',
        'cookcam-rate-limit',
        '--dir',
        DIR,
        '--var',
        `api_url=${server.url}`,
        '--var',
        'probe_path=/api/health.json',
        '--var',
        `error_log=${server.errorLog}`,
        '--var',
        `nginx_conf=${server.config}`,
        '--var',
        `nginx_bin=${NGINX}`,
        '--var',
        `stub_status_url=${server.url}/nginx_status`,
        '--non-interactive',
        '--approve',
        'raise-limit',
        '--format',
        'json',
      ],
      { env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as RunDocument;
    // The detection probe may or may not be rejected, depending on when it lands.
    expect(statuses(doc).filter(([, id]) => id !== 'probe')).toEqual([
      ['detection', 'rejections', 'failed'],
      ['diagnosis', 'limiting-requests', 'succeeded'],
      ['diagnosis', 'connections', 'succeeded'],
      ['resolution', 'raise-limit', 'succeeded'],
      ['resolution', 'check-config', 'succeeded'],
      ['resolution', 'reload-nginx', 'succeeded'],
      ['resolution', 'whitelist', 'skipped'],
      ['resolution', 'under-attack', 'skipped'],
      ['verification', 'probe-ok', 'succeeded'],
      ['verification', 'probe-ok-again', 'succeeded'],
    ]);
    expect(result.code).toBe(0);
    expect(doc.status).toBe('succeeded');

    const found = stepOf(doc, 'limiting-requests').outputs;
    expect(found.rejected).toBeGreaterThanOrEqual(3);
    expect(found.zones).toEqual({ api_limit: found.rejected });
    expect(found.clients).toEqual([{ client: '127.0.0.1', count: found.rejected }]);
    // The detection probe comes after the log was read, and may itself have been rejected.
    const probeRejected = stepOf(doc, 'probe').outputs.status === 429 ? 1 : 0;
    expect(stepOf(doc, 'rejections').outputs.count).toBe(rejected);
    expect(found.rejected).toBe(rejected + probeRejected);
    expect(stepOf(doc, 'connections').outputs.active).toBeGreaterThanOrEqual(1);
    expect(stepOf(doc, 'check-config').outputs.valid).toBe(true);
    expect(stepOf(doc, 'reload-nginx').command).toBe(
      `${NGINX} -s reload -c ${server.config} -e ${server.errorLog}`,
    );
    expect(stepOf(doc, 'probe-ok').outputs.status).toBe(200);

    // The zone's rate was raised in the file (the previous one kept beside it), and nginx uses it.
    expect(readFileSync(server.config, 'utf8')).toContain('zone=api_limit:1m rate=20r/s;');
    expect(readFileSync(`${server.config}.runbook-bak`, 'utf8')).toContain(
      'zone=api_limit:1m rate=1r/s;',
    );
    // Five requests 100 ms apart: past 1r/s with a burst of 2, well within 20r/s.
    const paced: number[] = [];
    for (let sent = 0; sent < 5; sent++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      paced.push(await get('/api/health.json'));
    }
    expect(paced).toEqual([200, 200, 200, 200, 200]);
  });
});
