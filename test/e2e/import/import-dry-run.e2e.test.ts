import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../../helpers/cli.js';
import { makeRecorders } from '../../helpers/recorders.js';

/**
 * The seeds imported by bin/runbook.js dry-run cleanly: each plans every step (a required value it
 * lacks shown as its placeholder), exits 0, and calls no tool: every tool on PATH is a recorder
 * that must stay silent (docs/import.md).
 */

const dir = tempDir('runbook-import-dry-');
const recorders = makeRecorders(dir.path);
const out = join(dir.path, 'imported');
afterAll(() => dir.remove());

let ids: string[] = [];

beforeAll(async () => {
  const result = await runBin(
    ['import', join(ROOT, 'test/fixtures/import/seeds'), '--out-dir', out, '--format', 'json'],
    { timeoutMs: 120_000 },
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  // Each page's runbooks are one catalog file: the ids are the summary's.
  const summary = JSON.parse(result.stdout) as {
    files: Array<{ runbooks: Array<{ id: string }> }>;
  };
  ids = summary.files.flatMap((file) => file.runbooks.map((runbook) => runbook.id)).sort();
}, 150_000);

describe('a dry run of every imported seed runbook', () => {
  it('finds the 36 runbooks the seeds give', () => {
    expect(ids).toHaveLength(36);
    expect(readdirSync(out).filter((file) => !file.endsWith('.yaml'))).toEqual([]);
    expect(readdirSync(out)).toHaveLength(5);
  });

  it('plans each, and calls nothing', async () => {
    const env = { PATH: recorders.bin, HOME: dir.path, RUNBOOK_STATE_DIR: join(dir.path, 'state') };
    for (const id of ids) {
      const result = await runBin(
        ['run', id, '--dry-run', '--non-interactive', '--dir', out, '--format', 'json'],
        { env, timeoutMs: 60_000 },
      );
      expect(result.stderr, id).toBe('');
      expect(result.code, id).toBe(0);
      const plan = JSON.parse(result.stdout) as {
        status: string;
        mode: string;
        steps: Array<{ id: string; status: string }>;
      };
      expect([plan.status, plan.mode], id).toEqual(['succeeded', 'dry-run']);
      expect(
        plan.steps.filter((step) => step.status !== 'planned'),
        id,
      ).toEqual([]);
    }
    expect(recorders.calls()).toBe('');
  }, 300_000);
});
