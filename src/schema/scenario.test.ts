import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { checkScenarios, parseScenarioFile, scenarioFileSchema } from './scenario.js';
import { parseYaml } from './yaml-source.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: false,
};

const RUNBOOK = parseRunbook(
  'api.yaml',
  Buffer.from(`id: api
title: API
severity: [P1, P2]
vars:
  app: { default: api }
diagnosis:
  - id: read-state
    run: echo state
    effect: read
  - id: pick
    manual: Which way?
    choices: [fast, slow]
resolution:
  - id: restart
    run: systemctl restart api
    effect: destructive
  - id: escalate
    manual: Page the owner
`),
  OPTIONS,
).runbook;
if (!RUNBOOK) throw new Error('the fixture runbook is invalid');

/** `line:col message (hint)` of each problem: the file's schema, then the runbook's names. */
function problems(text: string): string[] {
  const parsed = parseScenarioFile('api.test.yaml', Buffer.from(text));
  const diagnostics = parsed.ok
    ? checkScenarios(parsed.source, parsed.file, RUNBOOK as never, { severityLevels: ['P1', 'P2'] })
    : parsed.diagnostics;
  return diagnostics.map((d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
}

describe('scenario files', () => {
  it('accepts a scenario that names only the runbook’s steps, vars and levels', () => {
    expect(
      problems(`scenarios:
  - name: restart
    vars: { app: api }
    severity: P1
    steps:
      read-state: [{ stdout: x }, { exit_code: 1 }]
    answers: { restart: yes, escalate: ack, pick: fast }
    expect: { ran: [read-state, pick, restart, escalate], status: succeeded, exit_code: 0 }
`),
    ).toEqual([]);
  });

  it('names an unknown step id at its line:col, with the step it probably means', () => {
    expect(
      problems(`scenarios:
  - name: typo
    steps:
      read_state: { stdout: x }
    answers:
      restrat: yes
    expect:
      ran: [read-state, escalte]
      commands: { restart: systemctl restart api, nope: x }
`),
    ).toEqual([
      '4:7 unknown step "read_state": runbook api has no such step (did you mean "read-state"?)',
      '6:7 unknown step "restrat": runbook api has no such step (did you mean "restart"?)',
      '8:25 unknown step "escalte": runbook api has no such step (did you mean "escalate"?)',
      '9:51 unknown step "nope": runbook api has no such step (its steps: read-state, pick, restart, escalate)',
    ]);
  });

  it('refuses unknown keys, wrong kinds of answers, and a scenario without expect', () => {
    expect(
      problems(`scenarios:
  - name: bad
    expect: { ran: [], stauts: failed }
  - name: nothing expected
`),
    ).toEqual([
      '3:24 unknown key "stauts" (did you mean "status"?)',
      '4:5 missing required key "expect"',
    ]);
    expect(
      problems(`scenarios:
  - name: answers
    vars: { ap: x }
    severity: P0
    answers: { restart: ack, escalate: maybe, pick: true }
    steps: { escalate: { exit_code: 0 } }
    expect: { skipped: [restart], ran: [restart] }
  - name: answers
    expect: {}
`),
    ).toEqual([
      '3:13 unknown variable "ap" (did you mean "app"?)',
      '4:15 severity "P0" is not one of runbook api\'s (its levels: P1, P2)',
      '5:25 step "restart" can only be confirmed: answer yes (approve) or no (decline) (answers: { restart: yes })',
      '5:40 step "escalate" is a manual step: answer ack (acknowledged) or no (answers: { escalate: ack })',
      '5:53 step "pick" asks a question: its answer is text, not true (quote it if you mean the word: "yes")',
      '6:14 step "escalate" is manual: it has no result (answer it instead: answers: { escalate: ack })',
      '7:25 step "restart" is expected both to run and to be skipped',
      '8:11 duplicate scenario name "answers" (scenario 1 has it too; names are unique in a file)',
    ]);
  });

  it('says what a file that is not a mapping of scenarios is', () => {
    expect(problems('- name: x\n')).toEqual([
      '1:1 a scenario file is a mapping with scenarios: (see docs/testing.md)',
    ]);
    expect(problems('scenarios: []\n')).toEqual(['1:1 scenarios: needs at least 1 item']);
  });

  it('gives every shipped scenario file exactly the data zod gives it, without zod’s parse', () => {
    const root = join(import.meta.dirname, '../../runbooks');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.yaml'))
      .sort();
    // Every runbook has one; more may come.
    expect(files.length).toBeGreaterThanOrEqual(42);
    for (const name of files) {
      const bytes = readFileSync(join(root, name));
      const parsed = parseScenarioFile(name, bytes);
      const read = parseYaml(name, bytes, 'scenario file');
      if (!parsed.ok || !read.ok) throw new Error(`${name} does not parse`);
      expect(parsed.diagnostics, name).toEqual([]);
      expect(parsed.file, name).toStrictEqual(scenarioFileSchema().parse(read.data));
    }
  });
});
