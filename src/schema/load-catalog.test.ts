import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, parseRunbooks, type LoadedRunbook, type ParseOptions } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

// Catalogs: several runbooks in one file, as `---` documents or a `runbooks:` list
// (docs/format.md, "Catalogs and documentation-only runbooks").

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: false,
};

function parse(text: string, strict = false): LoadedRunbook[] {
  return parseRunbooks('catalog.yaml', Buffer.from(text, 'utf8'), { ...OPTIONS, strict });
}

/** Per runbook: its id when valid (else `invalid`), then `file:line:col message` of each problem. */
function outline(text: string, strict = false): string[] {
  return parse(text, strict).flatMap((loaded) => [
    loaded.runbook ? `${loaded.runbook.id} @${loaded.at?.line}:${loaded.at?.col}` : 'invalid',
    ...loaded.diagnostics.map((d) => `  ${d.file}:${d.line}:${d.col} ${d.severity} ${d.message}`),
  ]);
}

const DOCUMENTS = [
  '# GitLab-style alert families',
  '---',
  'id: pg-replication-lag',
  'title: Replication lag',
  'summary: A replica is behind its primary.',
  '---',
  'id: pg-xid-wraparound',
  'title: XID wraparound',
  'diagnosis:',
  '  - id: age',
  '    run: psql -c "select 1"',
  '',
].join('\n');

describe('a file of --- documents', () => {
  it('gives each document as a runbook, located from the top of the file', () => {
    expect(outline(DOCUMENTS)).toEqual(['pg-replication-lag @3:5', 'pg-xid-wraparound @7:5']);
    expect(parse(DOCUMENTS).map((loaded) => loaded.catalog)).toEqual([true, true]);
  });

  it('places each runbook where the library would, without parsing the file with it', () => {
    const text = [
      '# yaml-language-server: $schema=x.json',
      'id:   spaced # a comment',
      'title: One',
      'summary: s',
      '---',
      '# leading comment',
      'title: Two first',
      "id: 'quoted-two'",
      'summary: s',
      '---',
      'id: "dq-three"',
      'title: Three',
      'summary: s',
      '',
    ].join('\n');
    const fast = parse(text).map((loaded) => [loaded.runbook?.id, loaded.at]);
    // The same places when an anchor sends the whole file to the library.
    const library = parse(text.replace('summary: s\n---\nid: "dq', 'summary: &a s\n---\nid: "dq'));
    expect(fast).toEqual([
      ['spaced', { line: 2, col: 7 }],
      ['quoted-two', { line: 8, col: 5 }],
      ['dq-three', { line: 11, col: 5 }],
    ]);
    expect(library.map((loaded) => [loaded.runbook?.id, loaded.at])).toEqual(fast);
  });

  it('says a problem of the second document at its line in the file (fast reader)', () => {
    const text = DOCUMENTS.replace('    run: psql', '    timeout: 1parsec\n    run: psql');
    expect(outline(text)).toEqual([
      'pg-replication-lag @3:5',
      'invalid',
      '  catalog.yaml:11:14 error diagnosis[0].timeout: expected a duration such as 500ms, 30s, 5m or 1h',
    ]);
  });

  it('says it at the same place when the library reads the file (an anchor)', () => {
    const text = DOCUMENTS.replace('summary: A replica', 'summary: &s A replica').replace(
      '    run: psql',
      '    timeout: 1parsec\n    run: psql',
    );
    expect(outline(text)).toEqual([
      'pg-replication-lag @3:5',
      'invalid',
      '  catalog.yaml:11:14 error diagnosis[0].timeout: expected a duration such as 500ms, 30s, 5m or 1h',
    ]);
  });

  it('keeps the other documents when one has a YAML syntax error', () => {
    const text = DOCUMENTS.replace('title: XID wraparound', 'title: "XID wraparound');
    expect(outline(text)).toEqual([
      'pg-replication-lag @3:5',
      'invalid',
      '  catalog.yaml:8:23 error YAML syntax: Missing closing "quote',
    ]);
  });

  it('does not ask a catalog runbook to match the file name, even with --strict', () => {
    expect(outline(DOCUMENTS, true)).toEqual(['pg-replication-lag @3:5', 'pg-xid-wraparound @7:5']);
  });

  it('still asks it of a file of one runbook after a leading ---', () => {
    const loaded = parseRunbook(
      'other.yaml',
      Buffer.from('---\nid: a\ntitle: A\nsummary: S\n'),
      OPTIONS,
    );
    expect(loaded.catalog).toBeUndefined();
    expect(loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '2:5 id "a" does not match the file name "other"',
    ]);
  });

  it('refuses the same id twice in a file, at both places', () => {
    const text = DOCUMENTS.replace('id: pg-xid-wraparound', 'id: pg-replication-lag');
    expect(outline(text)).toEqual([
      'invalid',
      '  catalog.yaml:3:5 error runbook id "pg-replication-lag" is given twice in this file (also at line 7)',
      'invalid',
      '  catalog.yaml:7:5 error runbook id "pg-replication-lag" is given twice in this file (also at line 3)',
    ]);
  });

  it('picks one runbook by id, and says which ids a file holds when none is named', () => {
    const bytes = Buffer.from(DOCUMENTS);
    expect(parseRunbook('catalog.yaml', bytes, OPTIONS, 'pg-xid-wraparound').runbook?.title).toBe(
      'XID wraparound',
    );
    expect(
      parseRunbook('catalog.yaml', bytes, OPTIONS).diagnostics.map(
        (d) => `${d.line}:${d.col} ${d.message}`,
      ),
    ).toEqual([
      '1:1 the file holds 2 runbooks (valid: pg-replication-lag, pg-xid-wraparound): name one by its id',
    ]);
  });

  it('leaves out documents that hold only comments, and refuses a file of nothing else', () => {
    expect(outline(`---\n# nothing\n---\n${DOCUMENTS}---\n`)).toEqual([
      'pg-replication-lag @6:5',
      'pg-xid-wraparound @10:5',
    ]);
    expect(outline('# a\n---\n# b\n---\n')).toEqual([
      'invalid',
      '  catalog.yaml:1:1 error file is empty (only comments)',
    ]);
  });
});

const LIST = [
  'runbooks:',
  '  - id: kube-pod-crash-looping',
  '    title: Pod is crash looping',
  '    detection:',
  '      symptoms: [restarts keep rising]',
  '  - id: kube-job-failed',
  '    title: Job failed',
  '    resolution:',
  '      - id: logs',
  '        run: kubectl logs job/x',
  '        timeout: forever',
  '',
].join('\n');

describe('a runbooks: list', () => {
  it('gives each entry as a runbook, its problems at their lines', () => {
    expect(outline(LIST)).toEqual([
      'kube-pod-crash-looping @2:9',
      'invalid',
      '  catalog.yaml:11:18 error resolution[0].timeout: expected a duration such as 500ms, 30s, 5m or 1h',
    ]);
  });

  it('marks a list of one entry as a catalog too', () => {
    const [only] = parse('runbooks:\n  - id: a\n    title: A\n    summary: S\n');
    expect(only?.runbook?.id).toBe('a');
    expect(only?.catalog).toBe(true);
  });

  it('refuses keys beside runbooks:, and an empty list', () => {
    expect(outline('defaults: {}\nrunbooks: []\n')).toEqual([
      'invalid',
      '  catalog.yaml:1:1 error unknown key "defaults" beside runbooks:',
      '  catalog.yaml:2:1 error runbooks: is a list of at least one runbook',
    ]);
  });

  it('says an entry that is not a mapping where it is', () => {
    expect(outline('runbooks:\n  - id: a\n    title: A\n    summary: S\n  - just text\n')).toEqual([
      'a @2:9',
      'invalid',
      '  catalog.yaml:5:5 error a runbook is a mapping with id, title and steps, not a string',
    ]);
  });

  it('mixes with --- documents', () => {
    expect(
      outline(
        `${LIST.replace('        timeout: forever\n', '')}---\nid: c\ntitle: C\nsummary: S\n`,
      ),
    ).toEqual(['kube-pod-crash-looping @2:9', 'kube-job-failed @6:9', 'c @12:5']);
  });
});

describe('documentation-only runbooks', () => {
  const docOnly = (guidance: string): string[] =>
    outline(`---\nid: a\ntitle: A\n${guidance}---\nid: b\ntitle: B\nsummary: S\n`);

  it.each([
    ['a summary', 'summary: Pods restart\n'],
    ['a description', 'description: |\n  Long text\n'],
    ['symptoms', 'detection:\n  symptoms: [5xx rising]\n'],
    ['escalation', 'escalation:\n  - { after: 10m, to: platform-oncall }\n'],
    ['references', 'references: [https://example.com/runbook]\n'],
  ])('are valid with %s and no steps', (_name, guidance) => {
    // The second runbook's id is on the line after the guidance and the --- line.
    const b = 3 + guidance.split('\n').length + 1;
    expect(docOnly(guidance)).toEqual(['a @2:5', `b @${b}:5`]);
  });

  it('are refused with no steps and no guidance (a blank summary, empty lists)', () => {
    expect(docOnly('summary: "  "\nreferences: []\ndetection: { symptoms: [] }\n')).toEqual([
      'invalid',
      '  catalog.yaml:2:1 error a runbook needs at least one step or detection check, or guidance',
      'b @8:5',
    ]);
  });
});
