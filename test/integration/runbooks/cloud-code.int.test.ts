import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, ROOT, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { startFakeCloudflare, V2, V3, type FakeCloudflare } from '../../helpers/fake-cloudflare.js';
import { runbookIds } from '../../helpers/recorders.js';

/**
 * The Cloud-Code runbooks (runbooks/cloud-code): the complete outage and the rollback run for real — the real wrangler CLI (node_modules/.bin, 4.86.0)
 * against the fake Cloudflare API, and a local HTTP server standing in for the Worker's URL whose
 * health depends on the Version the API says is live. Each wrangler command takes about a second.
 */

const DIR = join(ROOT, 'runbooks/cloud-code');
const IDS = runbookIds(DIR);

interface RunDocument {
  run_id: string;
  status: string;
  exit_code: number;
  steps: Array<{
    id: string;
    section: string;
    status: string;
    effect: string;
    command: string | null;
    outputs: Record<string, unknown>;
  }>;
}

function parse(stdout: string): RunDocument & { step: (id: string) => RunDocument['steps'][0] } {
  const doc = JSON.parse(stdout) as RunDocument;
  return {
    ...doc,
    step: (id: string) => {
      const found = doc.steps.find((s) => s.id === id);
      if (!found) throw new Error(`no step ${id} in the run`);
      return found;
    },
  };
}

describe('cloud-code runbooks', () => {
  // Their dry runs are in test/fixtures/shipped-plans.yaml (test/e2e/shipped-plans.e2e.test.ts).
  it('ships one runbook per incident of the Cloud-Code runbook', () => {
    expect(IDS).toEqual([
      'cloud-code-complete-outage',
      'cloud-code-container-failures',
      'cloud-code-github-webhooks-failing',
      'cloud-code-high-error-rate',
      'cloud-code-performance-degradation',
      'cloud-code-rollback',
      'cloud-code-security-incident',
    ]);
  });
});

/** The Worker's URL, played by a local server: down while v3 is live, like the real one would be. */
async function startWorkerSite(cf: FakeCloudflare): Promise<TestServer> {
  return startServer((request, response) => {
    const broken = cf.activeVersion('my-worker') === V3;
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health')
      return broken
        ? json(response, 503, { error: 'internal error' })
        : json(response, 200, { status: 'ok' });
    if (path === '/webhooks/github' && request.method === 'POST')
      return broken
        ? json(response, 500, { error: 'internal error' })
        : json(response, 401, { error: 'invalid signature' });
    if (path === '/cloudflare-status')
      return json(response, 200, {
        status: { indicator: 'none', description: 'All Systems Operational' },
      });
    return json(response, 404, { error: 'not found' });
  });
}

function tailEvent(outcome: string, status: number, message: string) {
  return {
    outcome,
    scriptName: 'my-worker',
    scriptVersion: { id: V3 },
    exceptions: [{ name: 'Error', message, timestamp: 1_767_225_600_000 }],
    logs: [{ message: [`ERROR ${message}`], level: 'error', timestamp: 1_767_225_600_000 }],
    eventTimestamp: 1_767_225_600_000,
    event: {
      request: { url: 'https://my-worker.example.workers.dev/health', method: 'GET', headers: {} },
      response: { status },
    },
  };
}

describe('cloud-code-complete-outage, for real', () => {
  let cf: FakeCloudflare;
  let site: TestServer;
  const dir = tempDir('runbook-cloud-code-outage-');
  let env: Record<string, string>;

  beforeAll(async () => {
    cf = await startFakeCloudflare();
    cf.tailEvents = [
      tailEvent('exception', 500, 'container failed to start'),
      tailEvent('exception', 500, 'container failed to start'),
    ];
    site = await startWorkerSite(cf);
    env = { ...cf.wranglerEnv(dir.path), RUNBOOK_STATE_DIR: join(dir.path, 'state') };
  });
  afterAll(async () => {
    await site.close();
    await cf.close();
    dir.remove();
  });

  it('detects the outage, finds the previous Version, rolls back (approved) and verifies', async () => {
    expect(cf.activeVersion('my-worker')).toBe(V3);
    const result = await runCli(
      [
        'run',
        'cloud-code-complete-outage',
        '--non-interactive',
        '--var',
        'worker=my-worker',
        '--var',
        `worker_url=${site.url}`,
        '--var',
        `cloudflare_status_url=${site.url}/cloudflare-status`,
        '--var',
        // The tail's time counts from wrangler's start, which alone takes seconds on a busy
        // machine: long enough for the two events to arrive whatever the load.
        'tail_duration=20s',
        '--approve',
        'rollback',
        '--format',
        'json',
      ],
      { env },
    );
    expect(result.stderr).toBe('');
    const doc = parse(result.stdout);
    expect(doc.steps.map((s) => [s.section, s.id, s.status])).toEqual([
      ['detection', 'health', 'failed'],
      ['diagnosis', 'versions', 'succeeded'],
      ['diagnosis', 'deployments', 'succeeded'],
      ['diagnosis', 'logs', 'succeeded'],
      ['diagnosis', 'cloudflare-status', 'succeeded'],
      ['resolution', 'rollback', 'succeeded'],
      ['resolution', 'redeploy-container', 'skipped'],
      ['verification', 'active-version', 'succeeded'],
      ['verification', 'healthy', 'succeeded'],
      ['verification', 'webhook-endpoint', 'succeeded'],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);

    expect(doc.step('health').outputs.status).toBe(503);
    expect(doc.step('versions').outputs.latest).toBe(V3);
    expect(doc.step('deployments').outputs).toMatchObject({ current: V3, previous: V2 });
    expect(doc.step('logs').outputs).toMatchObject({ errors: 2, count: 2 });
    expect(doc.step('cloudflare-status').outputs.indicator).toBe('none');
    expect(doc.step('rollback')).toMatchObject({
      effect: 'destructive',
      command: `wrangler rollback ${V2} --name my-worker '--message=Complete outage: rolling back from ${V3}' -y`,
    });
    expect(doc.step('rollback').outputs.active_version_id).toBe(V2);
    expect(doc.step('active-version').outputs.version_id).toBe(V2);
    expect(doc.step('healthy').outputs.status).toBe(200);
    expect(doc.step('webhook-endpoint').outputs.status).toBe(401);

    // The effect on Cloudflare: one new deployment, of v2, at 100%.
    const posts = cf.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/deployments'));
    expect(posts.map((r) => r.body)).toEqual([
      {
        strategy: 'percentage',
        versions: [{ version_id: V2, percentage: 100 }],
        annotations: { 'workers/message': `Complete outage: rolling back from ${V3}` },
      },
    ]);
    expect(cf.activeVersion('my-worker')).toBe(V2);
    expect(cf.tails).toEqual([
      {
        worker: 'my-worker',
        filters: [{ outcome: ['exception', 'exceededCpu', 'exceededMemory', 'unknown'] }],
      },
    ]);
    expect(site.requests.filter((r) => r.url === '/health').length).toBe(2);
  }, 120_000);
});

describe('cloud-code-rollback, for real', () => {
  let cf: FakeCloudflare;
  let site: TestServer;
  const dir = tempDir('runbook-cloud-code-rollback-');
  let env: Record<string, string>;

  beforeAll(async () => {
    cf = await startFakeCloudflare();
    site = await startWorkerSite(cf);
    env = { ...cf.wranglerEnv(dir.path), RUNBOOK_STATE_DIR: join(dir.path, 'state') };
  });
  afterAll(async () => {
    await site.close();
    await cf.close();
    dir.remove();
  });

  const run = (...extra: string[]) =>
    runCli(
      [
        'run',
        'cloud-code-rollback',
        '--non-interactive',
        '--var',
        'worker=my-worker',
        '--var',
        `worker_url=${site.url}`,
        ...extra,
        '--format',
        'json',
      ],
      { env },
    );

  it('without approval, stops at the rollback (exit 3) and changes nothing', async () => {
    const result = await run();
    const doc = parse(result.stdout);
    expect(result.code).toBe(3);
    expect(doc.step('good-version').outputs.target).toBe(V2);
    expect(doc.step('rollback')).toMatchObject({ status: 'skipped', effect: 'destructive' });
    // It stops there: no verification, no rollback section.
    expect(doc.steps.map((s) => [s.section, s.id, s.status])).toEqual([
      ['detection', 'health', 'failed'],
      ['diagnosis', 'versions', 'succeeded'],
      ['diagnosis', 'deployments', 'succeeded'],
      ['diagnosis', 'good-version', 'succeeded'],
      ['resolution', 'rollback', 'skipped'],
    ]);
    expect(cf.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(cf.activeVersion('my-worker')).toBe(V3);
  }, 120_000);

  it('identifies the last known good Version, rolls back to it and verifies', async () => {
    const result = await run('--var', 'reason=INC-7: errors after v3', '--approve', 'rollback');
    expect(result.stderr).toBe('');
    const doc = parse(result.stdout);
    expect(doc.steps.map((s) => [s.section, s.id, s.status])).toEqual([
      ['detection', 'health', 'failed'],
      ['diagnosis', 'versions', 'succeeded'],
      ['diagnosis', 'deployments', 'succeeded'],
      ['diagnosis', 'good-version', 'succeeded'],
      ['resolution', 'rollback', 'succeeded'],
      ['verification', 'active-version', 'succeeded'],
      ['verification', 'healthy', 'succeeded'],
    ]);
    expect(result.code).toBe(0);
    expect(doc.step('versions').outputs).toMatchObject({ latest: V3, count: 3 });
    expect(doc.step('deployments').outputs).toMatchObject({ current: V3, previous: V2 });
    expect(doc.step('good-version').outputs).toMatchObject({
      target: V2,
      tag: 'v2',
      message: 'feature x',
    });
    expect(doc.step('good-version').command).toBe(
      `wrangler versions view ${V2} --name my-worker --json`,
    );
    expect(doc.step('rollback').command).toBe(
      `wrangler rollback ${V2} --name my-worker '--message=INC-7: errors after v3' -y`,
    );
    expect(doc.step('active-version').outputs.active).toBe(V2);
    expect(doc.step('healthy').outputs.status).toBe(200);
    expect(cf.activeVersion('my-worker')).toBe(V2);
  }, 120_000);
});
