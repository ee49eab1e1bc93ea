import { z } from 'zod';
import { durationInput, formatDuration } from '../../common/duration.js';
import type { ActionOutcome } from '../adapter.js';
import { isTimeout } from '../../common/abort.js';

/** What the adapters that speak HTTP (http, notify) share: loading undici (request.ts), reading
 * a bounded body, and turning a failed request into an outcome with a message for people. */

export { loadRequest, type UndiciRequestFunction } from './request.js';

/** A request's `timeout:` input: a duration such as 5s, or a number of seconds. */
export const timeoutSchema = durationInput({
  seconds: 'positive',
  zero: 'a timeout of 0 ends the request at once: give at least 1ms',
});

/** Request headers: a value is one line (undici would refuse a line break only when sending). */
export const headersSchema = z.record(
  z.string(),
  z.string().regex(/^[^\r\n]*$/, { error: 'a header value cannot contain a line break' }),
);

/** A response body as text, cut off (and the stream closed) past `maxBytes`. */
export async function readBody(body: unknown, maxBytes: number): Promise<string> {
  return (await readUpTo(body, maxBytes)).text;
}

/** The whole body as text; undefined (the stream closed) when it is over `maxBytes`: a JSON
 * answer cut off would not parse. */
export async function readWhole(body: unknown, maxBytes: number): Promise<string | undefined> {
  const { text, cut } = await readUpTo(body, maxBytes);
  return cut ? undefined : text;
}

/** The body up to `maxBytes`, and whether there was more (the stream is then closed). */
async function readUpTo(body: unknown, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  const stream = body as AsyncIterable<Buffer> & { destroy(): void };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), cut: true };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), cut: false };
}

export function failure(error: string): ActionOutcome {
  return { ok: false, exitCode: null, outputs: {}, error };
}

/**
 * The outcome of a request that threw: interrupted or timed out with the step, no answer within
 * the request's own timeout, or a network failure described in words (prefixed with `what`,
 * e.g. the host). `hide` keeps a URL whose path is a credential out of the message.
 */
export function requestFailure(
  error: unknown,
  request: {
    signal: AbortSignal;
    requestSignal: AbortSignal;
    timeoutMs: number;
    host: string;
    what: string;
    refused: string;
    hide?: URL;
  },
): ActionOutcome {
  if (request.signal.aborted) {
    const reason: unknown = request.signal.reason;
    const timedOut = isTimeout(reason);
    return {
      ...failure(timedOut ? 'step timed out' : 'interrupted'),
      timedOut,
      interrupted: !timedOut,
    };
  }
  if (request.requestSignal.aborted) {
    return {
      ...failure(`no answer from ${request.host} within ${formatDuration(request.timeoutMs)}`),
      timedOut: true,
    };
  }
  return failure(`${request.what}: ${describeNetworkError(error, request.refused, request.hide)}`);
}

function describeNetworkError(error: unknown, refused: string, hide: URL | undefined): string {
  const code =
    (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return refused;
    case 'ENOTFOUND':
      return 'host not found (check the URL)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the server';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'the server stopped answering';
    default: {
      let message = error instanceof Error ? error.message : String(error);
      if (hide) {
        for (const part of [hide.href, hide.pathname.length > 1 ? hide.pathname : '', hide.search])
          if (part) message = message.split(part).join('/…');
      }
      return message;
    }
  }
}
