import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { plainScalar, readYamlFast } from './yaml-fast.js';

// The fast reader must give what the yaml library gives, or leave the text to it: whenever it
// answers, the library reads the same text without an error or a warning, to the same data (the
// same values, key order and own properties). fast-check prints the seed and the smallest
// counterexample when a property fails.

const ROOT = join(import.meta.dirname, '../..');
const RUNS = { mutations: 2000, generated: 3000, scalars: 2000 } as const;

/** What the loader gets from the library: the data of a clean document, else undefined. */
function library(text: string): unknown {
  const doc = parseDocument(text, {
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
    strict: true,
    logLevel: 'error',
  });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

/** The fast reader answers only as the library does. */
function agrees(text: string): boolean {
  const fast = readYamlFast(text);
  if (fast === undefined) return true;
  const expected = library(text);
  return expected !== undefined && isDeepStrictEqual(fast, expected);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

// The shipped runbooks, not their scenario files (docs/testing.md): those are read by the same
// reader, with the library as its fallback, and checked with the rest of the repository below.
const SHIPPED = yamlFiles(join(ROOT, 'runbooks'))
  .filter((file) => !file.endsWith('.test.yaml'))
  .map((file) => readFileSync(file, 'utf8'));
const REPOSITORY = ['runbooks', 'test', 'examples'].flatMap((dir) => yamlFiles(join(ROOT, dir)));

describe('the fast YAML reader', () => {
  it('reads every shipped runbook, to the data the library gives', () => {
    expect(SHIPPED.length).toBeGreaterThan(10);
    for (const text of SHIPPED) {
      const fast = readYamlFast(text);
      expect(fast).toBeDefined();
      expect(isDeepStrictEqual(fast, library(text))).toBe(true);
    }
  });

  it('agrees with the library on every YAML file of the repository', () => {
    for (const file of REPOSITORY) expect(agrees(readFileSync(file, 'utf8')), file).toBe(true);
  });

  it.each([
    [
      'mappings, sequences and flow',
      'a: 1\nb: [x, y]\nc: { d: "e\\tf", g: h }\nd:\n- 1\n- e: 2\n  f: 3\n',
    ],
    [
      'block scalars',
      'a: |\n  one\n\n   two\n  three\nb: >-\n  folded\n  text\n\n  p\n    more\n  back\n',
    ],
    [
      'multi-line plain and quoted',
      "a: foo\n  bar\n\n  baz # c\nb: 'it''s\n  here'\nc: \"x\\\n  y\"\n",
    ],
    ['keys that are inherited names', '__proto__: 1\nconstructor: 2\ntoString: { valueOf: 3 }\n'],
    ['keys that are not strings', '1: x\n0x10: y\nnull: z\ntrue: w\n'],
    [
      'the core schema',
      'a: -1\nb: .5\nc: 1e3\nd: 0o17\ne: ~\nf:\ng: .NaN\nh: -.inf\ni: 0x1F\nj: +12\nk: 1_0\n',
    ],
    [
      'comments everywhere',
      '# head\na:    # after a key\n  # inside\n  b: 1 # after a value\n# between\nc: [1, 2] # after a flow\n',
    ],
  ])('reads %s as the library does', (_name, text) => {
    expect(readYamlFast(text)).toBeDefined();
    expect(agrees(text)).toBe(true);
  });

  it.each([
    ['an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a merge', 'a: { b: 1 }\nc:\n  <<: { b: 2 }\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key in a flow mapping', 'a: { b: 1, b: 2 }\n'],
    ['a duplicate inherited name', '__proto__: 1\n__proto__: 2\n'],
    ['a key given as a number and as text', '1: a\n"1": b\n'],
    ['a tab', 'a:\n\tb: 1\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a list at the top', '- a\n'],
    ['a scalar at the top', 'a\n'],
    ['a mapping in a value', 'a: b: c\n'],
    ['an unclosed quote', 'a: "b\n'],
    ['an invalid escape', 'a: "\\q"\n'],
    ['a kept block scalar', 'a: |+\n  x\n\n'],
    ['a line of spaces in a block scalar', 'a: |\n  x\n   \n  y\n'],
    ['a byte order mark', '\ufeffa: 1\n'],
  ])('leaves %s to the library', (_name, text) => {
    expect(readYamlFast(text)).toBeUndefined();
  });

  it('resolves plain scalars as the library does', () => {
    const scalar = fc.oneof(
      fc.stringMatching(/^[-+.0-9eExXoOa-fA-F_:~nNuUlLtTrRsS ]{0,8}$/),
      fc.constantFrom('null', 'Null', 'NULL', 'true', 'True', 'FALSE', '.inf', '-.Inf', '.NaN'),
    );
    fc.assert(
      fc.property(scalar, (source) => {
        const doc = parseDocument(`v: ${source}\n`, { strict: true });
        if (doc.errors.length > 0 || source !== source.trim()) return true;
        const expected: unknown = (doc.toJS() as { v: unknown }).v;
        return Object.is(plainScalar(source.trim()), expected);
      }),
      { numRuns: RUNS.scalars },
    );
  });

  it('agrees with the library on mutated shipped runbooks', () => {
    const piece = fc.constantFrom(...PIECES);
    const change = fc.tuple(
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      fc.integer({ min: 0, max: 5 }),
      piece,
    );
    fc.assert(
      fc.property(
        fc.nat(SHIPPED.length - 1),
        fc.array(change, { minLength: 1, maxLength: 4 }),
        (index, changes) => agrees(mutate(SHIPPED[index] ?? '', changes)),
      ),
      { numRuns: RUNS.mutations },
    );
  });

  it('agrees with the library on documents made up at random', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, node), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 2, 4),
        fc.boolean(),
        (entries, step, zeroIndented) =>
          agrees(
            entries.map(([k, v]) => `${k}:${render(v, 0, step, true, zeroIndented)}`).join(''),
          ),
      ),
      { numRuns: RUNS.generated },
    );
  });
});

/** Pieces of YAML syntax that mutations insert. */
const PIECES = [
  ': ',
  ':',
  '- ',
  '-',
  '? ',
  '#',
  ' #',
  '\n',
  '\n  ',
  '\n    ',
  '\n- ',
  '  ',
  ' ',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  ',',
  '|',
  '>',
  '|-',
  '>-',
  '&a',
  '*a',
  '!',
  '\\',
  '\\n',
  '\\"',
  "''",
  'a',
  'b: c',
  '1',
  '0x1F',
  '.5',
  'null',
  '~',
  'true',
  '__proto__',
  '<<',
  '${{ x }}',
  ':x',
  'x:',
  '\n\n',
  '\t',
  '\r\n',
  '%',
  '@',
  '`',
  '---',
  '...',
  'é',
  '\u00a0',
] as const;

/** Inserts, deletes, overwrites, indents, dedents or repeats the line at a place in the text. */
function mutate(text: string, changes: ReadonlyArray<[number, number, string]>): string {
  let out = text;
  for (const [where, kind, piece] of changes) {
    const at = Math.floor(where * out.length);
    if (kind === 0) out = out.slice(0, at) + piece + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1 + (piece.length % 5));
    else if (kind === 2) out = out.slice(0, at) + piece + out.slice(at + piece.length);
    else {
      const start = out.lastIndexOf('\n', at) + 1;
      const end = out.indexOf('\n', at);
      const line = out.slice(start, end < 0 ? out.length : end + 1);
      out =
        kind === 3
          ? out.slice(0, start) + ' '.repeat(1 + (piece.length % 4)) + out.slice(start)
          : kind === 4
            ? out.slice(0, start) + out.slice(start).replace(/^ {1,2}/, '')
            : out.slice(0, start) + line + out.slice(start);
    }
  }
  return out;
}

// Documents made up of the forms runbooks use, with scalars that hold YAML's special characters.
const text = fc.stringMatching(/^[a-zA-Z0-9 .:#'"\-_{}[\],!&*|>~@%`\\/]{0,12}$/);
const scalar = fc.oneof(
  text,
  text.map((s) => JSON.stringify(s)),
  text.map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.constantFrom('1', '-1', '0o7', '0x1f', '1.5', '.inf', '.nan', '1e3', 'null', '~', '', 'true'),
);
const key = fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_ -]{0,8}$/), scalar);

type Node =
  | { kind: 'map'; entries: Array<[string, Node]> }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'scalar'; value: string }
  | { kind: 'flow-seq'; items: string[] }
  | { kind: 'flow-map'; entries: Array<[string, string]> }
  | { kind: 'block'; header: string; lines: string[] };

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.record({ kind: fc.constant('scalar' as const), value: scalar }),
    fc.record({
      kind: fc.constant('flow-seq' as const),
      items: fc.array(scalar, { maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('flow-map' as const),
      entries: fc.array(fc.tuple(key, scalar), { maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('block' as const),
      header: fc.constantFrom('|', '|-', '>', '>-', '|+', '|2'),
      lines: fc.array(
        fc.oneof(
          text,
          fc.constant(''),
          text.map((s) => `  ${s}`),
        ),
        { maxLength: 4 },
      ),
    }),
    fc.record({
      kind: fc.constant('map' as const),
      entries: fc.array(fc.tuple(key, tie('node')), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constant('seq' as const),
      items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    }),
  ),
})).node;

/** A node as the value after `key:` (`atKey`) or `-`, its parent at column `indent`. */
function render(n: Node, indent: number, step: number, atKey: boolean, zero: boolean): string {
  const pad = ' '.repeat(indent);
  const inner = pad + ' '.repeat(step);
  switch (n.kind) {
    case 'scalar':
      return ` ${n.value}\n`;
    case 'flow-seq':
      return ` [${n.items.join(', ')}]\n`;
    case 'flow-map':
      return ` {${n.entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}\n`;
    case 'block':
      return ` ${n.header}\n${n.lines.map((line) => (line === '' ? '' : inner + line)).join('\n')}\n`;
    case 'map':
      return `\n${n.entries.map(([k, v]) => `${inner}${k}:${render(v, inner.length, step, true, zero)}`).join('')}`;
    case 'seq': {
      const at = zero && atKey ? pad : inner;
      return `\n${n.items.map((v) => `${at}-${render(v, at.length, step, false, zero)}`).join('')}`;
    }
  }
}
