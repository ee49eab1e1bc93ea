import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runBin, startServer, tempDir, type TestServer } from '../helpers/cli.js';

/** `runbook check` run twice at once, as monitoring does when a check outlasts its interval: real
 * processes of bin/runbook.js, one holding the selection's lock while another asks for it, and one
 * killed outright with its lock left behind. */

let server: TestServer;
const dir = tempDir('check-overlap-');
const runbooks = join(dir.path, 'runbooks');
const state = join(dir.path, 'state');

function runbook(name: string, body: string): void {
  writeFileSync(join(runbooks, `${name}.yaml`), body);
}

beforeAll(async () => {
  server = await startServer(
    (_request, response) => void response.writeHead(200).end('{"ok":true}'),
  );
  mkdirSync(runbooks, { recursive: true });
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
  // A check that runs until the test releases it: what "still running" means, with no clock.
  runbook(
    'held',
    `id: held
title: Runs until released
detection:
  checks:
    - id: wait
      run: 'touch "$HELD_STARTED"; while [ ! -e "$HELD_RELEASE" ]; do sleep 0.02; done; echo released'
      effect: read
      timeout: 5m
`,
  );
});

afterAll(async () => {
  await server.close();
  dir.remove();
});

const env = (): Record<string, string> => ({ RUNBOOK_STATE_DIR: state });

describe('overlapping invocations', () => {
  let held = 0;
  /** Files that say a `held` check has started, and let it finish. */
  const holdFiles = (): { started: string; release: string; env: Record<string, string> } => {
    held++;
    const started = join(dir.path, `held-started-${held}`);
    const release = join(dir.path, `held-release-${held}`);
    return { started, release, env: { ...env(), HELD_STARTED: started, HELD_RELEASE: release } };
  };

  it('a second check of the same selection exits 3 while the first runs; others go on', async () => {
    const hold = holdFiles();
    const first = runBin(['check', '--dir', runbooks, 'held', '--timeout', '5m'], {
      env: hold.env,
      timeoutMs: 300_000,
    });
    await waitFor(() => existsSync(hold.started));
    expect(lockFiles()).toHaveLength(1);
    const second = await runBin(['check', '--dir', runbooks, 'held'], { env: hold.env });
    expect(second.code).toBe(3);
    expect(second.stdout).toMatch(/^RUNBOOK UNKNOWN - previous check still running \(pid \d+/);
    const other = await runBin(
      ['check', '--dir', runbooks, 'quick', '--var', `base_url=${server.url}`],
      { env: env() },
    );
    expect(other.code).toBe(0);
    writeFileSync(hold.release, '');
    const done = await first;
    expect(done.stdout).toMatch(/^RUNBOOK OK - /);
    expect(done.code).toBe(0);
    expect(lockFiles()).toHaveLength(0);
  });

  it('the lock of a check that died is taken over', async () => {
    const hold = holdFiles();
    const child = spawn(process.execPath, [BIN, 'check', '--dir', runbooks, 'held', 'toolless'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...hold.env },
      stdio: 'ignore',
    });
    await waitFor(() => existsSync(hold.started));
    child.kill('SIGKILL');
    await new Promise((done) => child.on('close', done));
    expect(lockFiles()).toHaveLength(1);
    writeFileSync(hold.release, '');
    const result = await runBin(['check', '--dir', runbooks, 'toolless', 'held'], {
      env: hold.env,
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^OK held\/wait/m);
    expect(result.stderr).toMatch(/^warning: took over the lock of a previous check \(pid \d+/);
    expect(lockFiles()).toHaveLength(0);
  });
});

function lockFiles(): string[] {
  const locks = join(state, 'locks');
  return existsSync(locks) ? readdirSync(locks).filter((f) => f.startsWith('check-')) : [];
}

/** Waits for something the process under test does; the bound is only against a hang. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2400 && !condition(); i++) await new Promise((done) => setTimeout(done, 25));
  expect(condition()).toBe(true);
}
