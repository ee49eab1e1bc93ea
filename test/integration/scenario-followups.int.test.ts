import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

// What `runbook test` does with an unlisted step, an HTTP status, the fixed clock, a
// non-interactive scenario, an absent output and a long string that differs (docs/testing.md).

const dir = tempDir('runbook-scenario-followups-');
afterAll(() => dir.remove());

const LONG_URL = `http://127.0.0.1:9/api/${'segment/'.repeat(12)}end`;

writeFileSync(
  join(dir.path, 'fu.yaml'),
  `id: fu
title: Follow-ups of the scenario runner
vars:
  url: { default: "http://127.0.0.1:9" }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.url }}/health", timeout: 2s }
diagnosis:
  - id: read-state
    run: cat /var/lib/app/state
    effect: read
    capture: { state: outputs.stdout.trim() }
    expect: "outputs.stdout != ''"
    dry_run: { outputs: { state: locked } }
  - id: stamp
    run: "echo since \${{ run.started_at }}"
    effect: read
  - id: long
    run: "curl -s ${LONG_URL}?state=\${{ steps.read_state.outputs.state }}"
    effect: read
resolution:
  - id: unlock
    when: steps.read_state.outputs.state == "locked"
    run: rm -f /var/lib/app/lock
    effect: destructive
  - id: tell
    manual: Tell the team
`,
);

writeFileSync(
  join(dir.path, 'fu.test.yaml'),
  `scenarios:
  - name: unlisted steps run as their dry run shows them
    steps:
      health: { outputs: { status: 200 } }
    answers: { unlock: yes, tell: ack }
    expect:
      ran: [health, read-state, stamp, long, unlock, tell]
      outputs:
        read-state: { state: locked, stdout: null }
        tell: { acknowledged_at: "2026-01-01T00:00:00.000Z", answer: null }
      commands:
        stamp: echo since 2026-01-01T00:00:00.000Z
      findings: []
      status: succeeded
  - name: a status of 503 is a finding, and at sets the clock
    at: 2026-03-04T05:06:07+01:00
    steps:
      health: { outputs: { status: 503 } }
    answers: { unlock: no }
    expect:
      commands:
        stamp: echo since 2026-03-04T04:06:07.000Z
      findings: [health]
      status: declined
      exit_code: 3
      skipped: [unlock, tell]
  - name: an explicit ok wins over the status
    steps:
      health: { ok: true, outputs: { status: 503 } }
    answers: { unlock: yes, tell: ack }
    expect: { findings: [] }
  - name: interactive false leaves a manual step pending
    interactive: false
    steps:
      health: { outputs: { status: 200 } }
    answers: { unlock: yes }
    expect:
      ran: [health, read-state, stamp, long, unlock, tell]
      status: pending
      exit_code: 3
  - name: interactive false declines a confirmation not approved
    interactive: false
    steps:
      health: { outputs: { status: 200 } }
    expect:
      ran: [health, read-state, stamp, long]
      status: declined
      exit_code: 3
  - name: a long command that differs, and an output that is there
    steps:
      health: { outputs: { status: 200 } }
    answers: { unlock: yes, tell: ack }
    expect:
      commands:
        long: curl -s ${LONG_URL}?state=unlocked
      outputs:
        read-state: { state: null }
`,
);

writeFileSync(
  join(dir.path, 'fv.yaml'),
  `id: fv
title: A step reads what an unlisted step's dry run does not show
diagnosis:
  - id: read-state
    run: cat /var/lib/app/state
    effect: read
    capture: { lines: outputs.stdout.split("\\n").size() }
  - id: inspect
    when: steps.read_state.outputs.lines > 2
    run: inspect
    effect: read
`,
);
writeFileSync(
  join(dir.path, 'fv.test.yaml'),
  `scenarios:
  - name: read-state is not listed
    expect: { status: succeeded }
`,
);

describe('runbook test: the runner follow-ups', () => {
  it('gives exact results for each scenario', async () => {
    const result = await runCli(['test', dir.path, '--format', 'json'], { cwd: dir.path });
    expect(result.stderr).toBe('');
    const document = JSON.parse(result.stdout) as {
      runbooks: Array<{ scenarios: Array<{ name: string; failures: string[] }> }>;
    };
    const failures = Object.fromEntries(
      document.runbooks.flatMap((runbook) => runbook.scenarios.map((s) => [s.name, s.failures])),
    );
    const long = `curl -s ${LONG_URL}?state=`;
    expect(failures).toEqual({
      'unlisted steps run as their dry run shows them': [],
      'a status of 503 is a finding, and at sets the clock': [],
      'an explicit ok wins over the status': [],
      'interactive false leaves a manual step pending': [],
      'interactive false declines a confirmation not approved': [],
      'a long command that differs, and an output that is there': [
        [
          `commands.long: differs at character ${long.length + 1} (line 1, column ${long.length + 1}); expected ${long.length + 8} characters, got ${long.length + 6}`,
          'expected: …gment/segment/end?state=unlocked',
          '     got: …gment/segment/end?state=locked',
          '                                   ^',
          `got, whole: "${long}locked"`,
        ].join('\n'),
        'outputs.read-state.state: expected null, got "locked"',
      ],
      'read-state is not listed': [
        'status: expected succeeded, got failed (step inspect failed: when: `steps.read_state.outputs.lines > 2`: No such key: lines)',
        'read-state is not under steps:, so it ran as its dry run shows it (no outputs); add what it returns: steps: { read-state: { outputs: { … } } }',
      ],
    });
    expect(result.code).toBe(1);
  });

  it('shows a long difference on lines of its own in the text report', async () => {
    const result = await runCli(['test', join(dir.path, 'fu.test.yaml')], { cwd: dir.path });
    const lines = result.stdout.split('\n');
    const at = lines.findIndex((line) => line.includes('commands.long: differs'));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '        expected: …gment/segment/end?state=unlocked',
      '             got: …gment/segment/end?state=locked',
      '                                           ^',
    ]);
  });

  it('refuses acknowledging a manual step in a scenario with interactive: false, at its line:col', async () => {
    const sub = tempDir('runbook-scenario-followups-bad-');
    try {
      writeFileSync(
        join(sub.path, 'fu.yaml'),
        `id: fu\ntitle: t\nresolution:\n  - id: tell\n    manual: Tell\n`,
      );
      writeFileSync(
        join(sub.path, 'fu.test.yaml'),
        `scenarios:\n  - name: x\n    interactive: false\n    at: yesterday\n    answers: { tell: ack }\n    expect: {}\n`,
      );
      const result = await runCli(['test', sub.path, '--format', 'json'], { cwd: sub.path });
      expect(result.code).toBe(2);
      const document = JSON.parse(result.stdout) as {
        runbooks: Array<{ diagnostics: Array<{ line: number; col: number; message: string }> }>;
      };
      expect(
        document.runbooks[0]?.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
      ).toEqual(['4:9 scenarios[0].at: expected an ISO 8601 time, such as 2026-01-01T00:00:00Z']);
      writeFileSync(
        join(sub.path, 'fu.test.yaml'),
        `scenarios:\n  - name: x\n    interactive: false\n    answers: { tell: ack }\n    expect: {}\n`,
      );
      const again = await runCli(['test', sub.path, '--format', 'json'], { cwd: sub.path });
      expect(again.code).toBe(2);
      const second = JSON.parse(again.stdout) as typeof document;
      expect(second.runbooks[0]?.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual(
        ['4:22 step "tell" cannot be acknowledged in a scenario with interactive: false'],
      );
    } finally {
      sub.remove();
    }
  });
});
