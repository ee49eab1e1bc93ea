/**
 * What runbook reads of cel-js's syntax tree: nodes, their children, and the source text of a
 * call's arguments (to rewrite `x.matches(p)` as `re2_matches(x, p)`, see expressions.ts).
 */

/** A node of cel-js's syntax tree: `start` and `end` are offsets into the source. */
export interface AstNode {
  op: string;
  args: unknown;
  start: number;
  end: number;
}

export function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as AstNode).op === 'string';
}

export function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const visit = (value: unknown): void => {
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  visit(node.args);
  return out;
}

/** The first call of `name` (as `x.name(…)` or `name(…)`): where it is, and the source text of
 * its arguments, receiver first. */
export function findCall(
  ast: unknown,
  name: string,
  text: string,
): { start: number; end: number; args: string[] } | undefined {
  if (!isNode(ast)) return undefined;
  const args = Array.isArray(ast.args) ? (ast.args as unknown[]) : [];
  if (ast.op === 'call' && args[0] === name) {
    const list = (args[1] as unknown[]).filter(isNode);
    return { start: ast.start, end: ast.end, args: list.map((arg) => sourceOf(text, arg).text) };
  }
  if (ast.op === 'rcall' && args[0] === name && isNode(args[1])) {
    const receiver = sourceOf(text, args[1]);
    const rest = (args[2] as unknown[]).filter(isNode).map((arg) => sourceOf(text, arg).text);
    return {
      start: Math.min(ast.start, receiver.start),
      end: ast.end,
      args: [receiver.text, ...rest],
    };
  }
  for (const child of children(ast)) {
    const found = findCall(child, name, text);
    if (found) return found;
  }
  return undefined;
}

/**
 * The source of a node. cel-js keeps no node for parentheses, and a node starts where its first
 * operand does: in `((a) + b)` the sum starts at `a`, after its `(`. The range is widened over
 * the parentheses it leaves unbalanced, and those around it, so that the text is the expression.
 */
export function sourceOf(
  text: string,
  node: AstNode,
): { start: number; end: number; text: string } {
  let depth = 0;
  let lowest = 0;
  for (let i = node.start; i < node.end; i++) {
    const char = text[i];
    if (char === '"' || char === "'") i = stringEnd(text, i) - 1;
    else if (char === '(') depth++;
    else if (char === ')') lowest = Math.min(lowest, --depth);
  }
  let start = node.start;
  for (let open = -lowest; open > 0 && start > 0;) {
    const char = text[--start];
    if (char === '(') open--;
    else if (!/\s/.test(char ?? ''))
      return { start: node.start, end: node.end, text: text.slice(node.start, node.end) };
  }
  let end = node.end;
  for (let close = depth - lowest; close > 0 && end < text.length; end++) {
    const char = text[end];
    if (char === ')') close--;
    else if (!/\s/.test(char ?? '')) break;
  }
  // `(true).matches(p)`: parentheses around the whole node are part of its source too.
  for (;;) {
    const before = text.slice(0, start).search(/\(\s*$/);
    const after = /^\s*\)/.exec(text.slice(end));
    if (before < 0 || !after) break;
    start = before;
    end += after[0].length;
  }
  return { start, end, text: text.slice(start, end) };
}

/** Where the string literal that opens at `at` ends (after its closing quote): '…', "…", or
 * tripled; a raw string (r"…", just before `at`) has no escapes. */
function stringEnd(text: string, at: number): number {
  const quote = text[at] ?? '"';
  const raw = /[rR]/.test(text[at - 1] ?? '') || /[rR][bB]|[bB][rR]/.test(text.slice(at - 2, at));
  const close = text.startsWith(quote.repeat(3), at) ? quote.repeat(3) : quote;
  for (let i = at + close.length; i < text.length; i++) {
    if (!raw && text[i] === '\\') i++;
    else if (text.startsWith(close, i)) return i + close.length;
  }
  return text.length;
}
