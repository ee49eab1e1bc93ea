import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext, ActionOutcome } from '../../../src/adapters/adapter.js';
import { localExec } from '../../../src/exec/local.js';
import { STATUS_PROPERTIES } from '../../../src/adapters/systemd/argv.js';
import { systemd } from '../../../src/adapters/systemd/index.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { installFakeSystemd, type FakeSystemd } from '../../helpers/fake-systemd.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/**
 * PID 1 here is not systemd, so the real systemctl cannot answer: these tests put stand-ins for
 * systemctl and journalctl first on PATH that replay output recorded from systemd 252 and log
 * their argv. One test runs the real systemctl, to show what a machine without systemd answers.
 */

const dir = tempDir('runbook-systemd-');
let fake: FakeSystemd;

function env(): Record<string, string | undefined> {
  return { PATH: `${fake.bin}:${process.env.PATH ?? ''}`, HOME: dir.path };
}

function context(environment: Record<string, string | undefined> = env()): ActionContext {
  const base = {
    signal: timeoutSignal(20_000),
    timeoutMs: undefined,
    env: environment,
    cwd: dir.path,
  };
  return { ...base, exec: localExec(base), host: undefined };
}

function act(
  name: keyof typeof systemd.actions,
  input: Record<string, unknown>,
  environment?: Record<string, string | undefined>,
): Promise<ActionOutcome> {
  const action = systemd.actions[name];
  return action.run(action.input.parse(input), context(environment));
}

const lastCall = () => fake.calls().at(-1);

beforeAll(() => {
  fake = installFakeSystemd(dir.path, {});
});

beforeEach(() => {
  fake.setState('fondation-worker', 'active');
  fake.setState('broken', 'failed');
});

afterAll(() => {
  dir.remove();
  expect(existsSync(dir.path)).toBe(false);
});

describe('systemd actions against systemctl and journalctl (recorded systemd 252 output)', () => {
  it('status runs systemctl show with the properties, in UTC, and reads a running unit', async () => {
    const outcome = await act('status', { unit: 'fondation-worker' });
    expect(lastCall()).toEqual({
      tool: 'systemctl',
      argv: [
        'show',
        '--no-pager',
        `--property=${STATUS_PROPERTIES.join(',')}`,
        '--',
        'fondation-worker',
      ],
      tz: 'UTC',
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({
      unit: 'fondation-worker.service',
      active: true,
      active_state: 'active',
      sub_state: 'running',
      main_pid: 4242,
      started_at: '2024-05-13T09:12:44.000Z',
      restarts: 0,
      memory_bytes: 187604992,
      exit_code: 0,
    });
  });

  it('status of a failed unit succeeds and says failed, for expect to judge', async () => {
    fake.setState('fondation-worker', 'failed');
    const outcome = await act('status', { unit: 'fondation-worker' });
    expect(outcome.ok).toBe(true);
    expect(outcome.error).toBeUndefined();
    expect(outcome.outputs).toMatchObject({
      active: false,
      active_state: 'failed',
      result: 'exit-code',
      restarts: 5,
      main_pid: 0,
      memory_bytes: null,
    });
  });

  it('status of a unit that does not exist fails and says how to find the name', async () => {
    const outcome = await act('status', { unit: 'fondation-wroker' });
    expect(outcome.ok).toBe(false);
    expect(outcome.outputs.load_state).toBe('not-found');
    expect(outcome.error).toBe(
      'unit fondation-wroker not found (LoadState=not-found): check its name with systemctl list-units --all',
    );
  });

  it('is_active: active is exit 0; inactive or failed is exit 3, an answer rather than a failure', async () => {
    const up = await act('is_active', { unit: 'fondation-worker' });
    expect(lastCall()?.argv).toEqual(['is-active', '--', 'fondation-worker']);
    expect(up).toMatchObject({ ok: true, exitCode: 0 });
    expect(up.outputs).toMatchObject({ active: true, state: 'active', exit_code: 0 });

    fake.setState('fondation-worker', 'failed');
    const down = await act('is_active', { unit: 'fondation-worker' });
    expect(down.ok).toBe(true);
    expect(down.error).toBeUndefined();
    expect(down.outputs).toMatchObject({ active: false, state: 'failed', exit_code: 3 });
  });

  it('--user reaches systemctl for the user service manager', async () => {
    await act('is_active', { unit: 'fondation-worker', user: true });
    expect(lastCall()?.argv).toEqual(['--user', 'is-active', '--', 'fondation-worker']);
  });

  it('restart brings a failed unit back; stop takes it down', async () => {
    fake.setState('fondation-worker', 'failed');
    const restarted = await act('restart', { unit: 'fondation-worker' });
    expect(lastCall()?.argv).toEqual(['--no-ask-password', 'restart', '--', 'fondation-worker']);
    expect(restarted).toMatchObject({ ok: true, exitCode: 0 });
    expect(fake.state('fondation-worker')).toBe('active');

    const stopped = await act('stop', { unit: 'fondation-worker' });
    expect(lastCall()?.argv).toEqual(['--no-ask-password', 'stop', '--', 'fondation-worker']);
    expect(stopped.ok).toBe(true);
    expect(fake.state('fondation-worker')).toBe('inactive');
  });

  it("a unit that fails to start reports systemctl's own words", async () => {
    const outcome = await act('start', { unit: 'broken' });
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error).toBe(
      'systemctl start failed (exit 1): Job for broken.service failed because the control process exited with error code.',
    );
    expect(outcome.outputs.stderr).toContain('journalctl -xeu broken.service');
  });

  it('journal runs journalctl -o json and parses the entries, newest last', async () => {
    const outcome = await act('journal', {
      unit: 'fondation-worker',
      since: '1h',
      lines: 20,
      priority: 'err',
    });
    expect(lastCall()).toEqual({
      tool: 'journalctl',
      argv: [
        '-u',
        'fondation-worker',
        '--since',
        '-1h',
        '-n',
        '20',
        '-p',
        'err',
        '-o',
        'json',
        '--no-pager',
        '--quiet',
      ],
      tz: null,
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ count: 3, errors: 3, warnings: 0 });
    const entries = outcome.outputs.entries as Array<Record<string, unknown>>;
    expect(entries.map((entry) => [entry.level, entry.message])).toEqual([
      ['err', 'ERROR job 8f3c lease expired while running (leaseUntil 2024-05-13T09:40:00.000Z)'],
      ['err', 'job 8f3c payload: \uFFFD\uFFFD (not UTF-8)'],
      ['crit', 'FATAL convex client: ECONNRESET after 3 retries; exiting'],
    ]);
    expect(entries[0]).toMatchObject({ timestamp: '2024-05-13T09:41:01.134Z', pid: 4242 });
    // The raw JSON lines are not repeated as stdout/json: entries carry them.
    expect(outcome.outputs).not.toHaveProperty('json');
    expect(outcome.outputs).not.toHaveProperty('stdout');
  });

  it('journal -n keeps the latest entries', async () => {
    const outcome = await act('journal', { unit: 'fondation-worker', lines: 2 });
    const entries = outcome.outputs.entries as Array<Record<string, unknown>>;
    expect(entries.map((entry) => entry.message)).toEqual([
      'fondation-worker.service: Main process exited, code=exited, status=1/FAILURE',
      "fondation-worker.service: Failed with result 'exit-code'.",
    ]);
  });

  it('the real systemctl, where PID 1 is not systemd, fails with its own reason', async () => {
    const booted = existsSync('/run/systemd/system');
    const outcome = await act(
      'is_active',
      { unit: 'runbook-test-nonexistent.service' },
      { PATH: process.env.PATH },
    );
    if (booted) {
      expect(outcome.outputs).toMatchObject({ active: false, state: 'inactive' });
    } else {
      expect(outcome).toMatchObject({
        ok: false,
        unavailable: true,
        error: "System has not been booted with systemd as init system (PID 1). Can't operate.",
        hint: 'systemd units need a machine booted with systemd; run the step there (on: <host>)',
      });
    }
  });
});

/** Fondation's "worker not processing jobs": check the unit, read its errors, restart it. */
const RUNBOOK = `
id: fondation-worker-down
title: Worker not processing jobs
service: fondation-worker
severity: P1
vars:
  unit: { default: fondation-worker }
detection:
  checks:
    - id: worker-active
      uses: systemd.is_active
      with: { unit: "\${{ vars.unit }}" }
      expect: { active: true }
diagnosis:
  - id: worker-status
    uses: systemd.status
    with: { unit: "\${{ vars.unit }}" }
    capture:
      state: outputs.active_state
      restarts: outputs.restarts
  - id: worker-errors
    uses: systemd.journal
    with: { unit: "\${{ vars.unit }}", since: 30m, priority: err, lines: 100 }
    capture:
      errors: outputs.errors
      first_error: outputs.entries[0].message
resolution:
  - id: restart-worker
    when: steps.worker_status.outputs.state == "failed"
    uses: systemd.restart
    with: { unit: "\${{ vars.unit }}" }
verification:
  - id: worker-back
    uses: systemd.is_active
    with: { unit: "\${{ vars.unit }}" }
    expect: { active: true, state: active }
`;

describe('a Fondation runbook on systemd, through the CLI', () => {
  const runbooks = join(dir.path, 'runbooks');

  beforeAll(() => {
    mkdirSync(join(runbooks, 'fondation'), { recursive: true });
    writeFileSync(join(runbooks, 'fondation/fondation-worker-down.yaml'), RUNBOOK);
  });

  it('finds the failed unit, reads its errors, restarts it and verifies it', async () => {
    fake.setState('fondation-worker', 'failed');
    const result = await runCli(
      ['run', 'fondation-worker-down', '--dir', runbooks, '--format', 'json'],
      { cwd: dir.path, env: { ...env(), RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{
        id: string;
        status: string;
        effect: string;
        command: string;
        outputs: Record<string, unknown>;
      }>;
    };
    expect(doc.steps.map((s) => [s.id, s.status, s.effect])).toEqual([
      ['worker-active', 'failed', 'read'],
      ['worker-status', 'succeeded', 'read'],
      ['worker-errors', 'succeeded', 'read'],
      ['restart-worker', 'succeeded', 'write'],
      ['worker-back', 'succeeded', 'read'],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('worker-active')?.outputs).toMatchObject({ active: false, state: 'failed' });
    expect(step('worker-status')?.outputs).toMatchObject({ state: 'failed', restarts: 5 });
    expect(step('worker-errors')?.outputs).toMatchObject({
      errors: 3,
      first_error:
        'ERROR job 8f3c lease expired while running (leaseUntil 2024-05-13T09:40:00.000Z)',
    });
    expect(step('restart-worker')?.command).toBe(
      'systemctl --no-ask-password restart -- fondation-worker',
    );
    expect(step('worker-errors')?.command).toBe(
      'journalctl -u fondation-worker --since -30m -n 100 -p err -o json --no-pager --quiet',
    );
    expect(fake.state('fondation-worker')).toBe('active');
  });

  it('leaves a healthy unit alone', async () => {
    const before = fake.calls().length;
    const result = await runCli(
      ['run', 'fondation-worker-down', '--dir', runbooks, '--format', 'json'],
      { cwd: dir.path, env: { ...env(), RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    const doc = JSON.parse(result.stdout) as { steps: Array<{ id: string; status: string }> };
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['worker-active', 'succeeded'],
      ['worker-status', 'succeeded'],
      ['worker-errors', 'succeeded'],
      ['restart-worker', 'skipped'],
      ['worker-back', 'succeeded'],
    ]);
    expect(result.code).toBe(0);
    const verbs = fake
      .calls()
      .slice(before)
      .map((call) => call.argv.find((arg) => !arg.startsWith('-')));
    expect(verbs).not.toContain('restart');
  });
});
