import { stripVTControlCharacters } from 'node:util';
import type { ActionOutcome } from '../adapter.js';

const AUTHENTICATION_ERROR = 10000;

/** Cloudflare's "this Worker does not exist" codes (scripts, legacy service environments). */
export const WORKER_NOT_FOUND = new Set([10007, 10090]);

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

/** The outcome without colour codes; when wrangler itself failed, its error in its own words
 * (and Cloudflare's error code as an output). */
export function cleanOutcome(outcome: ActionOutcome): ActionOutcome {
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
