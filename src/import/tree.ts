/**
 * markdown-it's tokens as the Markdown tree (mdast) the importer reads (docs/import.md#parsing):
 * headings, paragraphs, lists and their items (GitHub's task-list items marked `checked`), block
 * quotes, tables, code, HTML and breaks, each block with the lines it spans, and the front matter
 * markdown-it does not read, split off before it parses.
 */
import type {
  Blockquote,
  Code,
  Heading,
  Html,
  List,
  ListItem,
  Paragraph,
  Parent,
  PhrasingContent,
  Root,
  RootContent,
  Table,
  TableCell,
  TableRow,
  Text,
  Yaml,
} from 'mdast';
import type { Token } from 'markdown-it';
import type { Position } from 'unist';

/** The opening `---` (YAML) or `+++` (TOML) block of a page, as GitHub reads front matter. */
const FRONT_MATTER = /^(-{3}|\+{3})[ \t]*\n(?:([^]*?)\n)??\1[ \t]*(?:\n|$)/;

/** The front matter of a text, and the text markdown-it reads: the same lines, the front matter's
 * made blank, so that line numbers stay those of the file. */
export function splitFrontMatter(text: string): { body: string; yaml: Yaml | undefined } {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { body: text, yaml: undefined };
  const block = match[0];
  const newlines = block.split('\n').length - 1;
  const body = '\n'.repeat(newlines) + text.slice(block.length);
  if (match[1] !== '---') return { body, yaml: undefined };
  const lastLine = newlines + (block.endsWith('\n') ? 0 : 1);
  return {
    body,
    yaml: { type: 'yaml', value: match[2] ?? '', position: position(1, lastLine) },
  };
}

/** The tree of a page's tokens (markdown-it's `parse`), with its front matter first. */
export function treeOf(
  tokens: readonly Token[],
  unescape: (text: string) => string,
  yaml?: Yaml,
): Root {
  const root: Root = { type: 'root', children: yaml ? [yaml] : [] };
  const stack: Parent[] = [root];
  const add = (node: RootContent): void => {
    (stack[stack.length - 1] as Parent).children.push(node);
  };
  const open = (node: RootContent & Parent): void => {
    add(node);
    stack.push(node);
  };
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at] as Token;
    switch (token.type) {
      case 'heading_open': {
        const heading: Heading = {
          type: 'heading',
          depth: Number(token.tag.slice(1)) as Heading['depth'],
          children: phrasing(tokens[at + 1]),
          position: span(token),
        };
        add(heading);
        at += 2;
        break;
      }
      case 'paragraph_open': {
        const paragraph: Paragraph = {
          type: 'paragraph',
          children: phrasing(tokens[at + 1]),
          position: span(token),
        };
        const item = stack[stack.length - 1] as Parent;
        if (item.type === 'listItem' && item.children.length === 0)
          taskMark(item as ListItem, paragraph);
        add(paragraph);
        at += 2;
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const list: List = {
          type: 'list',
          ordered: token.type === 'ordered_list_open',
          start: token.type === 'ordered_list_open' ? Number(token.attrGet('start') ?? 1) : null,
          spread: false,
          children: [],
          position: span(token),
        };
        open(list);
        break;
      }
      case 'list_item_open': {
        const item: ListItem = {
          type: 'listItem',
          spread: false,
          checked: null,
          children: [],
          position: span(token),
        };
        open(item);
        break;
      }
      case 'blockquote_open': {
        const quote: Blockquote = { type: 'blockquote', children: [], position: span(token) };
        open(quote);
        break;
      }
      case 'table_open': {
        const table: Table = { type: 'table', align: [], children: [], position: span(token) };
        open(table);
        break;
      }
      case 'tr_open': {
        const row: TableRow = { type: 'tableRow', children: [], position: span(token) };
        open(row);
        break;
      }
      case 'th_open':
      case 'td_open': {
        const cell: TableCell = { type: 'tableCell', children: phrasing(tokens[at + 1]) };
        add(cell);
        at += 2;
        break;
      }
      case 'bullet_list_close':
      case 'ordered_list_close':
      case 'list_item_close':
      case 'blockquote_close':
      case 'table_close':
      case 'tr_close':
        stack.pop();
        break;
      case 'fence':
      case 'code_block': {
        const info = token.type === 'fence' ? unescape(token.info).trim() : '';
        const space = info.search(/\s/);
        const code: Code = {
          type: 'code',
          lang: info === '' ? null : space < 0 ? info : info.slice(0, space),
          meta: space < 0 ? null : info.slice(space).trim() || null,
          value: token.content.endsWith('\n') ? token.content.slice(0, -1) : token.content,
          position: span(token),
        };
        add(code);
        break;
      }
      case 'html_block': {
        const html: Html = {
          type: 'html',
          value: token.content.replace(/\n$/, ''),
          position: span(token),
        };
        add(html);
        break;
      }
      case 'hr':
        add({ type: 'thematicBreak', position: span(token) });
        break;
      default:
        break;
    }
  }
  return root;
}

/** An inline token's children as phrasing content: text runs (soft breaks kept as line breaks in
 * them) merged into one text node, as mdast has them. */
function phrasing(token: Token | undefined): PhrasingContent[] {
  const top: PhrasingContent[] = [];
  const stack: PhrasingContent[][] = [top];
  const current = (): PhrasingContent[] => stack[stack.length - 1] as PhrasingContent[];
  const text = (value: string): void => {
    // markdown-it leaves an empty text token where an emphasis mark was.
    if (value === '') return;
    const children = current();
    const last = children[children.length - 1];
    if (last?.type === 'text') last.value += value;
    else children.push({ type: 'text', value });
  };
  const open = (node: PhrasingContent & { children: PhrasingContent[] }): void => {
    current().push(node);
    stack.push(node.children);
  };
  for (const child of token?.children ?? []) {
    switch (child.type) {
      case 'text':
      case 'text_special':
        text(child.content);
        break;
      case 'softbreak':
        text('\n');
        break;
      case 'hardbreak':
        current().push({ type: 'break' });
        break;
      case 'code_inline':
        current().push({ type: 'inlineCode', value: child.content });
        break;
      case 'strong_open':
        open({ type: 'strong', children: [] });
        break;
      case 'em_open':
        open({ type: 'emphasis', children: [] });
        break;
      case 's_open':
        open({ type: 'delete', children: [] });
        break;
      case 'link_open':
        open({ type: 'link', url: String(child.attrGet('href') ?? ''), title: null, children: [] });
        break;
      case 'strong_close':
      case 'em_close':
      case 's_close':
      case 'link_close':
        if (stack.length > 1) stack.pop();
        break;
      case 'image':
        current().push({
          type: 'image',
          url: String(child.attrGet('src') ?? ''),
          alt: child.content,
          title: null,
        });
        break;
      case 'html_inline':
        current().push({ type: 'html', value: child.content });
        break;
      default:
        if (child.content) text(child.content);
        break;
    }
  }
  return top;
}

/** GitHub's task-list item: `[ ]`, `[x]` or `[X]` opening an item's first paragraph, followed by a
 * line break or by spaces and more text. The mark leaves the text and sets `checked`. */
const TASK_MARK = /^\[([ \t\nxX])\](?:\n|[ \t]+(?=\S)|[ \t]+$)/;

function taskMark(item: ListItem, paragraph: Paragraph): void {
  const first = paragraph.children[0];
  if (first?.type !== 'text') return;
  const mark = TASK_MARK.exec(first.value);
  // After the spaces, more text: in this text node, or in the next (`[x] **bold**`).
  if (!mark || (mark[0] === first.value && paragraph.children.length === 1)) return;
  item.checked = mark[1] === 'x' || mark[1] === 'X';
  const rest = first.value.slice(mark[0].length - (mark[0].endsWith('\n') ? 1 : 0));
  if (rest === '') paragraph.children.shift();
  else (first as Text).value = rest;
}

/** The lines a block token spans: markdown-it's map is [first, after last), counted from 0. */
function span(token: Token): Position | undefined {
  return token.map
    ? position(token.map[0] + 1, Math.max(token.map[0] + 1, token.map[1]))
    : undefined;
}

function position(start: number, end: number): Position {
  return { start: { line: start, column: 1 }, end: { line: end, column: 1 } };
}
