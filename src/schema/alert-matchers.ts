import type { Regex } from './regex.js';

/**
 * The alerts a runbook answers (`alerts:`, docs/format.md#alert-payloads): label matchers written
 * as Alertmanager writes them in its routes and silences — `name="value"`, `name!="value"`,
 * `name=~"regex"`, `name!~"regex"`. No npm package parses this grammar, so this follows
 * Alertmanager's own parser (its classic one, pkg/labels/parse.go) rule for rule:
 *
 * - a label name is `[a-zA-Z_:][a-zA-Z0-9_:]*`; spaces around the operator are allowed;
 * - the value is quoted (`"…"`, with `\"`, `\\` and `\n` escaped; another escape is kept as it is)
 *   or bare (then it runs to the end, trimmed);
 * - a regex is RE2 and anchored at both ends: `=~"shop|api"` matches `shop`, not `shopping`;
 * - a label the alert does not have is the empty value: `team=""` matches an alert without `team`,
 *   and `team!=""` needs one.
 *
 * The matchers of one list must all match (AND); `alerts:` may hold several lists, of which one
 * must match (OR).
 */

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface AlertMatcher {
  name: string;
  op: MatchOperator;
  value: string;
  /** As written, for messages. */
  text: string;
}

/** A matcher that cannot be read, and why. */
export class MatcherSyntaxError extends Error {}

const MATCHER = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/** Reads one matcher (`namespace=~"shop|api"`); throws a MatcherSyntaxError for one it cannot. */
export function parseMatcher(text: string): AlertMatcher {
  const match = MATCHER.exec(text);
  if (!match) {
    const name = /^\s*([^=!~\s]*)/.exec(text)?.[1] ?? '';
    if (name !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name))
      throw new MatcherSyntaxError(
        `"${name}" is not a label name: letters, digits, _ and :, not starting with a digit`,
      );
    throw new MatcherSyntaxError(
      'expected a label matcher: name="value", name!="value", name=~"regex" or name!~"regex"',
    );
  }
  const [, name = '', op = '=', raw = ''] = match;
  let rest = raw;
  let quoted = false;
  if (rest.startsWith('"')) {
    rest = rest.slice(1);
    quoted = true;
  }
  let value = '';
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i] ?? '';
    if (char === '\\' && i < rest.length - 1) {
      const next = rest[++i] ?? '';
      value += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
    } else if (char === '"') {
      if (!quoted || i < rest.length - 1)
        throw new MatcherSyntaxError(
          `the value ${raw} holds a double quote that is not escaped: write \\" inside quotes`,
        );
      quoted = false;
    } else value += char;
  }
  if (quoted)
    throw new MatcherSyntaxError(`the value ${raw} opens a double quote and never closes it`);
  return { name, op: op as MatchOperator, value, text: text.trim() };
}

/** The pattern RE2 runs for a regex matcher: anchored at both ends, as Alertmanager anchors it. */
export function anchored(value: string): string {
  return `^(?:${value})$`;
}

/** What is wrong with a matcher (its syntax, or its regex for RE2), or undefined. */
export function matcherProblem(text: string, regex: Regex): string | undefined {
  let matcher: AlertMatcher;
  try {
    matcher = parseMatcher(text);
  } catch (error) {
    if (error instanceof MatcherSyntaxError) return error.message;
    throw error;
  }
  if (matcher.op === '=~' || matcher.op === '!~') {
    // Told of the regex as written; anchoring it cannot make a valid one invalid, but a `)`
    // could close the anchor's group: then the anchored form is what fails.
    const problem = regex.problem(matcher.value) ?? regex.problem(anchored(matcher.value));
    if (problem) return `the regex "${matcher.value}" is ${problem}`;
  }
  return undefined;
}

/** Whether a matcher holds of an alert's labels (a missing label is the empty value). */
export function matcherHolds(
  matcher: AlertMatcher,
  labels: Readonly<Record<string, string>>,
  regex: Regex,
): boolean {
  const value = Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? '') : '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return regex.test(anchored(matcher.value), value);
    case '!~':
      return !regex.test(anchored(matcher.value), value);
    default: {
      const unreachable: never = matcher.op;
      return unreachable;
    }
  }
}

/** `alerts:` as written: one list of matchers (all must match), or lists of them (one must). */
export type AlertsField = string[] | string[][];

/** The groups of matchers of an `alerts:` field: each a list that must all match. */
export function matcherGroups(field: AlertsField): string[][] {
  return field.every((item) => Array.isArray(item)) && field.length > 0
    ? (field as string[][])
    : [field as string[]];
}

/** How well a runbook's `alerts:` matches an alert, when one of its groups does. */
export interface MatchScore {
  /** The group that matched (the best, when several do). */
  matchers: string[];
  /** Its equality matchers with a value (`name="value"`): the most specific kind. */
  equal: number;
  /** All its matchers. */
  total: number;
}

/**
 * Whether an `alerts:` field matches an alert's labels, and how specifically: of the groups that
 * match, the one with the most equality matchers, then the most matchers. Undefined when none
 * matches. The matchers were validated with the runbook; one that does not parse never matches.
 */
export function matchAlert(
  field: AlertsField,
  labels: Readonly<Record<string, string>>,
  regex: Regex,
): MatchScore | undefined {
  let best: MatchScore | undefined;
  for (const group of matcherGroups(field)) {
    let matchers: AlertMatcher[];
    try {
      matchers = group.map(parseMatcher);
    } catch (error) {
      if (error instanceof MatcherSyntaxError) continue;
      throw error;
    }
    if (!matchers.every((matcher) => matcherHolds(matcher, labels, regex))) continue;
    const score: MatchScore = {
      matchers: matchers.map((matcher) => matcher.text),
      equal: matchers.filter((matcher) => matcher.op === '=' && matcher.value !== '').length,
      total: matchers.length,
    };
    if (!best || compareScores(score, best) < 0) best = score;
  }
  return best;
}

/** Negative when `a` is the better (more specific) match. */
export function compareScores(a: MatchScore, b: MatchScore): number {
  return b.equal - a.equal || b.total - a.total;
}
