import { ExpressionError, type Expressions } from '../schema/expressions.js';
import { placeholder as shownAs, type Placeholders } from './vars.js';

/**
 * What a plan (`run --dry-run`, doctor) cannot know, and how it shows in a command: a required
 * variable without a value stands as `<name>` (vars.ts), and an expression over it is evaluated
 * with that text where the result still shows it whole (`<api_url>/health`); otherwise, and for an
 * expression over a step's outputs that the plan does not have, the expression itself stands in
 * the command as `<expression>` — never a value the real run would not use
 * (docs/commands.md#dry-runs-and-read-only-runs).
 */

const NAME = String.raw`(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*["']([^"']+)["']\s*\])`;
const ROOT = (root: string): RegExp => new RegExp(String.raw`(?<![.\w])${root}\b(${NAME})?`, 'g');
const VARS = ROOT('vars');
const ENV = ROOT('env');
const STEPS = /(?<![.\w])steps\b/;

/** The placeholders an expression reads, by the names it shows them as (`<name>`); `all` when it
 * reads `vars` or `env` as a whole (`vars[x]`), which may be any of them. */
export function placeholdersRead(
  source: string,
  placeholders: Placeholders,
): { names: string[]; all: boolean } {
  const names = new Set<string>();
  let all = false;
  for (const [pattern, set, shown] of [
    [VARS, placeholders.vars, (name: string) => name],
    [ENV, placeholders.env, (name: string) => placeholders.env.get(name) ?? name],
  ] as const) {
    if (set.size === 0) continue;
    for (const match of source.matchAll(pattern)) {
      const name = match[2] ?? match[3];
      if (name === undefined) all = true;
      else if (set.has(name)) names.add(shown(name));
    }
  }
  return { names: [...names], all };
}

/** What a condition (`when:`) reads that the plan has no value for, in words; undefined when
 * nothing. A condition that reads such a value is not decided. */
export function unknownIn(
  source: string,
  placeholders: Placeholders | undefined,
): string | undefined {
  if (!placeholders) return undefined;
  const { names, all } = placeholdersRead(source, placeholders);
  if (names.length > 0)
    return `it reads ${names.map(shownAs).join(', ')}, which ${names.length === 1 ? 'has' : 'have'} no value`;
  if (all) return 'it reads the variables as a whole, and some have no value';
  return undefined;
}

/** The language as a plan renders templates in: see above. Conditions are not evaluated
 * through it (step.ts decides them). */
export function planningExpressions(
  expressions: Expressions,
  placeholders: Placeholders | undefined,
  /** Every placeholder it puts in a command, added as it does. */
  shown: Set<string>,
): Expressions {
  const placeholder = (text: string): string => {
    const made = shownAs(text);
    shown.add(made);
    return made;
  };
  const evaluate = (source: string, context: Record<string, unknown>): unknown => {
    const read = placeholders ? placeholdersRead(source, placeholders) : { names: [], all: false };
    const unknown = read.all || read.names.length > 0;
    let value: unknown;
    try {
      value = expressions.evaluate(source, context);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // A step's outputs the plan does not have, or a placeholder the expression cannot take.
      if (unknown || STEPS.test(source)) return placeholder(source);
      throw error;
    }
    if (!unknown) return value;
    if (
      !read.all &&
      typeof value === 'string' &&
      read.names.every((name) => value.includes(shownAs(name)))
    ) {
      for (const name of read.names) shown.add(shownAs(name));
      return value;
    }
    return placeholder(source);
  };
  return { ...expressions, evaluate };
}

/** Whether a rendered value holds a placeholder a plan put there. */
export function holdsPlaceholder(value: unknown, shown: ReadonlySet<string>): boolean {
  if (shown.size === 0) return false;
  if (typeof value === 'string') return [...shown].some((text) => value.includes(text));
  if (Array.isArray(value)) return value.some((item) => holdsPlaceholder(item, shown));
  if (value !== null && typeof value === 'object')
    return Object.values(value).some((item) => holdsPlaceholder(item, shown));
  return false;
}
