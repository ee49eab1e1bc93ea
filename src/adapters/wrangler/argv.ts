import type { ActionContext, ProcessRequest } from '../adapter.js';
import { formatArgv } from '../../common/quote.js';
import type { RollbackInput, TailInput } from './inputs.js';

export const BINARY = 'wrangler';

/** Set for wrangler unless the user set them: no telemetry, no banner (whose update check goes to
 * the npm registry), no crash reports. */
const QUIET_DEFAULTS: Readonly<Record<string, string>> = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
};

/** Credentials and API settings wrangler reads; passed on explicitly so that they also reach a
 * step that runs on another host (in the environment, never in argv). */
const FORWARDED_ENV = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_ACCOUNT_ID',
  'CLOUDFLARE_API_KEY',
  'CLOUDFLARE_EMAIL',
  'CLOUDFLARE_API_BASE_URL',
] as const;

export function deploymentsArgv(name: string): string[] {
  return [BINARY, 'deployments', 'list', '--name', name, '--json'];
}

export function deploymentStatusArgv(name: string): string[] {
  return [BINARY, 'deployments', 'status', '--name', name, '--json'];
}

export function versionsArgv(name: string): string[] {
  return [BINARY, 'versions', 'list', '--name', name, '--json'];
}

export function versionViewArgv(name: string, version: string): string[] {
  return [BINARY, 'versions', 'view', version, '--name', name, '--json'];
}

export function rollbackArgv(input: RollbackInput): string[] {
  return [
    BINARY,
    'rollback',
    ...(input.version_id === undefined ? [] : [input.version_id]),
    '--name',
    input.name,
    // One word: wrangler would read a message starting with "-" after -m as an option.
    `--message=${input.message}`,
    '-y',
  ];
}

/** The value is not here: it goes on stdin. */
export function secretPutArgv(name: string, key: string): string[] {
  return [BINARY, 'secret', 'put', key, '--name', name];
}

export function whoamiArgv(): string[] {
  return [BINARY, 'whoami', '--json'];
}

/** `wrangler tail` takes the Worker as a positional argument (it has no --name). */
export function tailArgv(input: TailInput): string[] {
  const argv = [BINARY, 'tail', input.name, '--format', 'json'];
  for (const status of asList(input.filter?.status)) argv.push('--status', status);
  for (const method of asList(input.filter?.method)) argv.push('--method', method.toUpperCase());
  // One word, so that a search text starting with "-" is not read as an option.
  if (input.filter?.search !== undefined) argv.push(`--search=${input.filter.search}`);
  return argv;
}

export function describeTail(input: TailInput): string {
  const limit = input.max_events === undefined ? '' : ` or ${input.max_events} matching events`;
  return `${formatArgv(tailArgv(input))}  # stopped after ${durationText(input.duration)}${limit}`;
}

/** A duration as the runbook wrote it. */
export function durationText(value: string | number): string {
  return typeof value === 'number' ? `${value}s` : value;
}

/** The environment additions for wrangler: credentials passed on, quiet defaults filled in. */
export function wranglerEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_ENV) {
    const value = env[name];
    if (value) out[name] = value;
  }
  for (const [name, value] of Object.entries(QUIET_DEFAULTS))
    if (env[name] === undefined) out[name] = value;
  return out;
}

export function wranglerRequest(
  ctx: Pick<ActionContext, 'env'>,
  argv: readonly string[],
  input?: string,
): ProcessRequest {
  const [file = BINARY, ...args] = argv;
  return {
    file,
    args,
    env: wranglerEnv(ctx.env),
    ...(input === undefined ? {} : { input }),
  };
}

/** A value given alone or as a list, as a list. */
export function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}
