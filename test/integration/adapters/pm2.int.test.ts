import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { pm2 } from '../../../src/adapters/pm2/index.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startPm2Fixture, waitFor, waitForHealth, type Pm2Fixture } from '../../helpers/pm2.js';
import { freePort } from '../../helpers/ports.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/** Real pm2 7.0.4 in a private PM2_HOME, driving a real Node HTTP app. */

const SECRET = 'app-secret-7f3a9c';

type Processes = Array<Record<string, unknown>>;

let fixture: Pm2Fixture;
let apiPort: number;

function context(env: Record<string, string | undefined> = fixture.env): ActionContext {
  const base = {
    signal: timeoutSignal(30_000),
    timeoutMs: undefined,
    env,
    cwd: fixture.home,
  };
  return { ...base, exec: localExec(base), host: undefined };
}

function act(
  name: keyof typeof pm2.actions,
  input: Record<string, unknown>,
  env?: Record<string, string | undefined>,
): Promise<ActionOutcome> {
  const action = pm2.actions[name];
  return action.run(action.input.parse(input), context(env));
}

const processesOf = (outcome: ActionOutcome): Processes => outcome.outputs.processes as Processes;

beforeAll(async () => {
  fixture = startPm2Fixture();
  apiPort = await freePort();
  const started = await fixture.pm2(['start', fixture.appScript, '--name', 'api'], {
    PORT: String(apiPort),
    API_SECRET_TOKEN: SECRET,
  });
  expect(started.code, started.stderr).toBe(0);
  await waitForHealth(apiPort);
});

afterAll(async () => {
  const left = await fixture.close();
  expect(existsSync(fixture.home)).toBe(false);
  // No God Daemon and no app of this PM2_HOME outlives the tests.
  expect(left).toEqual([]);
});

describe('pm2 actions against a real pm2', () => {
  it('status reports the app: pid, memory in bytes, restarts, uptime, mode; never its environment', async () => {
    const health = await waitForHealth(apiPort);
    const outcome = await act('status', { app: 'api' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ count: 1, online: 1, status: 'online' });
    const [api] = processesOf(outcome);
    expect(api).toEqual({
      name: 'api',
      pm_id: expect.any(Number) as number,
      namespace: 'default',
      status: 'online',
      pid: health.pid,
      cpu: expect.any(Number) as number,
      memory: expect.any(Number) as number,
      restarts: 0,
      unstable_restarts: 0,
      uptime_s: expect.any(Number) as number,
      exec_mode: 'fork_mode',
      instances: 1,
    });
    expect(api?.memory).toBeGreaterThan(1024 * 1024);
    expect(outcome.outputs.pids).toEqual([health.pid]);
    expect(JSON.stringify(outcome)).not.toContain(SECRET);

    const all = await act('status', {});
    expect(all.outputs).not.toHaveProperty('status');
    expect(processesOf(all).map((p) => p.name)).toContain('api');
  });

  it('describe adds where the app runs from, still without its environment', async () => {
    const outcome = await act('describe', { app: 'api' });
    expect(outcome.ok).toBe(true);
    expect(processesOf(outcome)[0]).toMatchObject({
      name: 'api',
      status: 'online',
      script: fixture.appScript,
      interpreter: 'node',
      out_log: join(fixture.home, 'logs/api-out.log'),
      err_log: join(fixture.home, 'logs/api-error.log'),
    });
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
  });

  it('pm2_home points a call at another PM2_HOME than the step environment', async () => {
    const elsewhere = tempDir('runbook-pm2-elsewhere-');
    try {
      const env = { PATH: fixture.env.PATH, HOME: elsewhere.path };
      const outcome = await act('status', { app: 'api', pm2_home: fixture.home }, env);
      expect(outcome.outputs).toMatchObject({ count: 1, status: 'online' });
      expect(existsSync(join(elsewhere.path, '.pm2'))).toBe(false);
    } finally {
      elsewhere.remove();
    }
  });

  it('restart gives the app a new pid, and it answers again', async () => {
    const before = (await waitForHealth(apiPort)).pid;
    const outcome = await act('restart', { app: 'api' });
    expect(outcome.ok, outcome.error).toBe(true);
    expect(outcome.outputs.pids_before).toEqual([before]);
    const [after] = outcome.outputs.pids as number[];
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    expect(outcome.outputs).toMatchObject({ status: 'online', count: 1 });
    expect(processesOf(outcome)[0]).toMatchObject({ restarts: 1 });
    const health = await waitFor('the restarted app', async () => {
      const answer = await waitForHealth(apiPort);
      return answer.pid === after ? answer : undefined;
    });
    expect(health.pid).toBe(after);
  });

  it('logs returns the lines the app printed', async () => {
    const probe = `/health?probe=${Date.now()}`;
    const response = await fetch(`http://127.0.0.1:${apiPort}${probe}`);
    expect(response.status).toBe(200);
    const outcome = await waitFor('the request in the logs', async () => {
      const logs = await act('logs', { app: 'api', lines: 30 });
      return (logs.outputs.lines as string[] | undefined)?.includes(`GET ${probe}`)
        ? logs
        : undefined;
    });
    expect(outcome.ok).toBe(true);
    const entry = (outcome.outputs.entries as Array<Record<string, unknown>>).find(
      (e) => e.text === `GET ${probe}`,
    );
    expect(entry).toMatchObject({ app: 'api', file: join(fixture.home, 'logs/api-out.log') });
    expect(outcome.outputs.files).toEqual(
      expect.arrayContaining([join(fixture.home, 'logs/api-out.log')]),
    );
  });

  it('starts an app in cluster mode, scales it to 2 then 1, and reloads it', async () => {
    const port = await freePort();
    const started = await act('start', {
      script: fixture.appScript,
      name: 'web',
      instances: 1,
      env: { PORT: String(port) },
    });
    expect(started.ok, started.error).toBe(true);
    expect(started.outputs.count).toBe(1);
    expect(processesOf(started)[0]).toMatchObject({ name: 'web', exec_mode: 'cluster_mode' });
    await waitForHealth(port);

    const up = await act('scale', { app: 'web', instances: 2 });
    expect(up.ok, up.error).toBe(true);
    expect(up.outputs.count).toBe(2);
    expect(processesOf(up).map((p) => p.instances)).toEqual([2, 2]);
    await waitFor('two online instances', async () => {
      const status = await act('status', { app: 'web' });
      return status.outputs.online === 2 ? status : undefined;
    });

    const reload = await act('reload', { app: 'web' });
    expect(reload.ok, reload.error).toBe(true);
    expect(reload.outputs.pids_before as number[]).toHaveLength(2);
    for (const pid of reload.outputs.pids as number[])
      expect(reload.outputs.pids_before).not.toContain(pid);

    const down = await act('scale', { app: 'web', instances: 1 });
    expect(down.ok, down.error).toBe(true);
    expect(down.outputs).toMatchObject({ count: 1, status: 'online' });
    await waitForHealth(port);

    const deleted = await act('delete', { app: 'web' });
    expect(deleted.ok, deleted.error).toBe(true);
    expect(deleted.outputs).toMatchObject({ count: 0, status: 'missing' });
  });

  it('a crash-looping app ends errored, status counts its restarts, delete removes it', async () => {
    const started = await act('start', {
      script: fixture.crashScript,
      name: 'crashy',
      max_restarts: 2,
    });
    expect(started.ok, started.error).toBe(true);
    const errored = await waitFor('crashy to be errored', async () => {
      const status = await act('status', { app: 'crashy' });
      return status.outputs.status === 'errored' ? status : undefined;
    });
    const [crashy] = processesOf(errored);
    expect(crashy).toMatchObject({ status: 'errored', pid: 0, uptime_s: 0 });
    expect(crashy?.restarts).toBeGreaterThanOrEqual(1);
    expect(errored.outputs.online).toBe(0);

    const logs = await act('logs', { app: 'crashy', stream: 'err' });
    expect(logs.outputs.lines).toContain('boom');

    const deleted = await act('delete', { app: 'crashy' });
    expect(deleted.ok, deleted.error).toBe(true);
    const after = await act('status', { app: 'crashy' });
    expect(after.ok).toBe(true);
    expect(after.outputs).toMatchObject({ count: 0, online: 0, status: 'missing', processes: [] });
  });

  it('fails with pm2 own message on an unknown app', async () => {
    const restart = await act('restart', { app: 'nosuch' });
    expect(restart.ok).toBe(false);
    expect(restart.exitCode).toBe(1);
    expect(restart.error).toMatchInlineSnapshot(
      `"pm2 restart: Process or Namespace nosuch not found"`,
    );
    const scale = await act('scale', { app: 'nosuch', instances: 2 });
    expect(scale.error).toMatchInlineSnapshot(`"pm2 scale: Application nosuch not found"`);
    const stop = await act('stop', { app: 'nosuch' });
    expect(stop.error).toMatchInlineSnapshot(`"pm2 stop: Process or Namespace nosuch not found"`);
    const logs = await act('logs', { app: 'nosuch' });
    expect(logs.ok).toBe(false);
    expect(logs.error).toMatchInlineSnapshot(
      `"pm2 logs: no log files for nosuch (no such app, or its logs go to /dev/null)"`,
    );
    const described = await act('describe', { app: 'nosuch' });
    expect(described.ok).toBe(false);
    expect(described.error).toMatchInlineSnapshot(`"pm2 has no process named nosuch"`);
  });
});

/** The seed incident "API not responding": pm2 status → restart → health check. */
const RUNBOOK = `
id: api-down
title: API not responding
service: api
severity: P1
tags: [pm2, api]
vars:
  api_url: { required: true }
detection:
  symptoms: ["Health check failing, 502/503 errors"]
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.api_url }}/health", timeout: 2s }
      expect: { status: 200 }
diagnosis:
  - id: pm2-status
    uses: pm2.status
    with: { app: api }
    capture:
      restarts: outputs.processes[0].restarts
resolution:
  - id: restart
    uses: pm2.restart
    with: { app: api }
    when: steps.pm2_status.outputs.status != "online"
    confirm: true
verification:
  - id: health-after
    uses: http.get
    with: { url: "\${{ vars.api_url }}/health", timeout: 2s }
    retry: { attempts: 20, delay: 250ms }
    expect: { status: 200 }
`;

interface RunDocument {
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

describe('the "API not responding" runbook against a real pm2', () => {
  const dir = tempDir('runbook-pm2-cli-');

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks/api'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/api/api-down.yaml'), RUNBOOK);
  });
  afterAll(() => dir.remove());

  const run = async (): Promise<{ code: number; doc: RunDocument; stdout: string }> => {
    const result = await runCli(
      [
        'run',
        'api-down',
        '--dir',
        join(dir.path, 'runbooks'),
        '--var',
        `api_url=http://127.0.0.1:${apiPort}`,
        '--approve',
        'restart',
        '--format',
        'json',
      ],
      { cwd: dir.path, env: { ...fixture.env, RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    return {
      code: result.code,
      doc: JSON.parse(result.stdout) as RunDocument,
      stdout: result.stdout,
    };
  };

  it('finds the stopped app, restarts it, and verifies /health', async () => {
    const stopped = await act('stop', { app: 'api' });
    expect(stopped.ok, stopped.error).toBe(true);
    expect(stopped.outputs).toMatchObject({ status: 'stopped', online: 0, pids: [] });

    const { code, doc, stdout } = await run();
    expect(code).toBe(0);
    expect(doc.status).toBe('succeeded');
    expect(doc.exit_code).toBe(0);
    expect(doc.steps.map((s) => [s.section, s.id, s.status, s.effect])).toEqual([
      ['detection', 'health', 'failed', 'read'],
      ['diagnosis', 'pm2-status', 'succeeded', 'read'],
      ['resolution', 'restart', 'succeeded', 'write'],
      ['verification', 'health-after', 'succeeded', 'read'],
    ]);
    const step = (id: string): RunDocument['steps'][number] | undefined =>
      doc.steps.find((s) => s.id === id);
    expect(step('pm2-status')?.command).toBe('pm2 jlist');
    expect(step('pm2-status')?.outputs).toMatchObject({
      status: 'stopped',
      count: 1,
      online: 0,
      processes: [{ name: 'api', status: 'stopped', pid: 0 }],
    });
    const diagnosis = step('pm2-status')?.outputs;
    expect(diagnosis?.restarts).toBe(
      (diagnosis?.processes as Processes | undefined)?.[0]?.restarts,
    );
    expect(step('restart')?.command).toBe('pm2 restart api');
    expect(step('restart')?.outputs).toMatchObject({ status: 'online', pids_before: [] });
    const [pid] = step('restart')?.outputs.pids as number[];
    expect(step('health-after')?.outputs).toMatchObject({ status: 200, json: { ok: true, pid } });
    expect(stdout).not.toContain(SECRET);
  });

  it('leaves a healthy app alone: the restart is skipped by its when:', async () => {
    await waitForHealth(apiPort);
    const { code, doc } = await run();
    expect(code).toBe(0);
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['health', 'succeeded'],
      ['pm2-status', 'succeeded'],
      ['restart', 'skipped'],
      ['health-after', 'succeeded'],
    ]);
    expect(doc.steps[1]?.outputs).toMatchObject({ status: 'online', online: 1 });
  });
});
