import { describe, expect, it } from 'vitest';
import {
  ExpressionError,
  expressionNeeds,
  referencedNames,
  splitTemplate,
  stringifyValue,
  templateExpressions,
  toCel,
  loadExpressions,
} from './expressions.js';
import { loadRegex } from './regex.js';

// The expression language loads on first need; these tests use all of it.
const expressions = await loadExpressions();

/** Evaluates the way the engine does: the context converted for CEL first. */
function evaluate(source: string, context: Record<string, unknown>): unknown {
  return expressions.evaluate(source, toCel(context) as Record<string, unknown>);
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

describe('checkSyntax', () => {
  it('accepts valid CEL', () => {
    expect(expressions.checkSyntax('steps.health.outputs.status == 200')).toBeUndefined();
    expect(expressions.checkSyntax('vars.n > 1 && "x" in ["x", "y"]')).toBeUndefined();
  });

  it('names the expression and the first syntax problem', () => {
    expect(expressions.checkSyntax('vars.x ==')).toMatchInlineSnapshot(
      `"invalid expression \`vars.x ==\`: Unexpected token: EOF"`,
    );
    expect(expressions.checkSyntax('status = 200')).toMatchInlineSnapshot(
      `"invalid expression \`status = 200\`: Unexpected character: ="`,
    );
  });
});

describe('evaluate with a toCel context', () => {
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
    expect(expressions.checkSyntax('(out + err).matches("full")')).toBeUndefined();
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
    expect(expressions.evaluate('ratio * 2', context)).toBe(1.5);
    expect(expressions.evaluate('2 * ratio', context)).toBe(1.5);
    expect(expressions.evaluate('count / total * 100.0', context)).toBe(0);
    expect(expressions.evaluate('double(count) / double(total) * 100.0', context)).toBe(75);
    expect(expressions.evaluate('count * 1.5 > 4', context)).toBe(true);
  });
});

describe('loadExpressions', () => {
  it('hands out one language for the same needs, loaded once', async () => {
    const [a, b] = await Promise.all([loadExpressions(), loadExpressions({})]);
    expect(a).toBe(expressions);
    expect(b).toBe(expressions);
    expect(await loadExpressions({ patterns: false })).toBe(
      await loadExpressions({ patterns: false, expressions: true }),
    );
  });

  it('shares RE2 with loadRegex', async () => {
    expect(expressions.regex).toBe(await loadRegex());
    expect(expressions.regex.test('^a+$', 'aaa')).toBe(true);
    expect(expressions.regex.problem('(a')).toMatch(/^not an RE2 regular expression: /);
  });

  it('holds only the parts its needs ask for, and refuses what would use another', async () => {
    const plain = await loadExpressions({ patterns: false, comprehensions: false });
    expect(plain.evaluate('1 + 1', {})).toBe(2);
    expect(() => plain.evaluate('"abc".matches("b")', {})).toThrow(
      /`"abc".matches\("b"\)`: .*without patterns/,
    );
    expect(() => plain.regex.test('b', 'abc')).toThrow(ExpressionError);
    // A comprehension is checked without its bound, but never evaluated without it.
    expect(plain.checkSyntax('[1, 2].all(x, x > 0)')).toBeUndefined();
    expect(() => plain.evaluate('[1, 2].all(x, x > 0)', {})).toThrow(
      /without comprehensions, which are evaluated only within their bound/,
    );

    const none = await loadExpressions({ expressions: false, patterns: false });
    expect(() => none.evaluate('1 + 1', {})).toThrow(ExpressionError);
    expect(() => none.checkSyntax('1 + 1')).toThrow(/without expressions/);

    // A runbook with `expect: { x: { matches } }` and no expressions: RE2 alone.
    const patternsOnly = await loadExpressions({ expressions: false, patterns: true });
    expect(patternsOnly.regex.test('^ok', 'ok then')).toBe(true);
    expect(() => patternsOnly.evaluate('true', {})).toThrow(ExpressionError);
  });
});

describe('expressionNeeds', () => {
  it('asks for RE2 only for `matches`, and for the bound only for a comprehension', () => {
    expect(expressionNeeds('vars.a == 1')).toEqual({
      expressions: true,
      patterns: false,
      comprehensions: false,
    });
    expect(expressionNeeds('outputs.stdout.matches("^ok")').patterns).toBe(true);
    expect(expressionNeeds('vars.list.exists(x, x == 1)').comprehensions).toBe(true);
  });

  it('never misses a comprehension, however it is spaced or commented', async () => {
    for (const source of [
      'vars.list.map(x, x * 2)',
      'vars.list . filter ( x , x > 1 )',
      'vars.list.\n  all(x, x > 0)',
      'vars.list.exists_one // the one\n (x, x == 1)',
    ]) {
      expect(expressionNeeds(source).comprehensions).toBe(true);
      const language = await loadExpressions(expressionNeeds(source));
      expect(() =>
        language.evaluate(source, toCel({ vars: { list: [1, 2] } }) as Record<string, unknown>),
      ).not.toThrow();
    }
  });
});

describe('a CEL type as a value', () => {
  it('is its text, evaluated directly or by the bounded evaluator (in a comprehension)', () => {
    expect(expressions.evaluate('type("a")', {})).toBe('Type<string>');
    expect(expressions.evaluate('[1, "x"].map(v, type(v))', {})).toEqual([
      'Type<int>',
      'Type<string>',
    ]);
  });
});
