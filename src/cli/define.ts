import type { Io } from './io.js';

/**
 * Commands as values: each command is one definition — its arguments, its flags and its handler —
 * from which src/cli/program.ts builds the parser and the help. The handler's argument types are
 * inferred from the definitions, so a flag is written once. Flags several commands share are
 * defined once below.
 */

/** A flag: its commander spelling (`--dir <dir>`), its help, and how its value is read. */
export interface Flag<T> {
  spec: string;
  description: string;
  kind: 'boolean' | 'string' | 'list' | 'choice';
  choices?: readonly string[];
  default?: T;
  /** Only for the type: what the handler receives. */
  readonly value?: T;
}

export const flag = {
  boolean: (spec: string, description: string): Flag<boolean | undefined> => ({
    spec,
    description,
    kind: 'boolean',
  }),
  string: (spec: string, description: string): Flag<string | undefined> => ({
    spec,
    description,
    kind: 'string',
  }),
  /** A string with a default: never undefined. */
  text: (spec: string, description: string, defaultValue: string): Flag<string> => ({
    spec,
    description,
    kind: 'string',
    default: defaultValue,
  }),
  /** Repeatable: every value given, in order. */
  list: (spec: string, description: string): Flag<string[]> => ({
    spec,
    description,
    kind: 'list',
    default: [],
  }),
  /** One of `choices`; the first is the default. */
  choice: <const C extends readonly [string, ...string[]]>(
    spec: string,
    description: string,
    choices: C,
  ): Flag<C[number]> => ({
    spec,
    description,
    kind: 'choice',
    choices,
    default: choices[0],
  }),
};

/** An argument: `<id>` (required), `[id]` (optional) or `[ids...]` (any number). */
export interface Arg<T> {
  spec: string;
  description: string;
  /** What shell completion offers for it (src/cli/completion-make.ts); by default runbook ids
   * for `id`/`ids`, paths for `paths`, nothing for the rest. */
  completes?: 'runbook-ids' | 'paths' | 'nothing';
  readonly value?: T;
}

export const arg = {
  required: (name: string, description: string): Arg<string> => ({
    spec: `<${name}>`,
    description,
  }),
  /** `[name]`: may be left out. */
  optional: (name: string, description: string): Arg<string | undefined> => ({
    spec: `[${name}]`,
    description,
  }),
  variadic: (name: string, description: string): Arg<string[]> => ({
    spec: `[${name}...]`,
    description,
  }),
};

export type Values<D extends Record<string, { readonly value?: unknown }>> = {
  [K in keyof D]: D[K] extends { readonly value?: infer T } ? T : never;
};

export interface Command<
  A extends Record<string, Arg<unknown>> = Record<string, Arg<unknown>>,
  F extends Record<string, Flag<unknown>> = Record<string, Flag<unknown>>,
> {
  name: string;
  summary: string;
  /** Left out of help and completion: for the completion scripts' own use. */
  hidden?: boolean;
  args: A;
  flags: F;
  handler(args: Values<A>, flags: Values<F>, io: Io): Promise<number>;
}

/** Declares a command; the handler sees its arguments and flags typed from the definitions. */
export function defineCommand<
  const A extends Record<string, Arg<unknown>>,
  const F extends Record<string, Flag<unknown>>,
>(command: Command<A, F>): Command<A, F> {
  return command;
}

// Flags several commands share, written once.
export const dirFlag = flag.string('--dir <dir>', 'runbook directory');
export const jsonFlag = flag.boolean('--json', 'print JSON');
export const inventoryFlag = flag.string(
  '--inventory <file>',
  'an Ansible-style inventory (INI or YAML): hosts for on:, groups for for_each (instead of the config’s)',
);
export const varFlag = flag.list('--var <name=value>', 'set a variable (repeatable)');
export const envFlag = flag.string(
  '--env <name>',
  'use the values of one of the runbook’s environments',
);
/** What `run` and `resume` share about approving, prompting and printing a run. */
export const yesFlag = flag.boolean('-y, --yes', 'approve steps that need confirmation');
export const nonInteractiveFlag = flag.boolean(
  '--non-interactive',
  'never prompt: confirmations need --yes/--approve; manual steps stay pending',
);
export const runFormatFlag = flag.choice('--format <format>', 'text, json or junit', [
  'text',
  'json',
  'junit',
]);
/** Answers to manual steps' questions (docs/format.md#answers), read by src/cli/answers.ts. */
export const answerFlag = flag.list(
  '--answer <step=value>',
  'answer the question of a manual step (repeatable)',
);
