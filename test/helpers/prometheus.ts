import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireInstalled, startServer, tempDir, type TestServer } from './cli.js';
import { freePort } from './ports.js';

/** Debian's prometheus package; scripts/test-deps.sh installs it. */
export const PROMETHEUS = '/usr/bin/prometheus';

/** The user and password of the fixture's basic authentication (`auth: true`), and the bcrypt
 * hash (cost 4) of the password that its web config holds. */
export const BASIC_USER = 'oncall';
export const BASIC_PASSWORD = 's3cret pass';
const BASIC_HASH = '$2b$04$eofgkwc9Yfh9Uf3CKNWugOeBrASV2H6f95EXT067Ksuu3VI5Mk1fG';

export interface PrometheusFixture {
  /** Prometheus's base URL, http://127.0.0.1:PORT. */
  url: string;
  /** The exporter it scrapes every second, its `instance` label. */
  exporter: TestServer;
  instance: string;
  /** The exporter's metrics text, changed by the test (seen after the next scrape). */
  setMetrics(text: string): void;
  /** Polls the API (as the fixture's user when it has auth) until `query` gives `value`, within
   * `timeoutMs`; gives the sample's timestamp. */
  waitFor(query: string, value: string, timeoutMs?: number): Promise<number>;
  /** The server's log so far (stderr), for failure messages. */
  log(): string;
  close(): Promise<void>;
}

/**
 * A real Prometheus on 127.0.0.1 and a free port, its storage in a temp dir, scraping an exporter
 * the fixture starts (a Node HTTP server serving `metrics`) every second as job `exporter`, and
 * itself as job `prometheus` (as docs/adapters.md#prometheus's example has it). With
 * `auth`, the API asks for basic authentication (BASIC_USER, BASIC_PASSWORD).
 */
export async function startPrometheus(
  metrics: string,
  options: {
    auth?: boolean;
    /** Also scrape this target (host:port) every second as job `pushgateway`, keeping the job
     * and instance labels of what was pushed (`honor_labels`), as a Pushgateway is scraped. */
    pushgateway?: string;
  } = {},
): Promise<PrometheusFixture> {
  requireInstalled(PROMETHEUS, 'prometheus', 'apt-get install prometheus');
  let body = metrics;
  const exporter = await startServer((request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  const instance = exporter.url.replace('http://', '');
  const dir = tempDir('runbook-prometheus-');
  const port = await freePort();
  const config = join(dir.path, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ['${instance}']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${port}']
${options.auth ? `    basic_auth: { username: ${BASIC_USER}, password: '${BASIC_PASSWORD}' }\n` : ''}${
      options.pushgateway
        ? `  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['${options.pushgateway}']\n`
        : ''
    }`,
  );
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  if (options.auth) {
    const web = join(dir.path, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  ${BASIC_USER}: '${BASIC_HASH}'\n`);
    args.push(`--web.config.file=${web}`);
  }
  const child: ChildProcess = spawn(PROMETHEUS, args, {
    cwd: dir.path,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const authorization = options.auth
    ? `Basic ${Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64')}`
    : undefined;

  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await exporter.close();
    dir.remove();
  };

  const waitFor = async (query: string, value: string, timeoutMs = 60_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${log}`);
      try {
        const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, {
          headers: authorization ? { authorization } : {},
        });
        last = await response.text();
        const answer = JSON.parse(last) as {
          data?: { result?: Array<{ value: [number, string] }> };
        };
        const sample = answer.data?.result?.[0];
        if (sample && sample.value[1] === value) return sample.value[0];
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline)
        throw new Error(
          `${query} did not become ${value} in ${timeoutMs} ms; last: ${last}\n${log}`,
        );
      // Each answer is awaited before the next question: the pause only spaces out the polls.
      await new Promise((next) => setTimeout(next, 100));
    }
  };

  try {
    await waitFor(`up{job="exporter"}`, '1');
    await waitFor(`up{job="prometheus"}`, '1');
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    exporter,
    instance,
    setMetrics: (text) => (body = text),
    waitFor,
    log: () => log,
    close,
  };
}
