import type { Diagnostic } from '../common/errors.js';
import { hasTemplate, templateExpressions } from './expressions.js';
import { DEFAULT_ITEM_NAME, LOOP_OUTPUTS, LOOP_ROOT, RESERVED_ITEM_NAMES } from './loops.js';
import { suggest } from './suggest.js';
import type { PathSegment } from './yaml-source.js';

/** Validation of loops (docs/format.md#loops-and-targets): what semantics.ts asks of a step
 * with for_each:, as:, parallel: N or steps:, and of the steps of its group. */

type Raw = Record<string, unknown>;
type At = (
  path: PathSegment[],
  message: string,
  extra?: Partial<Diagnostic> & { key?: string },
) => void;

const isObject = (value: unknown): value is Raw =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The names a for_each: step's expressions (and its group's) see besides the usual ones: the
 * item's and `loop`; none for any other step. */
export function loopNames(step: Raw): string[] {
  if (step.for_each === undefined) return [];
  const name =
    typeof step.as === 'string' && !RESERVED_ITEM_NAMES.has(step.as) ? step.as : DEFAULT_ITEM_NAME;
  return [name, LOOP_ROOT];
}

/** What reading `steps.<loop>.outputs.<output>` finds wrong: a for_each: step's outputs are its
 * items' (LOOP_OUTPUTS). */
export function loopOutputProblem(
  step: string,
  output: string,
  sourceText: string,
): [string, { hint: string }] | undefined {
  if ((LOOP_OUTPUTS as readonly string[]).includes(output)) return undefined;
  const guess = suggest(output, [...LOOP_OUTPUTS]);
  return [
    `for_each step "${step}" has no output "${output}" in \`${sourceText}\``,
    {
      hint: guess
        ? `did you mean "${guess}"?`
        : `its outputs: ${LOOP_OUTPUTS.join(', ')}; an item's are items[i].outputs.${output}`,
    },
  ];
}

/** The rules of a loop: for_each: written as one expression, a known group, an item name that
 * is not the expressions' own, `as:`, `parallel: N` and `steps:` only with for_each:, and either
 * an action or a group. */
export function checkLoop(
  path: PathSegment[],
  step: Raw,
  group: Raw | undefined,
  groups: readonly string[] | undefined,
  at: At,
): void {
  const looped = step.for_each !== undefined;
  // A group's step has no for_each:, as: or steps: (the schema says so: no loop in a loop).
  if (!looped) {
    if (group === undefined)
      for (const key of ['as', 'steps'] as const)
        if (step[key] !== undefined)
          at([...path, key], `${key}: goes with for_each:`, {
            hint: 'add for_each: with the items to run it for',
          });
    if (typeof step.parallel === 'number')
      at([...path, 'parallel'], 'parallel: N (items at once) goes with for_each:', {
        hint: 'parallel: true runs the step with the adjacent parallel steps',
      });
    return;
  }
  if (typeof step.as === 'string' && RESERVED_ITEM_NAMES.has(step.as))
    at([...path, 'as'], `"${step.as}" is a name expressions already have: call the item otherwise`);
  if (step.steps !== undefined) {
    const action = ['run', 'uses', 'manual'].find((key) => step[key] !== undefined);
    if (action)
      at([...path, action], `a for_each: step runs its action or its steps:, not both`, {
        hint: 'move the action into steps:',
      });
  }
  if (step.parallel === true)
    at([...path, 'parallel'], 'a for_each: step runs its items N at once: parallel: N', {
      hint: 'parallel: 4 runs four items at a time',
    });
  const forEach = step.for_each;
  if (typeof forEach === 'string') {
    let whole = false;
    try {
      whole =
        hasTemplate(forEach) &&
        templateExpressions(forEach).length === 1 &&
        /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(forEach);
    } catch {
      return; // semantics.ts reports the unterminated template
    }
    if (!whole)
      at(
        [...path, 'for_each'],
        'for_each: takes a list, { group: <name> }, or one ${{ expression }}',
        {
          hint: 'e.g. for_each: ${{ steps.find.outputs.hosts }}',
        },
      );
  }
  if (isObject(forEach) && typeof forEach.group === 'string') {
    const name = forEach.group;
    if (groups === undefined)
      at([...path, 'for_each', 'group'], `for_each: group "${name}" needs an inventory`, {
        hint: 'give inventory: in runbook.config.yaml, or --inventory FILE',
      });
    else if (!groups.includes(name)) {
      const guess = suggest(name, [...groups]);
      at([...path, 'for_each', 'group'], `no group "${name}" in the inventory`, {
        hint: guess ? `did you mean "${guess}"?` : `groups: ${groups.join(', ') || 'none'}`,
      });
    }
  }
}
