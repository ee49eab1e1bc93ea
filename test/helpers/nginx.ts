import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { requireInstalled, tempDir } from './cli.js';
import { freePort } from './ports.js';

/** Debian's nginx package; CI installs it. */
export const NGINX = '/usr/sbin/nginx';

export interface NginxFixture {
  dir: string;
  port: number;
  url: string;
  config: string;
  errorLog: string;
  pidFile: string;
  /** The `with:` of nginx.test / nginx.reload for this instance. */
  control: { binary: string; prefix: string; config: string; error_log: string };
  writeConfig(text: string): void;
  /** Stops nginx (and waits for its pid file to go), then removes the directory. */
  close(): Promise<void>;
}

/** The parts of a throwaway nginx config that keep every file inside `dir`. */
export function baseConfig(dir: string, serverBlock: string, httpExtra = ''): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${httpExtra}
  server {
${serverBlock}
  }
}
`;
}

/**
 * A real nginx on 127.0.0.1 and a free port, its pid file, logs and temp paths in a temp dir.
 * It runs with `daemon off;` so that it stays this process's child; workers run as nobody, so
 * the directory and the files it serves are world-readable.
 */
export async function startNginx(
  config: (dir: string, port: number) => string,
  files: Record<string, string> = {},
): Promise<NginxFixture> {
  requireInstalled(NGINX, 'nginx', 'apt-get install -y nginx');
  const temp = tempDir('runbook-nginx-');
  const dir = temp.path;
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'tmp'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, path), content, { mode: 0o644 });
  }
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  const pidFile = join(dir, 'nginx.pid');
  writeFileSync(configPath, config(dir, port));
  const child = spawn(NGINX, ['-p', dir, '-c', configPath, '-e', errorLog, '-g', 'daemon off;'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const close = async (): Promise<void> => {
    await stop(child, exited, pidFile);
    temp.remove();
  };
  try {
    await waitFor(
      async () => existsSync(pidFile) && (await accepts(port)),
      5000,
      () => `nginx did not start: ${stderr.trim() || 'no output'}`,
      () => child.exitCode !== null,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    config: configPath,
    errorLog,
    pidFile,
    control: { binary: NGINX, prefix: dir, config: configPath, error_log: errorLog },
    writeConfig: (text) => writeFileSync(configPath, text),
    close,
  };
}

/** Fast shutdown, then waits for nginx to remove its pid file (`kill -0` lies about zombies). */
async function stop(child: ChildProcess, exited: Promise<void>, pidFile: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
    ]);
    if (!gone && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
    }
  }
  await waitFor(
    () => Promise.resolve(!existsSync(pidFile)),
    3000,
    () => 'pid file left',
  ).catch(() => undefined);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: () => string,
  abort: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (abort()) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(message());
}
