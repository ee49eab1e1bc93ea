import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { curl } from '../../../src/adapters/curl/index.js';
import { localExec } from '../../../src/exec/local.js';
import { json, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { timeoutSignal } from '../../../src/common/abort.js';
import { recordingContext, type RecordedExec } from '../../helpers/recorded-exec.js';

/** The real curl binary against a real HTTP server on 127.0.0.1. */

const TOKEN = 'tok-9d2f61c4e0';
let server: TestServer;
let closedPort: number;
let flakyHits = 0;
const dir = tempDir('runbook-curl-');

/** A context where the real curl runs, its process requests recorded to look at the argv it was
 * given. */
function context(): { ctx: ActionContext; recorder: RecordedExec } {
  const scope = { signal: timeoutSignal(20_000), env: { PATH: process.env.PATH }, cwd: dir.path };
  const real = localExec(scope);
  return recordingContext((request) => real(request), scope);
}

function act(
  name: keyof typeof curl.actions,
  input: Record<string, unknown>,
  ctx: ActionContext = context().ctx,
): Promise<ActionOutcome> {
  const action = curl.actions[name];
  return action.run(action.input.parse(input), ctx);
}

beforeAll(async () => {
  server = await startServer((request, response, body) => {
    const url = request.url ?? '';
    if (url === '/health') return json(response, 200, { healthy: true });
    if (url === '/down') return json(response, 503, { healthy: false });
    if (url === '/slow') {
      setTimeout(() => json(response, 200, { slow: true }), 3000).unref();
      return;
    }
    if (url === '/flaky') {
      flakyHits += 1;
      response.writeHead(flakyHits % 2 === 0 ? 200 : 503, { 'content-type': 'text/plain' });
      return response.end(`hit ${flakyHits}\n`);
    }
    if (url.startsWith('/echo'))
      return json(response, 200, { method: request.method, headers: request.headers, body });
    json(response, 404, { error: 'not found' });
  });
  const probe = createServer();
  await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((closed) => probe.close(() => closed()));
});

afterAll(async () => {
  await server.close();
  dir.remove();
  expect(existsSync(dir.path)).toBe(false);
});

describe('curl actions against a real HTTP server', () => {
  it('a GET gives the status, numeric timings, headers, the body and its JSON', async () => {
    const outcome = await act('get', { url: `${server.url}/health` });
    expect(outcome.ok).toBe(true);
    expect(outcome.error).toBeUndefined();
    const outputs = outcome.outputs;
    expect(outputs).toMatchObject({
      status: 200,
      exit_code: 0,
      body: '{"healthy":true}',
      json: { healthy: true },
      remote_ip: '127.0.0.1',
      http_version: '1.1',
      content_type: 'application/json',
      size_bytes: 16,
      redirects: 0,
    });
    for (const key of [
      'dns_ms',
      'connect_ms',
      'tls_ms',
      'ttfb_ms',
      'server_ms',
      'total_ms',
      'latency_ms',
    ]) {
      expect(typeof outputs[key], key).toBe('number');
      expect(outputs[key] as number, key).toBeGreaterThanOrEqual(0);
    }
    expect(outputs.ttfb_ms as number).toBeGreaterThan(0);
    expect(outputs.total_ms as number).toBeGreaterThanOrEqual(outputs.ttfb_ms as number);
    expect(outputs.tls_ms).toBe(0);
    expect((outputs.headers as Record<string, string>)['content-type']).toBe('application/json');
  });

  it('a 503 is a failed outcome with the status and body; with fail: true it is curl exit 22', async () => {
    const plain = await act('get', { url: `${server.url}/down` });
    expect(plain.ok).toBe(false);
    expect(plain.error).toBe(`HTTP 503 from ${server.url.slice(7)}`);
    expect(plain.outputs).toMatchObject({
      status: 503,
      exit_code: 0,
      json: { healthy: false },
    });

    const failing = await act('get', { url: `${server.url}/down`, fail: true });
    expect(failing.ok).toBe(false);
    expect(failing.exitCode).toBe(22);
    expect(failing.error).toBe(`HTTP 503 from ${server.url.slice(7)} (curl --fail, exit 22)`);
    expect(failing.outputs).toMatchObject({ status: 503, exit_code: 22, body: '' });
  });

  it('a server that does not answer in time is curl exit 28, a timeout', async () => {
    const started = performance.now();
    const outcome = await act('get', { url: `${server.url}/slow`, timeout: '300ms' });
    expect(performance.now() - started).toBeLessThan(2500);
    expect(outcome).toMatchObject({ ok: false, exitCode: 28, timedOut: true });
    expect(outcome.error).toBe(`no answer from ${server.url.slice(7)} within 300ms (curl exit 28)`);
    expect(outcome.outputs).toMatchObject({ status: 0, exit_code: 28 });
    expect(outcome.outputs.total_ms as number).toBeGreaterThanOrEqual(290);
  });

  it('a closed port is curl exit 7, connection refused', async () => {
    const outcome = await act('get', { url: `http://127.0.0.1:${closedPort}/health` });
    expect(outcome).toMatchObject({ ok: false, exitCode: 7 });
    expect(outcome.error).toBe(
      `127.0.0.1:${closedPort}: connection refused (curl exit 7): is the service running?`,
    );
    expect(outcome.stderr).toMatch(/^curl: \(7\) Failed to connect/);
  });

  it('retries ride over a 503 and keep only the last body', async () => {
    flakyHits = 0;
    const outcome = await act('get', { url: `${server.url}/flaky`, retry: 3, retry_delay: '1s' });
    expect(outcome.ok).toBe(true);
    expect(flakyHits).toBe(2);
    expect(outcome.outputs).toMatchObject({ status: 200, body: 'hit 2\n' });
  });

  it('a HEAD request has the status and headers, and no body', async () => {
    const outcome = await act('get', { url: `${server.url}/health`, method: 'HEAD' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ status: 200, body: '' });
    expect(server.requests.at(-1)?.method).toBe('HEAD');
  });

  it('a URL with brackets and braces is one request for the URL as written, not a glob', async () => {
    const before = server.requests.length;
    // The test server answers 404 for any path it does not know: what matters is what it received.
    const outcome = await act('get', { url: `${server.url}/any?ids=[1-3]&pick={a,b}` });
    expect(outcome.outputs).toMatchObject({ status: 404 });
    expect(server.requests.slice(before).map((r) => r.url)).toEqual(['/any?ids=[1-3]&pick={a,b}']);
  });

  it('a POST sends its data as JSON', async () => {
    const outcome = await act('request', {
      url: `${server.url}/echo`,
      data: { job: '8f3c', note: 'say "hi"\nbye' },
    });
    expect(outcome.ok).toBe(true);
    const received = server.requests.at(-1);
    expect(received?.method).toBe('POST');
    expect(received?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received?.body ?? '')).toEqual({ job: '8f3c', note: 'say "hi"\nbye' });
    expect(outcome.outputs.json).toMatchObject({ method: 'POST' });
  });

  it('the Authorization header reaches the server but never argv nor the description', async () => {
    const { ctx, recorder } = context();
    const input = {
      url: `http://ops:pw-51c0@${server.url.slice(7)}/echo`,
      method: 'PUT',
      headers: { Authorization: `Bearer ${TOKEN}`, 'X-Incident': '42' },
      data: 'drain=1',
    };
    const outcome = await act('request', input, ctx);
    expect(outcome.ok).toBe(true);
    const received = server.requests.at(-1);
    expect(received?.method).toBe('PUT');
    expect(received?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(received?.headers['x-incident']).toBe('42');
    expect(received?.body).toBe('drain=1');
    // The URL's credentials went as a user option: basic auth, not in argv either.
    expect(received?.url).toBe('/echo');
    // The credentials travel on stdin, in curl's config (-K -), never in argv.
    expect(recorder.calls()).toEqual([
      {
        file: 'curl',
        args: [
          '-sS',
          '--globoff',
          '-X',
          'PUT',
          '--max-time',
          '10',
          '-H',
          'X-Incident: 42',
          '-w',
          '%{stderr}\\n@@runbook-curl-write-out@@%{json}\\n%{header_json}',
          '-K',
          '-',
        ],
        input: [
          `header = "Authorization: Bearer ${TOKEN}"`,
          'user = "ops:pw-51c0"',
          'data-raw = "drain=1"',
          `url = "${server.url}/echo"`,
          '',
        ].join('\n'),
      },
    ]);
    const argv = recorder.argvs().map((words) => words.join(' '));
    expect(argv.join('')).not.toContain(TOKEN);
    expect(argv.join('')).not.toContain('pw-51c0');
    const described = curl.actions.request.describe(curl.actions.request.input.parse(input));
    expect(described).not.toContain(TOKEN);
    expect(described).toContain(`-H 'Authorization: ***'`);
  });
});

const RUNBOOK = `
id: api-latency
title: API slow or failing
service: api
severity: P2
vars:
  base_url: { required: true }
  token: { env: API_TOKEN, secret: true, required: true }
detection:
  checks:
    - id: health
      uses: curl.get
      with: { url: "\${{ vars.base_url }}/down", timeout: 5s }
      expect: { status: 200, total_ms: { warn: 1000, crit: 3000 } }
diagnosis:
  - id: timing
    uses: curl.get
    with: { url: "\${{ vars.base_url }}/health" }
    capture:
      ttfb: outputs.ttfb_ms
      healthy: outputs.json.healthy
resolution:
  - id: drain
    when: steps.timing.outputs.healthy == true
    uses: curl.request
    with:
      url: "\${{ vars.base_url }}/echo"
      headers: { Authorization: "Bearer \${{ vars.token }}" }
      data: { action: drain }
    capture:
      method: outputs.json.method
verification:
  - id: healthy
    uses: curl.get
    with: { url: "\${{ vars.base_url }}/health", fail: true }
    expect: { status: 200, "json.healthy": true }
`;

describe('curl steps in a runbook, through the CLI', () => {
  it('finds the 503, captures timings, posts with a secret header and verifies', async () => {
    const runbooks = join(dir.path, 'runbooks');
    mkdirSync(join(runbooks, 'api'), { recursive: true });
    writeFileSync(join(runbooks, 'api/api-latency.yaml'), RUNBOOK);
    const before = server.requests.length;
    const result = await runCli(
      [
        'run',
        'api-latency',
        '--dir',
        runbooks,
        '--var',
        `base_url=${server.url}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env: { API_TOKEN: TOKEN, RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{
        id: string;
        status: string;
        effect: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    expect(doc.steps.map((s) => [s.id, s.status, s.effect])).toEqual([
      ['health', 'failed', 'read'],
      ['timing', 'succeeded', 'read'],
      ['drain', 'succeeded', 'write'],
      ['healthy', 'succeeded', 'read'],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('health')?.outputs.status).toBe(503);
    expect(typeof step('timing')?.outputs.ttfb).toBe('number');
    expect(step('drain')?.outputs.method).toBe('POST');
    expect(step('drain')?.command).toContain(`-H 'Authorization: ***'`);
    expect(result.stdout).not.toContain(TOKEN);
    const drained = server.requests.slice(before).find((r) => r.method === 'POST');
    expect(drained?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(drained?.body ?? '')).toEqual({ action: 'drain' });
  });
});
