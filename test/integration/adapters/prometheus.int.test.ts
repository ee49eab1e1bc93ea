import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { prometheus } from '../../../src/adapters/prometheus/index.js';
import { localExec } from '../../../src/exec/local.js';
import { timeoutSignal } from '../../../src/common/abort.js';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import {
  BASIC_PASSWORD,
  BASIC_USER,
  startPrometheus,
  type PrometheusFixture,
} from '../../helpers/prometheus.js';

/** The prometheus adapter against a real Prometheus (Debian's) scraping an exporter the test
 * starts on 127.0.0.1. */

const METRICS = `# HELP shop_orders_total Orders taken.
# TYPE shop_orders_total counter
shop_orders_total{region="eu"} 42
shop_orders_total{region="us"} 17
# HELP shop_queue_depth Jobs waiting.
# TYPE shop_queue_depth gauge
shop_queue_depth 7.5
`;

let prom: PrometheusFixture;
/** When the exporter's first values were seen, in unix seconds. */
let seen: number;

beforeAll(async () => {
  prom = await startPrometheus(METRICS);
  seen = await prom.waitFor('shop_queue_depth', '7.5');
}, 90_000);
afterAll(() => prom?.close());

function context(): ActionContext {
  const signal = timeoutSignal(20_000);
  return {
    env: {},
    cwd: process.cwd(),
    signal,
    timeoutMs: 20_000,
    exec: localExec({ env: {}, cwd: process.cwd(), signal }),
    host: undefined,
  };
}

async function query(input: Record<string, unknown>): Promise<ActionOutcome> {
  const action = prometheus.actions.query;
  return action.run(action.input.parse({ url: prom.url, ...input }), context());
}

async function range(input: Record<string, unknown>): Promise<ActionOutcome> {
  const action = prometheus.actions.range;
  return action.run(action.input.parse({ url: prom.url, ...input }), context());
}

const labels = (extra: Record<string, string>): Record<string, string> => ({
  instance: prom.instance,
  job: 'exporter',
  ...extra,
});

describe('prometheus.query', () => {
  it('gives each series as a typed sample, and no value when there are several', async () => {
    const outcome = await query({ query: 'sort(shop_orders_total)' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const samples = outcome.outputs.samples as Array<{ timestamp: number }>;
    expect(samples.map((s) => ({ ...s, timestamp: 0 }))).toEqual([
      { labels: labels({ __name__: 'shop_orders_total', region: 'us' }), value: 17, timestamp: 0 },
      { labels: labels({ __name__: 'shop_orders_total', region: 'eu' }), value: 42, timestamp: 0 },
    ]);
    expect(samples[0]?.timestamp).toBeGreaterThanOrEqual(seen);
    expect(outcome.outputs).toMatchObject({
      status: 200,
      result_type: 'vector',
      value: null,
      count: 2,
      warnings: [],
      series: [],
    });
  });

  it('gives value for a vector of one sample and for a scalar', async () => {
    const sum = await query({ query: 'sum(shop_orders_total)' });
    expect(sum.outputs.value).toBe(59);
    expect((sum.outputs.samples as unknown[]).length).toBe(1);
    const scalar = await query({ query: 'scalar(shop_queue_depth) * 2', time: seen });
    expect(scalar.outputs).toEqual({
      status: 200,
      result_type: 'scalar',
      value: 15,
      count: 1,
      warnings: [],
      samples: [{ labels: {}, value: 15, timestamp: seen }],
      series: [],
    });
  });

  it('reads a range selector as series, at the time given', async () => {
    const outcome = await query({ query: 'shop_queue_depth[10s]', time: seen });
    expect(outcome.outputs.result_type).toBe('matrix');
    const series = outcome.outputs.series as Array<{ labels: unknown; values: number[][] }>;
    expect(series.map((s) => s.labels)).toEqual([labels({ __name__: 'shop_queue_depth' })]);
    expect(new Set(series[0]?.values.map(([, value]) => value))).toEqual(new Set([7.5]));
  });

  it('sees a new value after the next scrape', async () => {
    prom.setMetrics(
      `${METRICS}# HELP shop_workers Workers up.\n# TYPE shop_workers gauge\nshop_workers 3\n`,
    );
    const at = await prom.waitFor('shop_workers', '3');
    const outcome = await query({ query: 'shop_workers', time: at });
    expect(outcome.outputs.value).toBe(3);
  });

  it("fails with Prometheus's own message on a bad query", async () => {
    const outcome = await query({ query: 'sum(' });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe(
      'Prometheus (HTTP 400): bad_data: invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
    );
    expect(outcome.outputs.status).toBe(400);
  });

  it('is unavailable, not failed, when nothing answers', async () => {
    const gone = await startServer(() => undefined);
    const url = gone.url;
    await gone.close();
    const action = prometheus.actions.query;
    const outcome = await action.run(action.input.parse({ url, query: 'up' }), context());
    expect(outcome).toMatchObject({
      ok: false,
      unavailable: true,
      error: `${url.replace('http://', '')}: connection refused (is Prometheus running there?)`,
    });
  });
});

describe('prometheus.range', () => {
  it('gives each series with its points, every step from start to end', async () => {
    const outcome = await range({
      query: 'shop_queue_depth',
      start: seen,
      end: seen + 2,
      step: '1s',
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toEqual({
      status: 200,
      result_type: 'matrix',
      value: null,
      count: 1,
      warnings: [],
      series: [
        {
          labels: labels({ __name__: 'shop_queue_depth' }),
          values: [
            [seen, 7.5],
            [seen + 1, 7.5],
            [seen + 2, 7.5],
          ],
        },
      ],
    });
  });

  it('gives value when the range is one point, and takes start as a duration back from now', async () => {
    const one = await range({ query: 'sum(shop_orders_total)', start: seen, end: seen, step: 1 });
    expect(one.outputs.value).toBe(59);
    // Once Prometheus's clock is 3 s past the first scrape seen, the last 3 s hold 4 points.
    await prom.waitFor(`vector(time() - ${seen} > bool 3)`, '1');
    const back = await range({ query: 'shop_queue_depth', start: '3s', step: '1s' });
    const series = back.outputs.series as Array<{ values: Array<[number, number]> }>;
    expect(series).toHaveLength(1);
    const times = series[0]?.values.map(([time]) => time) ?? [];
    expect(times).toHaveLength(4);
    expect(Math.abs((times[3] ?? 0) - Date.now() / 1000)).toBeLessThan(30);
    expect(times.slice(1).map((time, i) => Math.round((time - (times[i] ?? 0)) * 1000))).toEqual(
      times.slice(1).map(() => 1000),
    );
    expect(new Set(series[0]?.values.map(([, value]) => value))).toEqual(new Set([7.5]));
  });
});

let proxy: TestServer;
const proxyUrl = (): string => proxy.url;
const TOKEN = 'tok-3f9a1c77e2';

beforeAll(async () => {
  // An authenticating proxy in front of the open server: Prometheus itself takes basic auth only.
  proxy = await startServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`)
      return void response.writeHead(401).end('Unauthorized\n');
    void fetch(`${prom.url}${request.url ?? ''}`).then(async (answer) =>
      response
        .writeHead(answer.status, { 'content-type': 'application/json' })
        .end(await answer.text()),
    );
  });
});
afterAll(() => proxy?.close());

describe('authentication', () => {
  let secured: PrometheusFixture;

  beforeAll(async () => {
    secured = await startPrometheus(METRICS, { auth: true });
  }, 90_000);
  afterAll(() => secured?.close());

  it('sends basic_auth, and says when the server asks for it', async () => {
    const action = prometheus.actions.query;
    const input = action.input.parse({
      url: secured.url,
      query: 'sum(shop_orders_total)',
      basic_auth: { username: BASIC_USER, password: BASIC_PASSWORD },
    });
    expect(action.describe(input)).toBe(
      `GET ${secured.url}/api/v1/query?query=sum(shop_orders_total) (basic auth as oncall)`,
    );
    await secured.waitFor('sum(shop_orders_total)', '59');
    expect((await action.run(input, context())).outputs.value).toBe(59);
    const without = await action.run(
      action.input.parse({ url: secured.url, query: 'up' }),
      context(),
    );
    expect(without.ok).toBe(false);
    expect(without.error).toBe(
      `HTTP 401 from ${secured.url.replace('http://', '')}: it asks for authentication (give basic_auth or bearer_token)`,
    );
  });

  it('sends bearer_token as an Authorization header', async () => {
    const action = prometheus.actions.query;
    const input = action.input.parse({
      url: proxy.url,
      query: 'sum(shop_orders_total)',
      bearer_token: TOKEN,
    });
    expect(action.describe(input)).toBe(
      `GET ${proxy.url}/api/v1/query?query=sum(shop_orders_total) (bearer token)`,
    );
    const outcome = await action.run(input, context());
    expect(outcome.outputs.value).toBe(59);
    expect(proxy.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});

describe('prometheus steps in a runbook, through the CLI', () => {
  const dir = tempDir('rb-prometheus-');
  afterAll(() => dir.remove());
  const RUNBOOK = `id: queue-backlog
title: Queue backlog
service: shop
severity: P2
vars:
  prometheus: { default: "http://127.0.0.1:9" }
  token: { env: PROM_TOKEN, secret: true, required: true }
detection:
  checks:
    - id: depth
      uses: prometheus.query
      with:
        url: "\${{ vars.prometheus }}"
        query: 'sum(shop_queue_depth{job="exporter"})'
        bearer_token: "\${{ vars.token }}"
      expect: { value: { warn: 5, crit: 100 } }
diagnosis:
  - id: orders
    uses: prometheus.range
    with:
      url: "\${{ vars.prometheus }}"
      query: sum by (region) (shop_orders_total)
      start: 10s
      step: 5s
      bearer_token: "\${{ vars.token }}"
    capture:
      regions: outputs.series.map(s, s.labels.region)
`;

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(join(dir.path, 'runbooks/queue-backlog.yaml'), RUNBOOK);
  });

  const cli = (args: string[]) =>
    runCli([...args, '--dir', join(dir.path, 'runbooks'), '--var', `prometheus=${proxyUrl()}`], {
      cwd: dir.path,
      env: { PROM_TOKEN: TOKEN, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });

  it('grades a check by the value, and keeps the token out of every output', async () => {
    const check = await cli(['check', 'queue-backlog', '--format', 'prometheus']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'runbook_check_value_value{runbook="queue-backlog",check="depth",service="shop",severity="P2"} 7.5\n',
    );
    const run = await cli(['run', 'queue-backlog', '--format', 'json']);
    const doc = JSON.parse(run.stdout) as {
      steps: Array<{
        id: string;
        status: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    const orders = doc.steps.find((step) => step.id === 'orders');
    expect(orders?.status).toBe('succeeded');
    expect(orders?.outputs.regions).toEqual(['eu', 'us']);
    expect(orders?.command).toBe(
      `GET ${proxyUrl()}/api/v1/query_range?query=sum%20by%20(region)%20(shop_orders_total)&start=now-10s&end=now&step=5 (bearer token)`,
    );
    const journals = readdirSync(join(dir.path, 'state'), { recursive: true, encoding: 'utf8' });
    const texts = journals
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => readFileSync(join(dir.path, 'state', name), 'utf8'));
    expect(texts.length).toBeGreaterThan(0);
    for (const text of [check.stdout, run.stdout, run.stderr, ...texts])
      expect(text).not.toContain(TOKEN);
  });
});

describe("docs/adapters.md's example", () => {
  const dir = tempDir('rb-prometheus-doc-');
  afterAll(() => dir.remove());

  it('checks and runs against a Prometheus scraping itself', async () => {
    const doc = readFileSync(join(ROOT, 'docs/adapters.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Prometheus\n'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(yaml.startsWith('id: prometheus-self\n')).toBe(true);
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(join(dir.path, 'runbooks/prometheus-self.yaml'), yaml);
    const args = ['--dir', join(dir.path, 'runbooks'), '--var', `prometheus=${prom.url}`];
    const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };
    const check = await runCli(['check', 'prometheus-self', ...args], { cwd: dir.path, env });
    expect(check.stderr).toBe('');
    expect(check.stdout.split('\n')[0]).toBe('RUNBOOK OK - 1 check OK');
    expect(check.code).toBe(0);
    const run = await runCli(['run', 'prometheus-self', ...args, '--format', 'json'], {
      cwd: dir.path,
      env,
    });
    const result = JSON.parse(run.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }>;
    };
    expect(result.steps.map((step) => [step.id, step.status])).toEqual([
      ['self-up', 'succeeded'],
      ['head-series', 'succeeded'],
    ]);
    expect(result.steps[0]?.outputs.value).toBe(1);
    expect(result.steps[1]?.outputs.series_count).toBe(1);
    expect(result.steps[1]?.outputs.points).toBeGreaterThanOrEqual(1);
    expect(result.status).toBe('succeeded');
    expect(run.code).toBe(0);
  });
});

describe('a query that returns no data', () => {
  const dir = tempDir('rb-prometheus-nodata-');
  afterAll(() => dir.remove());

  it('says so before the capture that cannot be computed', async () => {
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(
      join(dir.path, 'runbooks/no-data.yaml'),
      `id: no-data
title: A metric nobody exports
severity: P3
vars:
  prometheus: { required: true }
diagnosis:
  - id: depth
    uses: prometheus.query
    with: { url: "\${{ vars.prometheus }}", query: shop_queue_depth_missing }
    capture:
      depth: double(outputs.samples[0].value)
`,
    );
    const run = await runCli(
      [
        'run',
        'no-data',
        '--dir',
        join(dir.path, 'runbooks'),
        '--var',
        `prometheus=${prom.url}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    const doc = JSON.parse(run.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string; reason?: string }>;
    };
    expect(run.code).toBe(1);
    expect(doc.steps.map((step) => [step.id, step.status, step.reason])).toEqual([
      [
        'depth',
        'failed',
        'the query returned no data, so capture depth has no value (`double(outputs.samples[0].value)`: No such key: index out of bounds, index 0 >= size undefined)',
      ],
    ]);
  });
});
