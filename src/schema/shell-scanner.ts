import { wordRole } from './shell-commands.js';
import {
  VALUE_MARK,
  type EnvBarrier,
  type Language,
  type ShellWord,
  type WordRole,
} from './shell-words.js';

/** Where a value lands in shell text; `argv` is an argument passed as it is, with no shell. */
export type Where =
  'code' | 'single' | 'double' | 'comment' | 'heredoc' | 'quoted-heredoc' | 'argv';

/** Why a value cannot be made data where it lands. */
export interface Refusal {
  kind: 'double-quoted' | 'unquoted' | 'after-expansion' | 'barrier' | 'interpreter' | 'heredoc';
  language: Language;
  /** What runs the code: `sh -c`, `eval`, `python3 -c`, `awk`, `ssh`… */
  runner: string;
  barrier: EnvBarrier | undefined;
}

/** Where a value lands, through as many shells as it goes. */
export type Placement =
  | { kind: 'here'; where: Where }
  /** In single-quoted code for a nested shell (`sh -c '…'`): `inner` is where it lands there. */
  | { kind: 'nested'; inner: Placement }
  | { kind: 'refused'; refusal: Refusal };

interface Command {
  /** The words read so far (a redirection's target is not one). */
  words: ShellWord[];
  /** The word being read. */
  word: ShellWord | undefined;
  /** The next word is a redirection's target. */
  redirect: boolean;
  /** The nested script that values have been placed in, from word `start` on. */
  nested: { start: number; scanner: ShellScanner; fed: number } | undefined;
}

type Frame =
  | { kind: 'code' | 'subst' | 'backtick'; command: Command; depth: number }
  | { kind: 'single' | 'double' | 'comment' }
  | { kind: 'heredoc'; delimiter: string; quoted: boolean; strip: boolean; reader: WordRole };

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  strip: boolean;
  /** The words of the command that reads it (still growing until the line ends). */
  words: ShellWord[];
}

const EXPANDS = /[A-Za-z0-9_{@*#?$!-]/;
const DATA: WordRole = { kind: 'data' };

function newCommand(): Command {
  return { words: [], word: undefined, redirect: false, nested: undefined };
}

/**
 * Follows POSIX sh through literal text: quotes, `$( )`, backticks, comments, heredocs, and the
 * words of each simple command, so that `place()` can tell where a value inserted at that point
 * lands — and, when it lands in code for a nested shell or interpreter, what that code is.
 */
export class ShellScanner {
  readonly #stack: Frame[] = [{ kind: 'code', command: newCommand(), depth: 0 }];
  readonly #pendingHeredocs: PendingHeredoc[] = [];
  #previous = '\n';
  #lineStart = true;

  context(): Exclude<Where, 'argv'> {
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

  /** Where a value inserted here lands; the scanner then reads on as if the value were there. */
  place(): Placement {
    const where = this.context();
    const top = this.#top();
    if (top.kind === 'comment') return { kind: 'here', where };
    if (top.kind === 'heredoc') {
      const reader = top.reader;
      return reader.kind === 'code'
        ? refuse('heredoc', reader)
        : { kind: 'here', where: top.quoted ? 'quoted-heredoc' : 'heredoc' };
    }
    const command = this.#command();
    const index = command.words.length;
    const word = this.#word(command);
    const role = command.redirect ? DATA : wordRole([...command.words, word], index);
    let placement: Placement;
    if (role.kind === 'data') placement = { kind: 'here', where };
    else if (role.barrier) placement = refuse('barrier', role);
    else if (role.language !== 'sh') placement = refuse('interpreter', role);
    else if (where !== 'single')
      placement = refuse(where === 'double' ? 'double-quoted' : 'unquoted', role);
    else placement = this.#placeNested(command, role);
    word.text += VALUE_MARK;
    if (where === 'code') this.#previous = 'x';
    return placement;
  }

  /** A value in single-quoted code for a nested shell: where it lands in that shell's script. */
  #placeNested(command: Command, role: Extract<WordRole, { kind: 'code' }>): Placement {
    const start = role.start;
    const words = [...command.words.slice(start), this.#word(command)];
    if (words.some((word) => word.dynamic)) return refuse('after-expansion', role);
    const script = words.map((word) => word.text).join(' ');
    if (command.nested?.start !== start)
      command.nested = { start, scanner: new ShellScanner(), fed: 0 };
    const nested = command.nested;
    nested.scanner.feed(script.slice(nested.fed).split(VALUE_MARK).join(''));
    const inner = nested.scanner.place();
    nested.fed = script.length + 1; // past the mark this value leaves in the word
    return inner.kind === 'refused' ? inner : { kind: 'nested', inner };
  }

  #top(): Frame {
    return this.#stack[this.#stack.length - 1] ?? { kind: 'code', command: newCommand(), depth: 0 };
  }

  /** The innermost frame that reads commands: the top level, `$( )` or backticks. */
  #commandFrame(): Extract<Frame, { command: Command }> {
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const frame = this.#stack[i];
      if (frame && 'command' in frame) return frame;
    }
    const frame = { kind: 'code' as const, command: newCommand(), depth: 0 };
    this.#stack.unshift(frame);
    return frame;
  }

  #command(): Command {
    return this.#commandFrame().command;
  }

  #word(command: Command): ShellWord {
    command.word ??= { text: '', dynamic: false };
    return command.word;
  }

  #append(text: string): void {
    this.#word(this.#command()).text += text;
  }

  #markDynamic(): void {
    this.#word(this.#command()).dynamic = true;
  }

  #endWord(command: Command): void {
    if (command.word === undefined) return;
    if (command.redirect) command.redirect = false;
    else command.words.push(command.word);
    command.word = undefined;
  }

  #endCommand(command: Command): void {
    this.#endWord(command);
    command.words = [];
    command.redirect = false;
    command.nested = undefined;
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const char = text[i] ?? '';
      const top = this.#top();
      switch (top.kind) {
        case 'heredoc':
          i = this.#heredoc(top, text, i);
          break;
        case 'comment':
          if (char === '\n') {
            this.#stack.pop();
            this.#endCommand(this.#command());
            this.#newline();
          }
          break;
        case 'single':
          if (char === "'") this.#stack.pop();
          else this.#append(char);
          break;
        case 'double':
          i = this.#double(text, i);
          break;
        case 'code':
        case 'subst':
        case 'backtick':
          i = this.#code(top, text, i);
          break;
        default: {
          const unreachable: never = top;
          throw new Error(`unknown frame ${String(unreachable)}`);
        }
      }
      this.#previous = text[i] ?? char;
      this.#lineStart = this.#previous === '\n';
    }
  }

  #heredoc(top: Extract<Frame, { kind: 'heredoc' }>, text: string, i: number): number {
    if (this.#lineStart) {
      const line = text.slice(i).split('\n')[0] ?? '';
      const candidate = top.strip ? line.replace(/^\t+/, '') : line;
      if (candidate === top.delimiter && text.indexOf('\n', i) >= 0) {
        this.#stack.pop();
        this.#lineStart = false;
        return i + line.length - 1;
      }
    }
    return !top.quoted && text[i] === '\\' ? i + 1 : i;
  }

  #double(text: string, i: number): number {
    const char = text[i];
    const next = text[i + 1];
    if (char === '\\') {
      if (next === undefined) return i;
      if (next !== '\n') this.#append(/[$`"\\]/.test(next) ? next : `\\${next}`);
      return i + 1;
    }
    if (char === '"') this.#stack.pop();
    else if (char === '`') {
      this.#markDynamic();
      this.#stack.push({ kind: 'backtick', command: newCommand(), depth: 0 });
    } else if (char === '$' && next === '(') {
      this.#markDynamic();
      this.#stack.push({ kind: 'subst', command: newCommand(), depth: 0 });
      return i + 1;
    } else {
      if (char === '$' && next !== undefined && EXPANDS.test(next)) this.#markDynamic();
      this.#append(char ?? '');
    }
    return i;
  }

  /** Code: the top level, inside `$( )` or inside backticks. */
  #code(top: Extract<Frame, { command: Command }>, text: string, i: number): number {
    const char = text[i] ?? '';
    const next = text[i + 1];
    const command = top.command;
    switch (char) {
      case '\\':
        if (next === undefined) return i;
        if (next !== '\n') this.#append(next);
        return i + 1;
      case "'":
        this.#word(command);
        this.#stack.push({ kind: 'single' });
        return i;
      case '"':
        this.#word(command);
        this.#stack.push({ kind: 'double' });
        return i;
      case '`':
        if (top.kind === 'backtick') {
          this.#endCommand(command);
          this.#stack.pop();
          this.#markDynamic();
        } else {
          this.#markDynamic();
          this.#stack.push({ kind: 'backtick', command: newCommand(), depth: 0 });
        }
        return i;
      case '$':
        if (next === '(') {
          this.#markDynamic();
          this.#stack.push({ kind: 'subst', command: newCommand(), depth: 0 });
          return i + 1;
        }
        if (next !== undefined && EXPANDS.test(next)) this.#markDynamic();
        this.#append(char);
        return i;
      case '(':
        if (top.kind === 'subst') top.depth++;
        this.#endCommand(command);
        return i;
      case ')':
        this.#endCommand(command);
        if (top.kind === 'subst') {
          if (top.depth === 0) {
            this.#stack.pop();
            this.#markDynamic();
          } else top.depth--;
        }
        return i;
      case ' ':
      case '\t':
        this.#endWord(command);
        return i;
      case '\n':
        this.#endCommand(command);
        this.#newline();
        return i;
      case ';':
      case '&':
      case '|':
        this.#endCommand(command);
        return i;
      case '<':
      case '>':
        return this.#redirection(command, text, i);
      case '#':
        if (command.word === undefined && /[\s;&|(]/.test(this.#previous)) {
          this.#stack.push({ kind: 'comment' });
          return i;
        }
        this.#append(char);
        return i;
      default:
        this.#append(char);
        return i;
    }
  }

  #redirection(command: Command, text: string, i: number): number {
    if (text[i] === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      const match = /^<<(-?)\s*(['"]?)([A-Za-z0-9_.-]+)\2/.exec(text.slice(i));
      if (match) {
        this.#endWord(command);
        this.#pendingHeredocs.push({
          delimiter: match[3] ?? '',
          quoted: match[2] !== '',
          strip: match[1] === '-',
          words: command.words,
        });
        return i + match[0].length - 1;
      }
    }
    // A file descriptor number before the operator (2>…) is part of it, not a word.
    if (command.word && /^[0-9]+$/.test(command.word.text) && !command.word.dynamic)
      command.word = undefined;
    else this.#endWord(command);
    let end = i;
    while (/[<>&|]/.test(text[end + 1] ?? '') && end - i < 2) end++;
    command.redirect = true;
    return end;
  }

  #newline(): void {
    const pending = this.#pendingHeredocs.splice(0).reverse();
    for (const { words, ...heredoc } of pending)
      this.#stack.push({ kind: 'heredoc', ...heredoc, reader: wordRole(words, 'stdin') });
  }
}

function refuse(kind: Refusal['kind'], role: Extract<WordRole, { kind: 'code' }>): Placement {
  return {
    kind: 'refused',
    refusal: { kind, language: role.language, runner: role.runner, barrier: role.barrier },
  };
}
