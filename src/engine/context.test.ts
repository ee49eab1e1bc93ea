import { describe, expect, it } from 'vitest';
import { ExpressionError, toCel } from '../schema/expressions.js';
import type { Runbook } from '../schema/runbook.js';
import { expressionNeedsOf, loadExpressionsFor, usesExpressions } from './context.js';

// The expression language is loaded only for runbooks that use it; a miss here would make a run
// fail on its first expression, so every place an expression can be is checked.
const base: Runbook = { id: 'r', title: 'R', diagnosis: [{ id: 'a', run: 'true' }] };
const withStep = (step: Record<string, unknown>): Runbook =>
  ({ ...base, diagnosis: [{ id: 'a', ...step }] }) as Runbook;

describe('usesExpressions', () => {
  it('is false for a runbook with nothing to evaluate', () => {
    expect(usesExpressions(base)).toBe(false);
    expect(usesExpressions(withStep({ run: 'true', expect: { exit_code: 0 } }))).toBe(false);
  });

  it.each([
    ['when', { run: 'true', when: 'vars.x == 1' }],
    ['capture', { run: 'true', capture: { n: 'outputs.stdout' } }],
    ['retry.until', { run: 'true', retry: { attempts: 2, until: 'outputs.exit_code == 0' } }],
    ['expect as an expression', { run: 'true', expect: 'outputs.exit_code == 0' }],
    ['expect as a list', { run: 'true', expect: ['outputs.exit_code == 0'] }],
    ['a template in run', { run: 'echo ${{ vars.x }}' }],
    ['a template in argv', { run: ['echo', '${{ vars.x }}'] }],
    ['a template in with', { uses: 'http.get', with: { url: '${{ vars.url }}' } }],
    ['a template in env', { run: 'true', env: { X: '${{ vars.x }}' } }],
    ['a template in manual', { manual: 'Tell ${{ vars.team }}' }],
  ])('is true for %s', (_name, step) => {
    expect(usesExpressions(withStep(step))).toBe(true);
  });

  it('is true for templates outside steps, and for detection checks', () => {
    expect(
      usesExpressions({ ...base, communication: { initial: 'Down: ${{ runbook.id }}' } }),
    ).toBe(true);
    expect(
      usesExpressions({
        ...base,
        detection: { checks: [{ id: 'c', run: 'true', when: 'true' }] },
      } as Runbook),
    ).toBe(true);
  });
});

describe('expressionNeedsOf', () => {
  it('needs nothing for a runbook of plain shell steps', () => {
    expect(expressionNeedsOf(base)).toEqual({
      expressions: false,
      patterns: false,
      comprehensions: false,
    });
  });

  it('needs RE2 alone for an expect matcher', () => {
    expect(
      expressionNeedsOf(withStep({ run: 'true', expect: { stdout: { matches: '^ok' } } })),
    ).toEqual({ expressions: false, patterns: true, comprehensions: false });
  });

  it('needs the bound only for a comprehension, wherever it is written', () => {
    expect(expressionNeedsOf(withStep({ run: 'echo ${{ vars.x }}' })).comprehensions).toBe(false);
    // In plain text a macro's name asks for nothing.
    expect(
      expressionNeedsOf({ ...base, title: 'Restart all pods', summary: 'map, filter' } as Runbook)
        .comprehensions,
    ).toBe(false);
    for (const step of [
      { run: 'true', when: 'vars.list.all(x, x > 0)' },
      { run: 'true', capture: { n: 'outputs.json.items.\n  filter(i, i.up).size()' } },
      { run: 'echo ${{ vars.list.map(x, x * 2) }}' },
      { run: 'true', expect: ['outputs.json.items.exists // any\n (i, i.up)'] },
    ])
      expect(expressionNeedsOf(withStep(step)), JSON.stringify(step)).toEqual({
        expressions: true,
        patterns: false,
        comprehensions: true,
      });
  });
});

describe('loadExpressionsFor', () => {
  it('gives a language that evaluates every expression of the runbook it was loaded for', async () => {
    const runbook = withStep({
      run: 'echo ${{ vars.list.map(x, x * 2) }}',
      when: '"ok".matches("^o")',
    });
    const expressions = await loadExpressionsFor(runbook);
    const context = { vars: toCel({ list: [1, 2] }) };
    expect(expressions.evaluate('vars.list.map(x, x * 2)', context)).toEqual([2, 4]);
    expect(expressions.evaluate('"ok".matches("^o")', context)).toBe(true);
  });

  it('gives a runbook without expressions a language that evaluates none', async () => {
    const expressions = await loadExpressionsFor(base);
    expect(() => expressions.evaluate('1 + 1', {})).toThrow(ExpressionError);
  });
});
