import { suggest } from './suggest.js';

/** Severity schemes: which levels a runbook's severity may name, and how `runbook check` grades a
 * failed expectation by them (docs/format.md#severity-schemes, docs/monitoring.md#states). */

/** A scheme written inline in a runbook (or in the config's long form). */
export interface SchemeDefinition {
  levels: string[];
  warn_from?: string | undefined;
}

/** What a runbook's `severity_scheme:` holds: a scheme's name, or a scheme of its own. */
export type SchemeReference = string | SchemeDefinition;

/** The schemes known from the config (built-ins included), and the level of each from which a
 * failed expectation is graded WARNING. */
export interface KnownSchemes {
  schemes: Record<string, string[]>;
  /** Scheme name → its first WARNING level; a scheme missing here grades every failure CRITICAL. */
  warnFrom?: Record<string, string>;
  defaultScheme: string;
}

export interface ResolvedScheme {
  /** The scheme's name, or `inline` for a runbook's own. */
  name: string;
  levels: readonly string[];
  warnFrom: string | undefined;
}

/** The scheme a runbook uses; undefined for a name no one defined (validation reports it). */
export function resolveScheme(
  reference: SchemeReference | undefined,
  known: KnownSchemes,
): ResolvedScheme | undefined {
  if (reference !== undefined && typeof reference === 'object')
    return { name: 'inline', levels: reference.levels, warnFrom: reference.warn_from };
  const name = reference ?? known.defaultScheme;
  if (!Object.hasOwn(known.schemes, name)) return undefined;
  const warnFrom =
    known.warnFrom && Object.hasOwn(known.warnFrom, name) ? known.warnFrom[name] : undefined;
  return { name, levels: known.schemes[name] ?? [], warnFrom };
}

/** The problems of a scheme's definition: a level named twice, a `warn_from` outside its levels;
 * each with where it is, below the scheme (`levels`, `warn_from`). */
export function schemeProblems(
  definition: SchemeDefinition,
): Array<{ message: string; path: Array<string | number>; hint: string }> {
  const problems: Array<{ message: string; path: Array<string | number>; hint: string }> = [];
  definition.levels.forEach((level, index) => {
    if (definition.levels.indexOf(level) !== index)
      problems.push({
        message: `severity level "${level}" is listed twice`,
        path: ['levels', index],
        hint: 'list each level once, most severe first',
      });
  });
  const from = definition.warn_from;
  if (from !== undefined && !definition.levels.includes(from)) {
    const guess = suggestLevel(from, definition.levels);
    problems.push({
      message: `warn_from "${from}" is not one of the levels (${definition.levels.join(', ')})`,
      path: ['warn_from'],
      hint: guess
        ? `did you mean "${guess}"?`
        : 'name the most severe level that a failed check reports as WARNING',
    });
  }
  return problems;
}

/** How `runbook check` grades a failed expectation of a runbook: by its most severe level. A level
 * at or after its scheme's `warn_from` gives WARNING; anything else (no severity, no `warn_from`,
 * a level the scheme does not have) gives CRITICAL, as a failed expectation always did. */
export function failedExpectationState(
  levels: readonly string[],
  scheme: ResolvedScheme | undefined,
): 'WARNING' | 'CRITICAL' {
  if (!scheme?.warnFrom || levels.length === 0) return 'CRITICAL';
  const from = scheme.levels.indexOf(scheme.warnFrom);
  const ranks = levels.map((level) => scheme.levels.indexOf(level));
  if (from < 0 || ranks.some((rank) => rank < 0)) return 'CRITICAL';
  return Math.min(...ranks) >= from ? 'WARNING' : 'CRITICAL';
}

/** The level meant by one a scheme does not have: the same but for case or separators (`sev-2`,
 * `p1`, `Warning`), or a typo in a long word with the same digits (`waring`). Short levels
 * (`P9`, `SEV-Z`) suggest nothing: another number or letter is another level, not a typo. */
export function suggestLevel(level: string, levels: readonly string[]): string | undefined {
  const plain = (text: string): string => text.toLowerCase().replace(/[\s_-]+/g, '');
  const same = levels.find((candidate) => plain(candidate) === plain(level));
  if (same !== undefined) return same;
  if (level.length < 6) return undefined;
  const digits = (text: string): string => text.replace(/\D+/g, '');
  const guess = suggest(level, levels);
  return guess !== undefined && digits(guess) === digits(level) ? guess : undefined;
}
