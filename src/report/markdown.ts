// Values from outside (a step's output, a user name, a runbook's text) written into Markdown so
// that they stay what they are on GitHub (CommonMark with its GFM extensions): text stays text,
// never a heading, a list, HTML or a link; code stays in its span or block, whatever it holds.
// src/report/incident-md.test.ts parses what these give with a CommonMark parser.

/** C0 controls (but tab and line breaks) and DEL as their visible Unicode symbols: a NUL becomes ␀. */
function visibleControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (char) =>
    char === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + char.charCodeAt(0)),
  );
}

/** Line breaks of every kind as `\n`. */
function unixLines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * One line of plain text: line breaks become spaces, and every character that could start
 * something else (emphasis, a link, HTML, an entity, a table cell, a heading, a list, a quote) is
 * escaped with a backslash.
 */
export function mdText(value: string): string {
  const line = visibleControls(unixLines(value)).replace(/\n/g, ' ');
  const escaped = line.replace(/[\\`*_[\]<>|~&#!]/g, '\\$&');
  // A line may still start a list or a setext heading underline; the text may be placed first.
  return escaped.replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}

/** An inline code span holding `value` on one line, whatever backticks it holds. */
export function mdCode(value: string): string {
  const line = visibleControls(unixLines(value)).replace(/\n/g, ' ');
  const fence = '`'.repeat(longestRun(line, '`') + 1);
  // A span that starts or ends with a backtick needs a space each side, and so does one that
  // starts and ends with a space (CommonMark strips one from each side, unless it is all spaces).
  if (line === '') return '` `';
  const pad = /^`|`$/.test(line) || (/^ .* $/.test(line) && line.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/**
 * A fenced code block of `value`, each line indented by `indent` (inside a list item). The fence is
 * longer than any run of backticks in the value, so no line of it can close the block.
 */
export function mdFence(value: string, indent = '', info = ''): string {
  const body = visibleControls(unixLines(value)).replace(/\n$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  const lines = [`${fence}${info}`, ...body.split('\n'), fence];
  return lines.map((line) => (line === '' ? '' : `${indent}${line}`)).join('\n');
}

/** A GFM table of plain-text cells (short ones only), each escaped as `mdText` does: a `|` in a
 * cell is always escaped, so it never splits the cell. */
export function mdTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell) => (cell === '' ? ' ' : mdText(cell))).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A value may be quoted in a span when it is one short line; otherwise it needs a block. */
export function fitsInline(value: string, max = 120): boolean {
  return !/[\r\n]/.test(value) && value.length <= max;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}
