import { shellQuote } from '../adapters/quote.js';
import {
  evaluateExpression,
  hasTemplate,
  splitTemplate,
  stringifyValue,
} from '../schema/expressions.js';
import type { Redactor } from './redact.js';

/** Renders `${{ }}` in text. */
export function renderText(text: string, context: Record<string, unknown>): string {
  if (!hasTemplate(text)) return text;
  return splitTemplate(text)
    .map((part) =>
      part.kind === 'text' ? part.text : stringifyValue(evaluateExpression(part.source, context)),
    )
    .join('');
}

/** Renders every string in a value. A string that is one whole `${{ expr }}` keeps the
 * expression's type (a number stays a number), so `with: { port: "${{ vars.port }}" }` works. */
export function renderValue(value: unknown, context: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return value;
    const parts = splitTemplate(value);
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only?.kind === 'expr') return evaluateExpression(only.source, context);
    return renderText(value, context);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = renderValue(inner, context);
    return out;
  }
  return value;
}

/**
 * Renders a `run:` string for `sh -c`. Every inserted value is quoted for the place it lands in —
 * bare, inside "double quotes" or inside 'single quotes' — so it is always literal text, never code.
 * A value that holds a secret is not inserted at all: the command gets `$RUNBOOK_SECRET_n` and the
 * value travels in the environment, so it never appears in argv or in the described command.
 */
export function renderShellCommand(
  text: string,
  context: Record<string, unknown>,
  redactor: Redactor,
): { command: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  if (!hasTemplate(text)) return { command: text, env };
  let count = 0;
  let quoting: Quoting = 'none';
  const out: string[] = [];
  for (const part of splitTemplate(text)) {
    if (part.kind === 'text') {
      out.push(part.text);
      quoting = scanQuoting(part.text, quoting);
      continue;
    }
    const value = stringifyValue(evaluateExpression(part.source, context));
    if (redactor.contains(value)) {
      const name = `RUNBOOK_SECRET_${++count}`;
      env[name] = value;
      out.push(quoteReference(name, quoting));
    } else out.push(quoteFor(value, quoting));
  }
  return { command: out.join(''), env };
}

type Quoting = 'none' | 'single' | 'double';

/** The quoting state after a stretch of literal shell text. */
function scanQuoting(text: string, start: Quoting): Quoting {
  let state = start;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (state === 'single') {
      if (char === "'") state = 'none';
    } else if (state === 'double') {
      if (char === '\\') i++;
      else if (char === '"') state = 'none';
    } else if (char === '\\') i++;
    else if (char === "'") state = 'single';
    else if (char === '"') state = 'double';
  }
  return state;
}

function quoteFor(value: string, quoting: Quoting): string {
  switch (quoting) {
    case 'none':
      return shellQuote(value);
    case 'double':
      return value.replace(/[\\"$`]/g, (char) => `\\${char}`);
    case 'single':
      // Close the quote, add the value as its own quoted word, reopen: the shell joins them.
      return `'${shellQuote(value)}'`;
    default: {
      const unreachable: never = quoting;
      return unreachable;
    }
  }
}

function quoteReference(name: string, quoting: Quoting): string {
  switch (quoting) {
    case 'none':
      return `"$${name}"`;
    case 'double':
      return `\${${name}}`;
    case 'single':
      return `'"$${name}"'`;
    default: {
      const unreachable: never = quoting;
      return unreachable;
    }
  }
}
