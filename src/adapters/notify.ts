import { z } from 'zod';
import {
  failure,
  headersSchema,
  loadRequest,
  readBody,
  requestFailure,
  timeoutSchema as duration,
} from './support/undici.js';
import { defineAction, type ActionOutcome, type Adapter } from './adapter.js';
import { tryParseJson } from '../common/json.js';
import { parseDuration } from '../common/duration.js';
import { linkSignal } from '../common/abort.js';
import { o } from './outputs.js';
import { monotonicMs } from '../common/clock.js';

const DEFAULT_TIMEOUT = '10s';
const MAX_BODY_BYTES = 64 * 1024;
const SHOWN_DATA_CHARS = 200;

const slackInput = z.strictObject({
  webhook_url: z
    .string()
    .min(1)
    .describe('Slack incoming-webhook URL: a credential, pass it from a secret variable'),
  text: z.string().min(1).describe('The message (Slack mrkdwn); secrets in it are sent as ***'),
  channel: z.string().min(1).optional().describe('Channel override, e.g. #incidents'),
  username: z.string().min(1).optional().describe('Sender name override'),
  timeout: duration.optional().describe('Whole-request timeout (default 10s)'),
});

const webhookInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .describe('Webhook URL: often a credential, pass it from a secret variable'),
  payload: z
    .record(z.string(), z.unknown())
    .describe('Sent as the JSON body; secrets in it are sent as ***'),
  headers: headersSchema.optional().describe('Extra request headers, e.g. an Authorization token'),
  timeout: duration.optional().describe('Whole-request timeout (default 10s)'),
});

/** A message to post: the JSON body, and what to call the endpoint in messages. */
interface Post {
  url: string;
  label: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  timeout: string | number | undefined;
}

/**
 * A webhook URL carries its credential in the path (hooks.slack.com/services/T…/B…/secret), so
 * people see only its scheme and host.
 */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** The request, without the URL's path and without header values. */
export function describePost(post: Post): string {
  const parts = [`POST ${describeEndpoint(post.url)} (${post.label})`];
  for (const name of Object.keys(post.headers)) parts.push(`-H '${name}: …'`);
  const data = JSON.stringify(post.body);
  parts.push(
    `--data ${data.length > SHOWN_DATA_CHARS ? `${data.slice(0, SHOWN_DATA_CHARS)}…` : data}`,
  );
  return parts.join(' ');
}

function slackPost(input: z.output<typeof slackInput>): Post {
  const body: Record<string, unknown> = { text: input.text };
  if (input.channel !== undefined) body.channel = input.channel;
  if (input.username !== undefined) body.username = input.username;
  return {
    url: input.webhook_url,
    label: 'Slack webhook',
    body,
    headers: {},
    timeout: input.timeout,
  };
}

function webhookPost(input: z.output<typeof webhookInput>): Post {
  return {
    url: input.url,
    label: 'webhook',
    body: input.payload,
    headers: input.headers ?? {},
    timeout: input.timeout,
  };
}

/** Posts the JSON body; any answer but 2xx fails the step. Nothing returned names the URL's path. */
async function send(post: Post, signal: AbortSignal): Promise<ActionOutcome> {
  let url: URL;
  try {
    url = new URL(post.url);
  } catch {
    return failure(`the ${post.label} URL is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return failure(`unsupported URL scheme ${url.protocol} for the ${post.label} (use https)`);
  const timeoutMs = parseDuration(post.timeout ?? DEFAULT_TIMEOUT);
  const request = await loadRequest();
  const started = monotonicMs();
  const linked = linkSignal([signal], timeoutMs);
  const requestSignal = linked.signal;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'user-agent': 'runbook', ...post.headers, 'content-type': 'application/json' },
      body: JSON.stringify(post.body),
      signal: requestSignal,
    });
    const text = await readBody(response.body, MAX_BODY_BYTES);
    const outputs: Record<string, unknown> = {
      status: response.statusCode,
      latency_ms: Math.round(monotonicMs() - started),
      body: text,
    };
    const json = tryParseJson(text);
    if (json !== undefined) outputs.json = json;
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const outcome: ActionOutcome = { ok, exitCode: null, outputs };
    if (!ok) {
      const detail = text.trim().split('\n')[0]?.slice(0, 200);
      outcome.error = `${post.label} at ${url.host} answered HTTP ${response.statusCode}${detail ? `: ${detail}` : ''}`;
    }
    return outcome;
  } catch (error) {
    return requestFailure(error, {
      signal,
      requestSignal,
      timeoutMs,
      host: url.host,
      what: `${post.label} at ${url.host}`,
      refused: 'connection refused',
      hide: url,
    });
  } finally {
    linked.dispose();
  }
}

const POST_OUTPUTS = {
  status: o('int', 'the HTTP status code'),
  latency_ms: o('int', 'milliseconds from sending the message to reading the answer'),
  body: o('string', 'the answer body'),
  json: o('dyn', 'the answer body parsed as JSON, when it parses'),
};

export const notify = {
  name: 'notify',
  summary: 'Post incident messages: Slack incoming webhooks and generic JSON webhooks (undici)',
  actions: {
    slack: defineAction({
      summary: 'Post a message to a Slack incoming webhook: outputs status, latency_ms, body',
      input: slackInput,
      effect: 'write',
      outputs: POST_OUTPUTS,
      local: true,
      redactInput: { except: ['webhook_url'] },
      describe: (input) => describePost(slackPost(input)),
      run: (input, ctx) => send(slackPost(input), ctx.signal),
    }),
    webhook: defineAction({
      summary: 'POST a JSON payload to a webhook: outputs status, latency_ms, body and json',
      input: webhookInput,
      effect: 'write',
      outputs: POST_OUTPUTS,
      local: true,
      redactInput: { except: ['url', 'headers'] },
      describe: (input) => describePost(webhookPost(input)),
      run: (input, ctx) => send(webhookPost(input), ctx.signal),
    }),
  },
  preflight: () => Promise.resolve({ ok: true }),
} satisfies Adapter;
