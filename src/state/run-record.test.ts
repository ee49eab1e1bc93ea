import { describe, expect, it } from 'vitest';
import { parseJournal } from './journal-reader.js';
import { runRecord } from './run-record.js';

const START = {
  type: 'run.start',
  ts: '2026-12-06T10:00:00.000Z',
  run_id: 'r1',
  runbook: { id: 'api-down', title: 'API down', severity: 'P1', service: 'api', file: 'a.yaml' },
  mode: 'execute',
  vars: {},
  user: 'alice',
  host: 'bastion-1',
  pid: 4242,
  journal: '/state/runs/r1.jsonl',
};

function step(id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'step.end',
    ts: '2026-12-06T10:00:01.000Z',
    id,
    name: undefined,
    section: 'diagnosis',
    status,
    effect: 'read',
    command: `check ${id}`,
    exit_code: status === 'failed' ? 1 : 0,
    duration_ms: 5,
    outputs: {},
    attempts: 1,
    ...extra,
  };
}

const lines = (...events: object[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('parseJournal', () => {
  it('leaves out a torn last line and says so', () => {
    const read = parseJournal('j', `${lines(START)}{"type":"step.st`);
    expect(read.events.map((e) => e.type)).toEqual(['run.start']);
    expect(read.torn).toBe(true);
    expect(read.unreadable).toBe(0);
  });

  it('counts whole lines that are not events', () => {
    const read = parseJournal('j', `${lines(START)}not json\n{"no":"type"}\n`);
    expect(read.events).toHaveLength(1);
    expect(read.torn).toBe(false);
    expect(read.unreadable).toBe(2);
  });
});

describe('runRecord', () => {
  it('is undefined for a journal without run.start', () => {
    expect(runRecord(parseJournal('j', lines(step('a', 'succeeded'))), false)).toBeUndefined();
  });

  it('names the failed step of a failed run', () => {
    const end = {
      type: 'run.end',
      ts: '2026-12-06T10:00:03.000Z',
      run_id: 'r1',
      status: 'failed',
      duration_ms: 3000,
      findings: [],
    };
    const rollback = { ...step('undo', 'succeeded'), section: 'rollback' };
    const record = runRecord(
      parseJournal('j', lines(START, step('a', 'succeeded'), step('b', 'failed'), rollback, end)),
      false,
    );
    expect(record?.status).toBe('failed');
    expect(record?.stopped).toEqual({ kind: 'failed', step: 'b' });
    expect(record?.duration_ms).toBe(3000);
    expect(record?.steps.map((s) => s.id)).toEqual(['a', 'b', 'undo']);
  });

  it('tells a crashed run from a running one by its process, and a torn journal is crashed', () => {
    const started = {
      type: 'step.start',
      ts: '2026-12-06T10:00:02.000Z',
      section: 'resolution',
      step: 'restart',
      name: undefined,
      effect: 'write',
      command: 'restart',
    };
    const text = lines(START, step('a', 'succeeded'), started);
    expect(runRecord(parseJournal('j', text), true)?.status).toBe('running');
    const crashed = runRecord(parseJournal('j', text), false);
    expect(crashed?.status).toBe('crashed');
    expect(crashed?.stopped).toEqual({ kind: 'crashed', step: 'restart' });
    expect(runRecord(parseJournal('j', `${text}{"ty`), true)?.status).toBe('crashed');
  });

  it('reads a resumed run as one record of two parts', () => {
    const end = (status: string, ms: number) => ({
      type: 'run.end',
      ts: '2026-12-06T10:05:00.000Z',
      run_id: 'r1',
      status,
      duration_ms: ms,
      findings: [],
    });
    const resume = {
      type: 'run.resume',
      ts: '2026-12-06T10:10:00.000Z',
      run_id: 'r1',
      part: 2,
      mode: 'execute',
      user: 'bob',
      host: 'bastion-2',
      pid: 99,
      from_step: 'b',
    };
    const record = runRecord(
      parseJournal(
        'j',
        lines(
          START,
          step('a', 'succeeded'),
          step('b', 'failed'),
          end('failed', 1000),
          resume,
          step('b', 'succeeded'),
          end('succeeded', 500),
        ),
      ),
      false,
    );
    expect(record?.status).toBe('succeeded');
    expect(record?.stopped).toBeUndefined();
    expect(record?.parts.map((p) => [p.part, p.user, p.status])).toEqual([
      [1, 'alice', 'failed'],
      [2, 'bob', 'succeeded'],
    ]);
    expect(record?.duration_ms).toBe(1500);
    expect(record?.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
    ]);
  });
});

describe('a resumed run', () => {
  it('counts a part that never ended before the next one as crashed', () => {
    const resume = {
      type: 'run.resume',
      ts: '2026-12-06T10:05:00.000Z',
      run_id: 'r1',
      part: 2,
      mode: 'execute',
      user: 'bob',
      host: 'bastion-1',
      pid: 4343,
      from_step: 'b',
    };
    const end = {
      type: 'run.end',
      ts: '2026-12-06T10:06:00.000Z',
      run_id: 'r1',
      status: 'succeeded',
      duration_ms: 60_000,
      findings: [],
    };
    const record = runRecord(
      parseJournal('j', lines(START, step('a', 'succeeded'), resume, step('b', 'succeeded'), end)),
      false,
    );
    expect(record?.parts.map((part) => [part.part, part.status, part.user])).toEqual([
      [1, 'crashed', 'alice'],
      [2, 'succeeded', 'bob'],
    ]);
    expect(record?.status).toBe('succeeded');
  });
});
