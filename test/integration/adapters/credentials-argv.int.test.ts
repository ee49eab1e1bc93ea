import { describe, expect, it } from 'vitest';
import type {
  ActionContext,
  ProcessRequest,
  ProcessResult,
} from '../../../src/adapters/adapter.js';
import { createRegistry } from '../../../src/adapters/registry.js';

/**
 * No action that takes a credential puts it in a process's argv or in its described command:
 * credentials travel in the environment or on stdin. Every such action is run here with a
 * recording `exec`, so the check covers the argv each one really builds.
 */
const SECRET = 'Sup3r-S3cret-Value';
const URL_WITH_PASSWORD = `postgres://app:${SECRET}@127.0.0.1:5432/app`;

const CASES: Array<[string, Record<string, unknown>]> = [
  ['psql.query', { sql: 'select 1', url: URL_WITH_PASSWORD }],
  ['psql.select', { sql: 'select 1', url: URL_WITH_PASSWORD }],
  ['psql.connections', { url: URL_WITH_PASSWORD }],
  ['psql.long_running', { url: URL_WITH_PASSWORD, threshold: '30s' }],
  ['psql.terminate', { url: URL_WITH_PASSWORD, older_than: '5m' }],
  ['psql.read_only', { url: URL_WITH_PASSWORD, database: 'app', enabled: true }],
  ['wrangler.secret_put', { name: 'my-worker', key: 'API_KEY', value: SECRET }],
  ['docker.exec', { container: 'api', command: ['printenv', 'TOKEN'], env: { TOKEN: SECRET } }],
  ['pm2.start', { script: 'app.js', name: 'api', env: { API_TOKEN: SECRET } }],
  ['shell.run', { command: 'printenv TOKEN', env: { TOKEN: SECRET } }],
  [
    'curl.get',
    { url: 'http://127.0.0.1:9/health', headers: { Authorization: `Bearer ${SECRET}` } },
  ],
  [
    'curl.request',
    { url: `https://ops:${SECRET}@127.0.0.1:9/hook`, method: 'POST', data: { text: 'hi' } },
  ],
];

function recordingContext(requests: ProcessRequest[]): ActionContext {
  const result: ProcessResult = {
    exitCode: 0,
    signal: undefined,
    stdout: '[]',
    stderr: '',
    durationMs: 1,
    timedOut: false,
    interrupted: false,
    error: undefined,
  };
  return {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
    host: undefined,
    exec: (request) => {
      requests.push(request);
      return Promise.resolve(result);
    },
  };
}

describe('credentials never reach argv or the described command', () => {
  const registry = createRegistry();

  it.each(CASES)('%s', async (name, input) => {
    await registry.load();
    const action = registry.action(name);
    expect(action, `${name} is registered`).toBeDefined();
    if (!action) return;
    const parsed = action.input.parse(input);
    expect(action.describe(parsed)).not.toContain(SECRET);
    const requests: ProcessRequest[] = [];
    await action.run(parsed, recordingContext(requests));
    expect(requests.length, `${name} ran a process`).toBeGreaterThan(0);
    for (const request of requests)
      expect([request.file, ...request.args].join(' ')).not.toContain(SECRET);
    // …and it does reach the tool, by environment or stdin.
    expect(
      requests.some((r) => `${JSON.stringify(r.env ?? {})}${r.input ?? ''}`.includes(SECRET)),
    ).toBe(true);
  });
});
