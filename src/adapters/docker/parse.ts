import { parseJsonLines } from '../support/lines.js';
import {
  asRecord,
  numberOr,
  parsePercent,
  parseSize,
  splitList,
  stringList,
  stringRecord,
  text,
} from './values.js';

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

/** `docker ps` quotes the command: "\"sleep 1000\"". */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
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

/** One line of a container's log. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  time: string | null;
  text: string;
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
