import type { ProcessRequest } from '../adapter.js';
import { formatArgv, shellQuote } from '../../common/quote.js';
import { parseDuration } from '../../common/duration.js';
import {
  DEFAULT_LOG_TAIL,
  type ExecInput,
  type InspectInput,
  type LogsInput,
  type PruneInput,
  type PsInput,
  type RestartInput,
  type StatsInput,
} from './inputs.js';

export const DOCKER = 'docker';

export const JSON_FORMAT = '{{json .}}';

type HostInput = { host?: string | undefined };

/** The docker CLI as a process request; `host` reaches it as DOCKER_HOST. */
export function dockerRequest(
  input: HostInput,
  args: string[],
  env: Record<string, string> = {},
): ProcessRequest {
  const processEnv = input.host === undefined ? env : { ...env, DOCKER_HOST: input.host };
  return Object.keys(processEnv).length > 0
    ? { file: DOCKER, args, env: processEnv }
    : { file: DOCKER, args };
}

export function describeDocker(input: HostInput, args: string[]): string {
  const command = formatArgv([DOCKER, ...args]);
  return input.host === undefined ? command : `DOCKER_HOST=${shellQuote(input.host)} ${command}`;
}

export function psArgs(input: PsInput): string[] {
  const args = ['ps'];
  if (input.all) args.push('--all');
  const filter = input.filter;
  if (filter?.name !== undefined) args.push('--filter', `name=${filter.name}`);
  for (const label of [filter?.label ?? []].flat()) args.push('--filter', `label=${label}`);
  if (filter?.status !== undefined) args.push('--filter', `status=${filter.status}`);
  args.push('--no-trunc', '--format', JSON_FORMAT);
  return args;
}

export function inspectArgs(input: InspectInput): string[] {
  return ['inspect', '--type', 'container', input.container];
}

export function logsArgs(input: LogsInput): string[] {
  const args = ['logs', '--timestamps', '--tail', String(input.tail ?? DEFAULT_LOG_TAIL)];
  if (input.since !== undefined) args.push('--since', input.since);
  if (input.until !== undefined) args.push('--until', input.until);
  args.push(input.container);
  return args;
}

export function statsArgs(input: StatsInput): string[] {
  const args = ['stats', '--no-stream'];
  if (input.all) args.push('--all');
  args.push('--format', JSON_FORMAT);
  if (input.container !== undefined) args.push(input.container);
  return args;
}

export function pruneArgs(input: PruneInput): string[] {
  const args = ['system', 'prune', '--force'];
  if (input.all) args.push('--all');
  if (input.volumes) args.push('--volumes');
  if (input.until !== undefined) args.push('--filter', `until=${input.until}`);
  return args;
}

function timeoutArgs(timeout: number | string | undefined): string[] {
  if (timeout === undefined) return [];
  const seconds = typeof timeout === 'number' ? timeout : Math.ceil(parseDuration(timeout) / 1000);
  return ['-t', String(seconds)];
}

export function execArgs(input: ExecInput): string[] {
  const args = ['exec'];
  if (input.user !== undefined) args.push('--user', input.user);
  if (input.workdir !== undefined) args.push('--workdir', input.workdir);
  // "--env NAME" without a value: docker takes the value from its own environment.
  for (const name of Object.keys(input.env ?? {})) args.push('--env', name);
  args.push(input.container, ...input.command);
  return args;
}

/** `docker restart` or `docker stop`, with the time the container gets to stop. */
export function lifecycleArgs(verb: 'restart' | 'stop', input: RestartInput): string[] {
  return [verb, ...timeoutArgs(input.timeout), input.container];
}
