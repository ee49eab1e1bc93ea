import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, ROOT, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { startDockerd, type Dockerd } from '../../helpers/dockerd.js';
import { installFakeSystemd, type FakeSystemd } from '../../helpers/fake-systemd.js';
import { runbookIds } from '../../helpers/recorders.js';

/**
 * The Fondation worker's runbooks: three incidents run for real, from detection to verification — a crashed worker container and a worker
 * whose temp files eat its memory, under a real dockerd; and a disk filled past its threshold.
 */

const RUNBOOK_DIR = join(ROOT, 'runbooks/fondation');
const IDS = runbookIds(RUNBOOK_DIR);

interface StepDoc {
  id: string;
  section: string;
  status: string;
  effect: string;
  command?: string;
  exit_code: number | null;
  outputs: Record<string, unknown>;
}
interface RunDoc {
  status: string;
  exit_code: number;
  steps: StepDoc[];
}

const dir = tempDir('runbook-fondation-');
let engine: Dockerd;
let fake: FakeSystemd;
let convex: TestServer;

function parseRun(stdout: string): RunDoc {
  return JSON.parse(stdout) as RunDoc;
}

function step(doc: RunDoc, id: string): StepDoc {
  const found = doc.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in ${doc.steps.map((s) => s.id).join(', ')}`);
  return found;
}

function statuses(doc: RunDoc): Record<string, string> {
  return Object.fromEntries(doc.steps.map((s) => [s.id, s.status]));
}

/** The environment of a real run: the test's dockerd, the systemd stand-ins, a private journal. */
function realEnv(): Record<string, string | undefined> {
  return {
    ...engine.env,
    PATH: `${fake.bin}:${process.env.PATH ?? ''}`,
    HOME: dir.path,
    RUNBOOK_STATE_DIR: join(dir.path, 'state'),
  };
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

async function inspectState(container: string): Promise<{ Status: string; Running: boolean }> {
  const out = await engine.docker(['inspect', '--format', '{{json .State}}', container]);
  return JSON.parse(out) as { Status: string; Running: boolean };
}

beforeAll(async () => {
  engine = await startDockerd();
  fake = installFakeSystemd(join(dir.path, 'systemd'), { 'fondation-worker': 'active' });
  convex = await startServer((_request, response) => json(response, 200, { ok: true }));
}, 90_000);

afterAll(async () => {
  await convex?.close();
  await engine?.stop();
  const mount = join(dir.path, 'disk');
  if (existsSync(mount)) {
    try {
      execFileSync('umount', [mount]);
    } catch {
      // Not mounted.
    }
  }
  dir.remove();
}, 60_000);

describe('fondation runbooks', () => {
  // Their dry runs are in test/fixtures/shipped-plans.yaml (test/e2e/shipped-plans.e2e.test.ts).
  it('ships the seed incidents as runbooks', () => {
    expect(IDS).toEqual([
      'fondation-cli-auth-failed',
      'fondation-complete-system-failure',
      'fondation-convex-connection-lost',
      'fondation-data-corruption',
      'fondation-disk-full',
      'fondation-failover-secondary',
      'fondation-high-memory',
      'fondation-jobs-stuck-running',
      'fondation-repo-clone-failures',
      'fondation-restore-from-backup',
      'fondation-rollback-deployment',
      'fondation-security-breach',
      'fondation-worker-not-processing',
    ]);
  });
});

describe('fondation runbooks run for real', () => {
  it('worker not processing jobs: a crashed worker container is found, started and healthy again', async () => {
    const systemdCalls = fake.calls().length;
    const port = await freePort();
    // The worker's first start dies on a lost Convex heartbeat; started again it serves /health.
    const script =
      'if [ -e /crashed-once ]; then echo "worker started, claiming jobs"; mkdir -p /tmp/www; ' +
      `echo '{"status":"ok"}' > /tmp/www/health; exec httpd -f -p 127.0.0.1:${port} -h /tmp/www; ` +
      'else touch /crashed-once; echo "ERROR Failed to connect to Convex: heartbeat lost" >&2; exit 1; fi';
    await engine.docker([
      'run',
      '--detach',
      '--name',
      'fondation-worker',
      '--network',
      'host',
      engine.image,
      'sh',
      '-c',
      script,
    ]);
    expect((await engine.docker(['wait', 'fondation-worker'])).trim()).toBe('1');

    const result = await runCli(
      [
        'run',
        'fondation-worker-not-processing',
        '--non-interactive',
        '--format',
        'json',
        '--var',
        `health_url=http://127.0.0.1:${port}`,
        '--var',
        `convex_url=${convex.url}`,
        '--var',
        'restart_with=docker',
        '--approve',
        'start-container',
      ],
      { env: realEnv() },
    );
    const doc = parseRun(result.stdout);
    expect(statuses(doc)).toEqual({
      health: 'failed',
      'unit-status': 'succeeded',
      'container-state': 'succeeded',
      'error-logs': 'succeeded',
      'unit-journal': 'succeeded',
      'convex-reachable': 'succeeded',
      'reauth-claude': 'skipped',
      'compose-down': 'skipped',
      'debug-run': 'skipped',
      'restart-unit': 'skipped',
      'start-container': 'succeeded',
      'restart-container': 'skipped',
      'container-running': 'succeeded',
      'healthy-again': 'succeeded',
    });
    expect(result.code).toBe(0);
    expect(doc.status).toBe('succeeded');
    expect(step(doc, 'container-state').outputs).toMatchObject({
      status: 'exited',
      running: false,
      exit_code: 1,
    });
    expect(step(doc, 'error-logs').outputs.error_count).toBe(1);
    expect(step(doc, 'unit-status').outputs.active_state).toBe('active');
    expect(step(doc, 'convex-reachable').outputs.status).toBe(200);
    expect(step(doc, 'start-container').command).toBe('docker start fondation-worker');
    expect(step(doc, 'start-container').effect).toBe('destructive');
    expect(step(doc, 'container-running').outputs.status).toBe('running');
    expect(step(doc, 'healthy-again').outputs).toMatchObject({
      status: 200,
      json: { status: 'ok' },
    });

    // The effect on the engine: the worker runs and answers.
    expect(await inspectState('fondation-worker')).toMatchObject({
      Status: 'running',
      Running: true,
    });
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    // systemd was only asked about the unit, never told to restart it.
    expect(fake.calls().slice(systemdCalls)).toEqual([
      {
        tool: 'systemctl',
        argv: [
          'show',
          '--no-pager',
          '--property=Id,Description,LoadState,ActiveState,SubState,UnitFileState,FragmentPath,Result,MainPID,ExecMainStartTimestamp,ExecMainStatus,NRestarts,MemoryCurrent,StateChangeTimestamp',
          '--',
          'fondation-worker',
        ],
        tz: 'UTC',
      },
      {
        tool: 'journalctl',
        argv: [
          '-u',
          'fondation-worker',
          '-n',
          '100',
          '-p',
          'err',
          '-o',
          'json',
          '--no-pager',
          '--quiet',
        ],
        tz: null,
      },
    ]);
    await engine.docker(['rm', '--force', 'fondation-worker']);
  }, 60_000);

  it('high memory: temp files in the worker tmpfs push it over the threshold; cleared and restarted, it is back under', async () => {
    await engine.docker([
      'run',
      '--detach',
      '--name',
      'fondation-worker',
      '--network',
      'none',
      '--tmpfs',
      '/tmp/fondation:size=256m',
      engine.image,
      'sh',
      '-c',
      'trap "exit 0" TERM; echo "worker started"; while :; do sleep 1; done',
    ]);
    // A job clones repositories into the temp dir (tmpfs: the container's memory) and the log warns.
    await engine.docker([
      'exec',
      'fondation-worker',
      'sh',
      '-c',
      'dd if=/dev/zero of=/tmp/fondation/repo-clone.bin bs=1M count=96 2>/dev/null && echo "WARN heap usage high" > /proc/1/fd/1',
    ]);

    const result = await runCli(
      [
        'run',
        'fondation-high-memory',
        '--non-interactive',
        '--format',
        'json',
        '--var',
        'memory_threshold_mb=64',
        '--var',
        'restart_with=docker',
        '--approve',
        'clear-temp',
        '--approve',
        'restart-container',
      ],
      { env: realEnv() },
    );
    const doc = parseRun(result.stdout);
    expect(statuses(doc)).toEqual({
      memory: 'failed',
      'oom-killed': 'succeeded',
      'heap-logs': 'succeeded',
      'temp-size': 'succeeded',
      'clear-temp': 'succeeded',
      'reduce-concurrency': 'skipped',
      'restart-unit': 'skipped',
      'restart-container': 'succeeded',
      'container-running': 'succeeded',
      'memory-ok': 'succeeded',
    });
    expect(result.code).toBe(0);
    expect(step(doc, 'memory').outputs.mem_mb).toBeGreaterThanOrEqual(64);
    expect(step(doc, 'heap-logs').outputs.heap_lines).toBe(1);
    expect(String(step(doc, 'temp-size').outputs.stdout)).toMatch(/^9\d{4}\s+\/tmp\/fondation/);
    expect(step(doc, 'clear-temp').command).toBe(
      `docker exec fondation-worker sh -c 'rm -rf -- "$1"/*' sh /tmp/fondation`,
    );
    expect(step(doc, 'memory-ok').outputs.mem_mb).toBeLessThan(64);

    const after = await engine.docker(['exec', 'fondation-worker', 'ls', '-A', '/tmp/fondation']);
    expect(after.trim()).toBe('');
    expect(await inspectState('fondation-worker')).toMatchObject({ Running: true });
    await engine.docker(['rm', '--force', 'fondation-worker']);
  }, 60_000);

  it('disk full: a filesystem filled past the threshold is cleaned of temp files only, and is under it again', async () => {
    const disk = join(dir.path, 'disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=10m', 'tmpfs', disk]);
    const temp = join(disk, 'tmp/fondation');
    mkdirSync(join(temp, 'repo-a'), { recursive: true });
    mkdirSync(join(disk, 'backups'));
    mkdirSync(join(disk, 'log'));
    writeFileSync(join(temp, 'repo-a/pack.bin'), Buffer.alloc(5 * 1024 * 1024, 1));
    writeFileSync(join(temp, 'clone.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(disk, 'backups/config-20260101.tar.gz'), Buffer.alloc(512 * 1024, 1));
    writeFileSync(join(disk, 'log/worker.1.gz'), Buffer.alloc(256 * 1024, 1));

    const result = await runCli(
      [
        'run',
        'fondation-disk-full',
        '--non-interactive',
        '--format',
        'json',
        '--var',
        `disk_path=${disk}`,
        '--var',
        'disk_threshold_pct=80',
        '--var',
        `temp_dir=${temp}`,
        '--var',
        `log_dir=${join(disk, 'log')}`,
        '--var',
        `backup_dir=${join(disk, 'backups')}`,
        '--approve',
        'clean-temp',
      ],
      { env: realEnv() },
    );
    const doc = parseRun(result.stdout);
    expect(statuses(doc)).toEqual({
      'disk-usage': 'failed',
      'df-human': 'succeeded',
      'large-files': 'succeeded',
      'temp-size': 'succeeded',
      'docker-space': 'succeeded',
      'clean-temp': 'succeeded',
      recheck: 'succeeded',
      'clean-logs': 'skipped',
      'clean-backups': 'skipped',
      'prune-docker': 'skipped',
      'increase-disk': 'skipped',
      'disk-below-threshold': 'succeeded',
    });
    expect(result.code).toBe(0);
    expect(step(doc, 'disk-usage').outputs.used_pct).toBeGreaterThanOrEqual(80);
    expect(step(doc, 'clean-temp').effect).toBe('destructive');
    expect(step(doc, 'recheck').outputs.used_pct).toBeLessThan(80);
    expect(step(doc, 'disk-below-threshold').outputs.used_pct).toBeLessThan(80);

    // Only the temp files went: the directory itself, backups and logs are still there.
    expect(readdirSync(temp)).toEqual([]);
    expect(readdirSync(join(disk, 'backups'))).toEqual(['config-20260101.tar.gz']);
    expect(readdirSync(join(disk, 'log'))).toEqual(['worker.1.gz']);
  }, 60_000);
});
