import { beforeAll, describe, expect, it } from 'vitest';
import {
  ExpressionError,
  checkExpressionSyntax,
  evaluateExpression,
  referencedNames,
  splitTemplate,
  stringifyValue,
  templateExpressions,
  toCel,
  loadExpressions,
} from './expressions.js';

// The expression language loads on first need; these tests use it directly.
beforeAll(() => loadExpressions());

/** Evaluates the way the engine does: the context converted for CEL first. */
function evaluate(source: string, context: Record<string, unknown>): unknown {
  return evaluateExpression(source, toCel(context) as Record<string, unknown>);
}

describe('splitTemplate', () => {
  it('returns text without ${{ as one text part', () => {
    expect(splitTemplate('curl -s https://example.com')).toEqual([
      { kind: 'text', text: 'curl -s https://example.com' },
    ]);
  });

  it('splits text and trimmed expressions in order', () => {
    expect(splitTemplate('GET ${{ vars.url }}/health?t=${{vars.t}}')).toEqual([
      { kind: 'text', text: 'GET ' },
      { kind: 'expr', source: 'vars.url' },
      { kind: 'text', text: '/health?t=' },
      { kind: 'expr', source: 'vars.t' },
    ]);
  });

  it('does not close on }} inside a quoted string', () => {
    expect(splitTemplate(`a \${{ "}}" + vars.x }} b \${{ 'c}}d' }}`)).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'expr', source: '"}}" + vars.x' },
      { kind: 'text', text: ' b ' },
      { kind: 'expr', source: "'c}}d'" },
    ]);
  });

  it('skips an escaped quote inside a quoted string', () => {
    expect(splitTemplate('${{ "a\\"}}" }}!')).toEqual([
      { kind: 'expr', source: '"a\\"}}"' },
      { kind: 'text', text: '!' },
    ]);
  });

  it('rejects an unterminated ${{ with a fix', () => {
    expect(() => splitTemplate('echo ${{ vars.x')).toThrow(ExpressionError);
    expect(() => splitTemplate('echo ${{ vars.x')).toThrowErrorMatchingInlineSnapshot(
      `[ExpressionError: unterminated \`\${{\`: add the closing \`}}\`]`,
    );
    // A quote that never closes swallows the `}}`.
    expect(() => splitTemplate('${{ "oops }}')).toThrow('unterminated');
  });

  it('rejects an empty ${{ }}', () => {
    expect(() => splitTemplate('x ${{   }} y')).toThrow('empty `${{ }}`');
  });

  it('lists the expressions of a template', () => {
    expect(templateExpressions('${{ a }} and ${{ b.c }}')).toEqual(['a', 'b.c']);
    expect(templateExpressions('no expressions')).toEqual([]);
  });
});

describe('checkExpressionSyntax', () => {
  it('accepts valid CEL', () => {
    expect(checkExpressionSyntax('steps.health.outputs.status == 200')).toBeUndefined();
    expect(checkExpressionSyntax('vars.n > 1 && "x" in ["x", "y"]')).toBeUndefined();
  });

  it('names the expression and the first syntax problem', () => {
    expect(checkExpressionSyntax('vars.x ==')).toMatchInlineSnapshot(
      `"invalid expression \`vars.x ==\`: Unexpected token: EOF"`,
    );
    expect(checkExpressionSyntax('status = 200')).toMatchInlineSnapshot(
      `"invalid expression \`status = 200\`: Unexpected character: ="`,
    );
  });
});

describe('evaluateExpression with a toCel context', () => {
  it('compares a whole JS number with an int literal', () => {
    expect(evaluate('status == 200', { status: 200 })).toBe(true);
    expect(evaluate('status == 200', { status: 503 })).toBe(false);
    expect(evaluate('status != 200', { status: 503 })).toBe(true);
  });

  it('does int arithmetic and returns a plain number', () => {
    expect(evaluate('n + 1', { n: 41 })).toBe(42);
    expect(evaluate('n / 2', { n: 5 })).toBe(2);
  });

  it('compares ints and doubles with a double literal', () => {
    expect(evaluate('latency > 10.5', { latency: 12 })).toBe(true);
    expect(evaluate('latency > 10.5', { latency: 10.25 })).toBe(false);
    expect(evaluate('latency > 10', { latency: 10.25 })).toBe(true);
  });

  it('reaches nested maps and lists', () => {
    const context = { steps: { health: { outputs: { json: { items: [{ name: 'api' }] } } } } };
    expect(evaluate('steps.health.outputs.json.items[0].name', context)).toBe('api');
    expect(evaluate('size(steps.health.outputs.json.items)', context)).toBe(1);
  });

  it('returns maps and lists as plain objects and arrays', () => {
    expect(evaluate('{"a": n, "b": [1, 2.5, "x"]}', { n: 1 })).toEqual({ a: 1, b: [1, 2.5, 'x'] });
  });

  it('returns strings and booleans as is', () => {
    expect(evaluate('name + "!"', { name: 'api' })).toBe('api!');
    expect(evaluate('has(o.a) ? o.a : "none"', { o: {} })).toBe('none');
  });

  it('throws an ExpressionError naming the expression for runtime errors', () => {
    expect(() => evaluate('missing.x', {})).toThrow(ExpressionError);
    expect(() => evaluate('missing.x', {})).toThrowErrorMatchingInlineSnapshot(
      `[ExpressionError: \`missing.x\`: Unknown variable: missing]`,
    );
    expect(() => evaluate('1 / 0', {})).toThrow('`1 / 0`: division by zero');
  });

  it('throws an ExpressionError for a syntax error', () => {
    expect(() => evaluate('a ==', { a: 1 })).toThrow('invalid expression `a ==`');
  });

  it('matches on a receiver in parentheses (it was refused as "Expected RPAREN")', () => {
    const data = { out: 'disk full', err: '' };
    expect(checkExpressionSyntax('(out + err).matches("full")')).toBeUndefined();
    expect(evaluate('(out + err).matches("full")', data)).toBe(true);
    expect(evaluate('[( ( out ) ).matches("^disk"), ("x").matches("y")]', data)).toEqual([
      true,
      false,
    ]);
    expect(evaluate('(out.matches("disk") ? out : err).matches("^d")', data)).toBe(true);
  });
});

describe('referencedNames', () => {
  it('finds steps by dot and bracket access, once each', () => {
    expect(
      referencedNames(
        'steps.health.outputs.status == 200 && steps["pm2-status"].status == "ok" && steps.health.x',
        'steps',
      ),
    ).toEqual(['health', 'pm2-status']);
    expect(referencedNames("steps[ 'db' ].outputs", 'steps')).toEqual(['db']);
  });

  it('finds vars and ignores the other root', () => {
    expect(referencedNames('vars.a + vars.b + vars.a', 'vars')).toEqual(['a', 'b']);
    expect(referencedNames('vars.a == steps.b.outputs.c', 'steps')).toEqual(['b']);
    expect(referencedNames('outputs.status == 200', 'vars')).toEqual([]);
  });
});

describe('stringifyValue', () => {
  it.each([
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['a string', 'text', 'text'],
    ['an int', 42, '42'],
    ['a double', 2.5, '2.5'],
    ['a boolean', true, 'true'],
    ['an object', { a: 1 }, '{"a":1}'],
    ['a list', [1, 'x'], '[1,"x"]'],
  ])('renders %s as %j', (_label, value, text) => {
    expect(stringifyValue(value)).toBe(text);
  });

  it('renders a bigint as its digits', () => {
    expect(stringifyValue(10n)).toBe('10');
  });
});

describe('mixed int and double arithmetic', () => {
  it('is done in double, whatever way the data wrote its numbers', () => {
    const context = toCel({ ratio: 0.75, count: 3, total: 4 }) as Record<string, unknown>;
    expect(evaluateExpression('ratio * 2', context)).toBe(1.5);
    expect(evaluateExpression('2 * ratio', context)).toBe(1.5);
    expect(evaluateExpression('count / total * 100.0', context)).toBe(0);
    expect(evaluateExpression('double(count) / double(total) * 100.0', context)).toBe(75);
    expect(evaluateExpression('count * 1.5 > 4', context)).toBe(true);
  });
});
