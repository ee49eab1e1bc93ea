import {
  type Alias,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic } from '../common/errors.js';
import { readYamlFast } from './yaml-fast.js';

/** Limits against hostile files. */
export const LIMITS = {
  /** The default size cap of a file (runbook.config.yaml's max_file_bytes changes it). */
  maxBytes: 4 * 1024 * 1024,
  maxAliases: 100,
  maxDepth: 64,
  /** Flow nesting (`[[[…`) past which a file is refused before parsing: far above maxDepth, so
   * only hostile files reach it, and checked by a scan that costs nothing next to the parse. */
  maxFlowNesting: 1000,
} as const;

export type PathSegment = string | number;

/** The options every YAML file is parsed with. */
const PARSE_OPTIONS = {
  prettyErrors: false,
  merge: true,
  uniqueKeys: true,
  strict: true,
  // Its warnings are reported as diagnostics, not printed by the library on stderr.
  logLevel: 'error',
} as const;

/**
 * A YAML file parsed with positions, so that any path in its data maps back to file:line:col.
 * A file read by the fast reader (yaml-fast.ts) is parsed by the library only when a position is
 * first needed: most files have no diagnostic, and need none.
 */
export class YamlSource {
  readonly file: string;
  /** The text of the whole file, every document of it. */
  readonly text: string;
  #doc: Document.Parsed | undefined;
  #lines: LineCounter | undefined;
  #sourceLines: string[] | undefined;
  /** One document of a file of several: the one whose contents start in [from, to). */
  readonly #part: { from: number; to: number } | undefined;
  /** One runbook inside the document (`runbooks[2]` of a list): paths are relative to it. */
  readonly #base: readonly PathSegment[];
  /** The source this one is a part of, whose parse it shares. */
  readonly #parent: YamlSource | undefined;
  /** The documents of the file, parsed once for all its parts (a catalog's `---` documents): a
   * file of N documents is parsed once, not once for each. */
  readonly #stream: { parsed?: { docs: Document.Parsed[]; lines: LineCounter } } | undefined;

  constructor(
    file: string,
    text: string,
    doc?: Document.Parsed,
    lines?: LineCounter,
    part?: { from: number; to: number },
    view?: { parent: YamlSource; base: readonly PathSegment[] },
    stream?: { parsed?: { docs: Document.Parsed[]; lines: LineCounter } },
  ) {
    this.file = file;
    this.text = text;
    this.#doc = doc;
    this.#lines = lines;
    this.#part = part;
    this.#base = view?.base ?? [];
    this.#parent = view?.parent;
    this.#stream = stream;
  }

  /** The same document, with paths taken from `base` (an entry of a `runbooks:` list). Positions
   * are still counted from the top of the file. */
  at(base: readonly PathSegment[]): YamlSource {
    return new YamlSource(this.file, this.text, undefined, undefined, undefined, {
      parent: this.#parent ?? this,
      base: [...this.#base, ...base],
    });
  }

  get doc(): Document.Parsed {
    if (this.#parent) return this.#parent.doc;
    if (!this.#doc) {
      this.#lines = new LineCounter();
      if (this.#part) {
        const { from, to } = this.#part;
        let parsed = this.#stream?.parsed;
        if (!parsed) {
          const docs = parseAllDocuments(this.text, { ...PARSE_OPTIONS, lineCounter: this.#lines });
          parsed = { docs: Array.isArray(docs) ? docs : [], lines: this.#lines };
          if (this.#stream) this.#stream.parsed = parsed;
        }
        this.#lines = parsed.lines;
        const all = parsed.docs;
        this.#doc =
          all.find((doc) => {
            const start = (doc.contents as Node | null)?.range?.[0];
            return start !== undefined && start >= from && start < to;
          }) ?? all[0];
      } else this.#doc = parseDocument(this.text, { ...PARSE_OPTIONS, lineCounter: this.#lines });
    }
    return this.#doc as Document.Parsed;
  }

  #lineCounter(): LineCounter {
    if (this.#parent) return this.#parent.#lineCounter();
    if (!this.#lines) void this.doc;
    return this.#lines as LineCounter;
  }

  /** The line and column (from 1) of an offset in the file. */
  position(offset: number): { line: number; col: number } {
    return this.#lineCounter().linePos(offset);
  }

  /** A diagnostic at an offset in the file. */
  diagnosticAt(offset: number, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
    const { line, col } = this.#lineCounter().linePos(offset);
    const sourceLines = (this.#parent ?? this).#splitLines();
    return {
      file: this.file,
      line,
      col,
      severity: 'error',
      message,
      sourceLine: sourceLines[line - 1] ?? '',
      ...extra,
    };
  }

  /**
   * Where the value of a document's top-level `id:` starts, as diagnosticAtPath(['id']) gives
   * it, for a `---` document the fast reader read: found in its own lines, so that placing each
   * runbook of a catalog does not parse the file with the library. Undefined when it cannot tell
   * (then ask diagnosticAtPath).
   */
  idPosition(): { line: number; col: number } | undefined {
    if (!this.#part || this.#parent || this.#doc) return undefined;
    const { from, to } = this.#part;
    const match = /^id:[ \t]+(?=[^\s#])/m.exec(this.text.slice(from, to));
    if (!match) return undefined;
    const offset = from + match.index + match[0].length;
    let line = 1;
    for (
      let at = this.text.indexOf('\n');
      at >= 0 && at < offset;
      at = this.text.indexOf('\n', at + 1)
    )
      line++;
    return { line, col: offset - this.text.lastIndexOf('\n', offset - 1) };
  }

  #splitLines(): string[] {
    this.#sourceLines ??= this.text.split(/\r?\n/);
    return this.#sourceLines;
  }

  /**
   * The diagnostic for a path into the data. With `key`, points at that key of the map at `path`
   * (used for unknown keys); a path that does not exist points at its nearest existing parent.
   */
  diagnosticAtPath(
    path: readonly PathSegment[],
    message: string,
    extra: Partial<Diagnostic> & { key?: string } = {},
  ): Diagnostic {
    const { key, ...rest } = extra;
    const { node, complete } = this.#walk(path);
    let offset = node?.range?.[0] ?? 0;
    let missing = !complete;
    if (complete && key !== undefined && isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === key);
      const keyNode = pair?.key;
      if (
        keyNode &&
        typeof keyNode === 'object' &&
        'range' in keyNode &&
        Array.isArray(keyNode.range)
      ) {
        offset = (keyNode.range as number[])[0] ?? offset;
      }
    } else if (complete && path.length > 0) {
      // Point at the key of a map entry rather than at its value when the value is a collection.
      if (isMap(node) || isSeq(node)) offset = this.#keyOffset(path) ?? offset;
    }
    if (missing && path.length === 0) missing = false;
    return this.diagnosticAt(offset, message, { path: formatPath(path), ...rest });
  }

  /**
   * The diagnostic for the `occurrence`-th (from 0) `needle` in the source text of the scalar at
   * `path`, such as one `${{` of a multi-line string; as diagnosticAtPath when it is not there.
   */
  diagnosticAtText(
    path: readonly PathSegment[],
    needle: string,
    occurrence: number,
    message: string,
    extra: Partial<Diagnostic> = {},
  ): Diagnostic {
    const { node, complete } = this.#walk(path);
    const range = complete && isScalar(node) ? node.range : undefined;
    if (range) {
      let at = range[0] - 1;
      for (let n = 0; n <= occurrence; n++) {
        at = this.text.indexOf(needle, at + 1);
        if (at < 0 || at >= range[1]) return this.diagnosticAtPath(path, message, extra);
      }
      return this.diagnosticAt(at, message, { path: formatPath(path), ...extra });
    }
    return this.diagnosticAtPath(path, message, extra);
  }

  /** A diagnostic at the `index`-th `${{` of the string at `path` (counted from 0), so that it
   * points at the expression itself. */
  diagnosticAtTemplate(
    path: readonly PathSegment[],
    index: number,
    message: string,
    extra: Partial<Diagnostic> = {},
  ): Diagnostic {
    return this.diagnosticAtText(path, '${{', index, message, extra);
  }

  /** Whether a path exists in the document. */
  has(path: readonly PathSegment[]): boolean {
    return this.#walk(path).complete;
  }

  #keyOffset(path: readonly PathSegment[]): number | undefined {
    const parent = this.#walk(path.slice(0, -1)).node;
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => keyText(item.key) === String(last));
      const keyNode = pair?.key as Node | undefined;
      return keyNode?.range?.[0];
    }
    return undefined;
  }

  /** The node at a path; past an alias, the alias itself (`*x` is where that use is written). */
  #walk(relative: readonly PathSegment[]): { node: Node | null; complete: boolean } {
    let node = this.doc.contents as Node | null;
    let alias: Alias | undefined;
    const path = this.#base.length === 0 ? relative : [...this.#base, ...relative];
    for (const segment of path) {
      if (isAlias(node)) {
        alias ??= node as Alias;
        node = (node as Alias).resolve(this.doc) ?? null;
      }
      let next: Node | null | undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        next = pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : undefined;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment] as Node | undefined;
      }
      if (next === undefined || next === null) return { node: alias ?? node, complete: false };
      node = next;
    }
    return { node: alias ?? node, complete: true };
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}

/** `resolution[2].timeout` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

export type ParsedYaml =
  | { ok: true; source: YamlSource; data: unknown; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/** The diagnostic of a file over the size cap, said before reading it. */
export function tooLarge(
  file: string,
  size: number,
  maxBytes: number,
  what = 'runbook',
): Diagnostic {
  return fileDiagnostic(
    file,
    `file is too large: ${size} bytes (the limit is ${formatBytes(maxBytes)})`,
    `split it into several ${what}s, or raise max_file_bytes in runbook.config.yaml`,
  );
}

/**
 * The offset where flow collections (`[`, `{`) first nest deeper than `limit`, or undefined. Quoted
 * text and comments are skipped; brackets inside block scalars count, which can only refuse a
 * file with a thousand unbalanced brackets there.
 */
function flowNestingPast(text: string, limit: number): number | undefined {
  // Nesting never goes deeper than the number of `[` and `{`: most files have far fewer.
  let opening = 0;
  for (const bracket of ['[', '{'])
    for (
      let at = text.indexOf(bracket);
      at >= 0 && opening <= limit;
      at = text.indexOf(bracket, at + 1)
    )
      opening++;
  if (opening <= limit) return undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x5b || char === 0x7b) {
      if (++depth > limit) return i;
    } else if (char === 0x5d || char === 0x7d) {
      if (depth > 0) depth--;
    } else if (char === 0x22) {
      // "…": backslash escapes.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++)
        if (text.charCodeAt(i) === 0x5c) i++;
    } else if (char === 0x27) {
      // '…': '' is a quote.
      for (i++; i < text.length; i++)
        if (text.charCodeAt(i) === 0x27) {
          if (text.charCodeAt(i + 1) === 0x27) i++;
          else break;
        }
    } else if (char === 0x23 && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    }
  }
  return undefined;
}

function fileDiagnostic(file: string, message: string, hint?: string): Diagnostic {
  return { file, line: 1, col: 1, severity: 'error', message, ...(hint ? { hint } : {}) };
}

/** Decodes whole texts (never a stream), so one decoder serves every file. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The text of YAML bytes, or why they are refused before parsing (size, binary, encoding,
 * emptiness, hostile nesting). */
function readYamlText(
  file: string,
  bytes: Uint8Array,
  what: string,
  maxBytes: number,
): { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] } {
  if (bytes.length > maxBytes)
    return { ok: false, diagnostics: [tooLarge(file, bytes.length, maxBytes, what)] };
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return {
      ok: false,
      diagnostics: [
        fileDiagnostic(
          file,
          `not a text file: binary data (a NUL byte at offset ${nul})`,
          `a ${what} is a YAML text file`,
        ),
      ],
    };
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return {
      ok: false,
      diagnostics: [
        fileDiagnostic(
          file,
          'not a text file: the bytes are not valid UTF-8',
          `save it as UTF-8 YAML`,
        ),
      ],
    };
  }
  if (text.trim() === '') {
    return {
      ok: false,
      diagnostics: [
        fileDiagnostic(file, 'file is empty', `a ${what} needs at least an id and a title`),
      ],
    };
  }

  const deep = flowNestingPast(text, LIMITS.maxFlowNesting);
  if (deep !== undefined) {
    const line = text.slice(0, deep).split('\n').length;
    return {
      ok: false,
      diagnostics: [
        {
          ...fileDiagnostic(
            file,
            `nesting deeper than ${LIMITS.maxFlowNesting} levels of [ ] or { }: refusing to parse it`,
          ),
          line,
          col: deep - text.lastIndexOf('\n', deep - 1),
        },
      ],
    };
  }
  return { ok: true, text };
}

/** Reads bytes as a YAML document, enforcing the limits. Never throws for bad input. */
export function parseYaml(
  file: string,
  bytes: Uint8Array,
  what = 'runbook',
  maxBytes: number = LIMITS.maxBytes,
): ParsedYaml {
  const read = readYamlText(file, bytes, what, maxBytes);
  if (!read.ok) return read;
  const text = read.text;
  // Most files are plain YAML that the fast reader reads to the same data, with no errors and no
  // warnings; the library parses them only if a diagnostic needs a position.
  const fast = readYamlFast(text);
  if (fast !== undefined)
    return { ok: true, source: new YamlSource(file, text), data: fast, diagnostics: [] };
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines });
  return (
    readDocument(file, new YamlSource(file, text, doc, lines), doc, what, false) ??
    emptyFile(file, what)
  );
}

export type ParsedYamlDocuments =
  { ok: true; documents: ParsedYaml[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Reads bytes as a YAML stream of one or more documents separated by `---` lines (a catalog of
 * runbooks, docs/format.md). Each document is read on its own: an error in one leaves the others
 * readable, and every position is counted from the top of the file. Documents holding only
 * comments are left out. Never throws for bad input.
 */
export function parseYamlDocuments(
  file: string,
  bytes: Uint8Array,
  what = 'runbook',
  maxBytes: number = LIMITS.maxBytes,
): ParsedYamlDocuments {
  const read = readYamlText(file, bytes, what, maxBytes);
  if (!read.ok) return read;
  const text = read.text;
  const fast = readDocumentsFast(text);
  if (fast !== undefined) {
    const stream = {};
    const documents: ParsedYaml[] = fast.map(({ data, from, to }) => ({
      ok: true,
      source:
        fast.length === 1 && from === 0
          ? new YamlSource(file, text)
          : new YamlSource(file, text, undefined, undefined, { from, to }, undefined, stream),
      data,
      diagnostics: [],
    }));
    if (documents.length > 0) return { ok: true, documents };
  }
  const lines = new LineCounter();
  const stream = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const documents: ParsedYaml[] = [];
  for (const doc of Array.isArray(stream) ? stream : []) {
    const read = readDocument(file, new YamlSource(file, text, doc, lines), doc, what, true);
    if (read) documents.push(read);
  }
  if (documents.length === 0) return emptyFile(file, what);
  return { ok: true, documents };
}

/** What both readers say of a file with no document in it, only comments. */
function emptyFile(file: string, what: string): { ok: false; diagnostics: Diagnostic[] } {
  return {
    ok: false,
    diagnostics: [
      fileDiagnostic(
        file,
        'file is empty (only comments)',
        `a ${what} needs at least an id and a title`,
      ),
    ],
  };
}

/** A line that separates documents and that the fast reader splits at: `---` alone. */
const SEPARATOR = /^---[ ]*$/;
/** A line that starts or ends a document, or a directive: what else than SEPARATOR is left to the
 * library. */
const DOCUMENT_LINE = /^(---|\.\.\.|%)/;

/**
 * The documents of a text split at its `---` lines, each read by the fast reader (yaml-fast.ts),
 * with where it lies in the text; undefined when any part needs the library (a document marker
 * with more on its line, `...`, a directive, or a document the fast reader leaves to it).
 */
function readDocumentsFast(
  text: string,
): Array<{ data: unknown; from: number; to: number }> | undefined {
  const documents: Array<{ data: unknown; from: number; to: number }> = [];
  let from = 0;
  const take = (to: number): boolean => {
    const part = text.slice(from, to);
    if (part.split('\n').every((line) => /^ *(#.*)?$/.test(line))) return true;
    const data = readYamlFast(part);
    if (data === undefined) return false;
    documents.push({ data, from, to });
    return true;
  };
  if (
    !text.startsWith('---') &&
    !text.startsWith('...') &&
    !text.startsWith('%') &&
    !/\n(---|\.\.\.|%)/.test(text)
  ) {
    const data = readYamlFast(text);
    return data === undefined ? undefined : [{ data, from: 0, to: text.length }];
  }
  let at = 0;
  while (at <= text.length) {
    const end = text.indexOf('\n', at);
    const lineEnd = end < 0 ? text.length : end;
    const line = text.slice(at, lineEnd);
    if (SEPARATOR.test(line)) {
      if (!take(at)) return undefined;
      from = Math.min(lineEnd + 1, text.length);
    } else if (DOCUMENT_LINE.test(line)) return undefined;
    if (end < 0) break;
    at = end + 1;
  }
  return take(text.length) ? documents : undefined;
}

/**
 * One parsed document as data, with its errors and warnings at their places in the file;
 * undefined for a document with nothing in it. `several`: the file may hold more than one
 * document, so a second one is not an error.
 */
function readDocument(
  file: string,
  source: YamlSource,
  doc: Document.Parsed,
  what: string,
  several: boolean,
): ParsedYaml | undefined {
  const diagnostics: Diagnostic[] = [];
  for (const error of doc.errors) {
    if (several && error.code === 'MULTIPLE_DOCS') continue;
    diagnostics.push(
      source.diagnosticAt(
        error.pos[0],
        error.code === 'MULTIPLE_DOCS'
          ? `a ${what} file holds one YAML document, and a second one starts here`
          : `YAML syntax: ${cleanYamlMessage(error.message)}`,
        error.code === 'MULTIPLE_DOCS'
          ? {
              hint: `remove the --- line and what follows it, or make it a ${what} file of its own`,
            }
          : {},
      ),
    );
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  // A document of only comments: the library gives no contents, or (after `---`) an empty scalar.
  const contents = doc.contents as Node | null;
  if (contents === null || (isScalar(contents) && contents.range?.[0] === contents.range?.[1]))
    return undefined;

  const structural = checkStructure(source);
  if (structural) return { ok: false, diagnostics: [structural] };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: LIMITS.maxAliases });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      diagnostics: [
        {
          ...fileDiagnostic(
            file,
            /resource exhaustion/.test(message)
              ? `too many YAML alias expansions (more than ${LIMITS.maxAliases}): refusing a possible alias bomb`
              : `YAML could not be read: ${message}`,
          ),
          ...(several ? source.position(doc.range[0]) : {}),
        },
      ],
    };
  }
  for (const warning of doc.warnings) {
    diagnostics.push(
      source.diagnosticAt(warning.pos[0], `YAML: ${cleanYamlMessage(warning.message)}`, {
        severity: 'warning',
      }),
    );
  }
  return { ok: true, source, data, diagnostics };
}

/** Alias count and nesting depth, checked on the syntax tree before anything is expanded. */
function checkStructure(source: YamlSource): Diagnostic | undefined {
  let aliases = 0;
  const visit = (node: unknown, depth: number): Diagnostic | undefined => {
    if (depth > LIMITS.maxDepth) {
      const offset = (node as Node).range?.[0] ?? 0;
      return source.diagnosticAt(
        offset,
        `nesting is too deep (more than ${LIMITS.maxDepth} levels)`,
      );
    }
    if (isAlias(node)) {
      aliases++;
      if (aliases > LIMITS.maxAliases) {
        return source.diagnosticAt(
          node.range?.[0] ?? 0,
          `too many YAML aliases (more than ${LIMITS.maxAliases}): refusing a possible alias bomb`,
        );
      }
      if (!node.resolve(source.doc))
        return source.diagnosticAt(
          node.range?.[0] ?? 0,
          `YAML alias *${node.source} names no anchor: &${node.source} must be set before it`,
        );
      return undefined;
    }
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item) && isMergeKey(item.key) && !mergesMaps(item.value))
          return source.diagnosticAt(
            (item.value as Node | null)?.range?.[0] ?? (item.key as Node).range?.[0] ?? 0,
            'a YAML merge (<<) takes a mapping, an alias of one, or a list of them',
          );
        const found = isPair(item)
          ? (visit(item.key, depth + 1) ?? visit(item.value, depth + 1))
          : visit(item, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  /** What `<<` may merge: a map, an alias of one, or a list of those. */
  const mergesMaps = (value: unknown): boolean => {
    const map = (item: unknown): boolean => isMap(isAlias(item) ? item.resolve(source.doc) : item);
    const target = isAlias(value) ? value.resolve(source.doc) : value;
    return isSeq(target) ? target.items.every(map) : map(target);
  };
  return visit(source.doc.contents, 0);
}

/** A `<<` key, as the YAML 1.1 merge of `merge: true` reads it (a plain `<<`). */
function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value: unknown = key.value;
  return (
    (typeof value === 'symbol' && value.description === '<<') ||
    (value === '<<' && (!key.type || key.type === 'PLAIN'))
  );
}

function cleanYamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+.*$/s, '').trim();
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${bytes} B`;
}
