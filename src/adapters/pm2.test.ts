import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionContext, ProcessRequest, ProcessResult } from './adapter.js';
import {
  appStatus,
  matchesApp,
  parseJlist,
  parseLogs,
  pm2,
  pm2Message,
  processOutputs,
  summarize,
  type Pm2Process,
} from './pm2.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/pm2');
/** Recorded from pm2 7.0.4: `web` in cluster mode (2), `worker` stopped, `crashy` errored.
 * The apps were started with API_TOKEN=fixture-secret-token in their environment. */
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const SECRET = 'fixture-secret-token';
/** 65 s after `web` 0 was started. */
const RECORDED_AT = 1795444271841 + 65_000;

function input(action: keyof typeof pm2.actions, value: unknown): unknown {
  return pm2.actions[action].input.parse(value);
}

function describeAction(action: keyof typeof pm2.actions, value: unknown): string {
  return pm2.actions[action].describe(input(action, value));
}

/** A context whose processes answer with recorded output, in order. */
function recorded(results: Array<Partial<ProcessResult>>): {
  ctx: ActionContext;
  requests: ProcessRequest[];
} {
  const requests: ProcessRequest[] = [];
  const ctx: ActionContext = {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: {},
    cwd: ROOT,
    host: undefined,
    exec: (request) => {
      requests.push(request);
      const result = results.shift() ?? {};
      return Promise.resolve({
        exitCode: 0,
        signal: undefined,
        stdout: '',
        stderr: '',
        durationMs: 1,
        timedOut: false,
        interrupted: false,
        error: undefined,
        ...result,
      });
    },
  };
  return { ctx, requests };
}

describe('pm2 jlist parsing', () => {
  it('reads the JSON after the banner pm2 prints when it spawns its daemon', () => {
    const spawning = fixture('jlist-spawning-daemon.txt');
    expect(spawning).toContain('Spawning PM2 daemon');
    expect(parseJlist(spawning)).toEqual([]);
    const banner = spawning.slice(0, spawning.lastIndexOf('[]'));
    expect(parseJlist(`${banner}${fixture('jlist.txt')}`)).toHaveLength(4);
  });

  it('reports each process with state and resources, never its environment', () => {
    const processes = summarize(parseJlist(fixture('jlist.txt')), RECORDED_AT);
    expect(processes.map((p) => [p.pm_id, p.name, p.status, p.instances, p.exec_mode])).toEqual([
      [0, 'web', 'online', 2, 'cluster_mode'],
      [1, 'web', 'online', 2, 'cluster_mode'],
      [2, 'worker', 'stopped', 1, 'fork_mode'],
      [3, 'crashy', 'errored', 1, 'fork_mode'],
    ]);
    expect(processes[0]).toEqual({
      name: 'web',
      pm_id: 0,
      namespace: 'default',
      status: 'online',
      pid: 8568,
      cpu: 1.3,
      memory: 54833152,
      restarts: 0,
      unstable_restarts: 0,
      uptime_s: 65,
      exec_mode: 'cluster_mode',
      instances: 2,
    });
    expect(processes[2]).toMatchObject({ pid: 0, memory: 0, uptime_s: 0 });
    expect(processes[3]).toMatchObject({ status: 'errored', restarts: 1, pid: 0 });
    expect(fixture('jlist.txt')).toContain(SECRET);
    expect(JSON.stringify(processes)).not.toContain(SECRET);
  });

  it('fails without quoting the output, which holds every app environment', () => {
    expect(() => parseJlist('[PM2] Spawning PM2 daemon\n')).toThrow(
      'pm2 jlist printed no process list',
    );
    expect(() => parseJlist(`[{"name":"web","env":{"API_TOKEN":"${SECRET}"`)).toThrow(
      /^pm2 jlist printed a process list that is not valid JSON$/,
    );
    expect(() => parseJlist('[{"name":"web"}]')).toThrow('unexpected pm2 jlist entry: 0.pm_id');
  });
});

describe('pm2 app selection and status', () => {
  const processes = summarize(parseJlist(fixture('jlist.txt')), RECORDED_AT);
  const pick = (app: string): Pm2Process[] => processes.filter((p) => matchesApp(p, app));

  it('selects by name, pm_id, namespace or "all", as pm2 does', () => {
    expect(pick('web').map((p) => p.pm_id)).toEqual([0, 1]);
    expect(pick('3').map((p) => p.name)).toEqual(['crashy']);
    expect(pick('all')).toHaveLength(4);
    expect(pick('default')).toHaveLength(4);
    expect(pick('nosuch')).toEqual([]);
  });

  it('gives an app "online" only when every process is, and "missing" when pm2 has none', () => {
    expect(appStatus(pick('web'))).toBe('online');
    expect(appStatus(pick('worker'))).toBe('stopped');
    expect(appStatus(pick('all'))).toBe('stopped');
    expect(appStatus([])).toBe('missing');
    expect(processOutputs(pick('web'), 'web')).toMatchObject({
      count: 2,
      online: 2,
      pids: [8568, 8575],
      status: 'online',
    });
    expect(processOutputs(processes, undefined)).not.toHaveProperty('status');
    expect(processOutputs(processes, undefined)).toMatchObject({ count: 4, online: 2 });
  });
});

describe('pm2 messages and logs', () => {
  it("takes pm2's own message from a failed command", () => {
    expect(
      pm2Message(fixture('restart-unknown.stderr.txt'), fixture('restart-unknown.stdout.txt')),
    ).toBe('Process or Namespace nosuch not found');
    expect(pm2Message('', '[PM2][WARN] nosuch doesn’t exist')).toBe('nosuch doesn’t exist');
    expect(pm2Message('something else', '')).toBeUndefined();
  });

  it('reads the lines of each log file with the process they came from', () => {
    const web = parseLogs(fixture('logs-web.txt'));
    expect(web.files.map((file) => file.replace(/^.*\//, ''))).toEqual([
      'web-error-0.log',
      'web-out-0.log',
      'web-error-1.log',
      'web-out-1.log',
    ]);
    expect(web.entries.map(({ pm_id, app, text }) => ({ pm_id, app, text }))).toEqual([
      { pm_id: 0, app: 'web', text: 'listening 45701' },
      { pm_id: 1, app: 'web', text: 'listening 45701' },
    ]);
    expect(web.entries[0]?.file).toMatch(/\/logs\/web-out-0\.log$/);
    const crashy = parseLogs(fixture('logs-crashy.txt'));
    expect(crashy.entries.map((entry) => entry.text)).toEqual(['boom', 'boom']);
    expect(crashy.entries[0]?.file).toMatch(/crashy-error\.log$/);
    expect(parseLogs('[TAILING] Tailing last 5 lines for [nosuch] process\n')).toEqual({
      files: [],
      entries: [],
    });
    expect(parseLogs('/l/a-out-0.log last 2 lines:\n0|a-name-longer-than-ten | x | y\n')).toEqual({
      files: ['/l/a-out-0.log'],
      entries: [{ pm_id: 0, app: 'a-name-longer-than-ten', file: '/l/a-out-0.log', text: 'x | y' }],
    });
  });
});

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
    const { ctx, requests } = recorded([{ stdout: fixture('jlist.txt') }]);
    const outcome = await pm2.actions.status.run(
      input('status', { app: 'web', pm2_home: '/srv/pm2' }),
      ctx,
    );
    expect(requests).toEqual([{ file: 'pm2', args: ['jlist'], env: { PM2_HOME: '/srv/pm2' } }]);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ count: 2, online: 2, status: 'online' });
    expect(outcome.outputs).not.toHaveProperty('stdout');
    expect(outcome.outputs).not.toHaveProperty('json');
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
  });

  it('restart reports pm2 own message when the app is unknown', async () => {
    const { ctx, requests } = recorded([
      { stdout: fixture('jlist.txt') },
      {
        exitCode: 1,
        stdout: fixture('restart-unknown.stdout.txt'),
        stderr: fixture('restart-unknown.stderr.txt'),
      },
    ]);
    const outcome = await pm2.actions.restart.run(input('restart', { app: 'nosuch' }), ctx);
    expect(requests.map((r) => r.args)).toEqual([['jlist'], ['restart', 'nosuch']]);
    expect(outcome).toMatchObject({
      ok: false,
      exitCode: 1,
      error: 'pm2 restart: Process or Namespace nosuch not found',
    });
    expect(outcome.outputs.stderr).toBe('[PM2][ERROR] Process or Namespace nosuch not found');
  });

  it('start passes the app environment through the environment, not argv', async () => {
    const { ctx, requests } = recorded([{ stdout: 'started' }, { stdout: fixture('jlist.txt') }]);
    const outcome = await pm2.actions.start.run(
      input('start', { script: 'app.js', name: 'web', env: { API_TOKEN: SECRET } }),
      ctx,
    );
    expect(requests[0]).toEqual({
      file: 'pm2',
      args: ['start', 'app.js', '--name', 'web'],
      env: { API_TOKEN: SECRET },
    });
    expect(outcome.outputs).toMatchObject({ count: 2, status: 'online' });
  });

  it('logs fails when pm2 has no log file for the app (pm2 itself exits 0)', async () => {
    const { ctx } = recorded([
      { stdout: '[TAILING] Tailing last 100 lines for [nosuch] process\n' },
    ]);
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
