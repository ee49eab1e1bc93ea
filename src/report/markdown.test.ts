import { describe, expect, it } from 'vitest';
import {
  codeBlocks,
  items,
  parseMarkdown,
  tableCells,
  textOf,
} from '../../test/helpers/markdown.js';
import { mdCode, mdFence, mdTable, mdText } from './markdown.js';

const paragraph = (md: string) => parseMarkdown(md).children?.[0];

describe('markdown', () => {
  it.each([
    '`starts with a backtick',
    'ends with one`',
    'a `` run ``` of them',
    '  spaces  ',
    '   ',
    'line\nbreak',
  ])('mdCode keeps %j in one code span', (value) => {
    const node = paragraph(`x ${mdCode(value)} y`);
    expect(node?.children?.map((child) => child.type)).toEqual(['text', 'inlineCode', 'text']);
    expect(node?.children?.[1]?.value).toBe(value.replace('\n', ' '));
  });

  it.each([
    '# h',
    '- item',
    '+ item',
    '1. item',
    '2) item',
    '> quote',
    '===',
    '<b>x</b>',
    '&amp;',
    '*a* _b_ ~c~',
    '[l](u) ![i](u)',
    'a\\',
  ])('mdText keeps %j as text at the start of a line', (value) => {
    const root = parseMarkdown(mdText(value));
    expect(root.children?.map((child) => child.type)).toEqual(['paragraph']);
    expect(textOf(root)).toBe(value);
  });

  it('mdFence holds backtick fences and keeps its lines, inside a list item too', () => {
    const value = '```\n````js\nend\n~~~';
    expect(codeBlocks(parseMarkdown(mdFence(value, '', 'sh')).children ?? [])).toEqual([
      { lang: 'sh', value },
    ]);
    const list = parseMarkdown(`- item\n\n${mdFence(value, '  ')}\n- next`);
    expect(items(list.children ?? []).map((item) => item.text)).toEqual(['item', 'next']);
    expect(codeBlocks(list.children ?? [])).toEqual([{ lang: null, value }]);
  });

  it('mdTable keeps a pipe inside its cell', () => {
    expect(
      tableCells(parseMarkdown(mdTable(['a', 'b'], [['x | y', '`z|`']])).children ?? []),
    ).toEqual([
      ['a', 'b'],
      ['x | y', '`z|`'],
    ]);
  });
});
