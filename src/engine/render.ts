import { formatArgv, shellQuote } from '../common/quote.js';
import {
  ExpressionError,
  hasTemplate,
  splitTemplate,
  stringifyValue,
  type Expressions,
} from '../schema/expressions.js';
import type { Placement, Where } from '../schema/shell-scanner.js';
import {
  describeRefusal,
  placeArgvValues,
  placeShellValues,
  type PlacedPart,
} from '../schema/shell-values.js';

/** Renders `${{ }}` in text, its expressions evaluated in `context` by `expressions`. */
export function renderText(
  text: string,
  context: Record<string, unknown>,
  expressions: Expressions,
): string {
  if (!hasTemplate(text)) return text;
  return splitTemplate(text)
    .map((part) =>
      part.kind === 'text' ? part.text : stringifyValue(expressions.evaluate(part.source, context)),
    )
    .join('');
}

/** Renders every string in a value. A string that is one whole `${{ expr }}` keeps the
 * expression's type (a number stays a number), so `with: { port: "${{ vars.port }}" }` works. */
export function renderValue(
  value: unknown,
  context: Record<string, unknown>,
  expressions: Expressions,
): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    const parts = splitTemplate(value);
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only?.kind === 'expr') return expressions.evaluate(only.source, context);
    return renderText(value, context, expressions);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context, expressions));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      out[key] = renderValue(inner, context, expressions);
    return out;
  }
  return value;
}

/** A `run:` command ready to start: a string for `sh -c`, or an argv. */
export interface ShellCommand<C extends string | string[] = string> {
  /** What runs: every value that a shell parses is a reference to an environment variable. */
  command: C;
  /** What people read (dry run, journal): the values inlined, quoted as a shell would need them. */
  display: string;
  /** The values referred to, by variable name. */
  env: Record<string, string>;
}

/**
 * Renders a `run:` string for `sh -c`. No value is ever pasted into text that a shell parses:
 * each one travels in an environment variable (`RUNBOOK_VALUE_n`) and the command refers to it,
 * quoted for where it lands. A shell never parses an expansion's result as code, so a value cannot
 * inject a command wherever it is placed for the step's shell — bare, in quotes, in `$( )`, in a
 * heredoc. In single-quoted code for a nested shell (`sh -c '…'`, `eval '…'`) the reference is
 * left for that shell to expand, quoted for where it lands in that code. Where no reference can
 * keep the value data (code for another interpreter, for a shell without the environment, or
 * double-quoted nested code) rendering refuses, as `runbook validate` does (shell-values.ts).
 */
export function renderShellCommand(
  text: string,
  context: Record<string, unknown>,
  expressions: Expressions,
): ShellCommand {
  const env: Record<string, string> = {};
  if (!hasTemplate(text)) return { command: text, display: text, env };
  const rendered = renderParts(placeShellValues(text), context, expressions, env);
  return { ...rendered, env };
}

/**
 * Renders a `run:` argv. Its elements are passed as they are, values inlined, with no shell;
 * an element that is a nested shell's code (`["sh", "-c", "…"]`) is rendered as a `run:` string
 * is, its values in the environment.
 */
export function renderArgv(
  argv: readonly string[],
  context: Record<string, unknown>,
  expressions: Expressions,
): ShellCommand<string[]> {
  const env: Record<string, string> = {};
  const command: string[] = [];
  const display: string[] = [];
  for (const [index, argument] of placeArgvValues(argv).entries()) {
    const text = argv[index] ?? '';
    if (!hasTemplate(text)) {
      command.push(text);
      display.push(text);
      continue;
    }
    const rendered = renderParts(argument.parts, context, expressions, env);
    command.push(rendered.command);
    display.push(rendered.display);
  }
  return { command, display: formatArgv(display), env };
}

function renderParts(
  parts: readonly PlacedPart[],
  context: Record<string, unknown>,
  expressions: Expressions,
  env: Record<string, string>,
): { command: string; display: string } {
  let command = '';
  let display = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      command += part.text;
      display += part.text;
      continue;
    }
    const { placement, source } = part;
    if (placement.kind === 'refused') {
      const { message, hint } = describeRefusal(placement.refusal, source);
      throw new ExpressionError(source, `${message}; ${hint}`);
    }
    const value = stringifyValue(expressions.evaluate(source, context));
    if (innermost(placement) === 'quoted-heredoc' && value.includes('\n')) {
      throw new ExpressionError(
        source,
        `\`${source}\`: a value with a line break cannot go into a quoted heredoc (<<'EOF'); use an unquoted one`,
      );
    }
    if (placement.kind === 'here' && placement.where === 'argv') {
      command += value;
      display += value;
      continue;
    }
    const name = `RUNBOOK_VALUE_${Object.keys(env).length + 1}`;
    env[name] = value;
    command += reference(name, placement, value);
    display += shown(value, placement);
  }
  return { command, display };
}

function innermost(placement: Placement): Where | undefined {
  if (placement.kind === 'nested') return innermost(placement.inner);
  return placement.kind === 'here' ? placement.where : undefined;
}

/** What the command holds for a value: a reference its shell expands, or for a nested shell a
 * reference to leave for it, written as literal text for the outer one. */
function reference(name: string, placement: Placement, value: string): string {
  switch (placement.kind) {
    case 'here':
      return referenceIn(name, placement.where, value);
    case 'nested':
      return inline(reference(name, placement.inner, value), 'single');
    case 'refused':
      throw new Error('a refused placement has no reference');
    default: {
      const unreachable: never = placement;
      return unreachable;
    }
  }
}

function shown(value: string, placement: Placement): string {
  switch (placement.kind) {
    case 'here':
      return inline(value, placement.where);
    case 'nested':
      return inline(shown(value, placement.inner), 'single');
    case 'refused':
      throw new Error('a refused placement is not shown');
    default: {
      const unreachable: never = placement;
      return unreachable;
    }
  }
}

function referenceIn(name: string, where: Where, value: string): string {
  switch (where) {
    case 'code':
      return `"\${${name}}"`;
    case 'double':
    case 'heredoc':
    case 'comment':
      return `\${${name}}`;
    case 'single':
      return `'"\${${name}}"'`;
    case 'quoted-heredoc':
    case 'argv':
      return value; // nothing expands in a quoted heredoc, and a value without line breaks cannot end it
    default: {
      const unreachable: never = where;
      return unreachable;
    }
  }
}

/** A value as literal text where it lands. */
function inline(value: string, where: Where): string {
  switch (where) {
    case 'code':
      return shellQuote(value);
    case 'double':
      return value.replace(/[\\"$`]/g, (char) => `\\${char}`);
    case 'single':
      return value.replace(/'/g, `'\\''`);
    case 'comment':
    case 'heredoc':
    case 'quoted-heredoc':
    case 'argv':
      return value;
    default: {
      const unreachable: never = where;
      return unreachable;
    }
  }
}
