import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startPrometheus, type PrometheusFixture } from '../helpers/prometheus.js';
import { startPushgateway, type PushgatewayFixture } from '../helpers/pushgateway.js';

/** `check --pushgateway` against a real Pushgateway that a real Prometheus scrapes: what is pushed
 * is queried back through Prometheus's API, label for label (docs/commands.md#check). */

const RUNBOOK = `
id: push-probe
title: Pushed probe
service: 'shop "eu" \\ main'
severity: P2
detection:
  checks:
    - id: latency
      run: echo 1240
      effect: read
      capture: { latency_ms: int(outputs.stdout), free_gb: '1.5' }
      expect: { latency_ms: { warn: 2000, crit: 3000 } }
`;

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

describe('check --pushgateway', () => {
  const dir = tempDir();
  const runbooks = join(dir.path, 'runbooks');
  let gateway: PushgatewayFixture;
  let prometheus: PrometheusFixture;

  beforeAll(async () => {
    mkdirSync(runbooks, { recursive: true });
    writeFileSync(join(runbooks, 'push-probe.yaml'), RUNBOOK);
    gateway = await startPushgateway();
    prometheus = await startPrometheus('', { pushgateway: gateway.target });
  }, 120_000);
  afterAll(async () => {
    await prometheus?.close();
    await gateway?.close();
    dir.remove();
  });

  const check = (...args: string[]) =>
    runCli(['check', 'push-probe', '--dir', runbooks, ...args], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });

  it('pushes every series, which Prometheus scrapes with their exact labels and values', async () => {
    // Named twice, checked once: two series of one name and labels would be refused.
    const result = await check('push-probe', '--pushgateway', `${gateway.url}/`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    await prometheus.waitFor('runbook_check_value_latency_seconds{runbook="push-probe"}', '1.24');
    await prometheus.waitFor('runbook_check_value_free_bytes{runbook="push-probe"}', '1500000000');
    const response = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('{__name__=~"runbook_check_.*"}')}`,
    );
    const series = ((await response.json()) as { data: { result: Series[] } }).data.result;
    const labels = {
      job: 'runbook',
      instance: hostname(),
      runbook: 'push-probe',
      check: 'latency',
      service: 'shop "eu" \\ main',
      severity: 'P2',
    };
    const byName = new Map(series.map((s) => [s.metric.__name__, s]));
    expect([...byName.keys()].sort()).toEqual([
      'runbook_check_duration_seconds',
      'runbook_check_state',
      'runbook_check_value_free_bytes',
      'runbook_check_value_latency_seconds',
    ]);
    expect(series).toHaveLength(4);
    for (const [name, value] of [
      ['runbook_check_state', '0'],
      ['runbook_check_value_latency_seconds', '1.24'],
      ['runbook_check_value_free_bytes', '1500000000'],
    ] as const) {
      expect(byName.get(name)?.metric).toEqual({ __name__: name, ...labels });
      expect(byName.get(name)?.value[1]).toBe(value);
    }
    const duration = byName.get('runbook_check_duration_seconds');
    expect(duration?.metric).toEqual({ __name__: 'runbook_check_duration_seconds', ...labels });
    expect(Number(duration?.value[1])).toBeGreaterThan(0);
    expect(Number(duration?.value[1])).toBeLessThan(30);
  });

  it('says what the Pushgateway refused, in its words, and exits UNKNOWN', async () => {
    // Another job pushed runbook_check_state as a counter: a Pushgateway keeps one type per name,
    // and the gauge pushed above is there no more.
    const group = `${gateway.url}/metrics/job/runbook/instance/${encodeURIComponent(hostname())}`;
    expect((await fetch(group, { method: 'DELETE' })).status).toBe(202);
    const pushed = await fetch(`${gateway.url}/metrics/job/other`, {
      method: 'PUT',
      body: '# TYPE runbook_check_state counter\nrunbook_check_state{x="1"} 1\n',
    });
    expect(pushed.status).toBe(200);

    const result = await check('--pushgateway', gateway.url);
    expect(result.code).toBe(3);
    expect(result.stdout.replace(/\(\d+ms\)/, '(<ms>)')).toBe(
      'RUNBOOK OK - 1 check OK | latency_ms=1240ms;2000;3000 free_gb=1.5\n' +
        'OK push-probe/latency (<ms>): latency_ms 1240, free_gb 1.5\n',
    );
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe(`runbook: the Pushgateway refused the metrics (HTTP 400 from ${group}):`);
    expect(lines[1]).toMatch(
      /^ {2}pushed metrics are invalid or inconsistent with existing metrics: .*runbook_check_state.* is not a COUNTER$/,
    );
    expect((await fetch(`${gateway.url}/metrics/job/other`, { method: 'DELETE' })).status).toBe(
      202,
    );
  });

  it('says a Pushgateway that does not answer, and exits UNKNOWN', async () => {
    const port = await freePort();
    const result = await check('--pushgateway', `http://oncall:s3cret@127.0.0.1:${port}`);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `runbook: cannot push to http://oncall:***@127.0.0.1:${port}/metrics/job/runbook/instance/${encodeURIComponent(hostname())}: connection refused (is the Pushgateway running there?)\n`,
    );
  });

  it.each([
    [
      'a line break',
      'http://127.0.0.1:9091/\nx',
      'RUNBOOK UNKNOWN - --pushgateway must be the Pushgateway\'s http:// or https:// URL (got "http://127.0.0.1:9091/\\nx") (for example --pushgateway http://127.0.0.1:9091)\n',
    ],
    [
      'not a URL',
      'pushgateway:9091',
      'RUNBOOK UNKNOWN - --pushgateway must be an http:// or https:// URL (got pushgateway: in pushgateway:9091)\n',
    ],
    [
      'a query',
      'http://127.0.0.1:9091/?x=1',
      "RUNBOOK UNKNOWN - --pushgateway is the Pushgateway's base URL, without ?query or #fragment (got http://127.0.0.1:9091/?x=1)\n",
    ],
    [
      'bad credentials',
      'http://a:%zz@127.0.0.1:9091',
      'RUNBOOK UNKNOWN - --pushgateway: the user name or password in the URL is not valid percent-encoding (write % as %25)\n',
    ],
    [
      'nothing',
      '',
      'RUNBOOK UNKNOWN - --pushgateway must be the Pushgateway\'s http:// or https:// URL (got "") (for example --pushgateway http://127.0.0.1:9091)\n',
    ],
  ])('refuses %s before any check runs', async (_what, url, said) => {
    const result = await check('--pushgateway', url);
    expect(result.stdout).toBe(said);
    expect(result.code).toBe(3);
  });
});
