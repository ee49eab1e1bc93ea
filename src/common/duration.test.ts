import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { durationInput, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['  5m  ', 300_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads a number as seconds', () => {
    expect(parseDuration(30)).toBe(30_000);
    expect(parseDuration(0.25)).toBe(250);
  });

  it.each(['', '5', '30', 'abc', '5 m', '-1s', '5x', 's', '1h 30m', '5min'])(
    'rejects %j with a message that shows what to write',
    (text) => {
      expect(() => parseDuration(text)).toThrow(RangeError);
      expect(() => parseDuration(text)).toThrow(
        `"${text}" is not a duration (use e.g. 500ms, 30s, 5m, 1h)`,
      );
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [12.4, '12ms'],
    [999, '999ms'],
    [1_000, '1.0s'],
    [1_500, '1.5s'],
    [9_940, '9.9s'],
    [10_000, '10s'],
    [42_300, '42s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [125_000, '2m5s'],
    [3_600_000, '60m'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips what it formats for whole seconds and minutes', () => {
    for (const ms of [500, 10_000, 60_000, 90_000, 125_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe('durationInput', () => {
  const messages = (schema: z.ZodType, value: unknown): string[] =>
    schema.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];

  it('takes text or seconds, up to 7 days, with one message for what is not a duration', () => {
    const schema = durationInput({ error: 'expected a duration such as 30s' });
    expect(schema.parse('1h30m')).toBe('1h30m');
    expect(schema.parse(0)).toBe(0);
    expect(schema.parse('7d')).toBe('7d');
    expect(messages(schema, 'forever')).toEqual(['expected a duration such as 30s']);
    expect(messages(schema, true)).toEqual(['expected a duration such as 30s']);
    expect(messages(schema, '8d')).toEqual(['too long: the longest duration is 7d']);
    expect(messages(schema, 604_801)).toEqual(['too long: the longest duration is 7d']);
    expect(messages(durationInput(), 'soon')).toEqual([
      'expected a duration such as 500ms, 5s or 1m',
    ]);
  });

  it('takes the numbers it is told to, and refuses 0 when told why', () => {
    expect(durationInput({ seconds: 'positive' }).safeParse(0).success).toBe(false);
    expect(durationInput({ seconds: 'positive' }).safeParse('0s').success).toBe(true);
    expect(durationInput({ seconds: 'whole' }).safeParse(1.5).success).toBe(false);
    expect(durationInput({ seconds: 'whole' }).safeParse(90).success).toBe(true);
    expect(messages(durationInput({ zero: 'a timeout of 0 ends at once' }), '0ms')).toEqual([
      'a timeout of 0 ends at once',
    ]);
  });

  it('offers whole seconds first, for a tool that counts in them', () => {
    const forms = (schema: z.ZodType) =>
      (z.toJSONSchema(schema, { io: 'input' }).anyOf ?? []).map((form) =>
        typeof form === 'object' ? form.type : undefined,
      );
    expect(forms(durationInput())).toEqual(['string', 'number']);
    expect(forms(durationInput({ seconds: 'whole' }))).toEqual(['integer', 'string']);
  });
});
