import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, tempDir, type TestServer } from '../helpers/cli.js';

const RUNBOOK = `
id: needs-things
title: Needs programs, variables, a host and HTTP targets
vars:
  api_url: { default: "http://127.0.0.1:9" }
  token: { env: NEEDS_TOKEN, secret: true, required: true }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.api_url }}/health" }
diagnosis:
  - id: processes
    uses: pm2.status
  - id: tools
    run: frobnicate-cli --check && ls /
  - id: remote
    on: web-1
    run: systemctl status api
  - id: later
    uses: http.get
    with: { url: "\${{ steps.health.outputs.json.next }}" }
`;

interface Report {
  ok: boolean;
  requirements: Array<{
    kind: string;
    name: string;
    ok: boolean;
    detail: string;
    fix?: string;
    steps: string[];
  }>;
}

describe('runbook doctor and runbook adapters', () => {
  const dir = tempDir();
  let server: TestServer;
  let closedPort = 0;

  beforeAll(async () => {
    server = await startServer((_request, response) => response.end('ok'));
    const closed = await startServer(() => undefined);
    closedPort = Number(new URL(closed.url).port);
    await closed.close();
    mkdirSync(join(dir.path, 'runbooks/x'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/x/needs-things.yaml'), RUNBOOK);
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      `hosts:\n  web-1: { host: 127.0.0.1, port: ${closedPort} }\n`,
    );
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('names each missing thing and how to fix it, and exits 1', async () => {
    const result = await runCli(['doctor', 'needs-things', '--json'], {
      cwd: dir.path,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    const find = (name: string) => report.requirements.find((r) => r.name === name);
    expect(report.requirements.map((r) => [r.kind, r.name, r.ok, r.steps])).toEqual([
      ['variable', 'token', false, ['vars']],
      ['binary', 'http adapter', true, ['health', 'later']],
      ['target', 'http://127.0.0.1:9/health', false, ['health']],
      ['binary', 'pm2', false, ['processes']],
      ['binary', 'sh', true, ['tools']],
      ['binary', 'frobnicate-cli', false, ['tools']],
      ['binary', 'ls', true, ['tools']],
      ['host', 'web-1', false, ['remote']],
    ]);
    expect(report.ok).toBe(false);
    expect(find('token')).toMatchObject({
      kind: 'variable',
      ok: false,
      fix: 'pass --var token=… or $NEEDS_TOKEN',
    });
    expect(find('pm2')).toMatchObject({
      kind: 'binary',
      ok: false,
      detail: 'pm2 is not on PATH',
      steps: ['processes'],
    });
    expect(find('frobnicate-cli')).toMatchObject({
      kind: 'binary',
      ok: false,
      fix: 'install frobnicate-cli, or put it on PATH',
    });
    expect(find('ls')).toMatchObject({ kind: 'binary', ok: true });
    expect(find('web-1')).toMatchObject({
      kind: 'host',
      ok: false,
      detail: `127.0.0.1:${closedPort} refused the connection`,
    });
    expect(find('http://127.0.0.1:9/health')).toMatchObject({ kind: 'target', ok: false });
    // A target built from an earlier step's outputs can only be known during a run: `later` needs
    // only the http adapter, above.
  });

  it('passes when everything is there', async () => {
    const ok = tempDir();
    mkdirSync(join(ok.path, 'runbooks'), { recursive: true });
    writeFileSync(
      join(ok.path, 'runbooks/fine.yaml'),
      `id: fine\ntitle: Fine\nvars:\n  url: { required: true }\ndiagnosis:\n  - id: get\n    uses: http.get\n    with: { url: "\${{ vars.url }}" }\n  - id: list\n    run: ls /\n`,
    );
    const result = await runCli(['doctor', 'fine', '--var', `url=${server.url}/x`], {
      cwd: ok.path,
    });
    ok.remove();
    expect(result.stdout).toContain('✓ everything this runbook needs is here');
    expect(result.stdout).toMatch(
      /✓ http:\/\/127\.0\.0\.1:\d+\/x {2}127\.0\.0\.1:\d+ accepts connections/,
    );
    expect(result.code).toBe(0);
  });

  it('adapters --json lists every built-in adapter with its actions, effects and whether its program is here', async () => {
    const result = await runCli(['adapters', '--json'], {
      env: { PATH: `${join(process.cwd(), 'node_modules/.bin')}:/usr/bin:/bin` },
    });
    expect(result.code).toBe(0);
    const adapters = JSON.parse(result.stdout) as Array<{
      name: string;
      found: boolean;
      version: string | null;
      actions: Array<{ name: string; effect: string }>;
    }>;
    expect(adapters.map((a) => a.name).sort()).toEqual([
      'curl',
      'docker',
      'http',
      'nginx',
      'notify',
      'pm2',
      'prometheus',
      'psql',
      'shell',
      'systemd',
      'wrangler',
    ]);
    const byName = new Map(adapters.map((a) => [a.name, a]));
    expect(byName.get('pm2')).toMatchObject({ found: true, version: '7.0.4' });
    expect(byName.get('wrangler')?.found).toBe(true);
    expect(byName.get('psql')?.version).toMatch(/15\./);
    expect(byName.get('psql')?.actions).toContainEqual(
      expect.objectContaining({ name: 'psql.terminate', effect: 'destructive' }),
    );
    expect(byName.get('prometheus')).toMatchObject({
      found: true,
      actions: [
        expect.objectContaining({ name: 'prometheus.query', effect: 'read' }),
        expect.objectContaining({ name: 'prometheus.range', effect: 'read' }),
      ],
    });
    const text = await runCli(['adapters']);
    expect(text.stdout).toMatch(/docker.system_prune\s+destructive/);
  });
});
