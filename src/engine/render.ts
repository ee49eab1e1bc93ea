import { shellQuote } from '../adapters/quote.js';
import {
  evaluateExpression,
  ExpressionError,
  hasTemplate,
  splitTemplate,
  stringifyValue,
} from '../schema/expressions.js';

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

/** A `run:` string ready for `sh -c`. */
export interface ShellCommand {
  /** What runs: every inserted value is a reference to an environment variable. */
  command: string;
  /** What people read (dry run, journal): the values inlined, quoted as a shell would need them. */
  display: string;
  /** The inserted values, by variable name. */
  env: Record<string, string>;
}

/**
 * Renders a `run:` string for `sh -c`. No value is ever pasted into the shell text: each one
 * travels in an environment variable (`RUNBOOK_VALUE_n`) and the command refers to it, quoted for
 * where it lands. The shell never parses an expansion's result as code, so a value cannot inject a
 * command whatever it holds and wherever it is placed — bare, in quotes, in `$( )`, in a heredoc.
 */
export function renderShellCommand(text: string, context: Record<string, unknown>): ShellCommand {
  const env: Record<string, string> = {};
  if (!hasTemplate(text)) return { command: text, display: text, env };
  const scanner = new ShellScanner();
  const command: string[] = [];
  const display: string[] = [];
  for (const part of splitTemplate(text)) {
    if (part.kind === 'text') {
      command.push(part.text);
      display.push(part.text);
      scanner.feed(part.text);
      continue;
    }
    const value = stringifyValue(evaluateExpression(part.source, context));
    const name = `RUNBOOK_VALUE_${Object.keys(env).length + 1}`;
    env[name] = value;
    const where = scanner.context();
    if (where === 'quoted-heredoc' && value.includes('\n')) {
      throw new ExpressionError(
        part.source,
        `\`${part.source}\`: a value with a line break cannot go into a quoted heredoc (<<'EOF'); use an unquoted one`,
      );
    }
    command.push(reference(name, where, value));
    display.push(inline(value, where));
    // What the reader sees stands in for the value in the scanner's view of the text.
    scanner.feed(where === 'code' ? 'x' : '');
  }
  return { command: command.join(''), display: display.join(''), env };
}

type Where = 'code' | 'single' | 'double' | 'comment' | 'heredoc' | 'quoted-heredoc';

function reference(name: string, where: Where, value: string): string {
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
      return value; // nothing expands in a quoted heredoc, and a value without line breaks cannot end it
    default: {
      const unreachable: never = where;
      return unreachable;
    }
  }
}

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
      return value;
    default: {
      const unreachable: never = where;
      return unreachable;
    }
  }
}

type Frame =
  | { kind: 'code' | 'subst' | 'backtick' | 'single' | 'double' | 'comment' }
  | { kind: 'heredoc'; delimiter: string; quoted: boolean; strip: boolean };

/** Follows POSIX sh quoting through literal text: quotes, `$( )`, backticks, comments and heredocs. */
class ShellScanner {
  readonly #stack: Frame[] = [{ kind: 'code' }];
  readonly #pendingHeredocs: Array<{ delimiter: string; quoted: boolean; strip: boolean }> = [];
  #previous = '\n';
  #lineStart = true;

  context(): Where {
    const top = this.#top();
    switch (top.kind) {
      case 'code':
      case 'subst':
      case 'backtick':
        return 'code';
      case 'single':
        return 'single';
      case 'double':
        return 'double';
      case 'comment':
        return 'comment';
      case 'heredoc':
        return top.quoted ? 'quoted-heredoc' : 'heredoc';
      default: {
        const unreachable: never = top;
        return unreachable;
      }
    }
  }

  #top(): Frame {
    return this.#stack[this.#stack.length - 1] ?? { kind: 'code' };
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const char = text[i] ?? '';
      const top = this.#top();
      if (top.kind === 'heredoc') {
        if (this.#lineStart) {
          const line = text.slice(i).split('\n')[0] ?? '';
          const candidate = top.strip ? line.replace(/^\t+/, '') : line;
          if (candidate === top.delimiter && text.indexOf('\n', i) >= 0) {
            this.#stack.pop();
            i += line.length - 1;
            this.#previous = 'x';
            this.#lineStart = false;
            continue;
          }
        }
        if (!top.quoted && char === '\\') i++;
      } else if (top.kind === 'comment') {
        if (char === '\n') {
          this.#stack.pop();
          this.#newline();
        }
      } else if (top.kind === 'single') {
        if (char === "'") this.#stack.pop();
      } else if (top.kind === 'double') {
        if (char === '\\') i++;
        else if (char === '"') this.#stack.pop();
        else if (char === '`') this.#stack.push({ kind: 'backtick' });
        else if (char === '$' && text[i + 1] === '(') {
          this.#stack.push({ kind: 'subst' });
          i++;
        }
      } else {
        // Code: top level, inside $( ) or inside backticks.
        if (char === '\\') i++;
        else if (char === "'") this.#stack.push({ kind: 'single' });
        else if (char === '"') this.#stack.push({ kind: 'double' });
        else if (char === '`') {
          if (top.kind === 'backtick') this.#stack.pop();
          else this.#stack.push({ kind: 'backtick' });
        } else if (char === '$' && text[i + 1] === '(') {
          this.#stack.push({ kind: 'subst' });
          i++;
        } else if (char === ')' && top.kind === 'subst') this.#stack.pop();
        else if (char === '#' && /[\s;&|(]/.test(this.#previous))
          this.#stack.push({ kind: 'comment' });
        else if (char === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
          const match = /^<<(-?)\s*(['"]?)([A-Za-z0-9_.-]+)\2/.exec(text.slice(i));
          if (match) {
            this.#pendingHeredocs.push({
              delimiter: match[3] ?? '',
              quoted: match[2] !== '',
              strip: match[1] === '-',
            });
            i += match[0].length - 1;
          }
        } else if (char === '\n') this.#newline();
      }
      this.#previous = text[i] ?? char;
      this.#lineStart = this.#previous === '\n';
    }
  }

  #newline(): void {
    const pending = this.#pendingHeredocs.splice(0).reverse();
    for (const heredoc of pending) this.#stack.push({ kind: 'heredoc', ...heredoc });
  }
}
