import { z } from 'zod';
import { loadRequest } from './undici.js';
import {
  defineAction,
  type Action,
  type ActionOutcome,
  type Adapter,
  type Effect,
} from './adapter.js';
import { tryParseJson } from './process-outcome.js';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../schema/duration.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT = '10s';

const DURATION_ERROR = 'expected a duration such as 500ms, 5s or 1m';
const duration = z.union(
  [z.string().regex(DURATION_PATTERN, { error: DURATION_ERROR }), z.number().positive()],
  { error: DURATION_ERROR },
);

const requestInput = z.strictObject({
  url: z.string().min(1).describe('Absolute http:// or https:// URL'),
  timeout: duration.optional().describe('Whole-request timeout (default 10s)'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z
    .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .describe('A string is sent as is; an object or array is sent as JSON'),
});

type RequestInput = z.output<typeof requestInput>;

function describeRequest(method: string, input: RequestInput): string {
  const parts = [`${method} ${input.url}`];
  for (const [name, value] of Object.entries(input.headers ?? {}))
    parts.push(`-H '${name}: ${value}'`);
  if (input.body !== undefined) {
    const text = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
    parts.push(`--data ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
  }
  return parts.join(' ');
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
  let body: string | null = null;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const request = await loadRequest();
  const started = performance.now();
  const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const response = await request(url, {
      method: method as 'GET',
      headers,
      body,
      signal: requestSignal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.body.destroy();
        break;
      }
      chunks.push(chunk);
    }
    const latency = Math.round(performance.now() - started);
    const text = Buffer.concat(chunks).toString('utf8');
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
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
      return {
        ...failure(timedOut ? 'step timed out' : 'interrupted'),
        timedOut,
        interrupted: !timedOut,
      };
    }
    if (requestSignal.aborted) {
      return {
        ...failure(`no answer from ${url.host} within ${formatDuration(timeoutMs)}`),
        timedOut: true,
      };
    }
    return failure(`${url.host}: ${describeNetworkError(error)}`);
  }
}

function failure(error: string): ActionOutcome {
  return { ok: false, exitCode: null, outputs: {}, error };
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

function describeNetworkError(error: unknown): string {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } }).code ??
    (error as { cause?: { code?: unknown } }).cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the service running?)';
    case 'ENOTFOUND':
      return 'host not found (check the URL)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the server';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'the server stopped answering';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function method(name: string, effect: Effect): Action<typeof requestInput> {
  return {
    summary: `HTTP ${name}: outputs status, latency_ms, headers, body and json`,
    input: requestInput,
    effect,
    describe: (input) => describeRequest(name, input),
    run: (input, ctx) => send(name, input, ctx.signal),
    local: true,
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
