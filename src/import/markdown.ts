import markdownItFactory, { type MarkdownIt } from 'markdown-it';
import type { Root } from 'mdast';
import { repairMojibake, type Repair } from './mojibake.js';
import { splitFrontMatter, treeOf } from './tree.js';

/** Limits on what the importer reads (docs/import.md#limits): past them a file is refused with
 * one message, before the parser sees it. */
export const IMPORT_LIMITS = {
  /** A runbook page is tens of kilobytes; 2 MiB is a hundred of them. */
  maxBytes: 2 * 1024 * 1024,
  /** Lists and block quotes nested deeper than this are refused: no runbook nests past a handful,
   * and markdown-it leaves what is nested past its own limit unread (markdownIt() below). */
  maxNesting: 64,
};

/** Markdown that cannot be imported: `message` says why, for `file:line`. */
export class MarkdownError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'MarkdownError';
  }
}

export interface ParsedMarkdown {
  tree: Root;
  /** The text as parsed, mojibake repaired; its lines, for a fence's own lines. */
  lines: string[];
  repairs: Repair[];
}

/** Decodes a file's bytes as UTF-8 text, refusing what is not text. */
export function decodeMarkdown(bytes: Uint8Array): string {
  if (bytes.byteLength > IMPORT_LIMITS.maxBytes)
    throw new MarkdownError(
      `is ${megabytes(bytes.byteLength)}; the importer reads Markdown files of up to ${megabytes(IMPORT_LIMITS.maxBytes)}`,
    );
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    throw new MarkdownError(
      `is not text: it holds a NUL byte (at byte ${nul}); is it a binary file?`,
      lineAt(bytes, nul),
    );
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.startsWith('\ufeff') ? text.slice(1) : text;
  } catch {
    throw new MarkdownError('is not UTF-8 text; convert it to UTF-8 first (iconv -t UTF-8)');
  }
}

let parser: MarkdownIt | undefined;

/** CommonMark with raw HTML (DocToc's comments), GitHub's tables and strikethrough. Nesting past
 * `maxNesting` is left unparsed by markdown-it: it is set well above what checkNesting lets in (a
 * list level is two of markdown-it's: the list and its item). */
function markdownIt(): MarkdownIt {
  parser ??= markdownItFactory('commonmark', {
    html: true,
    maxNesting: 4 * IMPORT_LIMITS.maxNesting,
  }).enable(['table', 'strikethrough']);
  return parser;
}

/** Parses Markdown as CommonMark with GitHub's tables and task lists, and front matter. */
export function parseMarkdown(source: string): ParsedMarkdown {
  const { text, repairs } = repairMojibake(source.replace(/\r\n?/g, '\n'));
  checkNesting(text);
  const md = markdownIt();
  const { body, yaml } = splitFrontMatter(text);
  const tree = treeOf(md.parse(body, {}), md.utils.unescapeAll, yaml);
  return { tree, lines: text.split('\n'), repairs };
}

/** A list item's marker (then a space, or the end of the line), or a block quote's `>` (a space
 * after it is optional: `>>>` is three quotes). */
const CONTAINER_MARK = /^(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)|>[ \t]*)/;

/**
 * Refuses lists and block quotes nested past the limit, measured on the text before parsing: a
 * line's container depth is at least its list and quote markers in a row, and a list item that is
 * indented needs about two columns a level. Lines inside fences do not count.
 */
function checkNesting(text: string): void {
  let fence: string | undefined;
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const fenceMark = /^[ \t>]*[-*+]?[ \t]*(`{3,}|~{3,})/.exec(raw)?.[1];
    if (fence !== undefined) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length)
        fence = undefined;
      continue;
    }
    if (fenceMark) {
      fence = fenceMark;
      continue;
    }
    const indent = /^[ \t]*/.exec(raw)?.[0] ?? '';
    let rest = raw.slice(indent.length);
    let marks = 0;
    for (let match = CONTAINER_MARK.exec(rest); match; match = CONTAINER_MARK.exec(rest)) {
      marks++;
      rest = rest.slice(match[0].length);
      if (marks > IMPORT_LIMITS.maxNesting) break;
    }
    const columns = indent.replace(/\t/g, '    ').length;
    const depth = marks + (marks > 0 ? Math.floor(columns / 2) : 0);
    if (depth > IMPORT_LIMITS.maxNesting)
      throw new MarkdownError(
        `nests lists or block quotes deeper than ${IMPORT_LIMITS.maxNesting} levels; flatten it first`,
        line,
      );
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let at = 0; at < offset; at++) if (bytes[at] === 10) line++;
  return line;
}
