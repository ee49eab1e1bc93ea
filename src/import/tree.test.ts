import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown.js';

/** A node as the importer reads it: its type, line(s), and what it holds. */
function shape(node: Record<string, unknown>): unknown {
  const position = node.position as { start: { line: number }; end: { line: number } } | undefined;
  const out: Record<string, unknown> = { type: node.type };
  if (position) out.lines = [position.start.line, position.end.line];
  for (const key of ['depth', 'value', 'lang', 'meta', 'ordered', 'start', 'checked', 'url'])
    if (key in node) out[key] = node[key];
  if (Array.isArray(node.children))
    out.children = (node.children as Array<Record<string, unknown>>).map(shape);
  return out;
}

const tree = (text: string): unknown[] =>
  (shape(parseMarkdown(text).tree as unknown as Record<string, unknown>) as { children: unknown[] })
    .children;

describe('the Markdown tree the importer reads', () => {
  it('keeps front matter apart, and the lines after it those of the file', () => {
    expect(tree('---\ntitle: Disk full\nservice: api\n---\n# Disk\n')).toEqual([
      { type: 'yaml', lines: [1, 4], value: 'title: Disk full\nservice: api' },
      {
        type: 'heading',
        lines: [5, 5],
        depth: 1,
        children: [{ type: 'text', value: 'Disk' }],
      },
    ]);
    // TOML front matter is read as nothing; an unclosed `---` is a rule, not front matter.
    expect(tree('+++\ntitle = "x"\n+++\ntext\n')).toEqual([
      { type: 'paragraph', lines: [4, 4], children: [{ type: 'text', value: 'text' }] },
    ]);
    expect(tree('---\ntitle: x\n')).toEqual([
      { type: 'thematicBreak', lines: [1, 1] },
      { type: 'paragraph', lines: [2, 2], children: [{ type: 'text', value: 'title: x' }] },
    ]);
  });

  it('gives fences their language, text and lines, closed or not, in lists too', () => {
    expect(
      tree(
        '1. Restart:\n\n   ```BASH title\n   systemctl restart api\n   ```\n\n#\n    indented\n',
      ),
    ).toEqual([
      {
        type: 'list',
        lines: [1, 6],
        ordered: true,
        start: 1,
        children: [
          {
            type: 'listItem',
            lines: [1, 6],
            checked: null,
            children: [
              { type: 'paragraph', lines: [1, 1], children: [{ type: 'text', value: 'Restart:' }] },
              {
                type: 'code',
                lines: [3, 5],
                lang: 'BASH',
                meta: 'title',
                value: 'systemctl restart api',
              },
            ],
          },
        ],
      },
      { type: 'heading', lines: [7, 7], depth: 1, children: [] },
      { type: 'code', lines: [8, 8], lang: null, meta: null, value: 'indented' },
    ]);
    expect(tree('# Fix\n\n~~~\nls\n\nmore\n')[1]).toEqual({
      type: 'code',
      lines: [3, 6],
      lang: null,
      meta: null,
      value: 'ls\n\nmore',
    });
  });

  it('marks task-list items, and keeps the rest of their text', () => {
    const [list] = tree(
      '- [ ] Page the owner\n- [x] **Post** the update\n- [y] not a task\n- [ ]\n',
    );
    expect(
      (list as { children: Array<{ checked: unknown; children: unknown[] }> }).children.map(
        (item) => [item.checked, item.children],
      ),
    ).toEqual([
      [
        false,
        [
          {
            type: 'paragraph',
            lines: [1, 1],
            children: [{ type: 'text', value: 'Page the owner' }],
          },
        ],
      ],
      [
        true,
        [
          {
            type: 'paragraph',
            lines: [2, 2],
            children: [
              { type: 'strong', children: [{ type: 'text', value: 'Post' }] },
              { type: 'text', value: ' the update' },
            ],
          },
        ],
      ],
      [
        null,
        [
          {
            type: 'paragraph',
            lines: [3, 3],
            children: [{ type: 'text', value: '[y] not a task' }],
          },
        ],
      ],
      [null, [{ type: 'paragraph', lines: [4, 4], children: [{ type: 'text', value: '[ ]' }] }]],
    ]);
  });

  it('reads tables row by row, with each row’s line', () => {
    expect(tree('| Level | Who |\n|---|---|\n| P1 | `oncall` |\n| P2 | Team \\| lead |\n')).toEqual(
      [
        {
          type: 'table',
          lines: [1, 4],
          children: [
            {
              type: 'tableRow',
              lines: [1, 1],
              children: [
                { type: 'tableCell', children: [{ type: 'text', value: 'Level' }] },
                { type: 'tableCell', children: [{ type: 'text', value: 'Who' }] },
              ],
            },
            {
              type: 'tableRow',
              lines: [3, 3],
              children: [
                { type: 'tableCell', children: [{ type: 'text', value: 'P1' }] },
                { type: 'tableCell', children: [{ type: 'inlineCode', value: 'oncall' }] },
              ],
            },
            {
              type: 'tableRow',
              lines: [4, 4],
              children: [
                { type: 'tableCell', children: [{ type: 'text', value: 'P2' }] },
                { type: 'tableCell', children: [{ type: 'text', value: 'Team | lead' }] },
              ],
            },
          ],
        },
      ],
    );
  });

  it('keeps HTML comments, line breaks in text, links’ text and entities decoded', () => {
    expect(
      tree(
        '<!-- START doctoc -->\n- [Fix](#fix)\n<!-- END doctoc -->\n\nSee [the *docs*](https://x.test) &amp; <br> more\nlines  \nbroken\n',
      ),
    ).toEqual([
      { type: 'html', lines: [1, 1], value: '<!-- START doctoc -->' },
      {
        type: 'list',
        lines: [2, 2],
        ordered: false,
        start: null,
        children: [
          {
            type: 'listItem',
            lines: [2, 2],
            checked: null,
            children: [
              {
                type: 'paragraph',
                lines: [2, 2],
                children: [
                  { type: 'link', url: '#fix', children: [{ type: 'text', value: 'Fix' }] },
                ],
              },
            ],
          },
        ],
      },
      { type: 'html', lines: [3, 3], value: '<!-- END doctoc -->' },
      {
        type: 'paragraph',
        lines: [5, 7],
        children: [
          { type: 'text', value: 'See ' },
          {
            type: 'link',
            url: 'https://x.test',
            children: [
              { type: 'text', value: 'the ' },
              { type: 'emphasis', children: [{ type: 'text', value: 'docs' }] },
            ],
          },
          { type: 'text', value: ' & ' },
          { type: 'html', value: '<br>' },
          { type: 'text', value: ' more\nlines' },
          { type: 'break' },
          { type: 'text', value: 'broken' },
        ],
      },
    ]);
  });
});
