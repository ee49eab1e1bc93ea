import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, ROOT, runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { runbookIds } from '../../helpers/recorders.js';
import { startPrometheus, type PrometheusFixture } from '../../helpers/prometheus.js';

/** Agent Factory (Vercel + Supabase + HTTP health): its runbooks run for real against local
 * stand-ins for the API, Supabase's REST API, Slack and the vercel CLI, and a real Prometheus
 * for the error rate and p95 the runbooks read. */

const DIR = join(ROOT, 'runbooks/agent-factory');
const SERVICE_KEY = 'sb-service-role-key-5f2c9a71';
const VERCEL_TOKEN = 'vercel-token-8d41e0b6c3';
const DEPLOYMENT = 'agent-factory-abc123.vercel.app';

interface JsonStep {
  id: string;
  section: string;
  status: string;
  effect: string;
  command: string | null;
  outputs: Record<string, unknown>;
  reason?: string;
  finding?: boolean;
}
interface JsonRun {
  status: string;
  exit_code: number;
  steps: JsonStep[];
}

/** The runbooks of runbooks/agent-factory. Their dry runs are in test/fixtures/shipped-plans.yaml
 * (test/e2e/shipped-plans.e2e.test.ts). */
const IDS = [
  'agent-factory-api-rate-limiting',
  'agent-factory-database-pool-exhausted',
  'agent-factory-deployment-failure',
  'agent-factory-incident-response',
  'agent-factory-security-incident',
];

describe('agent-factory runbooks', () => {
  it('ships exactly these runbooks', () => {
    expect(runbookIds(DIR)).toEqual(IDS);
  });

  it('each file starts with the modeline and passes the JSON Schema (ajv)', () => {
    const schema = join(ROOT, 'schema/runbook.schema.json');
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(schema, 'utf8')) as object,
    );
    for (const id of IDS) {
      const text = readFileSync(join(DIR, `${id}.yaml`), 'utf8');
      expect(text.split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../../schema/runbook.schema.json',
      );
      const doc = parse(text) as { id: string; severity_scheme: string };
      expect([doc.id, doc.severity_scheme]).toEqual([id, 'p0-p3']);
      expect(validate(doc), `${id}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

/** The production system in miniature: the API's health, its metrics (scraped by Prometheus), Supabase's REST API with a
 * connection pool that a leak fills up, and a redeploy that gives the connections back. */
interface World {
  exhausted: boolean;
  /** The production alias serves a deployment whose build failed. */
  deployBroken: boolean;
  /** The API answers 429 (its limit is spent). */
  rateLimited: boolean;
  errorRatePct: number;
  p95Ms: number;
  redeploys: number;
  rollbacks: string[];
  /** Production environment variables set with `vercel env add` (they apply at the next deploy). */
  envVars: Record<string, string>;
  /** MAINTENANCE_MODE as the running deployment sees it. */
  maintenance: boolean;
}

describe('agent-factory runbooks: real runs against stand-ins', () => {
  const dir = tempDir('agent-factory-run-');
  const bin = join(dir.path, 'bin');
  const vercelCalls = join(dir.path, 'vercel-calls.jsonl');
  const world: World = {
    exhausted: true,
    deployBroken: false,
    rateLimited: false,
    errorRatePct: 2,
    p95Ms: 300,
    redeploys: 0,
    rollbacks: [],
    envVars: {},
    maintenance: false,
  };
  let app: TestServer;
  let supabase: TestServer;
  let slack: TestServer;
  let prometheus: PrometheusFixture;
  /** What the exporter Prometheus scrapes serves: the world's error rate and p95 as gauges. */
  const gauges = (): string =>
    `agent_factory_error_rate_pct ${world.errorRatePct}\nagent_factory_p95_ms ${world.p95Ms}\n`;

  beforeAll(async () => {
    prometheus = await startPrometheus(gauges());
    app = await startServer((request, response, body) => {
      const url = request.url ?? '';
      if (url === '/api/v1/health' && world.maintenance)
        return json(response, 503, { status: 'maintenance' });
      if (url === '/api/v1/health')
        return world.exhausted || world.deployBroken
          ? json(response, 503, { status: 'degraded', database: 'too many connections' })
          : json(response, 200, { status: 'ok', database: 'ok' });
      if (url === '/api/v1/agents/') {
        if (!world.rateLimited)
          response.writeHead(200, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '42' });
        else
          response.writeHead(429, {
            'x-ratelimit-limit': '100',
            'x-ratelimit-remaining': '0',
            'retry-after': '30',
          });
        return response.end();
      }
      if (url === '/status/openai') return json(response, 200, { status: { indicator: 'none' } });
      if (url === '/status/anthropic')
        return json(response, 200, {
          status: { indicator: 'minor', description: 'Minor Service Outage' },
        });
      // The Vercel REST API: one deployment, read with the bearer token.
      if (url === `/vercel-api/v13/deployments/${DEPLOYMENT}`) {
        if (request.headers.authorization !== `Bearer ${VERCEL_TOKEN}`)
          return json(response, 403, { error: { code: 'forbidden', message: 'Not authorized' } });
        return json(response, 200, {
          id: 'dpl_abc123',
          url: DEPLOYMENT,
          target: 'production',
          readyState: world.deployBroken ? 'ERROR' : 'READY',
          ...(world.deployBroken ? { errorMessage: 'Command "npm run build" exited with 1' } : {}),
        });
      }
      if (url.startsWith('/__vercel/rollback/') && request.method === 'POST') {
        world.rollbacks.push(decodeURIComponent(url.slice('/__vercel/rollback/'.length)));
        world.deployBroken = false;
        return json(response, 200, {});
      }
      if (url.startsWith('/__vercel/env/') && request.method === 'POST') {
        world.envVars[url.slice('/__vercel/env/'.length)] = body;
        return json(response, 200, {});
      }
      if (url === '/__vercel/redeploy' && request.method === 'POST') {
        // A new deployment: new function instances, the old ones' connections are closed.
        world.redeploys += 1;
        world.maintenance = world.envVars.MAINTENANCE_MODE === 'true';
        world.exhausted = false;
        world.errorRatePct = 0.02;
        // The redeploy is done once the new deployment serves: its error rate has been scraped.
        prometheus.setMetrics(gauges());
        void prometheus
          .waitFor('agent_factory_error_rate_pct', '0.02')
          .then(() => json(response, 200, { url: 'agent-factory-def456.vercel.app' }))
          .catch((error: unknown) => json(response, 500, { error: String(error) }));
        return;
      }
      json(response, 404, { error: 'not found' });
    });
    supabase = await startServer((request, response) => {
      if (
        request.headers.apikey !== SERVICE_KEY ||
        request.headers.authorization !== `Bearer ${SERVICE_KEY}`
      )
        return json(response, 401, { message: 'Invalid API key' });
      if (request.url === '/rest/v1/')
        return json(response, 200, { swagger: '2.0', info: { title: 'PostgREST API' } });
      if (request.url === '/rest/v1/rpc/connection_pool_stats')
        return json(
          response,
          200,
          world.exhausted
            ? {
                total: 58,
                max_connections: 60,
                usage_pct: 96.7,
                active: 9,
                idle: 13,
                idle_in_transaction: 36,
              }
            : {
                total: 14,
                max_connections: 60,
                usage_pct: 23.3,
                active: 6,
                idle: 8,
                idle_in_transaction: 0,
              },
        );
      json(response, 404, { code: 'PGRST202', message: 'function not found' });
    });
    slack = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
    });

    // The vercel CLI stand-in: logs print what the functions logged, redeploy starts a new
    // deployment (the stand-in API's control endpoint); every call is recorded with its token.
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'vercel'),
      `#!${process.execPath}
const fs = require('node:fs');
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(vercelCalls)}, JSON.stringify({ argv, token: process.env.VERCEL_TOKEN ?? null }) + '\\n');
if (process.env.VERCEL_TOKEN !== ${JSON.stringify(VERCEL_TOKEN)}) { process.stderr.write('Error: No existing credentials found.\\n'); process.exit(1); }
if (argv[0] === 'logs') {
  process.stdout.write(JSON.stringify({ level: 'error', message: 'PrismaClientInitializationError: FATAL: sorry, too many clients already', requestPath: '/api/v1/agents' }) + '\\n');
  process.stdout.write(JSON.stringify({ level: 'error', message: 'Error: Too many connections', requestPath: '/api/v1/runs' }) + '\\n');
} else if (argv[0] === 'redeploy') {
  fetch(process.env.FAKE_VERCEL_CONTROL + '/__vercel/redeploy', { method: 'POST' })
    .then((r) => r.json())
    .then((body) => { process.stderr.write('Redeploying ' + argv[1] + '\\n'); process.stdout.write('https://' + body.url + '\\n'); })
    .catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
} else if (argv[0] === 'rollback') {
  fetch(process.env.FAKE_VERCEL_CONTROL + '/__vercel/rollback/' + encodeURIComponent(argv[1]), { method: 'POST' })
    .then(() => process.stderr.write('Success! ' + argv[1] + ' is now serving production\\n'))
    .catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
} else if (argv[0] === 'env' && argv[1] === 'add') {
  // vercel env add NAME ENVIRONMENT reads the value on stdin.
  const value = fs.readFileSync(0, 'utf8');
  fetch(process.env.FAKE_VERCEL_CONTROL + '/__vercel/env/' + argv[2], { method: 'POST', body: value })
    .then(() => process.stderr.write('Added Environment Variable ' + argv[2] + ' to Project\\n'))
    .catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
} else if (argv[0] === 'inspect') {
  process.stderr.write('Error: Command "npm run build" exited with 1\\nType error: Property \\'agentId\\' does not exist\\n');
} else if (argv[0] === 'env' && argv[1] === 'ls') {
  process.stdout.write(' name                 value      environments\\n SUPABASE_URL         Encrypted  Production\\n');
} else { process.stderr.write('unexpected: ' + argv.join(' ') + '\\n'); process.exit(2); }
`,
    );
    chmodSync(join(bin, 'vercel'), 0o755);
  });
  afterAll(async () => {
    await Promise.all([app.close(), supabase.close(), slack.close(), prometheus?.close()]);
    dir.remove();
  });

  const env = () => ({
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    RUNBOOK_STATE_DIR: join(dir.path, 'state'),
    AGENT_FACTORY_PROMETHEUS_URL: prometheus.url,
    SUPABASE_URL: supabase.url,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    VERCEL_DEPLOYMENT_URL: DEPLOYMENT,
    VERCEL_TOKEN,
    FAKE_VERCEL_CONTROL: app.url,
  });
  const run = async (
    id: string,
    args: string[],
  ): Promise<{ code: number; doc: JsonRun; raw: string }> => {
    const result = await runCli(
      [
        'run',
        id,
        '--dir',
        DIR,
        '--non-interactive',
        '--format',
        'json',
        '--var',
        `api_url=${app.url}`,
        ...args,
      ],
      { env: env() },
    );
    return {
      code: result.code,
      doc: JSON.parse(result.stdout) as JsonRun,
      raw: result.stdout + result.stderr,
    };
  };
  /** The runbooks' PromQL, pointed at the exporter's gauges. */
  const PROMQL = [
    '--var',
    'error_rate_promql=agent_factory_error_rate_pct',
    '--var',
    'p95_promql=agent_factory_p95_ms',
  ];
  /** Sets the gauges to the world's values and waits until Prometheus has scraped them. */
  const scraped = async (): Promise<void> => {
    prometheus.setMetrics(gauges());
    await prometheus.waitFor('agent_factory_error_rate_pct', String(world.errorRatePct));
    await prometheus.waitFor('agent_factory_p95_ms', String(world.p95Ms));
  };
  const step = (doc: JsonRun, id: string): JsonStep => {
    const found = doc.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step ${id} in ${doc.steps.map((s) => s.id).join(', ')}`);
    return found;
  };

  const SEVERITIES = [
    { rate: 2, p95: 300, severity: 'P0', finding: true },
    { rate: 0.7, p95: 300, severity: 'P1', finding: true },
    { rate: 0.1, p95: 300, severity: 'P3', finding: false },
    { rate: 0.3, p95: 300, severity: 'P2', finding: false },
    { rate: 0.05, p95: 1500, severity: 'P1', finding: true },
  ];
  it.each(
    ['agent-factory-incident-response', 'agent-factory-database-pool-exhausted'].flatMap((id) =>
      SEVERITIES.map((c) => ({ id, ...c })),
    ),
  )(
    '$id: error rate $rate %, p95 $p95 ms → severity $severity',
    async ({ id, rate, p95, severity, finding }) => {
      Object.assign(world, { exhausted: false, errorRatePct: rate, p95Ms: p95 });
      // Read from Prometheus: the PromQL of each is the exporter's gauge, once it is scraped.
      await scraped();
      const { code, doc, raw } = await run(id, ['--only', 'detection', ...PROMQL]);
      expect(code, raw).toBe(0);
      const check = step(doc, 'error-rate');
      expect(check.outputs.severity).toBe(severity);
      expect(check.outputs.error_rate_pct).toBe(rate);
      // A P0/P1 alert threshold is a finding; past a P2 one (0.1 %, 500 ms) it is a warning.
      expect(check.status).toBe(finding ? 'failed' : 'succeeded');
      expect(check.finding ?? false).toBe(finding);
    },
  );

  it('database pool exhausted: detection → diagnosis → redeploy → verification', async () => {
    Object.assign(world, { exhausted: true, errorRatePct: 2, p95Ms: 300, redeploys: 0 });
    await scraped();
    writeFileSync(vercelCalls, '');
    const { code, doc, raw } = await run('agent-factory-database-pool-exhausted', [
      ...PROMQL,
      '--var',
      `slack_webhook_url=${slack.url}/services/T0/B0/incidents`,
      '--approve',
      'restart-application',
    ]);
    expect(doc.status, raw).toBe('succeeded');
    expect(code).toBe(0);
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['health', 'failed'],
      ['error-rate', 'failed'],
      ['pool-usage', 'failed'],
      ['announce', 'succeeded'],
      ['application-errors', 'succeeded'],
      ['connection-leaks', 'succeeded'],
      ['restart-application', 'succeeded'],
      ['increase-pool-size', 'skipped'],
      ['pool-recovered', 'succeeded'],
      ['healthy-again', 'succeeded'],
      ['error-rate-normal', 'succeeded'],
      ['announce-resolved', 'succeeded'],
    ]);
    // Detection: the symptoms are findings, and the thresholds set the severity.
    expect(step(doc, 'health').finding).toBe(true);
    expect(step(doc, 'health').outputs.status).toBe(503);
    expect(step(doc, 'error-rate').outputs).toMatchObject({
      severity: 'P0',
      error_rate_pct: 2,
      p95_ms: 300,
    });
    expect(step(doc, 'pool-usage').outputs).toMatchObject({
      usage_pct: 96.7,
      pool_severity: 'P0',
      held_idle: 49,
      leak_suspected: true,
    });
    // Diagnosis: the logs show the pool errors, the pool is held idle (a leak).
    expect(step(doc, 'application-errors').outputs.pool_errors).toBe(true);
    expect(step(doc, 'connection-leaks').outputs).toMatchObject({
      active: 9,
      idle_in_transaction: 36,
      leak: true,
    });
    // Resolution: one redeploy of the production deployment, with the token from the environment.
    expect(step(doc, 'restart-application').effect).toBe('destructive');
    expect(step(doc, 'restart-application').command).toBe(`vercel redeploy ${DEPLOYMENT}`);
    expect(world.redeploys).toBe(1);
    const calls = readFileSync(vercelCalls, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { argv: string[]; token: string | null });
    expect(calls).toEqual([
      {
        argv: ['logs', '--deployment', DEPLOYMENT, '--level', 'error', '--since', '30m', '--json'],
        token: VERCEL_TOKEN,
      },
      { argv: ['redeploy', DEPLOYMENT], token: VERCEL_TOKEN },
    ]);
    // Verification against the recovered stand-ins.
    expect(step(doc, 'pool-recovered').outputs.usage_pct).toBe(23.3);
    expect(step(doc, 'healthy-again').outputs.status).toBe(200);
    expect(step(doc, 'error-rate-normal').outputs.error_rate_pct).toBe(0.02);
    // Communication: Slack got the initial report with the severity, then the resolution.
    const posts = slack.requests.map(
      (r) => JSON.parse(r.body) as { text: string; channel: string },
    );
    expect(posts).toHaveLength(2);
    expect(posts[0]?.channel).toBe('#incidents');
    expect(posts[0]?.text).toContain('Severity: P0.');
    expect(posts[0]?.text).toContain('pool at 96.7 %');
    expect(posts[1]?.text).toContain('INCIDENT RESOLVED');
    expect(posts[1]?.text).toContain('production redeployed');
    // Secrets stay out of the document.
    expect(raw).not.toContain(SERVICE_KEY);
    expect(raw).not.toContain(VERCEL_TOKEN);
  });

  it('database pool exhausted without approval stops before the redeploy', async () => {
    Object.assign(world, { exhausted: true, errorRatePct: 2, p95Ms: 300, redeploys: 0 });
    await scraped();
    const { code, doc } = await run('agent-factory-database-pool-exhausted', PROMQL);
    expect(code).toBe(3);
    expect(step(doc, 'error-rate').outputs).toMatchObject({ severity: 'P0', error_rate_pct: 2 });
    expect(step(doc, 'restart-application').status).toBe('skipped');
    expect(world.redeploys).toBe(0);
  });

  it('deployment failure: the API reports ERROR, rollback to the last working deployment, healthy', async () => {
    Object.assign(world, { exhausted: false, deployBroken: true, rollbacks: [] });
    writeFileSync(vercelCalls, '');
    const { code, doc, raw } = await run('agent-factory-deployment-failure', [
      '--var',
      `vercel_api_url=${app.url}/vercel-api`,
      '--var',
      'remedy=rollback',
      '--var',
      'rollback_target=agent-factory-prev99.vercel.app',
      '--approve',
      'rollback-deployment',
    ]);
    expect(doc.status, raw).toBe('succeeded');
    expect(code).toBe(0);
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['deployment-state', 'failed'],
      ['health', 'failed'],
      ['build-logs', 'succeeded'],
      ['environment-variables', 'succeeded'],
      ['fix-build', 'skipped'],
      ['redeploy', 'skipped'],
      ['rollback-deployment', 'succeeded'],
      ['rollback-in-dashboard', 'skipped'],
      ['healthy-again', 'succeeded'],
    ]);
    expect(step(doc, 'deployment-state').finding).toBe(true);
    expect(step(doc, 'deployment-state').outputs).toMatchObject({
      state: 'ERROR',
      target: 'production',
      error_message: 'Command "npm run build" exited with 1',
    });
    expect(step(doc, 'build-logs').outputs.stderr).toContain('exited with 1');
    expect(step(doc, 'rollback-deployment').effect).toBe('destructive');
    expect(world.rollbacks).toEqual(['agent-factory-prev99.vercel.app']);
    expect(step(doc, 'healthy-again').outputs.status).toBe(200);
    const calls = readFileSync(vercelCalls, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { argv: string[]; token: string | null });
    expect(calls).toEqual([
      { argv: ['inspect', DEPLOYMENT, '--logs'], token: VERCEL_TOKEN },
      { argv: ['env', 'ls', 'production'], token: VERCEL_TOKEN },
      { argv: ['rollback', 'agent-factory-prev99.vercel.app'], token: VERCEL_TOKEN },
    ]);
    expect(raw).not.toContain(VERCEL_TOKEN);
  });

  it('API rate limiting: detection reads the 429, the rate-limit headers and the providers', async () => {
    Object.assign(world, {
      exhausted: false,
      deployBroken: false,
      rateLimited: true,
      errorRatePct: 0.7,
      p95Ms: 400,
    });
    prometheus.setMetrics(gauges());
    await prometheus.waitFor('agent_factory_error_rate_pct', '0.7');
    await prometheus.waitFor('agent_factory_p95_ms', '400');
    const { code, doc, raw } = await run('agent-factory-api-rate-limiting', [
      '--only',
      'detection',
      '--var',
      'error_rate_promql=agent_factory_error_rate_pct',
      '--var',
      'p95_promql=agent_factory_p95_ms',
      '--var',
      `openai_status_url=${app.url}/status/openai`,
      '--var',
      `anthropic_status_url=${app.url}/status/anthropic`,
    ]);
    expect(code, raw).toBe(0);
    expect(doc.steps.map((s) => [s.id, s.status, s.finding ?? false])).toEqual([
      ['rate-limit-headers', 'failed', true],
      ['error-rate', 'failed', true],
      ['openai-status', 'succeeded', false],
      ['anthropic-status', 'failed', true],
    ]);
    expect(step(doc, 'rate-limit-headers').outputs).toMatchObject({
      status: 429,
      limit: '100',
      remaining: '0',
      retry_after: '30',
    });
    expect(step(doc, 'error-rate').outputs).toMatchObject({
      error_rate_pct: 0.7,
      p95_ms: 400,
      severity: 'P1',
    });
    expect(step(doc, 'anthropic-status').outputs.indicator).toBe('minor');
    world.rateLimited = false;
  });

  it('incident response: maintenance mode is set through vercel env and a redeploy, and answers 503', async () => {
    Object.assign(world, {
      exhausted: false,
      deployBroken: false,
      envVars: {},
      maintenance: false,
      redeploys: 0,
    });
    writeFileSync(vercelCalls, '');
    const mitigate = await run('agent-factory-incident-response', [
      '--only',
      'resolution',
      '--var',
      'mitigation=maintenance',
      '--var',
      `app_dir=${dir.path}`,
      '--approve',
      'enable-maintenance-mode',
    ]);
    expect(mitigate.doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['rollback-deployment', 'skipped'],
      ['rollback-in-dashboard', 'skipped'],
      ['enable-maintenance-mode', 'succeeded'],
      ['hotfix', 'pending'],
    ]);
    // The hotfix is a person's work: a non-interactive run stops there (exit 3).
    expect(mitigate.code).toBe(3);
    expect(world.envVars).toEqual({ MAINTENANCE_MODE: 'true' });
    expect(world.redeploys).toBe(1);
    const calls = readFileSync(vercelCalls, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { argv: string[]; token: string | null });
    expect(calls.map((c) => c.argv.join(' '))).toEqual([
      'env add MAINTENANCE_MODE production --force',
      `redeploy ${DEPLOYMENT}`,
    ]);
    const verify = await run('agent-factory-incident-response', [
      '--only',
      'verification',
      '--var',
      'mitigation=maintenance',
    ]);
    expect(verify.doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['healthy-again', 'skipped'],
      ['maintenance-page', 'succeeded'],
      ['smoke-tests', 'skipped'],
      ['error-rate-normal', 'skipped'],
      ['user-reports', 'pending'],
    ]);
    expect(step(verify.doc, 'maintenance-page').outputs.status).toBe(503);
    world.maintenance = false;
  });
});
