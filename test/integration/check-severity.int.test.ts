import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli, startServer, tempDir, type TestServer } from '../helpers/cli.js';

/** `runbook check` grades a failed expectation by the runbook's severity
 * (docs/monitoring.md#states): WARNING from its scheme's warn_from on, CRITICAL otherwise; a value
 * past its `crit:` level, and a step that fails by itself, stay CRITICAL. */

let server: TestServer;
const dir = tempDir('check-severity-');
const runbooks = join(dir.path, 'runbooks');

/** A runbook with one read-only check, under a severity and scheme. */
function write(id: string, head: string, check: string[]): void {
  writeFileSync(
    join(runbooks, `${id}.yaml`),
    [
      `id: ${id}`,
      `title: ${id}`,
      ...head.split('\n'),
      'detection:',
      '  checks:',
      ...check,
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  server = await startServer((request, response) => {
    if (request.url === '/disk') json(response, 200, { used: 97 });
    else response.writeHead(503).end('down');
  });
  mkdirSync(runbooks, { recursive: true });
  const health = [
    '    - id: health',
    '      uses: http.get',
    `      with: { url: "${server.url}/health" }`,
    '      expect: { status: 200 }',
  ];
  const disk = [
    '    - id: disk',
    '      uses: http.get',
    `      with: { url: "${server.url}/disk" }`,
    '      expect: { json.used: { warn: 80, crit: 95 } }',
  ];
  const fails = ['    - id: probe', '      effect: read', '      run: exit 3'];
  const cwi = 'severity_scheme: critical-warning-info';
  write('web-warning', `${cwi}\nseverity: warning`, health);
  write('web-info', `${cwi}\nseverity: info`, health);
  write('web-critical', `${cwi}\nseverity: critical`, health);
  write('web-range', `${cwi}\nseverity: [critical, warning]`, health);
  write('disk-warning', `${cwi}\nseverity: warning`, disk);
  write('probe-warning', `${cwi}\nseverity: warning`, fails);
  write('web-p4', 'severity_scheme: p1-p4\nseverity: P4', health);
  write('web-none', '', health);
  const own = 'severity_scheme: { levels: [SEV-A, SEV-B, SEV-C], warn_from: SEV-B }';
  write('web-own-b', `${own}\nseverity: SEV-B`, health);
  write('web-own-a', `${own}\nseverity: SEV-A`, health);
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

const check = (ids: string[], format = 'json') =>
  runCli(['check', '--dir', runbooks, ...ids, '--format', format], {
    env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
  });

async function stateOf(id: string): Promise<[number, string, string]> {
  const result = await check([id]);
  expect(result.stderr).toBe('');
  const doc = JSON.parse(result.stdout) as {
    state: string;
    checks: Array<{ state: string; summary: string }>;
  };
  return [result.code, doc.state, doc.checks[0]?.summary ?? ''];
}

describe('check grades a failed expectation by severity', () => {
  it.each([
    [
      'web-warning',
      1,
      'WARNING',
      `status is 503, expected 200 (WARNING: the runbook's severity is warning)`,
    ],
    [
      'web-info',
      1,
      'WARNING',
      `status is 503, expected 200 (WARNING: the runbook's severity is info)`,
    ],
    ['web-critical', 2, 'CRITICAL', 'status is 503, expected 200'],
    // The most severe of its levels decides.
    ['web-range', 2, 'CRITICAL', 'status is 503, expected 200'],
    // A value past its crit: level is CRITICAL whatever the severity.
    ['disk-warning', 2, 'CRITICAL', 'json.used is 97, past the critical level > 95'],
    // Not an expectation: the step itself failed.
    ['probe-warning', 2, 'CRITICAL', 'exited with code 3'],
    // Schemes that say nothing of WARNING, and no severity at all: CRITICAL, as always.
    ['web-p4', 2, 'CRITICAL', 'status is 503, expected 200'],
    ['web-none', 2, 'CRITICAL', 'status is 503, expected 200'],
    [
      'web-own-b',
      1,
      'WARNING',
      `status is 503, expected 200 (WARNING: the runbook's severity is SEV-B)`,
    ],
    ['web-own-a', 2, 'CRITICAL', 'status is 503, expected 200'],
  ])('%s: exit %d, %s', async (id, code, state, summary) => {
    expect(await stateOf(id)).toEqual([code, state, summary]);
  });

  it('the Nagios text: the worst state wins across runbooks', async () => {
    const warning = await check(['web-warning', 'web-own-b'], 'text');
    expect([warning.code, warning.stdout.split('\n')[0]]).toEqual([
      1,
      "RUNBOOK WARNING - 2 WARNING: web-warning/health: status is 503, expected 200 (WARNING: the runbook's severity is warning) (+1 more)",
    ]);
    const mixed = await check(['web-warning', 'web-critical'], 'text');
    expect([mixed.code, mixed.stdout.split('\n')[0]]).toEqual([
      2,
      'RUNBOOK CRITICAL - 1 CRITICAL, 1 WARNING: web-critical/health: status is 503, expected 200',
    ]);
  });
});
