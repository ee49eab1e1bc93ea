import type { Code, Heading, Link, ListItem, Nodes, Paragraph } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { processes } from '../cli/processes.js';
import type { Runbook } from '../schema/runbook.js';
import { exportMarkdown } from './export-md.js';

/** What a runbook's own text holds stays text on the page, as GitHub's CommonMark reads it: no
 * heading, list, HTML, link (but a bare URL's) or fence of its own, and each command is its fence's exact text. */

const HOSTILE = [
  '# a heading?',
  '- a list?',
  '<!-- a comment? <script>alert(1)</script>',
  '*emphasis* and [a link](http://127.0.0.1/x) and a | pipe',
  '1. a numbered list?',
];

function textOf(node: Nodes): string {
  if (node.type === 'inlineCode') return `\`${node.value}\``;
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return 'value' in node && node.type !== 'html' ? String(node.value) : '';
}

function all<T extends Nodes>(node: Nodes, type: T['type']): T[] {
  const found: T[] = node.type === type ? [node as T] : [];
  if ('children' in node)
    for (const child of node.children as Nodes[]) found.push(...all<T>(child, type));
  return found;
}

describe('exportMarkdown', () => {
  it('keeps hostile titles, names, instructions and commands as what they are', async () => {
    for (const text of HOSTILE) {
      const command = `printf '%s\\n' ${JSON.stringify(text)}\n\`\`\`\necho done`;
      const runbook = {
        id: 'hostile',
        title: `${text}\nsecond line`,
        diagnosis: [
          { id: 'one', name: text, run: command, effect: 'read' },
          { id: 'two', manual: `${text}\n\nand more` },
        ],
      } as unknown as Runbook;
      const page = await exportMarkdown(runbook, { registry: createRegistry(), ports: processes });
      // GitHub shows the front matter as a table; the rest is CommonMark with its extensions.
      expect(page.startsWith('---\nid: hostile\n---\n\n'), text).toBe(true);
      const tree = fromMarkdown(page.slice('---\nid: hostile\n---\n\n'.length), {
        extensions: [gfm()],
        mdastExtensions: [gfmFromMarkdown()],
      });
      expect(all(tree, 'html'), text).toEqual([]);
      // A bare URL is a link on GitHub, to itself: a text makes no link of its own.
      expect(
        all<Link>(tree, 'link').filter((link) => textOf(link) !== link.url),
        text,
      ).toEqual([]);
      expect(
        all<Heading>(tree, 'heading').map((heading) => [heading.depth, textOf(heading)]),
        text,
      ).toEqual([
        [1, `${text} second line`],
        [2, 'Diagnosis'],
      ]);
      const items = all<ListItem>(tree, 'listItem');
      expect(
        items.map((item) => textOf(item.children[0] as Paragraph)),
        text,
      ).toEqual([`\`one\` — ${text}`, '`two`']);
      expect(
        items[1]?.children.map((child) => textOf(child)),
        text,
      ).toEqual(['`two`', text, 'and more']);
      expect(
        all<Code>(tree, 'code').map((code) => [code.lang, code.value]),
        text,
      ).toEqual([['sh', command]]);
    }
  });
});
