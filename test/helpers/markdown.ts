import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

// Markdown read as GitHub reads it (CommonMark and its GFM extensions: tables, task lists,
// autolinks), for tests that look at a document's structure rather than its characters.

export interface MdNode {
  type: string;
  children?: MdNode[];
  value?: string;
  depth?: number;
  checked?: boolean | null;
  lang?: string | null;
}

export function parseMarkdown(text: string): MdNode {
  return fromMarkdown(text, {
    extensions: [gfm()],
    mdastExtensions: [gfmFromMarkdown()],
  }) as MdNode;
}

/** The text a node shows: its text and code, a line break as `\n`. */
export function textOf(node: MdNode): string {
  if (node.type === 'break') return '\n';
  if (node.type === 'text' || node.type === 'inlineCode' || node.type === 'code')
    return node.value ?? '';
  return (node.children ?? []).map(textOf).join('');
}

/** The headings of a document, as `## Title`. */
export function outline(root: MdNode): string[] {
  return (root.children ?? [])
    .filter((node) => node.type === 'heading')
    .map((node) => `${'#'.repeat(node.depth ?? 0)} ${textOf(node)}`);
}

/** The top-level nodes under a heading (by its text), up to the next heading of its depth or less. */
export function section(root: MdNode, title: string): MdNode[] {
  const nodes = root.children ?? [];
  const start = nodes.findIndex((node) => node.type === 'heading' && textOf(node) === title);
  if (start < 0) throw new Error(`no heading "${title}" in: ${outline(root).join(' / ')}`);
  const depth = nodes[start]?.depth ?? 1;
  const out: MdNode[] = [];
  for (const node of nodes.slice(start + 1)) {
    if (node.type === 'heading' && (node.depth ?? 0) <= depth) break;
    out.push(node);
  }
  return out;
}

/** Every item of the lists among `nodes` (not nested ones): the text of its first paragraph, its
 * task box, and every block in it. */
export function items(
  nodes: readonly MdNode[],
): Array<{ text: string; checked: boolean | null; blocks: MdNode[] }> {
  return nodes
    .filter((node) => node.type === 'list')
    .flatMap((list) => list.children ?? [])
    .map((item) => ({
      text: item.children?.[0] ? textOf(item.children[0]) : '',
      checked: item.checked ?? null,
      blocks: item.children ?? [],
    }));
}

/** Every code block in `nodes`, at any depth. */
export function codeBlocks(
  nodes: readonly MdNode[],
): Array<{ lang: string | null; value: string }> {
  const out: Array<{ lang: string | null; value: string }> = [];
  const visit = (node: MdNode): void => {
    if (node.type === 'code') out.push({ lang: node.lang ?? null, value: node.value ?? '' });
    node.children?.forEach(visit);
  };
  nodes.forEach(visit);
  return out;
}

/** The cells of the first table among `nodes`, header row first. */
export function tableCells(nodes: readonly MdNode[]): string[][] {
  const table = nodes.find((node) => node.type === 'table');
  if (!table) throw new Error('no table');
  return (table.children ?? []).map((row) => (row.children ?? []).map(textOf));
}

/** The types of every node in a tree (to assert that none is a heading, HTML, …). */
export function nodeTypes(nodes: readonly MdNode[]): Set<string> {
  const types = new Set<string>();
  const visit = (node: MdNode): void => {
    types.add(node.type);
    node.children?.forEach(visit);
  };
  nodes.forEach(visit);
  return types;
}
