import { describe, expect, it } from 'vitest';
import { systemd } from './index.js';
import { journalInput } from './inputs.js';
import { controlRequest, journalRequest } from './argv.js';

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
