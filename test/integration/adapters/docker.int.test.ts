import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { docker } from '../../../src/adapters/docker/index.js';
import { localExec } from '../../../src/exec/local.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startDockerd, type Dockerd } from '../../helpers/dockerd.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/** The docker adapter driving the real docker CLI against a real dockerd started for this file. */

type ActionName = keyof typeof docker.actions;

let engine: Dockerd;
const dir = tempDir('runbook-docker-');
let webPort: number;

function context(env: Record<string, string | undefined>): ActionContext {
  const base = {
    signal: timeoutSignal(60_000),
    timeoutMs: undefined,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd: dir.path,
  };
  return { ...base, exec: localExec(base), host: undefined };
}

/** Runs an action the way the engine does: its input parsed by its schema first. */
function act(
  name: ActionName,
  input: Record<string, unknown>,
  env: Record<string, string | undefined> = engine.env,
): Promise<ActionOutcome> {
  const action = docker.actions[name];
  return action.run(action.input.parse(input), context(env));
}

async function inspect(container: string): Promise<Record<string, unknown>> {
  const outcome = await act('inspect', { container });
  expect(outcome.error).toBeUndefined();
  return outcome.outputs.state as Record<string, unknown>;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  engine = await startDockerd();
  webPort = await freePort();
  const image = engine.image;
  await engine.docker([
    'run',
    '--detach',
    '--name',
    'web',
    '--network',
    'host',
    '--label',
    'app=web',
    '--label',
    'tier=front',
    '--env',
    'API_TOKEN=hunter2-in-env',
    image,
    'httpd',
    '-f',
    '-p',
    `127.0.0.1:${webPort}`,
    '-h',
    '/www',
  ]);
  // A log with both streams; the pauses keep their timestamps in the order they were written.
  await engine.docker([
    'run',
    '--detach',
    '--name',
    'chatty',
    '--network',
    'none',
    image,
    'sh',
    '-c',
    'echo out-1; sleep 0.1; echo err-1 >&2; sleep 0.1; echo out-2; sleep 0.1; echo "ERROR db down" >&2; sleep 0.1; echo out-3; exec sleep 1000',
  ]);
  await engine.docker([
    'run',
    '--detach',
    '--name',
    'svc',
    '--network',
    'none',
    image,
    'sleep',
    '1000',
  ]);
}, 90_000);

afterAll(async () => {
  await engine?.stop();
  dir.remove();
}, 60_000);

describe('docker adapter against a real engine', () => {
  it('passes preflight with the client and engine versions, and says when no engine answers', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const ready = await docker.preflight({ env: { ...env, ...engine.env } });
    expect(ready).toMatchObject({ ok: true, binary: 'docker' });
    expect(ready.version).toMatch(/^client \S+, engine \S+ \(API [\d.]+\)$/);
    const missing = await docker.preflight({
      env: {
        ...env,
        DOCKER_HOST: `unix://${dir.path}/nothing.sock`,
        DOCKER_CONFIG: engine.env.DOCKER_CONFIG,
      },
    });
    expect(missing).toMatchObject({ ok: false, binary: 'docker' });
    expect(missing.problem).toContain(
      'no Docker engine answers: Cannot connect to the Docker daemon',
    );
  });

  it('lists running containers with their state, image, labels and network', async () => {
    const outcome = await act('ps', {});
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs.running).toBe(3);
    expect(outcome.outputs.states).toEqual({ web: 'running', chatty: 'running', svc: 'running' });
    const containers = outcome.outputs.containers as Array<Record<string, unknown>>;
    expect(containers.find((c) => c.name === 'web')).toMatchObject({
      image: engine.image,
      state: 'running',
      status: expect.stringMatching(/^Up /),
      command: `httpd -f -p 127.0.0.1:${webPort} -h /www`,
      labels: { app: 'web', tier: 'front' },
      networks: ['host'],
      ports: [],
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The container really serves: busybox httpd on the host network.
    const response = await fetch(`http://127.0.0.1:${webPort}/index.html`);
    expect(await response.text()).toBe('hello-from-container\n');

    const byLabel = await act('ps', { filter: { label: 'app=web' } });
    expect((byLabel.outputs.containers as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'web',
    ]);
    const none = await act('ps', { filter: { name: '^nothing-here$' } });
    expect(none.outputs).toMatchObject({ containers: [], count: 0, running: 0 });
  });

  it('talks to the engine named by with.host when the environment names none', async () => {
    const env = { DOCKER_CONFIG: engine.env.DOCKER_CONFIG };
    const outcome = await act('ps', { host: engine.host, filter: { name: '^web$' } }, env);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs.count).toBe(1);
    expect(docker.actions.ps.describe(docker.actions.ps.input.parse({ host: engine.host }))).toBe(
      `DOCKER_HOST=${engine.host} docker ps --no-trunc --format '{{json .}}'`,
    );
  });

  it('fails as a value with what docker said, for a missing container or an absent engine', async () => {
    const missing = await act('inspect', { container: 'no-such-box' });
    expect(missing.ok).toBe(false);
    // Docker 20.10 clients say "Error:", later ones "Error response from daemon:".
    expect(missing.error).toMatch(/^exited with code 1: Error.*: No such container: no-such-box$/);
    const absent = await act('ps', { host: `unix://${dir.path}/nothing.sock` });
    expect(absent).toMatchObject({
      ok: false,
      unavailable: true,
      error: `Cannot connect to the Docker daemon at unix://${dir.path}/nothing.sock. Is the docker daemon running?`,
      hint: 'start the Docker engine, or point DOCKER_HOST (or the with: host of a step) at one that runs',
    });
  });

  it('inspects a running container: state, start time, restart policy, and env names without values', async () => {
    const outcome = await act('inspect', { container: 'web' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      name: 'web',
      image: engine.image,
      network_mode: 'host',
      restart_policy: { name: 'no', maximum_retry_count: 0 },
      state: {
        status: 'running',
        running: true,
        restarting: false,
        oom_killed: false,
        exit_code: 0,
        restart_count: 0,
        finished_at: null,
        started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      },
      config: {
        cmd: ['httpd', '-f', '-p', `127.0.0.1:${webPort}`, '-h', '/www'],
        labels: { app: 'web', tier: 'front' },
      },
    });
    expect((outcome.outputs.state as { pid: number }).pid).toBeGreaterThan(0);
    expect((outcome.outputs.config as { env_names: string[] }).env_names).toContain('API_TOKEN');
    expect(JSON.stringify(outcome.outputs)).not.toContain('hunter2-in-env');
  });

  it('reads logs with stdout and stderr kept apart, in order, with tail and match', async () => {
    const all = await waitFor('five log lines', async () => {
      const outcome = await act('logs', { container: 'chatty', tail: 'all', match: 'ERROR' });
      return outcome.outputs.line_count === 5 ? outcome : undefined;
    });
    expect(all.ok).toBe(true);
    expect(all.outputs.stdout).toBe('out-1\nout-2\nout-3');
    expect(all.outputs.stderr).toBe('err-1\nERROR db down');
    expect(
      (all.outputs.lines as Array<{ stream: string; text: string }>).map(
        (line) => `${line.stream}: ${line.text}`,
      ),
    ).toEqual([
      'stdout: out-1',
      'stderr: err-1',
      'stdout: out-2',
      'stderr: ERROR db down',
      'stdout: out-3',
    ]);
    expect(all.outputs.match_count).toBe(1);
    expect(all.outputs.matches).toEqual([
      { stream: 'stderr', time: expect.stringMatching(/Z$/), text: 'ERROR db down' },
    ]);

    const tail = await act('logs', { container: 'chatty', tail: 2 });
    expect(tail.outputs).toMatchObject({ stdout: 'out-3', stderr: 'ERROR db down', line_count: 2 });
  });

  it('reads resource use: cpu and memory as numbers, memory in bytes', async () => {
    const outcome = await act('stats', { container: 'web' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ count: 1, name: 'web', pids: 1 });
    const { cpu_percent, mem_usage_bytes, mem_limit_bytes, mem_percent } = outcome.outputs as {
      cpu_percent: number;
      mem_usage_bytes: number;
      mem_limit_bytes: number;
      mem_percent: number;
    };
    expect(cpu_percent).toBeGreaterThanOrEqual(0);
    expect(mem_usage_bytes).toBeGreaterThan(0);
    expect(mem_limit_bytes).toBeGreaterThan(mem_usage_bytes);
    expect(mem_percent).toBeGreaterThanOrEqual(0);
    expect(mem_percent).toBeLessThan(100);

    const every = await act('stats', {});
    expect((every.outputs.containers as Array<{ name: string }>).map((c) => c.name).sort()).toEqual(
      ['chatty', 'svc', 'web'],
    );
  });

  it('restarts a container: it runs again with a new start time', async () => {
    const before = await inspect('svc');
    const outcome = await act('restart', { container: 'svc', timeout: '1s' });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ container: 'svc', exit_code: 0 });
    const after = await inspect('svc');
    expect(after.running).toBe(true);
    expect(String(after.started_at) > String(before.started_at)).toBe(true);
  });

  it('stops and starts a container', async () => {
    const stopped = await act('stop', { container: 'svc', timeout: 1 });
    expect(stopped.ok).toBe(true);
    expect(await inspect('svc')).toMatchObject({
      status: 'exited',
      running: false,
      exit_code: 137,
    });
    const listed = await act('ps', {});
    expect(listed.outputs.states).not.toHaveProperty('svc');
    const exited = await act('ps', { all: true, filter: { status: 'exited' } });
    expect(exited.outputs.states).toMatchObject({ svc: 'exited' });

    const started = await act('start', { container: 'svc' });
    expect(started.ok).toBe(true);
    expect(await inspect('svc')).toMatchObject({ status: 'running', running: true });
  });

  it('runs a command in a container, its environment kept out of the command line', async () => {
    const input = {
      container: 'svc',
      command: ['sh', '-c', 'echo "token=$TOKEN"; echo oops >&2; exit 3'],
      env: { TOKEN: 'tok-123' },
    };
    const failed = await act('exec', input);
    expect(failed.ok).toBe(false);
    expect(failed.outputs).toMatchObject({ stdout: 'token=tok-123', stderr: 'oops', exit_code: 3 });
    expect(failed.error).toBe('exited with code 3: oops');
    const described = docker.actions.exec.describe(docker.actions.exec.input.parse(input));
    expect(described).not.toContain('tok-123');

    const read = await act('exec', { container: 'web', command: ['cat', '/www/index.html'] });
    expect(read.outputs).toMatchObject({ stdout: 'hello-from-container', exit_code: 0 });
  });

  it('reports a crash-looping container once its restart policy gives up', async () => {
    await engine.docker([
      'run',
      '--detach',
      '--name',
      'crashy',
      '--network',
      'none',
      '--restart',
      'on-failure:3',
      engine.image,
      'sh',
      '-c',
      'echo boom >&2; exit 1',
    ]);
    const state = await waitFor('three restarts', async () => {
      const current = await inspect('crashy');
      return current.restart_count === 3 && current.status === 'exited' ? current : undefined;
    });
    expect(state).toMatchObject({ running: false, restarting: false, exit_code: 1 });
    const outcome = await act('inspect', { container: 'crashy' });
    expect(outcome.outputs.restart_policy).toEqual({ name: 'on-failure', maximum_retry_count: 3 });
    const logs = await act('logs', { container: 'crashy' });
    expect(logs.outputs).toMatchObject({ stdout: '', stderr: 'boom\nboom\nboom\nboom' });
    const listed = await act('ps', { all: true, filter: { name: '^crashy$' } });
    expect(listed.outputs.containers).toEqual([
      expect.objectContaining({ state: 'exited', status: expect.stringMatching(/^Exited \(1\)/) }),
    ]);
  });

  it('reports disk use per type', async () => {
    const outcome = await act('system_df', {});
    expect(outcome.ok).toBe(true);
    const ids = (await engine.docker(['ps', '--all', '--quiet'])).split('\n').filter(Boolean);
    expect(outcome.outputs.images).toMatchObject({ type: 'Images', total_count: 1, active: 1 });
    expect((outcome.outputs.images as { size_bytes: number }).size_bytes).toBeGreaterThan(500_000);
    expect(outcome.outputs.containers).toMatchObject({ total_count: ids.length, active: 3 });
    // This daemon is the test's own: no volume, no build cache.
    const none = { total_count: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0 };
    expect(outcome.outputs.local_volumes).toEqual({
      type: 'Local Volumes',
      ...none,
      reclaimable_percent: null,
    });
    expect(outcome.outputs.build_cache).toEqual({
      type: 'Build Cache',
      ...none,
      reclaimable_percent: null,
    });
  });

  it('prunes stopped containers (a destructive step: refused without approval, then run with --yes)', async () => {
    await engine.docker(['run', '--name', 'leftover', '--network', 'none', engine.image, 'true']);
    const leftover = (await engine.docker(['inspect', '--format', '{{.Id}}', 'leftover'])).trim();
    const runbooks = join(dir.path, 'prune');
    mkdirSync(join(runbooks, 'fondation'), { recursive: true });
    writeFileSync(
      join(runbooks, 'fondation', 'docker-disk-full.yaml'),
      `id: docker-disk-full
title: Docker host disk full
service: fondation-worker
severity: P2
diagnosis:
  - id: disk
    uses: docker.system_df
    capture: { reclaimable: outputs.containers.reclaimable_bytes }
resolution:
  - id: prune
    uses: docker.system_prune
    when: steps.disk.outputs.containers.total_count > steps.disk.outputs.containers.active
`,
    );
    const args = ['run', 'docker-disk-full', '--dir', runbooks, '--format', 'json'];
    const env = { ...engine.env, RUNBOOK_STATE_DIR: join(dir.path, 'state') };

    const refused = await runCli(args, { env });
    expect(refused.code).toBe(3);
    const refusedDoc = JSON.parse(refused.stdout) as {
      steps: Array<{ id: string; status: string }>;
    };
    expect(refusedDoc.steps.find((s) => s.id === 'prune')?.status).not.toBe('succeeded');
    expect(await engine.docker(['ps', '--all', '--quiet', '--no-trunc'])).toContain(leftover);

    const approved = await runCli([...args, '--yes'], { env });
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    const doc = JSON.parse(approved.stdout) as {
      steps: Array<{
        id: string;
        status: string;
        effect: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    const prune = doc.steps.find((s) => s.id === 'prune');
    expect(prune).toMatchObject({
      status: 'succeeded',
      effect: 'destructive',
      command: 'docker system prune --force',
    });
    const deleted = (prune?.outputs.deleted as { containers: string[] }).containers;
    expect(deleted).toContain(leftover);
    expect(typeof prune?.outputs.reclaimed_bytes).toBe('number');

    const remaining = await act('ps', { all: true });
    expect(remaining.outputs.states).toEqual({ web: 'running', chatty: 'running', svc: 'running' });
    // Without all: true the image stays: running containers use it.
    expect(await engine.docker(['images', '--quiet'])).not.toBe('');
  });
});

/** The seed "worker not processing jobs": the Fondation worker container has stopped. */
const WORKER_RUNBOOK = `
id: fondation-worker-down
title: Worker not processing jobs
service: fondation-worker
severity: P1
vars:
  worker: { default: fondation-worker }
detection:
  symptoms: ["Queue depth increasing", "No jobs transitioning from pending"]
  checks:
    - id: worker-running
      uses: docker.ps
      with: { all: true, filter: { name: "^\${{ vars.worker }}$" } }
      capture:
        state: outputs.containers[0].state
      expect: { running: 1 }
diagnosis:
  - id: worker-logs
    uses: docker.logs
    with: { container: "\${{ vars.worker }}", tail: 100, match: ERROR }
    capture: { errors: outputs.match_count }
  - id: worker-state
    uses: docker.inspect
    with: { container: "\${{ vars.worker }}" }
    capture:
      status: outputs.state.status
      exit_code: outputs.state.exit_code
      oom: outputs.state.oom_killed
resolution:
  - id: start-worker
    when: steps.worker_state.outputs.status == "exited"
    uses: docker.start
    with: { container: "\${{ vars.worker }}" }
  - id: restart-worker
    when: steps.worker_state.outputs.status == "running"
    uses: docker.restart
    with: { container: "\${{ vars.worker }}", timeout: 1s }
verification:
  - id: worker-up
    uses: docker.inspect
    with: { container: "\${{ vars.worker }}" }
    expect: { state.running: true, state.restart_count: 0 }
`;

interface RunDoc {
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

describe('a runbook for a stopped worker container, through the CLI', () => {
  const runbooks = join(dir.path, 'worker');

  beforeAll(async () => {
    mkdirSync(join(runbooks, 'fondation'), { recursive: true });
    writeFileSync(join(runbooks, 'fondation', 'fondation-worker-down.yaml'), WORKER_RUNBOOK);
    await engine.docker([
      'run',
      '--detach',
      '--name',
      'fondation-worker',
      '--network',
      'none',
      engine.image,
      'sh',
      '-c',
      'echo "worker started"; echo "ERROR Failed to connect to Convex" >&2; exec sleep 1000',
    ]);
    await waitFor('the worker log', async () => {
      const logs = await act('logs', { container: 'fondation-worker' });
      return logs.outputs.line_count === 2 ? true : undefined;
    });
    await engine.docker(['stop', '-t', '1', 'fondation-worker']);
  }, 60_000);

  async function runWorkerRunbook(): Promise<RunDoc> {
    const result = await runCli(
      ['run', 'fondation-worker-down', '--dir', runbooks, '--format', 'json'],
      { env: { ...engine.env, RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as RunDoc;
  }

  it('finds the worker stopped, captures why, starts it and verifies it runs', async () => {
    const doc = await runWorkerRunbook();
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.map((s) => [s.id, s.section, s.status])).toEqual([
      ['worker-running', 'detection', 'failed'],
      ['worker-logs', 'diagnosis', 'succeeded'],
      ['worker-state', 'diagnosis', 'succeeded'],
      ['start-worker', 'resolution', 'succeeded'],
      ['restart-worker', 'resolution', 'skipped'],
      ['worker-up', 'verification', 'succeeded'],
    ]);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('worker-running')).toMatchObject({
      effect: 'read',
      command:
        "docker ps --all --filter 'name=^fondation-worker$' --no-trunc --format '{{json .}}'",
      outputs: { count: 1, running: 0, state: 'exited' },
    });
    expect(step('worker-logs')?.outputs).toMatchObject({
      errors: 1,
      stdout: 'worker started',
      stderr: 'ERROR Failed to connect to Convex',
    });
    expect(step('worker-state')?.outputs).toMatchObject({
      status: 'exited',
      exit_code: 137,
      oom: false,
    });
    expect(step('start-worker')).toMatchObject({
      effect: 'write',
      command: 'docker start fondation-worker',
    });
    expect(step('worker-up')?.outputs).toMatchObject({
      state: { status: 'running', running: true },
    });
    expect(await inspect('fondation-worker')).toMatchObject({ running: true });
  });

  it('restarts a worker that runs but does not work, and leaves start alone', async () => {
    const before = await inspect('fondation-worker');
    const doc = await runWorkerRunbook();
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['worker-running', 'succeeded'],
      ['worker-logs', 'succeeded'],
      ['worker-state', 'succeeded'],
      ['start-worker', 'skipped'],
      ['restart-worker', 'succeeded'],
      ['worker-up', 'succeeded'],
    ]);
    expect(doc.steps.find((s) => s.id === 'restart-worker')?.command).toBe(
      'docker restart -t 1 fondation-worker',
    );
    const after = await inspect('fondation-worker');
    expect(String(after.started_at) > String(before.started_at)).toBe(true);
  });
});
