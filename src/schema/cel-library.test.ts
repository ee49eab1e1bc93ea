import { describe, expect, it } from 'vitest';
import { formatPatternProblem, MAX_LIBRARY_ITEMS } from './cel-library.js';
import { loadExpressions, toCel } from './expressions.js';

// The expression language loads on first need; these tests use all of it.
const expressions = await loadExpressions();

/** Evaluates the way the engine does: the context converted for CEL first. */
function evaluate(source: string, context: Record<string, unknown> = {}): unknown {
  return expressions.evaluate(source, toCel(context) as Record<string, unknown>);
}

/** The message an evaluation fails with. */
function failure(source: string, context: Record<string, unknown> = {}): string {
  try {
    evaluate(source, context);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`\`${source}\` did not fail`);
}

describe('sum, min, max, avg', () => {
  it('sum keeps ints whole and adds mixed ints and doubles as doubles', () => {
    expect(evaluate('sum([1, 2, 3])')).toBe(6);
    expect(evaluate('sum([1, 2.5])')).toBe(3.5);
    expect(evaluate('sum(outputs.xs)', { outputs: { xs: [0.1, 0.2, 3] } })).toBeCloseTo(3.3, 12);
    expect(evaluate('sum([]) == 0')).toBe(true);
    expect(evaluate('sum([9223372036854775806, 1])')).toBe('9223372036854775807');
    expect(failure('sum([9223372036854775807, 1])')).toBe(
      '`sum([9223372036854775807, 1])`: sum: integer overflow',
    );
  });

  it('min and max give the item itself, an int as an int', () => {
    expect(evaluate('min([3, 1.5, 2])')).toBe(1.5);
    expect(evaluate('max([3, 1.5, 2])')).toBe(3);
    expect(evaluate('type(max([3, 1.5, 2])) == int')).toBe(true);
    expect(evaluate('min([-9223372036854775808, 0])')).toBe('-9223372036854775808');
    expect(evaluate('max(outputs.lag)', { outputs: { lag: [12, 40, 7] } })).toBe(40);
  });

  it('avg is a double, of ints too', () => {
    expect(evaluate('avg([1, 2])')).toBe(1.5);
    expect(evaluate('avg([2, 4]) == 3.0')).toBe(true);
  });

  it('an empty list has no min, max or avg: a clear error', () => {
    expect(failure('min([])')).toBe('`min([])`: min of an empty list: it has no value');
    expect(failure('max(outputs.xs)', { outputs: { xs: [] } })).toBe(
      '`max(outputs.xs)`: max of an empty list: it has no value',
    );
    expect(failure('avg([])')).toBe('`avg([])`: avg of an empty list: it has no value');
  });

  it('NaN makes the result NaN, as in arithmetic', () => {
    const nan = { outputs: { xs: [1, Number.NaN, 3] } };
    expect(evaluate('sum(outputs.xs)', nan)).toBeNaN();
    expect(evaluate('min(outputs.xs)', nan)).toBeNaN();
    expect(evaluate('max(outputs.xs)', nan)).toBeNaN();
    expect(evaluate('avg(outputs.xs)', nan)).toBeNaN();
  });

  it('a list that holds something else than numbers is refused by name', () => {
    expect(failure('sum(outputs.xs)', { outputs: { xs: [1, '2'] } })).toBe(
      '`sum(outputs.xs)`: sum: the list holds a string, not a number',
    );
  });
});

describe('sort, distinct, count_by', () => {
  it('sort orders numbers (ints and doubles together), strings and bools; NaN last', () => {
    expect(evaluate('sort([3, 1.5, 2])')).toEqual([1.5, 2, 3]);
    expect(evaluate('["b", "a", "B"].sort()')).toEqual(['B', 'a', 'b']);
    expect(evaluate('sort([true, false])')).toEqual([false, true]);
    expect(evaluate('sort(outputs.xs)', { outputs: { xs: [2, Number.NaN, 1] } })).toEqual([
      1,
      2,
      Number.NaN,
    ]);
    expect(evaluate('sort([])')).toEqual([]);
  });

  it('sort refuses what has no order', () => {
    expect(failure('sort(outputs.xs)', { outputs: { xs: [1, 'a'] } })).toBe(
      '`sort(outputs.xs)`: sort: the list mixes numbers and strings, which have no order',
    );
    expect(failure('sort([{"a": 1}])')).toBe(
      '`sort([{"a": 1}])`: sort: a map has no order (sort lists of numbers, strings or bools)',
    );
  });

  it('distinct keeps the first of equal values, as == says (1 and 1.0 are one)', () => {
    expect(evaluate('distinct(["a", "b", "a"])')).toEqual(['a', 'b']);
    expect(evaluate('[1, 1.0, 2].distinct()')).toEqual([1, 2]);
    expect(evaluate('distinct([[1], [1], {"a": 1}, {"a": 1}])')).toEqual([[1], { a: 1 }]);
  });

  it('count_by counts each value: sort | uniq -c', () => {
    expect(evaluate('count_by(["500", "404", "500"])')).toEqual({ '500': 2, '404': 1 });
    expect(
      evaluate('count_by(outputs.rows.map(r, r.status))["failed"]', {
        outputs: { rows: [{ status: 'failed' }, { status: 'ok' }, { status: 'failed' }] },
      }),
    ).toBe(2);
    expect(failure('count_by(outputs.xs)', { outputs: { xs: [1, '1'] } })).toBe(
      '`count_by(outputs.xs)`: count_by: the list mixes ints and strings',
    );
    expect(evaluate('count_by([true, false, true])')).toEqual({ true: 2, false: 1 });
    expect(failure('count_by([1.5])')).toBe(
      '`count_by([1.5])`: count_by: a double cannot be a map key (count strings, ints or bools: map each item to one first)',
    );
  });

  it('a list longer than the bound is refused at once, not sorted', () => {
    const xs = Array.from({ length: MAX_LIBRARY_ITEMS + 1 }, (_, i) => MAX_LIBRARY_ITEMS - i);
    expect(failure('sort(outputs.xs)', { outputs: { xs } })).toBe(
      '`sort(outputs.xs)`: sort: the list has 100001 items, more than 100000',
    );
    expect(evaluate('size(sort(outputs.xs))', { outputs: { xs: xs.slice(1) } })).toBe(
      MAX_LIBRARY_ITEMS,
    );
  });

  it('works in the bounded evaluator too (inside a comprehension)', () => {
    expect(
      evaluate(
        '[[3, 1], [2]].map(l, sum(sort(l))) == [4, 2] && [1].all(x, format("%d", x) == "1")',
      ),
    ).toBe(true);
    expect(evaluate('[["b", "a"]].map(l, l.sort())')).toEqual([['a', 'b']]);
  });
});

describe('format', () => {
  it('writes %d, %f, %.Nf, %s and %%', () => {
    expect(evaluate('format("%.2f", 3.14159)')).toBe('3.14');
    expect(evaluate('format("%.2f", 2)')).toBe('2.00');
    expect(evaluate('format("%f", 0.5)')).toBe('0.500000');
    expect(evaluate('format("%.0f", 2.5)')).toBe('3');
    expect(evaluate('format("%d%%", 42)')).toBe('42%');
    expect(evaluate('format("%d", 3.0)')).toBe('3');
    expect(evaluate('format("%s on %s: %d", "db-1", "primary", 3)')).toBe('db-1 on primary: 3');
    expect(evaluate('format("%s", [1, "a"])')).toBe('[1, "a"]');
    expect(evaluate('format("no directives")')).toBe('no directives');
    expect(evaluate('format("%.1f", outputs.x)', { outputs: { x: Number.NaN } })).toBe('NaN');
  });

  it('refuses what it does not write, and values that do not fit', () => {
    expect(failure('format("%x", 255)')).toBe(
      '`format("%x", 255)`: format: %x is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)',
    );
    expect(failure('format("100%")')).toBe(
      '`format("100%")`: format: a lone % is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)',
    );
    expect(failure('format("%d", 2.5)')).toBe(
      '`format("%d", 2.5)`: format: %d needs a whole number, got 2.5 (use %.0f to round it)',
    );
    expect(failure('format("%f", "a")')).toBe(
      '`format("%f", "a")`: format: %f needs a number, got a string',
    );
    expect(failure('format("%d %d", 1)')).toBe(
      '`format("%d %d", 1)`: format: "%d %d" has more directives than the 1 value given (%d has none)',
    );
    expect(failure('format("%d", 1, 2)')).toBe(
      '`format("%d", 1, 2)`: format: "%d" has 1 directive for 2 values',
    );
    expect(failure('format("%.21f", 1.0)')).toBe(
      '`format("%.21f", 1.0)`: format: %.21f has 21 decimals, more than 20',
    );
  });
});

describe('formatPatternProblem', () => {
  it('says what format says of a pattern, before any value is known', () => {
    for (const [pattern, count] of [
      ['%x', 1],
      ['100%', 0],
      ['%d %d', 1],
      ['%d', 2],
      ['%.21f', 1],
      ['%.f', 1],
    ] as const) {
      const source = `format("${pattern}"${', 1'.repeat(count)})`;
      expect(`\`${source}\`: ${formatPatternProblem(pattern, count)}`).toBe(failure(source));
    }
    expect(formatPatternProblem('%s is %.2f%% (%d)', 3)).toBeUndefined();
  });
});

describe('humanize_bytes, humanize_percent, humanize_duration', () => {
  it('humanize_bytes: binary prefixes, four significant digits', () => {
    expect(evaluate('humanize_bytes(512)')).toBe('512B');
    expect(evaluate('humanize_bytes(1536)')).toBe('1.5KiB');
    expect(evaluate('humanize_bytes(1073741824)')).toBe('1GiB');
    expect(evaluate('humanize_bytes(123456789.0)')).toBe('117.7MiB');
    expect(evaluate('humanize_bytes(0)')).toBe('0B');
  });

  it('humanize_percent: a ratio as a percentage', () => {
    expect(evaluate('humanize_percent(0.1234)')).toBe('12.34%');
    expect(evaluate('humanize_percent(1)')).toBe('100%');
    expect(evaluate('humanize_percent(0.000001)')).toBe('0.0001%');
    expect(evaluate('humanize_percent(0.00000012)')).toBe('1.2e-05%');
  });

  it('humanize_duration: seconds as days, hours, minutes and seconds, or fractions', () => {
    expect(evaluate('humanize_duration(0)')).toBe('0s');
    expect(evaluate('humanize_duration(1.5)')).toBe('1.5s');
    expect(evaluate('humanize_duration(90)')).toBe('1m 30s');
    expect(evaluate('humanize_duration(3725)')).toBe('1h 2m 5s');
    expect(evaluate('humanize_duration(93784)')).toBe('1d 2h 3m 4s');
    expect(evaluate('humanize_duration(-90)')).toBe('-1m 30s');
    expect(evaluate('humanize_duration(0.0123)')).toBe('12.3ms');
    expect(evaluate('humanize_duration(0.000002)')).toBe('2us');
    expect(evaluate('humanize_duration(outputs.x)', { outputs: { x: Number.NaN } })).toBe('NaN');
  });
});

describe('type checking', () => {
  const check = (source: string): string | undefined => expressions.checkTypes(source, true, false);

  it('accepts each function on the types it takes', () => {
    for (const source of [
      'sum([1, 2])',
      'sum(outputs.xs) > 3',
      'min([1.5]) + max([2]) + avg([1, 2])',
      'sort(["b"])[0] == "b"',
      'outputs.xs.distinct()',
      'count_by(["a"])["a"] == 1',
      'format("%.2f", outputs.ratio)',
      'humanize_bytes(outputs.size) + humanize_percent(0.5) + humanize_duration(90)',
    ])
      expect(check(source), source).toBeUndefined();
  });

  it('refuses wrong argument types', () => {
    expect(check('sum("x")')).toBe(`\`sum("x")\`: found no matching overload for 'sum(string)'`);
    expect(check('sum(["a"])')).toBe(
      `\`sum(["a"])\`: found no matching overload for 'sum(list<string>)'`,
    );
    expect(check('humanize_bytes("1k")')).toBe(
      `\`humanize_bytes("1k")\`: found no matching overload for 'humanize_bytes(string)'`,
    );
    expect(check('format(2, 1)')).toBe(
      `\`format(2, 1)\`: found no matching overload for 'format(int, int)'`,
    );
  });
});
