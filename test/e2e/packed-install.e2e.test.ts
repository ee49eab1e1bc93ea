import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { ROOT, tempDir } from '../helpers/cli.js';

const run = promisify(execFile);

// What a user gets from `npm pack` and `npm install -g`: the installed command, run from a
// directory that has nothing of this repository (no runbook.config.yaml, no runbooks/).
let dir: { path: string; remove: () => void };
let bin: string;
let shipped: string;
let elsewhere: string;

async function runbook(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, {
      cwd: elsewhere,
      env: {
        PATH: process.env.PATH,
        HOME: elsewhere,
        RUNBOOK_STATE_DIR: join(elsewhere, 'state'),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  dir = tempDir('runbook-pack-');
  // dist/ is already built (npm test builds first); packing must not rebuild it under other tests.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir.path],
    { cwd: ROOT },
  );
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  const prefix = join(dir.path, 'prefix');
  // The dependencies come from npm's cache, filled by `npm ci`.
  await run(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(dir.path, filename),
    ],
    { cwd: dir.path },
  );
  bin = join(prefix, 'bin/runbook');
  shipped = join(prefix, 'lib/node_modules/runbook/runbooks');
  elsewhere = join(dir.path, 'elsewhere');
  mkdirSync(elsewhere);
}, 180_000);
afterAll(() => dir.remove());

describe('the packed install, run from another directory', () => {
  it('--version', async () => {
    const result = await runbook(['--version', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      runbook: packageJson.version,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    });
  });

  it('lists its own 42 runbooks, none skipped', async () => {
    const result = await runbook(['list', '--json', '--dir', shipped]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{ id: string; file: string }>;
    expect(rows).toHaveLength(42);
    expect(rows.find((row) => row.id === 'cookcam-api-down')?.file).toBe(
      join(shipped, 'cookcam/cookcam-api-down.yaml'),
    );
  });

  it('validates them, strictly', async () => {
    const result = await runbook(['validate', '--strict', shipped]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✓ 42 runbooks valid\n');
  });

  it('validates them as a user types it, with no config file anywhere', async () => {
    // Their severity schemes (p0-p3, p1-p4) are built in, not read from the repository's config.
    const result = await runbook(['validate', shipped]);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, '✓ 42 runbooks valid\n', '']);
  });

  it("knows every built-in severity scheme and a runbook's own, and grades check by them", async () => {
    const own = join(elsewhere, 'own');
    mkdirSync(own);
    const check = (id: string, head: string) =>
      writeFileSync(
        join(own, `${id}.yaml`),
        `id: ${id}\ntitle: ${id}\n${head}\ndetection:\n  checks:\n` +
          '    - { id: probe, effect: read, run: echo up, expect: { stdout: { contains: down } } }\n',
      );
    check('sev', 'severity_scheme: sev1-sev5\nseverity: SEV2-SEV3');
    check('alert', 'severity_scheme: critical-warning-info\nseverity: warning');
    check('own', 'severity_scheme: { levels: [high, low], warn_from: low }\nseverity: high');
    const valid = await runbook(['validate', own]);
    expect([valid.code, valid.stdout, valid.stderr]).toEqual([0, '✓ 3 runbooks valid\n', '']);
    const graded = await runbook([
      'check',
      '--dir',
      own,
      'sev',
      'alert',
      'own',
      '--format',
      'json',
    ]);
    const doc = JSON.parse(graded.stdout) as { checks: Array<{ runbook: string; state: string }> };
    expect([graded.code, doc.checks.map((c) => `${c.runbook} ${c.state}`)]).toEqual([
      2,
      ['sev CRITICAL', 'alert WARNING', 'own CRITICAL'],
    ]);
  });

  it('dry-runs a shipped runbook', async () => {
    const result = await runbook([
      'run',
      'cookcam-api-down',
      '--dry-run',
      '--dir',
      shipped,
      '--format',
      'json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string }>;
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.filter((step) => step.status === 'planned').map((step) => step.id)).toEqual([
      'health',
      'pm2-status',
      'port-binding',
      'resources',
      'restart',
      'root-cause-logs',
      'healthy-again',
      'pm2-online',
      'escalate',
    ]);
  });

  it('names a missing runbook directory instead of listing nothing', async () => {
    const result = await runbook(['list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `runbook: ${join(elsewhere, 'runbooks')}: no such file or directory\n` +
        'hint: give the runbook directory with --dir or RUNBOOK_DIR, or list it under dirs: in runbook.config.yaml\n',
    );
  });
});
