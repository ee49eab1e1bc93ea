import { stripVTControlCharacters } from 'node:util';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type ProcessRequest,
  type ProcessResult,
} from './adapter.js';
import { formatArgv } from '../common/quote.js';
import { describeStop } from '../exec/process-tree.js';
import { binaryPreflight } from './support/preflight.js';
import { runTool } from './support/run-tool.js';
import { durationInput, formatDuration, parseDuration } from '../common/duration.js';

const BINARY = 'wrangler';

/** Set for wrangler unless the user set them: no telemetry, no banner (whose update check goes to
 * the npm registry), no crash reports. */
const QUIET_DEFAULTS: Readonly<Record<string, string>> = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
};

/** Credentials and API settings wrangler reads; passed on explicitly so that they also reach a
 * step that runs on another host (in the environment, never in argv). */
const FORWARDED_ENV = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_ACCOUNT_ID',
  'CLOUDFLARE_API_KEY',
  'CLOUDFLARE_EMAIL',
  'CLOUDFLARE_API_BASE_URL',
] as const;

const AUTHENTICATION_ERROR = 10000;

/** Cloudflare's "this Worker does not exist" codes (scripts, legacy service environments). */
const WORKER_NOT_FOUND = new Set([10007, 10090]);

const duration = durationInput({
  error: 'expected a duration such as 10s or 1m',
  seconds: 'positive',
});

const workerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
    error: 'expected a Worker name: letters, digits, - and _',
  })
  .describe('Name of the Worker, e.g. my-worker');

const versionId = z
  .string()
  .regex(/^[0-9A-Fa-f][0-9A-Fa-f-]*$/, { error: 'expected a Worker Version ID (a UUID)' })
  .describe('A Worker Version ID (UUID), as listed by wrangler.versions');

const nameInput = z.strictObject({ name: workerName });

const versionInput = z.strictObject({ name: workerName, version_id: versionId });

const rollbackInput = z.strictObject({
  name: workerName,
  version_id: versionId
    .optional()
    .describe(
      'The Version to serve to 100% of traffic; default: the one of the previous deployment',
    ),
  message: z
    .string()
    .min(1)
    .max(120)
    .describe('Why: recorded on the new deployment (120 characters at most)'),
});

const secretPutInput = z.strictObject({
  name: workerName,
  key: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a secret name such as ENCRYPTION_KEY' })
    .describe('Name of the secret binding, e.g. ENCRYPTION_KEY'),
  value: z
    .string()
    .min(1)
    .describe(
      'The new value: give it from a secret variable. Sent to wrangler on stdin, never in argv; wrangler trims trailing whitespace',
    ),
});

const STATUS_CHOICES = ['ok', 'error', 'canceled'] as const;
type TailStatus = (typeof STATUS_CHOICES)[number];

const tailInput = z.strictObject({
  name: workerName,
  duration: duration.describe(
    'How long to listen, including wrangler start-up (e.g. 10s, 1m); wrangler is then stopped',
  ),
  filter: z
    .strictObject({
      status: z
        .union([z.enum(STATUS_CHOICES), z.array(z.enum(STATUS_CHOICES)).min(1)])
        .optional()
        .describe('Invocation outcome: ok, error or canceled (or a list of them)'),
      search: z
        .string()
        .min(1)
        .optional()
        .describe('Text that a console.log message contains (any case)'),
      method: z
        .union([z.string().regex(/^[A-Za-z]+$/), z.array(z.string().regex(/^[A-Za-z]+$/)).min(1)])
        .optional()
        .describe('HTTP method of the request (or a list of them), e.g. POST'),
    })
    .optional()
    .describe('Which events to keep: applied by Cloudflare and again to what arrives'),
  max_events: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Stop the tail once this many matching events have arrived (before the duration is up), and keep the first this many',
    ),
});

type TailInput = z.output<typeof tailInput>;

// ---- wrangler's JSON documents (the Cloudflare API's shapes, passed through by --json) ----

const rawTraffic = z.looseObject({ version_id: z.string(), percentage: z.number() });

const rawDeployment = z.looseObject({
  id: z.string(),
  created_on: z.string(),
  source: z.string().nullish(),
  author_email: z.string().nullish(),
  annotations: z.record(z.string(), z.unknown()).nullish(),
  versions: z.array(rawTraffic),
});

const rawVersion = z.looseObject({
  id: z.string(),
  number: z.number().nullish(),
  metadata: z
    .looseObject({
      created_on: z.string().nullish(),
      source: z.string().nullish(),
      author_email: z.string().nullish(),
    })
    .nullish(),
  annotations: z.record(z.string(), z.unknown()).nullish(),
  resources: z
    .looseObject({
      script: z.looseObject({ handlers: z.array(z.string()).nullish() }).nullish(),
      script_runtime: z
        .looseObject({
          compatibility_date: z.string().nullish(),
          compatibility_flags: z.array(z.string()).nullish(),
        })
        .nullish(),
      bindings: z.array(z.looseObject({ name: z.string(), type: z.string() })).nullish(),
    })
    .nullish(),
});

const rawWhoami = z.looseObject({
  loggedIn: z.boolean(),
  authType: z.string().nullish(),
  email: z.string().nullish(),
  accounts: z.array(z.looseObject({ id: z.string(), name: z.string().nullish() })).nullish(),
});

/** A deployment: which Versions serve which share of traffic. */
export interface Deployment {
  id: string;
  created_on: string;
  author: string | null;
  source: string | null;
  message: string | null;
  versions: Array<{ version_id: string; percentage: number }>;
}

/** A Worker Version as listed. */
export interface Version {
  id: string;
  number: number | null;
  created_on: string | null;
  author: string | null;
  source: string | null;
  tag: string | null;
  message: string | null;
}

/** One invocation seen by `wrangler tail`. */
export interface TailEvent {
  timestamp: string | null;
  outcome: string;
  status: TailStatus;
  script_name: string | null;
  script_version: string | null;
  event_type: string;
  method: string | null;
  url: string | null;
  response_status: number | null;
  cron: string | null;
  logs: Array<{ level: string; message: string; timestamp: string | null }>;
  exceptions: Array<{ name: string; message: string; timestamp: string | null }>;
}

// ---- argv ----

export function deploymentsArgv(name: string): string[] {
  return [BINARY, 'deployments', 'list', '--name', name, '--json'];
}

export function deploymentStatusArgv(name: string): string[] {
  return [BINARY, 'deployments', 'status', '--name', name, '--json'];
}

export function versionsArgv(name: string): string[] {
  return [BINARY, 'versions', 'list', '--name', name, '--json'];
}

export function versionViewArgv(name: string, version: string): string[] {
  return [BINARY, 'versions', 'view', version, '--name', name, '--json'];
}

export function rollbackArgv(input: z.output<typeof rollbackInput>): string[] {
  return [
    BINARY,
    'rollback',
    ...(input.version_id === undefined ? [] : [input.version_id]),
    '--name',
    input.name,
    // One word: wrangler would read a message starting with "-" after -m as an option.
    `--message=${input.message}`,
    '-y',
  ];
}

/** The value is not here: it goes on stdin. */
export function secretPutArgv(name: string, key: string): string[] {
  return [BINARY, 'secret', 'put', key, '--name', name];
}

export function whoamiArgv(): string[] {
  return [BINARY, 'whoami', '--json'];
}

/** `wrangler tail` takes the Worker as a positional argument (it has no --name). */
export function tailArgv(input: TailInput): string[] {
  const argv = [BINARY, 'tail', input.name, '--format', 'json'];
  for (const status of asList(input.filter?.status)) argv.push('--status', status);
  for (const method of asList(input.filter?.method)) argv.push('--method', method.toUpperCase());
  // One word, so that a search text starting with "-" is not read as an option.
  if (input.filter?.search !== undefined) argv.push(`--search=${input.filter.search}`);
  return argv;
}

export function describeTail(input: TailInput): string {
  const limit = input.max_events === undefined ? '' : ` or ${input.max_events} matching events`;
  return `${formatArgv(tailArgv(input))}  # stopped after ${durationText(input.duration)}${limit}`;
}

/** A duration as the runbook wrote it. */
function durationText(value: string | number): string {
  return typeof value === 'number' ? `${value}s` : value;
}

// ---- running wrangler ----

/** The environment additions for wrangler: credentials passed on, quiet defaults filled in. */
export function wranglerEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_ENV) {
    const value = env[name];
    if (value) out[name] = value;
  }
  for (const [name, value] of Object.entries(QUIET_DEFAULTS))
    if (env[name] === undefined) out[name] = value;
  return out;
}

function wranglerRequest(
  ctx: Pick<ActionContext, 'env'>,
  argv: readonly string[],
  input?: string,
): ProcessRequest {
  const [file = BINARY, ...args] = argv;
  return {
    file,
    args,
    env: wranglerEnv(ctx.env),
    ...(input === undefined ? {} : { input }),
  };
}

/** Runs wrangler; a failure's `error` is wrangler's own message, without colours. */
async function runWrangler(
  ctx: ActionContext,
  argv: readonly string[],
  parse?: (stdout: string) => Record<string, unknown>,
  input?: string,
): Promise<ActionOutcome> {
  const outcome = await runTool(
    ctx,
    wranglerRequest(ctx, argv, input),
    parse && ((result) => parse(stripVTControlCharacters(result.stdout))),
  );
  return cleanOutcome(outcome);
}

function cleanOutcome(outcome: ActionOutcome): ActionOutcome {
  const clean: ActionOutcome = { ...outcome, outputs: { ...outcome.outputs } };
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = clean.outputs[stream];
    if (typeof text === 'string') clean.outputs[stream] = stripVTControlCharacters(text);
    const raw = clean[stream];
    if (raw !== undefined) clean[stream] = stripVTControlCharacters(raw);
  }
  const failedItself =
    !clean.ok &&
    !clean.timedOut &&
    !clean.interrupted &&
    clean.exitCode !== null &&
    clean.exitCode !== 0;
  if (failedItself) {
    const found = wranglerError(clean.stderr ?? '', clean.stdout ?? '');
    if (found) {
      clean.error =
        found.code === AUTHENTICATION_ERROR
          ? `${found.message} (check CLOUDFLARE_API_TOKEN and its permissions)`
          : found.message;
      if (found.code !== undefined) clean.outputs.api_error_code = found.code;
    }
  }
  return clean;
}

/**
 * wrangler's error, in one line: the `[ERROR]` headline and the reason under it (for an API error,
 * Cloudflare's message and `[code: N]`), without colours, the bug-report footer or the log path.
 */
export function wranglerError(
  stderr: string,
  stdout = '',
): { message: string; code?: number } | undefined {
  for (const text of [stderr, stdout]) {
    const lines = stripVTControlCharacters(text).split('\n');
    const at = lines.findIndex((line) => /\[ERROR\]/.test(line));
    let message: string | undefined;
    if (at >= 0) {
      const headline = (lines[at] ?? '').replace(/^.*?\[ERROR\]\s*/, '').trim();
      const details: string[] = [];
      for (const line of lines.slice(at + 1)) {
        const trimmed = line.trim();
        if (!trimmed) continue;
        if (/^If you think this is a bug|Logs were written to|\[(ERROR|WARNING)\]/.test(trimmed))
          break;
        details.push(trimmed);
        if (details.length === 2) break;
      }
      message =
        details.length > 0 ? `${headline.replace(/[.:]$/, '')}: ${details.join(' ')}` : headline;
    } else {
      message = lines
        .map((line) => line.trim())
        .find((line) => /^(?:(?:[A-Z]\w*)?Error\b|✘)/.test(line));
    }
    if (message) {
      const code = /\[code: (\d+)\]/.exec(message)?.[1];
      return code === undefined ? { message } : { message, code: Number(code) };
    }
  }
  return undefined;
}

// ---- reading wrangler's JSON ----

/** The JSON document on stdout; tolerates lines printed before it (warnings of other versions). */
export function readJson(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => /^[[{]/.test(line));
    if (start > 0) {
      try {
        return JSON.parse(lines.slice(start).join('\n')) as unknown;
      } catch {
        // Reported below.
      }
    }
    throw new Error(`expected JSON, got ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function parseAs<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new Error(`unexpected ${what}${where}: ${issue?.message ?? 'invalid'}`);
}

function annotation(
  annotations: Record<string, unknown> | null | undefined,
  key: string,
): string | null {
  const value = annotations?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function toDeployment(raw: z.output<typeof rawDeployment>): Deployment {
  return {
    id: raw.id,
    created_on: raw.created_on,
    author: raw.author_email ?? null,
    source: raw.source ?? null,
    message: annotation(raw.annotations, 'workers/message'),
    versions: raw.versions.map((v) => ({ version_id: v.version_id, percentage: v.percentage })),
  };
}

export function toVersion(raw: z.output<typeof rawVersion>): Version {
  return {
    id: raw.id,
    number: raw.number ?? null,
    created_on: raw.metadata?.created_on ?? null,
    author: raw.metadata?.author_email ?? null,
    source: raw.metadata?.source ?? null,
    tag: annotation(raw.annotations, 'workers/tag'),
    message: annotation(raw.annotations, 'workers/message'),
  };
}

/** The Version serving the most traffic (the first, on a tie). */
export function primaryVersion(deployment: Deployment | undefined): string | null {
  let best: { version_id: string; percentage: number } | undefined;
  for (const version of deployment?.versions ?? [])
    if (!best || version.percentage > best.percentage) best = version;
  return best?.version_id ?? null;
}

/**
 * Deployments newest first (whatever order wrangler printed them in), the active Version, and
 * the Version that served all traffic in the latest earlier deployment of a different Version.
 */
export function parseDeployments(stdout: string): Record<string, unknown> {
  const list = parseAs(z.array(rawDeployment), readJson(stdout), 'deployments list')
    .map(toDeployment)
    .sort((a, b) => b.created_on.localeCompare(a.created_on));
  const current = primaryVersion(list[0]);
  let previous: string | null = null;
  for (const deployment of list.slice(1)) {
    const stable = deployment.versions.find((v) => v.percentage === 100);
    if (stable && stable.version_id !== current) {
      previous = stable.version_id;
      break;
    }
  }
  return {
    deployments: list,
    count: list.length,
    current_deployment_id: list[0]?.id ?? null,
    current_version_id: current,
    previous_version_id: previous,
  };
}

export function parseDeploymentStatus(stdout: string): Record<string, unknown> {
  const deployment = toDeployment(parseAs(rawDeployment, readJson(stdout), 'deployment'));
  return {
    deployment,
    deployment_id: deployment.id,
    version_id: primaryVersion(deployment),
    versions: deployment.versions,
  };
}

/** Versions newest first. */
export function parseVersions(stdout: string): Record<string, unknown> {
  const versions = parseAs(z.array(rawVersion), readJson(stdout), 'versions list')
    .map(toVersion)
    .sort((a, b) => (b.created_on ?? '').localeCompare(a.created_on ?? ''));
  return { versions, count: versions.length, latest_version_id: versions[0]?.id ?? null };
}

export function parseVersionView(stdout: string): Record<string, unknown> {
  const raw = parseAs(rawVersion, readJson(stdout), 'version');
  return {
    version: {
      ...toVersion(raw),
      compatibility_date: raw.resources?.script_runtime?.compatibility_date ?? null,
      compatibility_flags: raw.resources?.script_runtime?.compatibility_flags ?? [],
      handlers: raw.resources?.script?.handlers ?? [],
      bindings: (raw.resources?.bindings ?? []).map((b) => ({ name: b.name, type: b.type })),
    },
  };
}

export function parseWhoami(stdout: string): Record<string, unknown> {
  const raw = parseAs(rawWhoami, readJson(stdout), 'whoami');
  return {
    logged_in: raw.loggedIn,
    auth_type: raw.authType ?? null,
    email: raw.email ?? null,
    accounts: (raw.accounts ?? []).map((a) => ({ id: a.id, name: a.name ?? null })),
  };
}

// ---- tail ----

/**
 * The JSON values in a stream of them: one per line, or pretty-printed over several lines
 * (wrangler 4 prints each tail event with indentation). A value starts at a line beginning with
 * `{` or `[`; anything else between values, and an unfinished last value, is skipped.
 */
export function splitJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let index = 0;
  while (index < text.length) {
    const start = nextValueStart(text, index);
    if (start < 0) break;
    const end = valueEnd(text, start);
    if (end < 0) break;
    try {
      values.push(JSON.parse(text.slice(start, end)) as unknown);
    } catch {
      // Not JSON after all (a bracket in a message): go on after it.
    }
    index = end;
  }
  return values;
}

function nextValueStart(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (
      (char === '{' || char === '[') &&
      /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', i - 1) + 1, i))
    )
      return i;
  }
  return -1;
}

/** The index after the bracket closing the one at `start`, or -1 when the text ends first. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

function isoTime(value: unknown): string | null {
  if (typeof value !== 'number' && typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A tail event (trace-v1) in snake_case; undefined for a value that is not one. */
export function toTailEvent(value: unknown): TailEvent | undefined {
  const raw = record(value);
  if (!raw || typeof raw.outcome !== 'string') return undefined;
  const event = record(raw.event);
  const request = record(event?.request);
  const response = record(event?.response);
  const outcome = raw.outcome;
  // Anything but ok or canceled failed (`--status error` asks for exception, exceeded*, unknown).
  const status: TailStatus = outcome === 'ok' || outcome === 'canceled' ? outcome : 'error';
  const logs = Array.isArray(raw.logs) ? raw.logs : [];
  const exceptions = Array.isArray(raw.exceptions) ? raw.exceptions : [];
  return {
    timestamp: isoTime(raw.eventTimestamp),
    outcome,
    status,
    script_name: stringOrNull(raw.scriptName),
    script_version: stringOrNull(record(raw.scriptVersion)?.id),
    event_type: tailEventType(event),
    method: stringOrNull(request?.method)?.toUpperCase() ?? null,
    url: stringOrNull(request?.url),
    response_status: typeof response?.status === 'number' ? response.status : null,
    cron: stringOrNull(event?.cron),
    logs: logs.map((entry) => {
      const log = record(entry) ?? {};
      const parts = Array.isArray(log.message) ? log.message : [log.message];
      return {
        level: stringOrNull(log.level) ?? 'log',
        message: parts.map(text).join(' '),
        timestamp: isoTime(log.timestamp),
      };
    }),
    exceptions: exceptions.map((entry) => {
      const exception = record(entry) ?? {};
      return {
        name: stringOrNull(exception.name) ?? 'Error',
        message: text(exception.message),
        timestamp: isoTime(exception.timestamp),
      };
    }),
  };
}

function tailEventType(event: Record<string, unknown> | undefined): string {
  if (!event) return 'unknown';
  if ('request' in event) return 'request';
  if ('cron' in event) return 'scheduled';
  if ('mailFrom' in event) return 'email';
  if ('queue' in event) return 'queue';
  if ('rpcMethod' in event) return 'rpc';
  if ('consumedEvents' in event) return 'tail';
  if ('scheduledTime' in event) return 'alarm';
  return 'unknown';
}

/** Whether an event passes the step's filter (Cloudflare applies it too; this keeps the result
 * right whatever the server sent). */
export function matchesFilter(event: TailEvent, filter: TailInput['filter']): boolean {
  if (!filter) return true;
  const statuses = asList(filter.status);
  if (statuses.length > 0 && !statuses.includes(event.status)) return false;
  const methods = asList(filter.method).map((m) => m.toUpperCase());
  if (methods.length > 0 && (event.method === null || !methods.includes(event.method)))
    return false;
  if (filter.search !== undefined) {
    const needle = filter.search.toLowerCase();
    const messages = [...event.logs, ...event.exceptions].map((entry) => entry.message);
    if (!messages.some((message) => message.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The events of a tail's output that match, at most `max_events` of them. */
export function collectTailEvents(
  stdout: string,
  input: Pick<TailInput, 'filter' | 'max_events'>,
): { events: TailEvent[]; truncated: boolean } {
  const matching = splitJsonValues(stripVTControlCharacters(stdout))
    .map(toTailEvent)
    .filter((event): event is TailEvent => event !== undefined)
    .filter((event) => matchesFilter(event, input.filter));
  const limit = input.max_events ?? Infinity;
  return { events: matching.slice(0, limit), truncated: matching.length > limit };
}

/** Tails for `duration`, or until `max_events` matching events have arrived, then stops wrangler
 * (its process tree) and reads what it printed. */
async function runTail(input: TailInput, ctx: ActionContext): Promise<ActionOutcome> {
  const stop = new AbortController();
  let stoppedBy: 'duration' | 'max_events' | undefined;
  const timer = setTimeout(() => {
    stoppedBy ??= 'duration';
    stop.abort(new Error('tail duration elapsed'));
  }, parseDuration(input.duration));
  const decoder = new StringDecoder('utf8');
  let seen = '';
  const onStdout = (chunk: Buffer): void => {
    if (input.max_events === undefined || stop.signal.aborted) return;
    seen += decoder.write(chunk);
    if (
      collectTailEvents(seen, { ...input, max_events: undefined }).events.length < input.max_events
    )
      return;
    stoppedBy = 'max_events';
    stop.abort(new Error('enough events'));
  };
  let result: ProcessResult;
  try {
    result = await ctx.exec({
      ...wranglerRequest(ctx, tailArgv(input)),
      signal: stop.signal,
      onStdout,
    });
  } finally {
    clearTimeout(timer);
  }
  const { events, truncated } = collectTailEvents(result.stdout, input);
  const stderr = stripVTControlCharacters(result.stderr).replace(/\n$/, '');
  const outputs: Record<string, unknown> = {
    events,
    count: events.length,
    error_count: events.filter((event) => event.status === 'error').length,
    truncated,
    stopped_by: stoppedBy ?? 'exit',
    stderr,
    exit_code: result.exitCode,
  };
  const outcome: ActionOutcome = {
    ok: false,
    exitCode: result.exitCode,
    outputs,
    stderr,
  };
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
    return {
      ...outcome,
      timedOut,
      interrupted: !timedOut,
      error: timedOut
        ? `timed out after ${ctx.timeoutMs === undefined ? '?' : formatDuration(ctx.timeoutMs)}, before the tail's ${durationText(input.duration)}; ${describeStop(result.stopped)}`
        : `interrupted; ${describeStop(result.stopped)}`,
    };
  }
  if (result.error) return { ...outcome, error: result.error };
  // Stopped by us when the duration was up, or ended by wrangler itself without an error.
  if (stop.signal.aborted || result.exitCode === 0) return { ...outcome, ok: true };
  const found = wranglerError(result.stderr, result.stdout);
  if (found?.code !== undefined) outputs.api_error_code = found.code;
  return {
    ...outcome,
    error: found?.message ?? `wrangler tail exited with code ${String(result.exitCode)}`,
  };
}

function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

// ---- actions that need more than one command ----

async function runRollback(
  input: z.output<typeof rollbackInput>,
  ctx: ActionContext,
): Promise<ActionOutcome> {
  const outcome = await runWrangler(ctx, rollbackArgv(input));
  if (!outcome.ok) return outcome;
  outcome.outputs.message = input.message;
  // rollback has no JSON mode: what is active now comes from the deployment status.
  const status = await runWrangler(ctx, deploymentStatusArgv(input.name), parseDeploymentStatus);
  const active = status.ok ? (status.outputs.version_id as string | null) : null;
  outcome.outputs.version_id = input.version_id ?? active;
  outcome.outputs.active_version_id = active;
  if (status.ok) outcome.outputs.deployment = status.outputs.deployment;
  else outcome.outputs.status_error = status.error ?? 'could not read the deployment status';
  return outcome;
}

async function runSecretPut(
  input: z.output<typeof secretPutInput>,
  ctx: ActionContext,
): Promise<ActionOutcome> {
  // wrangler creates a new, empty Worker when the name is unknown: a typo must not do that.
  const check = await runWrangler(ctx, deploymentStatusArgv(input.name));
  const code = check.outputs.api_error_code;
  if (!check.ok && typeof code === 'number' && WORKER_NOT_FOUND.has(code)) {
    return {
      ...check,
      error: `Worker "${input.name}" does not exist on this account (wrangler secret put would create it): check the name`,
    };
  }
  if (check.interrupted || check.timedOut) return check;
  const outcome = await runWrangler(
    ctx,
    secretPutArgv(input.name, input.key),
    undefined,
    input.value,
  );
  outcome.outputs.name = input.name;
  outcome.outputs.key = input.key;
  return outcome;
}

async function runWhoami(ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runWrangler(ctx, whoamiArgv());
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = parseWhoami(String(outcome.outputs.stdout ?? ''));
  } catch {
    // Not JSON: wrangler failed before it could answer; its error stands.
  }
  if (!parsed) return outcome;
  Object.assign(outcome.outputs, parsed);
  if (parsed.logged_in === false)
    return {
      ...outcome,
      ok: false,
      error:
        'not authenticated with Cloudflare: set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) in the environment',
    };
  return outcome;
}

export const wrangler = {
  name: 'wrangler',
  summary:
    'Cloudflare Workers through the wrangler CLI: deployments, versions, rollback, secrets, tail',
  binary: BINARY,
  actions: {
    deployments: defineAction({
      summary:
        'Recent deployments, newest first: deployments, current_version_id, previous_version_id',
      input: nameInput,
      effect: 'read',
      describe: (input) => formatArgv(deploymentsArgv(input.name)),
      run: (input, ctx) => runWrangler(ctx, deploymentsArgv(input.name), parseDeployments),
    }),
    deployment_status: defineAction({
      summary: 'The active deployment: deployment, version_id (most traffic), versions',
      input: nameInput,
      effect: 'read',
      describe: (input) => formatArgv(deploymentStatusArgv(input.name)),
      run: (input, ctx) =>
        runWrangler(ctx, deploymentStatusArgv(input.name), parseDeploymentStatus),
    }),
    versions: defineAction({
      summary: 'Recent Versions, newest first: versions (id, tag, message, …), latest_version_id',
      input: nameInput,
      effect: 'read',
      describe: (input) => formatArgv(versionsArgv(input.name)),
      run: (input, ctx) => runWrangler(ctx, versionsArgv(input.name), parseVersions),
    }),
    version: defineAction({
      summary: 'One Version: version (tag, message, compatibility date, handlers, bindings)',
      input: versionInput,
      effect: 'read',
      describe: (input) => formatArgv(versionViewArgv(input.name, input.version_id)),
      run: (input, ctx) =>
        runWrangler(ctx, versionViewArgv(input.name, input.version_id), parseVersionView),
    }),
    rollback: defineAction({
      summary:
        'Serve an earlier Version to 100% of traffic: version_id, active_version_id, deployment',
      input: rollbackInput,
      effect: 'destructive',
      describe: (input) => formatArgv(rollbackArgv(input)),
      run: runRollback,
    }),
    secret_put: defineAction({
      summary: 'Set (rotate) a secret of a Worker; the value goes to wrangler on stdin',
      input: secretPutInput,
      effect: 'destructive',
      describe: (input) => formatArgv(secretPutArgv(input.name, input.key)),
      run: runSecretPut,
    }),
    whoami: defineAction({
      summary: 'Who the credentials belong to: logged_in, auth_type, email, accounts',
      input: z.strictObject({}),
      effect: 'read',
      describe: () => formatArgv(whoamiArgv()),
      run: (_input, ctx) => runWhoami(ctx),
    }),
    tail: defineAction({
      summary:
        'Live invocation logs for a while: events (outcome, request, logs, exceptions), count',
      input: tailInput,
      effect: 'read',
      describe: describeTail,
      run: runTail,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(
      BINARY,
      { ...env, ...wranglerEnv(env) },
      {
        versionArgs: ['--version'],
        pickVersion: (output) => /\d+\.\d+\.\d+\S*/.exec(output)?.[0],
        hint: 'install wrangler (npm i -g wrangler; 4.86.0 is the last release for Node 20)',
      },
    ),
} satisfies Adapter;
