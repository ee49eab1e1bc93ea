import { Document, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { libraryYaml } from './emit.js';
import { WRITE_OPTIONS, writeYaml } from './yaml-write.js';

const none = { flow: new Set<object>(), comments: new Map<object, string>() };

/** Strings whose writing the library decides: quoting, block scalars, folding, type look-alikes. */
const HOSTILE = [
  'plain words',
  'true',
  'False',
  'null',
  '~',
  '',
  '42',
  '0x1F',
  '1e3',
  '.inf',
  'yes',
  'a: b',
  'a #b',
  '#comment',
  '- item',
  '-',
  '? q',
  "it's",
  '"quoted"',
  '{ flow }',
  '[list]',
  'a, b',
  '*alias',
  '&anchor',
  '!tag',
  '%directive',
  '---',
  '...',
  '@at',
  '`tick',
  'trailing space ',
  ' leading space',
  'tab\there',
  'line one\nline two',
  'line one\n\nline three\n',
  'ends with newline\n',
  'ends with two\n\n',
  '  indented\nfirst line',
  'bell\u0007',
  'emoji ✅ and é',
  'x'.repeat(99),
  'x'.repeat(100),
  'x'.repeat(101),
  'word '.repeat(40).trim(),
  'a:b',
  'C:\\path\\to',
  'echo "$HOME" && ls | grep -v x > /tmp/out 2>&1',
  'http://127.0.0.1:8080/health?x=1#frag',
  '${{ vars.x }}',
];

describe('writeYaml', () => {
  it('writes every hostile string as the yaml library does, as a value, a key, a list item and in a flow map', () => {
    for (const text of HOSTILE) {
      const flowMap = { [text]: text, b: 1 };
      const stepWith = { [text]: text, b: 1 };
      const data = {
        value: text,
        nested: { deeper: { value: text } },
        list: [text, 'b'],
        [text || 'empty']: 'key',
        flow: flowMap,
        steps: [{ id: 'one', run: text, with: stepWith }],
      };
      const layout = {
        flow: new Set<object>([flowMap, stepWith]),
        comments: new Map<object, string>(),
      };
      const expected = libraryYaml(data, layout);
      const written = writeYaml(data, layout);
      // Keep chomping (`|+`, a value ending in two newlines) is left to the library.
      if (written === undefined) expect(text).toBe('ends with two\n\n');
      else expect({ text, yaml: written }).toEqual({ text, yaml: expected });
    }
  });

  it('writes a runbook shape: block lists of maps, flow maps, comments above items', () => {
    const checkWith = { url: 'http://127.0.0.1:8080/health', timeout: '10s' };
    const step = { id: 'check', name: 'Check health', uses: 'curl.get', with: checkWith };
    const escalation = { after: '15m', to: 'On-call: Jane Doe' };
    const data = {
      id: 'api-disk-full',
      title: 'Disk full',
      severity: ['P1', 'P2'],
      vars: { service: { description: '<service> in a.md:3', required: true } },
      diagnosis: [step, { id: 'df', run: 'df -h', effect: 'read' }],
      escalation: [escalation],
      empty: {},
      none: [],
    };
    const layout = {
      flow: new Set<object>([checkWith, escalation]),
      comments: new Map<object, string>([
        [step, ' a guess: timeout\n left for a person'],
        [escalation, ' after: a guess'],
      ]),
    };
    const yaml = writeYaml(data, layout);
    expect(yaml).toBe(
      [
        'id: api-disk-full',
        'title: Disk full',
        'severity:',
        '  - P1',
        '  - P2',
        'vars:',
        '  service:',
        '    description: <service> in a.md:3',
        '    required: true',
        'diagnosis:',
        '  # a guess: timeout',
        '  # left for a person',
        '  - id: check',
        '    name: Check health',
        '    uses: curl.get',
        '    with: { url: http://127.0.0.1:8080/health, timeout: 10s }',
        '  - id: df',
        '    run: df -h',
        '    effect: read',
        'escalation:',
        '  # after: a guess',
        '  - { after: 15m, to: "On-call: Jane Doe" }',
        'empty: {}',
        'none: []',
        '',
      ].join('\n'),
    );
    expect(yaml).toBe(libraryYaml(data, layout));
  });

  it('breaks a flow map over lines past 100 characters, as the library does', () => {
    const long = {
      url: `http://127.0.0.1/${'a'.repeat(60)}`,
      method: 'POST',
      body: 'x'.repeat(30),
    };
    const data = { steps: [{ id: 'post', with: long }] };
    const layout = { flow: new Set<object>([long]), comments: new Map<object, string>() };
    const yaml = writeYaml(data, layout);
    expect(yaml).toBe(libraryYaml(data, layout));
    expect(yaml).toContain(
      `    with:\n      {\n        url: http://127.0.0.1/${'a'.repeat(60)},\n`,
    );
  });

  it('leaves to the library what it does not lay out: null, non-integers, an object met twice', () => {
    expect(writeYaml({ a: null }, none)).toBeUndefined();
    expect(writeYaml({ a: 1.5 }, none)).toBeUndefined();
    const shared = { PGHOST: 'db' };
    expect(writeYaml({ a: { env: shared }, b: { env: shared } }, none)).toBeUndefined();
    // …which the library writes with an anchor and an alias.
    expect(libraryYaml({ a: { env: shared }, b: { env: shared } }, none)).toBe(
      'a:\n  env: &a1\n    PGHOST: db\nb:\n  env: *a1\n',
    );
  });

  it('uses the options the importer always wrote with', () => {
    const text = 'word '.repeat(40).trim();
    expect(writeYaml({ summary: text }, none)).toBe(
      new Document({ summary: text }).toString(WRITE_OPTIONS),
    );
    expect(writeYaml({ summary: text }, none)).not.toBe(stringify({ summary: text }));
  });
});
