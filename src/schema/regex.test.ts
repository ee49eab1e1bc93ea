import { describe, expect, it } from 'vitest';
import { mentionsPatterns } from './regex.js';

describe('mentionsPatterns', () => {
  it('finds matches() and a pattern key however it is written', () => {
    expect(
      [
        'when: outputs.stdout.matches("^ok")',
        'input: { name: ticket, pattern: "^INC-[0-9]+$" }',
        "input:\n  'pattern': x",
        '{"input":{"pattern":"^x"}}',
        'pattern : x',
      ].map(mentionsPatterns),
    ).toEqual([true, true, true, true, true]);
  });

  it('does not take the word "pattern" in prose for one', () => {
    expect(
      [
        'summary: the error pattern seen during the outage',
        'description: "patterns of load"',
        'id: check-patterns',
      ].map(mentionsPatterns),
    ).toEqual([false, false, false]);
  });
});
