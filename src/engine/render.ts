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
 * Renders a `run:` string for `sh -c`. Every inserted value is shell-quoted, so it is one word and
 * never code. A value that holds a secret is not inserted at all: the command gets `"$RUNBOOK_SECRET_n"`
 * and the value travels in the environment, so it never appears in argv or in the described command.
 */
export function renderShellCommand(
  text: string,
  context: Record<string, unknown>,
  redactor: Redactor,
): { command: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  if (!hasTemplate(text)) return { command: text, env };
  let count = 0;
  const command = splitTemplate(text)
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = stringifyValue(evaluateExpression(part.source, context));
      if (redactor.contains(value)) {
        const name = `RUNBOOK_SECRET_${++count}`;
        env[name] = value;
        return `"$${name}"`;
      }
      return shellQuote(value);
    })
    .join('');
  return { command, env };
}
