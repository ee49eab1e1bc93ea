import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../src/adapters/registry.js';
import { loadConfig } from '../../../src/schema/config.js';
import { loadExpressions } from '../../../src/schema/expressions.js';
import { findRunbookFiles, parseRunbook, type ParseOptions } from '../../../src/schema/load.js';
import { ROOT } from '../../helpers/cli.js';

// Whatever bytes a runbook file holds, the loader answers with diagnostics: it never throws, an
// invalid file always has an error at a real position, and each answer comes in bounded time.
// fast-check prints the seed and the smallest failing input when a property fails.

/** Runs per property: each property stays well under 20 s on a 2-core machine. */
const RUNS = { bytes: 400, strings: 400, yamlish: 600, mutations: 1000 } as const;
/** The longest one parse may take (the shipped runbooks take a few milliseconds). */
/** Far above a parse on an idle machine (milliseconds); a hang or a blow-up is far above it. */
const PARSE_MS = 5000;

// The repository's own settings: the severity schemes the shipped runbooks use; every adapter and
// the whole expression language.
const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: await loadConfig(ROOT, {}),
  strict: false,
};

const SHIPPED = (await findRunbookFiles([`${ROOT}/runbooks`])).map((file) =>
  readFileSync(file, 'utf8'),
);

/** Parses, and checks what the loader promises. */
function loadHolds(bytes: Uint8Array): void {
  const started = performance.now();
  const loaded = parseRunbook('fuzz.yaml', bytes, OPTIONS);
  const ms = performance.now() - started;
  const lines = Buffer.from(bytes).toString('utf8').split('\n').length;
  for (const d of loaded.diagnostics) {
    expect(
      Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1,
      `line of ${d.message}`,
    ).toBe(true);
    expect(Number.isInteger(d.col) && d.col >= 1, `col of ${d.message}`).toBe(true);
    expect(typeof d.message).toBe('string');
  }
  if (loaded.runbook === undefined)
    expect(loaded.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  expect(ms).toBeLessThan(PARSE_MS);
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** Pieces of YAML syntax, and of what runbooks say, that mutations insert. */
const SPECIALS = [
  ': ',
  ':',
  '- ',
  '-',
  '? ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '<<: *a',
  '<<: 1',
  '!!binary ',
  '!!python/object ',
  '!x ',
  '|',
  '|-',
  '>',
  '>+',
  '"',
  "'",
  '#',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '\t',
  '\r\n',
  '\r',
  '\\',
  '\\x',
  '\u0000',
  '\ufeff',
  '\u2028',
  '\u0085',
  '\u00a0',
  '${{',
  '}}',
  '${{ vars.x }}',
  '${{ steps.a.outputs.b }}',
  '${{ 1 + "a" }}',
  '__proto__: ',
  'constructor: ',
  'id: ',
  'run: ',
  'uses: http.get',
  'when: ',
  'timeout: 600h',
  'retry: { attempts: 0 }',
  '.inf',
  '.nan',
  '0x1F',
  '1e400',
  '~',
  'null',
  'yes',
  'on: ',
  '    ',
  '\n',
  '\n\n',
] as const;

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'duplicate-line'; line: number }
  | { kind: 'swap-lines'; line: number; other: number }
  | { kind: 'indent'; line: number; by: number }
  | { kind: 'dedent'; line: number; by: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('delete' as const),
    at: position,
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    text: fc.oneof(
      fc.constantFrom(...SPECIALS),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: position,
    char: fc.oneof(
      fc.constantFrom(...SPECIALS),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
  }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: position }),
  fc.record({ kind: fc.constant('swap-lines' as const), line: position, other: position }),
  fc.record({
    kind: fc.constant('indent' as const),
    line: position,
    by: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    kind: fc.constant('dedent' as const),
    line: position,
    by: fc.integer({ min: 1, max: 8 }),
  }),
);

function mutate(text: string, change: Mutation): string {
  const at = (fraction: number, length: number) => Math.floor(fraction * length);
  const lines = text.split('\n');
  const line = (fraction: number) => at(fraction, lines.length);
  switch (change.kind) {
    case 'delete': {
      const start = at(change.at, text.length);
      return text.slice(0, start) + text.slice(start + change.length);
    }
    case 'insert': {
      const start = at(change.at, text.length + 1);
      return text.slice(0, start) + change.text + text.slice(start);
    }
    case 'replace': {
      const start = at(change.at, text.length);
      return text.slice(0, start) + change.char + text.slice(start + 1);
    }
    case 'duplicate-line': {
      const index = line(change.line);
      lines.splice(index, 0, lines[index] ?? '');
      return lines.join('\n');
    }
    case 'swap-lines': {
      const [a, b] = [line(change.line), line(change.other)];
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'indent': {
      const index = line(change.line);
      lines[index] = ' '.repeat(change.by) + (lines[index] ?? '');
      return lines.join('\n');
    }
    case 'dedent': {
      const index = line(change.line);
      lines[index] = (lines[index] ?? '').replace(new RegExp(`^ {0,${change.by}}`), '');
      return lines.join('\n');
    }
    default: {
      const unreachable: never = change;
      return unreachable;
    }
  }
}

// Hundreds of runs each: on a busy machine they take minutes, not the default 30 s.
describe('parseRunbook never throws, and answers in bounded time', { timeout: 300_000 }, () => {
  it('shipped runbooks to mutate: every one is valid as shipped', () => {
    expect(SHIPPED.length).toBe(42);
    for (const text of SHIPPED) {
      const { runbook, diagnostics } = parseRunbook('x.yaml', utf8(text), OPTIONS);
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(runbook?.id).toBe(/^id: (\S+)$/m.exec(text)?.[1]);
    }
  });

  it(`random bytes (${RUNS.bytes} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => loadHolds(bytes)),
      { numRuns: RUNS.bytes },
    );
  });

  it(`random strings of any code point (${RUNS.strings} runs)`, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => loadHolds(utf8(text))),
      { numRuns: RUNS.strings },
    );
  });

  it(`strings of YAML's special characters and runbook words (${RUNS.yamlish} runs)`, () => {
    const piece = fc.oneof(
      fc.constantFrom(...SPECIALS),
      fc.constantFrom('a', 'b', '1', ' ', 'x: y'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), (pieces) =>
        loadHolds(utf8(`id: a\ntitle: T\n${pieces.join('')}`)),
      ),
      { numRuns: RUNS.yamlish },
    );
  });

  it(`mutations of the shipped runbooks (${RUNS.mutations} runs)`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SHIPPED),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (text, changes) => loadHolds(utf8(changes.reduce(mutate, text))),
      ),
      { numRuns: RUNS.mutations },
    );
  });
});
