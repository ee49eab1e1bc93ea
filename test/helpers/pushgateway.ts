import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { requireInstalled, tempDir } from './cli.js';
import { freePort } from './ports.js';

/** Debian's prometheus-pushgateway package; scripts/test-deps.sh installs it. */
export const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

export interface PushgatewayFixture {
  /** Its base URL, http://127.0.0.1:PORT. */
  url: string;
  /** host:port, for a scrape target. */
  target: string;
  /** The server's log so far (stderr), for failure messages. */
  log(): string;
  close(): Promise<void>;
}

/** A real Pushgateway on 127.0.0.1 and a free port, persisting what is pushed in its own temp dir;
 * resolved once it answers /-/ready. */
export async function startPushgateway(): Promise<PushgatewayFixture> {
  requireInstalled(PUSHGATEWAY, 'prometheus-pushgateway', 'apt-get install prometheus-pushgateway');
  const dir = tempDir('runbook-pushgateway-');
  const port = await freePort();
  const target = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PUSHGATEWAY,
    // Debian's build persists to /var/lib/prometheus by default: this one keeps its own.
    [
      `--web.listen-address=${target}`,
      `--persistence.file=${join(dir.path, 'pushgateway.data')}`,
      '--log.level=warn',
    ],
    { cwd: dir.path, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://${target}`;
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    dir.remove();
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`prometheus-pushgateway exited:\n${log}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus-pushgateway did not answer /-/ready within 30 s:\n${log}`);
    }
    // Each answer is awaited before the next question: the pause only spaces out the polls.
    await new Promise((next) => setTimeout(next, 100));
  }
  return { url, target, log: () => log, close };
}
