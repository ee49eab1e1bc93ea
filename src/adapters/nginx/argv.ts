import type { ProcessRequest } from '../adapter.js';
import type { CurlCall } from '../curl/argv.js';
import { formatArgv } from '../../common/quote.js';
import {
  DEFAULT_SCAN_LINES,
  STATUS_TIMEOUT,
  type ControlInput,
  type RateLimitedInput,
  type StatusInput,
} from './inputs.js';

export const NGINX = 'nginx';

export function nginxRequest(input: ControlInput, mode: readonly string[]): ProcessRequest {
  const args = [...mode];
  if (input.prefix !== undefined) args.push('-p', input.prefix);
  if (input.config !== undefined) args.push('-c', input.config);
  if (input.error_log !== undefined) args.push('-e', input.error_log);
  if (input.global !== undefined) args.push('-g', input.global);
  return { file: input.binary ?? NGINX, args };
}

/** The modes of nginx that the actions use: test the configuration, signal a reload. */
export const TEST = ['-t'] as const;
export const RELOAD = ['-s', 'reload'] as const;

export function statusCall(input: StatusInput): CurlCall {
  return { url: input.url, headers: input.headers, timeout: input.timeout ?? STATUS_TIMEOUT };
}

export function rateLimitedRequest(input: RateLimitedInput): ProcessRequest {
  return { file: 'tail', args: ['-n', String(input.lines ?? DEFAULT_SCAN_LINES), input.error_log] };
}

/** The command line as people would type it. */
export function describeRequest(request: ProcessRequest): string {
  return formatArgv([request.file, ...request.args]);
}
