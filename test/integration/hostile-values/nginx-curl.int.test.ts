import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { hostileValues, injectedFiles, runWithValue, type RunStep } from '../../helpers/hostile.js';
import { baseConfig, startNginx, type NginxFixture } from '../../helpers/nginx.js';

/**
 * The hostile values through `--var` into nginx and curl steps, against a real nginx and the real
 * curl talking to a server here: option values stay values (nginx -g/-c/-p/-e, curl --url), a path
 * starting with "-" is refused, and headers and bodies arrive exactly as given.
 */

const RUNBOOK = `id: hostile-http
title: Hostile values into nginx and curl steps
vars:
  v: { required: true }
  nginx: { required: true }
  prefix: { required: true }
  config: { required: true }
  server: { required: true }
diagnosis:
  - id: nginx-config
    uses: nginx.test
    with: { binary: "\${{ vars.nginx }}", prefix: "\${{ vars.prefix }}", config: "\${{ vars.v }}" }
    continue_on_error: true
  - id: curl-url
    uses: curl.get
    with: { url: "\${{ vars.v }}", timeout: 5s }
    continue_on_error: true
  - id: curl-header
    uses: curl.get
    with: { url: "\${{ vars.server }}/header", headers: { x-value: "\${{ vars.v }}", authorization: "\${{ vars.v }}" } }
    continue_on_error: true
  - id: curl-data
    uses: curl.request
    with: { url: "\${{ vars.server }}/data", data: "\${{ vars.v }}" }
  - id: status-url
    uses: nginx.status
    with: { url: "\${{ vars.v }}" }
    continue_on_error: true
`;

let nginx: NginxFixture;
let server: TestServer;
const dir = tempDir('rb-hostile-http-');
const MARK = join(dir.path, 'injected');
const VALUES = hostileValues(MARK).filter((value) => !value.includes('\0'));
const lines: string[] = [];
const received: Array<{ header: unknown; authorization: unknown; body: unknown }> = [];

/** A step's status, why it failed and what the tool said first, the value shown as <value>. */
function describeStep(step: RunStep | undefined, value: string): string {
  const said =
    typeof step?.outputs.stderr === 'string'
      ? step.outputs.stderr.split('\n')[0]?.replace(/^[\d/]+ [\d:]+ (\[\w+\]) \d+#\d+:/, '$1')
      : '';
  const why = [step?.reason, said].filter(Boolean).join(' | ');
  return `${step?.status ?? 'missing'}${why ? `: ${why}` : ''}`
    .replaceAll(value, '<value>')
    .replaceAll(nginx.dir, '<prefix>');
}

beforeAll(async () => {
  nginx = await startNginx((prefix, port) =>
    baseConfig(prefix, `listen 127.0.0.1:${port};\n    location /status { stub_status; }`),
  );
  server = await startServer((_request, response) => response.end('ok'));
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(join(dir.path, 'runbooks/hostile-http.yaml'), RUNBOOK);
  for (const [index, value] of VALUES.entries()) {
    server.requests.length = 0;
    const steps = await runWithValue(join(dir.path, 'runbooks'), 'hostile-http', value, {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      vars: {
        nginx: nginx.control.binary,
        prefix: nginx.control.prefix,
        config: nginx.control.config,
        server: server.url,
      },
    });
    for (const id of steps.keys())
      lines.push(`${index + 1} ${id}: ${describeStep(steps.get(id), value)}`);
    const header = server.requests.find((request) => request.url === '/header');
    received.push({
      header: header?.headers['x-value'],
      authorization: header?.headers.authorization,
      body: server.requests.find((request) => request.url === '/data')?.body,
    });
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  await nginx?.close();
  dir.remove();
});

describe('hostile values into nginx and curl steps', () => {
  it('are option values nginx and curl refuse, or refused before they run', () => {
    expect(lines).toMatchInlineSnapshot(`
      [
        "1 nginx-config: failed: exited with code 1 | [emerg] open() "<prefix>/<value>" failed (2: No such file or directory)",
        "1 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "1 curl-header: succeeded",
        "1 curl-data: succeeded",
        "1 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "2 nginx-config: failed: exited with code 1 | [emerg] open() "<prefix>/<value>" failed (2: No such file or directory)",
        "2 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "2 curl-header: succeeded",
        "2 curl-data: succeeded",
        "2 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "3 nginx-config: failed: exited with code 1 | [emerg] open() "<prefix>/<value>" failed (2: No such file or directory)",
        "3 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "3 curl-header: succeeded",
        "3 curl-data: succeeded",
        "3 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "4 nginx-config: failed: exited with code 1 | [emerg] open() "<prefix>/<value>" failed (2: No such file or directory)",
        "4 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "4 curl-header: succeeded",
        "4 curl-data: succeeded",
        "4 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "5 nginx-config: failed: nginx.test: with.config: a path cannot start with "-" (after templating)",
        "5 curl-url: failed: could not resolve host <value> (curl exit 6): check the URL",
        "5 curl-header: succeeded",
        "5 curl-data: succeeded",
        "5 status-url: failed: could not resolve host <value> (curl exit 6): check the URL",
        "6 nginx-config: failed: nginx.test: with.config: a path cannot start with "-" (after templating)",
        "6 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "6 curl-header: succeeded",
        "6 curl-data: succeeded",
        "6 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "7 nginx-config: failed: nginx.test: with.config: a path cannot contain a line break or NUL character (after templating)",
        "7 curl-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
        "7 curl-header: failed: curl.get: with.headers.x-value: a header value cannot contain a line break (after templating)",
        "7 curl-data: succeeded",
        "7 status-url: failed: curl exit 3: URL using bad/illegal format or missing URL",
      ]
    `);
  });

  it('arrive in headers and bodies exactly as given (a line break is refused in a header)', () => {
    expect(received).toEqual(
      VALUES.map((value) => ({
        header: value.includes('\n') ? undefined : value,
        authorization: value.includes('\n') ? undefined : value,
        body: value,
      })),
    );
  });

  it('ran no command', () => {
    expect(injectedFiles(MARK)).toEqual([]);
  });
});
