import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, parseJournal, runBin, tempDir } from '../helpers/cli.js';

// `--alert`, `match` and `run --alert` without an id, through the built CLI, with the payloads a
// real Alertmanager posted (test/integration/alertmanager.int.test.ts records them) and the
// Grafana and PagerDuty examples.

const payload = (name: string): string =>
  readFileSync(join(ROOT, 'test/fixtures/alerts', name), 'utf8');
const FIRING = payload('alertmanager-firing.json');

const CRASHLOOP = `id: crashloop
title: Pod crash looping
severity: P2
alerts:
  - alertname="KubePodCrashLooping"
  - namespace=~"shop|api"
vars:
  namespace: { from_alert: labels.namespace, required: true }
diagnosis:
  - id: describe
    run: echo "\${{ vars.namespace }}/\${{ alert.labels.pod }} \${{ alert.status }}"
    effect: read
`;
const ANY_KUBE = `id: any-kube
title: Any Kubernetes alert
severity: P3
alerts:
  - alertname=~"Kube.*"
diagnosis:
  - id: summary
    run: echo "\${{ alert.annotations.summary }}"
    effect: read
`;
const REPLICATION = `id: replication-lag
title: Replication lag
severity: P1
alerts:
  - - alertname="PostgresReplicationLag"
  - - service="Checkout API"
    - priority=~"P1|P2"
vars:
  instance: { from_alert: labels.instance }
diagnosis:
  - id: lag
    run: echo "\${{ vars.instance }} \${{ alert.labels.lag_seconds }}s"
    effect: read
`;

describe('runbook run --alert and runbook match, as a process', () => {
  const dir = tempDir('runbook-alerts-e2e-');
  const one = join(dir.path, 'one');
  const both = join(dir.path, 'both');
  const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };

  beforeAll(() => {
    mkdirSync(one);
    mkdirSync(both);
    writeFileSync(join(one, 'crashloop.yaml'), CRASHLOOP);
    writeFileSync(join(one, 'replication-lag.yaml'), REPLICATION);
    writeFileSync(join(both, 'crashloop.yaml'), CRASHLOOP);
    writeFileSync(join(both, 'any-kube.yaml'), ANY_KUBE);
    writeFileSync(join(dir.path, 'pagerduty.json'), payload('pagerduty-incident-triggered.json'));
    writeFileSync(join(dir.path, 'firing.json'), FIRING);
  });
  afterAll(() => dir.remove());

  it('--alert - reads standard input; a run with no id runs the one runbook that answers', async () => {
    const result = await runBin(['run', '--dir', one, '--alert', '-', '--format', 'json'], {
      env,
      input: FIRING,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as {
      run_id: string;
      runbook: string;
      journal: string;
      steps: Array<{ command: string; outputs: { stdout: string } }>;
    };
    expect(run.runbook).toBe('crashloop');
    expect(run.steps.map((step) => [step.command, step.outputs.stdout])).toEqual([
      ['echo "shop/cart-7d9f firing"', 'shop/cart-7d9f firing'],
    ]);
    // The journal says the run answered an alert, and which variables it gave.
    const start = parseJournal(readFileSync(run.journal, 'utf8'))[0] as {
      origin: { alert: Record<string, unknown>; alert_vars: Record<string, string> };
    };
    expect(start.origin.alert).toMatchObject({
      kind: 'alertmanager',
      status: 'firing',
      labels: {
        alertname: 'KubePodCrashLooping',
        namespace: 'shop',
        pod: 'cart-7d9f',
        severity: 'warning',
      },
      count: 1,
    });
    expect(start.origin.alert_vars).toEqual({ namespace: 'labels.namespace' });
  });

  it('a dry run shows the alert and the values it gave, through a pipe', async () => {
    const file = join(dir.path, 'firing.json');
    const result = await runBin(['run', 'crashloop', '--dir', one, '--alert', file, '--dry-run'], {
      env,
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[2]).toBe(
      '  alert KubePodCrashLooping (alertmanager, firing) namespace="shop" pod="cart-7d9f" severity="warning"',
    );
    expect(lines[3]).toBe('  from the alert: namespace = "shop" (labels.namespace)');
    expect(lines).toContain('      $ echo "shop/cart-7d9f firing"');
  });

  it('match lists those that answer, best first; several stop a run with no id (exit 2)', async () => {
    const file = join(dir.path, 'firing.json');
    const match = await runBin(['match', '--dir', both, '--alert', file], { env });
    expect(match.code).toBe(0);
    expect(match.stdout).toBe(
      [
        'alert KubePodCrashLooping (alertmanager, firing) namespace="shop" pod="cart-7d9f" severity="warning"',
        'ID         SEVERITY  TITLE                 MATCHED BY',
        'crashloop  P2        Pod crash looping     alertname="KubePodCrashLooping", namespace=~"shop|api"',
        'any-kube   P3        Any Kubernetes alert  alertname=~"Kube.*"',
        '',
      ].join('\n'),
    );
    const json = await runBin(['match', '--dir', both, '--alert', file, '--json'], { env });
    expect(
      (JSON.parse(json.stdout) as { matches: Array<{ id: string }> }).matches.map((m) => m.id),
    ).toEqual(['crashloop', 'any-kube']);

    const run = await runBin(['run', '--dir', both, '--alert', file], { env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        '2 runbooks answer the alert "KubePodCrashLooping", best first:',
        'ID         SEVERITY  TITLE                 MATCHED BY',
        'crashloop  P2        Pod crash looping     alertname="KubePodCrashLooping", namespace=~"shop|api"',
        'any-kube   P3        Any Kubernetes alert  alertname=~"Kube.*"',
        'runbook: 2 runbooks answer the alert "KubePodCrashLooping": say which',
        `hint: runbook run crashloop --alert ${file}`,
        '',
      ].join('\n'),
    );
  });

  it('a PagerDuty incident: its custom details and service are labels', async () => {
    const result = await runBin(
      ['run', '--dir', one, '--alert', 'pagerduty.json', '--format', 'json'],
      { env, cwd: dir.path },
    );
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as {
      runbook: string;
      steps: Array<{ outputs: { stdout: string } }>;
    };
    expect([run.runbook, run.steps[0]?.outputs.stdout]).toEqual([
      'replication-lag',
      'db-replica-2:9187 412s',
    ]);
  });

  it('no runbook answers: match exits 1, run with no id exits 2', async () => {
    const grafana = join(dir.path, 'grafana.json');
    writeFileSync(grafana, payload('grafana-firing.json'));
    const match = await runBin(['match', '--dir', one, '--alert', grafana], { env });
    expect([match.code, match.stdout]).toEqual([
      1,
      'alert High memory usage (grafana, firing, 1 of 2 firing) grafana_folder="Platform" team="blue" zone="us-1"\nno runbook answers this alert\n',
    ]);
    const run = await runBin(['run', '--dir', one, '--alert', grafana], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'runbook: no runbook answers the alert High memory usage (grafana, firing, 1 of 2 firing) grafana_folder="Platform" team="blue" zone="us-1"\n' +
        'hint: a runbook answers alerts through its alerts: label matchers (docs/format.md#alert-payloads); name one: runbook run <id> --alert …\n',
    );
  });

  it('bad payloads and files: one message, exit 2, no stack trace', async () => {
    const cases: Array<[string[], string | undefined, string]> = [
      [['--alert', 'missing.json'], undefined, 'runbook: --alert missing.json: no such file'],
      [['--alert', '.'], undefined, 'runbook: --alert .: is a directory'],
      [
        ['--alert', '-'],
        '{"status": "firing"}',
        'runbook: --alert standard input: not an alert payload: it has none of alerts[] (Alertmanager, Grafana), event (PagerDuty v3) or ruleName (Grafana legacy); its keys: status',
      ],
      [
        ['--alert', '-'],
        'not json',
        "runbook: --alert standard input: not JSON: Unexpected token 'o' (not valid JSON)",
      ],
      [['--alert', ''], undefined, 'runbook: --alert needs a file, and got an empty path'],
      [
        ['--alert', '-'],
        `{"x":"${'a'.repeat(1024 * 1024)}"}`,
        'runbook: --alert -: larger than 1 MiB, more than any alert payload',
      ],
      [['--alert', '--help'], undefined, 'error: --alert needs a value, and got the option --help'],
    ];
    for (const [args, input, first] of cases) {
      const result = await runBin(['run', 'crashloop', '--dir', one, ...args], {
        env,
        cwd: dir.path,
        ...(input === undefined ? {} : { input }),
      });
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr.split('\n')[0]).toContain(first);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a scenario gives the alert (a file beside it, or inline): runbook test runs the example', async () => {
    const result = await runBin(['test', 'examples/alerts', '--format', 'json'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      runbooks: Array<{ scenarios: Array<{ name: string; status: string }> }>;
    };
    expect(doc.runbooks.flatMap((file) => file.scenarios.map((s) => [s.name, s.status]))).toEqual([
      ['the alert fires for shop/cart-7d9f, and the pod is deleted', 'passed'],
      ['the alert has resolved by the time the runbook runs, so nothing is deleted', 'passed'],
    ]);
  });

  it('--var for an undeclared name points at --alert', async () => {
    const result = await runBin(['run', 'crashloop', '--dir', one, '--var', 'pod=x'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'runbook: unknown variable "pod" for runbook crashloop\n' +
        "hint: its variables: namespace; an alert's labels come in with --alert FILE, as alert.labels.pod (docs/format.md#alert-payloads)\n",
    );
  });

  it('the example of docs/format.md#alert-payloads runs as documented', async () => {
    const args = ['--dir', 'examples/alerts', '--alert', 'examples/alerts/alertmanager.json'];
    const match = await runBin(['match', ...args, '--json'], { env });
    expect(match.code).toBe(0);
    expect(JSON.parse(match.stdout)).toMatchObject({
      matches: [
        {
          id: 'kube-pod-crashlooping',
          file: 'examples/alerts/kube-pod-crashlooping.yaml',
          matchers: ['alertname="KubePodCrashLooping"', 'namespace=~"shop|api"'],
        },
      ],
    });
    const plan = await runBin(['run', ...args, '--dry-run', '--format', 'json'], { env });
    expect(plan.code).toBe(0);
    const steps = (JSON.parse(plan.stdout) as { steps: Array<{ id: string; command: string }> })
      .steps;
    expect(steps.map((step) => [step.id, step.command])).toEqual([
      ['describe', 'kubectl --namespace shop describe pod cart-7d9f'],
      ['previous-logs', 'kubectl --namespace shop logs cart-7d9f --previous --tail=50'],
      ['delete-pod', 'kubectl --namespace shop delete pod cart-7d9f'],
      ['running', 'kubectl --namespace shop get pods --no-headers'],
    ]);
    const valid = await runBin(['validate', '--strict', 'examples/alerts'], { env });
    expect([valid.code, valid.stdout]).toEqual([0, '✓ 1 runbook valid\n']);
  });

  it('without --alert: a warning first, and the step that reads a label says why it failed', async () => {
    const result = await runBin(['run', 'any-kube', '--dir', both], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'warning: runbook any-kube reads the labels or annotations of an alert, and this run has none: give it with --alert FILE (or - for standard input)\n',
    );
    expect(result.stdout.split('\n')).toContain(
      '      `alert.annotations.summary`: No such key: summary (this run has no alert: give one with --alert FILE)',
    );
  });

  it('show lists the alerts a runbook answers, and the variables taken from them', async () => {
    const result = await runBin(['show', 'replication-lag', '--dir', one], { env });
    const lines = result.stdout.split('\n');
    expect(lines.slice(lines.indexOf('Variables'), lines.indexOf('Variables') + 6)).toEqual([
      'Variables',
      "  instance             from the alert's labels.instance",
      '',
      'Answers alerts',
      '  alertname="PostgresReplicationLag"',
      '  service="Checkout API", priority=~"P1|P2"',
    ]);
  });
});
