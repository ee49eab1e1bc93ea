import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';

/** `runbook resume` of a run stopped inside a `for_each:` step: the items that succeeded are taken
 * as they were, the rest run (docs/commands.md#resume). A restart already done is not done again. */

const RUNBOOK = `
id: restart-replicas
title: Restart the replicas
severity: P2
vars:
  out: { required: true }
resolution:
  - id: restart
    for_each: [db-1, db-2, db-3]
    as: replica
    effect: destructive
    run: test "\${{ replica }}" != db-2 || test -f "\${{ vars.out }}/fixed" && echo "restart \${{ replica }}" >> "\${{ vars.out }}/log"
  - id: per-replica
    for_each: [db-1, db-2, db-3]
    steps:
      - id: drain
        run: echo "drain \${{ item }}" >> "\${{ vars.out }}/log"
      - id: check
        run: test "\${{ item }}" != db-3 || test -f "\${{ vars.out }}/fixed-3"
verification:
  - id: done
    run: echo done
`;

interface Doc {
  run_id: string;
  status: string;
  steps: Array<{
    id: string;
    status: string;
    items?: Array<{ item: { index: number; label: string }; status: string; restored?: boolean }>;
  }>;
}

describe('runbook resume of a loop', () => {
  let dir: { path: string; remove: () => void };
  let out: string;
  beforeEach(() => {
    dir = tempDir('runbook-resume-loops-');
    out = join(dir.path, 'out');
    mkdirSync(join(dir.path, 'runbooks'));
    mkdirSync(out);
    writeFileSync(join(dir.path, 'runbooks/restart-replicas.yaml'), RUNBOOK);
  });
  afterEach(() => dir.remove());

  const cli = (args: string[]) =>
    runBin([...args, '--format', 'json', '--yes'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
  const log = (): string[] => readFileSync(join(out, 'log'), 'utf8').trim().split('\n');
  const items = (doc: Doc, id: string) =>
    doc.steps
      .find((step) => step.id === id)
      ?.items?.map((item) => [item.item.label, item.status, item.restored === true]);

  it('runs again only the items that did not succeed, item by item and group by group', async () => {
    const first = await cli([
      'run',
      'restart-replicas',
      '--dir',
      'runbooks',
      '--var',
      `out=${out}`,
    ]);
    expect(first.code).toBe(1);
    const stopped = JSON.parse(first.stdout) as Doc;
    expect(items(stopped, 'restart')).toEqual([
      ['db-1', 'succeeded', false],
      ['db-2', 'failed', false],
      ['db-3', 'skipped', false],
    ]);
    expect(log()).toEqual(['restart db-1']);

    writeFileSync(join(out, 'fixed'), '');
    const second = await cli(['resume', stopped.run_id]);
    expect(second.code).toBe(1);
    const part2 = JSON.parse(second.stdout) as Doc;
    expect(items(part2, 'restart')).toEqual([
      ['db-1', 'succeeded', true],
      ['db-2', 'succeeded', false],
      ['db-3', 'succeeded', false],
    ]);
    // The group: db-3's check fails, after db-1 and db-2 went through whole.
    expect(items(part2, 'per-replica')).toEqual([
      ['db-1', 'succeeded', false],
      ['db-2', 'succeeded', false],
      ['db-3', 'failed', false],
    ]);
    expect(log()).toEqual([
      'restart db-1',
      'restart db-2',
      'restart db-3',
      'drain db-1',
      'drain db-2',
      'drain db-3',
    ]);

    writeFileSync(join(out, 'fixed-3'), '');
    const third = await cli(['resume', stopped.run_id]);
    expect(third.code).toBe(0);
    const part3 = JSON.parse(third.stdout) as Doc;
    expect(part3.steps.map((step) => [step.id, step.status])).toEqual([
      ['restart', 'succeeded'],
      ['per-replica', 'succeeded'],
      ['done', 'succeeded'],
    ]);
    // A group item runs again whole: db-3 is drained again, db-1 and db-2 are not.
    expect(items(part3, 'per-replica')).toEqual([
      ['db-1', 'succeeded', true],
      ['db-2', 'succeeded', true],
      ['db-3', 'succeeded', false],
    ]);
    expect(log().slice(6)).toEqual(['drain db-3']);
  });
});
