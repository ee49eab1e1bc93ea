import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileValues, injectedFiles, runWithValue, type RunStep } from '../../helpers/hostile.js';
import { freePort } from '../../helpers/ports.js';
import { startPm2Fixture, waitForHealth, type Pm2Fixture } from '../../helpers/pm2.js';

/**
 * The hostile values through `--var` as the app of pm2 steps, against a real pm2 running one app:
 * a name pm2 does not know, or refused before pm2 runs (pm2 has no `--` to end its options).
 */

const RUNBOOK = `id: hostile-pm2
title: Hostile values as a pm2 app
vars:
  v: { required: true }
diagnosis:
  - id: restart
    uses: pm2.restart
    with: { app: "\${{ vars.v }}" }
    continue_on_error: true
  - id: logs
    uses: pm2.logs
    with: { app: "\${{ vars.v }}", lines: 5 }
    continue_on_error: true
  - id: stop
    uses: pm2.stop
    with: { app: "\${{ vars.v }}" }
    continue_on_error: true
`;

let fixture: Pm2Fixture;
let port: number;
let pid: number;
const lines: string[] = [];

beforeAll(async () => {
  fixture = startPm2Fixture();
  port = await freePort();
  const started = await fixture.pm2(['start', fixture.appScript, '--name', 'api'], {
    PORT: String(port),
  });
  if (started.code !== 0) throw new Error(started.stderr);
  pid = (await waitForHealth(port)).pid;
  const books = join(fixture.home, 'runbooks');
  mkdirSync(books);
  writeFileSync(join(books, 'hostile-pm2.yaml'), RUNBOOK);
  const values = hostileValues(join(fixture.home, 'injected')).filter((v) => !v.includes('\0'));
  for (const [index, value] of values.entries()) {
    const steps = await runWithValue(books, 'hostile-pm2', value, {
      cwd: fixture.home,
      env: { ...fixture.env, RUNBOOK_STATE_DIR: join(fixture.home, 'state') },
    });
    for (const id of ['restart', 'logs', 'stop'])
      lines.push(`${index + 1} ${id}: ${describeStep(steps.get(id), value)}`);
  }
}, 120_000);

afterAll(async () => {
  expect(await fixture.close()).toEqual([]);
});

function describeStep(step: RunStep | undefined, value: string): string {
  return `${step?.status ?? 'missing'}: ${(step?.reason ?? '').replaceAll(value, '<value>')}`;
}

describe('hostile values as the app of pm2 steps, against a real pm2', () => {
  it('are an app pm2 does not know, or refused', () => {
    expect(lines).toMatchInlineSnapshot(`
      [
        "1 restart: failed: pm2 restart: Process or Namespace <value> not found",
        "1 logs: failed: pm2 logs: no log files for <value> (no such app, or its logs go to /dev/null)",
        "1 stop: failed: pm2 stop: Process or Namespace <value> not found",
        "2 restart: failed: pm2 restart: Process or Namespace <value> not found",
        "2 logs: failed: pm2 logs: no log files for <value> (no such app, or its logs go to /dev/null)",
        "2 stop: failed: pm2 stop: Process or Namespace <value> not found",
        "3 restart: failed: pm2 restart: Process or Namespace <value> not found",
        "3 logs: failed: pm2 logs: no log files for <value> (no such app, or its logs go to /dev/null)",
        "3 stop: failed: pm2 stop: Process or Namespace <value> not found",
        "4 restart: failed: pm2 restart: Process or Namespace <value> not found",
        "4 logs: failed: pm2 logs: no log files for <value> (no such app, or its logs go to /dev/null)",
        "4 stop: failed: pm2 stop: Process or Namespace <value> not found",
        "5 restart: failed: pm2.restart: with.app: an app cannot start with "-" (after templating)",
        "5 logs: failed: pm2.logs: with.app: an app cannot start with "-" (after templating)",
        "5 stop: failed: pm2.stop: with.app: an app cannot start with "-" (after templating)",
        "6 restart: failed: pm2.restart: with.app: an app cannot start with "-" (after templating)",
        "6 logs: failed: pm2.logs: with.app: an app cannot start with "-" (after templating)",
        "6 stop: failed: pm2.stop: with.app: an app cannot start with "-" (after templating)",
        "7 restart: failed: pm2.restart: with.app: an app cannot contain a line break or NUL character (after templating)",
        "7 logs: failed: pm2.logs: with.app: an app cannot contain a line break or NUL character (after templating)",
        "7 stop: failed: pm2.stop: with.app: an app cannot contain a line break or NUL character (after templating)",
      ]
    `);
  });

  it('left the running app alone, and ran no command', async () => {
    expect((await waitForHealth(port)).pid).toBe(pid);
    const list = await fixture.pm2(['jlist']);
    const apps = JSON.parse(list.stdout.trim().split('\n').at(-1) ?? '[]') as Array<{
      name: string;
      pm2_env: { status: string; restart_time: number };
    }>;
    expect(apps.map((app) => [app.name, app.pm2_env.status, app.pm2_env.restart_time])).toEqual([
      ['api', 'online', 0],
    ]);
    expect(injectedFiles(join(fixture.home, 'injected'))).toEqual([]);
  });
});
