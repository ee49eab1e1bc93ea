import type { ProcessRequest } from '../adapter.js';
import { formatArgv } from '../../common/quote.js';
import { parseDuration } from '../../common/duration.js';
import { DEFAULT_TIMEOUT, type GetInput, type RequestInput } from './inputs.js';

export const CURL = 'curl';

const SHOWN_DATA_CHARS = 200;

/**
 * The write-out goes to stderr after a marker line, so that stdout is the body alone and curl's
 * own messages (printed before it) stay apart: the timings and status as JSON, then the headers.
 */
export const WRITE_OUT_MARKER = '@@runbook-curl-write-out@@';
export const WRITE_OUT = `%{stderr}\\n${WRITE_OUT_MARKER}%{json}\\n%{header_json}`;

/** Header names whose values are credentials: they travel in a config on stdin, never in argv. */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie)$|token|secret|password|passwd|api-?key|auth|session|signature|credential/i;

/** One curl transfer, as the curl and nginx adapters ask for it. */
export interface CurlCall {
  url: string;
  /** Sent with -X; undefined lets curl choose (GET, or POST with data). */
  method?: string | undefined;
  head?: boolean | undefined;
  headers?: Record<string, string> | undefined;
  data?: string | undefined;
  timeout?: string | number | undefined;
  fail?: boolean | undefined;
  retry?: number | undefined;
  retryDelay?: string | number | undefined;
  insecure?: boolean | undefined;
  follow?: boolean | undefined;
}

export function getCall(input: GetInput): CurlCall {
  return { ...commonCall(input), head: input.method === 'HEAD' };
}

export function requestCall(input: RequestInput): CurlCall {
  const call = commonCall(input);
  if (input.data === undefined) return { ...call, method: input.method ?? 'GET' };
  const json = typeof input.data !== 'string';
  const headers = { ...call.headers };
  if (json && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  return {
    ...call,
    method: input.method ?? 'POST',
    headers,
    data: json ? JSON.stringify(input.data) : (input.data as string),
  };
}

function commonCall(input: GetInput | RequestInput): CurlCall {
  return {
    url: input.url,
    headers: input.headers,
    timeout: input.timeout,
    fail: input.fail,
    retry: input.retry,
    retryDelay: input.retry_delay,
    insecure: input.insecure,
    follow: input.follow,
  };
}

/** A curl option that carries a secret, a body or the URL, sent as a config line on stdin
 * (`-K -`). */
interface StdinOption {
  name: 'header' | 'data-raw' | 'user' | 'url';
  value: string;
  /** How people see it. */
  shown: string;
}

/**
 * The process to run and the argv people see. Secrets (credential headers, a password in the
 * URL), the body and the URL itself (whose query may hold a token) reach curl as config lines on
 * stdin, so that no other user sees them in `ps`; `shown` lists them as the options they are,
 * with credentials as `***` (the engine masks known secrets in the rest).
 */
export function buildCurl(call: CurlCall): { request: ProcessRequest; shown: string[] } {
  // --globoff: a URL is one request, taken as written; curl would otherwise expand [1-3] and {a,b}
  // in it into several transfers.
  const args = ['-sS', '--globoff'];
  if (call.head) args.push('--head');
  else if (call.method !== undefined) args.push('-X', call.method);
  args.push('--max-time', seconds(parseDuration(call.timeout ?? DEFAULT_TIMEOUT)));
  if (call.fail) args.push('--fail');
  if (call.retry) args.push('--retry', String(call.retry), '--retry-connrefused');
  if (call.retry && call.retryDelay !== undefined)
    // curl reads 0 as "its own backoff": the shortest fixed delay is one second.
    args.push(
      '--retry-delay',
      String(Math.max(1, Math.ceil(parseDuration(call.retryDelay) / 1000))),
    );
  if (call.insecure) args.push('--insecure');
  if (call.follow) args.push('--location');

  const stdin: StdinOption[] = [];
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    if (SECRET_HEADER.test(name))
      stdin.push({ name: 'header', value: `${name}: ${value}`, shown: `${name}: ***` });
    else args.push('-H', `${name}: ${value}`);
  }
  const { url, credentials } = splitCredentials(call.url);
  if (credentials)
    stdin.push({
      name: 'user',
      value: credentials,
      shown: `${credentials.split(':')[0] ?? ''}:***`,
    });
  if (call.data !== undefined)
    stdin.push({
      name: 'data-raw',
      value: call.data,
      shown:
        call.data.length > SHOWN_DATA_CHARS
          ? `${call.data.slice(0, SHOWN_DATA_CHARS)}…`
          : call.data,
    });
  args.push('-w', WRITE_OUT);

  stdin.push({ name: 'url', value: url, shown: url });

  const shown = [...args];
  for (const option of stdin)
    shown.push(option.name === 'header' ? '-H' : `--${option.name}`, option.shown);
  args.push('-K', '-');
  const request: ProcessRequest = {
    file: CURL,
    args,
    input: stdin.map((option) => `${option.name} = ${configString(option.value)}\n`).join(''),
  };
  return { request, shown };
}

export function describeCurl(call: CurlCall): string {
  return formatArgv([CURL, ...buildCurl(call).shown]);
}

/** curl's `--max-time` in seconds, fractions allowed. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** A `user:password@` in the URL would show in argv: it goes to curl's config instead. */
export function splitCredentials(raw: string): { url: string; credentials: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw, credentials: undefined };
  }
  if (!parsed.username && !parsed.password) return { url: raw, credentials: undefined };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), credentials };
}

/** A double-quoted string in curl's config syntax. */
export function configString(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}
