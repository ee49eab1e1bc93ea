import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { ruleName, ruleWords, triggerOf } from './escalation.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: {
    file: undefined,
    dirs: [],
    schemes: { default: ['P0', 'P1', 'P2', 'P3', 'P4'] },
    defaultScheme: 'default',
    stateDir: undefined,
    hosts: {},
    adapters: [],
  },
  strict: false,
};

/** Steps of every kind a rule may name: a manual one, a confirm: one, a destructive action, a
 * plain command, and a rollback step. */
const STEPS = `id: db
title: DB down
severity: P1
diagnosis:
  - { id: look, run: "true", effect: read }
  - { id: page, manual: Page the DBA. }
resolution:
  - { id: restart, run: "systemctl restart db", confirm: true }
  - { id: drop, uses: docker.system_prune }
rollback:
  - { id: undo, run: "true" }
escalation:
`;

function load(rules: string) {
  return parseRunbook('db.yaml', Buffer.from(`${STEPS}${rules}`, 'utf8'), OPTIONS);
}

/** `line:col message (hint)` of each diagnostic. */
function problems(rules: string): string[] {
  return load(rules).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

describe('escalation rules: validation', () => {
  it('accepts every form, the old after: included', () => {
    const loaded = load(
      [
        '  - { after: 30m, to: Lead }',
        '  - { id: page-dba, when: { unacknowledged: page, within: 15m }, to: db-oncall, via: slack }',
        '  - { when: { unacknowledged: restart, within: 5m }, to: Lead }',
        '  - { when: { unacknowledged: drop, within: 90s }, to: Lead }',
        '  - { when: { failed: restart }, to: DBA, contact: "+1 555 0100" }',
        '  - { when: step_failed, to: Anyone }',
        '  - { when: rollback_started, to: Team }',
        '  - { when: rollback_failed, severity: P1, to: CTO }',
        '',
      ].join('\n'),
    );
    expect(loaded.diagnostics).toEqual([]);
    const rules = loaded.runbook?.escalation ?? [];
    expect(rules.map((rule, index) => `${ruleName(rule, index)}: ${ruleWords(rule)}`)).toEqual([
      'escalation[0]: after 30m: escalate to Lead',
      'page-dba: if nobody acknowledges page within 15m: escalate to db-oncall via slack',
      'escalation[2]: if nobody acknowledges restart within 5m: escalate to Lead',
      'escalation[3]: if nobody acknowledges drop within 90s: escalate to Lead',
      'escalation[4]: if restart fails: escalate to DBA (+1 555 0100)',
      'escalation[5]: if a step fails: escalate to Anyone',
      'escalation[6]: if the rollback starts: escalate to Team',
      'escalation[7]: if the rollback fails (P1): escalate to CTO',
    ]);
    expect(rules.map(triggerOf)).toEqual([
      { kind: 'after', after: '30m' },
      { kind: 'unacknowledged', step: 'page', within: '15m' },
      { kind: 'unacknowledged', step: 'restart', within: '5m' },
      { kind: 'unacknowledged', step: 'drop', within: '90s' },
      { kind: 'failed', step: 'restart' },
      { kind: 'failed' },
      { kind: 'rollback_started' },
      { kind: 'rollback_failed' },
    ]);
  });

  it('names a misspelt step, at its line and column, with the one meant', () => {
    expect(
      problems(
        '  - { when: { unacknowledged: pgae, within: 15m }, to: A }\n  - { when: { failed: restrat }, to: B }\n  - { when: { failed: nothing-like-it }, to: C }\n  - { when: { unacknowledged: lok, within: 1m }, to: D }\n',
      ),
    ).toEqual([
      '13:31 unknown step "pgae": the runbook has no such step (did you mean "page"?)',
      '14:23 unknown step "restrat": the runbook has no such step (did you mean "restart"?)',
      '15:23 unknown step "nothing-like-it": the runbook has no such step (its steps: look, page, restart, drop, undo)',
      '16:31 unknown step "lok": the runbook has no such step (its steps: look, page, restart, drop, undo)',
    ]);
  });

  it('refuses an unacknowledged: step that never waits for a person', () => {
    expect(problems('  - { when: { unacknowledged: look, within: 15m }, to: A }\n')).toEqual([
      '13:31 step "look" never waits for a person: it is not manual:, confirm: true, destructive or approval: (name a manual step, or one that asks for a confirmation (confirm: true); for a step that fails, use when: { failed: <step> })',
    ]);
  });

  it('wants after: or when:, one of them, and one event in when:', () => {
    expect(
      problems(
        [
          '  - { to: A }',
          '  - { after: 5m, when: rollback_failed, to: B }',
          '  - { when: {}, to: C }',
          '  - { when: { failed: restart, unacknowledged: page, within: 1m }, to: D }',
          '  - { when: { unacknowledged: page }, to: E }',
          '  - { when: { failed: restart, within: 1m }, to: F }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '13:5 an escalation rule needs after: (a time) or when: (an event) (after: 30m, or when: { unacknowledged: <step>, within: 15m }, { failed: <step> }, step_failed, rollback_started, rollback_failed)',
      '14:24 an escalation rule has after: or when:, not both (write two rules)',
      '15:7 when: names one event: { failed: <step> } or { unacknowledged: <step>, within: <duration> }',
      '16:48 when: names one event: failed or unacknowledged, not both (write two rules)',
      '17:7 unacknowledged: needs within: how long nobody answers (when: { unacknowledged: page, within: 15m })',
      '18:40 within: goes with unacknowledged:, not failed: (a failure escalates as it happens)',
    ]);
  });

  it('refuses an unknown event word, an unknown key and a bad duration, through the schema', () => {
    expect(
      problems(
        [
          '  - { when: rollback_fails, to: A }',
          '  - { when: { faild: restart }, to: B }',
          '  - { when: { unacknowledged: page, within: soon }, to: C }',
          '  - { id: twice, when: step_failed, to: D }',
          '  - { id: twice, when: rollback_failed, to: E }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '13:13 escalation[0].when: expected step_failed, rollback_started, rollback_failed, { failed: <step> } or { unacknowledged: <step>, within: <duration> }',
      '14:15 unknown key "faild" (did you mean "failed"?)',
      '15:45 escalation[2].when.within: expected a duration such as 500ms, 30s, 5m or 1h',
      '17:11 duplicate escalation rule id "twice" (also escalation[3])',
    ]);
  });
});
