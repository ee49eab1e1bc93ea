import { z } from 'zod';
import {
  failure,
  loadRequest,
  readBody,
  requestFailure,
  headersSchema,
  timeoutSchema as duration,
} from './support/undici.js';
import {
  defineAction,
  httpStatusOk,
  type Action,
  type ActionOutcome,
  type Adapter,
  type Effect,
} from './adapter.js';
import { tryParseJson } from '../common/json.js';
import { parseDuration } from '../common/duration.js';
import { linkSignal } from '../common/abort.js';
import { monotonicMs } from '../common/clock.js';
import { o } from './outputs.js';

const HTTP_OUTPUTS = {
  status: o('int', 'the HTTP status code'),
  latency_ms: o('int', 'milliseconds from sending the request to reading the whole body'),
  headers: o('map', 'response headers, lowercase names, repeated ones joined with ", "'),
  body: o('string', 'the response body (up to 4 MiB)'),
  json: o('dyn', 'the body parsed as JSON, when it parses'),
};

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT = '10s';

const requestInput = z.strictObject({
  url: z.string().min(1).describe('Absolute http:// or https:// URL'),
  timeout: duration.optional().describe('Whole-request timeout (default 10s)'),
  headers: headersSchema.optional(),
  body: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .describe('A string is sent as is; an object or array is sent as JSON'),
});

type RequestInput = z.output<typeof requestInput>;

function describeRequest(method: string, input: RequestInput): string {
  const parts = [`${method} ${shownUrl(input.url)}`];
  for (const [name, value] of Object.entries(input.headers ?? {}))
    parts.push(`-H '${name}: ${value}'`);
  if (input.body !== undefined) {
    const text = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    parts.push(`--data ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
  }
  return parts.join(' ');
}

/** The URL as people see it: a password in it as `***`. */
function shownUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.password === '') return raw;
  url.password = '***';
  return url.toString();
}

async function send(
  method: string,
  input: RequestInput,
  signal: AbortSignal,
): Promise<ActionOutcome> {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    return failure(`invalid URL: ${input.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return failure(`unsupported URL scheme ${url.protocol} (use http or https)`);
  }
  const timeoutMs = parseDuration(input.timeout ?? DEFAULT_TIMEOUT);
  const headers: Record<string, string> = { 'user-agent': 'runbook', ...input.headers };
  // undici sends no credentials from a URL: `user:password@` becomes Basic authentication, unless
  // the step gives its own Authorization header.
  if (url.username !== '' || url.password !== '') {
    let credentials: string;
    try {
      credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      return failure(
        'the user name or password in the URL is not valid percent-encoding (write % as %25)',
      );
    }
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'authorization'))
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  let body: string | null = null;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const request = await loadRequest();
  const started = monotonicMs();
  const linked = linkSignal([signal], timeoutMs);
  const requestSignal = linked.signal;
  try {
    const response = await request(url, {
      method: method as 'GET',
      headers,
      body,
      signal: requestSignal,
    });
    const text = await readBody(response.body, MAX_BODY_BYTES);
    const latency = Math.round(monotonicMs() - started);
    const outputs: Record<string, unknown> = {
      status: response.statusCode,
      latency_ms: latency,
      headers: flattenHeaders(response.headers),
      body: text,
    };
    const json = tryParseJson(text);
    if (json !== undefined) outputs.json = json;
    const ok = response.statusCode < 400;
    const outcome: ActionOutcome = { ok, exitCode: null, outputs };
    if (!ok) outcome.error = `HTTP ${response.statusCode} from ${url.host}`;
    return outcome;
  } catch (error) {
    return requestFailure(error, {
      signal,
      requestSignal,
      timeoutMs,
      host: url.host,
      what: url.host,
      refused: 'connection refused (is the service running?)',
    });
  } finally {
    linked.dispose();
  }
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function method(name: string, effect: Effect): Action<typeof requestInput> {
  return {
    summary: `HTTP ${name}: outputs status, latency_ms, headers, body and json`,
    input: requestInput,
    effect,
    outputs: HTTP_OUTPUTS,
    describe: (input) => describeRequest(name, input),
    run: (input, ctx) => send(name, input, ctx.signal),
    local: true,
    okOf: httpStatusOk,
  };
}

export const http = {
  name: 'http',
  summary: 'HTTP requests through undici (no external binary)',
  actions: {
    get: defineAction(method('GET', 'read')),
    head: defineAction(method('HEAD', 'read')),
    post: defineAction(method('POST', 'write')),
  },
  preflight: () => Promise.resolve({ ok: true }),
} satisfies Adapter;
