import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';
import { makeRecorders } from '../helpers/recorders.js';

// `runbook test` runs nothing: the shipped scenarios and the fixtures run under a PATH where every
// tool only records that it was called, and no call is recorded (docs/testing.md).

const SHIPPED = [
  'runbooks/cookcam/cookcam-api-down.test.yaml',
  'runbooks/demo/demo-api-down.test.yaml',
  'runbooks/fondation/fondation-convex-connection-lost.test.yaml',
];

describe('runbook test (the built CLI)', () => {
  const dir = tempDir();
  const { bin, calls } = makeRecorders(dir.path);
  const env = { PATH: bin, RUNBOOK_STATE_DIR: join(dir.path, 'state') };
  afterAll(() => dir.remove());

  it('passes the shipped scenarios, covering every when: side, and starts no process', async () => {
    const result = await runBin(['test', ...SHIPPED, '--coverage', '--format', 'json'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as {
      passed: number;
      failed: number;
      invalid: number;
      exit_code: number;
      runbooks: Array<{ id: string; scenarios: Array<{ name: string; status: string }> }>;
      coverage: { uncovered: number; runbooks: Array<{ id: string; uncovered: string[] }> };
    };
    expect([document.passed, document.failed, document.invalid, document.exit_code]).toEqual([
      10, 0, 0, 0,
    ]);
    expect(
      document.runbooks.map((runbook) => [
        runbook.id,
        runbook.scenarios.map((scenario) => `${scenario.status}: ${scenario.name}`),
      ]),
    ).toEqual([
      [
        'cookcam-api-down',
        [
          'passed: the API is down and a restart brings it back',
          'passed: a plain restart does not take, so the app is deleted and started afresh',
          'passed: pm2 does not know the app, the fresh start times out, and the rollback escalates',
          'passed: the API is healthy, so nothing is restarted',
        ],
      ],
      [
        'demo-api-down',
        [
          'passed: a stale lock is removed, the service reloaded, and the API recovers',
          'passed: degraded for another reason, nothing to remove, and the API stays down',
          'passed: the person declines removing the lock',
        ],
      ],
      [
        'fondation-convex-connection-lost',
        [
          'passed: the deployment moved, the URL is updated and the worker reconnects',
          'passed: the URL is right, the restart does not help, and the rollback hands over',
          'passed: the person does not approve restarting the worker',
        ],
      ],
    ]);
    expect(document.coverage.uncovered).toBe(0);
    expect(calls()).toBe('');
  });

  it('exits 1 for a failed scenario and 2 for an invalid file, still running nothing', async () => {
    const failed = await runBin(['test', 'test/fixtures/scenarios/ok', '--json'], { env });
    expect(failed.code).toBe(1);
    expect((JSON.parse(failed.stdout) as { failed: number }).failed).toBe(2);
    const invalid = await runBin(['test', 'test/fixtures/scenarios/bad', '--json'], { env });
    expect(invalid.code).toBe(2);
    expect(
      (
        JSON.parse(invalid.stdout) as {
          runbooks: Array<{ diagnostics: Array<{ line: number; col: number; message: string }> }>;
        }
      ).runbooks[0]?.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
    ).toEqual(['3:38 unknown step "tel": runbook fx has no such step']);
    // A runbook file stands for the scenario file beside it.
    const byRunbook = await runBin(['test', 'runbooks/demo/demo-api-down.yaml', '--json'], { env });
    expect([byRunbook.code, (JSON.parse(byRunbook.stdout) as { passed: number }).passed]).toEqual([
      0, 3,
    ]);
    writeFileSync(
      join(dir.path, 'lonely.yaml'),
      'id: lonely\ntitle: t\ndiagnosis: [{ id: a, run: "true" }]\n',
    );
    const lonely = await runBin(['test', join(dir.path, 'lonely.yaml')], { env, cwd: dir.path });
    expect([lonely.code, lonely.stderr]).toEqual([
      2,
      `runbook: ${join(dir.path, 'lonely.yaml')} has no scenarios: lonely.test.yaml does not exist\nhint: write one beside it (docs/testing.md)\n`,
    ]);
    const unknown = await runBin(['test', 'no-such-runbook'], { env });
    expect(unknown.code).toBe(2);
    expect(calls()).toBe('');
  });

  it('writes JUnit: a testsuite per runbook, a testcase per scenario, failures with details', async () => {
    const result = await runBin(['test', 'test/fixtures/scenarios/ok', '--format', 'junit'], {
      env,
    });
    expect(result.code).toBe(1);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      result.stdout,
    ) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: {
          name: string;
          testcase: Array<{ name: string; failure?: { message: string; '#text': string } }>;
        };
      };
    };
    expect([xml.testsuites.tests, xml.testsuites.failures]).toEqual(['6', '2']);
    expect(xml.testsuites.testsuite.name).toBe('fx');
    expect(
      xml.testsuites.testsuite.testcase.map((test) => [test.name, test.failure?.['#text'] ?? '']),
    ).toEqual([
      ['fast, fixed, and ready on the third try', ''],
      ['slow, ready times out, and the rollback runs', ''],
      ['the fix is declined', ''],
      ['the team is not told', ''],
      [
        'nobody answers the confirmation',
        'fix asks for confirmation (destructive); add answers: { fix: yes|no }',
      ],
      [
        'expects the wrong things',
        'ran: expected [probe, fix], got [probe, pick, inspect, fix, tell, ready]\nstatus: expected failed, got succeeded',
      ],
    ]);
    expect(calls()).toBe('');
  });
});
