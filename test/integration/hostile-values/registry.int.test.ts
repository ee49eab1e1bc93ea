import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configString } from '../../../src/adapters/curl/argv.js';
import { sqlIdentifier, sqlLiteral } from '../../../src/adapters/psql/sql.js';
import { createRegistry } from '../../../src/adapters/registry.js';
import { runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';
import { hostileValues, injectedFiles } from '../../helpers/hostile.js';
import { makeArgvRecorders, type RecordedCall } from '../../helpers/recorders.js';

/**
 * Every input of every built-in action, fed each hostile value through `${{ }}` in a real run.
 * The tools are recorders that keep their exact argv, environment and stdin (sh and printf are
 * real), and HTTP goes to a server here. Each case runs once with a plain placeholder and once per
 * hostile value: a value must either be refused before anything runs, or reach the tool exactly
 * where the placeholder did, as the same argument (or literal, header, environment value…), and
 * never as an option. The other files in this folder feed the values to the real tools.
 */

const registry = await createRegistry().load();
const dir = tempDir('rb-hostile-');
const MARK = join(dir.path, 'injected');
const HOSTILE = hostileValues(MARK);
const PLACEHOLDER = 'PLACEHOLDER_VALUE';
/** Replaced by the test server's URL plus the case's own path. */
const SERVER = '{server}';

const PG_URL = 'postgres://app@127.0.0.1:9/app';
const DOCKER_HOST = 'unix:///tmp/docker.sock';
const WORKER = 'my-worker';
const VERSION = '22222222-2222-4222-8222-222222222222';
const CONTROL = {
  binary: 'nginx',
  config: '/etc/nginx/nginx.conf',
  prefix: '/etc/nginx/',
  error_log: '/var/log/nginx/startup.log',
  global: 'pid /run/nginx.pid;',
};

/**
 * A valid input for each action (several when its inputs exclude each other); every input in it,
 * down to record values and the last item of lists, is templated in turn. A new action without a
 * row here fails the test.
 */
const BASES: Record<string, Array<Record<string, unknown>>> = {
  'curl.get': [
    {
      url: 'http://127.0.0.1:9/x',
      method: 'GET',
      headers: { 'x-v': 'x', authorization: 'x' },
      timeout: '5s',
      fail: true,
      retry: 1,
      retry_delay: '1s',
      insecure: true,
      follow: true,
    },
  ],
  'curl.request': [
    {
      url: 'http://127.0.0.1:9/x',
      method: 'PUT',
      headers: { 'x-v': 'x', 'x-api-key': 'x' },
      data: 'x',
      timeout: '5s',
      fail: true,
      retry: 1,
      retry_delay: '1s',
      insecure: true,
      follow: true,
    },
  ],
  'docker.exec': [
    {
      container: 'web',
      command: ['echo', 'x'],
      user: 'app',
      workdir: '/srv',
      env: { V: 'x' },
      host: DOCKER_HOST,
    },
  ],
  'docker.inspect': [{ container: 'web', host: DOCKER_HOST }],
  'docker.logs': [
    { container: 'web', tail: 10, since: '10m', until: '1m', match: 'x', host: DOCKER_HOST },
  ],
  'docker.ps': [
    { all: true, filter: { name: 'web', label: 'app=web', status: 'running' }, host: DOCKER_HOST },
  ],
  'docker.restart': [{ container: 'web', timeout: '10s', host: DOCKER_HOST }],
  'docker.start': [{ container: 'web', host: DOCKER_HOST }],
  'docker.stats': [{ container: 'web', all: true, host: DOCKER_HOST }],
  'docker.stop': [{ container: 'web', timeout: 5, host: DOCKER_HOST }],
  'docker.system_df': [{ host: DOCKER_HOST }],
  'docker.system_prune': [{ all: true, volumes: false, until: '24h', host: DOCKER_HOST }],
  'http.get': [{ url: SERVER, timeout: '5s', headers: { 'x-v': 'x' }, body: 'x' }],
  'http.head': [{ url: SERVER, timeout: '5s', headers: { 'x-v': 'x' }, body: 'x' }],
  'http.post': [{ url: SERVER, timeout: '5s', headers: { 'x-v': 'x' }, body: 'x' }],
  'nginx.rate_limited': [
    { error_log: '/var/log/nginx/error.log', lines: 100, since: '15m', zone: 'api', recent: 5 },
  ],
  'nginx.reload': [CONTROL],
  'nginx.status': [{ url: 'http://127.0.0.1:9/status', timeout: '2s', headers: { 'x-v': 'x' } }],
  'nginx.test': [CONTROL],
  'prometheus.query': [
    { url: SERVER, query: 'up', time: '5m', timeout: '5s', bearer_token: 'x' },
    { url: SERVER, query: 'up', basic_auth: { username: 'x', password: 'x' } },
  ],
  'prometheus.range': [
    {
      url: SERVER,
      query: 'up',
      start: '1h',
      end: '5m',
      step: '1m',
      timeout: '5s',
      bearer_token: 'x',
    },
    { url: SERVER, query: 'up', start: 0, step: 60, basic_auth: { username: 'x', password: 'x' } },
  ],
  'notify.slack': [
    { webhook_url: SERVER, text: 'x', channel: '#ops', username: 'bot', timeout: '5s' },
  ],
  'notify.webhook': [{ url: SERVER, payload: { k: 'x' }, headers: { 'x-v': 'x' }, timeout: '5s' }],
  'pm2.delete': [{ app: 'api', pm2_home: '/srv/pm2' }],
  'pm2.describe': [{ app: 'api', pm2_home: '/srv/pm2' }],
  'pm2.logs': [{ app: 'api', lines: 10, stream: 'err', pm2_home: '/srv/pm2' }],
  'pm2.reload': [{ app: 'api', update_env: true, pm2_home: '/srv/pm2' }],
  'pm2.restart': [{ app: 'api', update_env: true, pm2_home: '/srv/pm2' }],
  'pm2.scale': [{ app: 'api', instances: 2, pm2_home: '/srv/pm2' }],
  'pm2.start': [
    {
      script: 'app.js',
      name: 'api',
      instances: 2,
      max_memory_restart: '300M',
      max_restarts: 5,
      env: { V: 'x' },
      pm2_home: '/srv/pm2',
    },
    { ecosystem: 'ecosystem.config.js', only: 'api', pm2_home: '/srv/pm2' },
  ],
  'pm2.status': [{ app: 'api', pm2_home: '/srv/pm2' }],
  'pm2.stop': [{ app: 'api', pm2_home: '/srv/pm2' }],
  'psql.connections': [{ url: PG_URL, database: 'app' }],
  'psql.long_running': [
    { url: PG_URL, threshold: '30s', state: 'active', database: 'app', user: 'app', limit: 5 },
  ],
  'psql.query': [
    { sql: "select :'v'", url: PG_URL, params: { v: 'x' }, unsafe_sql_templating: false },
  ],
  'psql.read_only': [{ url: PG_URL, database: 'app', enabled: true }],
  'psql.select': [
    { sql: "select :'v'", url: PG_URL, params: { v: 'x' }, unsafe_sql_templating: false },
  ],
  'psql.terminate': [
    {
      url: PG_URL,
      older_than: '5m',
      age_of: 'query',
      state: 'active',
      database: 'app',
      user: 'app',
      application_name: 'api',
      pids: [1],
      wait: '1s',
    },
  ],
  'shell.run': [
    {
      command: ['sh', '-c', 'printf "%s|%s|" "$1" "$V"; cat', 'sh', 'x'],
      env: { V: 'x' },
      stdin: 'x',
      display: 'x',
    },
  ],
  'systemd.is_active': [{ unit: 'api', user: true }],
  'systemd.journal': [
    { unit: 'api', user: true, since: '10m', until: 'now', lines: 10, priority: 'err', grep: 'x' },
  ],
  'systemd.reload': [{ unit: 'api', user: false }],
  'systemd.restart': [{ unit: 'api', user: false }],
  'systemd.start': [{ unit: 'api', user: false }],
  'systemd.status': [{ unit: 'api', user: false }],
  'systemd.stop': [{ unit: 'api', user: false }],
  'wrangler.deployment_status': [{ name: WORKER }],
  'wrangler.deployments': [{ name: WORKER }],
  'wrangler.rollback': [{ name: WORKER, version_id: VERSION, message: 'x' }],
  'wrangler.secret_put': [{ name: WORKER, key: 'API_KEY', value: 'x' }],
  'wrangler.tail': [
    {
      name: WORKER,
      duration: '1s',
      filter: { status: 'error', search: 'x', method: 'POST' },
      max_events: 5,
    },
  ],
  'wrangler.version': [{ name: WORKER, version_id: VERSION }],
  'wrangler.versions': [{ name: WORKER }],
  'wrangler.whoami': [{}],
};

/**
 * Options after which each tool takes the next argument as their value whatever it looks like
 * (checked with each real tool: getopt, Go's pflag, curl's and nginx's own parsers). wrangler's
 * yargs is not among them: it reads `-m --help` as two options.
 */
const VALUE_OPTIONS: Record<string, readonly string[]> = {
  docker: ['--since', '--until', '--user', '--workdir', '--filter', '--tail', '--env', '-t'],
  journalctl: ['-u', '--since', '--until', '-n', '-p', '--grep', '-o'],
  curl: ['--url', '-H', '-X', '--max-time', '--retry', '--retry-delay', '-w', '-K'],
  nginx: ['-p', '-c', '-e', '-g', '-s'],
  tail: ['-n'],
  psql: ['-d', '-v'],
  pm2: ['--name', '--only', '--instances', '--max-memory-restart', '--max-restarts', '--lines'],
};

const TOOLS = [
  'curl',
  'docker',
  'journalctl',
  'nginx',
  'pm2',
  'psql',
  'systemctl',
  'tail',
  'wrangler',
];

type Path = Array<string | number>;

interface Case {
  id: string;
  /** The action, or what prefixes its refusals: `pm2.restart: with.app: …`. */
  uses: string;
  /** `pm2.restart app`: where the value goes. */
  label: string;
  /** The step, without its id. */
  step: Record<string, unknown>;
}

const VALUE = '${{ vars.v }}';

/** Steps of the runbook's own kinds, which no registry entry lists. */
const STEP_CASES: Array<Omit<Case, 'id'>> = [
  {
    uses: 'shell.run',
    label: 'run: (a string for sh -c)',
    step: { run: `printf '%s|' ${VALUE} "${VALUE}" '${VALUE}' "a${VALUE}b"` },
  },
  { uses: 'shell.run', label: 'run: (an argv list)', step: { run: ['printf', '%s|', VALUE] } },
  {
    uses: 'shell.run',
    label: 'env: (of a run: step)',
    step: { run: `printf '%s' "$V"`, env: { V: VALUE } },
  },
];

/** Every input of `base` that the action's JSON Schema describes, as paths into `base`; the
 * inputs `base` lacks go to `missing`. */
function inputPaths(
  schema: Record<string, unknown>,
  base: unknown,
  missing: string[],
  path: Path = [],
): Path[] {
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  const record = schema.additionalProperties as Record<string, unknown> | boolean | undefined;
  const items = schema.items as Record<string, unknown> | undefined;
  if (properties)
    return Object.entries(properties).flatMap(([key, inner]) => {
      const value = (base as Record<string, unknown> | undefined)?.[key];
      if (value === undefined) missing.push(label([...path, key]));
      return value === undefined ? [] : inputPaths(inner, value, missing, [...path, key]);
    });
  if (record !== undefined && record !== false && base !== null && typeof base === 'object') {
    const keys = Object.keys(base);
    if (keys.length === 0) missing.push(`a key of ${label(path)}`);
    return keys.map((key) => [...path, key]);
  }
  if (Array.isArray(base) && (items || schema.anyOf)) return [[...path, base.length - 1]];
  return [path];
}

function withValue(
  base: Record<string, unknown>,
  path: Path,
  value: string,
): Record<string, unknown> {
  const copy = structuredClone(base);
  let target = copy as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1))
    target = target[segment] as Record<string | number, unknown>;
  target[path[path.length - 1] ?? ''] = value;
  return copy;
}

function label(path: Path): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`))
    .join('')
    .slice(1);
}

/** Each case puts `${{ vars.v }}` in one input; inputs that are code are checked by validate. */
const CASES: Case[] = Object.entries(BASES)
  .flatMap(([uses, bases]): Array<Omit<Case, 'id'>> => {
    const action = registry.action(uses);
    if (!action) throw new Error(`no action ${uses}`);
    const schema = z.toJSONSchema(action.input, { io: 'input', unrepresentable: 'any' });
    const code = action.codeInputs?.keys ?? [];
    const missing = bases.map((base) => {
      const lacks: string[] = [];
      inputPaths(schema as Record<string, unknown>, base, lacks);
      return lacks;
    });
    const uncovered = (missing[0] ?? []).filter((name) =>
      missing.every((lacks) => lacks.includes(name)),
    );
    if (uncovered.length > 0)
      throw new Error(`${uses}: add ${uncovered.join(', ')} to a base input`);
    return bases.flatMap((base, index) =>
      inputPaths(schema as Record<string, unknown>, base, [])
        .filter((path) => !(path.length === 1 && code.includes(String(path[0]))))
        .map((path) => ({
          uses,
          label: `${uses} ${label(path)}${bases.length > 1 ? ` (input ${index + 1})` : ''}`,
          step: { uses, with: withValue(base, path, VALUE) },
        })),
    );
  })
  .concat(STEP_CASES)
  .map((c, index) => ({ ...c, id: `case-${index + 1}` }));

/** What an HTTP request carried that a value can reach. */
interface Request {
  method: string;
  url: string;
  header: string | undefined;
  body: string;
  json: boolean;
}

interface Observed {
  status: string;
  reason: string | undefined;
  stdout: unknown;
  calls: RecordedCall[];
  requests: Request[];
}

let server: TestServer;
const recorders = makeArgvRecorders(dir.path, TOOLS);
const runs = new Map<string, Map<string, Observed>>();

/** One run of a runbook holding every case, `v` set to `value`; what each case did. */
async function runAll(value: string, index: number): Promise<Map<string, Observed>> {
  // A case's processes are told apart by the CASE variable of its step's environment, its HTTP
  // requests by their path.
  const steps = CASES.map((c) => {
    const step = JSON.parse(
      JSON.stringify(c.step).replaceAll(SERVER, `${server.url}/${c.id}`),
    ) as Record<string, unknown>;
    return {
      id: c.id,
      ...step,
      env: { CASE: c.id, ...(step.env as object | undefined) },
      continue_on_error: true,
      timeout: '20s',
    };
  });
  const runbook = {
    id: 'hostile',
    title: 'Hostile values',
    vars: { v: { default: value } },
    diagnosis: steps,
  };
  const books = join(dir.path, `runbooks-${index}`);
  mkdirSync(books);
  writeFileSync(join(books, 'hostile.yaml'), stringify(runbook));
  recorders.clear();
  server.requests.length = 0;
  const result = await runCli(
    ['run', 'hostile', '--dir', books, '--format', 'json', '--yes', '--non-interactive'],
    {
      cwd: dir.path,
      env: {
        PATH: `${recorders.bin}:/usr/bin:/bin`,
        HOME: dir.path,
        RUNBOOK_STATE_DIR: join(dir.path, `state-${index}`),
      },
    },
  );
  if (!result.stdout) throw new Error(`run ${index} printed nothing:\n${result.stderr}`);
  const doc = JSON.parse(result.stdout) as {
    steps: Array<{ id: string; status: string; reason?: string; outputs: Record<string, unknown> }>;
  };
  const calls = new Map<string, RecordedCall[]>();
  for (const call of recorders.calls()) {
    const id = call.env.CASE ?? '';
    calls.set(id, [...(calls.get(id) ?? []), call]);
  }
  const observed = new Map<string, Observed>();
  for (const step of doc.steps) {
    observed.set(step.id, {
      status: step.status,
      reason: step.reason,
      stdout: step.outputs.stdout,
      calls: calls.get(step.id) ?? [],
      requests: server.requests
        .filter((request) => request.url === `/${step.id}`)
        .map((request) => ({
          method: request.method,
          url: request.url,
          header: request.headers['x-v'] as string | undefined,
          body: request.body,
          json: request.headers['content-type']?.includes('json') === true,
        })),
    });
  }
  return observed;
}

/** What a placeholder run shows once the placeholder is replaced by `value`, in the form each
 * place quotes it: SQL literals and identifiers in psql -c, curl's config strings, JSON bodies. */
function expected(observed: Observed, value: string): Omit<Observed, 'status' | 'reason'> {
  const plain = (text: string) => text.replaceAll(PLACEHOLDER, value);
  const sql = (text: string) =>
    plain(
      text
        .replaceAll(`'${PLACEHOLDER}'`, sqlLiteral(value))
        .replaceAll(`"${PLACEHOLDER}"`, sqlIdentifier(value)),
    );
  return {
    stdout: typeof observed.stdout === 'string' ? plain(observed.stdout) : observed.stdout,
    calls: observed.calls.map((call) => ({
      tool: call.tool,
      argv: call.argv.map(call.tool === 'psql' ? sql : plain),
      env: Object.fromEntries(
        Object.entries(holding(call.env, PLACEHOLDER)).map(([key, inner]) => [key, plain(inner)]),
      ),
      stdin:
        call.tool === 'curl'
          ? call.stdin.replaceAll(PLACEHOLDER, configString(value).slice(1, -1))
          : plain(call.stdin),
    })),
    requests: observed.requests.map((request) => ({
      ...request,
      header: request.header === undefined ? undefined : plain(request.header),
      body: request.json
        ? request.body.replaceAll(PLACEHOLDER, JSON.stringify(value).slice(1, -1))
        : plain(request.body),
    })),
  };
}

/** The environment variables whose value holds `text`. */
function holding(env: Record<string, string>, text: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value.includes(text)));
}

/**
 * Where a call's arguments stop being read as options: after `--`, or after the container of
 * `docker exec`, which hands the rest to the command (cobra stops at its first operand there).
 */
function operandsFrom(call: RecordedCall): number {
  const end = call.argv.indexOf('--');
  if (end >= 0) return end + 1;
  if (call.tool !== 'docker' || call.argv[0] !== 'exec') return call.argv.length;
  for (let index = 1; index < call.argv.length; index++) {
    const arg = call.argv[index] ?? '';
    if (VALUE_OPTIONS.docker?.includes(arg)) index++;
    else if (!arg.startsWith('-')) return index + 1;
  }
  return call.argv.length;
}

/** A value that starts with "-" and stands as an argument of its own must not be an option. */
function optionInjections(calls: readonly RecordedCall[], value: string): string[] {
  if (!value.startsWith('-')) return [];
  return calls.flatMap((call) =>
    call.argv.flatMap((arg, index) => {
      if (!arg.startsWith(value) || index >= operandsFrom(call)) return [];
      const consumed = (VALUE_OPTIONS[call.tool] ?? []).includes(call.argv[index - 1] ?? '');
      return consumed ? [] : [`${call.tool} ${call.argv.join(' ')}`];
    }),
  );
}

beforeAll(async () => {
  server = await startServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok');
  });
  runs.set(PLACEHOLDER, await runAll(PLACEHOLDER, 0));
  for (const [index, value] of HOSTILE.entries()) runs.set(value, await runAll(value, index + 1));
}, 240_000);

afterAll(async () => {
  await server?.close();
  dir.remove();
});

describe('hostile values in every input of every built-in action', () => {
  it('covers every action of the registry', () => {
    expect(Object.keys(BASES).sort()).toEqual(registry.actionNames());
  });

  it('each value is refused before anything runs, or reaches the tool exactly where a plain one does', async () => {
    const placeholder = runs.get(PLACEHOLDER);
    const verdicts: string[] = [];
    for (const c of CASES) {
      const plain = placeholder?.get(c.id);
      if (!plain) throw new Error(`${c.id} did not run`);
      const outcomes = HOSTILE.map((value, index) => {
        const seen = runs.get(value)?.get(c.id);
        if (!seen) throw new Error(`${c.id} did not run with value ${index + 1}`);
        const refused = seen.reason?.endsWith('(after templating)') === true;
        if (refused) {
          expect.soft(seen.calls, c.label).toEqual([]);
          expect.soft(seen.requests, c.label).toEqual([]);
          return `refused: ${(seen.reason ?? '').replace(`${c.uses}: `, '').replace(' (after templating)', '')}`;
        }
        const { calls, requests, stdout } = expected(plain, value);
        const shown = seen.calls.map((call) => ({ ...call, env: holding(call.env, value) }));
        expect
          .soft(
            { calls: shown, requests: seen.requests, stdout: seen.stdout },
            `${c.label} ← ${JSON.stringify(value)}`,
          )
          .toEqual({ calls, requests, stdout });
        expect.soft(optionInjections(seen.calls, value), c.label).toEqual([]);
        if (seen.calls.length + seen.requests.length > 0) return 'data';
        if (typeof seen.stdout === 'string' && seen.stdout.includes(value)) return 'data (printed)';
        // Nothing was sent: the value did not reach a tool, e.g. a URL that does not parse.
        return `not sent: ${(seen.reason ?? 'no process, no request').replaceAll(value, '<value>')}`;
      });
      verdicts.push(`${c.label}: ${summarize(outcomes)}`);
    }
    await expect(`${verdicts.join('\n')}\n`).toMatchFileSnapshot(
      '../../fixtures/hostile-values/verdicts.txt',
    );
  });

  it('refuses ${{ }} in inputs that are code (SQL) at validation', async () => {
    const steps = registry.actionNames().flatMap((uses) =>
      (registry.action(uses)?.codeInputs?.keys ?? []).map((key) => ({
        id: `${uses.replace(/\W/g, '-')}-${key}`,
        uses,
        with: { ...BASES[uses]?.[0], [key]: `select ${VALUE}` },
      })),
    );
    const books = join(dir.path, 'code-inputs');
    mkdirSync(books);
    writeFileSync(
      join(books, 'code.yaml'),
      stringify({ id: 'code', title: 'Code inputs', vars: { v: 'x' }, diagnosis: steps }),
    );
    const result = await runCli(['validate', books], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stdout.split('\n').filter((line) => line.includes(': error: ')))
      .toMatchInlineSnapshot(`
        [
          "code-inputs/code.yaml:13:22: error: \`\${{ vars.v }}\` inside global: its value would become code, not data",
          "code-inputs/code.yaml:21:22: error: \`\${{ vars.v }}\` inside global: its value would become code, not data",
          "code-inputs/code.yaml:25:19: error: \`\${{ vars.v }}\` inside sql: its value would become code, not data",
          "code-inputs/code.yaml:33:19: error: \`\${{ vars.v }}\` inside sql: its value would become code, not data",
        ]
      `);
  });

  it('no command ran: no file was created', () => {
    expect(injectedFiles(MARK)).toEqual([]);
  });
});

/** `data: 1-4, 6; refused (5, 7, 8): …` — the values by their number in hostileValues(). */
function summarize(outcomes: string[]): string {
  const groups = new Map<string, number[]>();
  outcomes.forEach((outcome, index) =>
    groups.set(outcome, [...(groups.get(outcome) ?? []), index + 1]),
  );
  return [...groups].map(([outcome, numbers]) => `[${numbers.join(',')}] ${outcome}`).join('; ');
}
