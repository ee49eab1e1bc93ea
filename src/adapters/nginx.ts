import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type ProcessRequest,
} from './adapter.js';
import { describeCurl, type CurlCall } from './curl/argv.js';
import { runCurl } from './curl/run.js';
import { argvWord } from './support/argv-word.js';
import { formatArgv } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { runTool } from './support/run-tool.js';
import { durationInput, parseDuration } from '../common/duration.js';

const NGINX = 'nginx';
const DEFAULT_SCAN_LINES = 10_000;
const DEFAULT_RECENT = 20;
const TOP_CLIENTS = 10;
const STATUS_TIMEOUT = '5s';

const duration = durationInput({ seconds: 'positive' });

// nginx has no `--`: paths that start with "-" are refused (write ./-name for such a file).
const path = (what: string) => argvWord('a path').describe(what);

const controlInput = z.strictObject({
  binary: path('The nginx binary (default: nginx on PATH), e.g. /usr/sbin/nginx').optional(),
  config: path('Configuration file (nginx -c); default: the one nginx was built with').optional(),
  prefix: path('Prefix path (nginx -p)').optional(),
  error_log: path(
    'Error log to use until the configuration is read (nginx -e, nginx 1.19.5 or later)',
  ).optional(),
  global: z
    .string()
    .min(1)
    .optional()
    .describe('Global directives (nginx -g), e.g. "pid /run/nginx-b.pid;"'),
});

const statusInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .describe('A stub_status URL (e.g. http://127.0.0.1/nginx_status) or any health URL'),
  timeout: duration.optional().describe(`Whole-request timeout (default ${STATUS_TIMEOUT})`),
  headers: z.record(z.string(), z.string()).optional().describe('Request headers'),
});

const rateLimitedInput = z.strictObject({
  error_log: path("nginx's error log, e.g. /var/log/nginx/error.log"),
  lines: z
    .number()
    .int()
    .positive()
    .max(10_000_000)
    .optional()
    .describe(`How many of the log's last lines to read (default ${DEFAULT_SCAN_LINES})`),
  since: duration
    .optional()
    .describe(
      "Only entries this recent, e.g. 15m (the log's times are read as this machine's local time)",
    ),
  zone: z.string().min(1).optional().describe('Only this limit_req zone'),
  recent: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe(`How many of the latest rejections to list in entries (default ${DEFAULT_RECENT})`),
});

type ControlInput = z.output<typeof controlInput>;
type StatusInput = z.output<typeof statusInput>;
type RateLimitedInput = z.output<typeof rateLimitedInput>;

export function nginxRequest(input: ControlInput, mode: readonly string[]): ProcessRequest {
  const args = [...mode];
  if (input.prefix !== undefined) args.push('-p', input.prefix);
  if (input.config !== undefined) args.push('-c', input.config);
  if (input.error_log !== undefined) args.push('-e', input.error_log);
  if (input.global !== undefined) args.push('-g', input.global);
  return { file: input.binary ?? NGINX, args };
}

const TEST = ['-t'] as const;
const RELOAD = ['-s', 'reload'] as const;

/** One `nginx: [level] message` line; `file`/`line` when the message points into the config. */
export interface NginxMessage {
  level: string;
  message: string;
  file: string | null;
  line: number | null;
}

/** nginx's messages on stderr (`nginx -t`, `nginx -s`), and what `-t` concluded. */
export function parseNginxOutput(text: string): {
  messages: NginxMessage[];
  syntax_ok: boolean;
  successful: boolean;
  config_file: string | null;
} {
  const messages: NginxMessage[] = [];
  let syntaxOk = false;
  let successful = false;
  let configFile: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const syntax = /^nginx: the configuration file (.+) syntax is ok$/.exec(line);
    if (syntax) {
      syntaxOk = true;
      configFile = syntax[1] ?? null;
      continue;
    }
    const verdict = /^nginx: configuration file (.+) test (is successful|failed)$/.exec(line);
    if (verdict) {
      successful = verdict[2] === 'is successful';
      configFile = verdict[1] ?? configFile;
      continue;
    }
    const message = /^nginx: \[(\w+)\] (.*)$/.exec(line);
    if (!message) continue;
    const where = / in (\S+):(\d+)$/.exec(message[2] ?? '');
    messages.push({
      level: message[1] ?? '',
      message: where ? (message[2] ?? '').slice(0, where.index) : (message[2] ?? ''),
      file: where?.[1] ?? null,
      line: where ? Number(where[2]) : null,
    });
  }
  return { messages, syntax_ok: syntaxOk, successful, config_file: configFile };
}

const ERROR_LEVELS = new Set(['emerg', 'alert', 'crit', 'error']);

/** `file:line: message` when nginx says where, else the message. */
export function formatMessage(message: NginxMessage): string {
  return message.file
    ? `${message.file}:${message.line ?? '?'}: ${message.message}`
    : message.message;
}

function nginxOutputs(stderr: string): Record<string, unknown> & { errors: NginxMessage[] } {
  const parsed = parseNginxOutput(stderr);
  return {
    syntax_ok: parsed.syntax_ok,
    config_file: parsed.config_file,
    errors: parsed.messages.filter((m) => ERROR_LEVELS.has(m.level)),
    warnings: parsed.messages.filter((m) => m.level === 'warn'),
  };
}

async function testConfig(input: ControlInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, nginxRequest(input, TEST));
  const stderr = String(outcome.outputs.stderr ?? '');
  const outputs = nginxOutputs(stderr);
  const valid = outcome.ok && parseNginxOutput(stderr).successful;
  Object.assign(outcome.outputs, outputs, { valid });
  const first = outputs.errors[0];
  if (!outcome.ok && outcome.exitCode !== null && first)
    outcome.error = `nginx -t failed: ${formatMessage(first)}`;
  return outcome;
}

async function reload(input: ControlInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, nginxRequest(input, RELOAD));
  const outputs = nginxOutputs(String(outcome.outputs.stderr ?? ''));
  Object.assign(outcome.outputs, outputs, { signalled: outcome.ok });
  const first = outputs.errors[0];
  if (!outcome.ok && first) {
    const pidFile = /^open\(\) "(.+)" failed \(2: No such file or directory\)$/.exec(first.message);
    outcome.error =
      pidFile && pidFile[1]?.endsWith('.pid')
        ? `nginx is not running: no pid file at ${pidFile[1]} (start it, or point config/prefix at the running instance)`
        : `nginx -s reload failed: ${formatMessage(first)}`;
  }
  return outcome;
}

/** The counters of nginx's stub_status page. */
export function parseStubStatus(text: string): Record<string, number> | undefined {
  const match =
    /Active connections:\s*(\d+)\s*\n\s*server accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n\s*Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(
      text,
    );
  if (!match) return undefined;
  const [active, accepts, handled, requests, reading, writing, waiting] = match
    .slice(1)
    .map(Number) as [number, number, number, number, number, number, number];
  return {
    active_connections: active,
    accepts,
    handled,
    requests,
    reading,
    writing,
    waiting,
    dropped: accepts - handled,
  };
}

function statusCall(input: StatusInput): CurlCall {
  return { url: input.url, headers: input.headers, timeout: input.timeout ?? STATUS_TIMEOUT };
}

async function status(input: StatusInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runCurl(statusCall(input), ctx);
  const counters =
    typeof outcome.outputs.body === 'string' ? parseStubStatus(outcome.outputs.body) : undefined;
  Object.assign(outcome.outputs, counters ?? {}, { stub_status: counters !== undefined });
  return outcome;
}

export function rateLimitedRequest(input: RateLimitedInput): ProcessRequest {
  return { file: 'tail', args: ['-n', String(input.lines ?? DEFAULT_SCAN_LINES), input.error_log] };
}

/** One `limiting requests` (rejected) or `delaying request` line of nginx's error log. */
export interface RateLimitEntry {
  time: string;
  level: string;
  kind: 'rejected' | 'delayed';
  dry_run: boolean;
  zone: string;
  client: string | null;
  excess: number;
  request: string | null;
  server: string | null;
  host: string | null;
}

const LIMIT_LINE =
  /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(limiting requests|delaying request)(, dry run)?, excess: ([\d.]+),? by zone "([^"]*)"(.*)$/;

/** The limit_req lines of an error log. Its times are local to the server: read as ours. */
export function parseRateLimitLines(text: string): RateLimitEntry[] {
  const entries: RateLimitEntry[] = [];
  for (const line of text.split('\n')) {
    const match = LIMIT_LINE.exec(line.trimEnd());
    if (!match) continue;
    const [, year, month, day, hour, minute, second, level, kind, dryRun, excess, zone, rest] =
      match as unknown as string[];
    const context = rest ?? '';
    entries.push({
      time: new Date(
        Number(year),
        Number(month) - 1,
        Number(day),
        Number(hour),
        Number(minute),
        Number(second),
      ).toISOString(),
      level: level ?? '',
      kind: kind === 'delaying request' ? 'delayed' : 'rejected',
      dry_run: dryRun !== undefined,
      zone: zone ?? '',
      client: /, client: ([^,]+)/.exec(context)?.[1] ?? null,
      excess: Number(excess),
      request: /, request: "((?:[^"\\]|\\.)*)"/.exec(context)?.[1] ?? null,
      server: /, server: ([^,]*)/.exec(context)?.[1] ?? null,
      host: /, host: "([^"]*)"/.exec(context)?.[1] ?? null,
    });
  }
  return entries;
}

/** Counts by zone and client, and the latest rejections. */
export function rateLimitOutputs(
  all: RateLimitEntry[],
  options: { zone?: string | undefined; since?: number | undefined; recent?: number | undefined },
): Record<string, unknown> {
  const entries = all.filter(
    (entry) =>
      (options.zone === undefined || entry.zone === options.zone) &&
      (options.since === undefined || Date.parse(entry.time) >= options.since),
  );
  const rejected = entries.filter((entry) => entry.kind === 'rejected' && !entry.dry_run);
  const zones: Record<string, number> = {};
  const clients = new Map<string, number>();
  for (const entry of rejected) {
    zones[entry.zone] = (zones[entry.zone] ?? 0) + 1;
    if (entry.client) clients.set(entry.client, (clients.get(entry.client) ?? 0) + 1);
  }
  const recent = options.recent ?? DEFAULT_RECENT;
  return {
    count: rejected.length,
    delayed: entries.filter((entry) => entry.kind === 'delayed').length,
    dry_run: entries.filter((entry) => entry.kind === 'rejected' && entry.dry_run).length,
    zones,
    clients: [...clients]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, TOP_CLIENTS)
      .map(([client, count]) => ({ client, count })),
    entries: recent === 0 ? [] : rejected.slice(-recent),
    first_at: rejected[0]?.time ?? null,
    last_at: rejected.at(-1)?.time ?? null,
  };
}

async function rateLimited(input: RateLimitedInput, ctx: ActionContext): Promise<ActionOutcome> {
  const since = input.since === undefined ? undefined : Date.now() - parseDuration(input.since);
  const outcome = await runTool(ctx, rateLimitedRequest(input), (result) => ({
    ...rateLimitOutputs(parseRateLimitLines(result.stdout), {
      zone: input.zone,
      since,
      recent: input.recent,
    }),
    scanned_lines: result.stdout ? result.stdout.trimEnd().split('\n').length : 0,
  }));
  // The log itself is not an output: entries and counts are, and it may be megabytes.
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  const said = String(outcome.outputs.stderr ?? '').split('\n')[0];
  if (!outcome.ok && outcome.exitCode !== null && outcome.exitCode !== 0 && said)
    outcome.error = `could not read ${input.error_log}: ${said}`;
  return outcome;
}

const CONTROL_FLAGS = '(-p/-c/-e/-g from prefix, config, error_log, global)';

export const nginx = {
  name: 'nginx',
  summary: 'nginx: test and reload its configuration, read stub_status and rate-limit rejections',
  binary: NGINX,
  actions: {
    test: defineAction({
      summary: `nginx -t ${CONTROL_FLAGS}: outputs valid, syntax_ok, config_file, errors and warnings (file, line, message)`,
      input: controlInput,
      effect: 'read',
      describe: (input) => describe(nginxRequest(input, TEST)),
      run: testConfig,
    }),
    reload: defineAction({
      summary: `nginx -s reload ${CONTROL_FLAGS}: signals the master to re-read its configuration (old workers serve for ~100 ms more); outputs signalled, errors`,
      input: controlInput,
      effect: 'write',
      describe: (input) => describe(nginxRequest(input, RELOAD)),
      run: reload,
    }),
    status: defineAction({
      summary:
        'GET a stub_status (or health) URL with curl: outputs status, latency_ms, and active_connections, accepts, handled, requests, reading, writing, waiting, dropped',
      input: statusInput,
      effect: 'read',
      describe: (input) => describeCurl(statusCall(input)),
      run: status,
    }),
    rate_limited: defineAction({
      summary:
        'Rejections by limit_req in the error log ("limiting requests"): outputs count, zones, clients, entries (time, client, zone, excess, request), delayed',
      input: rateLimitedInput,
      effect: 'read',
      describe: (input) => describe(rateLimitedRequest(input)),
      run: rateLimited,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(NGINX, env, {
      versionArgs: ['-v'],
      pickVersion: (output) => /nginx\/(\S+)/.exec(output)?.[1],
      hint: 'install nginx (apt-get install nginx), or give actions binary: /usr/sbin/nginx',
    }),
} satisfies Adapter;

function describe(request: ProcessRequest): string {
  return formatArgv([request.file, ...request.args]);
}
