import { describe, expect, it } from 'vitest';
import { ExpressionError, loadExpressions, toCel } from '../schema/expressions.js';
import type { Step } from '../schema/runbook.js';
import { evaluateExpect, getPath } from './expect.js';

// The expression language loads on first need; these tests use all of it.
const expressions = await loadExpressions();

type Expectation = NonNullable<Step['expect']>;

/** Evaluates as the engine does: expressions see this step's outputs as `outputs`. */
function check(expectation: Expectation, outputs: Record<string, unknown>) {
  return evaluateExpect(expectation, outputs, { outputs: toCel(outputs) }, expressions);
}

describe('evaluateExpect: plain values', () => {
  it('passes when every value is equal', () => {
    expect(check({ status: 200, 'json.ok': true }, { status: 200, json: { ok: true } })).toEqual({
      state: 'OK',
      failures: [],
      pastCritical: false,
      warnings: [],
      values: {},
    });
  });

  it('compares numbers with numeric strings', () => {
    expect(check({ status: 200 }, { status: '200' }).state).toBe('OK');
    expect(check({ exit_code: '0' }, { exit_code: 0 }).state).toBe('OK');
    expect(check({ count: 3 }, { count: '3.0' }).state).toBe('OK');
    expect(check({ count: 3 }, { count: 'three' }).state).toBe('CRITICAL');
    expect(check({ count: 0 }, { count: '' }).state).toBe('CRITICAL');
  });

  it('compares booleans with their text', () => {
    expect(check({ healthy: true }, { healthy: 'true' }).state).toBe('OK');
    expect(check({ healthy: true }, { healthy: 'false' }).state).toBe('CRITICAL');
  });

  it('is CRITICAL with one line per wrong value', () => {
    const result = check(
      { status: 200, 'json.state': 'online', 'json.missing': 1 },
      { status: 503, json: { state: 'stopped' } },
    );
    expect(result.state).toBe('CRITICAL');
    expect(result.failures).toMatchInlineSnapshot(`
      [
        "status is 503, expected 200",
        "json.state is "stopped", expected "online"",
        "json.missing is missing, expected 1",
      ]
    `);
  });
});

describe('evaluateExpect: matchers', () => {
  it.each<[string, Record<string, unknown>, unknown, boolean]>([
    ['equals', { equals: 'online' }, 'online', true],
    ['equals', { equals: 'online' }, 'errored', false],
    ['not', { not: 'errored' }, 'online', true],
    ['not', { not: 'errored' }, 'errored', false],
    ['in', { in: [200, 204] }, '204', true],
    ['in', { in: [200, 204] }, 500, false],
    ['matches', { matches: '^2\\d\\d$' }, 201, true],
    ['matches', { matches: '^2\\d\\d$' }, 404, false],
    ['contains', { contains: 'ready' }, 'all nodes ready', true],
    ['contains', { contains: 'ready' }, 'not yet', false],
    ['lt', { lt: 10 }, 9, true],
    ['lt', { lt: 10 }, 10, false],
    ['lte', { lte: 10 }, 10, true],
    ['lte', { lte: 10 }, 11, false],
    ['gt', { gt: 0 }, '1', true],
    ['gt', { gt: 0 }, 0, false],
    ['gt', { gt: 0 }, 'n/a', false],
    ['gte', { gte: 1 }, 1, true],
    ['gte', { gte: 1 }, 0.5, false],
  ])('%s %j against %j passes: %s', (_name, matcher, actual, passes) => {
    const result = check({ value: matcher } as Expectation, { value: actual });
    expect(result.state).toBe(passes ? 'OK' : 'CRITICAL');
    expect(result.failures).toHaveLength(passes ? 0 : 1);
  });

  it('reports each failed matcher of one output', () => {
    const result = check(
      { 'json.version': { not: '1.0.0', matches: '^2\\.', contains: 'rc', gte: 2 } },
      { json: { version: '1.0.0' } },
    );
    expect(result.failures).toMatchInlineSnapshot(`
      [
        "json.version is "1.0.0", expected anything but "1.0.0"",
        "json.version is "1.0.0", expected to match /^2\\./",
        "json.version is "1.0.0", expected to contain "rc"",
        "json.version is "1.0.0", expected ≥ 2",
      ]
    `);
  });

  it('combines matchers that all hold', () => {
    expect(check({ n: { gt: 1, lt: 10, not: 5, in: [2, 3, 4] } }, { n: 3 }).state).toBe('OK');
  });
});

describe('evaluateExpect: warn and crit levels', () => {
  const latency = { latency_ms: { warn: 1000, crit: 3000 } };

  it.each([
    [200, 'OK'],
    [1000, 'OK'],
    [1001, 'WARNING'],
    [3000, 'WARNING'],
    [3001, 'CRITICAL'],
  ])('grades latency_ms %d as %s', (value, state) => {
    const result = check(latency, { latency_ms: value });
    expect(result.state).toBe(state);
    expect(result.values).toEqual({ latency_ms: { value, warn: 1000, crit: 3000 } });
  });

  it('says which level was passed', () => {
    expect(check(latency, { latency_ms: 1500 })).toMatchInlineSnapshot(`
      {
        "failures": [],
        "pastCritical": false,
        "state": "WARNING",
        "values": {
          "latency_ms": {
            "crit": 3000,
            "value": 1500,
            "warn": 1000,
          },
        },
        "warnings": [
          "latency_ms is 1500, past the warning level > 1000",
        ],
      }
    `);
    expect(check(latency, { latency_ms: 4000 }).failures).toMatchInlineSnapshot(`
      [
        "latency_ms is 4000, past the critical level > 3000",
      ]
    `);
  });

  it('grades values below the levels with below: true', () => {
    const disk = { free_mb: { warn: 500, crit: 100, below: true } };
    expect(check(disk, { free_mb: 2048 }).state).toBe('OK');
    expect(check(disk, { free_mb: 300 })).toMatchInlineSnapshot(`
      {
        "failures": [],
        "pastCritical": false,
        "state": "WARNING",
        "values": {
          "free_mb": {
            "crit": 100,
            "value": 300,
            "warn": 500,
          },
        },
        "warnings": [
          "free_mb is 300, past the warning level < 500",
        ],
      }
    `);
    expect(check(disk, { free_mb: 50 }).pastCritical).toBe(true);
    expect(check(disk, { free_mb: 50 }).failures).toMatchInlineSnapshot(`
      [
        "free_mb is 50, past the critical level < 100",
      ]
    `);
  });

  it('works with only one level', () => {
    expect(check({ restarts: { warn: 3 } }, { restarts: 5 }).state).toBe('WARNING');
    expect(check({ restarts: { crit: 10 } }, { restarts: 5 })).toEqual({
      state: 'OK',
      failures: [],
      pastCritical: false,
      warnings: [],
      values: { restarts: { value: 5, crit: 10 } },
    });
  });

  it('reads a numeric string as its number', () => {
    expect(check(latency, { latency_ms: '1500' }).state).toBe('WARNING');
  });

  it('is CRITICAL when the value is not a number', () => {
    const result = check(latency, { latency_ms: 'timeout' });
    expect(result.state).toBe('CRITICAL');
    expect(result.failures).toEqual(['latency_ms is "timeout", expected a number']);
    expect(check(latency, {}).failures).toEqual(['latency_ms is missing, expected a number']);
  });

  it('is CRITICAL when a warning and a failure happen together', () => {
    const result = check({ status: 200, ...latency }, { status: 500, latency_ms: 1500 });
    expect(result.state).toBe('CRITICAL');
    expect(result.warnings).toHaveLength(1);
    expect(result.failures).toHaveLength(1);
  });
});

describe('evaluateExpect: expressions', () => {
  it('passes when an expression is true', () => {
    expect(check('outputs.status == 200', { status: 200 }).state).toBe('OK');
    expect(check('outputs.latency_ms < 1000.5', { latency_ms: 12 }).state).toBe('OK');
  });

  it('quotes the expression that was false', () => {
    expect(check('outputs.status == 200', { status: 503 }).failures).toEqual([
      'expected `outputs.status == 200`',
    ]);
  });

  it('shows what a non-boolean expression gave', () => {
    expect(check('outputs.status', { status: 503 }).failures).toEqual([
      'expected `outputs.status` (got 503)',
    ]);
  });

  it('checks every expression of a list', () => {
    const result = check(['outputs.status == 200', 'size(outputs.json.items) > 0'], {
      status: 500,
      json: { items: [] },
    });
    expect(result.state).toBe('CRITICAL');
    expect(result.failures).toEqual([
      'expected `outputs.status == 200`',
      'expected `size(outputs.json.items) > 0`',
    ]);
  });

  it('throws an ExpressionError for an expression that cannot be evaluated', () => {
    expect(() => check('outputs.nope.x == 1', {})).toThrow(ExpressionError);
  });
});

describe('getPath', () => {
  const outputs = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    json: { items: [{ name: 'api', tags: ['a', 'b'] }], ok: false, count: 0 },
  };

  it.each<[string, unknown]>([
    ['status', 200],
    ['json.items[0].name', 'api'],
    ['json.items.0.name', 'api'],
    ['json.items[0].tags[1]', 'b'],
    ['headers.content-type', 'application/json'],
    ['json.ok', false],
    ['json.count', 0],
    ['json.items[5].name', undefined],
    ['json.nope.deeper', undefined],
    ['status.code', undefined],
    ['constructor', undefined],
    ['__proto__', undefined],
    ['json.toString', undefined],
  ])('%s → %j', (path, value) => {
    expect(getPath(outputs, path)).toEqual(value);
  });

  it('an output named like what every object has is missing, not a crash', () => {
    // As YAML gives them: own keys (a `__proto__` key in a literal would set the prototype instead).
    const expectation = JSON.parse('{"constructor": 2, "__proto__": {"equals": 1}}') as Expectation;
    expect(check(expectation, outputs)).toEqual({
      state: 'CRITICAL',
      failures: ['constructor is missing, expected 2', '__proto__ is missing, expected 1'],
      pastCritical: false,
      warnings: [],
      values: {},
    });
  });

  it('is used by expect: for nested outputs', () => {
    expect(check({ 'json.items[0].name': 'api' }, outputs).state).toBe('OK');
    expect(check({ 'json.items[0].name': 'web' }, outputs).failures).toEqual([
      'json.items[0].name is "api", expected "web"',
    ]);
  });
});
