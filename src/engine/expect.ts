import { stringifyValue, type Expressions } from '../schema/expressions.js';
import type { Regex } from '../schema/regex.js';
import type { Step } from '../schema/runbook.js';

export type CheckState = 'OK' | 'WARNING' | 'CRITICAL';

export interface ExpectResult {
  state: CheckState;
  /** One line per failed (CRITICAL) assertion. */
  failures: string[];
  /** A number is past its `crit:` level: CRITICAL whatever the runbook's severity. */
  pastCritical: boolean;
  /** One line per WARNING level passed. */
  warnings: string[];
  /** Numeric values that had levels, for perfdata and metrics. */
  values: Record<string, { value: number; warn?: number; crit?: number }>;
}

type Expectation = NonNullable<Step['expect']>;
type Matcher = Record<string, unknown>;

/** Evaluates `expect:` against a step's outputs. `context` is the expression context with
 * `outputs` already set to this step's outputs (converted for CEL); `expressions` evaluates in it
 * and runs its patterns. */
export function evaluateExpect(
  expect: Expectation,
  outputs: Record<string, unknown>,
  context: Record<string, unknown>,
  expressions: Expressions,
): ExpectResult {
  const result: ExpectResult = {
    state: 'OK',
    failures: [],
    pastCritical: false,
    warnings: [],
    values: {},
  };
  const sources =
    typeof expect === 'string' ? [expect] : Array.isArray(expect) ? expect : undefined;
  if (sources) {
    for (const expression of sources) {
      const value = expressions.evaluate(expression, context);
      if (value !== true)
        result.failures.push(
          `expected \`${expression}\`${value === false ? '' : ` (got ${stringifyValue(value)})`}`,
        );
    }
  } else {
    for (const [path, expected] of Object.entries(expect)) {
      const actual = getPath(outputs, path);
      if (expected === null || typeof expected !== 'object') {
        if (!looselyEqual(actual, expected))
          result.failures.push(`${path} is ${show(actual)}, expected ${show(expected)}`);
        continue;
      }
      checkMatcher(path, actual, expected as Matcher, result, expressions.regex);
    }
  }
  if (result.failures.length > 0) result.state = 'CRITICAL';
  else if (result.warnings.length > 0) result.state = 'WARNING';
  return result;
}

function checkMatcher(
  path: string,
  actual: unknown,
  matcher: Matcher,
  result: ExpectResult,
  regex: Regex,
): void {
  const fail = (message: string): void => {
    result.failures.push(`${path} is ${show(actual)}, ${message}`);
  };
  if ('equals' in matcher && !looselyEqual(actual, matcher.equals))
    fail(`expected ${show(matcher.equals)}`);
  if ('not' in matcher && looselyEqual(actual, matcher.not))
    fail(`expected anything but ${show(matcher.not)}`);
  if (Array.isArray(matcher.in) && !matcher.in.some((option) => looselyEqual(actual, option)))
    fail(`expected one of ${matcher.in.map(show).join(', ')}`);
  if (typeof matcher.matches === 'string' && !regex.test(matcher.matches, stringifyValue(actual)))
    fail(`expected to match /${matcher.matches}/`);
  if (typeof matcher.contains === 'string' && !stringifyValue(actual).includes(matcher.contains))
    fail(`expected to contain ${show(matcher.contains)}`);
  const comparisons: Array<[string, (a: number, b: number) => boolean, string]> = [
    ['lt', (a, b) => a < b, '<'],
    ['lte', (a, b) => a <= b, '≤'],
    ['gt', (a, b) => a > b, '>'],
    ['gte', (a, b) => a >= b, '≥'],
  ];
  for (const [key, compare, symbol] of comparisons) {
    const bound = matcher[key];
    if (typeof bound !== 'number') continue;
    const number = toNumber(actual);
    if (number === undefined || !compare(number, bound)) fail(`expected ${symbol} ${bound}`);
  }
  const warn = typeof matcher.warn === 'number' ? matcher.warn : undefined;
  const crit = typeof matcher.crit === 'number' ? matcher.crit : undefined;
  if (warn === undefined && crit === undefined) return;
  const number = toNumber(actual);
  if (number === undefined) {
    fail('expected a number');
    return;
  }
  result.values[path] = {
    value: number,
    ...(warn === undefined ? {} : { warn }),
    ...(crit === undefined ? {} : { crit }),
  };
  const below = matcher.below === true;
  const past = (level: number): boolean => (below ? number < level : number > level);
  if (crit !== undefined && past(crit)) {
    fail(`past the critical level ${below ? '<' : '>'} ${crit}`);
    result.pastCritical = true;
  } else if (warn !== undefined && past(warn))
    result.warnings.push(
      `${path} is ${show(actual)}, past the warning level ${below ? '<' : '>'} ${warn}`,
    );
}

/** `json.items[0].name` or `headers.content-type` in a value. */
export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of path.match(/[^.[\]]+/g) ?? []) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    // Only the value's own keys: `constructor` or `__proto__` of outputs is missing, not a function.
    else if (typeof current === 'object' && Object.hasOwn(current, segment))
      current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function looselyEqual(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = toNumber(actual);
    const b = toNumber(expected);
    return a !== undefined && a === b;
  }
  if (typeof expected === 'boolean' && typeof actual === 'string')
    return actual === String(expected);
  return false;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  const text = typeof value === 'string' ? JSON.stringify(value) : stringifyValue(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
