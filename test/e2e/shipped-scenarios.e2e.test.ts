import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';
import { checkJunit } from '../helpers/junit.js';
import { makeRecorders, runbookIds } from '../helpers/recorders.js';

/**
 * Every shipped runbook has scenarios (runbooks/<family>/<id>.test.yaml) and they cover both sides
 * of every `when:`. `runbook test runbooks --coverage`, as CI runs it, under a PATH where every
 * tool only records that it was called: every scenario passes, nothing is uncovered, nothing is
 * called, and its JUnit reads as CI reads it, as does that of a dry run of every shipped runbook
 * (docs/testing.md, docs/ci.md).
 */

const dir = tempDir('runbook-shipped-scenarios-');
const recorders = makeRecorders(dir.path);
afterAll(() => dir.remove());
const ENV = { PATH: recorders.bin, HOME: dir.path, RUNBOOK_STATE_DIR: join(dir.path, 'state') };

const FAMILIES = readdirSync(join(ROOT, 'runbooks')).sort();
const IDS = FAMILIES.flatMap((family) => runbookIds(join(ROOT, 'runbooks', family)));

interface TestDoc {
  passed: number;
  failed: number;
  invalid: number;
  exit_code: number;
  runbooks: Array<{ id: string; scenarios: Array<{ name: string; status: string }> }>;
  coverage: { uncovered: number; runbooks: Array<{ id: string; uncovered: string[] }> };
}

describe('the shipped scenarios', () => {
  it('pass, cover every when: side of all 42 runbooks, and call nothing', async () => {
    const result = await runBin(['test', 'runbooks', '--coverage', '--format', 'json'], {
      env: ENV,
    });
    expect(result.stderr).toBe('');
    const document = JSON.parse(result.stdout) as TestDoc;
    const notPassed = document.runbooks.flatMap((runbook) =>
      runbook.scenarios
        .filter((scenario) => scenario.status !== 'passed')
        .map((scenario) => `${runbook.id}: ${scenario.name}`),
    );
    expect(notPassed).toEqual([]);
    expect(document.coverage.runbooks.filter((runbook) => runbook.uncovered.length > 0)).toEqual(
      [],
    );
    expect([document.failed, document.invalid, document.coverage.uncovered]).toEqual([0, 0, 0]);
    expect(IDS).toHaveLength(42);
    expect(document.runbooks.map((runbook) => runbook.id).sort()).toEqual([...IDS].sort());
    // Each runbook has at least two stories: one where its fix is needed and one where it is not.
    expect(document.runbooks.filter((runbook) => runbook.scenarios.length < 2)).toEqual([]);
    expect(document.passed).toBe(
      document.runbooks.reduce((sum, runbook) => sum + runbook.scenarios.length, 0),
    );
    expect([result.code, document.exit_code]).toEqual([0, 0]);
    expect(recorders.calls()).toBe('');
  });

  it('write JUnit that a JUnit reader takes: a suite per runbook, a case per scenario', async () => {
    const json = JSON.parse(
      (await runBin(['test', 'runbooks', '--format', 'json'], { env: ENV })).stdout,
    ) as TestDoc;
    const result = await runBin(['test', 'runbooks', '--format', 'junit'], { env: ENV });
    expect(result.code).toBe(0);
    const report = await checkJunit(result.stdout);
    expect(
      report.suites.map((suite) => [suite.name, suite.cases.map((test) => test.name)]),
    ).toEqual(
      json.runbooks.map((runbook) => [
        runbook.id,
        runbook.scenarios.map((scenario) => scenario.name),
      ]),
    );
    expect(report.suites.flatMap((suite) => suite.cases).filter((test) => test.failure)).toEqual(
      [],
    );
    expect(recorders.calls()).toBe('');
  });
});

describe('a dry run of every shipped runbook, with no values, as JUnit', () => {
  it.each(FAMILIES)('%s: reads as JUnit, a case per step of the plan', async (family) => {
    for (const id of runbookIds(join(ROOT, 'runbooks', family))) {
      const args = ['run', id, '--dry-run', '--non-interactive', '--dir', `runbooks/${family}`];
      const [junit, json] = await Promise.all([
        runBin([...args, '--format', 'junit'], { env: ENV }),
        runBin([...args, '--format', 'json'], { env: ENV }),
      ]);
      expect([id, junit.code]).toEqual([id, 0]);
      const report = await checkJunit(junit.stdout);
      const plan = JSON.parse(json.stdout) as { steps: Array<{ id: string; section: string }> };
      expect(report.suites.map((suite) => suite.name)).toEqual([id]);
      expect(report.suites[0]?.cases.map((test) => `${test.classname} ${test.name}`)).toEqual(
        plan.steps.map((step) => `${id}.${step.section} ${step.id}`),
      );
    }
    expect(recorders.calls()).toBe('');
  });
});
