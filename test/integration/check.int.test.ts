import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusText } from '../../src/report/check.js';
import { runCli, startServer, tempDir, type TestServer } from '../helpers/cli.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';

/** `runbook check` against a real HTTP server the tests make healthy, slow, erroring or silent, and
 * a real PostgreSQL cluster. */

type Mode = 'healthy' | 'slow' | 'error' | 'hang';
let mode: Mode = 'healthy';
let server: TestServer;
const dir = tempDir('check-');
const runbooks = join(dir.path, 'runbooks');
const state = join(dir.path, 'state');

/** `promtool check metrics` (Debian's prometheus package) on `text` given on stdin. */
function promtoolCheck(text: string): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync('promtool', ['check', 'metrics'], {
    input: text,
    encoding: 'utf8',
  });
  return { status, stdout, stderr };
}

function runbook(name: string, body: string): void {
  writeFileSync(join(runbooks, `${name}.yaml`), body);
}

beforeAll(async () => {
  server = await startServer((request, response) => {
    if (request.url?.startsWith('/metrics/')) return void response.writeHead(200).end();
    const answer = (status: number): void => void response.writeHead(status).end('{"ok":true}');
    switch (mode) {
      case 'healthy':
        return answer(200);
      case 'slow':
        return void setTimeout(() => answer(200), 2500);
      case 'error':
        return answer(503);
      case 'hang':
        return void setTimeout(() => answer(200), 15_000);
    }
  });
  mkdirSync(runbooks, { recursive: true });
  runbook(
    'web',
    `id: web
title: Web health
service: web
severity: P2
tags: [frontend]
vars:
  base_url: { env: WEB_URL, required: true }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health", timeout: 5s }
      expect: { status: 200, latency_ms: { warn: 2000, crit: 30000 } }
`,
  );
  runbook(
    'quick',
    `id: quick
title: Answers fast or not at all
service: web
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health", timeout: 300ms }
      expect: { status: 200 }
vars:
  base_url: { default: "http://127.0.0.1:1" }
environments:
  local: { vars: { base_url: "${server.url}" } }
`,
  );
  runbook(
    'guarded',
    `id: guarded
title: A check that would write
service: web
detection:
  checks:
    - id: reads
      run: ["true"]
      effect: read
diagnosis:
  - id: touch
    run: "touch \${{ vars.target }}"
    check: true
vars:
  target: { default: "/nonexistent" }
`,
  );
  runbook(
    'toolless',
    `id: toolless
title: Its tool is missing
detection:
  checks:
    - id: probe
      run: ["runbook-no-such-tool", "--status"]
      effect: read
`,
  );
  writeFileSync(join(runbooks, 'broken.yaml'), 'id: broken\ntitle: [unclosed\n');
});

afterAll(async () => {
  await server.close();
  dir.remove();
});

const env = (): Record<string, string> => ({ RUNBOOK_STATE_DIR: state, WEB_URL: server.url });
const check = (args: string[]) => runCli(['check', '--dir', runbooks, ...args], { env: env() });

describe('states and exit codes', () => {
  it('a healthy target is OK (0), with perfdata in plugin syntax', async () => {
    mode = 'healthy';
    const result = await check(['web']);
    expect(result.code).toBe(0);
    const [first, second] = result.stdout.split('\n');
    expect(first).toMatch(/^RUNBOOK OK - 1 check OK \| latency_ms=\d+ms;2000;30000$/);
    expect(second).toMatch(/^OK web\/health \(\d+ms\): latency_ms \d+$/);
  });

  it('a slow answer past the warn level is WARNING (1)', async () => {
    mode = 'slow';
    const result = await check(['web']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^RUNBOOK WARNING - 1 WARNING: web\/health: latency_ms is \d+, past the warning level > 2000 \| latency_ms=\d+ms;2000;30000\n/,
    );
  });

  it('an erroring target fails its expectation: CRITICAL (2)', async () => {
    mode = 'error';
    const result = await check(['web']);
    expect(result.code).toBe(2);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^RUNBOOK CRITICAL - 1 CRITICAL: web\/health: status is 503, expected 200 \| latency_ms=/,
    );
  });

  it('a target that is down, or silent past the check’s own timeout, is CRITICAL (2)', async () => {
    const down = await runCli(['check', '--dir', runbooks, 'web'], {
      env: { RUNBOOK_STATE_DIR: state, WEB_URL: 'http://127.0.0.1:1' },
    });
    expect(down.code).toBe(2);
    expect(down.stdout.split('\n')[0]).toMatch(/^RUNBOOK CRITICAL - .*connection refused/);

    mode = 'hang';
    const silent = await check(['quick', '--var', `base_url=${server.url}`]);
    expect(silent.code).toBe(2);
    expect(silent.stdout.split('\n')[0]).toMatch(
      /^RUNBOOK CRITICAL - 1 CRITICAL: quick\/health: no answer from 127\.0\.0\.1:\d+ within 300ms$/,
    );
  });

  it('--timeout bounds the whole command: UNKNOWN (3), quickly', async () => {
    mode = 'hang';
    const started = performance.now();
    const result = await check(['web', '--timeout', '700ms']);
    const elapsed = performance.now() - started;
    expect(result.code).toBe(3);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^RUNBOOK UNKNOWN - 1 UNKNOWN: web\/health: stopped: the command --timeout was spent$/,
    );
    // Well under the 15 s the server would take; generous for a busy machine.
    expect(elapsed).toBeLessThan(5000);
  });

  it('--timeout bounds reading the runbooks too', async () => {
    // 42 runbook files cannot be read and validated within a millisecond.
    const result = await runCli(['check', '--all', '--timeout', '1ms'], {
      env: { RUNBOOK_STATE_DIR: state, RUNBOOK_NO_CACHE: '1' },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(
      'RUNBOOK UNKNOWN - the --timeout was spent reading the runbooks (raise --timeout)\n',
    );
  });

  it('a missing tool or an invalid runbook is UNKNOWN (3)', async () => {
    const tool = await check(['toolless']);
    expect(tool.code).toBe(3);
    expect(tool.stdout).toMatch(/^UNKNOWN toolless\/probe \(\d+ms\): .*runbook-no-such-tool/m);
    const invalid = await check(['broken']);
    expect(invalid.code).toBe(3);
    expect(invalid.stdout).toMatch(/^RUNBOOK UNKNOWN - 1 UNKNOWN: broken\/-: cannot check: /);
    const usage = await check([]);
    expect(usage.code).toBe(3);
    expect(usage.stdout).toMatch(/^RUNBOOK UNKNOWN - name the runbooks to check/);
  });

  it('refuses a write step marked check: true, and never runs it', async () => {
    const target = join(dir.path, 'touched');
    const result = await check(['guarded', '--var', `target=${target}`]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('OK guarded/reads');
    expect(result.stdout).toMatch(
      /^UNKNOWN guarded\/touch \(0ms\): refused: write step \(diagnosis\) — check runs only read steps/m,
    );
    expect(existsSync(target)).toBe(false);
  });

  it('with several checks the worst state wins, and --tag selects runbooks', async () => {
    mode = 'error';
    const result = await check(['web', 'guarded', '--format', 'json']);
    expect(result.code).toBe(2);
    const document = JSON.parse(result.stdout) as {
      state: string;
      checks: Array<{ runbook: string; id: string; state: string; values: object }>;
    };
    expect(document.state).toBe('CRITICAL');
    expect(document.checks.map((c) => `${c.runbook}/${c.id}=${c.state}`)).toEqual([
      'web/health=CRITICAL',
      'guarded/reads=OK',
      'guarded/touch=UNKNOWN',
    ]);
    mode = 'healthy';
    const tagged = await check(['--tag', 'frontend', '--format', 'json']);
    expect(tagged.code).toBe(0);
    expect((JSON.parse(tagged.stdout) as { checks: unknown[] }).checks).toHaveLength(1);
  });
});

describe('selection', () => {
  it('--env takes an environment’s values; --service selects runbooks; nothing selected is UNKNOWN', async () => {
    mode = 'healthy';
    expect((await check(['quick'])).code).toBe(2);
    const local = await check(['quick', '--env', 'local']);
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/^OK quick\/health/m);
    const service = await check(['--service', 'web', '--format', 'json']);
    const document = JSON.parse(service.stdout) as { checks: Array<{ runbook: string }> };
    expect([...new Set(document.checks.map((c) => c.runbook))].sort()).toEqual([
      'guarded',
      'quick',
      'web',
    ]);
    const none = await check(['--tag', 'no-such-tag']);
    expect(none.code).toBe(3);
    expect(none.stdout).toBe('RUNBOOK UNKNOWN - no checks selected\n');
  });
});

describe('machine-readable outputs', () => {
  it('--format json is one document with the contract keys', async () => {
    mode = 'healthy';
    const result = await check(['web', '--format', 'json']);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as {
      state: string;
      checks: Array<Record<string, unknown>>;
    };
    expect(document.state).toBe('OK');
    expect(document.checks).toHaveLength(1);
    const [only] = document.checks;
    expect(only).toMatchObject({ runbook: 'web', id: 'health', state: 'OK' });
    expect(typeof only?.summary).toBe('string');
    expect(typeof only?.duration_ms).toBe('number');
    expect(typeof (only?.values as Record<string, unknown>).latency_ms).toBe('number');
  });

  it('--format prometheus is the text exposition format', async () => {
    mode = 'slow';
    const result = await check(['web', 'guarded', '--format', 'prometheus']);
    expect(result.code).toBe(3);
    const samples = parseExposition(result.stdout);
    const labels = 'check="health",runbook="web",service="web",severity="P2"';
    expect(samples.get(`runbook_check_state{${labels}}`)).toBe(1);
    expect(samples.get(`runbook_check_duration_seconds{${labels}}`)).toBeGreaterThan(0.3);
    // latency_ms in base units: seconds.
    expect(samples.get(`runbook_check_value_latency_seconds{${labels}}`)).toBeGreaterThanOrEqual(
      2.4,
    );
    expect(samples.has(`runbook_check_value_latency_ms{${labels}}`)).toBe(false);
    expect(
      samples.get('runbook_check_state{check="touch",runbook="guarded",service="web",severity=""}'),
    ).toBe(3);
    // Prometheus's own linter accepts it: exit 0 and not a word on either stream.
    expect(promtoolCheck(result.stdout)).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('--prometheus-textfile replaces the file atomically (a reader keeps the old one whole)', async () => {
    mode = 'healthy';
    const textfile = join(dir.path, 'textfile', 'runbook.prom');
    mkdirSync(join(dir.path, 'textfile'), { recursive: true });
    writeFileSync(textfile, 'old contents\n');
    const reader = openSync(textfile, 'r');
    const result = await check(['web', '--prometheus-textfile', textfile]);
    expect(result.code).toBe(0);
    const written = readFileSync(textfile, 'utf8');
    expect(parseExposition(written).size).toBe(3);
    // Renamed over, not rewritten in place: the file already open still reads the old bytes.
    const buffer = Buffer.alloc(64);
    expect(buffer.toString('utf8', 0, readSync(reader, buffer, 0, 64, 0))).toBe('old contents\n');
    expect(readdirSync(join(dir.path, 'textfile'))).toEqual(['runbook.prom']);
  });

  it('--pushgateway PUTs the exposition to the Pushgateway', async () => {
    mode = 'healthy';
    const before = server.requests.length;
    const result = await check(['web', '--pushgateway', `${server.url}/`]);
    expect(result.code).toBe(0);
    const pushes = server.requests.slice(before).filter((r) => r.url.startsWith('/metrics/'));
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.method).toBe('PUT');
    expect(pushes[0]?.url).toMatch(/^\/metrics\/job\/runbook\/instance\/[^/]+$/);
    expect(
      parseExposition(pushes[0]?.body ?? '').get(
        'runbook_check_state{check="health",runbook="web",service="web",severity="P2"}',
      ),
    ).toBe(0);
  });
});

describe('promtool check metrics', () => {
  it('accepts the exposition whatever the values are called', () => {
    const names = [
      ...['latency_ms', 'latencyMs', 'lag_s', 'uptime_sec', 'p99_ms_max', 'age_d', 'age_h', 'm'],
      ...['disk_free_gb', 'heap_mib', 'sent_kb', 'wal_b', 'used_pct', 'rows[0].n', 'errors_total'],
      ...['rows_count', 'count', 'total', 'queue_gauge_len', 'summary', 'a:b', '延迟', 'x\n"y'],
      ...['latency_s', 'latency_seconds', 'bytes_total', 'le', 'quantile_sum', 'a_m_ms'],
    ];
    const text = prometheusText([
      {
        runbook: 'api "quoted"',
        id: 'health\nsecond',
        service: undefined,
        severity: 'critical',
        state: 'WARNING',
        summary: '',
        values: Object.fromEntries(names.map((name, i) => [name, { value: i + 0.5 }])),
        duration_ms: 12,
      },
    ]);
    expect(text.match(/^runbook_check_value\w*\{/gm)).toHaveLength(names.length);
    expect(promtoolCheck(text)).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});

describe('a SQL check against PostgreSQL', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPostgres();
    await appSql('create table jobs (id serial primary key, state text not null)');
    runbook(
      'queue',
      `id: queue
title: Job queue backlog
service: worker
severity: P3
vars:
  database_url: { env: QUEUE_DB, secret: true, required: true }
detection:
  checks:
    - id: backlog
      uses: psql.select
      with: { url: "\${{ vars.database_url }}", sql: "select count(*) as pending from jobs where state = 'pending'" }
      expect: { row_count: 1, "rows[0].pending": { warn: 5, crit: 10 } }
      capture: { pending: "outputs.rows[0].pending" }
diagnosis:
  - id: requeue
    uses: psql.query
    with: { url: "\${{ vars.database_url }}", sql: "update jobs set state = 'pending'" }
    check: true
`,
    );
  });
  afterAll(() => pg?.stop());
  // The app role's own database, over TCP with its password: where the check looks.
  const appSql = (sql: string): string =>
    execFileSync('psql', [pg.url, '-X', '-w', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    }).trim();

  const sqlCheck = (args: string[] = []) =>
    runCli(['check', '--dir', runbooks, 'queue', ...args], {
      env: { RUNBOOK_STATE_DIR: state, QUEUE_DB: pg.url },
    });
  const setPending = async (count: number): Promise<void> => {
    await appSql('truncate jobs');
    await appSql(
      `insert into jobs (state) select 'pending' from generate_series(1, ${count}); insert into jobs (state) values ('done')`,
    );
  };

  it('grades the backlog by rows, and refuses the write step', async () => {
    await setPending(3);
    const ok = await sqlCheck(['--format', 'json']);
    const document = JSON.parse(ok.stdout) as {
      checks: Array<{ id: string; state: string; summary: string; values: object }>;
    };
    expect(document.checks[0]).toMatchObject({
      id: 'backlog',
      state: 'OK',
      values: { 'rows[0].pending': 3, pending: 3 },
    });
    expect(document.checks[1]).toMatchObject({ id: 'requeue', state: 'UNKNOWN' });
    expect(document.checks[1]?.summary).toMatch(/^refused: write step/);
    expect(ok.stdout).not.toContain(pg.password);
    expect(await appSql("select count(*) from jobs where state = 'pending'")).toBe('3');

    await setPending(7);
    const warning = await sqlCheck();
    expect(warning.stdout.split('\n')[1]).toMatch(
      /^WARNING queue\/backlog \(\d+ms\): rows\[0\]\.pending is 7, past the warning level > 5$/,
    );
    expect(warning.stdout.split('\n')[0]).toMatch(
      /\| backlog\.rows\[0\]\.pending=7;5;10 backlog\.pending=7$/,
    );

    await setPending(12);
    const critical = await sqlCheck();
    expect(critical.code).toBe(2);
    expect(critical.stdout.split('\n')[0]).toMatch(
      /^RUNBOOK CRITICAL - 1 CRITICAL, 1 UNKNOWN: queue\/backlog: rows\[0\]\.pending is 12, past the critical level > 10/,
    );
  });
});

/** Parses the exposition format: `name{labels} value` lines, labels sorted; checks # TYPE lines. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\w+) (gauge|counter)$/.exec(line);
    if (type) {
      typed.add(type[1] ?? '');
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const [, name = '', labelText = '', value = ''] = match;
    expect(typed.has(name)).toBe(true);
    const labels = [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, key, val]) => `${key}="${val}"`)
      .sort();
    samples.set(`${name}{${labels.join(',')}}`, Number(value));
  }
  return samples;
}
