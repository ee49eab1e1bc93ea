import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/** A directory outside the repository: no runbook.config.yaml applies there. */
let outside: { path: string; remove: () => void };

beforeAll(() => {
  outside = tempDir('runbook-catalog-');
});
afterAll(() => outside.remove());

const RUNBOOKS = join(ROOT, 'runbooks');

describe('finding runbooks', () => {
  it('the shipped runbooks validate with no config file: their severity schemes are built in', async () => {
    const result = await runCli(['validate', '--strict', RUNBOOKS], {
      cwd: outside.path,
      env: { RUNBOOK_STATE_DIR: join(outside.path, 'state') },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const listed = await runCli(['list', '--json', '--dir', RUNBOOKS], {
      cwd: outside.path,
      env: { RUNBOOK_STATE_DIR: join(outside.path, 'state') },
    });
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(42);
  });

  it('a runbook may use every built-in scheme', async () => {
    const dir = join(outside.path, 'schemes');
    mkdirSync(dir);
    const schemes = {
      'sev1-sev5': 'SEV2',
      'critical-warning-info': 'warning',
      'p1-p4': 'P4',
      'p0-p3': 'P0',
    };
    for (const [scheme, level] of Object.entries(schemes))
      writeFileSync(
        join(dir, `s-${scheme}.yaml`),
        `id: s-${scheme}\ntitle: T\nseverity: ${level}\nseverity_scheme: ${scheme}\ndiagnosis:\n  - id: a\n    run: "true"\n    effect: read\n`,
      );
    const result = await runCli(['validate', dir], { cwd: outside.path });
    expect(result.code).toBe(0);
    writeFileSync(
      join(dir, 'bad.yaml'),
      'id: bad\ntitle: T\nseverity: SEV9\nseverity_scheme: sev1-sev5\ndiagnosis:\n  - id: a\n    run: "true"\n',
    );
    const bad = await runCli(['validate', join(dir, 'bad.yaml')], { cwd: outside.path });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(
      'error: severity "SEV9" is not a level of scheme "sev1-sev5" (SEV1, SEV2, SEV3, SEV4, SEV5)',
    );
  });

  it('a runbook directory that does not exist is an error naming it (exit 2)', async () => {
    for (const command of [['list'], ['check', '--all'], ['run', 'x', '--dry-run']]) {
      const result = await runCli([...command, '--dir', '/nonexistent/runbooks'], {
        cwd: outside.path,
      });
      expect(result.code).toBe(command[0] === 'check' ? 3 : 2);
      expect(result.stdout + result.stderr).toContain(
        '/nonexistent/runbooks: no such file or directory',
      );
    }
  });

  it('an unknown id gets a "did you mean"', async () => {
    const result = await runCli(['run', 'cookcam-api-dwn', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'runbook: no runbook with id "cookcam-api-dwn" in runbooks\n' +
        'hint: did you mean "cookcam-api-down"? (list them with: runbook list)\n',
    );
  });

  it('list --severity, --tag and --service ignore case', async () => {
    const ids = async (...args: string[]): Promise<string[]> =>
      (JSON.parse((await runCli(['list', '--json', ...args])).stdout) as Array<{ id: string }>).map(
        (row) => row.id,
      );
    expect(await ids('--service', 'DEMO-API')).toEqual(['demo-api-down']);
    expect(await ids('--tag', 'Demo')).toEqual(['demo-api-down']);
    expect(await ids('--severity', 'p2', '--service', 'demo-api')).toEqual(['demo-api-down']);
    expect(await ids('--severity', 'P2', '--service', 'demo-api')).toEqual(['demo-api-down']);
    expect(await ids('--severity', 'p3', '--service', 'demo-api')).toEqual([]);
  });

  it('the same id in two files: run refuses, naming both', async () => {
    const dir = join(outside.path, 'twice');
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b'));
    const text = 'id: twice\ntitle: T\ndiagnosis:\n  - id: a\n    run: "true"\n    effect: read\n';
    writeFileSync(join(dir, 'a/twice.yaml'), text);
    writeFileSync(join(dir, 'b/other-name.yaml'), text);
    const result = await runCli(['run', 'twice', '--dry-run', '--dir', dir], { cwd: outside.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'a/twice.yaml:1:1: error: runbook id "twice" is defined in 2 files: twice/a/twice.yaml, twice/b/other-name.yaml',
    );
    expect(result.stdout).toBe('');
  });
});
