import { StringDecoder } from 'node:string_decoder';
import { stripVTControlCharacters } from 'node:util';
import type { ActionContext, ActionOutcome, ProcessResult } from '../adapter.js';
import { formatDuration, parseDuration } from '../../common/duration.js';
import { describeStop } from '../../exec/process-tree.js';
import type { TailInput, TailStatus } from './inputs.js';
import { asList, durationText, tailArgv, wranglerRequest } from './argv.js';
import { wranglerError } from './errors.js';
import { isTimeout } from '../../common/abort.js';

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
export async function runTail(input: TailInput, ctx: ActionContext): Promise<ActionOutcome> {
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
    const timedOut = isTimeout(reason);
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
