import type * as Re2Module from 're2js';
import { importLazily } from '../common/lazy-import.js';

/**
 * Regular expressions of runbook files (`matches()` in expressions, `expect: { x: { matches } }`)
 * run on RE2JS, a port of RE2: matching takes time linear in the text, whatever the pattern, so
 * no pattern can backtrack for minutes (`^(a+)+$` on a long line of a's). The syntax is RE2's, as
 * CEL specifies for `matches`: no backreferences and no lookaround.
 *
 * RE2JS is loaded on first need (`loadRegex`): only runbooks with patterns pay for it.
 */

let re2: typeof Re2Module | undefined;
const compiled = new Map<string, Re2Module.RE2JS | Error>();

export async function loadRegex(): Promise<void> {
  re2 ??= await importLazily<typeof Re2Module>('re2js');
}

function compile(pattern: string): Re2Module.RE2JS | Error {
  let found = compiled.get(pattern);
  if (found === undefined) {
    if (!re2) throw new Error('regular expressions are used before loadRegex()');
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
}

/** What is wrong with a pattern, or undefined when RE2 accepts it. */
export function regexProblem(pattern: string): string | undefined {
  const result = compile(pattern);
  return result instanceof Error ? result.message : undefined;
}

/** Whether `pattern` matches anywhere in `text` (as JavaScript's RegExp.test does). Throws for a
 * pattern RE2 does not accept. */
export function regexTest(pattern: string, text: string): boolean {
  const result = compile(pattern);
  if (result instanceof Error) throw result;
  return result.matcher(text).find();
}

/** Whether a runbook (or any text of one) has patterns: then loadRegex() is needed first. */
export function mentionsPatterns(text: string): boolean {
  return text.includes('matches');
}
