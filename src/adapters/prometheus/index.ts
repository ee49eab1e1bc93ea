import { defineAction, httpStatusOk, type ActionOutcome, type Adapter } from '../adapter.js';
import { failure, loadRequest, readWhole, requestFailure } from '../support/undici.js';
import { linkSignal } from '../../common/abort.js';
import { parseDuration } from '../../common/duration.js';
import { tryParseJson } from '../../common/json.js';
import { queryInput, rangeInput } from './inputs.js';
import { PROMETHEUS_OUTPUTS } from './outputs.js';
import { parseAnswer } from './parse.js';
import {
  describeApiRequest,
  queryRequest,
  rangeRequest,
  requestUrl,
  type ApiRequest,
} from './request.js';

/** Prometheus's HTTP API through undici, no binary (docs/adapters.md#prometheus). */

const DEFAULT_TIMEOUT = '10s';
/** A range of many series is large; past this the answer is cut off and refused. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

async function send(
  api: ApiRequest | string,
  timeout: string | number | undefined,
  range: boolean,
  signal: AbortSignal,
): Promise<ActionOutcome> {
  if (typeof api === 'string') return failure(api);
  const url = requestUrl(api);
  const headers: Record<string, string> = { 'user-agent': 'runbook', accept: 'application/json' };
  if (api.authorization !== undefined) headers.authorization = api.authorization;
  const timeoutMs = parseDuration(timeout ?? DEFAULT_TIMEOUT);
  const request = await loadRequest();
  const linked = linkSignal([signal], timeoutMs);
  const requestSignal = linked.signal;
  try {
    const response = await request(url, { method: 'GET', headers, signal: requestSignal });
    const text = await readWhole(response.body, MAX_BODY_BYTES);
    if (text === undefined)
      return failure(
        `the answer from ${url.host} is over ${MAX_BODY_BYTES / 1024 / 1024} MiB: narrow the query or widen step`,
      );
    const parsed = parseAnswer(response.statusCode, tryParseJson(text), range);
    if (parsed.ok) return { ok: true, exitCode: null, outputs: parsed.outputs };
    const status = response.statusCode;
    const why =
      status === 401
        ? `HTTP 401 from ${url.host}: it asks for authentication (give basic_auth or bearer_token)`
        : status === 403
          ? `HTTP 403 from ${url.host}: the credentials given are not allowed`
          : parsed.error.startsWith('not an answer') && status === 404
            ? `${parsed.error}: is ${api.base.href} the Prometheus server's base URL?`
            : parsed.error;
    return { ok: false, exitCode: null, outputs: parsed.outputs, error: why };
  } catch (error) {
    const outcome = requestFailure(error, {
      signal,
      requestSignal,
      timeoutMs,
      host: url.host,
      what: url.host,
      refused: 'connection refused (is Prometheus running there?)',
    });
    // No answer is not an answer: `check` grades it UNKNOWN, not CRITICAL.
    if (!outcome.timedOut && !outcome.interrupted) outcome.unavailable = true;
    return outcome;
  } finally {
    linked.dispose();
  }
}

const nowSeconds = (): number => Date.now() / 1000;

export const prometheus = {
  name: 'prometheus',
  summary: "Prometheus's HTTP API: instant and range PromQL queries (no external binary)",
  actions: {
    query: defineAction({
      summary:
        'Instant query (GET /api/v1/query): outputs samples (labels, value, timestamp), value when the result is one, count, result_type, warnings',
      input: queryInput,
      effect: 'read',
      outputs: PROMETHEUS_OUTPUTS.query,
      describe: (input) => describeApiRequest(queryRequest(input, undefined)),
      run: (input, ctx) =>
        send(queryRequest(input, nowSeconds()), input.timeout, false, ctx.signal),
      local: true,
      okOf: httpStatusOk,
    }),
    range: defineAction({
      summary:
        'Range query (GET /api/v1/query_range) from start (a time or a duration back) to end every step: outputs series (labels, values [[ts, value]]), value when the result is one point, count, warnings',
      input: rangeInput,
      effect: 'read',
      outputs: PROMETHEUS_OUTPUTS.range,
      describe: (input) => describeApiRequest(rangeRequest(input, undefined)),
      run: (input, ctx) => send(rangeRequest(input, nowSeconds()), input.timeout, true, ctx.signal),
      local: true,
      okOf: httpStatusOk,
    }),
  },
  preflight: () => Promise.resolve({ ok: true }),
} satisfies Adapter;
