import type * as Re2Module from 're2js';
import { importLazily, loader } from '../common/lazy.js';

/**
 * Regular expressions of runbook files (`matches()` in expressions, `expect: { x: { matches } }`)
 * run on RE2JS, a port of RE2: matching takes time linear in the text, whatever the pattern, so
 * no pattern can backtrack for minutes (`^(a+)+$` on a long line of a's). The syntax is RE2's, as
 * CEL specifies for `matches`: no backreferences and no lookaround.
 *
 * RE2JS is loaded on first need (`loadRegex`, see docs/architecture.md#lazy-loading): only
 * runbooks with patterns pay for it.
 */
export interface Regex {
  /** Whether `pattern` matches anywhere in `text` (as JavaScript's RegExp.test does). Throws for
   * a pattern RE2 does not accept. */
  test(pattern: string, text: string): boolean;
  /** What is wrong with a pattern, or undefined when RE2 accepts it. */
  problem(pattern: string): string | undefined;
}

/** RE2, loaded (about 60 ms: only runbooks with patterns pay for it). */
export const loadRegex = loader('RE2 (re2js)', async () =>
  regexOf(await importLazily<typeof Re2Module>('re2js')),
);

function regexOf(re2: typeof Re2Module): Regex {
  const compiled = new Map<string, Re2Module.RE2JS | Error>();
  const compile = (pattern: string): Re2Module.RE2JS | Error => {
    let found = compiled.get(pattern);
    if (found === undefined) {
      try {
        found = re2.RE2JS.compile(pattern);
      } catch (error) {
        found = new Error(
          `not an RE2 regular expression: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      compiled.set(pattern, found);
    }
    return found;
  };
  return {
    test(pattern, text) {
      const result = compile(pattern);
      if (result instanceof Error) throw result;
      return result.matcher(text).find();
    },
    problem(pattern) {
      const result = compile(pattern);
      return result instanceof Error ? result.message : undefined;
    },
  };
}

/** Whether a runbook (or any text of one) has patterns: then its language needs RE2 (see
 * `expressionNeeds`). A pattern is used only by `matches` and by a manual step's
 * `input: { pattern }` — a `pattern` key, as YAML or JSON writes it — so this never misses one,
 * and the word "pattern" in a description does not load RE2. */
export function mentionsPatterns(text: string): boolean {
  return text.includes('matches') || PATTERN_KEY.test(text);
}

const PATTERN_KEY = /\bpattern["']?\s*:/;
