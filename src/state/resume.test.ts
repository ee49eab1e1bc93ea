import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunOrigin } from '../engine/events.js';
import type { Runbook } from '../schema/runbook.js';
import { JOURNAL_CAPTURE_CHARS, JOURNAL_STRING_CHARS, Journal } from './journal.js';
import { parseJournal, readJournal } from './journal-reader.js';
import { planResume } from './resume.js';
import { runRecord, type RunRecord } from './run-record.js';

const INFO = { id: 'rb', title: 'RB', severity: undefined, service: undefined, file: 'rb.yaml' };

function end(id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'step.end' as const,
    ts: '2026-12-06T10:00:01.000Z',
    id,
    name: undefined,
    section: 'diagnosis' as const,
    status: status as 'succeeded',
    effect: 'read' as const,
    command: id,
    exit_code: 0,
    duration_ms: 1,
    outputs: {},
    attempts: 1,
    ...extra,
  };
}

const RUNBOOK = {
  id: 'rb',
  title: 'RB',
  diagnosis: [
    { id: 'a', run: 'echo a', capture: { v: 'outputs.stdout' } },
    { id: 'b-two', run: 'echo b' },
  ],
  resolution: [
    { id: 'c', when: 'steps.a.outputs.v != ""', run: 'echo ${{ steps.b_two.outputs.body }}' },
  ],
  rollback: [{ id: 'undo', run: 'echo undo' }],
} as unknown as Runbook;

const ORIGIN: RunOrigin = {
  runbook_sha256: 'f1',
  step_hashes: { a: 'h-a', 'b-two': 'h-b', c: 'h-c', undo: 'h-u' },
  dirs: ['/rb'],
  cwd: '/',
  vars: {},
  secret_vars: [],
  approved: [],
  approve_all: false,
};

describe('a journal continued and its captured values', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps captured values up to 1 MiB and names the outputs it cut', () => {
    const journal = Journal.open(dir, 'r1');
    const captured = 'c'.repeat(JOURNAL_STRING_CHARS * 3);
    const body = 'b'.repeat(JOURNAL_STRING_CHARS + 5);
    const huge = 'h'.repeat(JOURNAL_CAPTURE_CHARS + 1);
    journal.write(
      end('a', 'succeeded', { outputs: { v: captured, body, huge }, captured: ['v', 'huge'] }),
    );
    journal.close();
    const [event] = readJournal(journal.path).events as Array<ReturnType<typeof end>>;
    expect(event?.outputs).toEqual({
      v: captured,
      body: `${'b'.repeat(JOURNAL_STRING_CHARS)}… [5 more characters]`,
      huge: `${'h'.repeat(JOURNAL_CAPTURE_CHARS)}… [1 more characters]`,
    });
    expect(event).toMatchObject({ cut_outputs: ['body', 'huge'] });
  });

  it('appends to an existing journal, ending a torn last line first', () => {
    const journal = Journal.open(dir, 'r2');
    journal.write(end('a', 'succeeded'));
    journal.close();
    appendFileSync(journal.path, '{"type":"step.st');
    const again = Journal.append(dir, 'r2');
    again.write(end('b', 'succeeded'));
    again.close();
    const read = readJournal(journal.path);
    expect(read.events.map((e) => (e as { id: string }).id)).toEqual(['a', 'b']);
    expect([read.torn, read.unreadable]).toEqual([false, 1]);
    expect(readFileSync(journal.path, 'utf8').endsWith('\n')).toBe(true);
  });
});

describe('planResume', () => {
  const record = (...events: object[]): RunRecord => {
    const made = runRecord(
      parseJournal(
        'j',
        [
          {
            type: 'run.start',
            ts: 't',
            run_id: 'r',
            runbook: INFO,
            mode: 'execute',
            vars: {},
            user: 'u',
            host: 'h',
            pid: 1,
            journal: 'j',
          },
          ...events,
        ]
          .map((e) => `${JSON.stringify(e)}\n`)
          .join(''),
      ),
      false,
    );
    if (!made) throw new Error('no run');
    return made;
  };

  it('takes the completed steps before the first that did not succeed, never the rollback', () => {
    const plan = planResume(
      record(end('a', 'succeeded', { outputs: { v: 'x' } }), end('b-two', 'failed'), {
        ...end('undo', 'succeeded'),
        section: 'rollback',
      }),
      ORIGIN,
      RUNBOOK,
      ORIGIN.step_hashes,
      'f1',
    );
    expect(plan.completed.map((step) => [step.id, step.outputs])).toEqual([['a', { v: 'x' }]]);
    expect([plan.from, plan.changed, plan.removed, plan.changedLater, plan.unavailable]).toEqual([
      'b-two',
      [],
      [],
      [],
      [],
    ]);
  });

  it('names completed steps that changed or went, and steps to run that changed', () => {
    const plan = planResume(
      record(end('a', 'succeeded'), end('gone', 'succeeded'), end('b-two', 'failed')),
      ORIGIN,
      RUNBOOK,
      { a: 'h-a2', 'b-two': 'h-b2', c: 'h-c', undo: 'h-u' },
      'f2',
    );
    expect([plan.changed, plan.removed, plan.changedLater]).toEqual([['a'], ['gone'], ['b-two']]);
  });

  it('names the outputs later steps read that the journal cut or hid', () => {
    const plan = planResume(
      record(
        end('a', 'succeeded', { redacted_outputs: ['v'] }),
        end('b-two', 'succeeded', { cut_outputs: ['body', 'other'] }),
      ),
      ORIGIN,
      RUNBOOK,
      ORIGIN.step_hashes,
      'f1',
    );
    expect(plan.from).toBe('c');
    expect(plan.unavailable).toEqual([
      { step: 'a', output: 'v', why: 'redacted' },
      { step: 'b-two', output: 'body', why: 'cut' },
    ]);
    // The journal's notes are not part of the records given back to the engine.
    expect(plan.completed.map((step) => Object.keys(step).includes('cut_outputs'))).toEqual([
      false,
      false,
    ]);
  });
});
