import { tryParseJson } from '../../common/json.js';
import { WRITE_OUT_MARKER } from './argv.js';

const MAX_BODY_CHARS = 4 * 1024 * 1024;

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
export function msFromSeconds(secondsValue: number): number {
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
    dns_ms: msFromSeconds(lookup),
    connect_ms: connect > 0 ? msFromSeconds(connect - lookup) : 0,
    tls_ms: appconnect > 0 ? msFromSeconds(appconnect - connect) : 0,
    ttfb_ms: msFromSeconds(start),
    server_ms: start > 0 ? msFromSeconds(start - pretransfer) : 0,
    total_ms: msFromSeconds(total),
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
