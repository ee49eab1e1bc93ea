import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingContext } from '../../../test/helpers/recorded-exec.js';
import { pm2 } from './index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/pm2');
/** Recorded from pm2 7.0.4; the apps were started with API_TOKEN=fixture-secret-token in their
 * environment. */
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const SECRET = 'fixture-secret-token';

function input(action: keyof typeof pm2.actions, value: unknown): unknown {
  return pm2.actions[action].input.parse(value);
}

function describeAction(action: keyof typeof pm2.actions, value: unknown): string {
  return pm2.actions[action].describe(input(action, value));
}

/** The context of the actions below: processes recorded, answered with pm2's recorded output. */
const CONTEXT = { cwd: ROOT };

describe('pm2 commands', () => {
  it('describes the exact command line of every action', () => {
    expect(describeAction('status', {})).toBe('pm2 jlist');
    expect(describeAction('status', { app: 'api', pm2_home: '/srv/my pm2' })).toBe(
      "PM2_HOME='/srv/my pm2' pm2 jlist",
    );
    expect(describeAction('describe', { app: 'api' })).toBe('pm2 jlist');
    expect(describeAction('restart', { app: 'api' })).toBe('pm2 restart api');
    expect(describeAction('restart', { app: 0, update_env: true })).toBe(
      'pm2 restart 0 --update-env',
    );
    expect(describeAction('reload', { app: 'api' })).toBe('pm2 reload api');
    expect(describeAction('scale', { app: 'api', instances: 4 })).toBe('pm2 scale api 4');
    expect(describeAction('scale', { app: 'api', instances: '+2' })).toBe('pm2 scale api +2');
    expect(describeAction('stop', { app: 'api' })).toBe('pm2 stop api');
    expect(describeAction('delete', { app: 'my app' })).toBe("pm2 delete 'my app'");
    expect(describeAction('logs', { app: 'api' })).toBe('pm2 logs api --nostream --lines 100');
    expect(describeAction('logs', { app: 'api', lines: '50', stream: 'err' })).toBe(
      'pm2 logs api --nostream --lines 50 --err',
    );
    expect(describeAction('start', { ecosystem: 'ecosystem.config.js', only: 'api' })).toBe(
      'pm2 start ecosystem.config.js --only api',
    );
    expect(
      describeAction('start', {
        script: 'dist/server.js',
        name: 'api',
        instances: 'max',
        max_memory_restart: '300M',
        max_restarts: 5,
        env: { PORT: '3000', NODE_ENV: 'production' },
      }),
    ).toBe(
      'PORT=… NODE_ENV=… pm2 start dist/server.js --name api --instances max --max-memory-restart 300M --max-restarts 5',
    );
  });

  it('declares what each action does to the world', () => {
    expect(
      Object.fromEntries(Object.entries(pm2.actions).map(([name, a]) => [name, a.effect])),
    ).toEqual({
      status: 'read',
      describe: 'read',
      restart: 'write',
      reload: 'write',
      scale: 'write',
      start: 'write',
      stop: 'write',
      delete: 'destructive',
      logs: 'read',
    });
  });

  it('rejects inputs pm2 would misread', () => {
    const problems = (action: keyof typeof pm2.actions, value: unknown): string[] => {
      const result = pm2.actions[action].input.safeParse(value);
      return result.success
        ? []
        : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(problems('restart', { app: '--help' })).toEqual(['app: an app cannot start with "-"']);
    expect(problems('restart', { app: 'api\n--help' })).toEqual([
      'app: an app cannot contain a line break or NUL character',
    ]);
    expect(problems('restart', {})).toHaveLength(1);
    expect(problems('start', { name: 'api' })).toEqual([
      ': give either ecosystem or script (with name)',
    ]);
    expect(problems('start', { script: 'a.js' })).toEqual(['name: script needs a name']);
    expect(problems('start', { ecosystem: 'e.js', script: 'a.js', name: 'a' })).toEqual([
      ': give either ecosystem or script (with name)',
    ]);
    expect(problems('start', { script: 'a.js', name: 'a', only: 'b' })).toEqual([
      'only: only goes with ecosystem',
    ]);
    expect(problems('start', { script: 'a.js', name: 'a', env: { 'BAD NAME': 'x' } })).toHaveLength(
      1,
    );
    expect(problems('scale', { app: 'api', instances: 0 })).toHaveLength(1);
    expect(problems('logs', { app: 'api', lines: 0 })).toHaveLength(1);
    expect(problems('status', { app: 'api', extra: true })).toHaveLength(1);
  });
});

describe('pm2 actions on recorded output', () => {
  it('status withholds the raw jlist output, which carries the apps environment', async () => {
    const { ctx, recorder } = recordingContext([{ stdout: fixture('jlist.txt') }], CONTEXT);
    const outcome = await pm2.actions.status.run(
      input('status', { app: 'web', pm2_home: '/srv/pm2' }),
      ctx,
    );
    expect(recorder.calls()).toEqual([
      { file: 'pm2', args: ['jlist'], env: { PM2_HOME: '/srv/pm2' } },
    ]);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ count: 2, online: 2, status: 'online' });
    expect(outcome.outputs).not.toHaveProperty('stdout');
    expect(outcome.outputs).not.toHaveProperty('json');
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
  });

  it('restart reports pm2 own message when the app is unknown', async () => {
    const { ctx, recorder } = recordingContext(
      [
        { stdout: fixture('jlist.txt') },
        {
          exitCode: 1,
          stdout: fixture('restart-unknown.stdout.txt'),
          stderr: fixture('restart-unknown.stderr.txt'),
        },
      ],
      CONTEXT,
    );
    const outcome = await pm2.actions.restart.run(input('restart', { app: 'nosuch' }), ctx);
    expect(recorder.calls()).toEqual([
      { file: 'pm2', args: ['jlist'] },
      { file: 'pm2', args: ['restart', 'nosuch'] },
    ]);
    expect(outcome).toMatchObject({
      ok: false,
      exitCode: 1,
      error: 'pm2 restart: Process or Namespace nosuch not found',
    });
    expect(outcome.outputs.stderr).toBe('[PM2][ERROR] Process or Namespace nosuch not found');
  });

  it('start passes the app environment through the environment, not argv', async () => {
    const { ctx, recorder } = recordingContext(
      [{ stdout: 'started' }, { stdout: fixture('jlist.txt') }],
      CONTEXT,
    );
    const outcome = await pm2.actions.start.run(
      input('start', { script: 'app.js', name: 'web', env: { API_TOKEN: SECRET } }),
      ctx,
    );
    expect(recorder.calls()).toEqual([
      { file: 'pm2', args: ['start', 'app.js', '--name', 'web'], env: { API_TOKEN: SECRET } },
      { file: 'pm2', args: ['jlist'] },
    ]);
    expect(outcome.outputs).toMatchObject({ count: 2, status: 'online' });
  });

  it('logs fails when pm2 has no log file for the app (pm2 itself exits 0)', async () => {
    const { ctx } = recordingContext(
      [{ stdout: '[TAILING] Tailing last 100 lines for [nosuch] process\n' }],
      CONTEXT,
    );
    const outcome = await pm2.actions.logs.run(input('logs', { app: 'nosuch' }), ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBe(
      'pm2 logs: no log files for nosuch (no such app, or its logs go to /dev/null)',
    );
  });
});

describe('pm2 preflight', () => {
  it('reads the version from the package, without starting a pm2 daemon', async () => {
    const home = mkdtempSync(join(tmpdir(), 'runbook-pm2-preflight-'));
    try {
      const result = await pm2.preflight({
        env: { PATH: join(ROOT, 'node_modules/.bin'), PM2_HOME: home, HOME: home },
      });
      expect(result).toEqual({
        ok: true,
        binary: 'pm2',
        path: join(ROOT, 'node_modules/.bin/pm2'),
        version: '7.0.4',
      });
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says how to install pm2 when it is missing', async () => {
    const result = await pm2.preflight({ env: { PATH: '/nonexistent' } });
    expect(result).toEqual({
      ok: false,
      binary: 'pm2',
      problem: 'pm2 is not on PATH',
      hint: 'install pm2: npm install -g pm2',
    });
  });
});
