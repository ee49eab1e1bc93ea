import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireInstalled, startServer, tempDir, type TestServer } from './cli.js';
import { freePort } from './ports.js';

/** Debian's prometheus-alertmanager package; scripts/test-deps.sh installs it. */
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

/** An alert as Alertmanager's API (`POST /api/v2/alerts`) takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface AlertmanagerFixture {
  /** Alertmanager's base URL, http://127.0.0.1:PORT. */
  url: string;
  /** Posts alerts to its API, as Prometheus does. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
  /** The next webhook body Alertmanager posts to the receiver (bodies already received first). */
  nextWebhook(timeoutMs?: number): Promise<string>;
  log(): string;
  close(): Promise<void>;
}

/**
 * A real Alertmanager on 127.0.0.1 and a free port (no cluster), its data in a temp dir, routing
 * every alert, grouped by alertname, to a webhook receiver the fixture starts (a Node HTTP server):
 * group_wait is 100ms, so a posted alert reaches the receiver at once.
 */
export async function startAlertmanager(): Promise<AlertmanagerFixture> {
  requireInstalled(ALERTMANAGER, 'alertmanager', 'apt-get install prometheus-alertmanager');
  const bodies: string[] = [];
  const waiting: Array<(body: string) => void> = [];
  const receiver: TestServer = await startServer((_request, response, body) => {
    const next = waiting.shift();
    if (next) next(body);
    else bodies.push(body);
    response.writeHead(200).end();
  });
  const dir = tempDir('runbook-alertmanager-');
  const port = await freePort();
  const config = join(dir.path, 'alertmanager.yml');
  writeFileSync(
    config,
    `route:
  receiver: runbook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: runbook
    webhook_configs:
      - url: '${receiver.url}/alert'
        send_resolved: true
`,
  );
  const child: ChildProcess = spawn(
    ALERTMANAGER,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { cwd: dir.path, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await receiver.close();
    dir.remove();
  };

  // Ready when its API answers; each answer is awaited before the next question.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`alertmanager exited:\n${log}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`alertmanager did not get ready in 30 s:\n${log}`);
    }
    await new Promise((next) => setTimeout(next, 50));
  }

  return {
    url,
    async post(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!response.ok)
        throw new Error(
          `alertmanager refused the alerts: ${response.status} ${await response.text()}`,
        );
    },
    nextWebhook(timeoutMs = 30_000) {
      const ready = bodies.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiting.indexOf(done);
          if (index >= 0) waiting.splice(index, 1);
          reject(new Error(`no webhook from alertmanager in ${timeoutMs} ms:\n${log}`));
        }, timeoutMs);
        const done = (body: string): void => {
          clearTimeout(timer);
          resolve(body);
        };
        waiting.push(done);
      });
    },
    log: () => log,
    close,
  };
}
