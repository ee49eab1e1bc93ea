import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type AnyAction,
  type ProcessRequest,
  type ProcessResult,
} from '../adapter.js';
import { firstLine } from '../support/lines.js';
import { binaryPreflight } from '../support/preflight.js';
import { runTool } from '../support/run-tool.js';
import {
  execInput,
  inspectInput,
  logsInput,
  pruneInput,
  psInput,
  restartInput,
  startInput,
  statsInput,
  systemDfInput,
  type RestartInput,
} from './inputs.js';
import {
  DOCKER,
  JSON_FORMAT,
  describeDocker,
  dockerRequest,
  execArgs,
  inspectArgs,
  logsArgs,
  pruneArgs,
  psArgs,
  statsArgs,
  lifecycleArgs,
} from './argv.js';
import { parseInspect, parseLogs, parsePs, parseStats } from './parse.js';
import { parsePrune, parseSystemDf } from './parse-system.js';
import { engineDown, judgeVersion } from './errors.js';
import { DOCKER_OUTPUTS } from './outputs.js';

const VERSION_FORMAT =
  'client {{.Client.Version}}{{if .Server}}, engine {{.Server.Version}} (API {{.Server.APIVersion}}){{end}}';

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

function lifecycle(verb: 'restart' | 'stop', summary: string): AnyAction {
  const args = (input: RestartInput): string[] => lifecycleArgs(verb, input);
  return defineAction({
    summary,
    input: restartInput,
    effect: 'write',
    outputs: DOCKER_OUTPUTS.lifecycle,
    describe: (input) => describeDocker(input, args(input)),
    run: (input, ctx) =>
      runDocker(ctx, dockerRequest(input, args(input)), () => ({ container: input.container }), [
        'stdout',
      ]),
  });
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
      outputs: DOCKER_OUTPUTS.ps,
      describe: (input) => describeDocker(input, psArgs(input)),
      run: (input, ctx) =>
        runDocker(ctx, dockerRequest(input, psArgs(input)), (result) => parsePs(result.stdout)),
    }),
    inspect: defineAction({
      summary:
        'Inspect one container: outputs state (status, running, exit_code, restart_count, oom_killed, health…), config, restart_policy, mounts',
      input: inspectInput,
      effect: 'read',
      outputs: DOCKER_OUTPUTS.inspect,
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
      outputs: DOCKER_OUTPUTS.logs,
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
      outputs: DOCKER_OUTPUTS.stats,
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
      outputs: DOCKER_OUTPUTS.lifecycle,
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
      outputs: DOCKER_OUTPUTS.exec,
      describe: (input) => describeDocker(input, execArgs(input)),
      run: (input, ctx) => runDocker(ctx, dockerRequest(input, execArgs(input), input.env)),
    }),
    system_df: defineAction({
      summary:
        'Disk used by images, containers, volumes and build cache: outputs types, size_bytes, reclaimable_bytes',
      input: systemDfInput,
      effect: 'read',
      outputs: DOCKER_OUTPUTS.system_df,
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
      outputs: DOCKER_OUTPUTS.system_prune,
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
