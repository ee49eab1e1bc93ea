import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../engine/events.js';
import { compareExpectations, type Observed } from './expect.js';

function record(id: string, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    id,
    name: undefined,
    section: 'diagnosis',
    status: 'succeeded',
    effect: 'read',
    command: `check ${id}`,
    exit_code: 0,
    duration_ms: 0,
    outputs: {},
    attempts: 1,
    ...extra,
  };
}

const OBSERVED: Observed = {
  ran: ['health', 'restart'],
  findings: ['health'],
  status: 'failed',
  reason: 'step restart failed: exited with code 1',
  exitCode: 1,
  rolledBack: ['escalate'],
  escalated: ['restart-failed', 'escalation[2]'],
  records: new Map([
    ['health', record('health', { outputs: { status: 503, json: { ok: false } } })],
    ['restart', record('restart', { command: 'pm2 restart api', outputs: { count: 2n } })],
    ['escalate', record('escalate', { command: undefined })],
  ]),
};

describe('comparing a run with what a scenario expects', () => {
  it('says nothing when every expectation holds (a CEL integer equals the number written)', () => {
    expect(
      compareExpectations(
        {
          ran: ['health', 'restart'],
          skipped: ['force-start'],
          commands: { restart: 'pm2 restart api' },
          outputs: { health: { status: 503, json: { ok: false } }, restart: { count: 2 } },
          findings: ['health'],
          status: 'failed',
          exit_code: 1,
          rollback: true,
          escalated: ['restart-failed', 'escalation[2]'],
        },
        OBSERVED,
      ),
    ).toEqual([]);
  });

  it('says, per expectation, what was expected and what happened', () => {
    expect(
      compareExpectations(
        {
          ran: ['health'],
          skipped: ['restart'],
          commands: { restart: 'pm2 restart web', escalate: 'x', missing: 'y' },
          outputs: { health: { status: 200, latency_ms: 5 }, missing: { a: 1 } },
          findings: [],
          status: 'succeeded',
          exit_code: 0,
          rollback: false,
          escalated: ['escalation[2]'],
        },
        OBSERVED,
      ),
    ).toEqual([
      'ran: expected [health], got [health, restart] (the run ended failed: step restart failed: exited with code 1)',
      'skipped: expected restart not to run, but it ran (succeeded)',
      'commands.restart: expected "pm2 restart web", got "pm2 restart api"',
      'commands.escalate: expected "x", got no command (a manual step)',
      'commands.missing: expected "y", but missing was not reached',
      'outputs.health.status: expected 200, got 503',
      'outputs.health.latency_ms: expected 5, but health has no output latency_ms (it has status, json)',
      'outputs.missing.a: expected 1, but missing was not reached',
      'findings: expected [], got [health]',
      'status: expected succeeded, got failed (step restart failed: exited with code 1)',
      'exit_code: expected 0, got 1',
      'rollback: expected it not to run, but it ran (escalate)',
      'escalated: expected [escalation[2]], got [restart-failed, escalation[2]]',
    ]);
    expect(compareExpectations({ rollback: true }, { ...OBSERVED, rolledBack: [] })).toEqual([
      'rollback: expected it to run, but no rollback step ran',
    ]);
  });
});
