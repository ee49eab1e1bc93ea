import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  controlRequest,
  journalInput,
  journalOutputs,
  journalRequest,
  parseJournal,
  parseShow,
  statusOutputs,
  systemd,
  timestamp,
} from './systemd.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/systemd');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const { actions } = systemd;

describe('systemd: commands', () => {
  it('reads status as machine-readable properties, with timestamps in UTC', () => {
    const input = actions.status.input.parse({ unit: 'fondation-worker' });
    expect(actions.status.describe(input)).toBe(
      'TZ=UTC systemctl show --no-pager --property=Id,Description,LoadState,ActiveState,SubState,UnitFileState,FragmentPath,Result,MainPID,ExecMainStartTimestamp,ExecMainStatus,NRestarts,MemoryCurrent,StateChangeTimestamp -- fondation-worker',
    );
  });

  it('adds --user for the user service manager', () => {
    const input = actions.is_active.input.parse({ unit: 'sync.service', user: true });
    expect(actions.is_active.describe(input)).toBe('systemctl --user is-active -- sync.service');
    expect(
      actions.restart.describe(actions.restart.input.parse({ unit: 'sync', user: true })),
    ).toBe('systemctl --user --no-ask-password restart -- sync');
  });

  it('declares stop destructive and the other unit commands write', () => {
    expect(actions.stop.effect).toBe('destructive');
    expect([actions.start.effect, actions.restart.effect, actions.reload.effect]).toEqual([
      'write',
      'write',
      'write',
    ]);
    expect([actions.status.effect, actions.is_active.effect, actions.journal.effect]).toEqual([
      'read',
      'read',
      'read',
    ]);
  });

  it('turns a bare duration into a relative --since and passes the other filters through', () => {
    const input = journalInput.parse({
      unit: 'fondation-worker',
      since: '30m',
      until: '2024-05-13 10:00',
      lines: 50,
      priority: 'err',
      grep: 'lease expired',
    });
    expect(journalRequest(input).args).toEqual([
      '-u',
      'fondation-worker',
      '--since',
      '-30m',
      '--until',
      '2024-05-13 10:00',
      '-n',
      '50',
      '-p',
      'err',
      '--grep',
      'lease expired',
      '-o',
      'json',
      '--no-pager',
      '--quiet',
    ]);
    expect(
      actions.journal.describe(actions.journal.input.parse({ unit: 'x', since: '1 hour ago' })),
    ).toBe("journalctl -u x --since '1 hour ago' -n 100 -o json --no-pager --quiet");
  });

  it('puts a unit starting with "-" after --, where systemctl reads it as a unit', () => {
    expect(controlRequest('restart', { unit: '--all' }).args).toEqual([
      '--no-ask-password',
      'restart',
      '--',
      '--all',
    ]);
    expect(actions.status.describe(actions.status.input.parse({ unit: '-.mount' }))).toMatch(
      / -- -\.mount$/,
    );
  });

  it('refuses a unit name with a space, line break or NUL, and unknown keys', () => {
    for (const unit of ['a b', 'a\nb', 'a\0b'])
      expect(actions.status.input.safeParse({ unit }).error?.issues[0]?.message).toBe(
        'a unit name has no spaces, line breaks or NUL characters',
      );
    expect(actions.status.input.safeParse({ unit: 'x', host: 'y' }).success).toBe(false);
    expect(actions.journal.input.safeParse({ unit: 'x', priority: 'loud' }).success).toBe(false);
  });
});

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
