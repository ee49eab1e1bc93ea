import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { timeoutSignal } from '../../src/common/abort.js';

/** The pm2 the project tests against (a dev dependency). */
export const PM2_BIN_DIR = join(ROOT, 'node_modules/.bin');
export const PM2_BIN = join(PM2_BIN_DIR, 'pm2');

/** A tiny HTTP app: answers /health on 127.0.0.1:$PORT with its pid, logs every request. */
const APP = `const http = require('node:http');
const port = Number(process.env.PORT);
const server = http.createServer((request, response) => {
  console.log(request.method + ' ' + request.url);
  if (request.url.startsWith('/health')) {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ ok: true, pid: process.pid }));
    return;
  }
  response.statusCode = 404;
  response.end();
});
server.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;

/** Exits at once, every time: pm2 restarts it until max_restarts, then marks it errored. */
const CRASH = `console.error('boom');
process.exit(3);
`;

export interface Pm2Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A private pm2 world: its own PM2_HOME in a temp dir, the apps beside it. */
export interface Pm2Fixture {
  home: string;
  /** PATH (pm2's directory first), HOME and PM2_HOME: what runbooks and actions get. */
  env: Record<string, string>;
  appScript: string;
  crashScript: string;
  /** Runs the real pm2 CLI in this PM2_HOME. */
  pm2(args: string[], extraEnv?: Record<string, string>): Promise<Pm2Result>;
  /** Kills the daemon (only if one runs here), removes the dir, and returns whatever of it is
   * still running: `ps` lines for the God Daemon or apps of this PM2_HOME (an empty list is clean). */
  close(): Promise<string[]>;
}

export function startPm2Fixture(): Pm2Fixture {
  const home = mkdtempSync(join(tmpdir(), 'runbook-pm2-'));
  const appScript = join(home, 'app.js');
  const crashScript = join(home, 'crash.js');
  writeFileSync(appScript, APP);
  writeFileSync(crashScript, CRASH);
  const env = {
    PATH: `${PM2_BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    PM2_HOME: home,
  };
  const pm2 = (args: string[], extraEnv: Record<string, string> = {}): Promise<Pm2Result> =>
    new Promise((done) => {
      execFile(
        PM2_BIN,
        args,
        { env: { ...env, ...extraEnv }, timeout: 30_000, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  const close = async (): Promise<string[]> => {
    const pidFile = join(home, 'pm2.pid');
    let apps: number[] = [];
    // `pm2 kill` with no daemon running would first spawn one.
    if (existsSync(pidFile)) {
      const daemon = Number(readFileSync(pidFile, 'utf8').trim());
      apps = appPids((await pm2(['jlist'])).stdout);
      await pm2(['kill']);
      if ((await leftovers(home, apps)).length > 0) signal(daemon, 'SIGKILL');
    }
    let left = await leftovers(home, apps);
    for (let waited = 0; left.length > 0 && waited < 5000; waited += 100) {
      await sleep(100);
      left = await leftovers(home, apps);
    }
    // Whatever is left is this fixture's own: kill it by pid.
    for (const line of left) signal(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
    return left;
  };
  return { home, env, appScript, crashScript, pm2, close };
}

/** The pids of the apps in `pm2 jlist` output (its last line is the JSON). */
function appPids(jlist: string): number[] {
  try {
    const list = JSON.parse(jlist.trim().split('\n').at(-1) ?? '[]') as Array<{ pid?: unknown }>;
    return list
      .map((app) => app.pid)
      .filter((pid): pid is number => typeof pid === 'number' && pid > 0);
  } catch {
    return [];
  }
}

/** Live (not zombie) processes of this PM2_HOME: the daemon ("PM2 v7.0.4: God Daemon (<home>)"),
 * cluster workers ("node <home>/app.js") and the apps pm2 listed (fork mode names no path). */
async function leftovers(home: string, apps: readonly number[]): Promise<string[]> {
  const ps = await new Promise<string>((done, fail) =>
    execFile('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' }, (error, stdout) =>
      error ? fail(error) : done(stdout),
    ),
  );
  return ps.split('\n').filter((line) => {
    const [pid, stat] = line.trim().split(/\s+/);
    if (stat === undefined || stat.startsWith('Z')) return false;
    return line.includes(home) || apps.includes(Number(pid));
  });
}

function signal(pid: number, name: NodeJS.Signals): void {
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** A port free on 127.0.0.1 right now. */
/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/** The app's /health answer once it gives one. */
export function waitForHealth(port: number, timeoutMs?: number): Promise<{ pid: number }> {
  return waitFor(
    `http://127.0.0.1:${port}/health`,
    async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`, {
          signal: timeoutSignal(2000),
        });
        return response.ok ? ((await response.json()) as { pid: number }) : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );
}
