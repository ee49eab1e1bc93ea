import type { Diagnostic } from '../common/errors.js';
import { matcherProblem } from './alert-matchers.js';
import type { Regex } from './regex.js';
import type { PathSegment } from './yaml-source.js';

type At = (path: PathSegment[], message: string, extra?: Partial<Diagnostic>) => void;

const HINT =
  'Alertmanager matchers: name="value", name!="value", name=~"regex", name!~"regex" (regexes are RE2, anchored at both ends)';

/** The label matchers of `alerts:` (docs/format.md#alert-payloads), each at its own place: its
 * syntax, and its regex for RE2. A shape the schema refuses is reported there, not here. */
export function checkAlertMatchers(data: Record<string, unknown>, regex: Regex, at: At): void {
  const { alerts } = data;
  if (!Array.isArray(alerts)) return;
  const check = (path: PathSegment[], matcher: unknown): void => {
    if (typeof matcher !== 'string' || matcher === '') return;
    const problem = matcherProblem(matcher, regex);
    if (problem) at(path, `alert matcher ${JSON.stringify(matcher)}: ${problem}`, { hint: HINT });
  };
  alerts.forEach((item: unknown, index) => {
    if (Array.isArray(item))
      item.forEach((matcher: unknown, inner) => check(['alerts', index, inner], matcher));
    else check(['alerts', index], item);
  });
}

/** Whether a runbook file's `alerts:` has a regex matcher, whose check needs RE2. */
export function alertsNeedPatterns(text: string): boolean {
  return /\balerts["']?\s*:/.test(text) && /[=!]~/.test(text);
}
