import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const FIXTURES = join(ROOT, 'test/fixtures/engine');

interface Doc {
  run_id: string;
  status: string;
  exit_code: number;
  reason: string | null;
  steps: Array<{
    id: string;
    section: string;
    status: string;
    exit_code: number | null;
    attempts: number;
    reason?: string;
    outputs: Record<string, unknown>;
  }>;
}

function sleepers(): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('sleep 31.4159')).length;
}

describe('the step engine', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  const run = async (
    id: string,
    args: string[] = [],
  ): Promise<{ code: number; doc: Doc; stderr: string }> => {
    const result = await runCli(
      ['run', id, '--dir', FIXTURES, '--var', `out=${dir.path}`, '--format', 'json', ...args],
      {
        env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      },
    );
    return { code: result.code, doc: JSON.parse(result.stdout) as Doc, stderr: result.stderr };
  };
  const step = (doc: Doc, id: string) => doc.steps.find((s) => s.id === id);

  it('kills a timed-out step’s whole process tree, retries until, runs parallel steps together, tolerates continue_on_error', async () => {
    const before = sleepers();
    const { code, doc } = await run('control');
    expect(code).toBe(0);
    expect(doc.status).toBe('succeeded');
    expect(step(doc, 'slow-tree')).toMatchObject({
      status: 'failed',
      reason: 'timed out after 500ms; its process tree was killed (3 processes)',
    });
    // Both background sleeps are gone with their shell: no orphans.
    expect(sleepers()).toBe(before);
    expect(step(doc, 'flaky')).toMatchObject({
      status: 'succeeded',
      attempts: 3,
      outputs: { stdout: '3' },
    });
    // Each parallel step waits for the other's file: they can only finish by running at the same time.
    expect(step(doc, 'left')?.status).toBe('succeeded');
    expect(step(doc, 'right')?.status).toBe('succeeded');
    expect(step(doc, 'tolerated')).toMatchObject({ status: 'failed', exit_code: 3 });
    expect(existsSync(join(dir.path, 'changed'))).toBe(true);
    // Every step but the rollback's, in order; left and right, run together, end in either order.
    const steps = doc.steps.map((s) => [s.section, s.id, s.status]);
    expect([...steps.slice(0, 2), ...steps.slice(2, 4).sort(), ...steps.slice(4)]).toEqual([
      ['diagnosis', 'slow-tree', 'failed'],
      ['diagnosis', 'flaky', 'succeeded'],
      ['diagnosis', 'left', 'succeeded'],
      ['diagnosis', 'right', 'succeeded'],
      ['diagnosis', 'tolerated', 'failed'],
      ['resolution', 'change', 'succeeded'],
      ['verification', 'check', 'succeeded'],
    ]);
  });

  it('rolls back when verification fails, and exits 1', async () => {
    const { code, doc } = await run('control', ['--var', 'fail_verification=true']);
    expect(code).toBe(1);
    expect(doc.status).toBe('failed');
    expect(step(doc, 'check')?.status).toBe('failed');
    expect(step(doc, 'undo')).toMatchObject({ section: 'rollback', status: 'succeeded' });
    expect(existsSync(join(dir.path, 'rolled-back'))).toBe(true);
    expect(existsSync(join(dir.path, 'changed'))).toBe(false);
  });

  it('--only and --from choose what runs', async () => {
    const only = await run('control', ['--only', 'resolution']);
    expect(only.doc.steps.map((s) => s.id)).toEqual(['change']);
    const from = await run('control', ['--from', 'tolerated']);
    expect(from.doc.steps.filter((s) => s.status === 'skipped').map((s) => s.id)).toEqual([
      'slow-tree',
      'flaky',
      'left',
      'right',
    ]);
    expect(existsSync(join(dir.path, 'left'))).toBe(false);
  });

  it('stops with exit 3 before a step that needs approval, naming the flag; --approve and --yes allow it', async () => {
    const declined = await run('guarded');
    expect(declined.code).toBe(3);
    expect(declined.doc.status).toBe('declined');
    expect(declined.doc.reason).toContain('pass --approve wipe-cache');
    expect(existsSync(join(dir.path, 'wiped'))).toBe(false);

    const approved = await run('guarded', ['--approve', 'wipe-cache']);
    expect(existsSync(join(dir.path, 'wiped'))).toBe(true);
    // The manual step waits for a person: pending, exit 3, and nothing after it runs.
    expect(approved.code).toBe(3);
    expect(approved.doc.status).toBe('pending');
    expect(step(approved.doc, 'tell-someone')?.status).toBe('pending');
    expect(existsSync(join(dir.path, 'after'))).toBe(false);

    const yes = await run('guarded', ['--yes', '--from', 'wipe-cache']);
    expect(step(yes.doc, 'wipe-cache')?.status).toBe('succeeded');
  });
});
