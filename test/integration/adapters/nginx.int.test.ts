import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { nginx } from '../../../src/adapters/nginx/index.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { baseConfig, NGINX, startNginx, waitFor, type NginxFixture } from '../../helpers/nginx.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/** A real nginx (Debian's 1.22) started by the tests, on 127.0.0.1 and a free port. */

const API_FILE = { 'html/api/orders.json': '{"orders":[]}\n' };

/** /api/ is limited to 1 request a second per client, with no burst; stub_status is open. */
function limitedConfig(dir: string, port: number): string {
  return baseConfig(
    dir,
    `    listen 127.0.0.1:${port};
    location = /health { default_type text/plain; return 200 "ok\\n"; }
    location = /nginx_status { stub_status; access_log off; }
    location /api/ {
      limit_req zone=api_limit;
      add_header X-Rate-Limit 1r/s always;
      root ${dir}/html;
    }`,
    '  limit_req_zone $binary_remote_addr zone=api_limit:1m rate=1r/s;',
  );
}

function context(): ActionContext {
  const base = {
    signal: timeoutSignal(20_000),
    timeoutMs: undefined,
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
  };
  return { ...base, exec: localExec(base), host: undefined };
}

function act(
  name: keyof typeof nginx.actions,
  input: Record<string, unknown>,
): Promise<ActionOutcome> {
  const action = nginx.actions[name];
  return action.run(action.input.parse(input), context());
}

async function get(url: string): Promise<{ status: number; body: string; limit: string | null }> {
  // A connection each: a reload ends the old workers, and a kept-alive socket of theirs would fail
  // the next request (UND_ERR_SOCKET) on a busy machine.
  const response = await fetch(url, {
    headers: { connection: 'close' },
    signal: timeoutSignal(30_000),
  });
  return {
    status: response.status,
    body: await response.text(),
    limit: response.headers.get('x-rate-limit'),
  };
}

describe('nginx actions against a real nginx', () => {
  let server: NginxFixture;

  beforeAll(async () => {
    server = await startNginx(limitedConfig, API_FILE);
  });
  afterAll(async () => {
    const dir = server.dir;
    await server.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('nginx -t passes a good configuration', async () => {
    const outcome = await act('test', server.control);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      valid: true,
      syntax_ok: true,
      config_file: server.config,
      errors: [],
      exit_code: 0,
    });
  });

  it('nginx -t reports a broken configuration with its file and line', async () => {
    const broken = join(server.dir, 'broken.conf');
    const lines = limitedConfig(server.dir, server.port).split('\n');
    const at = lines.findIndex((line) => line.includes('limit_req zone=api_limit;'));
    lines[at] = '      limit_reqq zone=api_limit;';
    writeFileSync(broken, lines.join('\n'));
    const outcome = await act('test', { ...server.control, config: broken });
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error).toBe(
      `nginx -t failed: ${broken}:${at + 1}: unknown directive "limit_reqq"`,
    );
    expect(outcome.outputs).toMatchObject({
      valid: false,
      syntax_ok: false,
      errors: [
        { level: 'emerg', message: 'unknown directive "limit_reqq"', file: broken, line: at + 1 },
      ],
    });
  });

  it('reload picks up a changed configuration: a new location answers', async () => {
    expect((await get(`${server.url}/added`)).status).toBe(404);
    const text = limitedConfig(server.dir, server.port).replace(
      'location = /health',
      'location = /added { default_type text/plain; return 200 "added\\n"; }\n    location = /health',
    );
    server.writeConfig(text);
    const outcome = await act('reload', server.control);
    expect(outcome).toMatchObject({ ok: true, exitCode: 0 });
    expect(outcome.outputs).toMatchObject({ signalled: true, errors: [] });
    // Old workers may still take a new connection or two while they wind down.
    let last: Awaited<ReturnType<typeof get>> | undefined;
    await waitFor(
      async () => (last = await get(`${server.url}/added`)).status === 200,
      30_000,
      () => 'the new location never answered',
    );
    expect(last?.body).toBe('added\n');
  });

  it('a reload with a broken configuration is refused and nginx keeps serving', async () => {
    const broken = join(server.dir, 'broken.conf');
    const outcome = await act('reload', { ...server.control, config: broken });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(
      new RegExp(`^nginx -s reload failed: ${broken}:\\d+: unknown directive "limit_reqq"$`),
    );
    expect(outcome.outputs.signalled).toBe(false);
    expect((await get(`${server.url}/health`)).status).toBe(200);
  });

  it('a reload of an nginx that is not running says so', async () => {
    const other = join(server.dir, 'other.conf');
    writeFileSync(
      other,
      readFileSync(server.config, 'utf8').replace(
        `pid ${server.dir}/nginx.pid;`,
        `pid ${server.dir}/gone.pid;`,
      ),
    );
    const outcome = await act('reload', { ...server.control, config: other });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe(
      `nginx is not running: no pid file at ${server.dir}/gone.pid (start it, or point config/prefix at the running instance)`,
    );
  });

  it('status reads stub_status counters; a health URL is just its status', async () => {
    const outcome = await act('status', { url: `${server.url}/nginx_status` });
    expect(outcome.ok).toBe(true);
    const outputs = outcome.outputs;
    expect(outputs).toMatchObject({ status: 200, stub_status: true, dropped: 0 });
    expect(outputs.active_connections as number).toBeGreaterThanOrEqual(1);
    // Every connection accepted has carried a request, but those still open may not have yet.
    expect(outputs.requests as number).toBeGreaterThanOrEqual(
      (outputs.accepts as number) - (outputs.active_connections as number),
    );
    expect(typeof outputs.latency_ms).toBe('number');

    const health = await act('status', { url: `${server.url}/health` });
    expect(health.ok).toBe(true);
    expect(health.outputs).toMatchObject({ status: 200, body: 'ok\n', stub_status: false });
    expect(health.outputs).not.toHaveProperty('active_connections');
  });

  it('requests past the limit get 503, and rate_limited finds them in the error log', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => get(`${server.url}/api/orders.json`)),
    );
    const rejected = statuses.filter((response) => response.status === 503).length;
    expect(rejected).toBeGreaterThanOrEqual(4);
    expect(statuses.every((response) => response.limit === '1r/s')).toBe(true);

    const outcome = await act('rate_limited', { error_log: server.errorLog, since: '5m' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      count: rejected,
      zones: { api_limit: rejected },
      clients: [{ client: '127.0.0.1', count: rejected }],
      delayed: 0,
    });
    const entries = outcome.outputs.entries as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(rejected);
    expect(entries[0]).toMatchObject({
      kind: 'rejected',
      zone: 'api_limit',
      client: '127.0.0.1',
      request: 'GET /api/orders.json HTTP/1.1',
      host: `127.0.0.1:${server.port}`,
    });
    expect(typeof entries[0]?.excess).toBe('number');
    // The log itself is not copied into the outputs.
    expect(outcome.outputs).not.toHaveProperty('stdout');

    const otherZone = await act('rate_limited', { error_log: server.errorLog, zone: 'login' });
    expect(otherZone.outputs.count).toBe(0);
  });

  it('rate_limited on a log that does not exist fails with the reason', async () => {
    const missing = join(server.dir, 'missing.log');
    const outcome = await act('rate_limited', { error_log: missing });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe(
      `could not read ${missing}: tail: cannot open '${missing}' for reading: No such file or directory`,
    );
  });
});

/** CookCam's "Rate limit triggered": see the 503s, count them, raise the limit, reload, verify. */
const burst = (prefix: string, count: number, indent: string, retry = ''): string =>
  Array.from(
    { length: count },
    (_, index) => `${indent}- id: ${prefix}-${index + 1}
${indent}  uses: curl.get
${indent}  with: { url: "\${{ vars.base_url }}/api/orders.json" }
${indent}  expect: { status: 200 }${retry ? `\n${indent}  ${retry}` : ''}
${indent}  parallel: true`,
  ).join('\n');

const RUNBOOK = `
id: cookcam-rate-limit
title: Rate limit triggered
service: cookcam-api
severity: P2
summary: 429/503 errors, legitimate users blocked.
vars:
  base_url: { required: true }
  nginx_bin: { default: ${NGINX} }
  nginx_prefix: { required: true }
  nginx_conf: { required: true }
  error_log: { required: true }
detection:
  checks:
${burst('burst', 4, '    ')}
diagnosis:
  - id: limits
    uses: nginx.rate_limited
    with: { error_log: "\${{ vars.error_log }}", since: 10m }
    capture:
      rejected: outputs.count
      zone_hits: outputs.zones.api_limit
      top_client: outputs.clients[0].client
    expect: "outputs.count > 0"
  - id: connections
    uses: nginx.status
    with: { url: "\${{ vars.base_url }}/nginx_status" }
    capture: { active: outputs.active_connections }
resolution:
  - id: raise-limit
    when: steps.limits.outputs.rejected > 0
    run: sed -i -e 's#1r/s#50r/s#g' -e 's#zone=api_limit;#zone=api_limit burst=20 nodelay;#' \${{ vars.nginx_conf }}
  - id: check-config
    uses: nginx.test
    with: &nginx
      binary: "\${{ vars.nginx_bin }}"
      prefix: "\${{ vars.nginx_prefix }}"
      config: "\${{ vars.nginx_conf }}"
      error_log: "\${{ vars.error_log }}"
    expect: { valid: true }
  - id: reload
    uses: nginx.reload
    with: *nginx
verification:
  - id: new-limit-live
    uses: curl.get
    with: { url: "\${{ vars.base_url }}/api/orders.json" }
    retry: { attempts: 30, delay: 100ms, until: 'outputs.headers["x-rate-limit"] == "50r/s"' }
  # nginx keeps its old workers (and the old limit) for ~100 ms after a reload.
${burst('after', 5, '  ', 'retry: { attempts: 3, delay: 300ms }')}
`;

describe('the rate-limit runbook, through the CLI', () => {
  let server: NginxFixture;
  const dir = tempDir('runbook-nginx-cli-');

  beforeAll(async () => {
    server = await startNginx(limitedConfig, API_FILE);
    mkdirSync(join(dir.path, 'runbooks/cookcam'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/cookcam/cookcam-rate-limit.yaml'), RUNBOOK);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('detects the 503s, counts them in the log, raises the limit, reloads, and verifies', async () => {
    const result = await runCli(
      [
        'run',
        'cookcam-rate-limit',
        '--dir',
        join(dir.path, 'runbooks'),
        '--var',
        `base_url=${server.url}`,
        '--var',
        `nginx_prefix=${server.dir}`,
        '--var',
        `nginx_conf=${server.config}`,
        '--var',
        `error_log=${server.errorLog}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{
        id: string;
        section: string;
        status: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    const detection = doc.steps.filter((s) => s.section === 'detection');
    const limited = detection.filter((s) => s.status === 'failed');
    // 1 request a second with no burst: of four at once, at most one gets through.
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const step of limited) expect(step.outputs.status).toBe(503);

    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('limits')?.outputs).toMatchObject({
      count: limited.length,
      rejected: limited.length,
      zone_hits: limited.length,
      top_client: '127.0.0.1',
    });
    expect(step('connections')?.outputs.active).toBeGreaterThanOrEqual(1);
    expect(step('check-config')?.outputs.valid).toBe(true);
    expect(step('check-config')?.command).toBe(
      `${NGINX} -t -p ${server.dir} -c ${server.config} -e ${server.errorLog}`,
    );
    expect(step('reload')?.command).toBe(
      `${NGINX} -s reload -p ${server.dir} -c ${server.config} -e ${server.errorLog}`,
    );
    // Parallel steps are recorded as they finish: compare them sorted.
    const byId = (a: string[], b: string[]) => String(a[0]).localeCompare(String(b[0]));
    expect(
      doc.steps
        .filter((s) => s.section !== 'detection')
        .map((s) => [s.id, s.status])
        .sort(byId),
    ).toEqual(
      [
        ['limits', 'succeeded'],
        ['connections', 'succeeded'],
        ['raise-limit', 'succeeded'],
        ['check-config', 'succeeded'],
        ['reload', 'succeeded'],
        ['new-limit-live', 'succeeded'],
        ['after-1', 'succeeded'],
        ['after-2', 'succeeded'],
        ['after-3', 'succeeded'],
        ['after-4', 'succeeded'],
        ['after-5', 'succeeded'],
      ].sort(byId),
    );
    expect(doc.steps.find((s) => s.section === 'verification')?.id).toBe('new-limit-live');
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    expect(readFileSync(server.config, 'utf8')).toContain(
      'limit_req zone=api_limit burst=20 nodelay;',
    );
  });
});
