import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest duration a runbook may give: a timer past it would not run as written (Node's
 * timers stop at 24.8 days), and no step, retry or escalation in an incident waits a week. */
export const MAX_DURATION_MS = 7 * UNIT_MS.d;

const MAX_DURATION_ERROR = 'too long: the longest duration is 7d';

/** Said only of a value that is a duration, so `forever` gets one message, not two. */
const MAX_DURATION_CHECK = {
  error: MAX_DURATION_ERROR,
  when: (payload: { issues: readonly unknown[] }): boolean => payload.issues.length === 0,
};

/** Whether a duration (text or seconds) is at most MAX_DURATION_MS; false for what is not one. */
export function withinMaxDuration(value: string | number): boolean {
  try {
    return parseDuration(value) <= MAX_DURATION_MS;
  } catch {
    return false;
  }
}

/** Accepts `500ms`, `30s`, `5m`, `1h30m`, `2d`, or a bare number of seconds. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** What a duration input says of a value that is not a duration, unless given its own words. */
const DURATION_ERROR = 'expected a duration such as 500ms, 5s or 1m';

export interface DurationInputOptions {
  /** The message for a value that is not a duration. */
  error?: string;
  /**
   * The numbers of seconds it takes besides text: any from 0 (the default), only more than 0, or
   * whole ones from 0, for a tool that counts in seconds (a number is then its first form).
   */
  seconds?: 'any' | 'positive' | 'whole';
  /** Refuses a duration of 0 (`0s`) with this message: for a timeout, which would end at once. */
  zero?: string;
}

/**
 * The schema of every duration a runbook or an action takes: text such as `30s` or `1h30m`, or a
 * number of seconds, and at most MAX_DURATION_MS.
 */
export function durationInput(options: DurationInputOptions = {}): z.ZodType<string | number> {
  const error = options.error ?? DURATION_ERROR;
  const text = z.string().regex(DURATION_PATTERN, { error });
  const forms: z.ZodType<string | number> =
    options.seconds === 'whole'
      ? z.union([z.number().int().nonnegative(), text], { error })
      : z.union(
          [text, options.seconds === 'positive' ? z.number().positive() : z.number().nonnegative()],
          { error },
        );
  const duration = forms.refine(withinMaxDuration, MAX_DURATION_CHECK);
  const zero = options.zero;
  if (zero === undefined) return duration;
  return duration.refine((value) => !withinMaxDuration(value) || parseDuration(value) > 0, {
    error: zero,
  });
}

/** Texts already read: a runbook's durations are few and repeated (validation reads each twice). */
const parsedTexts = new Map<string, number>();

export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a duration`);
    return Math.round(value * 1000);
  }
  const known = parsedTexts.get(value);
  if (known !== undefined) return known;
  const ms = parseText(value);
  if (parsedTexts.size >= 1000) parsedTexts.clear();
  parsedTexts.set(value, ms);
  return ms;
}

function parseText(value: string): number {
  const text = value.trim();
  if (!DURATION_PATTERN.test(text)) {
    throw new RangeError(`"${value}" is not a duration (use e.g. 500ms, 30s, 5m, 1h)`);
  }
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    const unit = match[2] as keyof typeof UNIT_MS;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
}
