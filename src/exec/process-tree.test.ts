import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeStop, matchToken, StepProcesses, tokenOf } from './process-tree.js';

describe('describeStop', () => {
  it('counts what was ended and names what could not be', () => {
    expect(describeStop(undefined)).toBe('its process tree was killed');
    expect(describeStop({ ended: 1, survivors: [] })).toBe(
      'its process tree was killed (1 process)',
    );
    expect(
      describeStop({
        ended: 2,
        survivors: [
          { pid: 1234, command: 'sleep 3001' },
          { pid: 1240, command: 'sudo tail -f /var/log/syslog' },
        ],
      }),
    ).toBe(
      'its process tree was killed (2 processes); 2 could not be ended: pid 1234 sleep 3001, pid 1240 sudo tail -f /var/log/syslog',
    );
    expect(describeStop({ ended: 0, survivors: [], outputHeld: true })).toBe(
      'its process tree was killed; its output was still held open by a process it could not find (out of its session, without RUNBOOK_STEP_TOKEN)',
    );
  });
});

describe('matchToken', () => {
  it('finds a token, or one it starts, among the comma-separated tokens of nested steps', () => {
    expect(matchToken('run1.abc', 'run1')).toBe('run1.abc');
    expect(matchToken('run1.abc', 'run1.abc')).toBe('run1.abc');
    expect(matchToken('outer.x,run1.abc', 'run1')).toBe('run1.abc');
    expect(matchToken('run10.abc', 'run1')).toBeUndefined();
    expect(matchToken(undefined, 'run1')).toBeUndefined();
  });
});

describe('StepProcesses', () => {
  it('finds a process by its token, and ends it', async () => {
    const token = `test-${process.pid}.${Date.now().toString(36)}`;
    const child = spawn('sleep', ['60'], {
      env: { PATH: process.env.PATH, RUNBOOK_STEP_TOKEN: `outer.1,${token}` },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const pid = child.pid ?? -1;
    expect(tokenOf(pid)).toBe(`outer.1,${token}`);
    const tree = new StepProcesses({ groups: [], tokens: [token] });
    expect(tree.find().map((stat) => stat.pid)).toEqual([pid]);
    const report = await tree.stop(2000);
    expect(report).toEqual({ ended: 1, survivors: [] });
    expect(await exited).toBe(null);
  });
});
