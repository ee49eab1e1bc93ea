import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { makeRecorders } from '../helpers/recorders.js';
import { SHIPPED_PLANS } from '../helpers/shipped-plans.js';

/**
 * Every shipped runbook planned in-process with nothing but a placeholder for what it requires, the
 * way a person new to it would first try it: each plans exactly the steps of its plans in
 * test/fixtures/shipped-plans.yaml (whose commands test/e2e/shipped-plans.e2e.test.ts checks
 * through the binary), and calls nothing.
 */

/** The step ids of each shipped runbook, in order: the same in every plan of it. */
const STEP_IDS = new Map<string, string[]>();
for (const { plans } of Object.values(SHIPPED_PLANS))
  for (const plan of plans)
    STEP_IDS.set(
      plan.runbook,
      plan.steps.map((s) => s.id),
    );

describe('the shipped runbooks, in-process', () => {
  const dir = tempDir();
  const { bin, calls } = makeRecorders(dir.path);
  const env = () => ({ PATH: bin, RUNBOOK_STATE_DIR: join(dir.path, 'state') });
  const runbooks = join(ROOT, 'runbooks');
  afterAll(() => dir.remove());

  it('every plan of a runbook in shipped-plans.yaml has the same steps', () => {
    for (const { plans } of Object.values(SHIPPED_PLANS))
      for (const plan of plans)
        expect(
          plan.steps.map((s) => s.id),
          plan.runbook,
        ).toEqual(STEP_IDS.get(plan.runbook));
  });

  it('plans every shipped runbook with placeholders, its steps those of its plans, calling nothing', async () => {
    const listed = await runCli(['list', '--json', '--dir', runbooks], { env: env() });
    expect(listed.code).toBe(0);
    const ids = (JSON.parse(listed.stdout) as Array<{ id: string }>).map((r) => r.id);
    expect([...ids].sort()).toEqual([...STEP_IDS.keys()].sort());
    expect(ids).toHaveLength(42);
    for (const id of ids) {
      // Whatever each runbook requires, a plan can take a placeholder for it.
      const shown = JSON.parse(
        (await runCli(['show', id, '--json', '--dir', runbooks], { env: env() })).stdout,
      ) as {
        vars?: Record<string, unknown>;
      };
      const varFlags = Object.entries(shown.vars ?? {}).flatMap(([name, definition]) => {
        const def =
          definition !== null && typeof definition === 'object'
            ? (definition as { required?: boolean; default?: unknown; choices?: unknown[] })
            : {};
        if (!def.required || def.default !== undefined) return [];
        return ['--var', `${name}=${String(def.choices?.[0] ?? 'placeholder')}`];
      });
      const run = await runCli(
        [
          'run',
          id,
          '--dry-run',
          '--non-interactive',
          '--dir',
          runbooks,
          '--format',
          'json',
          ...varFlags,
        ],
        { env: env() },
      );
      expect(run.code, `${id}: ${run.stderr}`).toBe(0);
      expect(run.stderr, id).toBe('');
      const doc = JSON.parse(run.stdout) as {
        status: string;
        steps: Array<{ id: string; status: string }>;
      };
      expect(doc.status, id).toBe('succeeded');
      expect(
        doc.steps.map((s) => s.id),
        id,
      ).toEqual(STEP_IDS.get(id));
      expect(
        doc.steps.filter((s) => s.status !== 'planned' && s.status !== 'skipped'),
        id,
      ).toEqual([]);
    }
    expect(calls()).toBe('');
  }, 120_000);
});
