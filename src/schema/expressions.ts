import { setOwn } from '../common/own.js';
import { loader, type Loader } from '../common/lazy.js';
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import type * as CelModule from './cel.js';
import type * as WorkerModule from './expression-worker.js';
import { children, findCall, isNode } from './cel-ast.js';
import { loadRegex, mentionsPatterns, type Regex } from './regex.js';

/**
 * The expression language of runbook files: CEL (Common Expression Language), evaluated by
 * @marcbachmann/cel-js. Non-Turing-complete, side-effect free, no eval. `${{ expr }}` embeds an
 * expression in a string; `when:`, `until:`, `capture:` and `expect:` hold bare expressions.
 *
 * The language is loaded on first need, and got only by awaiting `loadExpressions` (see
 * docs/architecture.md#lazy-loading): setting it up costs a start several milliseconds, and a
 * runbook without expressions never needs it.
 */

/** What the expressions of a runbook need loaded: each part costs a start time. */
export interface ExpressionNeeds {
  /** The language itself (cel-js): a runbook without expressions does without. */
  expressions: boolean;
  /** RE2 (regex.ts, about 60 ms to load), for `matches` in expressions and in `expect:`. */
  patterns: boolean;
  /** The bounded evaluator (expression-worker.ts), for evaluating comprehensions. */
  comprehensions: boolean;
}

/**
 * The needs of expression sources (or of any text that holds them all). Every use of a part names
 * it: a pattern is used only by `matches`, and a comprehension is a call of its macro by name, so
 * no text that holds an expression can leave out what that expression needs; a word in plain text
 * may only load a part for nothing.
 */
export function expressionNeeds(text: string): ExpressionNeeds {
  return {
    expressions: true,
    patterns: mentionsPatterns(text),
    comprehensions: COMPREHENSION_NAME.test(text),
  };
}

/** The name of a comprehension macro (see COMPREHENSIONS), as a word. */
const COMPREHENSION_NAME = /\b(?:map|filter|all|exists|exists_one)\b/;

/**
 * The expression language, loaded: it parses, checks and evaluates expressions and tests patterns.
 * A language holds the parts its needs asked for, and no other: what would use a part it lacks (an
 * expression in a language loaded for a runbook without any, `matches` without RE2, a comprehension
 * evaluated without its bound) is refused with an ExpressionError. The needs of a text
 * (`expressionNeeds`) never leave out what its expressions use.
 */
export interface Expressions {
  /** Parses an expression (cached); throws an ExpressionError for one that does not parse. */
  compile(source: string): Compiled;
  /** Evaluates with a context already converted by `toCel`; returns plain JS values. */
  evaluate(source: string, context: Record<string, unknown>): unknown;
  /** The syntax error of an expression, or undefined when it parses. */
  checkSyntax(source: string): string | undefined;
  /** What the type checker finds wrong with an expression that parses (an unknown name or
   * function, operands that never fit, a condition never true or false); undefined when nothing. */
  checkTypes(
    source: string,
    withOutputs: boolean,
    condition?: boolean,
    /** More names it may refer to: a for_each: item's (docs/format.md#loops-and-targets). */
    extra?: readonly string[],
  ): string | undefined;
  /** What fails in an expression that refers to nothing (`1 / 0`), evaluated; undefined when
   * nothing does. */
  checkConstant(source: string): string | undefined;
  /** The patterns written as literals in `matches` calls of an expression (validation checks them). */
  literalPatterns(source: string): string[];
  /** RE2: what `matches` runs on, in expressions and in `expect: { x: { matches } }`. */
  readonly regex: Regex;
}

const ALL_NEEDS: ExpressionNeeds = { expressions: true, patterns: true, comprehensions: true };

const loadCel = loader('the expression language (cel-js)', () => import('./cel.js'));
const loadBound = loader(
  'the bounded evaluator of comprehensions',
  () => import('./expression-worker.js'),
);
/** One loader for each set of needs. */
const languages = new Map<string, Loader<Expressions>>();

/** The expression language with the parts `needs` ask for; a need left out is taken as asked. */
export function loadExpressions(needs: Partial<ExpressionNeeds> = {}): Promise<Expressions> {
  const { expressions, patterns, comprehensions } = { ...ALL_NEEDS, ...needs };
  const key = `${expressions}/${patterns}/${expressions && comprehensions}`;
  let load = languages.get(key);
  if (!load) {
    load = loader('the expression language', async () => {
      const [cel, regex, bound] = await Promise.all([
        expressions ? loadCel() : undefined,
        patterns ? loadRegex() : WITHOUT_PATTERNS,
        expressions && comprehensions ? loadBound() : WITHOUT_BOUND,
      ]);
      return cel ? languageOf(cel, regex, bound) : withoutExpressions(regex);
    });
    languages.set(key, load);
  }
  return load();
}

type Bound = Pick<typeof WorkerModule, 'evaluateBounded' | 'ExpressionBoundError'>;

/** A loaded language's parts and caches, as the functions below use them. */
interface Language {
  /** A CEL environment that runs `matches` on this language's RE2; `declared`: see cel.ts. */
  createEnvironment(declared?: readonly string[]): Environment;
  /** The environment expressions are parsed and evaluated in. */
  environment: Environment;
  bound: Bound;
  compiled: Map<string, Compiled>;
  checkers: Map<string, Environment>;
  /** See cel-library.ts. */
  formatPatternProblem(pattern: string, count: number): string | undefined;
}

function languageOf(cel: typeof CelModule, regex: Regex, bound: Bound): Expressions {
  const test = (pattern: string, text: string): boolean => regex.test(pattern, text);
  const createEnvironment = (declared?: readonly string[]): Environment =>
    cel.createEnvironment(test, declared);
  const language: Language = {
    createEnvironment,
    environment: createEnvironment(),
    bound,
    compiled: new Map(),
    checkers: new Map(),
    formatPatternProblem: cel.formatPatternProblem,
  };
  return {
    regex,
    compile: (source) => compileExpression(language, source),
    evaluate: (source, context) => evaluateExpression(language, source, context),
    checkSyntax: (source) => checkExpressionSyntax(language, source),
    checkTypes: (source, withOutputs, condition, extra) =>
      checkExpressionTypes(language, source, withOutputs, condition, extra),
    checkConstant: (source) => checkConstantExpression(language, source),
    literalPatterns: (source) => literalPatterns(language, source),
  };
}

/** The language of a runbook without expressions: it has none to parse or evaluate. */
function withoutExpressions(regex: Regex): Expressions {
  const refuse = (source: string): never => {
    throw new ExpressionError(
      source,
      `\`${source}\`: not evaluated: the expression language was loaded for a runbook without expressions`,
    );
  };
  return {
    regex,
    compile: refuse,
    evaluate: refuse,
    checkSyntax: refuse,
    checkTypes: refuse,
    checkConstant: refuse,
    literalPatterns: refuse,
  };
}

/** In a language loaded for expressions without patterns, in place of RE2. */
const WITHOUT_PATTERNS: Regex = {
  test: (pattern) => refusePattern(pattern),
  problem: (pattern) => refusePattern(pattern),
};

function refusePattern(pattern: string): never {
  throw new ExpressionError(
    pattern,
    `/${pattern}/: not tested: the expression language was loaded for a runbook without patterns`,
  );
}

/** In a language loaded for expressions without comprehensions, in place of their bound. */
const WITHOUT_BOUND: Bound = {
  evaluateBounded: () => {
    throw new Error(
      'not evaluated: the expression language was loaded for a runbook without comprehensions, which are evaluated only within their bound',
    );
  },
  ExpressionBoundError: class extends Error {},
};

/** A parsed expression, ready to evaluate. */
export interface Compiled {
  /** What is evaluated: the source, with `matches` calls made RE2 ones. */
  text: string;
  parsed: ParseResult;
  /** It holds a comprehension: evaluated with a bound (see expression-worker.ts). */
  bounded: boolean;
}

/** Comprehension macros: their cost is the size of the list they walk, times their body's. */
const COMPREHENSIONS = new Set(['map', 'filter', 'all', 'exists', 'exists_one']);

export class ExpressionError extends Error {
  readonly expression: string;
  constructor(expression: string, message: string) {
    super(message);
    this.name = 'ExpressionError';
    this.expression = expression;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

function compileExpression(language: Language, source: string): Compiled {
  const cached = language.compiled.get(source);
  if (cached) return cached;
  try {
    let text = source;
    let parsed = language.environment.parse(text);
    // Each `x.matches(p)` or `matches(x, p)` becomes `re2_matches(x, p)`, one at a time, the
    // innermost last: positions come from the parse of the text as it is now.
    for (
      let call = findCall(parsed.ast, 'matches', text);
      call;
      call = findCall(parsed.ast, 'matches', text)
    ) {
      text = `${text.slice(0, call.start)}re2_matches(${call.args.join(', ')})${text.slice(call.end)}`;
      parsed = language.environment.parse(text);
    }
    const compiled: Compiled = { text, parsed, bounded: hasComprehension(parsed.ast) };
    language.compiled.set(source, compiled);
    return compiled;
  } catch (error) {
    throw new ExpressionError(source, `invalid expression \`${source}\`: ${firstLine(error)}`);
  }
}

/** The patterns written as literals in `matches` calls of an expression (validation checks them). */
function literalPatterns(language: Language, source: string): string[] {
  const patterns: string[] = [];
  const visit = (node: unknown): void => {
    if (!isNode(node)) return;
    const args = Array.isArray(node.args) ? (node.args as unknown[]) : [];
    if ((node.op === 'rcall' || node.op === 'call') && args[0] === 're2_matches') {
      const pattern = (args[1] as unknown[] | undefined)?.[1];
      if (isNode(pattern) && pattern.op === 'value' && typeof pattern.args === 'string')
        patterns.push(pattern.args);
    }
    children(node).forEach(visit);
  };
  visit(compileExpression(language, source).parsed.ast);
  return patterns;
}

function hasComprehension(ast: unknown): boolean {
  if (!isNode(ast)) return false;
  const args = Array.isArray(ast.args) ? (ast.args as unknown[]) : [];
  if (ast.op === 'rcall' && typeof args[0] === 'string' && COMPREHENSIONS.has(args[0])) return true;
  return children(ast).some(hasComprehension);
}

/** What every expression may refer to; `outputs` only in a step's capture, expect and until.
 * `alert`: the alert of `run --alert` (docs/format.md#alert-payloads). */
export const EXPRESSION_ROOTS = ['vars', 'env', 'steps', 'runbook', 'run', 'alert'] as const;

/**
 * What is wrong with an expression that parses, as the type checker sees it: a name it cannot
 * refer to (`process.env.HOME`), a function that does not exist, operands that never fit
 * (`1 + "a"`), or, for a condition (`when:`, `until:`, `expect:`), a value that is never true or
 * false (`"yes"`). Undefined when nothing is.
 */
function checkExpressionTypes(
  language: Language,
  source: string,
  withOutputs: boolean,
  condition = false,
  extra: readonly string[] = [],
): string | undefined {
  const roots = [...EXPRESSION_ROOTS, ...(withOutputs ? ['outputs'] : []), ...extra];
  const key = roots.join(',');
  let checker = language.checkers.get(key);
  if (!checker) {
    checker = language.createEnvironment(roots);
    language.checkers.set(key, checker);
  }
  let result;
  // The checker builds an error for each overload it rules out; their stack traces were most of
  // the cost of validating a file, and only the message is ever read.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    result = checker.check(source);
  } catch (error) {
    return `\`${source}\`: ${firstLine(error)}`;
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (result.valid) {
    // A condition holds only when it is `true`: one of another type is never met.
    const type = result.type ?? 'dyn';
    if (condition && type !== 'bool' && type !== 'dyn')
      return `\`${source}\` is ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}, never true or false: a condition needs a comparison such as \`x == "yes"\``;
    const format = formatProblem(language, compileExpression(language, source).parsed.ast);
    return format === undefined ? undefined : `\`${source}\`: ${format}`;
  }
  const message = firstLine(result.error);
  const unknown = /^Unknown variable: (\S+)/.exec(message);
  if (unknown)
    return `\`${source}\`: unknown name "${unknown[1] ?? ''}" (expressions see ${roots.join(', ')})`;
  return `\`${source}\`: ${message}`;
}

/** What a `format` call whose pattern is a literal would fail with in every run (see
 * cel-library.ts), whatever its values are. */
function formatProblem(language: Language, ast: unknown): string | undefined {
  if (!isNode(ast)) return undefined;
  const args = Array.isArray(ast.args) ? (ast.args as unknown[]) : [];
  if (ast.op === 'call' && args[0] === 'format' && Array.isArray(args[1])) {
    const [pattern, ...values] = args[1] as unknown[];
    if (isNode(pattern) && pattern.op === 'value' && typeof pattern.args === 'string') {
      const problem = language.formatPatternProblem(pattern.args, values.length);
      if (problem) return problem;
    }
  }
  for (const child of children(ast)) {
    const problem = formatProblem(language, child);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * What fails in an expression that refers to nothing (`9223372036854775807 + 1`, `1 / 0`): it has
 * one value, so validation evaluates it and finds what would fail every run. Comprehensions are
 * left to the run, which bounds them (see expression-worker.ts).
 */
function checkConstantExpression(language: Language, source: string): string | undefined {
  let constant = language.checkers.get('constant');
  if (!constant) {
    constant = language.createEnvironment([]);
    language.checkers.set('constant', constant);
  }
  const compiled = compileExpression(language, source);
  if (compiled.bounded || !constant.check(source).valid) return undefined;
  try {
    compiled.parsed({});
    return undefined;
  } catch (error) {
    return `\`${source}\`: ${firstLine(error)}`;
  }
}

/** The syntax error of an expression, or undefined when it parses. */
function checkExpressionSyntax(language: Language, source: string): string | undefined {
  try {
    compileExpression(language, source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Evaluates with a context already converted by `toCel`; returns plain JS values. */
function evaluateExpression(
  language: Language,
  source: string,
  context: Record<string, unknown>,
): unknown {
  const compiled = compileExpression(language, source);
  const { bound } = language;
  try {
    const value = compiled.bounded
      ? bound.evaluateBounded(compiled.text, context)
      : compiled.parsed(context);
    return fromCel(value);
  } catch (error) {
    if (error instanceof bound.ExpressionBoundError)
      throw new ExpressionBoundError(source, `\`${source}\`: ${error.message}`);
    const message = firstLine(error);
    throw new ExpressionError(
      source,
      `\`${source}\`: ${message}${alertKeyHint(source, message, context)}`,
    );
  }
}

/** Why a read of the alert found no such key (docs/format.md#alert-payloads): the run has no
 * alert, or the alert lacks that label or annotation. */
function alertKeyHint(source: string, message: string, context: Record<string, unknown>): string {
  if (
    !message.startsWith('No such key') ||
    !/(?<![.\w])alert\s*\.\s*(?:labels|annotations)\b/.test(source)
  )
    return '';
  const alert = context.alert as { kind?: unknown } | undefined;
  return alert?.kind === ''
    ? ' (this run has no alert: give one with --alert FILE)'
    : ' (the alert has no such label or annotation: guard the read with has(), e.g. has(alert.labels.pod))';
}

/** An expression stopped at its bound (time or memory): it could not be evaluated at all. */
export class ExpressionBoundError extends ExpressionError {}

/** CEL distinguishes int from double: whole JS numbers become ints (bigint) so `status == 200`
 * and `count + 1` behave as a reader expects. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value);
    // A key such as `constructor` or `__proto__` would change what the object is to CEL (and to
    // JavaScript): such maps go in as a Map, which has no inherited names.
    if (entries.some(([key]) => key in Object.prototype))
      return new Map(entries.map(([key, inner]) => [key, toCel(inner)]));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of entries) out[key] = toCel(inner);
    return out;
  }
  return value;
}

export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of value) setOwn(out, String(key), fromCel(inner));
    return out;
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) setOwn(out, key, fromCel(inner));
    return out;
  }
  if (value !== null && typeof value === 'object' && 'valueOf' in value) {
    const primitive = (value as { valueOf(): unknown }).valueOf();
    if (primitive !== value) return fromCel(primitive);
    // An instance with no primitive value (a CEL type, `type(x)`): its text, as the bounded
    // evaluator (expression-worker.ts) gives it, so that both paths agree.
    return String(value);
  }
  return value;
}

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; source: string };

const OPEN = '${{';
const CLOSE = '}}';

/** Splits `text ${{ expr }} text` into parts. A `}}` inside a quoted string does not close. */
export function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf(OPEN, index);
    if (open < 0) {
      parts.push({ kind: 'text', text: text.slice(index) });
      break;
    }
    if (open > index) parts.push({ kind: 'text', text: text.slice(index, open) });
    const close = findClose(text, open + OPEN.length);
    if (close < 0) throw new ExpressionError(text, 'unterminated `${{`: add the closing `}}`');
    const source = text.slice(open + OPEN.length, close).trim();
    if (!source) throw new ExpressionError(text, 'empty `${{ }}`');
    parts.push({ kind: 'expr', source });
    index = close + CLOSE.length;
  }
  return parts;
}

function findClose(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (text.startsWith(CLOSE, i)) return i;
  }
  return -1;
}

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Every expression in a template string (for validation). */
export function templateExpressions(text: string): string[] {
  return splitTemplate(text).flatMap((part) => (part.kind === 'expr' ? [part.source] : []));
}

/** How a value reads when inserted into text. */
export function stringifyValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return JSON.stringify(value);
}

/** Names referenced as `steps.NAME` / `steps["NAME"]` and `vars.NAME` in an expression. */
export function referencedNames(source: string, root: 'steps' | 'vars'): string[] {
  const names = new Set<string>();
  const pattern = new RegExp(
    `\\b${root}(?:\\.([A-Za-z_][A-Za-z0-9_]*)|\\[\\s*["']([^"']+)["']\\s*\\])`,
    'g',
  );
  for (const match of source.matchAll(pattern)) {
    const name = match[1] ?? match[2];
    if (name) names.add(name);
  }
  return [...names];
}

/** The outputs of steps an expression reads, as [step, output]: `steps.decide.outputs.answer`,
 * `steps["decide"].outputs["answer"]`. */
export function referencedOutputs(source: string): Array<[string, string]> {
  const found = new Map<string, [string, string]>();
  const name = `(?:\\.([A-Za-z_][A-Za-z0-9_]*)|\\[\\s*["']([^"']+)["']\\s*\\])`;
  const pattern = new RegExp(`\\bsteps${name}\\s*\\.\\s*outputs${name}`, 'g');
  for (const match of source.matchAll(pattern)) {
    const step = match[1] ?? match[2];
    const output = match[3] ?? match[4];
    if (step && output) found.set(`${step}\u0000${output}`, [step, output]);
  }
  return [...found.values()];
}

/** The step's own outputs an expression reads: `outputs.NAME`, `outputs["NAME"]` (not those of
 * `steps.x.outputs`). */
export function referencedOwnOutputs(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(
    /(?<![.\w])outputs(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g,
  )) {
    const name = match[1] ?? match[2];
    if (name) names.add(name);
  }
  return [...names];
}
