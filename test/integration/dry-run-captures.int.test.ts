import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** A step's `dry_run.outputs` stand for what its action returns: the plan applies its `capture:` to
 * them as a real run does (docs/format.md#dry-run-outputs), in a dry run and for a step a scenario
 * does not list. */

const RUNBOOK = `
id: queue-backlog
title: The queue is backed up
service: orders
severity: P2
vars:
  base_url: { default: "http://127.0.0.1:9" }
  region: { required: true }
diagnosis:
  - id: queue
    uses: http.get
    with: { url: "\${{ vars.base_url }}/queue" }
    capture:
      depth: int(outputs.json.depth)
      backlog: outputs.depth > 100
      worker: outputs.json.workers[0].name
      label: outputs.worker + "@" + vars.region
    dry_run: { outputs: { status: 200, json: { depth: 250, workers: [{ name: "w'7 \\"x\\"" }] } } }
  - id: disk
    run: df --output=pcent /var | tail -1 | tr -dc 0-9
    effect: read
    capture: { used_pct: int(outputs.stdout) }
    dry_run: { outputs: { stdout: "87", used_pct: 42 } }
  - id: deploys
    run: echo '{"versions":[]}'
    effect: read
    capture:
      current: outputs.json.versions[0].id
    dry_run: { outputs: { stdout: "nothing" } }
resolution:
  - id: drain
    when: steps.queue.outputs.backlog
    run: echo "drain \${{ steps.queue.outputs.worker }} at \${{ steps.disk.outputs.used_pct }}"
  - id: pin
    run: echo "pin \${{ steps.deploys.outputs.current }}"
`;

const SCENARIOS = `
runbook: queue-backlog
scenarios:
  - name: the queue runs as its dry run shows it, and its captures decide the drain
    vars: { region: eu }
    steps:
      disk: { stdout: "91" }
      deploys: { stdout: '{"versions":[{"id":"v9"}]}' }
    answers: { drain: yes, pin: yes }
    expect:
      ran: [queue, disk, deploys, drain, pin]
      commands:
        drain: echo "drain w'7 \\"x\\" at 91"
        pin: echo "pin v9"
      outputs:
        queue: { depth: 250, backlog: true, worker: "w'7 \\"x\\"", label: "w'7 \\"x\\"@eu" }
      status: succeeded
`;

interface PlannedStep {
  id: string;
  status: string;
  command: string | null;
  outputs: Record<string, unknown>;
  warnings?: string[];
  condition?: string;
}

describe('captures applied to dry_run.outputs', () => {
  const dir = tempDir();
  const runbooks = join(dir.path, 'runbooks');
  const state = join(dir.path, 'state');

  beforeAll(() => {
    mkdirSync(runbooks, { recursive: true });
    writeFileSync(join(runbooks, 'queue-backlog.yaml'), RUNBOOK);
    writeFileSync(join(runbooks, 'queue-backlog.test.yaml'), SCENARIOS);
  });
  afterAll(() => dir.remove());

  const plan = async (...args: string[]): Promise<PlannedStep[]> => {
    const result = await runCli(
      ['run', 'queue-backlog', '--dry-run', '--dir', runbooks, '--format', 'json', ...args],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: state } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as { steps: PlannedStep[] }).steps;
  };

  it('computes each capture from the outputs, in order, and templates later steps with them', async () => {
    const [queue, disk, deploys, drain, pin] = await plan('--var', 'region=eu');
    expect(queue?.outputs).toEqual({
      status: 200,
      json: { depth: 250, workers: [{ name: 'w\'7 "x"' }] },
      depth: 250,
      backlog: true,
      worker: 'w\'7 "x"',
      label: 'w\'7 "x"@eu',
    });
    expect(queue?.warnings).toBeUndefined();
    // A capture dry_run: gives is the value the plan takes, not one computed again.
    expect(disk?.outputs).toEqual({ stdout: '87', used_pct: 42 });
    expect(drain?.status).toBe('planned');
    expect(drain?.condition).toBeUndefined();
    expect(drain?.command).toBe('echo "drain w\'7 \\"x\\" at 42"');
    // One that cannot be computed from what dry_run: gives is left out, and the plan says why.
    expect(deploys?.outputs).toEqual({ stdout: 'nothing' });
    expect(deploys?.warnings).toEqual([
      'capture current not computed from dry_run.outputs: `outputs.json.versions[0].id`: No such key: json',
    ]);
    expect(pin?.command).toBe('echo "pin <steps.deploys.outputs.current>"');
  });

  it('leaves out a capture that reads a variable the plan has no value for', async () => {
    const [queue] = await plan();
    expect(queue?.outputs).toEqual({
      status: 200,
      json: { depth: 250, workers: [{ name: 'w\'7 "x"' }] },
      depth: 250,
      backlog: true,
      worker: 'w\'7 "x"',
    });
    expect(queue?.warnings).toBeUndefined();
  });

  it('shows the warning in the plan a person reads', async () => {
    const result = await runCli(
      ['run', 'queue-backlog', '--dry-run', '--dir', runbooks, '--var', 'region=eu'],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: state } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '      warning: capture current not computed from dry_run.outputs: `outputs.json.versions[0].id`: No such key: json\n',
    );
  });

  it('applies them to a step a scenario does not list (runbook test)', async () => {
    const result = await runCli(['test', join(runbooks, 'queue-backlog.test.yaml')], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state },
    });
    expect(result.stderr).toBe('');
    result.stdout = result.stdout.replace(/\(\d+ ms\)/, '(<ms>)');
    expect(result.stdout).toBe(
      [
        'runbooks/queue-backlog.test.yaml (queue-backlog)',
        '  ✓ the queue runs as its dry run shows it, and its captures decide the drain (<ms>)',
        '',
        '✓ 1 scenario: 1 passed, 0 failed',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(0);
  });
});
