import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

// Validation of the expression functions (cel-library.ts) and of captures that read captures.

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: false,
};

/** `line:col message (hint)` of each diagnostic of `id: a`, `title: T`, then `body`. */
function problems(body: string): string[] {
  const bytes = Buffer.from(`id: a\ntitle: T\n${body}`, 'utf8');
  return parseRunbook('a.yaml', bytes, OPTIONS).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

describe('expression functions at validate time', () => {
  it('accepts each function used on the types it takes', () => {
    expect(
      problems(
        [
          'diagnosis:',
          '  - id: s',
          '    run: "printf \'3\\n1\\n3\\n\'"',
          '    capture:',
          '      nums: "[3, 1, 3].map(n, n * outputs.exit_code)"',
          '      total: sum(outputs.nums)',
          '      top: max([1, 2.5])',
          '      mean: format("%.2f", avg(outputs.nums))',
          '      counts: count_by(sort(outputs.nums))',
          '      unique: outputs.nums.distinct()',
          '      size: humanize_bytes(1536) + humanize_percent(0.5) + humanize_duration(90)',
          '    expect: sum([1, 2]) == 3',
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('refuses wrong argument types where they are written', () => {
    expect(
      problems(
        [
          'diagnosis:',
          '  - id: s',
          '    run: "true"',
          '    when: sum("x") > 1',
          '    capture: { h: humanize_bytes("1k") }',
          '  - id: t',
          '    run: echo ${{ format(1, 2) }}',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      `6:11 \`sum("x") > 1\`: found no matching overload for 'sum(string)'`,
      `7:19 \`humanize_bytes("1k")\`: found no matching overload for 'humanize_bytes(string)'`,
      `9:10 \`format(1, 2)\`: found no matching overload for 'format(int, int)'`,
    ]);
  });

  it('finds what fails every run in a constant expression', () => {
    expect(problems('diagnosis:\n  - id: s\n    run: echo ${{ format("%x", 1) }}\n')).toEqual([
      '5:10 `format("%x", 1)`: format: %x is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)',
    ]);
  });
});

describe('format patterns written as literals', () => {
  it('are checked whatever the values are, as format would refuse them in every run', () => {
    expect(
      problems(
        [
          'diagnosis:',
          '  - id: s',
          '    run: "true"',
          '    capture:',
          '      a: format("%x", outputs.exit_code)',
          '      b: format("%d of %d", outputs.exit_code)',
          '      c: format("%.2f%%", outputs.exit_code)',
          '      d: "[1].map(x, format(\'%5d\', x))"',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '7:10 `format("%x", outputs.exit_code)`: format: %x is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)',
      '8:10 `format("%d of %d", outputs.exit_code)`: format: "%d of %d" has more directives than the 1 value given (%d has none)',
      "10:10 `[1].map(x, format('%5d', x))`: format: %5 is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)",
    ]);
  });
});

describe('captures that read captures of the same step', () => {
  it('a capture reads the captures above it as outputs.<name>', () => {
    expect(
      problems(
        'diagnosis:\n  - id: s\n    run: "true"\n    capture:\n      a: outputs.exit_code\n      b: outputs.a + 1\n',
      ),
    ).toEqual([]);
  });

  it('refuses a capture that reads one below it, or itself', () => {
    expect(
      problems(
        'diagnosis:\n  - id: s\n    run: "true"\n    capture:\n      a: outputs.b + 1\n      b: outputs.exit_code\n      c: outputs.c\n',
      ),
    ).toEqual([
      '7:10 capture "a" reads outputs.b, captured after it, in `outputs.b + 1` (captures are evaluated in order, each seeing the ones above it: move "b" above "a")',
      '9:10 capture "c" reads itself in `outputs.c` (captures are evaluated in order, each seeing the ones above it)',
    ]);
  });

  it('a capture named as an output of the action reads that output', () => {
    expect(
      problems(
        'diagnosis:\n  - id: s\n    run: "true"\n    capture:\n      stdout: outputs.stdout.trim()\n',
      ),
    ).toEqual([]);
  });
});
