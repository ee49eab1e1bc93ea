import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processes } from '../../src/cli/processes.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { runRunbook } from '../../src/engine/run.js';
import { json, parseJournal, runCli, startServer, tempDir } from '../helpers/cli.js';
import { engineRunbook, engineRunOptions } from '../helpers/engine.js';

/** Escalation rules of `when:` (docs/format.md#escalation): each fires once, is journaled, shown
 * and sent to the team on a real local webhook. */

const FAILING = `id: db-down
title: Database down
severity: P1
diagnosis:
  - { id: look, run: "true", effect: read }
resolution:
  - { id: restart-db, run: "echo cannot restart >&2; exit 3" }
verification:
  - { id: healthy, run: "true", effect: read }
rollback:
  - { id: restore, run: "exit 4" }
  - { id: never-reached, run: "true" }
escalation:
  - { id: restart-failed, when: { failed: restart-db }, to: DBA, via: slack, contact: "+1 555 0100" }
  - { when: step_failed, to: Incident lead }
  - { when: rollback_started, to: Team }
  - { id: rollback-failed, when: rollback_failed, to: CTO, via: phone }
  - { when: { failed: look }, to: Nobody }
  - { when: rollback_failed, severity: P3, to: Nobody at P3 }
`;

const CONFIG =
  'severity_policies:\n  P1:\n    notify_on_start: { slack_webhook_env: INCIDENT_SLACK_WEBHOOK }\n';

function setUp(runbook: string): { path: string; state: string; remove: () => void } {
  const dir = tempDir();
  mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
  writeFileSync(join(dir.path, 'runbooks/db-down.yaml'), runbook);
  writeFileSync(join(dir.path, 'runbook.config.yaml'), CONFIG);
  return { path: dir.path, state: join(dir.path, 'state'), remove: dir.remove };
}

function journalOf(state: string): Array<Record<string, unknown>> {
  const [file] = readdirSync(join(state, 'runs'));
  return parseJournal(readFileSync(join(state, 'runs', file ?? ''), 'utf8'));
}

describe('escalation on what happened', () => {
  const dirs: Array<() => void> = [];
  afterAll(() => {
    for (const remove of dirs) remove();
  });

  it('a step failure, any step failing, the rollback starting and failing: each fires once, journaled, shown and sent', async () => {
    const dir = setUp(FAILING);
    dirs.push(dir.remove);
    const posts: string[] = [];
    const slack = await startServer((_request, response, body) => {
      posts.push((JSON.parse(body) as { text: string }).text);
      json(response, 200, { ok: true });
    });
    const result = await runCli(['run', 'db-down', '--format', 'json'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: dir.state, INCIDENT_SLACK_WEBHOOK: `${slack.url}/hook/T0/B0` },
    });
    await slack.close();
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      status: string;
      escalations: Array<Record<string, unknown>>;
      run_id: string;
    };
    expect(doc.status).toBe('failed');
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string;
    expect(doc.escalations).toEqual([
      {
        rule: 'restart-failed',
        when: 'if restart-db fails',
        reason: 'restart-db failed',
        step: 'restart-db',
        to: 'DBA',
        via: 'slack',
        contact: '+1 555 0100',
        at,
        notified: true,
      },
      {
        rule: 'escalation[1]',
        when: 'if a step fails',
        reason: 'restart-db failed',
        step: 'restart-db',
        to: 'Incident lead',
        via: null,
        contact: null,
        at,
        notified: true,
      },
      {
        rule: 'escalation[2]',
        when: 'if the rollback starts',
        reason: 'the rollback started',
        step: null,
        to: 'Team',
        via: null,
        contact: null,
        at,
        notified: true,
      },
      {
        rule: 'rollback-failed',
        when: 'if the rollback fails',
        reason: 'the rollback failed at restore',
        step: 'restore',
        to: 'CTO',
        via: 'phone',
        contact: null,
        at,
        notified: true,
      },
    ]);
    // stdout is the JSON document: each escalation was announced on stderr as it fired.
    expect(result.stderr.split('\n').filter((line) => line.startsWith('escalation:'))).toEqual([
      'escalation: restart-db failed: escalate to DBA via slack (+1 555 0100) (rule restart-failed)',
      'escalation: restart-db failed: escalate to Incident lead (rule escalation[1])',
      'escalation: the rollback started: escalate to Team (rule escalation[2])',
      'escalation: the rollback failed at restore: escalate to CTO via phone (rule rollback-failed)',
    ]);
    const run = doc.run_id;
    expect(posts).toEqual([
      expect.stringMatching(/^Incident runbook "Database down" \(db-down\) started by .+: run /),
      `"Database down": restart-db failed: escalate to DBA via slack (run ${run}, rule restart-failed)`,
      `"Database down": restart-db failed: escalate to Incident lead (run ${run}, rule escalation[1])`,
      `"Database down": the rollback started: escalate to Team (run ${run}, rule escalation[2])`,
      `"Database down": the rollback failed at restore: escalate to CTO via phone (run ${run}, rule rollback-failed)`,
    ]);
    const journal = journalOf(dir.state);
    const kinds = journal
      .filter((event) => /^(escalation|notify|step\.end|section\.start)/.test(String(event.type)))
      .map((event) =>
        event.type === 'step.end'
          ? `${String(event.id)} ${String(event.status)}`
          : event.type === 'section.start'
            ? `section ${String(event.section)}`
            : event.type === 'notify'
              ? `notify ${String(event.purpose)} ${String(event.ok)}`
              : `${String(event.type)} ${String(event.rule)}`,
      );
    // Each rule once, right after what set it off; the notifications as they are answered.
    expect(kinds.filter((kind) => !kind.startsWith('notify'))).toEqual([
      'section diagnosis',
      'look succeeded',
      'section resolution',
      'restart-db failed',
      'escalation.triggered restart-failed',
      'escalation.triggered escalation[1]',
      'section rollback',
      'escalation.triggered escalation[2]',
      'restore failed',
      'escalation.triggered rollback-failed',
    ]);
    expect(kinds.filter((kind) => kind.startsWith('notify'))).toEqual([
      'notify start true',
      'notify escalation true',
      'notify escalation true',
      'notify escalation true',
      'notify escalation true',
    ]);
    // The whole event, as the incident report reads it; the webhook's address never in it.
    expect(journal.find((event) => event.rule === 'restart-failed')).toEqual({
      type: 'escalation.triggered',
      ts: at,
      rule: 'restart-failed',
      when: 'if restart-db fails',
      reason: 'restart-db failed',
      step: 'restart-db',
      to: 'DBA',
      via: 'slack',
      contact: '+1 555 0100',
    });
    expect(JSON.stringify(journal)).not.toContain('/hook/T0/B0');
    expect(journal.at(-1)?.type).toBe('run.end');

    // The incident report tells it.
    const report = await runCli(['report', run], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: dir.state },
    });
    expect(report.code).toBe(0);
    expect(
      report.stdout
        .split('\n')
        .filter((line) => line.includes('Escalated (rule'))
        .map((line) => line.replace(/^.*? Escalated/, 'Escalated')),
    ).toEqual([
      'Escalated (rule `restart-failed`): restart-db failed: DBA via slack (\\+1 555 0100)',
      'Escalated (rule `escalation[1]`): restart-db failed: Incident lead',
      'Escalated (rule `escalation[2]`): the rollback started: Team',
      'Escalated (rule `rollback-failed`): the rollback failed at restore: CTO via phone',
    ]);
  });

  it('a rule fires once a run: runbook resume, failing at the same step again, does not fire it again', async () => {
    const dir = setUp(FAILING.replace(/rollback:\n(?: {2}- .*\n)+/, ''));
    dirs.push(dir.remove);
    const env = { RUNBOOK_STATE_DIR: dir.state };
    const first = await runCli(['run', 'db-down', '--format', 'json'], { cwd: dir.path, env });
    expect(first.code).toBe(1);
    const { run_id: run } = JSON.parse(first.stdout) as { run_id: string };
    const again = await runCli(['resume', run, '--format', 'json'], { cwd: dir.path, env });
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).not.toHaveProperty('escalations');
    const journal = journalOf(dir.state);
    expect(journal.filter((event) => event.type === 'run.resume')).toHaveLength(1);
    expect(
      journal
        .filter((event) => event.type === 'step.end' || event.type === 'escalation.triggered')
        .map((event) =>
          String(
            event.type === 'step.end' ? `${String(event.id)} ${String(event.status)}` : event.rule,
          ),
        ),
    ).toEqual([
      'look succeeded',
      'restart-db failed',
      'restart-failed',
      'escalation[1]',
      'restart-db failed',
    ]);
  });

  it('a notification that fails is reported, never fatal: the run ends as it would have', async () => {
    const dir = setUp(FAILING);
    dirs.push(dir.remove);
    const slack = await startServer((_request, response) => json(response, 500, { ok: false }));
    const result = await runCli(['run', 'db-down', '--format', 'json'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: dir.state, INCIDENT_SLACK_WEBHOOK: `${slack.url}/hook` },
    });
    await slack.close();
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      reason: string;
      escalations: Array<{ rule: string; notified: boolean; notify_error?: string }>;
    };
    expect(doc.reason).toBe('step restart-db failed: exited with code 3');
    expect(doc.escalations.map((e) => [e.rule, e.notified, e.notify_error])).toEqual([
      ['restart-failed', false, expect.stringContaining('500')],
      ['escalation[1]', false, expect.stringContaining('500')],
      ['escalation[2]', false, expect.stringContaining('500')],
      ['rollback-failed', false, expect.stringContaining('500')],
    ]);
    const notified = journalOf(dir.state).filter((event) => event.type === 'notify');
    expect(notified.map((event) => [event.purpose, event.ok])).toEqual([
      ['start', false],
      ['escalation', false],
      ['escalation', false],
      ['escalation', false],
      ['escalation', false],
    ]);
  });

  it('nobody acknowledges a manual step within its time: the rule fires while the prompt waits, once; one answered in time does not', async () => {
    const yaml = `id: ack
title: Needs a person
severity: P1
resolution:
  - { id: page-owner, manual: Page the database owner. }
  - { id: wipe, run: "true", effect: destructive }
  - { id: confirm-quickly, run: "true", confirm: true }
escalation:
  - { id: nobody-answers, when: { unacknowledged: page-owner, within: 50ms }, to: db-oncall, via: slack }
  - { id: wipe-waits, when: { unacknowledged: wipe, within: 1h }, to: Lead }
  - { id: approved-before, when: { unacknowledged: confirm-quickly, within: 1ms }, to: Nobody }
`;
    const dir = tempDir();
    dirs.push(dir.remove);
    const found = await engineRunbook('ack.yaml', yaml, dir.path);
    const events: EngineEvent[] = [];
    // The person answers only once the escalation has been announced: no timer races it.
    let escalated!: () => void;
    const announced = new Promise<void>((resolve) => (escalated = resolve));
    const asked: string[] = [];
    const news: string[] = [];
    const started = Date.now();
    const result = await runRunbook({
      ...engineRunOptions(found, 'ack.yaml', dir.path),
      approvals: { steps: new Set(['confirm-quickly']), all: false, allCoversDestructive: true },
      policy: {
        escalationTimers: false,
        notify: (sent) => {
          news.push(
            sent.purpose === 'escalation' && 'reason' in sent
              ? `${sent.rule}: ${sent.reason} → ${sent.to} via ${String(sent.via)}`
              : sent.purpose,
          );
          return Promise.resolve({ ok: true });
        },
      },
      ports: {
        processes,
        prompter: {
          confirm: (request) => {
            asked.push(`confirm ${request.step}`);
            return Promise.resolve(true);
          },
          acknowledge: async (request) => {
            asked.push(`acknowledge ${request.step}`);
            await announced;
            return { by: 'oncall' };
          },
        },
        events: {
          show: (event) => {
            events.push(event);
            if (event.type === 'escalation.triggered') escalated();
          },
        },
      },
    });
    expect(result.status).toBe('succeeded');
    expect(asked).toEqual(['acknowledge page-owner', 'confirm wipe']);
    const order = events
      .filter((event) => /^(escalation|step\.end)/.test(event.type))
      .map((event) =>
        event.type === 'step.end'
          ? `${event.id} ${event.status}`
          : event.type === 'escalation.triggered'
            ? `${event.rule}: ${event.reason}`
            : event.type,
      );
    expect(order).toEqual([
      'nobody-answers: nobody acknowledged page-owner within 50ms',
      'page-owner succeeded',
      'wipe succeeded',
      'confirm-quickly succeeded',
    ]);
    expect(events.filter((event) => event.type === 'notify')).toHaveLength(2);
    expect(news).toEqual([
      'start',
      'nobody-answers: nobody acknowledged page-owner within 50ms → db-oncall via slack',
    ]);
    expect(result.escalations).toEqual([
      {
        rule: 'nobody-answers',
        when: 'if nobody acknowledges page-owner within 50ms',
        reason: 'nobody acknowledged page-owner within 50ms',
        step: 'page-owner',
        to: 'db-oncall',
        via: 'slack',
        at: expect.any(String) as string,
        notified: true,
      },
    ]);
    // The 1h timer of wipe was disarmed when wipe was confirmed: the run did not wait for it.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('nobody approves a step with approval: within its time: the rule fires while the run waits for the approval, then the approval lets it go on', async () => {
    const yaml = `id: approve-late
title: Needs another person
severity: P1
resolution:
  - { id: roll-back, run: "true", approval: { by: other } }
escalation:
  - { id: lead-asleep, when: { unacknowledged: roll-back, within: 30ms }, to: Engineering lead, via: phone }
`;
    const dir = tempDir();
    dirs.push(dir.remove);
    const found = await engineRunbook('approve-late.yaml', yaml, dir.path);
    const events: EngineEvent[] = [];
    // The approval comes only once the escalation has been announced: no timer races it.
    let escalated!: () => void;
    const announced = new Promise<void>((resolve) => (escalated = resolve));
    const waited: string[] = [];
    const result = await runRunbook({
      ...engineRunOptions(found, 'approve-late.yaml', dir.path),
      approvals: { steps: new Set(), all: false, allCoversDestructive: false },
      policy: { escalationTimers: false, notify: () => Promise.resolve({ ok: true }) },
      ports: {
        processes,
        approver: async (request) => {
          waited.push(`${request.step} by ${request.by}`);
          await announced;
          return { by: 'lead' };
        },
        events: {
          show: (event) => {
            events.push(event);
            if (event.type === 'escalation.triggered') escalated();
          },
        },
      },
    });
    expect(result.status).toBe('succeeded');
    expect(waited).toEqual(['roll-back by other']);
    expect(
      events
        .filter((event) => /^(escalation|step\.end|step\.confirm)/.test(event.type))
        .map((event) =>
          event.type === 'step.end'
            ? `${event.id} ${event.status}`
            : event.type === 'escalation.triggered'
              ? `${event.rule}: ${event.reason}`
              : event.type === 'step.confirm'
                ? `${event.step} approved by ${'by' in event ? event.by : '?'}`
                : event.type,
        ),
    ).toEqual([
      'lead-asleep: nobody acknowledged roll-back within 30ms',
      'roll-back approved by lead',
      'roll-back succeeded',
    ]);
  });
});
