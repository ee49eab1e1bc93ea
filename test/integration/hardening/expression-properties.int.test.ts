import { Environment } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configureEnvironment, environmentOptions } from '../../../src/schema/cel.js';
import {
  ExpressionError,
  fromCel,
  loadExpressions,
  toCel,
} from '../../../src/schema/expressions.js';

// Whatever expression a runbook holds and whatever data a step returns, evaluating it either gives
// a value or throws an ExpressionError (ExpressionBoundError when it ran past its bound): never
// another error, never a hang. fast-check prints the seed and the smallest failing case.

/** Runs per property: each property stays well under 20 s on a 2-core machine. */
const RUNS = { programs: 10_000, comprehensions: 1500, syntax: 20_000 } as const;
/** The longest one evaluation may take: comprehensions are stopped at 2 s (expression-worker.ts). */
const EVALUATE_MS = 3000;

const expressions = await loadExpressions();

/** Names the contexts define, and some they do not. */
const NAMES = ['x', 'y', 'n', 'list', 'map', 'constructor', 'toString', 'missing'] as const;
const PATTERNS = [
  '^a',
  'a+',
  '^(a+)+$',
  '(',
  '(?=a)',
  '(a)\\1',
  '[a-',
  '\\d{2,}',
  '',
  '.*',
] as const;

const quote = (text: string): string => JSON.stringify(text);

/** Random CEL programs: literals, lists, maps, the context's names, operators, calls, macros. */
const { program } = fc.letrec<{ program: string; leaf: string; comprehension: string }>((tie) => ({
  leaf: fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    fc.constantFrom('0', '1', '-1', '9223372036854775807', '18446744073709551615u', '1u', '0.5'),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => {
      const text = String(d);
      return /[.e]/.test(text) ? text : `${text}.0`;
    }),
    fc.string({ maxLength: 8 }).map(quote),
    fc.constantFrom('true', 'false', 'null', 'b"ab"', '""', "'a'"),
    fc.constantFrom(...NAMES).map((name) => `vars.${name}`),
    fc.constantFrom(...NAMES).map((name) => `steps.a.outputs.${name}`),
    fc.constantFrom('steps.a.status', 'env.HOME', 'run.id', 'runbook.id', 'outputs.stdout'),
    fc.constantFrom('outputs.json', 'vars.list', 'vars.map', 'e', 'nope'),
  ),
  comprehension: fc
    .tuple(
      fc.constantFrom('map', 'filter', 'all', 'exists', 'exists_one'),
      tie('program'),
      tie('program'),
    )
    .map(([macro, list, body]) => `(${list}).${macro}(e, ${body})`),
  program: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    tie('leaf'),
    fc
      .tuple(
        tie('program'),
        fc.constantFrom(
          '+',
          '-',
          '*',
          '/',
          '%',
          '==',
          '!=',
          '<',
          '<=',
          '>',
          '>=',
          '&&',
          '||',
          'in',
        ),
        tie('program'),
      )
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(fc.constantFrom('!', '-'), tie('program')).map(([op, a]) => `${op}(${a})`),
    fc
      .tuple(tie('program'), tie('program'), tie('program'))
      .map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    fc.array(tie('program'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(tie('program'), tie('program')), { maxLength: 3 })
      .map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    fc.tuple(tie('program'), tie('program')).map(([a, i]) => `(${a})[${i}]`),
    fc.tuple(tie('program'), fc.constantFrom(...NAMES)).map(([a, f]) => `(${a}).${f}`),
    fc
      .tuple(
        fc.constantFrom('vars', 'outputs', 'steps.a.outputs', 'vars.map'),
        fc.constantFrom(...NAMES),
      )
      .map(([a, f]) => `has(${a}.${f})`),
    fc
      .tuple(
        fc.constantFrom('size', 'string', 'int', 'uint', 'double', 'bytes', 'type', 'dyn', 'bool'),
        tie('program'),
      )
      .map(([f, a]) => `${f}(${a})`),
    fc
      .tuple(tie('program'), fc.constantFrom(...PATTERNS))
      .map(([a, p]) => `(${a}).matches(${quote(p)})`),
    fc.tuple(tie('program'), tie('program')).map(([a, p]) => `matches(${a}, ${p})`),
    fc
      .tuple(
        tie('program'),
        fc.constantFrom('startsWith', 'endsWith', 'contains', 'size'),
        tie('program'),
      )
      .map(([a, f, b]) => (f === 'size' ? `(${a}).size()` : `(${a}).${f}(${b})`)),
    fc
      .tuple(fc.constantFrom('nosuch', 'max', 'timestamp', 'duration'), tie('program'))
      .map(([f, a]) => `${f}(${a})`),
    tie('comprehension'),
  ),
}));

/** Data as steps return it (JSON), with names like those every object has. */
const key = fc.oneof(
  fc.constantFrom(...NAMES, '__proto__', 'valueOf', 'a b'),
  fc.string({ maxLength: 6 }),
);
const { data } = fc.letrec<{ data: unknown }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 63, -(2 ** 63), 0.1, -0),
    fc.string({ maxLength: 12 }),
    fc.array(tie('data'), { maxLength: 5 }),
    fc.dictionary(key, tie('data'), { maxKeys: 4 }),
  ),
}));

const context = fc
  .record({
    vars: fc.dictionary(fc.constantFrom(...NAMES), data, { maxKeys: 6 }),
    list: fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), data), { maxLength: 8 }),
    map: fc.dictionary(key, data, { maxKeys: 4 }),
    outputs: fc.dictionary(fc.constantFrom('stdout', 'json', 'exit_code', ...NAMES), data, {
      maxKeys: 4,
    }),
    stepOutputs: fc.dictionary(fc.constantFrom(...NAMES), data, { maxKeys: 4 }),
  })
  .map(
    ({ vars, list, map, outputs, stepOutputs }) =>
      toCel({
        vars: { ...vars, list, map },
        env: { HOME: '/root' },
        steps: { a: { status: 'succeeded', outputs: stepOutputs } },
        runbook: { id: 'fuzz' },
        run: { id: 'r1' },
        outputs,
      }) as Record<string, unknown>,
  );

/** Evaluates, and checks that only an ExpressionError comes out, in bounded time. */
function evaluationHolds(source: string, ctx: Record<string, unknown>): void {
  const started = performance.now();
  try {
    expressions.evaluate(source, ctx);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
  }
  expect(performance.now() - started).toBeLessThan(EVALUATE_MS);
}

// Hundreds of runs each: on a busy machine they take minutes, not the default 30 s.
describe(
  'evaluate throws nothing but ExpressionError, in bounded time',
  { timeout: 300_000 },
  () => {
    it(`random programs against random contexts (${RUNS.programs} runs)`, () => {
      fc.assert(fc.property(program, context, evaluationHolds), { numRuns: RUNS.programs });
    });

    it(`comprehensions, nested, over the context's lists (${RUNS.comprehensions} runs)`, () => {
      const comprehension = fc
        .tuple(
          fc.constantFrom('map', 'filter', 'all', 'exists', 'exists_one'),
          fc.constantFrom('map', 'filter', 'all', 'exists'),
          program,
        )
        .map(
          ([outer, inner, body]) =>
            `vars.list.${outer}(e, [1, 2, e].${inner}(f, ${body.replaceAll('vars.x', 'f')}))`,
        );
      fc.assert(
        fc.property(comprehension, context, (source, ctx) => {
          evaluationHolds(source, ctx);
          // The bounded evaluation (in a worker) gives what evaluating here gives.
          let here: { value: unknown } | undefined;
          try {
            here = { value: fromCel(expressions.compile(source).parsed(ctx)) };
          } catch {
            here = undefined;
          }
          if (here) expect(expressions.evaluate(source, ctx)).toEqual(here.value);
        }),
        { numRuns: RUNS.comprehensions },
      );
    });
  },
);

// Hundreds of runs each: on a busy machine they take minutes, not the default 30 s.
describe('compiling keeps what CEL accepts', { timeout: 300_000 }, () => {
  it(`a program cel-js parses also compiles, its matches() made RE2 ones (${RUNS.syntax} runs)`, () => {
    const cel = new Environment(environmentOptions(true));
    configureEnvironment(cel, () => false);
    fc.assert(
      fc.property(program, (source) => {
        let parses = true;
        try {
          cel.parse(source);
        } catch {
          parses = false;
        }
        if (parses) expect(expressions.checkSyntax(source)).toBeUndefined();
      }),
      { numRuns: RUNS.syntax },
    );
  });
});
