import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../../../src/adapters/http.js';
import type { ActionContext } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { timeoutSignal } from '../../../src/common/abort.js';
import { json, startServer, type TestServer } from '../../helpers/cli.js';

/** The http adapter against a real HTTP server on 127.0.0.1. */
let server: TestServer;
beforeAll(async () => {
  server = await startServer((request, response) =>
    json(response, 200, { authorization: request.headers.authorization ?? null }),
  );
});
afterAll(() => server.close());

function context(): ActionContext {
  const signal = timeoutSignal(10_000);
  return {
    env: {},
    cwd: process.cwd(),
    signal,
    timeoutMs: 10_000,
    exec: localExec({ env: {}, cwd: process.cwd(), signal }),
    host: undefined,
  };
}

describe('http with credentials in the URL', () => {
  const withCredentials = (path: string): string =>
    server.url.replace('http://', 'http://ops%40example:s3cr%3At@') + path;

  it('sends user:password@ as Basic authentication, and shows the password as ***', async () => {
    const action = http.actions.get;
    const input = action.input.parse({ url: withCredentials('/status') });
    const outcome = await action.run(input, context());
    expect(outcome.ok).toBe(true);
    expect(server.requests.at(-1)?.url).toBe('/status');
    expect(server.requests.at(-1)?.headers.authorization).toBe(
      `Basic ${Buffer.from('ops@example:s3cr:t').toString('base64')}`,
    );
    expect(action.describe(input)).toBe(
      `GET ${server.url.replace('http://', 'http://ops%40example:***@')}/status`,
    );
  });

  it('refuses credentials that are not valid percent-encoding, sending nothing', async () => {
    const action = http.actions.get;
    const before = server.requests.length;
    const input = action.input.parse({
      url: server.url.replace('http://', 'http://a%E0:b@') + '/status',
    });
    const outcome = await action.run(input, context());
    expect([outcome.ok, outcome.error]).toEqual([
      false,
      'the user name or password in the URL is not valid percent-encoding (write % as %25)',
    ]);
    expect(server.requests.length).toBe(before);
  });

  it('keeps the Authorization header a step gives', async () => {
    const action = http.actions.get;
    const input = action.input.parse({
      url: withCredentials('/own'),
      headers: { Authorization: 'Bearer abc' },
    });
    const outcome = await action.run(input, context());
    expect(outcome.ok).toBe(true);
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer abc');
  });
});
