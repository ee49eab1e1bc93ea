import { z } from 'zod';

/** Loops over targets (docs/format.md#loops-and-targets): what `for_each:`, `as:` and
 * `parallel: N` may hold, and the rules the engine and validation share. */

/** The most items one `for_each:` may run: a longer list fails the step, saying so. */
export const MAX_ITEMS = 1000;
/** The most items of one `for_each:` that run at once (`parallel: N`). */
export const MAX_PARALLEL = 16;
/** The name an item has in expressions when the step gives no `as:`. */
export const DEFAULT_ITEM_NAME = 'item';
/** Where a loop's index and length are: `for_each.index`, `for_each.count` (`loop` is a word CEL keeps). */
export const LOOP_ROOT = 'for_each';
/** The outputs of a `for_each:` step. */
export const LOOP_OUTPUTS = ['items', 'count', 'succeeded', 'failed'] as const;
/** The longest label an item has in the view and the journal. */
const LABEL_CHARS = 60;

/** Names an item cannot take: they are the expressions' own. */
export const RESERVED_ITEM_NAMES = new Set([
  'vars',
  'env',
  'steps',
  'runbook',
  'run',
  'outputs',
  'alert',
  'inventory',
  LOOP_ROOT,
]);

/** The zod parts of a loop, for runbook.ts. */
export function loopSchemaParts() {
  const group = z
    .strictObject({
      group: z
        .string()
        .min(1, { error: 'expected the name of an inventory group' })
        .describe('An inventory group: its host names, in the inventory’s order'),
    })
    .describe('The hosts of an inventory group');
  return {
    forEach: z
      .union(
        [
          z
            .array(z.unknown())
            .max(MAX_ITEMS, { error: `a for_each: list holds at most ${MAX_ITEMS} items` }),
          z.string().min(1),
          group,
        ],
        {
          error:
            'expected a list, an expression such as ${{ steps.find.outputs.hosts }}, or { group: <inventory group> }',
        },
      )
      .describe('Run the step (or its steps:) once per item'),
    as: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an item’s name is an identifier' })
      .describe(`The item's name in expressions (default ${DEFAULT_ITEM_NAME})`),
    parallel: z
      .union(
        [
          z.boolean(),
          z
            .int()
            .min(1, { error: 'parallel: N runs N items at once: at least 1' })
            .max(MAX_PARALLEL, { error: `at most ${MAX_PARALLEL} items run at once` }),
        ],
        {
          error: `expected true (run with the adjacent parallel steps) or, with for_each, a number of items at once (1-${MAX_PARALLEL})`,
        },
      )
      .optional()
      .describe(
        `true: run with the adjacent parallel steps; with for_each, a number: how many items run at once (1-${MAX_PARALLEL}, default 1)`,
      ),
  };
}

/** How a step writes its loop, as the schema took it. */
export type ForEach = readonly unknown[] | string | { group: string };

/** A short one-line label of an item for the view and the journal: a text as it is, a host's
 * name, or else its JSON; cut at LABEL_CHARS. */
export function itemLabel(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { host?: unknown }).host === 'string'
  )
    text = (value as { host: string }).host;
  else if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { name?: unknown }).name === 'string'
  )
    text = (value as { name: string }).name;
  else text = JSON.stringify(value) ?? String(value);
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

/** The items of an evaluated `for_each:` value: a list as it is; a text split at commas (so a
 * variable can hold `db1,db2`), its parts trimmed and empty ones dropped. Throws a LoopError for
 * anything else, or a list longer than MAX_ITEMS. */
export function itemsOf(value: unknown, source: string): unknown[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string')
    items = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  else
    throw new LoopError(
      `for_each: ${source} gave ${value === null ? 'null' : typeof value}, not a list (or a text of comma-separated items)`,
    );
  if (items.length > MAX_ITEMS)
    throw new LoopError(
      `for_each: ${source} gave ${items.length} items; a loop runs at most ${MAX_ITEMS}`,
    );
  return items;
}

/** A loop that cannot be expanded: its value is not a list, is too long, or names an unknown
 * group. */
export class LoopError extends Error {}
