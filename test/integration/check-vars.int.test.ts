import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, tempDir, type TestServer } from '../helpers/cli.js';

/** `runbook check` needs only the required variables its checks read (docs/commands.md#check). */

let server: TestServer;
const dir = tempDir('check-vars-');
const runbooks = join(dir.path, 'runbooks');

beforeAll(async () => {
  server = await startServer((_request, response) => void response.writeHead(200).end('ok'));
  mkdirSync(runbooks, { recursive: true });
  writeFileSync(
    join(runbooks, 'api-down.yaml'),
    [
      'id: api-down',
      'title: API down',
      'vars:',
      '  api_url: { required: true, env: API_URL }',
      '  database_url: { required: true, secret: true, env: DATABASE_URL }',
      'detection:',
      '  checks:',
      '    - id: health',
      '      uses: http.get',
      '      with: { url: "${{ vars.api_url }}/health" }',
      'resolution:',
      '  - id: reset',
      '    run: psql "${{ vars.database_url }}" -c "select 1"',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

const check = (env: Record<string, string>) =>
  runCli(['check', '--dir', runbooks, 'api-down', '--format', 'json'], {
    env: { RUNBOOK_STATE_DIR: join(dir.path, 'state'), ...env },
  });

describe('check and required variables', () => {
  it('does not ask for a variable only resolution steps read', async () => {
    const result = await check({ API_URL: server.url });
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      state: string;
      checks: Array<{ id: string; state: string }>;
    };
    expect([result.code, doc.state, doc.checks.map((c) => [c.id, c.state])]).toEqual([
      0,
      'OK',
      [['health', 'OK']],
    ]);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /health']);
  });

  it('is UNKNOWN, naming it, without a variable its checks read', async () => {
    const result = await check({ DATABASE_URL: 'postgres://app:pw@127.0.0.1:9/app' });
    const doc = JSON.parse(result.stdout) as { state: string; checks: Array<{ summary: string }> };
    expect([result.code, doc.state, doc.checks.map((c) => c.summary)]).toEqual([
      3,
      'UNKNOWN',
      ['cannot check: runbook api-down needs a value for: api_url (--var api_url=… or $API_URL)'],
    ]);
  });
});
