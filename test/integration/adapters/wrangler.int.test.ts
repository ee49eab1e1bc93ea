import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { recordingContext, type RecordedExec } from '../../helpers/recorded-exec.js';
import { wrangler } from '../../../src/adapters/wrangler/index.js';
import {
  json,
  parseJournal,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from '../../helpers/cli.js';
import {
  startFakeCloudflare,
  V1,
  V2,
  V3,
  type FakeCloudflare,
} from '../../helpers/fake-cloudflare.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/** The wrangler adapter running the real wrangler CLI (4.86.0, from node_modules) against a
 * fake Cloudflare API on 127.0.0.1: each wrangler command takes about a second. */

type ActionName = keyof typeof wrangler.actions;

/** A context where the real wrangler runs, its process requests recorded. */
function context(
  env: Record<string, string>,
  cwd: string,
): { ctx: ActionContext; recorder: RecordedExec } {
  const scope = { env, cwd, signal: timeoutSignal(40_000) };
  const real = localExec(scope);
  return recordingContext((request) => real(request), scope);
}

function act(name: ActionName, input: unknown, ctx: ActionContext): Promise<ActionOutcome> {
  const action = wrangler.actions[name];
  return action.run(action.input.parse(input), ctx);
}

describe('wrangler actions, run directly', () => {
  let cf: FakeCloudflare;
  const dir = tempDir('runbook-wrangler-');
  let env: Record<string, string>;
  let work: string;

  beforeAll(async () => {
    cf = await startFakeCloudflare();
    work = join(dir.path, 'work');
    mkdirSync(work);
    env = cf.wranglerEnv(dir.path);
  });
  afterAll(async () => {
    await cf.close();
    dir.remove();
  });

  /** What each wrangler process is given besides the step's environment: the account's credentials
   * and where its API is. */
  const credentials = () => ({
    CLOUDFLARE_API_TOKEN: cf.token,
    CLOUDFLARE_ACCOUNT_ID: 'acc123',
    CLOUDFLARE_API_BASE_URL: env.CLOUDFLARE_API_BASE_URL,
  });

  it('finds wrangler 4.86.0 on PATH', async () => {
    expect(await wrangler.preflight({ env })).toMatchObject({
      ok: true,
      binary: 'wrangler',
      version: '4.86.0',
    });
  });

  it('whoami: who the token belongs to; the token travels in the environment only', async () => {
    const { ctx, recorder } = context(env, work);
    const before = cf.requests.length;
    const outcome = await act('whoami', {}, ctx);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      logged_in: true,
      email: 'dev@example.com',
      accounts: [{ id: 'acc123', name: 'Test Account' }],
    });
    const requests = cf.requests.slice(before);
    expect(requests.map((r) => r.path).sort()).toEqual([
      '/client/v4/accounts',
      '/client/v4/user',
      '/client/v4/user/tokens/verify',
    ]);
    expect(requests.map((r) => r.authorization)).toEqual(requests.map(() => `Bearer ${cf.token}`));
    expect(recorder.calls()).toEqual([
      { file: 'wrangler', args: ['whoami', '--json'], env: credentials() },
    ]);
    expect(JSON.stringify(recorder.argvs())).not.toContain(cf.token);
  });

  it('deployments: newest first, with the current and the previous Version', async () => {
    const outcome = await act('deployments', { name: 'my-worker' }, context(env, work).ctx);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      count: 3,
      current_version_id: V3,
      previous_version_id: V2,
    });
    const deployments = outcome.outputs.deployments as Array<Record<string, unknown>>;
    expect(deployments.map((d) => d.message)).toEqual(['deploy v3', 'deploy v2', 'first deploy']);
    expect(deployments[0]).toEqual({
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ) as string,
      created_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      author: 'dev@example.com',
      source: 'wrangler',
      message: 'deploy v3',
      versions: [{ version_id: V3, percentage: 100 }],
    });
  });

  it('versions and version: newest first, and one Version in detail', async () => {
    const list = await act('versions', { name: 'my-worker' }, context(env, work).ctx);
    expect(list.ok).toBe(true);
    expect(
      (list.outputs.versions as Array<{ id: string; tag: string; message: string }>).map((v) => [
        v.id,
        v.tag,
        v.message,
      ]),
    ).toEqual([
      [V3, 'v3', 'bad release'],
      [V2, 'v2', 'feature x'],
      [V1, 'v1', 'initial'],
    ]);
    expect(list.outputs.latest_version_id).toBe(V3);

    const one = await act('version', { name: 'my-worker', version_id: V2 }, context(env, work).ctx);
    expect(one.ok).toBe(true);
    expect(one.outputs.version).toMatchObject({
      id: V2,
      number: 2,
      tag: 'v2',
      message: 'feature x',
      author: 'dev@example.com',
      compatibility_date: '2024-09-01',
      handlers: ['fetch'],
      bindings: [{ name: 'ENCRYPTION_KEY', type: 'secret_text' }],
    });
  });

  it('an API error is a failed outcome with wrangler’s message in one clean line', async () => {
    const outcome = await act('deployments', { name: 'no-such-worker' }, context(env, work).ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error).toMatchInlineSnapshot(
      `"A request to the Cloudflare API (/accounts/acc123/workers/scripts/no-such-worker/deployments) failed: This Worker does not exist on your account. [code: 10007]"`,
    );
    expect(outcome.outputs.api_error_code).toBe(10007);
    expect(String(outcome.outputs.stderr)).not.toContain('\u001b[');
  });

  it('secret_put: the value reaches Cloudflare through stdin, never argv', async () => {
    const value = 'rotated-Secret-value-7c41e9';
    const { ctx, recorder } = context(env, work);
    const input = { name: 'my-worker', key: 'ENCRYPTION_KEY', value };
    const outcome = await act('secret_put', input, ctx);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ name: 'my-worker', key: 'ENCRYPTION_KEY' });
    expect(cf.secrets).toEqual([
      { worker: 'my-worker', name: 'ENCRYPTION_KEY', text: value, type: 'secret_text' },
    ]);
    expect(recorder.calls()).toEqual([
      {
        file: 'wrangler',
        args: ['deployments', 'status', '--name', 'my-worker', '--json'],
        env: credentials(),
      },
      {
        file: 'wrangler',
        args: ['secret', 'put', 'ENCRYPTION_KEY', '--name', 'my-worker'],
        env: credentials(),
        input: value,
      },
    ]);
    for (const call of recorder.calls()) {
      expect(JSON.stringify([call.file, call.args, call.env])).not.toContain(value);
    }
    expect(JSON.stringify(outcome.outputs)).not.toContain(value);
    expect(wrangler.actions.secret_put.describe(input)).toBe(
      'wrangler secret put ENCRYPTION_KEY --name my-worker',
    );
  });

  it('secret_put never creates a Worker for a mistyped name', async () => {
    const before = cf.requests.length;
    const outcome = await act(
      'secret_put',
      { name: 'my-wroker', key: 'ENCRYPTION_KEY', value: 'whatever-value' },
      context(env, work).ctx,
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchInlineSnapshot(
      `"Worker "my-wroker" does not exist on this account (wrangler secret put would create it): check the name"`,
    );
    expect(cf.requests.slice(before).map((r) => r.method)).toEqual(['GET']);
    expect(cf.secrets).toHaveLength(1);
  });

  it('rollback: deploys the previous Version to 100% and reports what is active now', async () => {
    const { ctx, recorder } = context(env, work);
    const before = cf.requests.length;
    const outcome = await act(
      'rollback',
      { name: 'my-worker', message: 'INC-42: errors after v3' },
      ctx,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const posts = cf.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts).toEqual([
      expect.objectContaining({
        path: '/client/v4/accounts/acc123/workers/scripts/my-worker/deployments',
        body: {
          strategy: 'percentage',
          versions: [{ version_id: V2, percentage: 100 }],
          annotations: { 'workers/message': 'INC-42: errors after v3' },
        },
      }),
    ]);
    expect(cf.activeVersion('my-worker')).toBe(V2);
    expect(outcome.outputs).toMatchObject({
      version_id: V2,
      active_version_id: V2,
      message: 'INC-42: errors after v3',
      deployment: {
        message: 'INC-42: errors after v3',
        versions: [{ version_id: V2, percentage: 100 }],
      },
    });
    expect(recorder.argvs()).toEqual([
      ['wrangler', 'rollback', '--name', 'my-worker', '--message=INC-42: errors after v3', '-y'],
      ['wrangler', 'deployments', 'status', '--name', 'my-worker', '--json'],
    ]);
  });

  it('tail: listens for the duration, keeps the matching events, then stops wrangler', async () => {
    const event = (outcome: string, method: string, status: number, log: string) => ({
      outcome,
      scriptName: 'my-worker',
      scriptVersion: { id: V2 },
      exceptions:
        outcome === 'exception'
          ? [{ name: 'Error', message: `boom: ${log}`, timestamp: 1_767_225_600_000 }]
          : [],
      logs: [{ message: [log, { path: '/api' }], level: 'error', timestamp: 1_767_225_600_000 }],
      eventTimestamp: 1_767_225_600_000,
      event: {
        request: { url: 'https://my-worker.example.workers.dev/api', method, headers: {} },
        response: { status },
      },
    });
    cf.tailEvents = [
      event('ok', 'GET', 200, 'fine'),
      event('exception', 'POST', 500, 'db timeout 1'),
      event('ok', 'POST', 200, 'fine again'),
      event('exception', 'POST', 500, 'db timeout 2'),
      event('exceededCpu', 'POST', 503, 'db timeout 3'),
    ];
    const { ctx, recorder } = context(env, work);
    // Up to a minute, but it stops as soon as two matching events have arrived: on a busy machine
    // wrangler may take seconds to start, and the test must not race a fixed window.
    const input = {
      name: 'my-worker',
      duration: '60s',
      filter: { status: 'error' as const },
      max_events: 2,
    };
    const started = performance.now();
    const outcome = await act('tail', input, ctx);
    const elapsed = performance.now() - started;
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs.stopped_by).toBe('max_events');
    expect(elapsed).toBeLessThan(60_000);
    expect(wrangler.actions.tail.describe(input)).toBe(
      'wrangler tail my-worker --format json --status error  # stopped after 60s or 2 matching events',
    );
    expect(recorder.argvs()).toEqual([
      ['wrangler', 'tail', 'my-worker', '--format', 'json', '--status', 'error'],
    ]);
    expect(cf.tails).toEqual([
      {
        worker: 'my-worker',
        filters: [{ outcome: ['exception', 'exceededCpu', 'exceededMemory', 'unknown'] }],
      },
    ]);
    expect(outcome.outputs).toMatchObject({ count: 2, error_count: 2 });
    // wrangler is gone: its WebSocket closed.
    await expect.poll(() => cf.openTails(), { timeout: 20_000 }).toBe(0);
    expect((outcome.outputs.events as unknown[])[0]).toEqual({
      timestamp: '2026-01-01T00:00:00.000Z',
      outcome: 'exception',
      status: 'error',
      script_name: 'my-worker',
      script_version: V2,
      event_type: 'request',
      method: 'POST',
      url: 'https://my-worker.example.workers.dev/api',
      response_status: 500,
      cron: null,
      logs: [
        {
          level: 'error',
          message: 'db timeout 1 {"path":"/api"}',
          timestamp: '2026-01-01T00:00:00.000Z',
        },
      ],
      exceptions: [
        { name: 'Error', message: 'boom: db timeout 1', timestamp: '2026-01-01T00:00:00.000Z' },
      ],
    });
  }, 90_000);

  it('tail: without max_events it listens for the whole duration', async () => {
    cf.tailEvents = [];
    const { ctx, recorder } = context(env, work);
    const started = performance.now();
    const outcome = await act('tail', { name: 'my-worker', duration: '2s' }, ctx);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
    expect(recorder.argvs()).toEqual([['wrangler', 'tail', 'my-worker', '--format', 'json']]);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      count: 0,
      events: [],
      truncated: false,
      stopped_by: 'duration',
    });
    await expect.poll(() => cf.openTails(), { timeout: 20_000 }).toBe(0);
  }, 90_000);
});

const OUTAGE = `
id: cloud-code-outage
title: Complete outage
service: cloud-code
severity: P0
vars:
  worker: { default: my-worker }
  worker_url: { required: true }
detection:
  symptoms: ["Health check returns non-200"]
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.worker_url }}/health", timeout: 2s }
      expect: { status: 200 }
diagnosis:
  - id: deployments
    uses: wrangler.deployments
    with: { name: "\${{ vars.worker }}" }
    capture:
      current: outputs.current_version_id
      previous: outputs.previous_version_id
resolution:
  - id: rollback
    when: steps.health.status == "failed"
    uses: wrangler.rollback
    with:
      name: "\${{ vars.worker }}"
      version_id: "\${{ steps.deployments.outputs.previous }}"
      message: "Outage: rolling back from \${{ steps.deployments.outputs.current }}"
verification:
  - id: active-version
    uses: wrangler.deployment_status
    with: { name: "\${{ vars.worker }}" }
    expect: "outputs.version_id == steps.deployments.outputs.previous"
  - id: healthy
    uses: http.get
    with: { url: "\${{ vars.worker_url }}/health", timeout: 2s }
    expect: { status: 200 }
`;

const ROTATE = `
id: rotate-encryption-key
title: Rotate the encryption key
service: cloud-code
vars:
  new_key: { env: NEW_ENCRYPTION_KEY, secret: true, required: true }
resolution:
  - id: put-key
    uses: wrangler.secret_put
    with: { name: my-worker, key: ENCRYPTION_KEY, value: "\${{ vars.new_key }}" }
`;

interface RunDocument {
  run_id: string;
  status: string;
  exit_code: number;
  steps: Array<{
    id: string;
    status: string;
    effect: string;
    command: string | null;
    outputs: Record<string, unknown>;
  }>;
}

describe('wrangler steps in runbooks, through the CLI', () => {
  let cf: FakeCloudflare;
  let site: TestServer;
  const dir = tempDir('runbook-wrangler-cli-');
  let env: Record<string, string>;

  beforeAll(async () => {
    cf = await startFakeCloudflare();
    // The Worker's public URL: down while v3 is live.
    site = await startServer((_request, response) =>
      cf.activeVersion('my-worker') === V3
        ? json(response, 503, { error: 'internal error' })
        : json(response, 200, { ok: true }),
    );
    mkdirSync(join(dir.path, 'runbooks/cloud-code'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/cloud-code/cloud-code-outage.yaml'), OUTAGE);
    writeFileSync(join(dir.path, 'runbooks/cloud-code/rotate-encryption-key.yaml'), ROTATE);
    env = { ...cf.wranglerEnv(dir.path), RUNBOOK_STATE_DIR: join(dir.path, 'state') };
  });
  afterAll(async () => {
    await site.close();
    await cf.close();
    dir.remove();
  });

  it('complete outage: detection fails, diagnosis finds the previous Version, an approved rollback restores it', async () => {
    const result = await runCli(
      [
        'run',
        'cloud-code-outage',
        '--var',
        `worker_url=${site.url}`,
        '--approve',
        'rollback',
        '--format',
        'json',
      ],
      { cwd: dir.path, env },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.steps.map((s) => [s.id, s.status, s.effect])).toEqual([
      ['health', 'failed', 'read'],
      ['deployments', 'succeeded', 'read'],
      ['rollback', 'succeeded', 'destructive'],
      ['active-version', 'succeeded', 'read'],
      ['healthy', 'succeeded', 'read'],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('deployments')?.outputs).toMatchObject({ current: V3, previous: V2 });
    expect(step('rollback')?.command).toBe(
      `wrangler rollback ${V2} --name my-worker '--message=Outage: rolling back from ${V3}' -y`,
    );
    expect(step('active-version')?.outputs.version_id).toBe(V2);
    const posts = cf.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.body)).toEqual([
      {
        strategy: 'percentage',
        versions: [{ version_id: V2, percentage: 100 }],
        annotations: { 'workers/message': `Outage: rolling back from ${V3}` },
      },
    ]);
    expect(cf.activeVersion('my-worker')).toBe(V2);
  }, 60_000);

  it('secret rotation: the key reaches Cloudflare; the command, the JSON and the journal never show it', async () => {
    const value = 'n3w-Encrypti0n-Key-5f1c9a';
    const result = await runCli(
      ['run', 'rotate-encryption-key', '--approve', 'put-key', '--format', 'json'],
      { cwd: dir.path, env: { ...env, NEW_ENCRYPTION_KEY: value } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as RunDocument;
    expect(doc.status).toBe('succeeded');
    expect(doc.steps[0]).toMatchObject({
      id: 'put-key',
      status: 'succeeded',
      effect: 'destructive',
      command: 'wrangler secret put ENCRYPTION_KEY --name my-worker',
    });
    expect(cf.secrets.at(-1)).toEqual({
      worker: 'my-worker',
      name: 'ENCRYPTION_KEY',
      text: value,
      type: 'secret_text',
    });
    const journal = readFileSync(join(dir.path, 'state/runs', `${doc.run_id}.jsonl`), 'utf8');
    // The step's two processes (the Worker's status, then the put) are journaled, each once.
    expect(
      parseJournal(journal).map((e) =>
        [
          e.type,
          String(e.type).startsWith('step.') ? (e.id ?? e.step) : e.section,
          e.status,
        ].filter((field) => field !== undefined),
      ),
    ).toEqual([
      ['run.start'],
      ['section.start', 'resolution'],
      ['step.confirm', 'put-key'],
      ['step.start', 'put-key'],
      ['step.process', 'put-key'],
      ['step.process', 'put-key'],
      ['step.end', 'put-key', 'succeeded'],
      ['section.end', 'resolution', 'succeeded'],
      ['run.end', 'succeeded'],
    ]);
    expect(journal).not.toContain(value);
    expect(result.stdout).not.toContain(value);
  }, 60_000);
});
