import type { ActionContext } from '../adapter.js';
import { formatArgv } from '../../common/quote.js';
import { describeScript, sqlScript, type SqlMode } from './script.js';
import type { SqlInput } from './inputs.js';

// Connection: the URL without its password in argv; the password in PGPASSWORD.

/**
 * Splits a postgres:// URL into what may be shown (the URL without any password) and the
 * password, percent-decoded. The user info ends at the first `@` before the first `/`, as libpq
 * reads it; a `password=` query parameter is taken out too.
 */
export function splitPassword(connection: string): { url: string; password: string | undefined } {
  const scheme = /^postgres(?:ql)?:\/\//.exec(connection)?.[0] ?? '';
  let rest = connection.slice(scheme.length);
  let password: string | undefined;
  const slash = rest.indexOf('/');
  const at = rest.indexOf('@');
  if (at >= 0 && (slash < 0 || at < slash)) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) {
      password = decode(userInfo.slice(colon + 1));
      rest = `${userInfo.slice(0, colon)}${rest.slice(at)}`;
    }
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    const kept: string[] = [];
    for (const parameter of rest.slice(question + 1).split('&')) {
      const [key = '', value = ''] = parameter.split(/=(.*)/s);
      if (decode(key) === 'password') password = decode(value);
      else kept.push(parameter);
    }
    rest = rest.slice(0, question) + (kept.length > 0 ? `?${kept.join('&')}` : '');
  }
  return { url: scheme + rest, password };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface PsqlCommand {
  args: string[];
  env: Record<string, string>;
  /** The script psql reads on stdin, when it has one. */
  input?: string;
}

/** psql's argv for `modeArgs` and `commands` (each one a -c), and the environment it needs. */
export function psqlCommand(
  connection: string | undefined,
  modeArgs: readonly string[],
  commands: readonly string[],
): PsqlCommand {
  // -X: no ~/.psqlrc; -w: never prompt for a password (it would wait on the terminal).
  const args = ['-X', '-w', '-v', 'ON_ERROR_STOP=1', ...modeArgs];
  const env: Record<string, string> = { PGCLIENTENCODING: 'UTF8' };
  if (connection !== undefined) {
    const { url: shown, password } = splitPassword(connection);
    args.push('-d', shown);
    if (password !== undefined) env.PGPASSWORD = password;
  }
  for (const command of commands) args.push('-c', command);
  return { args, env };
}

export function describeCommand(command: PsqlCommand): string {
  return formatArgv(['psql', ...command.args]);
}

/** The psql command for a user's SQL and its params; `readOnly` runs it in a read-only
 * transaction. */
export function sqlCommand(
  input: SqlInput,
  readOnly: boolean,
): PsqlCommand & { input: string; mode: SqlMode } {
  const { mode, script, env } = sqlScript(input.sql, input.params ?? {}, readOnly);
  const command = psqlCommand(input.url, modeArgs(mode), []);
  return { ...command, env: { ...command.env, ...env }, input: script, mode };
}

export function describeSql(input: SqlInput, readOnly: boolean): string {
  const command = sqlCommand(input, readOnly);
  return describeScript(['psql', ...command.args], command.input, input.params ?? {});
}

function modeArgs(mode: SqlMode): string[] {
  switch (mode) {
    case 'rows':
    case 'returning':
      return ['-q', '-At'];
    case 'text-rows':
      return ['-q', '--csv'];
    case 'command':
      // Not quiet: psql prints each statement's command tag.
      return ['-At'];
    default:
      return mode satisfies never;
  }
}

/** The environment of one psql run: the command's own, plus defaults the caller has not set. */
export function processEnv(command: PsqlCommand, ctx: ActionContext): Record<string, string> {
  const env = { ...command.env };
  // Our sessions are recognisable in pg_stat_activity, and a dead host fails in seconds.
  if (ctx.env.PGAPPNAME === undefined) env.PGAPPNAME = 'runbook';
  if (ctx.env.PGCONNECT_TIMEOUT === undefined) env.PGCONNECT_TIMEOUT = '10';
  return env;
}
