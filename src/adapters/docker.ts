import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type AnyAction,
  type Preflight,
  type ProcessRequest,
  type ProcessResult,
} from './adapter.js';
import { argvWord } from './support/argv-word.js';
import { formatArgv, shellQuote } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { firstLine, lineMatching, parseJsonLines } from './support/lines.js';
import { runTool, type Unavailable } from './support/run-tool.js';
import { durationInput, parseDuration } from '../common/duration.js';

const DOCKER = 'docker';
const JSON_FORMAT = '{{json .}}';
const DEFAULT_LOG_TAIL = 1000;
const VERSION_FORMAT =
  'client {{.Client.Version}}{{if .Server}}, engine {{.Server.Version}} (API {{.Server.APIVersion}}){{end}}';
const ENGINE_HINT =
  'start the Docker engine, or point DOCKER_HOST (or the with: host of a step) at one that runs';

const host = z
  .string()
  .min(1)
  .optional()
  .describe(
    'Docker engine to use, as DOCKER_HOST (unix:///var/run/docker.sock, ssh://user@host, tcp://host:2376); default: DOCKER_HOST from the environment, or the docker context',
  );

// Docker's names start with a letter or digit: one that starts with "-" can only be a mistake.
const container = argvWord('a container name or id').describe('Container name or id');

const stopTimeout = durationInput({
  error: 'expected seconds, or a duration such as 10s or 1m',
  seconds: 'whole',
})
  .optional()
  .describe('How long the container gets to stop before it is killed (docker -t), e.g. 10s');

const CONTAINER_STATUSES = [
  'created',
  'restarting',
  'running',
  'removing',
  'paused',
  'exited',
  'dead',
] as const;

const psInput = z.strictObject({
  all: z.boolean().optional().describe('Include stopped containers (docker ps --all)'),
  filter: z
    .strictObject({
      name: z
        .string()
        .min(1)
        .optional()
        .describe('Name filter, matched as docker does (a regular expression: ^worker$ is exact)'),
      label: z
        .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
        .optional()
        .describe('Label key, or key=value; several must all match'),
      status: z.enum(CONTAINER_STATUSES).optional().describe('Container state'),
    })
    .optional()
    .describe('docker ps --filter values'),
  host,
});

const inspectInput = z.strictObject({ container, host });

const logsInput = z.strictObject({
  container,
  tail: z
    .union([z.number().int().nonnegative(), z.literal('all')])
    .optional()
    .describe(
      `Lines from the end of the log (default ${DEFAULT_LOG_TAIL}; "all" for the whole log)`,
    ),
  since: z
    .string()
    .min(1)
    .optional()
    .describe('Only lines since a timestamp (2024-01-02T15:04:05Z) or a relative time (10m, 2h)'),
  until: z.string().min(1).optional().describe('Only lines before a timestamp or a relative time'),
  match: z
    .string()
    .min(1)
    .refine(isRegExp, { error: 'not a valid regular expression' })
    .optional()
    .describe('Regular expression; the lines that match are output as matches'),
  host,
});

const statsInput = z.strictObject({
  container: container.optional().describe('One container (default: every running one)'),
  all: z.boolean().optional().describe('Include stopped containers'),
  host,
});

const restartInput = z.strictObject({ container, timeout: stopTimeout, host });
const startInput = z.strictObject({ container, host });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const execInput = z.strictObject({
  container,
  command: z
    .array(z.string())
    .min(1)
    .describe(
      'The command and its arguments, run without a shell (use ["sh", "-c", "..."] for one)',
    ),
  user: z.string().min(1).optional().describe('User (name or uid[:gid]) to run it as'),
  workdir: z.string().min(1).optional().describe('Working directory inside the container'),
  env: z
    .record(z.string(), z.string())
    .superRefine((env, check) => {
      for (const name of Object.keys(env)) {
        if (!ENV_NAME.test(name))
          check.addIssue({
            code: 'custom',
            path: [name],
            message: `${name} is not a variable name`,
          });
        else if (name.startsWith('DOCKER_'))
          check.addIssue({
            code: 'custom',
            path: [name],
            message: `${name}: DOCKER_* variables configure the docker client itself`,
          });
      }
    })
    .optional()
    .describe('Environment for the command; values travel in the environment, never in argv'),
  host,
});

const systemDfInput = z.strictObject({ host });

const pruneInput = z
  .strictObject({
    all: z
      .boolean()
      .optional()
      .describe('Also remove every image no container uses, not only dangling ones'),
    volumes: z.boolean().optional().describe('Also remove volumes no container uses'),
    until: z
      .string()
      .min(1)
      .optional()
      .describe('Only what was created before this time: a duration (24h) or a timestamp'),
    host,
  })
  .refine((input) => !(input.volumes === true && input.until !== undefined), {
    error: 'docker cannot prune volumes with an until filter: drop one of them',
    path: ['until'],
  });

type HostInput = { host?: string | undefined };

/** The docker CLI as a process request; `host` reaches it as DOCKER_HOST. */
function dockerRequest(
  input: HostInput,
  args: string[],
  env: Record<string, string> = {},
): ProcessRequest {
  const processEnv = input.host === undefined ? env : { ...env, DOCKER_HOST: input.host };
  return Object.keys(processEnv).length > 0
    ? { file: DOCKER, args, env: processEnv }
    : { file: DOCKER, args };
}

function describeDocker(input: HostInput, args: string[]): string {
  const command = formatArgv([DOCKER, ...args]);
  return input.host === undefined ? command : `DOCKER_HOST=${shellQuote(input.host)} ${command}`;
}

/** The CLI ran, but no Docker engine answered it. */
const engineDown: Unavailable = (result) => {
  const message = lineMatching(
    result.stderr,
    /Cannot connect to the Docker daemon|permission denied while trying to connect to the Docker daemon|^error during connect/i,
  );
  return message === undefined ? undefined : { message, hint: ENGINE_HINT };
};

/**
 * Runs the docker CLI. On success `parse` replaces the raw stdout with structured outputs
 * (`keep` lists the common process outputs to keep); a failure says what docker said.
 */
async function runDocker(
  ctx: ActionContext,
  request: ProcessRequest,
  parse?: (result: ProcessResult) => Record<string, unknown>,
  keep: ReadonlyArray<'stdout' | 'json'> = [],
): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, request, parse, engineDown);
  if (outcome.unavailable) return outcome;
  if (parse) {
    if (!keep.includes('stdout')) delete outcome.outputs.stdout;
    if (!keep.includes('json')) delete outcome.outputs.json;
  }
  if (!outcome.ok && typeof outcome.exitCode === 'number' && outcome.exitCode !== 0) {
    const said = firstLine(outcome.stderr ?? '');
    if (said) outcome.error = `${outcome.error ?? 'failed'}: ${said}`;
  }
  return outcome;
}

// ---- docker ps ----

/** A container as `docker ps` lists it. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  command: string;
  state: string;
  status: string;
  health: 'healthy' | 'unhealthy' | 'starting' | null;
  ports: string[];
  networks: string[];
  labels: Record<string, string>;
  created_at: string;
  running_for: string;
}

export function psArgs(input: z.output<typeof psInput>): string[] {
  const args = ['ps'];
  if (input.all) args.push('--all');
  const filter = input.filter;
  if (filter?.name !== undefined) args.push('--filter', `name=${filter.name}`);
  for (const label of [filter?.label ?? []].flat()) args.push('--filter', `label=${label}`);
  if (filter?.status !== undefined) args.push('--filter', `status=${filter.status}`);
  args.push('--no-trunc', '--format', JSON_FORMAT);
  return args;
}

/** Parses `docker ps --no-trunc --format '{{json .}}'`: one JSON object per container. */
export function parsePs(stdout: string): Record<string, unknown> {
  const containers = parseJsonLines(stdout).map((line) => toContainer(asRecord(line)));
  const states: Record<string, string> = {};
  for (const c of containers) states[c.name] = c.state;
  return {
    containers,
    count: containers.length,
    running: containers.filter((c) => c.state === 'running').length,
    states,
  };
}

function toContainer(row: Record<string, unknown>): ContainerSummary {
  const status = text(row.Status);
  const names = text(row.Names).split(',').filter(Boolean);
  return {
    id: text(row.ID).slice(0, 12),
    // Without truncation, legacy links add "other/alias" names: the container's own has no slash.
    name: names.find((name) => !name.includes('/')) ?? names[0] ?? '',
    image: text(row.Image),
    command: unquote(text(row.Command)),
    state: text(row.State) || stateFromStatus(status),
    status,
    health: healthFromStatus(status),
    ports: splitList(text(row.Ports), ', '),
    networks: splitList(text(row.Networks), ','),
    labels: parseLabels(text(row.Labels)),
    created_at: isoFromDocker(text(row.CreatedAt)),
    running_for: text(row.RunningFor),
  };
}

/** `docker ps` shows a health check's verdict only in the status text: "Up 5 minutes (healthy)". */
function healthFromStatus(status: string): ContainerSummary['health'] {
  const match = /\((healthy|unhealthy|health: starting)\)\s*$/.exec(status);
  if (!match) return null;
  return match[1] === 'health: starting' ? 'starting' : (match[1] as 'healthy' | 'unhealthy');
}

/** Older engines have no State column; their status text starts with it. */
function stateFromStatus(status: string): string {
  if (status.startsWith('Up')) return status.includes('(Paused)') ? 'paused' : 'running';
  if (status.startsWith('Exited')) return 'exited';
  if (status.startsWith('Restarting')) return 'restarting';
  return status.toLowerCase().split(' ')[0] ?? '';
}

function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of splitList(value, ',')) {
    const equals = pair.indexOf('=');
    if (equals < 0) labels[pair] = '';
    else labels[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return labels;
}

/** "2024-05-01 10:00:00 +0000 UTC" → ISO 8601; anything else is kept as docker wrote it. */
function isoFromDocker(value: string): string {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)/.exec(value);
  if (!match) return value;
  const date = new Date(`${match[1]}T${match[2]}${match[3]}:${match[4]}`);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

// ---- docker inspect ----

export function inspectArgs(input: z.output<typeof inspectInput>): string[] {
  return ['inspect', '--type', 'container', input.container];
}

/**
 * Parses `docker inspect` of one container into its state and configuration essentials.
 * The environment's values are left out (they often hold credentials): only its names.
 */
export function parseInspect(stdout: string): Record<string, unknown> {
  const list = JSON.parse(stdout) as unknown;
  const first = Array.isArray(list) ? (list[0] as unknown) : undefined;
  if (first === undefined) throw new Error('docker inspect returned no container');
  const data = asRecord(first);
  const state = asRecord(data.State);
  const config = asRecord(data.Config);
  const hostConfig = asRecord(data.HostConfig);
  const restartPolicy = asRecord(hostConfig.RestartPolicy);
  const outputs: Record<string, unknown> = {
    id: text(data.Id).slice(0, 12),
    full_id: text(data.Id),
    name: text(data.Name).replace(/^\//, ''),
    image: text(config.Image),
    image_id: text(data.Image),
    created: text(data.Created),
    state: {
      status: text(state.Status),
      running: state.Running === true,
      paused: state.Paused === true,
      restarting: state.Restarting === true,
      oom_killed: state.OOMKilled === true,
      dead: state.Dead === true,
      pid: numberOr(state.Pid, 0),
      exit_code: numberOr(state.ExitCode, 0),
      error: text(state.Error),
      started_at: timeOrNull(state.StartedAt),
      finished_at: timeOrNull(state.FinishedAt),
      restart_count: numberOr(data.RestartCount, 0),
      ...(state.Health === undefined || state.Health === null
        ? {}
        : { health: toHealth(asRecord(state.Health)) }),
    },
    restart_policy: {
      name: text(restartPolicy.Name) || 'no',
      maximum_retry_count: numberOr(restartPolicy.MaximumRetryCount, 0),
    },
    config: {
      image: text(config.Image),
      entrypoint: stringList(config.Entrypoint),
      cmd: stringList(config.Cmd),
      working_dir: text(config.WorkingDir),
      user: text(config.User),
      hostname: text(config.Hostname),
      env_names: stringList(config.Env).map((entry) => entry.split('=')[0] ?? entry),
      labels: stringRecord(config.Labels),
    },
    network_mode: text(hostConfig.NetworkMode),
    mounts: (Array.isArray(data.Mounts) ? data.Mounts : []).map((item: unknown) => {
      const mount = asRecord(item);
      return {
        type: text(mount.Type),
        source: text(mount.Source) || text(mount.Name),
        destination: text(mount.Destination),
        read_write: mount.RW !== false,
      };
    }),
  };
  return outputs;
}

function toHealth(health: Record<string, unknown>): Record<string, unknown> {
  const log = Array.isArray(health.Log) ? health.Log.map(asRecord) : [];
  const last = log.at(-1);
  return {
    status: text(health.Status),
    failing_streak: numberOr(health.FailingStreak, 0),
    last_exit_code: last === undefined ? null : numberOr(last.ExitCode, 0),
    last_output: last === undefined ? null : text(last.Output).trim(),
  };
}

/** Docker writes 0001-01-01T00:00:00Z for "never". */
function timeOrNull(value: unknown): string | null {
  const time = text(value);
  return time === '' || time.startsWith('0001-01-01') ? null : time;
}

// ---- docker logs ----

/** One line of a container's log. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  time: string | null;
  text: string;
}

export function logsArgs(input: z.output<typeof logsInput>): string[] {
  const args = ['logs', '--timestamps', '--tail', String(input.tail ?? DEFAULT_LOG_TAIL)];
  if (input.since !== undefined) args.push('--since', input.since);
  if (input.until !== undefined) args.push('--until', input.until);
  args.push(input.container);
  return args;
}

/**
 * Parses `docker logs --timestamps`: the container's stdout arrives on the CLI's stdout and its
 * stderr on the CLI's stderr; the timestamps put the two back in order without mixing them up.
 */
export function parseLogs(stdout: string, stderr: string, match?: string): Record<string, unknown> {
  const out = splitLog(stdout, 'stdout');
  const err = splitLog(stderr, 'stderr');
  const lines = [...out, ...err].sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  const outputs: Record<string, unknown> = {
    stdout: out.map((line) => line.text).join('\n'),
    stderr: err.map((line) => line.text).join('\n'),
    lines,
    line_count: lines.length,
  };
  if (match !== undefined) {
    const pattern = new RegExp(match);
    const matches = lines.filter((line) => pattern.test(line.text));
    outputs.matches = matches;
    outputs.match_count = matches.length;
  }
  return outputs;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/;

function splitLog(textValue: string, stream: LogLine['stream']): LogLine[] {
  const rows = textValue.split('\n');
  if (rows.at(-1) === '') rows.pop();
  return rows.map((row) => {
    const match = TIMESTAMP.exec(row);
    return match
      ? { stream, time: match[1] ?? null, text: row.slice(match[0].length) }
      : { stream, time: null, text: row };
  });
}

// ---- docker stats ----

export function statsArgs(input: z.output<typeof statsInput>): string[] {
  const args = ['stats', '--no-stream'];
  if (input.all) args.push('--all');
  args.push('--format', JSON_FORMAT);
  if (input.container !== undefined) args.push(input.container);
  return args;
}

/** Parses `docker stats --no-stream --format '{{json .}}'`, sizes in bytes and percents as numbers.
 * With one container asked for, its figures are also outputs of their own. */
export function parseStats(stdout: string, container?: string): Record<string, unknown> {
  const containers = parseJsonLines(stdout).map((line) => {
    const row = asRecord(line);
    const [memUsage, memLimit] = pair(text(row.MemUsage));
    const [netRx, netTx] = pair(text(row.NetIO));
    const [blockRead, blockWrite] = pair(text(row.BlockIO));
    const pids = Number.parseInt(text(row.PIDs), 10);
    return {
      id: text(row.ID).slice(0, 12),
      name: text(row.Name),
      cpu_percent: parsePercent(text(row.CPUPerc)),
      mem_usage_bytes: parseSize(memUsage),
      mem_limit_bytes: parseSize(memLimit),
      mem_percent: parsePercent(text(row.MemPerc)),
      net_rx_bytes: parseSize(netRx),
      net_tx_bytes: parseSize(netTx),
      block_read_bytes: parseSize(blockRead),
      block_write_bytes: parseSize(blockWrite),
      pids: Number.isNaN(pids) ? null : pids,
    };
  });
  const outputs: Record<string, unknown> = { containers, count: containers.length };
  const only = containers[0];
  if (container !== undefined && containers.length === 1 && only) Object.assign(outputs, only);
  return outputs;
}

function pair(value: string): [string, string] {
  const [left = '', right = ''] = value.split(' / ');
  return [left.trim(), right.trim()];
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
};

/** "320KiB", "23.54GiB" (binary) or "1.982MB", "102.4kB" (decimal) → bytes; null when not a size. */
export function parseSize(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return null;
  const unit = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}

function parsePercent(value: string): number | null {
  const match = /^(-?\d+(?:\.\d+)?)%$/.exec(value.trim());
  return match ? Number(match[1]) : null;
}

// ---- docker system df / prune ----

/** Parses `docker system df --format '{{json .}}'`: one row per kind (Images, Containers, …). */
export function parseSystemDf(stdout: string): Record<string, unknown> {
  const types = parseJsonLines(stdout).map((line) => {
    const row = asRecord(line);
    const reclaimable = /^(\S+)(?:\s+\((\d+(?:\.\d+)?)%\))?/.exec(text(row.Reclaimable));
    return {
      type: text(row.Type),
      total_count: numberOr(Number(text(row.TotalCount)), 0),
      active: numberOr(Number(text(row.Active)), 0),
      size_bytes: parseSize(text(row.Size)),
      reclaimable_bytes: reclaimable?.[1] === undefined ? null : parseSize(reclaimable[1]),
      reclaimable_percent: reclaimable?.[2] === undefined ? null : Number(reclaimable[2]),
    };
  });
  const outputs: Record<string, unknown> = {
    types,
    size_bytes: types.reduce((sum, type) => sum + (type.size_bytes ?? 0), 0),
    reclaimable_bytes: types.reduce((sum, type) => sum + (type.reclaimable_bytes ?? 0), 0),
  };
  for (const type of types) outputs[snakeCase(type.type)] = type;
  return outputs;
}

export function pruneArgs(input: z.output<typeof pruneInput>): string[] {
  const args = ['system', 'prune', '--force'];
  if (input.all) args.push('--all');
  if (input.volumes) args.push('--volumes');
  if (input.until !== undefined) args.push('--filter', `until=${input.until}`);
  return args;
}

const PRUNE_SECTIONS: Record<string, string> = {
  'deleted containers': 'containers',
  'deleted networks': 'networks',
  'deleted volumes': 'volumes',
  'deleted images': 'images',
  'deleted build cache objects': 'build_cache',
};

/**
 * Parses what `docker system prune` prints (it has no machine-readable mode): the sections of
 * deleted objects, and the reclaimed space.
 */
export function parsePrune(stdout: string): Record<string, unknown> {
  const deleted: Record<string, string[]> = {
    containers: [],
    networks: [],
    volumes: [],
    images: [],
    build_cache: [],
  };
  let section: string[] | undefined;
  let reclaimed: string | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const total = /^Total reclaimed space:\s*(\S+)/i.exec(line);
    if (total) {
      reclaimed = total[1] ?? null;
      section = undefined;
      continue;
    }
    const heading = /^(.+):$/.exec(line);
    const key = heading ? PRUNE_SECTIONS[(heading[1] ?? '').toLowerCase()] : undefined;
    if (key !== undefined) {
      section = deleted[key];
      continue;
    }
    section?.push(line);
  }
  if (reclaimed === null) throw new Error('no "Total reclaimed space" line');
  return {
    deleted,
    deleted_count: Object.values(deleted).reduce((sum, list) => sum + list.length, 0),
    reclaimed,
    reclaimed_bytes: parseSize(reclaimed),
  };
}

// ---- restart / stop / start / exec ----

function timeoutArgs(timeout: number | string | undefined): string[] {
  if (timeout === undefined) return [];
  const seconds = typeof timeout === 'number' ? timeout : Math.ceil(parseDuration(timeout) / 1000);
  return ['-t', String(seconds)];
}

export function execArgs(input: z.output<typeof execInput>): string[] {
  const args = ['exec'];
  if (input.user !== undefined) args.push('--user', input.user);
  if (input.workdir !== undefined) args.push('--workdir', input.workdir);
  // "--env NAME" without a value: docker takes the value from its own environment.
  for (const name of Object.keys(input.env ?? {})) args.push('--env', name);
  args.push(input.container, ...input.command);
  return args;
}

function lifecycle(verb: 'restart' | 'stop', summary: string): AnyAction {
  const args = (input: z.output<typeof restartInput>): string[] => [
    verb,
    ...timeoutArgs(input.timeout),
    input.container,
  ];
  return defineAction({
    summary,
    input: restartInput,
    effect: 'write',
    describe: (input) => describeDocker(input, args(input)),
    run: (input, ctx) =>
      runDocker(ctx, dockerRequest(input, args(input)), () => ({ container: input.container }), [
        'stdout',
      ]),
  });
}

// ---- helpers ----

function asRecord(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {};
  }
  return value as Record<string, unknown>;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(text) : [];
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(asRecord(value))) out[key] = text(item);
  return out;
}

function splitList(value: string, separator: string): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `docker ps` quotes the command: "\"sleep 1000\"". */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

function snakeCase(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** `docker version` answers for the client even when no engine does; the adapter needs both. */
export function judgeVersion(found: Preflight, output: string): Preflight {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const version = lines.find((line) => line.startsWith('client '));
  const base: Preflight = { ok: true, binary: DOCKER };
  if (found.path !== undefined) base.path = found.path;
  if (version?.includes(', engine ')) return { ...base, version };
  const problem = lines.find((line) => !line.startsWith('client ')) ?? 'no answer';
  return {
    ...base,
    ...(version === undefined ? {} : { version }),
    ok: false,
    problem: `no Docker engine answers: ${problem}`,
    hint: ENGINE_HINT,
  };
}

export const docker = {
  name: 'docker',
  summary: 'Docker containers through the docker CLI: list, inspect, logs, stats, lifecycle, exec',
  binary: DOCKER,
  actions: {
    ps: defineAction({
      summary:
        'List containers: outputs containers (id, name, image, state, status, health, ports, labels…), count, running, states',
      input: psInput,
      effect: 'read',
      describe: (input) => describeDocker(input, psArgs(input)),
      run: (input, ctx) =>
        runDocker(ctx, dockerRequest(input, psArgs(input)), (result) => parsePs(result.stdout)),
    }),
    inspect: defineAction({
      summary:
        'Inspect one container: outputs state (status, running, exit_code, restart_count, oom_killed, health…), config, restart_policy, mounts',
      input: inspectInput,
      effect: 'read',
      describe: (input) => describeDocker(input, inspectArgs(input)),
      run: (input, ctx) =>
        runDocker(ctx, dockerRequest(input, inspectArgs(input)), (result) =>
          parseInspect(result.stdout),
        ),
    }),
    logs: defineAction({
      summary:
        'Read the log of a container: outputs stdout and stderr apart, lines (stream, time, text) in order, matches',
      input: logsInput,
      effect: 'read',
      describe: (input) => describeDocker(input, logsArgs(input)),
      run: (input, ctx) =>
        runDocker(
          ctx,
          dockerRequest(input, logsArgs(input)),
          (result) => parseLogs(result.stdout, result.stderr, input.match),
          ['stdout'],
        ),
    }),
    stats: defineAction({
      summary:
        'Resource use now: outputs containers with cpu_percent, mem_usage_bytes, mem_limit_bytes, mem_percent, pids',
      input: statsInput,
      effect: 'read',
      describe: (input) => describeDocker(input, statsArgs(input)),
      run: (input, ctx) =>
        runDocker(ctx, dockerRequest(input, statsArgs(input)), (result) =>
          parseStats(result.stdout, input.container),
        ),
    }),
    restart: lifecycle('restart', 'Restart a container (stop, then start)'),
    stop: lifecycle('stop', 'Stop a container: SIGTERM, then SIGKILL after the timeout'),
    start: defineAction({
      summary: 'Start a stopped container',
      input: startInput,
      effect: 'write',
      describe: (input) => describeDocker(input, ['start', input.container]),
      run: (input, ctx) =>
        runDocker(
          ctx,
          dockerRequest(input, ['start', input.container]),
          () => ({ container: input.container }),
          ['stdout'],
        ),
    }),
    exec: defineAction({
      summary: 'Run a command in a running container: outputs stdout, stderr, exit_code',
      input: execInput,
      effect: 'write',
      describe: (input) => describeDocker(input, execArgs(input)),
      run: (input, ctx) => runDocker(ctx, dockerRequest(input, execArgs(input), input.env)),
    }),
    system_df: defineAction({
      summary:
        'Disk used by images, containers, volumes and build cache: outputs types, size_bytes, reclaimable_bytes',
      input: systemDfInput,
      effect: 'read',
      describe: (input) => describeDocker(input, ['system', 'df', '--format', JSON_FORMAT]),
      run: (input, ctx) =>
        runDocker(ctx, dockerRequest(input, ['system', 'df', '--format', JSON_FORMAT]), (result) =>
          parseSystemDf(result.stdout),
        ),
    }),
    system_prune: defineAction({
      summary:
        'Remove stopped containers, unused networks, dangling images (all: every unused image; volumes): outputs deleted, reclaimed_bytes',
      input: pruneInput,
      effect: 'destructive',
      describe: (input) => describeDocker(input, pruneArgs(input)),
      run: (input, ctx) =>
        runDocker(
          ctx,
          dockerRequest(input, pruneArgs(input)),
          (result) => parsePrune(result.stdout),
          ['stdout'],
        ),
    }),
  },
  preflight: async ({ env }) => {
    const found = await binaryPreflight(DOCKER, env, {
      versionArgs: ['version', '--format', VERSION_FORMAT],
      // Everything it said: judged below, as the engine may not have answered.
      pickVersion: (output) => output || undefined,
      hint: 'install the Docker CLI (Debian: apt-get install docker.io)',
    });
    if (!found.ok || found.version === undefined) return found;
    return judgeVersion(found, found.version);
  },
} satisfies Adapter;
