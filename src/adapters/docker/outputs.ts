import { o, PROCESS_OUTPUTS, PROCESS_STATUS } from '../outputs.js';

/** What each docker action gives (index.ts runDocker keeps stderr and exit_code; a parsed
 * action drops the raw stdout and its JSON unless it keeps them). */
const df = (what: string) =>
  o(
    'map',
    `the ${what} row: type, total_count, active, size_bytes, reclaimable_bytes, reclaimable_percent`,
  );
const stat = {
  id: o('string', 'short container id'),
  name: o('string', 'container name'),
  cpu_percent: o('double?', 'CPU use, percent'),
  mem_usage_bytes: o('int?', 'memory used'),
  mem_limit_bytes: o('int?', 'memory limit'),
  mem_percent: o('double?', 'memory use, percent of the limit'),
  net_rx_bytes: o('int?', 'network bytes received'),
  net_tx_bytes: o('int?', 'network bytes sent'),
  block_read_bytes: o('int?', 'block I/O read'),
  block_write_bytes: o('int?', 'block I/O written'),
  pids: o('int?', 'processes in the container'),
};

export const DOCKER_OUTPUTS = {
  ps: {
    ...PROCESS_STATUS,
    containers: o(
      'list',
      'containers: id, name, image, command, state, status, health, ports, networks, labels, created_at, running_for',
    ),
    count: o('int', 'how many containers are listed'),
    running: o('int', 'how many of them are running'),
    states: o('map', 'how many containers are in each state'),
  },
  inspect: {
    ...PROCESS_STATUS,
    id: o('string', 'short container id'),
    full_id: o('string', 'full container id'),
    name: o('string', 'container name'),
    image: o('string', 'image it was created from'),
    image_id: o('string', 'image id'),
    created: o('string', 'when it was created'),
    state: o(
      'map',
      'status, running, paused, restarting, oom_killed, dead, pid, exit_code, error, started_at, finished_at, restart_count, health',
    ),
    restart_policy: o('map', 'name, maximum_retry_count'),
    config: o('map', 'image, entrypoint, cmd, working_dir, user, hostname, env_names, labels'),
    network_mode: o('string', 'network mode'),
    mounts: o('list', 'mounts: type, source, destination, read_write'),
  },
  logs: {
    ...PROCESS_STATUS,
    stdout: o('string', "the container's stdout lines"),
    stderr: o('string', "the container's stderr lines"),
    lines: o('list', 'every line in order: stream, time, text'),
    line_count: o('int', 'how many lines'),
    matches: o('list', 'the lines matching match: (with match: only)'),
    match_count: o('int', 'how many lines match (with match: only)'),
  },
  stats: {
    ...PROCESS_STATUS,
    containers: o(
      'list',
      'per container: id, name, cpu_percent, mem_usage_bytes, mem_limit_bytes, mem_percent, net and block I/O, pids',
    ),
    count: o('int', 'how many containers'),
    ...stat,
  },
  lifecycle: {
    ...PROCESS_STATUS,
    stdout: PROCESS_OUTPUTS.stdout,
    container: o('string', 'the container acted on'),
  },
  exec: PROCESS_OUTPUTS,
  system_df: {
    ...PROCESS_STATUS,
    types: o(
      'list',
      'per type: type, total_count, active, size_bytes, reclaimable_bytes, reclaimable_percent',
    ),
    size_bytes: o('int', 'disk used, all types'),
    reclaimable_bytes: o('int', 'disk that could be reclaimed, all types'),
    images: df('Images'),
    containers: df('Containers'),
    local_volumes: df('Local Volumes'),
    build_cache: df('Build Cache'),
  },
  system_prune: {
    ...PROCESS_STATUS,
    stdout: PROCESS_OUTPUTS.stdout,
    deleted: o(
      'map',
      'what was deleted: containers, networks, volumes, images, build_cache (lists)',
    ),
    deleted_count: o('int', 'how many things were deleted'),
    reclaimed: o('string', 'space reclaimed, as docker wrote it'),
    reclaimed_bytes: o('int?', 'space reclaimed, in bytes'),
  },
};
