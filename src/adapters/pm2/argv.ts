import type { ProcessRequest } from '../adapter.js';
import { formatArgv, shellQuote } from '../../common/quote.js';
import {
  DEFAULT_LOG_LINES,
  type AppInput,
  type LogsInput,
  type RestartInput,
  type ScaleInput,
  type StartInput,
} from './inputs.js';

/** `pm2 start` argv: an ecosystem file (optionally --only one app) or a named script. */
export function startArgs(input: StartInput): string[] {
  const args =
    input.ecosystem !== undefined
      ? ['start', input.ecosystem, ...(input.only === undefined ? [] : ['--only', input.only])]
      : ['start', input.script ?? '', '--name', input.name ?? ''];
  if (input.instances !== undefined) args.push('--instances', input.instances);
  if (input.max_memory_restart !== undefined)
    args.push('--max-memory-restart', input.max_memory_restart);
  if (input.max_restarts !== undefined) args.push('--max-restarts', String(input.max_restarts));
  return args;
}

/** `pm2 logs` argv: the tail of the app's log files, printed once (--nostream). */
export function logsArgs(input: LogsInput): string[] {
  const args = [
    'logs',
    input.app,
    '--nostream',
    '--lines',
    String(input.lines ?? DEFAULT_LOG_LINES),
  ];
  if (input.stream !== undefined) args.push(`--${input.stream}`);
  return args;
}

/** One pm2 command: its argv, PM2_HOME, and the environment the command (an app it starts) gets. */
export interface Call {
  args: string[];
  pm2_home?: string | undefined;
  env?: Record<string, string> | undefined;
}

function callEnv(call: Call): Record<string, string> {
  return {
    ...call.env,
    ...(call.pm2_home === undefined ? {} : { PM2_HOME: call.pm2_home }),
  };
}

export function processRequest(call: Call): ProcessRequest {
  const env = callEnv(call);
  return Object.keys(env).length > 0
    ? { file: 'pm2', args: call.args, env }
    : { file: 'pm2', args: call.args };
}

/** The command line a person would type, environment assignments first. Only PM2_HOME shows its
 * value: the app's own variables may be credentials, so they show as NAME=… */
export function commandLine(call: Call): string {
  const assignments = Object.entries(callEnv(call)).map(([name, value]) =>
    name === 'PM2_HOME' ? `${name}=${shellQuote(value)}` : `${name}=…`,
  );
  return [...assignments, formatArgv(['pm2', ...call.args])].join(' ');
}

export function restartCall(verb: 'restart' | 'reload', input: RestartInput): Call {
  return {
    args: [verb, input.app, ...(input.update_env ? ['--update-env'] : [])],
    pm2_home: input.pm2_home,
  };
}

export function scaleCall(input: ScaleInput): Call {
  return { args: ['scale', input.app, input.instances], pm2_home: input.pm2_home };
}

export function startCall(input: StartInput): Call {
  return { args: startArgs(input), pm2_home: input.pm2_home, env: input.env };
}

export function appCall(verb: 'stop' | 'delete', input: AppInput): Call {
  return { args: [verb, input.app], pm2_home: input.pm2_home };
}
