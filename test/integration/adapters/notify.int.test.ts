import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { notify } from '../../../src/adapters/notify.js';
import { json, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/** notify.slack and notify.webhook against a real HTTP server on 127.0.0.1. */
const RUNBOOK = `
id: tell-people
title: Tell people about the incident
service: billing-db
vars:
  slack_webhook: { secret: true, required: true }
  pager_webhook: { env: INCIDENT_WEBHOOK_URL, required: true }
  db_password: { secret: true, required: true }
  pager_token: { secret: true, required: true }
resolution:
  - id: tell-slack
    uses: notify.slack
    with:
      webhook_url: "\${{ vars.slack_webhook }}"
      text: "Failover of \${{ runbook.service }} done (password was \${{ vars.db_password }})"
      channel: "#incidents"
      username: runbook
  - id: page
    uses: notify.webhook
    with:
      url: "\${{ vars.pager_webhook }}"
      headers: { Authorization: "Bearer \${{ vars.pager_token }}" }
      payload:
        summary: "\${{ runbook.service }} failed over"
        details: { password: "\${{ vars.db_password }}", seen: ["\${{ vars.db_password }}", 3] }
`;

interface JsonRun {
  run_id: string;
  status: string;
  steps: Array<{
    id: string;
    status: string;
    command: string | null;
    outputs: Record<string, unknown>;
    reason?: string;
  }>;
}

function readTree(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('notify against a real HTTP server', () => {
  const dir = tempDir('rb-notify-');
  const hookToken = `XOXB${process.pid}hooktoken`;
  const password = `pw-${process.pid}-hunter2`;
  const pagerToken = `pager-${process.pid}-token`;
  let server: TestServer;
  let slackUrl: string;
  let pagerUrl: string;
  let host: string;

  const context = (): ActionContext => {
    const base = {
      env: { PATH: process.env.PATH },
      cwd: dir.path,
      signal: timeoutSignal(10_000),
    };
    return { ...base, timeoutMs: undefined, exec: localExec(base), host: undefined };
  };

  beforeAll(async () => {
    server = await startServer((request, response) => {
      const url = request.url ?? '';
      if (url.includes('fail-400')) return void response.writeHead(400).end('invalid_payload');
      if (url.includes('fail-500')) return void response.writeHead(500).end('');
      if (url.startsWith('/services/')) return void response.writeHead(200).end('ok');
      if (url.startsWith('/v2/enqueue'))
        return json(response, 202, { status: 'success', dedup_key: 'k1' });
      json(response, 404, {});
    });
    host = new URL(server.url).host;
    slackUrl = `${server.url}/services/T0001/B0002/${hookToken}`;
    pagerUrl = `${server.url}/v2/enqueue/${hookToken}-pager`;
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(join(dir.path, 'runbooks/tell-people.yaml'), RUNBOOK);
  });

  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('posts the Slack incoming-webhook JSON', async () => {
    server.requests.length = 0;
    const outcome = await notify.actions.slack.run(
      { webhook_url: slackUrl, text: 'API down: 502s', channel: '#ops', username: 'runbook' },
      context(),
    );
    expect(outcome).toMatchObject({ ok: true, outputs: { status: 200, body: 'ok' } });
    expect(outcome.outputs.latency_ms).toBeTypeOf('number');
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/services/T0001/B0002/${hookToken}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      text: 'API down: 502s',
      channel: '#ops',
      username: 'runbook',
    });
  });

  it('posts a JSON payload with headers to a webhook and reads its JSON answer', async () => {
    server.requests.length = 0;
    const outcome = await notify.actions.webhook.run(
      { url: pagerUrl, payload: { event_action: 'trigger' }, headers: { 'X-Routing-Key': 'r1' } },
      context(),
    );
    expect(outcome).toMatchObject({
      ok: true,
      outputs: { status: 202, json: { status: 'success', dedup_key: 'k1' } },
    });
    expect(server.requests[0]?.headers['x-routing-key']).toBe('r1');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ event_action: 'trigger' });
  });

  it('fails on a 4xx or 5xx answer or no server, naming only the host', async () => {
    const errors: Array<string | undefined> = [];
    for (const path of ['fail-400', 'fail-500']) {
      const outcome = await notify.actions.slack.run(
        { webhook_url: `${server.url}/services/${path}/${hookToken}`, text: 'x' },
        context(),
      );
      expect(outcome.ok).toBe(false);
      errors.push(outcome.error);
    }
    const port = await closedPort();
    const refused = await notify.actions.webhook.run(
      { url: `http://127.0.0.1:${port}/hook/${hookToken}`, payload: {} },
      context(),
    );
    expect(refused.ok).toBe(false);
    errors.push(refused.error?.replace(String(port), 'CLOSED'));
    expect(errors.map((error) => error?.replace(host, 'HOST'))).toMatchInlineSnapshot(`
      [
        "Slack webhook at HOST answered HTTP 400: invalid_payload",
        "Slack webhook at HOST answered HTTP 500",
        "webhook at 127.0.0.1:CLOSED: connection refused",
      ]
    `);
    expect(errors.join('\n')).not.toContain(hookToken);
  });

  it('sends secrets in messages as ***, keeps the webhook URL and headers intact, and never shows the URL', async () => {
    server.requests.length = 0;
    const state = join(dir.path, 'state-ok');
    const result = await runCli(
      [
        'run',
        'tell-people',
        '--var',
        `slack_webhook=${slackUrl}`,
        '--var',
        `db_password=${password}`,
        '--var',
        `pager_token=${pagerToken}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: state, INCIDENT_WEBHOOK_URL: pagerUrl } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as JsonRun;
    expect(doc.steps.map((step) => [step.id, step.status])).toEqual([
      ['tell-slack', 'succeeded'],
      ['page', 'succeeded'],
    ]);

    const [slack, pager] = server.requests;
    expect(slack?.url).toBe(`/services/T0001/B0002/${hookToken}`);
    expect(JSON.parse(slack?.body ?? '')).toEqual({
      text: 'Failover of billing-db done (password was ***)',
      channel: '#incidents',
      username: 'runbook',
    });
    expect(pager?.url).toBe(`/v2/enqueue/${hookToken}-pager`);
    expect(pager?.headers.authorization).toBe(`Bearer ${pagerToken}`);
    expect(JSON.parse(pager?.body ?? '')).toEqual({
      summary: 'billing-db failed over',
      details: { password: '***', seen: ['***', 3] },
    });

    expect(doc.steps[0]?.command).toBe(
      `POST http://${host}/… (Slack webhook) --data {"text":"Failover of billing-db done (password was ***)","channel":"#incidents","username":"runbook"}`,
    );
    expect(doc.steps[1]?.command).toMatch(
      new RegExp(
        `^POST http://${host.replace(/\./g, '\\.')}/… \\(webhook\\) -H 'Authorization: …' --data `,
      ),
    );
    // The slack URL is a secret variable; the pager URL comes from an environment credential.
    const journal = readTree(state);
    for (const shown of [result.stdout, journal]) {
      expect(shown).not.toContain(hookToken);
      expect(shown).not.toContain('/services/');
      expect(shown).not.toContain('/v2/enqueue');
      expect(shown).not.toContain(password);
      expect(shown).not.toContain(pagerToken);
    }
    expect(journal).toContain('"tell-slack"');
  });

  it('fails the run when the webhook answers 500, and a dry run posts nothing', async () => {
    server.requests.length = 0;
    const state = join(dir.path, 'state-fail');
    const args = [
      'run',
      'tell-people',
      '--var',
      `slack_webhook=${server.url}/services/fail-500/${hookToken}`,
      '--var',
      `db_password=${password}`,
      '--var',
      `pager_token=${pagerToken}`,
      '--format',
      'json',
    ];
    const env = { RUNBOOK_STATE_DIR: state, INCIDENT_WEBHOOK_URL: pagerUrl };
    const failed = await runCli(args, { cwd: dir.path, env });
    expect(failed.code).toBe(1);
    const doc = JSON.parse(failed.stdout) as JsonRun;
    expect(doc.steps.map((step) => [step.id, step.status, step.reason])).toEqual([
      ['tell-slack', 'failed', `Slack webhook at ${host} answered HTTP 500`],
    ]);
    expect(server.requests).toHaveLength(1);
    expect(failed.stdout + readTree(state)).not.toContain(hookToken);

    server.requests.length = 0;
    const planned = await runCli([...args, '--dry-run'], { cwd: dir.path, env });
    expect(planned.code).toBe(0);
    expect((JSON.parse(planned.stdout) as JsonRun).steps.map((step) => step.status)).toEqual([
      'planned',
      'planned',
    ]);
    expect(server.requests).toHaveLength(0);
  });
});
