import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCloudflare, V2, V3, type FakeCloudflare } from '../../helpers/fake-cloudflare.js';
import { startPrometheus, type PrometheusFixture } from '../../helpers/prometheus.js';
import {
  json,
  parseJournal,
  ROOT,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from '../../helpers/cli.js';
import { runbookIds } from '../../helpers/recorders.js';

/**
 * Pitchey's runbooks (runbooks/pitchey/). The seed's three scripts (quick health check, error analysis, performance analysis)
 * and the high-error-rate runbook run for real against a local stand-in for Pitchey's API,
 * monitoring, infrastructure, logs and APM workers, in a healthy, a degraded and an unhealthy
 * state (high-error-rate reads its metrics from a real Prometheus that scrapes the state's error
 * rate and P95 as gauges); the platform-outage runbook runs for real with the real wrangler CLI against the fake
 * Cloudflare API, where its approved rollback brings the stand-in's API back.
 */

const RUNBOOK_DIR = join(ROOT, 'runbooks/pitchey');
const IDS = runbookIds(RUNBOOK_DIR);

interface JsonStep {
  id: string;
  section: string;
  status: string;
  effect: string;
  command: string | null;
  outputs: Record<string, unknown>;
  reason?: string;
  finding?: boolean;
  /** From the journal's step.end event (the JSON document does not carry warnings). */
  warnings?: string[];
}

interface JsonRun {
  status: string;
  exit_code: number;
  findings: string[];
  journal: string | null;
  steps: JsonStep[];
}

function pitcheyEnv(base: string, stateDir: string): Record<string, string> {
  return {
    RUNBOOK_STATE_DIR: stateDir,
    PITCHEY_API_URL: base,
    PITCHEY_FRONTEND_URL: base,
    PITCHEY_MONITORING_URL: base,
    PITCHEY_INFRA_URL: base,
    PITCHEY_LOGS_URL: base,
    PITCHEY_APM_URL: base,
    PITCHEY_ALERTS_URL: base,
    PITCHEY_SECURITY_URL: base,
    PITCHEY_WORKER_NAME: 'pitchey-production',
    PITCHEY_MONITORING_WORKER: 'pitchey-monitoring',
    PITCHEY_REPO_DIR: '/srv/pitchey',
  };
}

describe('pitchey runbooks', () => {
  // Their dry runs are in test/fixtures/shipped-plans.yaml (test/e2e/shipped-plans.e2e.test.ts).
  it('ships the ten Pitchey runbooks', () => {
    expect(IDS).toEqual([
      'pitchey-database-issues',
      'pitchey-error-analysis',
      'pitchey-frontend-issues',
      'pitchey-high-error-rate',
      'pitchey-monitoring-system-issues',
      'pitchey-performance-analysis',
      'pitchey-performance-degradation',
      'pitchey-platform-outage',
      'pitchey-quick-health-check',
      'pitchey-security-incident',
    ]);
  });
});

/** The stand-in's state: what Pitchey's workers report. */
type Health = 'healthy' | 'degraded' | 'unhealthy';

interface StandIn {
  server: TestServer;
  /** `apiDown`: when given, it alone decides whether the production Worker's /api/* answer 503
   * (e.g. while a bad Version is live). */
  set: (health: Health, options?: { logsDown?: boolean; apiDown?: () => boolean }) => void;
  paths: () => string[];
}

/** Pitchey's monitoring APIs on 127.0.0.1: /api/health, /monitoring/health, /infra/*, /logs/*,
 * /apm/*, with JSON shaped as the seed's jq queries read it. Timestamps are epoch seconds. */
async function startPitcheyStandIn(): Promise<StandIn> {
  let health: Health = 'healthy';
  let logsDown = false;
  let apiDown: (() => boolean) | undefined;
  const now = (): number => Math.floor(Date.now() / 1000);
  const log = (ago: number, service: string, message: string, extra = {}) => ({
    timestamp: now() - ago,
    level: 'error',
    service,
    message,
    ...extra,
  });
  const errorLogs = () => {
    if (health === 'healthy')
      // One error, two hours old: outside every window of the scripts.
      return [log(7200, 'pitch', 'Pitch thumbnail missing in R2')];
    if (health === 'degraded')
      return [log(120, 'pitch', 'Pitch thumbnail missing in R2'), log(5400, 'auth', 'JWT expired')];
    return [
      log(30, 'auth', 'JWT verification failed'),
      log(60, 'database', 'database timeout after 5000ms'),
      log(90, 'auth', 'JWT verification failed'),
      log(150, 'pitch', 'external api error: stripe 502'),
      log(200, 'auth', 'JWT verification failed'),
      log(260, 'database', 'database timeout after 5000ms'),
      log(320, 'auth', 'JWT verification failed'),
      log(400, 'pitch', 'Pitch upload failed'),
      log(2400, 'auth', 'JWT verification failed'),
      log(90_000, 'auth', 'Old error from yesterday'),
    ];
  };
  const pick = <T>(values: Record<Health, T>): T => values[health];
  const routes: Record<string, (url: URL) => [number, unknown]> = {
    '/api/health': () =>
      health === 'unhealthy' && apiDown === undefined
        ? [503, { status: 'unhealthy', database: 'timeout', timestamp: now() }]
        : [200, { status: 'healthy', database: 'connected', version: '2.3.1', timestamp: now() }],
    '/api/health/db': () => [200, { status: 'healthy', latency: 14, pool: { active: 7, max: 20 } }],
    '/api/pitches': () => [200, { pitches: [{ id: 1, title: 'Night Shift' }], total: 1 }],
    '/cloudflare/api/v2/status.json': () => [
      200,
      { status: { indicator: 'none', description: 'All Systems Operational' } },
    ],
    '/alerts/acknowledge': () => [200, { acknowledged: true }],
    '/api/auth/verify': () => [401, { valid: false, error: 'invalid token' }],
    '/logs/search': (url) => {
      const words = (url.searchParams.get('q') ?? '').toLowerCase().split(' ');
      const logs = errorLogs().filter((l) =>
        words.every((w) => l.message.toLowerCase().includes(w)),
      );
      return [200, { logs, total: logs.length }];
    },
    '/apm/metrics': (url) => [
      200,
      {
        name: url.searchParams.get('name'),
        start: Number(url.searchParams.get('start')),
        points: [
          { timestamp: now() - 600, value: pick({ healthy: 140, degraded: 500, unhealthy: 1300 }) },
          { timestamp: now() - 60, value: pick({ healthy: 150, degraded: 520, unhealthy: 1350 }) },
        ],
      },
    ],
    '/': () => [200, '<!doctype html><title>Pitchey</title>'],
    '/monitoring/health': () => [
      200,
      {
        status: pick({ healthy: 'healthy', degraded: 'healthy', unhealthy: 'degraded' }),
        checks: { api: health !== 'unhealthy', logs: true, apm: true },
        lastCheck: now() - 30,
      },
    ],
    '/infra/health': () => [
      200,
      {
        worker: { status: 'healthy', requests: 18230 },
        kv: { status: health === 'unhealthy' ? 'degraded' : 'healthy', latency: 12 },
        r2: { status: 'healthy', latency: 48 },
        database: { status: 'healthy', connections: { active: 7, idle: 13, max: 20 } },
      },
    ],
    '/infra/worker': () => [
      200,
      pick({
        healthy: { cpuUtilization: 22.5, memoryUtilization: 41 },
        degraded: { cpuUtilization: 74, memoryUtilization: 62 },
        unhealthy: { cpuUtilization: 93.5, memoryUtilization: 97 },
      }),
    ],
    '/logs/query': () => {
      const logs = errorLogs();
      return [200, { logs, total: logs.length }];
    },
    '/logs/stats': () => [
      200,
      pick({
        healthy: { errorCount: 0, totalCount: 48210, services: { auth: 0, pitch: 0, database: 0 } },
        degraded: {
          errorCount: 1,
          totalCount: 47002,
          services: { auth: 0, pitch: 1, database: 0 },
        },
        unhealthy: {
          errorCount: 2410,
          totalCount: 31022,
          services: { auth: 1630, pitch: 312, database: 468 },
        },
      }),
    ],
    '/apm/summary': () => [
      200,
      {
        responseTime: pick({
          healthy: { avg: 142, p50: 98, p95: 460, p99: 910 },
          degraded: { avg: 520, p50: 310, p95: 1500, p99: 2400 },
          unhealthy: { avg: 1310, p50: 880, p95: 3400, p99: 6100 },
        }),
        errorRate: pick({ healthy: 0.3, degraded: 3.2, unhealthy: 7.8 }),
        throughput: 310,
        webVitals: pick({
          healthy: { lcp: 1850, fid: 45, cls: 0.04 },
          degraded: { lcp: 3100, fid: 120, cls: 0.12 },
          unhealthy: { lcp: 5200, fid: 340, cls: 0.31 },
        }),
      },
    ],
    '/apm/db-metrics': () => [
      200,
      pick({
        healthy: { avgQueryTime: 18, p95QueryTime: 85, errorRate: 0 },
        degraded: { avgQueryTime: 120, p95QueryTime: 640, errorRate: 0.5 },
        unhealthy: { avgQueryTime: 690, p95QueryTime: 2300, errorRate: 6.1 },
      }),
    ],
  };
  const server = await startServer((request, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    if (logsDown && path.startsWith('/logs/')) {
      json(response, 500, { error: 'log aggregation unavailable' });
      return;
    }
    if (apiDown?.() === true && path.startsWith('/api/')) {
      json(response, 503, { error: 'Worker threw exception', code: 1101 });
      return;
    }
    const route = routes[path];
    if (!route) {
      json(response, 404, { error: `no route ${path}` });
      return;
    }
    const [status, body] = route(url);
    json(response, status, body);
  });
  return {
    server,
    set: (next, options = {}) => {
      health = next;
      logsDown = options.logsDown ?? false;
      apiDown = options.apiDown;
      server.requests.length = 0;
    },
    paths: () => server.requests.map((r) => r.url),
  };
}

describe('pitchey check-style runbooks, run for real against the stand-in', () => {
  const dir = tempDir('runbook-pitchey-run-');
  let standIn: StandIn;

  beforeAll(async () => {
    standIn = await startPitcheyStandIn();
  });
  afterAll(async () => {
    await standIn.server.close();
    dir.remove();
  });

  async function run(
    id: string,
    args: string[] = [],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number; doc: JsonRun; step: (id: string) => JsonStep }> {
    // In-process (the dry runs above are the subprocess proof); the requests are real.
    const result = await runCli(['run', id, '--non-interactive', '--format', 'json', ...args], {
      env: { ...pitcheyEnv(standIn.server.url, join(dir.path, 'state')), ...extraEnv },
    });
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as JsonRun;
    // The warn levels passed are in the journal (step.end events); join them to the steps.
    const events = parseJournal(readFileSync(doc.journal ?? '', 'utf8'));
    for (const event of events) {
      if (event.type !== 'step.end' || !Array.isArray(event.warnings)) continue;
      const target = doc.steps.find((s) => s.id === event.id);
      if (target) target.warnings = event.warnings as string[];
    }
    const step = (stepId: string): JsonStep => {
      const found = doc.steps.find((s) => s.id === stepId);
      if (!found) throw new Error(`no step ${stepId} in ${doc.steps.map((s) => s.id).join(', ')}`);
      return found;
    };
    return { code: result.code, doc, step };
  }

  describe('pitchey-quick-health-check', () => {
    it('healthy: all five probes pass and the captures read the JSON as the jq queries do', async () => {
      standIn.set('healthy');
      const { code, doc, step } = await run('pitchey-quick-health-check');
      expect(code).toBe(0);
      expect(doc.status).toBe('succeeded');
      expect(doc.findings).toEqual([]);
      expect(doc.steps.map((s) => [s.id, s.section, s.status])).toEqual([
        ['main-api-health', 'detection', 'succeeded'],
        ['monitoring-status', 'detection', 'succeeded'],
        ['infra-health', 'detection', 'succeeded'],
        ['recent-errors', 'detection', 'succeeded'],
        ['current-performance', 'detection', 'succeeded'],
      ]);
      expect(step('main-api-health').outputs).toMatchObject({ status: 200, api_status: 'healthy' });
      expect(step('monitoring-status').outputs.monitoring_status).toBe('healthy');
      expect(step('infra-health').outputs).toMatchObject({
        worker_status: 'healthy',
        kv_status: 'healthy',
        r2_status: 'healthy',
        unhealthy: [],
      });
      // The only error is two hours old: outside `select(.timestamp > (now - 600))`.
      expect(step('recent-errors').outputs).toMatchObject({
        recent_errors: 0,
        recent_messages: [],
      });
      expect(step('current-performance').outputs).toMatchObject({
        p95_ms: 460,
        response_time: { avg: 142, p50: 98, p95: 460, p99: 910 },
      });
      expect(doc.steps.flatMap((s) => s.warnings ?? [])).toEqual([]);
      expect(standIn.paths()).toEqual([
        '/api/health',
        '/monitoring/health',
        '/infra/health',
        '/logs/query?level=error&limit=10',
        '/apm/summary',
      ]);
    });

    it('degraded: readings past their warning levels warn without a finding', async () => {
      standIn.set('degraded');
      const { code, doc, step } = await run('pitchey-quick-health-check');
      expect(code).toBe(0);
      expect(doc.findings).toEqual([]);
      expect(step('recent-errors').status).toBe('succeeded');
      expect(step('recent-errors').outputs).toMatchObject({
        recent_errors: 1,
        recent_messages: ['Pitch thumbnail missing in R2'],
      });
      expect(step('recent-errors').warnings).toEqual([
        'recent_errors is 1, past the warning level > 0',
      ]);
      expect(step('current-performance').status).toBe('succeeded');
      expect(step('current-performance').warnings).toEqual([
        'p95_ms is 1500, past the warning level > 1000',
      ]);
    });

    it('unhealthy: each failing probe is a finding with the reason', async () => {
      standIn.set('unhealthy');
      const { code, doc, step } = await run('pitchey-quick-health-check');
      // Detection findings are symptoms, not failures of the run.
      expect(code).toBe(0);
      expect(doc.findings).toEqual([
        'main-api-health',
        'monitoring-status',
        'infra-health',
        'recent-errors',
        'current-performance',
      ]);
      expect(step('main-api-health')).toMatchObject({
        status: 'failed',
        finding: true,
        reason:
          'status is 503, expected 200; api_status is "unhealthy", expected one of "healthy", "ok"',
      });
      expect(step('monitoring-status').reason).toBe(
        'monitoring_status is "degraded", expected "healthy"',
      );
      expect(step('infra-health').outputs).toMatchObject({
        kv_status: 'degraded',
        unhealthy: ['kv'],
      });
      expect(step('infra-health').reason).toBe('kv_status is "degraded", expected "healthy"');
      // 8 errors in the last 10 minutes (of 10 returned): 2 are older.
      expect(step('recent-errors').outputs.recent_errors).toBe(8);
      expect(step('recent-errors').outputs.recent_messages).toHaveLength(8);
      expect(step('recent-errors').reason).toBe('recent_errors is 8, past the critical level > 5');
      expect(step('current-performance').outputs.p95_ms).toBe(3400);
      expect(step('current-performance').reason).toBe(
        'p95_ms is 3400, past the critical level > 2000',
      );
    });
  });

  describe('pitchey-platform-outage', () => {
    let cf: FakeCloudflare;
    const cfDir = tempDir('runbook-pitchey-cf-');

    beforeAll(async () => {
      cf = await startFakeCloudflare();
    });
    afterAll(async () => {
      await cf.close();
      cfDir.remove();
    });

    it('the rollback is destructive: without --approve it is declined and Cloudflare is untouched', async () => {
      standIn.set('unhealthy', { apiDown: () => cf.activeVersion('my-worker') === V3 });
      const env = {
        ...cf.wranglerEnv(cfDir.path),
        ...pitcheyEnv(standIn.server.url, join(dir.path, 'state')),
        PITCHEY_WORKER_NAME: 'my-worker',
        RUNBOOK_DIR,
        RUNBOOK_CONFIG: join(ROOT, 'runbook.config.yaml'),
      };
      const result = await runCli(
        [
          'run',
          'pitchey-platform-outage',
          '--non-interactive',
          '--only',
          'resolution',
          '--var',
          'cause=deployment',
          '--format',
          'json',
        ],
        { cwd: cfDir.path, env },
      );
      expect(result.code).toBe(3);
      const doc = JSON.parse(result.stdout) as JsonRun;
      expect(doc.steps.find((s) => s.id === 'rollback-worker')).toMatchObject({
        status: 'skipped',
        effect: 'destructive',
        declined: true,
      });
      expect(cf.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(cf.activeVersion('my-worker')).toBe(V3);
    });

    it('a bad deployment: findings, wrangler history, an approved rollback, the platform answers again', async () => {
      // The Worker's live Version v3 is the bad release: the API answers 503 until v2 serves again.
      standIn.set('unhealthy', { apiDown: () => cf.activeVersion('my-worker') === V3 });
      expect(cf.activeVersion('my-worker')).toBe(V3);
      const env = {
        ...cf.wranglerEnv(cfDir.path),
        ...pitcheyEnv(standIn.server.url, join(dir.path, 'state')),
        PITCHEY_WORKER_NAME: 'my-worker',
        RUNBOOK_DIR,
        RUNBOOK_CONFIG: join(ROOT, 'runbook.config.yaml'),
      };
      const result = await runCli(
        [
          'run',
          'pitchey-platform-outage',
          '--non-interactive',
          '--var',
          'cause=deployment',
          '--var',
          'alert_id=ALERT-1042',
          '--var',
          'tail_duration=2s',
          '--var',
          `cloudflare_status_url=${standIn.server.url}/cloudflare/api/v2/status.json`,
          '--approve',
          'rollback-worker',
          '--format',
          'json',
        ],
        { cwd: cfDir.path, env },
      );
      expect(result.stderr).toBe('');
      const doc = JSON.parse(result.stdout) as JsonRun;
      const step = (id: string): JsonStep | undefined => doc.steps.find((s) => s.id === id);
      expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
        ['cloudflare-status', 'succeeded'],
        ['main-worker', 'failed'],
        ['database-connectivity', 'failed'],
        ['monitoring-health', 'failed'],
        ['acknowledge-alert', 'succeeded'],
        ['recent-deployments', 'succeeded'],
        ['worker-tail', 'succeeded'],
        ['error-patterns', 'succeeded'],
        ['database-pool', 'succeeded'],
        ['choose-cause', 'skipped'],
        ['rollback-worker', 'succeeded'],
        ['database-long-queries', 'skipped'],
        ['cloudflare-mitigation', 'skipped'],
        ['api-restored', 'succeeded'],
        ['frontend-restored', 'succeeded'],
        ['pitches-restored', 'succeeded'],
        ['monitor-30-minutes', 'pending'],
      ]);
      // The 30-minute watch is a person's job: the run waits for it (exit 3), nothing failed.
      expect(result.code).toBe(3);
      expect(doc.findings).toEqual(['main-worker', 'database-connectivity', 'monitoring-health']);
      expect(step('cloudflare-status')?.outputs.cloudflare_indicator).toBe('none');
      expect(step('main-worker')?.reason).toBe('status is 503, expected 200');
      const ack = standIn.server.requests.find((r) => r.url === '/alerts/acknowledge');
      expect(ack?.method).toBe('POST');
      expect(JSON.parse(ack?.body ?? '{}')).toEqual({ alertId: 'ALERT-1042', userId: 'on-call' });
      expect(step('recent-deployments')?.outputs).toMatchObject({
        current_version: V3,
        previous_version: V2,
      });
      expect(step('error-patterns')?.outputs.last_hour_messages).toHaveLength(9);
      expect(step('database-pool')?.outputs.database).toMatchObject({ status: 'healthy' });
      expect(step('rollback-worker')).toMatchObject({
        effect: 'destructive',
        command:
          "wrangler rollback --name my-worker '--message=Platform outage: rollback by on-call (runbook pitchey-platform-outage)' -y",
      });
      // The effect on Cloudflare: v2 serves all traffic again, and the API answers.
      expect(cf.activeVersion('my-worker')).toBe(V2);
      expect(step('api-restored')?.outputs.status).toBe(200);
    }, 60_000);
  });

  describe('pitchey-high-error-rate', () => {
    let prometheus: PrometheusFixture;
    /** The error rate (percent) and P95 (ms) of each state, as the exporter's gauges. */
    const METRICS: Record<Health, { rate: number; p95: number }> = {
      healthy: { rate: 0.3, p95: 460 },
      degraded: { rate: 3.2, p95: 1500 },
      unhealthy: { rate: 7.8, p95: 3400 },
    };
    beforeAll(async () => {
      prometheus = await startPrometheus('pitchey_error_rate_pct 0\npitchey_p95_ms 0\n');
    });
    afterAll(async () => {
      await prometheus?.close();
    });
    /** Puts the stand-in and the gauges in `health`, waits until Prometheus has scraped them,
     * then runs the runbook with its PromQL pointed at the gauges. */
    async function runIn(health: Health): ReturnType<typeof run> {
      standIn.set(health);
      const { rate, p95 } = METRICS[health];
      prometheus.setMetrics(`pitchey_error_rate_pct ${rate}\npitchey_p95_ms ${p95}\n`);
      await prometheus.waitFor('pitchey_error_rate_pct', String(rate));
      await prometheus.waitFor('pitchey_p95_ms', String(p95));
      return run(
        'pitchey-high-error-rate',
        [
          '--var',
          'error_rate_promql=pitchey_error_rate_pct',
          '--var',
          'response_time_promql=pitchey_p95_ms',
        ],
        { PITCHEY_PROMETHEUS_URL: prometheus.url },
      );
    }

    it('healthy: no finding, every branch skipped, the verification passes', async () => {
      const { code, doc, step } = await runIn('healthy');
      expect(code).toBe(0);
      expect(doc.status).toBe('succeeded');
      expect(doc.findings).toEqual([]);
      expect(step('top-errors').outputs).toMatchObject({
        auth_errors: 0,
        database_errors: 0,
        external_errors: 0,
      });
      const skipped = doc.steps.filter((s) => s.status === 'skipped').map((s) => s.id);
      expect(skipped).toEqual([
        'verify-auth-endpoint',
        'database-health',
        'timeout-patterns',
        'external-api-errors',
        'jwt-review',
        'circuit-breaker',
      ]);
      expect(step('error-rate-normal')).toMatchObject({ status: 'succeeded' });
      expect(step('error-rate-normal').outputs.error_rate_pct).toBe(0.3);
    });

    it('unhealthy: the captured error kinds pick the auth, database and third-party branches', async () => {
      const { code, doc, step } = await runIn('unhealthy');
      expect(doc.findings).toEqual(['error-rate']);
      expect(step('error-rate').reason).toBe('error_rate_pct is 7.8, past the critical level > 5');
      expect(step('error-count').outputs).toMatchObject({ error_count: 2410 });
      expect(step('top-errors').outputs).toMatchObject({
        auth_errors: 6,
        database_errors: 2,
        external_errors: 1,
      });
      expect(step('auth-service-errors').outputs.auth_messages).toHaveLength(10);
      // The P95 trend is a range query to Prometheus over the last two hours, 5-minute steps.
      expect(step('response-times')).toMatchObject({
        status: 'succeeded',
        command: `GET ${prometheus.url}/api/v1/query_range?query=pitchey_p95_ms&start=now-2h&end=now&step=300&timeout=10s`,
      });
      // Nothing of the error rate and response times was asked of the APM worker.
      expect(standIn.paths().filter((p) => p.startsWith('/apm/'))).toEqual([]);
      expect(
        doc.steps.filter((s) => s.section === 'resolution').map((s) => [s.id, s.status]),
      ).toEqual([
        ['verify-auth-endpoint', 'succeeded'],
        ['database-health', 'succeeded'],
        ['timeout-patterns', 'succeeded'],
        ['external-api-errors', 'succeeded'],
        ['jwt-review', 'pending'],
      ]);
      expect(step('verify-auth-endpoint').outputs.status).toBe(401);
      expect(step('timeout-patterns').outputs.recent_timeouts).toBe(2);
      expect(step('external-api-errors').outputs.external_messages).toEqual([
        'external api error: stripe 502',
      ]);
      // The JWT review is a person's: a non-interactive run stops there (exit 3), nothing failed.
      expect(code).toBe(3);
      expect(doc.steps.filter((s) => s.status === 'failed' && !s.finding)).toEqual([]);
    });
  });

  describe('pitchey-error-analysis', () => {
    it('healthy: error rate under 2%, no service with errors, no top error', async () => {
      standIn.set('healthy');
      const { code, doc, step } = await run('pitchey-error-analysis');
      expect(code).toBe(0);
      expect(doc.findings).toEqual([]);
      expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
        ['error-rate-trend', 'succeeded'],
        ['errors-by-service', 'succeeded'],
        ['top-error-messages', 'succeeded'],
      ]);
      expect(step('error-rate-trend').outputs.error_rate_pct).toBe(0.3);
      expect(step('errors-by-service').outputs).toMatchObject({
        window_minutes: 60,
        error_count: 0,
        failing_services: [],
      });
      expect(step('top-error-messages').outputs).toMatchObject({
        errors_in_window: 0,
        top_error: '',
        top_error_count: 0,
      });
      expect(standIn.paths()).toEqual([
        '/apm/summary',
        '/logs/stats?timeWindow=3600000',
        '/logs/query?level=error&limit=50',
      ]);
    });

    it('unhealthy: error rate above 5% is a finding; the breakdown names the service and message', async () => {
      standIn.set('unhealthy');
      const { code, doc, step } = await run('pitchey-error-analysis');
      expect(code).toBe(0);
      expect(doc.findings).toEqual(['error-rate-trend']);
      expect(step('error-rate-trend')).toMatchObject({
        status: 'failed',
        finding: true,
        reason: 'error_rate_pct is 7.8, past the critical level > 5',
      });
      expect(step('errors-by-service').outputs).toMatchObject({
        error_count: 2410,
        services: { auth: 1630, pitch: 312, database: 468 },
        failing_services: ['auth', 'pitch', 'database'],
      });
      // 9 of the 10 errors are within the hour; the one from yesterday is not.
      expect(step('top-error-messages').outputs).toMatchObject({
        errors_in_window: 9,
        top_error: 'JWT verification failed',
        top_error_count: 5,
      });
    });

    it('the log worker down: the breakdown step fails with the status and the run stops', async () => {
      standIn.set('unhealthy', { logsDown: true });
      const { code, doc, step } = await run('pitchey-error-analysis');
      expect(code).toBe(1);
      expect(doc.status).toBe('failed');
      expect(step('errors-by-service').status).toBe('failed');
      expect(step('errors-by-service').reason).toBe('status is 500, expected 200');
      expect(step('errors-by-service').outputs).toMatchObject({ status: 500, error_count: null });
      expect(doc.steps.find((s) => s.id === 'top-error-messages')?.status ?? 'not run').not.toBe(
        'succeeded',
      );
    });
  });

  describe('pitchey-performance-analysis', () => {
    it('healthy: every reading under its levels', async () => {
      standIn.set('healthy');
      const { code, doc, step } = await run('pitchey-performance-analysis');
      expect(code).toBe(0);
      expect(doc.findings).toEqual([]);
      expect(doc.steps.map((s) => [s.id, s.status, s.warnings ?? []])).toEqual([
        ['response-time', 'succeeded', []],
        ['database-performance', 'succeeded', []],
        ['infrastructure-utilization', 'succeeded', []],
        ['web-vitals', 'succeeded', []],
      ]);
      expect(step('response-time').outputs.p95_ms).toBe(460);
      expect(step('database-performance').outputs).toMatchObject({
        avg_query_ms: 18,
        p95_query_ms: 85,
        db_error_rate_pct: 0,
      });
      expect(step('infrastructure-utilization').outputs).toMatchObject({
        cpu_pct: 22.5,
        memory_pct: 41,
      });
      expect(step('web-vitals').outputs).toMatchObject({ lcp_ms: 1850, fid_ms: 45, cls: 0.04 });
      expect(standIn.paths()).toEqual([
        '/apm/summary',
        '/apm/db-metrics',
        '/infra/worker',
        '/apm/summary?timeWindow=3600000',
      ]);
    });

    it('degraded: warnings only', async () => {
      standIn.set('degraded');
      const { code, doc, step } = await run('pitchey-performance-analysis');
      expect(code).toBe(0);
      expect(doc.findings).toEqual([]);
      expect(step('response-time').warnings).toEqual([
        'p95_ms is 1500, past the warning level > 1000',
      ]);
      expect(step('database-performance').warnings).toEqual([
        'p95_query_ms is 640, past the warning level > 500',
      ]);
      expect(step('infrastructure-utilization').warnings).toEqual([
        'cpu_pct is 74, past the warning level > 70',
      ]);
      expect(step('web-vitals').warnings).toEqual([
        'lcp_ms is 3100, past the warning level > 2500',
        'fid_ms is 120, past the warning level > 100',
        'cls is 0.12, past the warning level > 0.1',
      ]);
    });

    it('unhealthy: every reading past its critical level is a finding', async () => {
      standIn.set('unhealthy');
      const { code, doc, step } = await run('pitchey-performance-analysis');
      expect(code).toBe(0);
      expect(doc.findings).toEqual([
        'response-time',
        'database-performance',
        'infrastructure-utilization',
        'web-vitals',
      ]);
      expect(step('response-time').reason).toBe('p95_ms is 3400, past the critical level > 2000');
      expect(step('database-performance').reason).toBe(
        'p95_query_ms is 2300, past the critical level > 1000; db_error_rate_pct is 6.1, past the critical level > 5',
      );
      expect(step('infrastructure-utilization').reason).toBe(
        'cpu_pct is 93.5, past the critical level > 90; memory_pct is 97, past the critical level > 95',
      );
      expect(step('web-vitals').reason).toBe(
        'lcp_ms is 5200, past the critical level > 4000; fid_ms is 340, past the critical level > 300; cls is 0.31, past the critical level > 0.25',
      );
    });
  });
});
