import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type Preflight,
  type ProcessRequest,
} from './adapter.js';
import { processOutcome, tryParseJson } from './support/process-outcome.js';
import { formatArgv } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { firstLine } from './support/lines.js';
import { durationInput, formatDuration, parseDuration } from '../common/duration.js';

const CURL = 'curl';
const DEFAULT_TIMEOUT = '10s';
const MAX_BODY_CHARS = 4 * 1024 * 1024;
const SHOWN_DATA_CHARS = 200;
/** `%{json}` needs curl 7.70 and `%{header_json}` 7.83. */
const MIN_VERSION = [7, 83] as const;

/**
 * The write-out goes to stderr after a marker line, so that stdout is the body alone and curl's
 * own messages (printed before it) stay apart: the timings and status as JSON, then the headers.
 */
const WRITE_OUT_MARKER = '@@runbook-curl-write-out@@';
export const WRITE_OUT = `%{stderr}\\n${WRITE_OUT_MARKER}%{json}\\n%{header_json}`;

/** Header names whose values are credentials: they travel in a config on stdin, never in argv. */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie)$|token|secret|password|passwd|api-?key|auth|session|signature|credential/i;

const duration = durationInput({ seconds: 'positive' });

const headers = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'not a valid header name' }),
    z.string().regex(/^[^\r\n]*$/, { error: 'a header value cannot contain a line break' }),
  )
  .optional()
  .describe(
    'Request headers; credentials (Authorization, Cookie, *token*, *key*…) reach curl on stdin, not in its argv',
  );

const common = {
  url: z.string().min(1).describe('Absolute URL'),
  headers,
  timeout: duration
    .optional()
    .describe(`Whole-request timeout, curl --max-time (default ${DEFAULT_TIMEOUT})`),
  fail: z
    .boolean()
    .optional()
    .describe('curl --fail: an HTTP status of 400 or more is curl exit 22, and no body is kept'),
  retry: z
    .number()
    .int()
    .min(0)
    .max(20)
    .optional()
    .describe('curl --retry N --retry-connrefused: retries timeouts, refusals and 408/429/5xx'),
  retry_delay: duration
    .optional()
    .describe(
      "Time between retries, curl --retry-delay: whole seconds, at least 1s (default: curl's backoff, 1s doubling)",
    ),
  insecure: z.boolean().optional().describe('curl --insecure: do not verify the TLS certificate'),
  follow: z.boolean().optional().describe('curl --location: follow redirects'),
};

export const getInput = z.strictObject({
  ...common,
  method: z.enum(['GET', 'HEAD']).optional().describe('GET (default) or HEAD (curl --head)'),
});

export const requestInput = z.strictObject({
  ...common,
  method: z
    .string()
    .regex(/^[A-Z]+$/, { error: 'an HTTP method in capitals, e.g. POST' })
    .optional()
    .describe('HTTP method (default POST when there is data, else GET)'),
  data: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .describe('Request body: a string is sent as is; an object or array as JSON'),
});

type GetInput = z.output<typeof getInput>;
type RequestInput = z.output<typeof requestInput>;

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
  const args = ['-sS'];
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
function splitCredentials(raw: string): { url: string; credentials: string | undefined } {
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

/** The fields of curl's `%{json}` write-out that the outputs use. */
export interface WriteOut {
  http_code?: number;
  exitcode?: number;
  errormsg?: string | null;
  time_namelookup?: number;
  time_connect?: number;
  time_appconnect?: number;
  time_pretransfer?: number;
  time_starttransfer?: number;
  time_total?: number;
  size_download?: number;
  remote_ip?: string;
  http_version?: string;
  content_type?: string | null;
  url_effective?: string;
  num_redirects?: number;
}

/** Splits curl's stderr into its own messages and the write-out (JSON, then the headers). */
export function parseWriteOut(stderr: string): {
  messages: string;
  writeOut: WriteOut | undefined;
  headers: Record<string, string>;
} {
  const at = stderr.lastIndexOf(WRITE_OUT_MARKER);
  if (at < 0) return { messages: stderr.trimEnd(), writeOut: undefined, headers: {} };
  const messages = stderr.slice(0, at).replace(/\n$/, '').trimEnd();
  const rest = stderr.slice(at + WRITE_OUT_MARKER.length);
  const newline = rest.indexOf('\n');
  const json = newline < 0 ? rest : rest.slice(0, newline);
  const headerJson = newline < 0 ? '' : rest.slice(newline + 1);
  const writeOut = tryParseJson(json);
  return {
    messages,
    writeOut:
      writeOut && typeof writeOut === 'object' && !Array.isArray(writeOut)
        ? (writeOut as WriteOut)
        : undefined,
    headers: flattenHeaders(tryParseJson(headerJson)),
  };
}

function flattenHeaders(value: unknown): Record<string, string> {
  const flat: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return flat;
  for (const [name, values] of Object.entries(value as Record<string, unknown>)) {
    flat[name.toLowerCase()] = Array.isArray(values)
      ? values.map(String).join(', ')
      : String(values);
  }
  return flat;
}

/** Seconds (curl's unit) to milliseconds, to the microsecond. */
function ms(secondsValue: number): number {
  return Math.max(0, Math.round(secondsValue * 1_000_000) / 1000);
}

/**
 * Timings in ms: `dns_ms`, `connect_ms` (TCP handshake) and `tls_ms` (TLS handshake) are phases;
 * `ttfb_ms` (first byte) and `total_ms` count from the start; `server_ms` is the wait between
 * sending the request and the first byte.
 */
export function timings(writeOut: WriteOut): Record<string, number> {
  const lookup = writeOut.time_namelookup ?? 0;
  const connect = writeOut.time_connect ?? 0;
  const appconnect = writeOut.time_appconnect ?? 0;
  const pretransfer = writeOut.time_pretransfer ?? 0;
  const start = writeOut.time_starttransfer ?? 0;
  const total = writeOut.time_total ?? 0;
  return {
    dns_ms: ms(lookup),
    connect_ms: connect > 0 ? ms(connect - lookup) : 0,
    tls_ms: appconnect > 0 ? ms(appconnect - connect) : 0,
    ttfb_ms: ms(start),
    server_ms: start > 0 ? ms(start - pretransfer) : 0,
    total_ms: ms(total),
  };
}

/**
 * The body of the last attempt: with --retry, curl writes every attempt's body to stdout, and
 * `size_download` is the size of the last one.
 */
export function lastBody(stdout: string, size: number | undefined): string {
  const bytes = Buffer.from(stdout, 'utf8');
  const body =
    size !== undefined && size >= 0 && bytes.length > size
      ? bytes.subarray(bytes.length - size).toString('utf8')
      : stdout;
  return body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body;
}

/** Why curl failed, for people: its exit code in words, then its own message. */
export function describeCurlExit(
  exitCode: number,
  status: number,
  target: string,
  timeout: string,
  message: string | undefined,
): string {
  const said = message ? `: ${message}` : '';
  switch (exitCode) {
    case 6:
      return `could not resolve host ${target} (curl exit 6): check the URL`;
    case 7:
      return `${target}: connection refused (curl exit 7): is the service running?`;
    case 22:
      return `HTTP ${status} from ${target} (curl --fail, exit 22)`;
    case 28:
      return `no answer from ${target} within ${timeout} (curl exit 28)`;
    case 35:
      return `${target}: TLS handshake failed (curl exit 35)${said}`;
    case 47:
      return `${target}: too many redirects (curl exit 47)`;
    case 52:
      return `${target}: the server closed the connection without answering (curl exit 52)`;
    case 56:
      return `${target}: the connection was reset (curl exit 56)${said}`;
    case 60:
      return `${target}: TLS certificate not trusted (curl exit 60; insecure: true skips the check)`;
    default:
      return `curl exit ${exitCode}${said}`;
  }
}

function targetOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** Runs one curl transfer: the HTTP status, timings, headers, body (and json), and exit_code. */
export async function runCurl(call: CurlCall, ctx: ActionContext): Promise<ActionOutcome> {
  const { request } = buildCurl(call);
  const result = await ctx.exec(request);
  const { messages, writeOut, headers } = parseWriteOut(result.stderr);
  const base = processOutcome({ ...result, stdout: '', stderr: messages }, ctx.timeoutMs);
  if (result.error || result.timedOut || result.interrupted)
    return { ...base, ok: false, outputs: { exit_code: result.exitCode } };
  if (!writeOut) {
    const said = firstLine(messages);
    return {
      ...base,
      ok: false,
      outputs: { exit_code: result.exitCode },
      error:
        result.exitCode !== 0 && said
          ? `curl exit ${String(result.exitCode)}: ${said}`
          : `could not read curl's --write-out output (the curl adapter needs curl ${MIN_VERSION.join('.')} or later)`,
    };
  }
  const status = writeOut.http_code ?? 0;
  // With --head, stdout holds the headers, which are already in `headers`.
  const body = call.head ? '' : lastBody(result.stdout, writeOut.size_download);
  const outputs: Record<string, unknown> = {
    status,
    ...timings(writeOut),
    latency_ms: ms(writeOut.time_total ?? 0),
    size_bytes: writeOut.size_download ?? 0,
    remote_ip: writeOut.remote_ip ?? '',
    http_version: writeOut.http_version ?? '',
    content_type: writeOut.content_type ?? null,
    url: writeOut.url_effective ?? splitCredentials(call.url).url,
    redirects: writeOut.num_redirects ?? 0,
    headers,
    body,
    exit_code: result.exitCode,
  };
  const json = tryParseJson(body);
  if (json !== undefined) outputs.json = json;
  const exitCode = result.exitCode ?? -1;
  const target = targetOf(call.url);
  const outcome: ActionOutcome = {
    ok: exitCode === 0 && status > 0 && status < 400,
    exitCode: result.exitCode,
    outputs,
    stderr: messages,
  };
  if (exitCode !== 0) {
    const timeout = formatDuration(parseDuration(call.timeout ?? DEFAULT_TIMEOUT));
    outcome.error = describeCurlExit(
      exitCode,
      status,
      target,
      timeout,
      writeOut.errormsg ?? firstLine(messages),
    );
    if (exitCode === 28) outcome.timedOut = true;
  } else if (!outcome.ok) outcome.error = `HTTP ${status} from ${target}`;
  return outcome;
}

/** curl on PATH, recent enough for the JSON write-out. */
export async function curlPreflight(env: Record<string, string | undefined>): Promise<Preflight> {
  const found = await binaryPreflight(CURL, env, {
    versionArgs: ['--version'],
    pickVersion: (output) => /^curl (\d+\.\d+(?:\.\d+)?)/m.exec(output)?.[1],
    hint: 'install curl (apt-get install curl)',
  });
  if (!found.ok || !found.version) return found;
  const [major = 0, minor = 0] = found.version.split('.').map(Number);
  if (major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1])) return found;
  return {
    ...found,
    ok: false,
    problem: `curl ${found.version} is too old: the curl adapter needs ${MIN_VERSION.join('.')} or later (--write-out %{json} and %{header_json})`,
    hint: 'upgrade curl',
  };
}

const OUTPUTS =
  'outputs status, dns_ms, connect_ms, tls_ms, ttfb_ms, server_ms, total_ms, latency_ms, headers, body, json, exit_code';

export const curl = {
  name: 'curl',
  summary: 'HTTP through the curl binary, with its timing breakdown and exit codes',
  binary: CURL,
  actions: {
    get: defineAction({
      summary: `curl GET (or HEAD): ${OUTPUTS}`,
      input: getInput,
      effect: 'read',
      describe: (input) => describeCurl(getCall(input)),
      run: (input, ctx) => runCurl(getCall(input), ctx),
    }),
    request: defineAction({
      summary: `curl with any method and a body (a write): ${OUTPUTS}`,
      input: requestInput,
      effect: 'write',
      describe: (input) => describeCurl(requestCall(input)),
      run: (input, ctx) => runCurl(requestCall(input), ctx),
    }),
  },
  preflight: ({ env }) => curlPreflight(env),
} satisfies Adapter;
