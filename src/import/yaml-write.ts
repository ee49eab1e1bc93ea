/**
 * A YAML writer for the importer's few output shapes (docs/import.md#speed): block maps and lists,
 * flow maps, comments before list items, and string, integer and boolean scalars. It lays the
 * document out as the yaml library's `Document#toString` does with the importer's options (the
 * same indentation, the same flow-map line breaks), and each string is written by the library's own
 * `stringifyString` with the context the library would give it, so that quoting, block scalars and
 * line folding are the library's; a one-line string the library would write plain and unfolded
 * skips even that (its tests, repeated in `plainAsIs`; the same text, proved in
 * yaml-write.test.ts). What it does not lay out itself — a value that is null, a number that is
 * not an integer, a string that needs "keep" chomping (`|+`), a key over 1,024 characters — makes
 * it return undefined, and the caller writes that runbook with the library instead. That the output
 * is the library's byte for byte is tested over every fixture and the bench's pages
 * (test/integration/import/import-yaml-write.int.test.ts).
 */
import { Document } from 'yaml';
import { stringifyString } from 'yaml/util';

/** The options the importer writes with (`Document#toString`). */
export const WRITE_OPTIONS = { lineWidth: 100, minContentWidth: 40, flowCollectionPadding: true };

export interface Layout {
  /** Maps written as flow maps (`{ a: 1 }`). */
  flow: ReadonlySet<object>;
  /** A comment written above a list item (the object that is the item), as the library's
   * `commentBefore`: lines, each usually starting with a space. */
  comments: ReadonlyMap<object, string>;
}

type StringifyContext = Parameters<typeof stringifyString>[1];

interface Ctx {
  indent: string;
  implicitKey: boolean;
  inFlow: boolean | null;
  indentAtStart?: number;
}

class Unsupported extends Error {}

interface State extends Layout {
  seen: Set<object>;
}

const INDENT_STEP = '  ';
let base: { doc: Document; options: Record<string, unknown> } | undefined;

/** The stringify context's fixed part, as `createStringifyContext` makes it for these options. */
function baseContext(): { doc: Document; options: Record<string, unknown> } {
  if (base) return base;
  const doc = new Document(null);
  const options = {
    blockQuote: true,
    commentString: (text: string) => text.replace(/^(?!$)(?: $)?/gm, '#'),
    defaultKeyType: null,
    defaultStringType: 'PLAIN',
    directives: null,
    doubleQuotedAsJSON: false,
    doubleQuotedMinMultiLineLength: 40,
    falseStr: 'false',
    flowCollectionPadding: true,
    indentSeq: true,
    lineWidth: WRITE_OPTIONS.lineWidth,
    minContentWidth: WRITE_OPTIONS.minContentWidth,
    nullStr: 'null',
    simpleKeys: false,
    singleQuote: null,
    trailingComma: false,
    trueStr: 'true',
    verifyAliasOrder: true,
  };
  base = { doc, options };
  return base;
}

/** `data` (a map) as YAML, or undefined when it holds what this writer does not lay out. */
export function writeYaml(data: Record<string, unknown>, layout: Layout): string | undefined {
  try {
    const state = { ...layout, seen: new Set<object>() };
    return `${value(data, { indent: '', implicitKey: false, inFlow: null }, state)}\n`;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function value(item: unknown, ctx: Ctx, layout: State): string {
  if (typeof item === 'string') return string(item, ctx);
  if (typeof item === 'boolean') return item ? 'true' : 'false';
  if (typeof item === 'number' && Number.isSafeInteger(item) && !Object.is(item, -0))
    return String(item);
  if (Array.isArray(item)) return collection(item, false, ctx, layout);
  if (item !== null && typeof item === 'object')
    return collection(item as Record<string, unknown>, true, ctx, layout);
  throw new Unsupported();
}

function string(text: string, ctx: Ctx): string {
  if (plainAsIs(text, ctx)) return text;
  const { doc, options } = baseContext();
  const context = {
    anchors: new Set(),
    doc,
    flowCollectionPadding: ' ',
    indentStep: INDENT_STEP,
    options,
    forceBlockIndent: false,
    actualString: true,
    type: null,
    ...ctx,
  } as unknown as StringifyContext;
  if (ctx.indentAtStart === undefined) delete (context as { indentAtStart?: number }).indentAtStart;
  return stringifyString(
    { value: text } as Parameters<typeof stringifyString>[0],
    context,
    undefined,
    () => {
      throw new Unsupported();
    },
  );
}

let others: RegExp[] | undefined;

/** The core schema's tests for a plain scalar that is not a string (null, booleans, numbers), as
 * `plainString` runs them: the default tags but the string's, with their compat tags. */
function otherTypes(): RegExp[] {
  if (others) return others;
  const { tags, compat } = baseContext().doc.schema;
  others = [...tags, ...(compat ?? [])].flatMap((tag) =>
    tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test ? [tag.test] : [],
  );
  return others;
}

/** Characters the library writes double-quoted whatever the style (control characters, and any
 * surrogate here, paired or not: those strings take the library's own path). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const FORCES_QUOTES = /[\x00-\x1f\x7f-\x9f\uD800-\uDFFF]/;
/** What the library's `plainString` will not write plain (its own test, for one line). */
const NOT_PLAIN =
  /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

/**
 * Whether the library writes a one-line string as it is, plain and unfolded: what its
 * `plainString` decides for such a string, in the order it does — a flow context's indicators, its
 * not-plain test, a document marker, a text the core schema reads as something else (by the
 * schema's own tests), and a line too long, which it folds.
 */
function plainAsIs(text: string, ctx: Ctx): boolean {
  if (text === '' || FORCES_QUOTES.test(text)) return false;
  if (ctx.inFlow && /[[\]{},]/.test(text)) return false;
  if (NOT_PLAIN.test(text) || /^(?:%|---|\.\.\.)/.test(text)) return false;
  for (const test of otherTypes()) if (test.test(text)) return false;
  return (
    ctx.implicitKey ||
    text.length <=
      Math.max(1 + WRITE_OPTIONS.minContentWidth, 1 + WRITE_OPTIONS.lineWidth - ctx.indent.length)
  );
}

function entries(
  item: unknown[] | Record<string, unknown>,
  isMap: boolean,
): Array<[string | undefined, unknown]> {
  if (!isMap) return (item as unknown[]).map((element) => [undefined, element]);
  const out: Array<[string, unknown]> = [];
  for (const key of Object.keys(item)) {
    const element = (item as Record<string, unknown>)[key];
    if (element !== undefined) out.push([key, element]);
  }
  return out;
}

/** stringifyCollection of the yaml library, for a map (`isMap`) or a list. */
function collection(
  item: unknown[] | Record<string, unknown>,
  isMap: boolean,
  ctx: Ctx,
  layout: State,
): string {
  // The library writes an object met twice as an anchor and an alias (`&a1`, `*a1`).
  if (layout.seen.has(item)) throw new Unsupported();
  layout.seen.add(item);
  const items = entries(item, isMap);
  const itemIndent = isMap ? ctx.indent : `${ctx.indent}  `;
  const flow = ctx.inFlow ?? layout.flow.has(item);
  const [start, end] = isMap ? ['{', '}'] : ['[', ']'];
  if (flow) {
    const inner = itemIndent + INDENT_STEP;
    const itemCtx: Ctx = { indent: inner, implicitKey: false, inFlow: true };
    let newline = false;
    const lines: string[] = [];
    items.forEach(([key, element], index) => {
      if (layout.comments.has(element as object)) throw new Unsupported();
      let str =
        key === undefined ? value(element, itemCtx, layout) : pair(key, element, itemCtx, layout);
      newline ||= str.includes('\n');
      if (index < items.length - 1) str += ',';
      lines.push(str);
    });
    if (lines.length === 0) return start + end;
    if (!newline)
      newline = lines.reduce((sum, line) => sum + line.length + 2, 2) > WRITE_OPTIONS.lineWidth;
    if (!newline) return `${start} ${lines.join(' ')} ${end}`;
    let str = start;
    for (const line of lines) str += `\n${INDENT_STEP}${ctx.indent}${line}`;
    return `${str}\n${ctx.indent}${end}`;
  }
  const itemCtx: Ctx = { indent: itemIndent, implicitKey: false, inFlow: ctx.inFlow };
  const lines: string[] = [];
  for (const [key, element] of items) {
    const comment = key === undefined ? layout.comments.get(element as object) : undefined;
    if (comment)
      lines.push(indentComment(comment.replace(/^(?!$)(?: $)?/gm, '#'), ctx.indent).trimStart());
    const str =
      key === undefined ? value(element, itemCtx, layout) : pair(key, element, itemCtx, layout);
    lines.push(isMap ? str : `- ${str}`);
  }
  if (lines.length === 0) return start + end;
  let str = lines[0] ?? '';
  for (let i = 1; i < lines.length; ++i) {
    const line = lines[i] ?? '';
    str += line ? `\n${ctx.indent}${line}` : '\n';
  }
  return str;
}

function indentComment(comment: string, indent: string): string {
  if (/^\n+$/.test(comment)) return comment.substring(1);
  return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}

/** stringifyPair of the yaml library, for a string key and a value that is not null. */
function pair(key: string, element: unknown, ctx: Ctx, layout: State): string {
  const pairCtx: Ctx = { indent: ctx.indent + INDENT_STEP, implicitKey: true, inFlow: ctx.inFlow };
  let str = string(key, pairCtx);
  if (!ctx.inFlow && str.length > 1024) throw new Unsupported();
  str += ':';
  const isCollection = element !== null && typeof element === 'object';
  const valueCtx: Ctx = { indent: pairCtx.indent, implicitKey: false, inFlow: ctx.inFlow };
  if (!isCollection) valueCtx.indentAtStart = str.length + 1;
  const valueStr = value(element, valueCtx, layout);
  let ws = ' ';
  if (isCollection) {
    const flow =
      ctx.inFlow ??
      (layout.flow.has(element) ||
        entries(element as Record<string, unknown>, !Array.isArray(element)).length === 0);
    if (valueStr.includes('\n') || !flow) ws = `\n${pairCtx.indent}`;
  } else if (valueStr === '' || valueStr.startsWith('\n')) ws = '';
  return str + ws + valueStr;
}
