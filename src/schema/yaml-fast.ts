/**
 * A reader for the plain YAML that runbook files are written in, about twenty times faster than the
 * yaml library: block mappings and sequences, plain, quoted and block (`|`, `>`) scalars, flow
 * collections (`[a, b]`, `{ a: 1 }`) and comments. It gives the same data as the library's
 * `parseDocument(text, { merge: true, uniqueKeys: true, strict: true }).toJS()` for a document the
 * library reads without errors or warnings; anything else (anchors, aliases, tags, merges,
 * directives, several documents, tabs, CR, duplicate keys, a syntax error, and every form it was
 * not written for) it leaves to the library by answering `undefined`. It never gives positions:
 * the library parses a file again when a diagnostic needs one (see YamlSource).
 *
 * What the library does is followed closely, and the parts that decide values (unfolding lines,
 * quotes, block scalars, the core schema's scalars) are ports of its code: yaml-fast.test.ts
 * compares the two on the shipped runbooks, on YAML made up at random and on mutations of both.
 */

/** Thrown inside the reader: the text is not one it reads, the library will. */
const UNHANDLED: unique symbol = Symbol('unhandled');

function unhandled(): never {
  throw UNHANDLED;
}

/** Nesting past which the reader gives up (the loader refuses more than 64 levels). */
const MAX_DEPTH = 60;
/** The library refuses an implicit key of more than 1024 characters. */
const MAX_KEY = 1000;

const SPACE = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Characters the reader leaves to the library wherever they are: controls (tab and CR among
 * them), C1 controls, the byte order mark and the Unicode line separators. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNREAD_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\u2028\u2029]/;
/** Whether a line starts or ends a document, or is a directive (starts with ---, ... or %). */
function hasDocumentLine(text: string): boolean {
  for (const start of ['---', '...', '%'])
    if (text.startsWith(start) || text.includes(`\n${start}`)) return true;
  return false;
}

/** The data of a YAML text, or undefined when the library must read it. */
export function readYamlFast(text: string): Record<string, unknown> | undefined {
  if (UNREAD_CHARS.test(text) || hasDocumentLine(text)) return undefined;
  try {
    return new FastReader(text).document();
  } catch (error) {
    if (error === UNHANDLED) return undefined;
    throw error;
  }
}

/** A flow character: `,`, `[`, `]`, `{` or `}`. */
function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/** Space, line feed or the end (NaN), as the library's isEmpty without tab and CR. */
function isBlank(c: number): boolean {
  return c === SPACE || c === NL || c !== c;
}

/** Characters a plain scalar cannot start with in block context (the reader's subset). */
function startsOther(c: number): boolean {
  switch (c) {
    case 0x3f: // ?
    case COLON:
    case COMMA:
    case LBRACKET:
    case RBRACKET:
    case LBRACE:
    case RBRACE:
    case HASH:
    case 0x26: // &
    case 0x2a: // *
    case 0x21: // !
    case 0x7c: // |
    case 0x3e: // >
    case SQUOTE:
    case DQUOTE:
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
      return true;
    default:
      return false;
  }
}

class FastReader {
  readonly #text: string;
  readonly #length: number;
  /** Where reading goes on: after a value, the start of the line after it (or the end). */
  #pos = 0;
  /** The indentation of the line #nextContent found last. */
  #indent = 0;
  /** Where the value of the key #key read last starts (after its `:`). */
  #after = 0;
  /** Where the key of the line #isKeyLine found last starts, and its `:`. */
  #keyAt = -1;
  #colon = -1;

  constructor(text: string) {
    this.#text = text;
    this.#length = text.length;
  }

  #code(i: number): number {
    return this.#text.charCodeAt(i);
  }

  document(): Record<string, unknown> {
    const first = this.#nextContent(0);
    // The root is a mapping written at the first column; anything else is the library's.
    if (first < 0 || this.#code(first) === SPACE) unhandled();
    const root = this.#blockMap(first, 0, 1);
    if (this.#pos < this.#length) unhandled();
    return root;
  }

  /** The start of the next line that holds more than spaces and a comment, from a line start; -1
   * at the end. */
  #nextContent(lineStart: number): number {
    const text = this.#text;
    let p = lineStart;
    while (p < this.#length) {
      let i = p;
      while (text.charCodeAt(i) === SPACE) i++;
      const c = text.charCodeAt(i);
      if (c === NL) p = i + 1;
      else if (c === HASH) {
        const end = text.indexOf('\n', i);
        if (end < 0) return -1;
        p = end + 1;
      } else if (c !== c) return -1;
      else {
        this.#indent = i - p;
        return p;
      }
    }
    return -1;
  }

  /** The end of the line at `p` (its line feed, or the end of the text). */
  #lineEnd(p: number): number {
    const end = this.#text.indexOf('\n', p);
    return end < 0 ? this.#length : end;
  }

  /** After a value on a line: only spaces and a comment may follow. Moves to the next line. */
  #endOfLine(p: number): void {
    const text = this.#text;
    let i = p;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === HASH) {
      // strict: a comment is separated from what it follows by a space
      if (i === p) unhandled();
      i = this.#lineEnd(i);
    } else if (c === c && c !== NL) unhandled();
    this.#pos = i >= this.#length ? this.#length : i + 1;
  }

  /**
   * A block mapping whose first key is at `at` (column `col`: a line's indentation, or after `- `).
   * Its other keys are the lines indented by exactly `col`.
   */
  #blockMap(at: number, col: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) unhandled();
    const map: Record<string, unknown> = {};
    let keys = 0;
    let p = at;
    for (;;) {
      const key = this.#key(p);
      setKey(map, key, this.#mapValue(this.#after, col, depth));
      keys++;
      const next = this.#nextContent(this.#pos);
      if (next < 0) {
        this.#pos = this.#length;
        return unique(map, keys);
      }
      const indent = this.#indent;
      if (indent < col) {
        this.#pos = next;
        return unique(map, keys);
      }
      if (indent > col) unhandled();
      p = next + indent;
      if (this.#code(p) === DASH && isBlank(this.#code(p + 1))) {
        // A sequence entry where a key was due: the parent's (a sequence at this column).
        this.#pos = next;
        return unique(map, keys);
      }
    }
  }

  /** The key of a block mapping entry at `p`, and where its value starts (after `:`). */
  #key(p: number): string {
    const text = this.#text;
    const c = text.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const close = this.#closingQuote(p);
      if (close < 0) unhandled();
      const raw = text.slice(p, close + 1);
      if (raw.includes('\n')) unhandled(); // a multi-line implicit key: an error
      if (text.charCodeAt(close + 1) !== COLON || !isBlank(text.charCodeAt(close + 2))) unhandled();
      if (close - p > MAX_KEY) unhandled();
      this.#after = close + 2;
      return c === DQUOTE ? doubleQuoted(raw) : singleQuoted(raw);
    }
    // `-x: 1` is a key, but a rare one: only keys that start with no indicator at all
    if (startsOther(c) || c === DASH) unhandled();
    let i = p;
    if (this.#keyAt === p) i = this.#colon;
    else
      for (;;) {
        const ch = text.charCodeAt(i);
        if (ch === COLON) {
          if (isBlank(text.charCodeAt(i + 1))) break;
        } else if (ch === SPACE) {
          if (text.charCodeAt(i + 1) === HASH) unhandled();
        } else if (ch === NL || ch !== ch) unhandled(); // no `:` on the line: not a key
        i++;
      }
    if (text.charCodeAt(i - 1) === SPACE || i - p > MAX_KEY) unhandled();
    const source = text.slice(p, i);
    if (source === '<<') unhandled(); // a merge
    const value = plainScalar(source);
    this.#after = i + 1;
    return value === null ? '' : String(value);
  }

  /** The value of a block mapping entry whose key is at column `col`, from after its `:`. */
  #mapValue(after: number, col: number, depth: number): unknown {
    const text = this.#text;
    let p = after;
    while (text.charCodeAt(p) === SPACE) p++;
    const c = text.charCodeAt(p);
    if (c === NL || c !== c || c === HASH) {
      // The value is on the lines below: more indented, or a sequence at the key's column.
      const end = this.#lineEnd(p);
      const next = this.#nextContent(end + 1);
      if (next < 0) {
        this.#pos = this.#length;
        return null;
      }
      const indent = this.#indent;
      const start = next + indent;
      if (indent > col) return this.#blockNode(next, indent, col + 1, depth + 1);
      if (indent === col && text.charCodeAt(start) === DASH && isBlank(text.charCodeAt(start + 1)))
        return this.#blockSeq(next, col, depth + 1);
      this.#pos = next;
      return null;
    }
    return this.#inlineValue(p, col + 1, depth + 1);
  }

  /** A node that starts a line (at `lineStart`, indented by `indent`). */
  #blockNode(lineStart: number, indent: number, minIndent: number, depth: number): unknown {
    const text = this.#text;
    const p = lineStart + indent;
    const c = text.charCodeAt(p);
    if (c === DASH && isBlank(text.charCodeAt(p + 1)))
      return this.#blockSeq(lineStart, indent, depth);
    if (this.#isKeyLine(p)) return this.#blockMap(p, indent, depth);
    // A block scalar's header alone on its line: rare, and its indentation rules differ.
    if (c === 0x7c || c === 0x3e) unhandled();
    return this.#inlineValue(p, minIndent, depth);
  }

  /** Whether the line from `p` is a block mapping entry (`key: …`), as the library reads it. */
  #isKeyLine(p: number): boolean {
    const text = this.#text;
    const c = text.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const close = this.#closingQuote(p);
      if (close < 0) return false;
      const next = text.charCodeAt(close + 1);
      if (next === COLON) return true;
      // `"a" : b`, or anything after the quote but a comment, is the library's to judge.
      let i = close + 1;
      while (text.charCodeAt(i) === SPACE) i++;
      const after = text.charCodeAt(i);
      if (
        after === COLON ||
        !(after === NL || after !== after || (after === HASH && i > close + 1))
      )
        unhandled();
      return false;
    }
    if (c === LBRACKET || c === LBRACE) return false;
    for (let i = p; ; i++) {
      const ch = text.charCodeAt(i);
      if (ch === COLON && isBlank(text.charCodeAt(i + 1))) {
        this.#keyAt = p;
        this.#colon = i;
        return true;
      }
      if (ch === NL || ch !== ch) return false;
      if (ch === SPACE && text.charCodeAt(i + 1) === HASH) return false;
    }
  }

  /** A block sequence whose entries are the lines with `- ` at column `col`. */
  #blockSeq(lineStart: number, col: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) unhandled();
    const text = this.#text;
    const seq: unknown[] = [];
    let line = lineStart;
    for (;;) {
      const dash = line + col;
      let p = dash + 1;
      while (text.charCodeAt(p) === SPACE) p++;
      const c = text.charCodeAt(p);
      if (c === NL || c !== c || c === HASH) {
        const next = this.#nextContent(this.#lineEnd(p) + 1);
        const indent = next < 0 ? -1 : this.#indent;
        if (indent > col) seq.push(this.#blockNode(next, indent, col + 1, depth + 1));
        else {
          seq.push(null);
          this.#pos = next < 0 ? this.#length : next;
        }
      } else if (c === DASH && isBlank(text.charCodeAt(p + 1)))
        unhandled(); // `- - a`
      else if (this.#isKeyLine(p)) seq.push(this.#blockMap(p, p - line, depth + 1));
      else seq.push(this.#inlineValue(p, col + 1, depth + 1));
      const next = this.#nextContent(this.#pos);
      if (next < 0) {
        this.#pos = this.#length;
        return seq;
      }
      const indent = this.#indent;
      if (indent > col) unhandled();
      const start = next + indent;
      if (indent < col || text.charCodeAt(start) !== DASH || !isBlank(text.charCodeAt(start + 1))) {
        this.#pos = next;
        return seq;
      }
      line = next;
    }
  }

  /**
   * A value that starts at `p`, in the middle of a line (after `key: ` or `- `) or at its start;
   * its continuation lines are indented by at least `minIndent`.
   */
  #inlineValue(p: number, minIndent: number, depth: number): unknown {
    const text = this.#text;
    const c = text.charCodeAt(p);
    switch (c) {
      case DQUOTE:
      case SQUOTE: {
        const close = this.#closingQuote(p);
        if (close < 0) unhandled();
        const raw = text.slice(p, close + 1);
        if (raw.includes('\n')) this.#checkContinuations(p, close, minIndent);
        this.#endOfLine(close + 1);
        return c === DQUOTE ? doubleQuoted(raw) : singleQuoted(raw);
      }
      case LBRACKET:
      case LBRACE: {
        const flow = new FlowReader(text, p, minIndent, depth);
        const value = flow.node();
        this.#endOfLine(flow.pos);
        return value;
      }
      case 0x7c: // |
      case 0x3e: // >
        return this.#blockScalar(p, minIndent);
      case DASH:
        if (isBlank(text.charCodeAt(p + 1))) unhandled();
        break;
      default:
        if (startsOther(c)) unhandled();
    }
    return this.#plainBlockScalar(p, minIndent);
  }

  /** The closing quote of the quoted scalar at `p` (as the library's lexer finds it), or -1. */
  #closingQuote(p: number): number {
    const text = this.#text;
    if (text.charCodeAt(p) === SQUOTE) {
      let end = text.indexOf("'", p + 1);
      while (end !== -1 && text.charCodeAt(end + 1) === SQUOTE) end = text.indexOf("'", end + 2);
      return end;
    }
    let end = text.indexOf('"', p + 1);
    while (end !== -1) {
      let n = 0;
      while (text.charCodeAt(end - 1 - n) === 0x5c) n++;
      if (n % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    return end;
  }

  /** Each line a quoted scalar goes on to is blank or indented by at least `minIndent`. */
  #checkContinuations(open: number, close: number, minIndent: number): void {
    const text = this.#text;
    for (
      let nl = text.indexOf('\n', open);
      nl !== -1 && nl < close;
      nl = text.indexOf('\n', nl + 1)
    ) {
      let i = nl + 1;
      while (text.charCodeAt(i) === SPACE) i++;
      if (text.charCodeAt(i) !== NL && i - nl - 1 < minIndent) unhandled();
    }
  }

  /** A plain scalar in block context, as the library's lexer delimits it and its composer
   * unfolds and resolves it. */
  #plainBlockScalar(p: number, minIndent: number): unknown {
    const text = this.#text;
    let end = p - 1;
    let i = p - 1;
    for (;;) {
      const ch = text.charCodeAt(++i);
      if (ch !== ch) break;
      if (ch === COLON) {
        // `a: b: c` (a mapping in a value) is an error, `a:` ending a line too
        if (isBlank(text.charCodeAt(i + 1))) unhandled();
        end = i;
      } else if (ch === SPACE || ch === NL) {
        const next = text.charCodeAt(i + 1);
        if (next === HASH) break;
        if (ch === NL) {
          // a continuation line: blank, or indented enough
          let j = i + 1;
          while (text.charCodeAt(j) === SPACE) j++;
          const at = text.charCodeAt(j);
          if (at !== NL && at === at && j - i - 1 < minIndent) break;
          if (at !== at) break;
          i = Math.max(i, j - 2);
        }
      } else end = i;
    }
    const source = text.slice(p, end + 1);
    // The rest of the line it ends on is spaces, maybe a comment.
    this.#endOfLine(end + 1);
    return plainScalar(source.includes('\n') ? unfoldLines(source) : source);
  }

  /** A literal (`|`) or folded (`>`) block scalar, as the library's lexer delimits it and its
   * composer reads it; only with `-` or nothing after the indicator. */
  #blockScalar(p: number, minIndent: number): string {
    const text = this.#text;
    const literal = text.charCodeAt(p) === 0x7c;
    let i = p + 1;
    let strip = false;
    if (text.charCodeAt(i) === DASH) {
      strip = true;
      i++;
    }
    const c = text.charCodeAt(i);
    if (!(c === SPACE || c === NL || c !== c)) unhandled(); // `+`, an indentation digit, …
    this.#endOfLine(i);
    // The content: from the first line with more than spaces, every line indented as much as it,
    // and the empty lines among them. A line of spaces only is left to the library.
    const lines: Array<[number, string]> = [];
    let line = this.#pos;
    let indent = -1;
    let lastContent = -1;
    while (line < this.#length) {
      const lineEnd = this.#lineEnd(line);
      let j = line;
      while (text.charCodeAt(j) === SPACE) j++;
      if (j === lineEnd) {
        if (j > line) unhandled();
        lines.push([0, '']);
      } else {
        const n = j - line;
        if (indent < 0) {
          if (n < minIndent) break;
          indent = n;
        } else if (n < indent) break;
        lines.push([n, text.slice(j, lineEnd)]);
        lastContent = lines.length;
      }
      line = lineEnd + 1;
    }
    if (lastContent < 0) {
      // No content: the empty lines stay for the next node to skip.
      return '';
    }
    lines.length = lastContent;
    // Move to the line after the last one with content; the empty lines after it are skipped by
    // whoever reads on.
    let after = this.#pos;
    for (let n = 0; n < lastContent; n++) after = this.#lineEnd(after) + 1;
    this.#pos = Math.min(after, this.#length);
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    for (const [n, content] of lines) {
      if (literal) {
        value += sep + ' '.repeat(n > indent ? n - indent : 0) + content;
        sep = '\n';
      } else if (n > indent) {
        // more-indented content within a folded block
        if (sep === ' ') sep = '\n';
        else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
        value += sep + ' '.repeat(n - indent) + content;
        sep = '\n';
        prevMoreIndented = true;
      } else if (content === '') {
        // empty line
        if (sep === '\n') value += '\n';
        else sep = '\n';
      } else {
        value += sep + content;
        sep = ' ';
        prevMoreIndented = false;
      }
    }
    return strip ? value : `${value}\n`;
  }
}

/** A flow collection (`[…]`, `{…}`) in block context, starting at `pos`; its continuation lines are
 * indented by at least `minIndent`. */
class FlowReader {
  readonly #text: string;
  readonly #minIndent: number;
  pos: number;
  #depth: number;

  constructor(text: string, pos: number, minIndent: number, depth: number) {
    this.#text = text;
    this.pos = pos;
    this.#minIndent = minIndent;
    this.#depth = depth;
  }

  /** Skips spaces and line breaks (a comment or a line not indented enough is the library's). */
  #space(): void {
    const text = this.#text;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      if (c === SPACE) this.pos++;
      else if (c === NL) {
        let i = this.pos + 1;
        while (text.charCodeAt(i) === SPACE) i++;
        const at = text.charCodeAt(i);
        if (at !== NL && i - this.pos - 1 < this.#minIndent) unhandled();
        this.pos = i;
      } else if (c === HASH) unhandled();
      else return;
    }
  }

  node(): unknown {
    const text = this.#text;
    const c = text.charCodeAt(this.pos);
    if (c === LBRACKET) return this.#seq();
    if (c === LBRACE) return this.#map();
    if (c === DQUOTE || c === SQUOTE) return this.#quoted();
    return this.#plain();
  }

  #seq(): unknown[] {
    if (++this.#depth > MAX_DEPTH) unhandled();
    const text = this.#text;
    const seq: unknown[] = [];
    this.pos++;
    this.#space();
    if (text.charCodeAt(this.pos) === RBRACKET) {
      this.pos++;
      this.#depth--;
      return seq;
    }
    for (;;) {
      seq.push(this.node());
      this.#space();
      const c = text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        this.#space();
        if (text.charCodeAt(this.pos) === RBRACKET) unhandled(); // a trailing comma
      } else if (c === RBRACKET) {
        this.pos++;
        this.#depth--;
        return seq;
      } else unhandled(); // `[a: b]`, a missing comma, …
    }
  }

  #map(): Record<string, unknown> {
    if (++this.#depth > MAX_DEPTH) unhandled();
    const text = this.#text;
    const map: Record<string, unknown> = {};
    let keys = 0;
    this.pos++;
    this.#space();
    if (text.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      this.#depth--;
      return map;
    }
    for (;;) {
      const start = this.pos;
      const c = text.charCodeAt(start);
      let key: string;
      if (c === DQUOTE || c === SQUOTE) {
        const raw = this.#quotedRaw();
        key = c === DQUOTE ? doubleQuoted(raw) : singleQuoted(raw);
      } else if (c === LBRACKET || c === LBRACE) unhandled();
      else {
        const source = this.#plainRaw();
        if (source === '<<') unhandled();
        const value = plainScalar(source);
        key = value === null ? '' : String(value);
      }
      if (this.pos - start > MAX_KEY) unhandled();
      // `key: value`, the `:` right after the key and a space after it
      if (text.charCodeAt(this.pos) !== COLON || text.charCodeAt(this.pos + 1) !== SPACE)
        unhandled();
      this.pos += 2;
      this.#space();
      const next = text.charCodeAt(this.pos);
      if (next === COMMA || next === RBRACE) unhandled(); // an empty value
      setKey(map, key, this.node());
      keys++;
      this.#space();
      const after = text.charCodeAt(this.pos);
      if (after === COMMA) {
        this.pos++;
        this.#space();
        if (text.charCodeAt(this.pos) === RBRACE) unhandled(); // a trailing comma
      } else if (after === RBRACE) {
        this.pos++;
        this.#depth--;
        return unique(map, keys);
      } else unhandled();
    }
  }

  #quotedRaw(): string {
    const text = this.#text;
    const open = this.pos;
    const quote = text[open];
    let end: number;
    if (quote === "'") {
      end = text.indexOf("'", open + 1);
      while (end !== -1 && text.charCodeAt(end + 1) === SQUOTE) end = text.indexOf("'", end + 2);
    } else {
      end = text.indexOf('"', open + 1);
      while (end !== -1) {
        let n = 0;
        while (text.charCodeAt(end - 1 - n) === 0x5c) n++;
        if (n % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
    }
    if (end < 0) unhandled();
    const raw = text.slice(open, end + 1);
    if (raw.includes('\n')) unhandled(); // multi-line in a flow collection: the library's
    this.pos = end + 1;
    return raw;
  }

  #quoted(): string {
    const raw = this.#quotedRaw();
    const after = this.#text.charCodeAt(this.pos);
    // `"a":b` and `"a"x` are the library's
    if (!(
      after === SPACE ||
      after === COMMA ||
      after === RBRACKET ||
      after === RBRACE ||
      after === NL
    ))
      unhandled();
    return raw.charCodeAt(0) === DQUOTE ? doubleQuoted(raw) : singleQuoted(raw);
  }

  /** A plain scalar in a flow collection, on one line, as the library's lexer delimits it. */
  #plainRaw(): string {
    const text = this.#text;
    const p = this.pos;
    const c = text.charCodeAt(p);
    if (startsOther(c) || c === DASH) {
      // `-1` is a plain scalar, `- a` is not
      if (!(
        c === DASH &&
        !isBlank(text.charCodeAt(p + 1)) &&
        !isFlowIndicator(text.charCodeAt(p + 1))
      ))
        unhandled();
    }
    let end = p - 1;
    let i = p - 1;
    for (;;) {
      const ch = text.charCodeAt(++i);
      if (ch !== ch || ch === NL) break;
      if (ch === COLON) {
        const next = text.charCodeAt(i + 1);
        if (isBlank(next) || isFlowIndicator(next)) break;
        end = i;
      } else if (ch === SPACE) {
        const next = text.charCodeAt(i + 1);
        if (next === HASH || isFlowIndicator(next)) break;
      } else if (isFlowIndicator(ch)) break;
      else end = i;
    }
    if (end < p) unhandled();
    // A line break before the end (a multi-line plain scalar): the library's.
    let j = end + 1;
    while (text.charCodeAt(j) === SPACE) j++;
    if (text.charCodeAt(j) === NL) {
      let k = j + 1;
      while (text.charCodeAt(k) === SPACE) k++;
      const at = text.charCodeAt(k);
      if (!(at === COMMA || at === RBRACKET || at === RBRACE || at === COLON)) unhandled();
    }
    this.pos = end + 1;
    return text.slice(p, end + 1);
  }

  #plain(): unknown {
    const source = this.#plainRaw();
    this.#space();
    // `[a: b]` (a pair in a sequence) and `{a: b: c}`: the library's
    if (this.#text.charCodeAt(this.pos) === COLON) unhandled();
    return plainScalar(source);
  }
}

/** The names an object literal inherits (`constructor`, `toString`, …) and `__proto__`. */
const INHERITED = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__']);

/** Sets a key as the library's addPairToJSMap does: an inherited name (`constructor`,
 * `__proto__`) becomes an own property. A key given twice is an error of the library (uniqueKeys):
 * an inherited name is checked here, any other by `unique` once the mapping is read. */
function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (!INHERITED.has(key)) map[key] = value;
  else if (Object.hasOwn(map, key)) unhandled();
  else
    Object.defineProperty(map, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
}

/** A mapping read with `keys` entries, which has as many keys unless one was given twice. */
function unique(map: Record<string, unknown>, keys: number): Record<string, unknown> {
  if (Object.keys(map).length !== keys) unhandled();
  return map;
}

/**
 * A plain scalar's value under the YAML 1.2 core schema, as the library resolves it: the tests of
 * its null, bool, int (octal, decimal, hex) and float tags, in its order.
 */
export function plainScalar(source: string): unknown {
  if (source === '') return null;
  // Only these first characters start a null, a bool or a number: anything else is a string.
  switch (source.charCodeAt(0)) {
    case 0x7e: // ~
      return source === '~' ? null : source;
    case 0x6e: // n
    case 0x4e: // N
      return /^(?:[Nn]ull|NULL)$/.test(source) ? null : source;
    case 0x74: // t
    case 0x54: // T
    case 0x66: // f
    case 0x46: // F
      return /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(source)
        ? source[0] === 't' || source[0] === 'T'
        : source;
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x30:
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x36:
    case 0x37:
    case 0x38:
    case 0x39:
      return number(source);
    default:
      return source;
  }
}

/** A plain scalar that starts like a number: the core schema's int and float tags, in order. */
function number(source: string): unknown {
  if (/^0o[0-7]+$/.test(source)) return parseInt(source.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(source)) return parseInt(source, 10);
  if (/^0x[0-9a-fA-F]+$/.test(source)) return parseInt(source.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source))
    return source.slice(-3).toLowerCase() === 'nan'
      ? NaN
      : source[0] === '-'
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source))
    return parseFloat(source);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) return parseFloat(source);
  return source;
}

/** The library's unfolding of a multi-line plain or single-quoted scalar (resolve-flow-scalar). */
function unfoldLines(source: string): string {
  const line = /(.*?)\n/sy;
  let match = line.exec(source);
  if (!match) return source;
  const trimEnd = /(?<![ \t])[ \t]+$/;
  const trimBoth = /^[ \t]+|(?<![ \t])[ \t]+$/g;
  let res = (match[1] ?? '').replace(trimEnd, '');
  let sep = ' ';
  let pos = line.lastIndex;
  while ((match = line.exec(source))) {
    const lm = (match[1] ?? '').replace(trimBoth, '');
    if (lm === '') {
      if (sep === '\n') res += sep;
      else sep = '\n';
    } else {
      res += sep + lm;
      sep = ' ';
    }
    pos = line.lastIndex;
  }
  const last = /[ \t]*(.*)/sy;
  last.lastIndex = pos;
  match = last.exec(source);
  return res + sep + (match?.[1] ?? '');
}

/** A single-quoted scalar's value, from its source with the quotes. */
function singleQuoted(raw: string): string {
  if (raw.length < 2) unhandled();
  const inner = raw.slice(1, -1);
  return (inner.includes('\n') ? unfoldLines(inner) : inner).replace(/''/g, "'");
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

/** A double-quoted scalar's value, from its source with the quotes (the library's
 * doubleQuotedValue; an invalid escape is the library's to report). */
function doubleQuoted(source: string): string {
  if (source.length < 2) unhandled();
  if (!source.includes('\\') && !source.includes('\n')) return source.slice(1, -1);
  let res = '';
  for (let i = 1; i < source.length - 1; ++i) {
    const ch = source[i];
    if (ch === '\n') {
      // fold a newline into a space, several into one fewer newlines
      let fold = '';
      let next = source[i + 1];
      while (next === ' ' || next === '\n') {
        if (next === '\n') fold += '\n';
        i += 1;
        next = source[i + 1];
      }
      res += fold || ' ';
    } else if (ch === '\\') {
      let next = source[++i];
      const code = next === undefined ? undefined : ESCAPES[next];
      if (code !== undefined && Object.hasOwn(ESCAPES, next ?? '')) res += code;
      else if (next === '\n') {
        // an escaped line break: skipped, and the next line's leading spaces with it
        next = source[i + 1];
        while (next === ' ') next = source[++i + 1];
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = source.substr(i + 1, length);
        if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) unhandled();
        const point = parseInt(hex, 16);
        if (point > 0x10ffff) unhandled();
        res += String.fromCodePoint(point);
        i += length;
      } else unhandled();
    } else if (ch === ' ') {
      // spaces before a line break are dropped
      const start = i;
      let next = source[i + 1];
      while (next === ' ') next = source[++i + 1];
      if (next !== '\n') res += i > start ? source.slice(start, i + 1) : ch;
    } else res += ch;
  }
  return res;
}
