import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journalOutputs, parseJournal, parseShow, statusOutputs, timestamp } from './parse.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/systemd');

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe('systemd: parsing recorded output', () => {
  it('reads a running unit', () => {
    const outputs = statusOutputs(parseShow(fixture('show-active.txt')));
    expect(outputs).toMatchObject({
      unit: 'fondation-worker.service',
      description: 'Fondation job worker',
      load_state: 'loaded',
      active_state: 'active',
      sub_state: 'running',
      unit_file_state: 'enabled',
      result: 'success',
      active: true,
      main_pid: 4242,
      started_at: '2024-05-13T09:12:44.000Z',
      exit_status: 0,
      restarts: 0,
      memory_bytes: 187604992,
    });
  });

  it('reads a failed unit: no process, the result and the restart count', () => {
    expect(statusOutputs(parseShow(fixture('show-failed.txt')))).toMatchObject({
      active: false,
      active_state: 'failed',
      sub_state: 'failed',
      result: 'exit-code',
      main_pid: 0,
      exit_status: 1,
      restarts: 5,
      memory_bytes: null,
      state_changed_at: '2024-05-13T09:41:09.000Z',
    });
  });

  it('reads a unit that does not exist: empty values are null', () => {
    expect(statusOutputs(parseShow(fixture('show-not-found.txt')))).toMatchObject({
      load_state: 'not-found',
      fragment_path: null,
      unit_file_state: null,
      started_at: null,
    });
  });

  it('reads timestamps in UTC, unix and with microseconds; others are null', () => {
    expect(timestamp('Tue 2024-05-14 03:02:11 UTC')).toBe('2024-05-14T03:02:11.000Z');
    expect(timestamp('Tue 2024-05-14 03:02:11.123456 UTC')).toBe('2024-05-14T03:02:11.123Z');
    expect(timestamp('@1715655731')).toBe('2024-05-14T03:02:11.000Z');
    expect(timestamp('Tue 2024-05-14 05:02:11 CEST')).toBeNull();
    expect(timestamp('')).toBeNull();
  });

  it('reads journal JSON lines: time, priority, pid, and messages that are not UTF-8', () => {
    const entries = parseJournal(fixture('journal.jsonl'));
    expect(entries).toHaveLength(7);
    expect(entries[0]).toEqual({
      timestamp: '2024-05-13T09:40:58.123Z',
      message: 'worker ready: polling convex every 5s, concurrency 2',
      priority: 6,
      level: 'info',
      pid: 4242,
      identifier: 'node',
      unit: 'fondation-worker.service',
    });
    expect(entries[3]?.message).toBe('job 8f3c payload: \uFFFD\uFFFD (not UTF-8)');
    expect(entries[5]).toMatchObject({
      message: 'fondation-worker.service: Main process exited, code=exited, status=1/FAILURE',
      level: 'notice',
      pid: 1,
      identifier: 'systemd',
      unit: 'fondation-worker.service',
    });
    const outputs = journalOutputs(entries);
    expect(outputs).toMatchObject({ count: 7, errors: 3, warnings: 2 });
    expect(outputs.text).toContain('ERROR job 8f3c lease expired');
    expect(outputs.last_at).toBe('2024-05-13T09:41:01.214Z');
  });

  it('says which journal line is not JSON', () => {
    expect(() => parseJournal('{"MESSAGE":"ok"}\nnot json\n')).toThrow('line 2 is not JSON');
  });
});
