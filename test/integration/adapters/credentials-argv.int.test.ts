import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../src/adapters/registry.js';
import { recordingContext } from '../../helpers/recorded-exec.js';

/**
 * No action that takes a credential puts it in a process's argv or in its described command:
 * credentials travel in the environment or on stdin. Every such action is run here with a
 * recording `exec`, so the check covers the argv each one really builds: the programs it runs, in
 * order, and exactly which of their environment variables or stdin carry the credential.
 */
const SECRET = 'Sup3r-S3cret-Value';
const URL_WITH_PASSWORD = `postgres://app:${SECRET}@127.0.0.1:5432/app`;

const PSQL: [string[], string[]] = [['psql'], ['1: env PGPASSWORD']];

/** Each action, its input, the programs it runs and where the credential reaches them. */
const CASES: Array<[string, Record<string, unknown>, string[], string[]]> = [
  ['psql.query', { sql: 'select 1', url: URL_WITH_PASSWORD }, ...PSQL],
  ['psql.select', { sql: 'select 1', url: URL_WITH_PASSWORD }, ...PSQL],
  ['psql.connections', { url: URL_WITH_PASSWORD }, ...PSQL],
  ['psql.long_running', { url: URL_WITH_PASSWORD, threshold: '30s' }, ...PSQL],
  ['psql.terminate', { url: URL_WITH_PASSWORD, older_than: '5m' }, ...PSQL],
  ['psql.read_only', { url: URL_WITH_PASSWORD, database: 'app', enabled: true }, ...PSQL],
  [
    'wrangler.secret_put',
    { name: 'my-worker', key: 'API_KEY', value: SECRET },
    ['wrangler', 'wrangler'],
    ['2: stdin'],
  ],
  [
    'docker.exec',
    { container: 'api', command: ['printenv', 'TOKEN'], env: { TOKEN: SECRET } },
    ['docker'],
    ['1: env TOKEN'],
  ],
  [
    'pm2.start',
    { script: 'app.js', name: 'api', env: { API_TOKEN: SECRET } },
    ['pm2', 'pm2'],
    ['1: env API_TOKEN'],
  ],
  ['shell.run', { command: 'printenv TOKEN', env: { TOKEN: SECRET } }, ['sh'], ['1: env TOKEN']],
  [
    'curl.get',
    { url: 'http://127.0.0.1:9/health', headers: { Authorization: `Bearer ${SECRET}` } },
    ['curl'],
    ['1: stdin'],
  ],
  [
    'curl.request',
    { url: `https://ops:${SECRET}@127.0.0.1:9/hook`, method: 'POST', data: { text: 'hi' } },
    ['curl'],
    ['1: stdin'],
  ],
];

describe('credentials never reach argv or the described command', () => {
  const registry = createRegistry();

  it.each(CASES)('%s', async (name, input, programs, carriers) => {
    const action = await registry.action(name);
    expect(action, `${name} is registered`).toBeDefined();
    if (!action) return;
    const parsed = action.input.parse(input);
    expect(action.describe(parsed)).not.toContain(SECRET);
    const { ctx, recorder } = recordingContext(
      { stdout: '[]' },
      { env: { PATH: process.env.PATH }, cwd: process.cwd() },
    );
    await action.run(parsed, ctx);
    const calls = recorder.calls();
    expect(calls.map((call) => call.file)).toEqual(programs);
    for (const argv of recorder.argvs()) expect(argv.join(' ')).not.toContain(SECRET);
    // …and it does reach the tool, by environment or stdin.
    expect(
      calls.flatMap((call, index) => [
        ...Object.entries(call.env ?? {})
          .filter(([, value]) => value.includes(SECRET))
          .map(([key]) => `${index + 1}: env ${key}`),
        ...(call.input?.includes(SECRET) ? [`${index + 1}: stdin`] : []),
      ]),
    ).toEqual(carriers);
  });
});
