import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertPayload } from '../../src/schema/alert-payload.js';
import { startAlertmanager, type AlertmanagerFixture } from '../helpers/alertmanager.js';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

// A real Alertmanager (Debian's prometheus-alertmanager) posts its webhook to a receiver started
// here; what it posts is read by `--alert` as a run would. RECORD_ALERT_FIXTURES=1 writes the
// bodies to test/fixtures/alerts/, the recorded payloads the unit and end-to-end tests use.

const RECORD = process.env.RECORD_ALERT_FIXTURES === '1';
const FIXTURES = join(ROOT, 'test/fixtures/alerts');

const RUNBOOK = `id: crashloop
title: Pod crash looping
severity: P2
alerts:
  - alertname="KubePodCrashLooping"
  - namespace=~"shop|api"
vars:
  namespace: { from_alert: labels.namespace, required: true }
diagnosis:
  - id: describe
    run: kubectl -n \${{ vars.namespace }} describe pod \${{ alert.labels.pod }}
    effect: read
`;

describe('payloads a real Alertmanager posts', () => {
  let am: AlertmanagerFixture;
  const dir = tempDir('runbook-alerts-');
  // Whole seconds: Alertmanager writes times as Go does, without trailing zeros (…:52Z).
  const startsAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();

  beforeAll(async () => {
    am = await startAlertmanager();
    writeFileSync(join(dir.path, 'crashloop.yaml'), RUNBOOK);
  }, 60_000);
  afterAll(async () => {
    await am?.close();
    dir.remove();
  });

  const save = (name: string, body: string): string => {
    const file = join(dir.path, name);
    writeFileSync(file, body);
    if (RECORD)
      writeFileSync(join(FIXTURES, name), `${JSON.stringify(JSON.parse(body), null, 2)}\n`);
    return file;
  };

  it('a firing alert: its labels, annotations and start, and the run it starts', async () => {
    await am.post([
      {
        labels: {
          alertname: 'KubePodCrashLooping',
          namespace: 'shop',
          pod: 'cart-7d9f',
          severity: 'warning',
        },
        annotations: {
          summary: 'Pod shop/cart-7d9f (cart) is in waiting state (reason: "CrashLoopBackOff").',
          runbook_url: 'https://runbooks.example.com/kubepodcrashlooping',
        },
        startsAt,
        generatorURL:
          'http://prometheus.example:9090/graph?g0.expr=kube_pod_container_status_waiting_reason',
      },
    ]);
    const body = await am.nextWebhook();
    const file = save('alertmanager-firing.json', body);
    const sent = JSON.parse(body) as { version: string; status: string; receiver: string };
    expect([sent.version, sent.status, sent.receiver]).toEqual(['4', 'firing', 'runbook']);
    const alert = parseAlertPayload(body);
    expect(alert).toEqual({
      kind: 'alertmanager',
      status: 'firing',
      labels: {
        alertname: 'KubePodCrashLooping',
        namespace: 'shop',
        pod: 'cart-7d9f',
        severity: 'warning',
      },
      annotations: {
        summary: 'Pod shop/cart-7d9f (cart) is in waiting state (reason: "CrashLoopBackOff").',
        runbook_url: 'https://runbooks.example.com/kubepodcrashlooping',
      },
      starts_at: startsAt.replace('.000Z', 'Z'),
      url: 'http://prometheus.example:9090/graph?g0.expr=kube_pod_container_status_waiting_reason',
      count: 1,
      firing: 1,
    });

    const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };
    const matched = await runCli(['match', '--dir', dir.path, '--alert', file], { env });
    expect(matched.stdout.split('\n').slice(1, 3)).toEqual([
      'ID         SEVERITY  TITLE              MATCHED BY',
      'crashloop  P2        Pod crash looping  alertname="KubePodCrashLooping", namespace=~"shop|api"',
    ]);
    expect(matched.code).toBe(0);

    const run = await runCli(
      ['run', '--dir', dir.path, '--alert', file, '--dry-run', '--format', 'json'],
      { env },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { runbook: string; steps: Array<{ command: string }> };
    expect(result.runbook).toBe('crashloop');
    expect(result.steps.map((step) => step.command)).toEqual([
      'kubectl -n shop describe pod cart-7d9f',
    ]);
  }, 60_000);

  it('two alerts of one group, one of which resolves: the firing one is answered', async () => {
    const labels = (pod: string) => ({
      alertname: 'KubeContainerWaiting',
      namespace: 'api',
      pod,
    });
    await am.post([
      { labels: labels('web-1'), annotations: { summary: 'web-1 waits' }, startsAt },
      { labels: labels('web-2'), annotations: { summary: 'web-2 waits' }, startsAt },
    ]);
    const firing = await am.nextWebhook();
    save('alertmanager-group.json', firing);
    const both = parseAlertPayload(firing);
    expect([both.count, both.firing, both.labels.alertname]).toEqual([
      2,
      2,
      'KubeContainerWaiting',
    ]);
    const first = (JSON.parse(firing) as { alerts: Array<{ labels: Record<string, string> }> })
      .alerts[0];
    expect(both.labels).toEqual(first?.labels);

    // web-1 ends: the group's next notification holds it resolved, and web-2 still firing.
    await am.post([
      { labels: labels('web-1'), startsAt, endsAt: new Date(Date.now() - 1000).toISOString() },
      { labels: labels('web-2'), annotations: { summary: 'web-2 waits' }, startsAt },
    ]);
    const next = await am.nextWebhook();
    save('alertmanager-partly-resolved.json', next);
    const alert = parseAlertPayload(next);
    expect([alert.count, alert.firing, alert.status, alert.labels.pod]).toEqual([
      2,
      1,
      'firing',
      'web-2',
    ]);
    expect(alert.annotations).toEqual({ summary: 'web-2 waits' });
  }, 60_000);
});
