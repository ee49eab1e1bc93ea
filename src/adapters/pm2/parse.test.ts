import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appStatus,
  matchesApp,
  parseJlist,
  parseLogs,
  processOutputs,
  summarize,
  type Pm2Process,
} from './parse.js';
import { pm2Message } from './errors.js';

const ROOT = resolve(import.meta.dirname, '../../..');

const FIXTURES = join(ROOT, 'test/fixtures/pm2');

/** Recorded from pm2 7.0.4: `web` in cluster mode (2), `worker` stopped, `crashy` errored.
 * The apps were started with API_TOKEN=fixture-secret-token in their environment. */
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const SECRET = 'fixture-secret-token';

/** 65 s after `web` 0 was started. */
const RECORDED_AT = 1795444271841 + 65_000;

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
