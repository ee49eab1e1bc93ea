import { describe, expect, it } from 'vitest';
import { LoopError, MAX_ITEMS, itemLabel, itemsOf } from './loops.js';

describe('for_each items', () => {
  it('takes a list as it is, and splits a text at commas', () => {
    expect(itemsOf(['a', { host: 'b' }], 'x')).toEqual(['a', { host: 'b' }]);
    expect(itemsOf(' db1, ,db2 ,', 'x')).toEqual(['db1', 'db2']);
    expect(itemsOf('', 'x')).toEqual([]);
  });

  it(`refuses what is not a list, and more than ${MAX_ITEMS} items`, () => {
    expect(() => itemsOf(3, '${{ 3 }}')).toThrow(
      new LoopError(
        'for_each: ${{ 3 }} gave number, not a list (or a text of comma-separated items)',
      ),
    );
    expect(() =>
      itemsOf(
        Array.from({ length: MAX_ITEMS + 1 }, () => 1),
        'the list',
      ),
    ).toThrow(new LoopError('for_each: the list gave 1001 items; a loop runs at most 1000'));
    expect(
      itemsOf(
        Array.from({ length: MAX_ITEMS }, () => 1),
        'the list',
      ),
    ).toHaveLength(MAX_ITEMS);
  });

  it('labels an item by its text, host or name, else its JSON, on one short line', () => {
    expect(itemLabel('db1')).toBe('db1');
    expect(itemLabel({ host: '10.0.0.1', port: 5432 })).toBe('10.0.0.1');
    expect(itemLabel({ name: 'api' })).toBe('api');
    expect(itemLabel(7)).toBe('7');
    expect(itemLabel({ a: 1 })).toBe('{"a":1}');
    expect(itemLabel('a\nb\u001b[31m')).toBe('a b [31m');
    expect(itemLabel('x'.repeat(80))).toBe(`${'x'.repeat(59)}…`);
  });
});
