import { DEFAULT_RECENT } from './inputs.js';

const TOP_CLIENTS = 10;

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

export function nginxOutputs(stderr: string): Record<string, unknown> & { errors: NginxMessage[] } {
  const parsed = parseNginxOutput(stderr);
  return {
    syntax_ok: parsed.syntax_ok,
    config_file: parsed.config_file,
    errors: parsed.messages.filter((m) => ERROR_LEVELS.has(m.level)),
    warnings: parsed.messages.filter((m) => m.level === 'warn'),
  };
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
