import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

// `runbook test` over a fixture runbook with a when:, retries, a timeout, confirmations, a manual
// step, a question and a rollback (test/fixtures/scenarios; docs/testing.md).

const FIXTURES = join(ROOT, 'test/fixtures/scenarios');

interface TestJson {
  runbooks: Array<{ scenarios: Array<{ duration_ms: number }> }>;
}

/** The JSON document, durations set to 0 (they are the one thing that varies). */
function parsed(stdout: string): unknown {
  const document = JSON.parse(stdout) as TestJson;
  for (const runbook of document.runbooks)
    for (const scenario of runbook.scenarios) scenario.duration_ms = 0;
  return document;
}

const passed = (name: string) => ({ name, status: 'passed', failures: [], duration_ms: 0 });

describe('runbook test: scenarios run through the engine with given results', () => {
  it('passes what the runbook does and fails what it does not, each with expected vs actual', async () => {
    const result = await runCli(['test', join(FIXTURES, 'ok'), '--coverage', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(parsed(result.stdout)).toEqual({
      passed: 4,
      failed: 2,
      invalid: 0,
      exit_code: 1,
      runbooks: [
        {
          id: 'fx',
          file: 'test/fixtures/scenarios/ok/fx.test.yaml',
          runbook_file: 'test/fixtures/scenarios/ok/fx.yaml',
          scenarios: [
            // A retry delay of 10m is not waited; each try takes its own result.
            passed('fast, fixed, and ready on the third try'),
            passed('slow, ready times out, and the rollback runs'),
            passed('the fix is declined'),
            passed('the team is not told'),
            {
              name: 'nobody answers the confirmation',
              status: 'failed',
              failures: ['fix asks for confirmation (destructive); add answers: { fix: yes|no }'],
              duration_ms: 0,
            },
            {
              name: 'expects the wrong things',
              status: 'failed',
              failures: [
                'ran: expected [probe, fix], got [probe, pick, inspect, fix, tell, ready]',
                'status: expected failed, got succeeded',
              ],
              duration_ms: 0,
            },
          ],
          diagnostics: [],
        },
      ],
      coverage: {
        uncovered: 0,
        runbooks: [
          {
            id: 'fx',
            file: 'test/fixtures/scenarios/ok/fx.yaml',
            conditions: [
              {
                step: 'inspect',
                when: 'steps.pick.outputs.answer == "fast"',
                true: true,
                false: true,
              },
            ],
            uncovered: [],
          },
        ],
      },
    });
  });

  it('refuses a scenario file naming an unknown step, at its line:col, with exit 2', async () => {
    const result = await runCli(['test', join(FIXTURES, 'bad')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(
      [
        'test/fixtures/scenarios/bad/fx.test.yaml (fx)',
        '  test/fixtures/scenarios/bad/fx.test.yaml:3:38: error: unknown step "tel": runbook fx has no such step',
        '  3 |     answers: { pick: fast, fix: yes, tel: ack }',
        '    |                                      ^',
        '      hint: did you mean "tell"?',
        '',
        '✗ 0 scenarios: 0 passed, 0 failed; 1 invalid file',
        '',
      ].join('\n'),
    );
  });

  it('counts a when: side no scenario took as uncovered (exit 1)', async () => {
    const result = await runCli(['test', join(FIXTURES, 'half'), '--coverage'], {
      env: { NO_COLOR: '1' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout.replace(/\(\d+ ms\)/g, '(0 ms)')).toBe(
      [
        'test/fixtures/scenarios/half/fx.test.yaml (fx)',
        '  ✓ only the slow way (0 ms)',
        '',
        'coverage of when: (true and false sides)',
        '  ✗ fx: 1 of 2 sides not covered (test/fixtures/scenarios/half/fx.yaml)',
        '      inspect: when: steps.pick.outputs.answer == "fast" — not true',
        '',
        '✗ 1 scenario: 1 passed, 0 failed; 1 when: side not covered',
        '',
      ].join('\n'),
    );
  });
});
