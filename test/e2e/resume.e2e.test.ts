import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, parseJournal, runBin, tempDir } from '../helpers/cli.js';

/** `runbook resume`, as a person uses it: the hint a stopped run prints, pasted into a shell. */

const RUNBOOK = `
id: resumable
title: Resumable
severity: P2
vars:
  out: { required: true }
  who: { default: nobody }
  token: { secret: true, env: RESUME_TOKEN }
diagnosis:
  - id: diag
    run: echo "reason=disk-full"
    capture:
      reason: outputs.stdout.trim().split("=")[1]
resolution:
  - id: fix
    when: steps.diag.outputs.reason == "disk-full"
    run: test "$READY" = yes && echo "fixed \${{ steps.diag.outputs.reason }} for \${{ vars.who }}" >> "\${{ vars.out }}/log"
  - id: check-in
    manual: Tell the team about \${{ steps.diag.outputs.reason }}
  - id: wipe
    effect: destructive
    run: echo "wiped after \${{ steps.diag.outputs.reason }}" >> "\${{ vars.out }}/log"
verification:
  - id: verify
    run: printf '%s' "\${{ vars.token }}" > "\${{ vars.out }}/token"
`;

const USER = userInfo().username;

describe('runbook resume', () => {
  let dir: { path: string; remove: () => void };
  let out: string;
  let bin: string;

  beforeEach(() => {
    dir = tempDir('runbook-resume-');
    out = join(dir.path, 'out');
    bin = join(dir.path, 'bin');
    mkdirSync(join(dir.path, 'runbooks'));
    mkdirSync(out);
    mkdirSync(bin);
    writeFileSync(join(dir.path, 'runbooks/resumable.yaml'), RUNBOOK);
    // `runbook` on PATH, as an installed one is, so that a hint can be pasted as printed.
    writeFileSync(join(bin, 'runbook'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'runbook'), 0o755);
  });
  afterEach(() => dir.remove());

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    RUNBOOK_STATE_DIR: join(dir.path, 'state'),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    ...extra,
  });

  function run(extra: string[], vars: Record<string, string> = {}) {
    return runBin(['run', 'resumable', '--var', `out=${out}`, '--var', "who=o'neil", ...extra], {
      cwd: dir.path,
      env: env(vars),
    });
  }

  /** The hint line a stopped run printed: the command alone. */
  function hintOf(stdout: string): string {
    const line = stdout.split('\n').find((l) => l.startsWith('  to continue: '));
    if (!line) throw new Error(`no hint in:\n${stdout}`);
    return line.slice('  to continue: '.length);
  }

  /** Pastes a command into sh, from another directory. */
  function paste(command: string, vars: Record<string, string> = {}) {
    const result = spawnSync('sh', ['-c', command], {
      cwd: '/',
      env: { HOME: process.env.HOME, ...env(vars) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function journal(runId: string): Array<Record<string, unknown>> {
    return parseJournal(readFileSync(join(dir.path, 'state/runs', `${runId}.jsonl`), 'utf8'));
  }

  it('continues after a failure fixed by the environment, an --ack and an --approve, each from the pasted hint', async () => {
    const first = await run(['--non-interactive']);
    expect(first.code).toBe(1);
    const hint = hintOf(first.stdout);
    const runId = /^runbook resume (\S+)$/.exec(hint)?.[1] ?? '';
    expect(hint).toBe(`runbook resume ${runId}`);

    // Still failing: the same command, the same hint.
    const again = paste(`${hint} --non-interactive`);
    expect(again.code).toBe(1);
    expect(hintOf(again.stdout)).toBe(`runbook resume ${runId}`);

    const fixed = paste(`${hint} --non-interactive`, { READY: 'yes' });
    expect(fixed.code).toBe(3);
    expect(fixed.stdout).toContain(`  resuming run ${runId} (part 3) from fix\n`);
    expect(fixed.stdout).toContain('  restored from the journal: diag\n');
    const ack = hintOf(fixed.stdout);
    expect(ack).toBe(`runbook resume ${runId} --ack check-in`);

    const acked = paste(`${ack} --non-interactive`, { READY: 'yes' });
    expect(acked.code).toBe(3);
    const approve = hintOf(acked.stdout);
    expect(approve).toBe(`runbook resume ${runId} --approve wipe`);

    const done = paste(approve, { READY: 'yes', RESUME_TOKEN: 'tok-resumed-1' });
    expect(done.code).toBe(0);
    expect(done.stdout).not.toContain('to continue');
    // The captured reason and the variable were restored for the steps that ran later.
    expect(readFileSync(join(out, 'log'), 'utf8')).toBe(
      "fixed disk-full for o'neil\nwiped after disk-full\n",
    );

    const events = journal(runId);
    expect(events.filter((e) => e.type === 'run.resume').map((e) => [e.part, e.from_step])).toEqual(
      [
        [2, 'fix'],
        [3, 'fix'],
        [4, 'check-in'],
        [5, 'wipe'],
      ],
    );
    expect(
      events.filter((e) => e.type === 'step.confirm').map((e) => [e.step, e.approved, e.by]),
    ).toEqual([
      ['check-in', true, USER],
      ['wipe', true, USER],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'succeeded' });

    const finished = paste(`runbook resume ${runId}`);
    expect(finished.code).toBe(2);
    expect(finished.stderr).toBe(
      `runbook: run ${runId} succeeded: there is nothing to continue\nhint: start a new run: runbook run resumable\n`,
    );
  });

  it('reads a secret again from its environment variable, never from the journal', async () => {
    const secret = 'tok-s3cret-Value-42';
    const first = await run(['--yes', '--non-interactive'], { RESUME_TOKEN: secret });
    expect(first.code).toBe(1);
    const runId = /^runbook resume (\S+)$/.exec(hintOf(first.stdout))?.[1] ?? '';

    const missing = paste(`runbook resume ${runId} --ack check-in`, { READY: 'yes' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `runbook: run ${runId} needs its secret value again: token ($RESUME_TOKEN)\nhint: runbook resume reads secrets from their environment variables, never from the journal: set them and resume again\n`,
    );

    const done = paste(`runbook resume ${runId} --ack check-in`, {
      READY: 'yes',
      RESUME_TOKEN: secret,
    });
    expect(done.code).toBe(0);
    expect(readFileSync(join(out, 'token'), 'utf8')).toBe(secret);
    const bytes = readFileSync(join(dir.path, 'state/runs', `${runId}.jsonl`));
    expect(bytes.includes(secret)).toBe(false);
    const start = journal(runId)[0] as { origin: { secret_vars: string[]; vars: object } };
    expect(start.origin.secret_vars).toEqual(['token']);
    expect(start.origin.vars).toEqual({ out, who: "o'neil" });
  });

  it('refuses when a completed step changed, names it, and goes on with --force', async () => {
    const first = await run(['--non-interactive']);
    expect(first.code).toBe(1);
    const runId = /^runbook resume (\S+)$/.exec(hintOf(first.stdout))?.[1] ?? '';
    const file = join(dir.path, 'runbooks/resumable.yaml');
    writeFileSync(
      file,
      RUNBOOK.replace('echo "reason=disk-full"', 'echo  "reason=disk-full"').replace(
        'test "$READY" = yes &&',
        'test "$READY" = yes  &&',
      ),
    );

    const refused = paste(`runbook resume ${runId}`, { READY: 'yes' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `runbook: the runbook runbooks/resumable.yaml changed under steps run ${runId} completed: diag (changed)\nhint: continue anyway with the steps as they are now: runbook resume ${runId} --force; or start a new run: runbook run resumable\n`,
    );

    const forced = paste(`runbook resume ${runId} --force --yes --ack check-in`, {
      READY: 'yes',
    });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe(
      `note: steps not yet run changed since run ${runId} started; they run as they are now: fix\n`,
    );
    expect(journal(runId).find((e) => e.type === 'run.resume')).toMatchObject({
      part: 2,
      from_step: 'fix',
      restored: ['diag'],
      overridden: { changed_steps: ['diag'], unavailable_outputs: [] },
    });
  });

  it('refuses a run that is not a run id, or that does not exist', async () => {
    const bad = paste('runbook resume ../../etc/passwd');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'runbook: "../../etc/passwd" is not a run id: a run id is made of letters, digits, ".", "_" and "-", never a path\nhint: list the runs with: runbook history\n',
    );
    const none = paste('runbook resume 20260101T000000Z-000000');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      `runbook: no run "20260101T000000Z-000000" in ${join(dir.path, 'state/runs')}\nhint: list the runs with: runbook history\n`,
    );
  });

  it('--from says which skipped steps later steps read the outputs of', async () => {
    const result = await run(['--from', 'wipe', '--non-interactive']);
    expect(result.stderr).toBe(
      'warning: --from wipe starts a new run: the outputs of the steps it skips are missing, and later steps read those of diag (to continue a stopped run with its outputs: runbook resume <run-id>)\n',
    );
  });
});
