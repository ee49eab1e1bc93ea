import type { Nodes } from 'mdast';

/** A node's text, as a person reads it: inline code keeps its backticks, breaks become spaces,
 * nested lists and code blocks are left out. */
export function toText(node: Nodes): string {
  if ('children' in node) {
    let out = '';
    for (const child of node.children as Nodes[]) {
      if (child.type === 'inlineCode') out += `\`${child.value}\``;
      else if (child.type === 'break') out += ' ';
      else if (child.type === 'list' || child.type === 'code') continue;
      else out += toText(child);
      if (child.type === 'paragraph') out += ' ';
    }
    return out.replace(/\s+/g, ' ').trim();
  }
  return 'value' in node && typeof node.value === 'string' && node.type !== 'html'
    ? node.value
    : '';
}
