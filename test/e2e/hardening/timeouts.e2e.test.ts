import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, parseJournal, runBin, tempDir } from '../../helpers/cli.js';

// A step's timeout, and a signal to runbook, end every process the step started, however it
// escaped its process group; a runbook killed outright leaves them, and the next run names them
// and can end them. Each test finds its processes by a unique `sleep` argument, through /proc.

let dir: { path: string; remove: () => void };
let serial = 0;
const markers: string[] = [];

beforeAll(() => {
  dir = tempDir('runbook-timeouts-');
  mkdirSync(join(dir.path, 'runbooks'));
});
afterAll(() => dir.remove());
// Whatever a failed test left running is not left to the machine.
afterEach(() => {
  for (const marker of markers.splice(0)) for (const pid of sleepers(marker)) kill(pid);
});

/** A `sleep` duration no other process uses: 3001.<our pid><serial> seconds. */
function marker(): string {
  serial += 1;
  const unique = `3001.${process.pid}${String(serial).padStart(3, '0')}`;
  markers.push(unique);
  return unique;
}

/** Live processes whose command line is exactly `sleep <marker>`, from /proc. */
function sleepers(mark: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command line is read only for a live `sleep`: reading another process's can block.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (!stat.includes(' (sleep) ') || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'))
        continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0$/, '');
      if (command === `sleep\0${mark}`) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Polls until `condition` holds, for at most `ms` (a bound, not a pause). */
async function waitFor(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function writeRunbook(id: string, steps: string[]): void {
  writeFileSync(
    join(dir.path, 'runbooks', `${id}.yaml`),
    [`id: ${id}`, `title: ${id}`, 'diagnosis:', ...steps, ''].join('\n'),
  );
}

interface Doc {
  run_id: string;
  status: string;
  steps: Array<{ id: string; status: string; reason?: string; outputs: Record<string, unknown> }>;
}

/** The CLI as a real subprocess, with its pid, so that a test can signal it. */
function startRun(
  id: string,
  stateDir: string,
  extra: string[] = [],
): {
  pid: number;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
} {
  const child = spawn(
    process.execPath,
    [BIN, 'run', id, '--dir', join(dir.path, 'runbooks'), ...extra],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNBOOK_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })),
  );
  return { pid: child.pid ?? -1, stderr: () => stderr, done };
}

const runJson = (id: string, stateDir: string, extra: string[] = []) =>
  runBin(['run', id, '--dir', join(dir.path, 'runbooks'), '--format', 'json', ...extra], {
    env: { RUNBOOK_STATE_DIR: stateDir },
    timeoutMs: 60_000,
  });

function onlyJournal(stateDir: string): Array<Record<string, unknown>> {
  const runs = readdirSync(join(stateDir, 'runs'));
  expect(runs).toHaveLength(1);
  return parseJournal(readFileSync(join(stateDir, 'runs', runs[0] ?? ''), 'utf8'));
}

describe('a step that times out ends every process it started, even those that left its group', () => {
  it.each([
    ['setsid', (m: string) => `setsid sleep ${m} & sleep 100`],
    ['a double fork', (m: string) => `(sh -c 'sleep ${m} &') ; sleep 100`],
    ['nohup', (m: string) => `nohup sleep ${m} > /dev/null 2>&1 & sleep 100`],
  ])('%s', async (how, command) => {
    const mark = marker();
    const id = `escape-${how.replace(/\W+/g, '-')}`;
    writeRunbook(id, ['  - id: slow', `    run: "${command(mark)}"`, '    timeout: 2s']);
    const state = join(dir.path, `state-${id}`);
    const started = Date.now();
    const result = await runJson(id, state);
    const elapsed = Date.now() - started;
    expect(result.code).toBe(1);
    expect(elapsed).toBeLessThan(20_000);
    const doc = JSON.parse(result.stdout) as Doc;
    expect(doc.steps[0]).toMatchObject({
      id: 'slow',
      status: 'failed',
      reason: 'timed out after 2.0s; its process tree was killed (3 processes)',
    });
    expect(sleepers(mark)).toEqual([]);
    // The process was journaled as it started; the run in progress left no record behind.
    const starts = onlyJournal(state).filter((event) => event.type === 'step.process');
    expect(starts).toHaveLength(1);
    const event = starts[0] ?? {};
    expect(Object.keys(event)).toEqual(['type', 'ts', 'section', 'step', 'pid', 'pgid', 'token']);
    expect(event).toMatchObject({ section: 'diagnosis', step: 'slow', pgid: event.pid });
    expect(event.token).toMatch(new RegExp(`^${doc.run_id}\\.[0-9a-z]{16}$`));
    expect(readdirSync(join(state, 'running'))).toEqual([]);
  });

  it('stops waiting for output that a process it cannot find holds open, keeping what came', async () => {
    const mark = marker();
    // Out of the session, out of the parent chain (its parent exits at once), no environment.
    writeRunbook('escape-lost', [
      '  - id: lost',
      `    run: "(setsid env -i sleep ${mark} &); echo partial; sleep 100"`,
      '    timeout: 2s',
    ]);
    const started = Date.now();
    const result = await runJson('escape-lost', join(dir.path, 'state-lost'));
    expect(Date.now() - started).toBeLessThan(20_000);
    const doc = JSON.parse(result.stdout) as Doc;
    expect(doc.steps[0]).toMatchObject({
      status: 'failed',
      reason:
        'timed out after 2.0s; its process tree was killed (2 processes); its output was still held open by a process it could not find (out of its session, without RUNBOOK_STEP_TOKEN)',
      outputs: { stdout: 'partial' },
    });
    // That one is beyond reach by design: the test ends it.
    expect(sleepers(mark)).toHaveLength(1);
  });

  it('a step that finishes leaves no running record behind', async () => {
    writeRunbook('finishes', ['  - id: quick', '    run: echo done']);
    const state = join(dir.path, 'state-finishes');
    const result = await runJson('finishes', state);
    expect(result.code).toBe(0);
    expect(readdirSync(join(state, 'running'))).toEqual([]);
    expect(result.stderr).toBe('');
  });
});

describe('a signal to runbook stops the running step promptly', () => {
  it('SIGINT during a step whose process left its group: exit 130 within seconds, nothing left', async () => {
    const mark = marker();
    const foreground = marker();
    writeRunbook('interrupted', [
      '  - id: slow',
      `    run: "setsid sleep ${mark} & sleep ${foreground}"`,
    ]);
    const state = join(dir.path, 'state-sigint');
    const run = startRun('interrupted', state, ['--format', 'json']);
    expect(
      await waitFor(() => sleepers(mark).length === 1 && sleepers(foreground).length === 1),
    ).toBe(true);
    const signalled = Date.now();
    process.kill(run.pid, 'SIGINT');
    const result = await run.done;
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(result.code).toBe(130);
    expect(run.stderr()).toBe(
      '\nrunbook: SIGINT received — stopping the running step (again to force)\n',
    );
    const doc = JSON.parse(result.stdout) as Doc;
    expect(doc.steps[0]).toMatchObject({
      status: 'interrupted',
      reason: 'interrupted; its process tree was killed (3 processes)',
    });
    expect(sleepers(mark)).toEqual([]);
    expect(sleepers(foreground)).toEqual([]);
    expect(readdirSync(join(state, 'running'))).toEqual([]);
  });

  it('a second SIGINT kills at once what ignores SIGTERM, and exits 130', async () => {
    const mark = marker();
    writeRunbook('stubborn', [
      '  - id: stubborn',
      `    run: "setsid sh -c 'trap \\"\\" TERM; while :; do sleep ${mark}; done' & sleep 100"`,
    ]);
    const state = join(dir.path, 'state-stubborn');
    const run = startRun('stubborn', state);
    expect(await waitFor(() => sleepers(mark).length === 1)).toBe(true);
    process.kill(run.pid, 'SIGINT');
    expect(await waitFor(() => run.stderr().includes('SIGINT received'))).toBe(true);
    // SIGTERM is ignored: the sleep is still there, within the 2 s grace.
    expect(sleepers(mark)).toHaveLength(1);
    process.kill(run.pid, 'SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(run.stderr()).toContain('runbook: SIGINT again — exiting now\n');
    // Killed before runbook exited; the kernel may take a moment to take it down.
    expect(await waitFor(() => sleepers(mark).length === 0, 5_000)).toBe(true);
  });
});

describe('runbook killed outright while a step runs', () => {
  it('the next run names what it left with the command to end it; --kill-orphans ends it', async () => {
    const daemon = marker();
    const escaped = marker();
    const inGroup = marker();
    writeRunbook('killed', [
      // A step that starts something meant to keep running, and finishes: not a leftover.
      '  - id: start-daemon',
      `    run: "(setsid sleep ${daemon} > /dev/null 2>&1 &); echo started"`,
      '  - id: hang',
      `    run: "setsid sleep ${escaped} & sleep ${inGroup}"`,
    ]);
    writeRunbook('other', ['  - id: hello', '    run: echo hello']);
    const state = join(dir.path, 'state-killed');

    const run = startRun('killed', state);
    expect(
      await waitFor(() => sleepers(escaped).length === 1 && sleepers(inGroup).length === 1),
    ).toBe(true);
    process.kill(run.pid, 'SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    // By nature, nothing ended them.
    const [escapedPid] = sleepers(escaped);
    const [inGroupPid] = sleepers(inGroup);
    expect(sleepers(daemon)).toHaveLength(1);

    const journal = onlyJournal(state);
    const runId = String(journal[0]?.run_id);
    expect(readdirSync(join(state, 'running'))).toEqual([`${runId}.json`]);
    const hang = journal.find((event) => event.type === 'step.process' && event.step === 'hang');
    const shell = Number(hang?.pid);
    expect(hang?.pgid).toBe(shell);

    const warned = await runJson('other', state);
    expect(warned.code).toBe(0);
    const listed = [
      [shell, `sh -c setsid sleep ${escaped} & sleep ${inGroup}`],
      [escapedPid, `sleep ${escaped}`],
      [inGroupPid, `sleep ${inGroup}`],
    ]
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([pid, command]) => `pid ${pid} ${command}`)
      .join(', ');
    expect(warned.stderr).toBe(
      `warning: processes of step hang from run ${runId} (runbook killed) are still running (pgid ${shell}): ${listed}\n` +
        `hint: end them with \`kill -- -${shell} ${escapedPid}\`, or with \`runbook run other --kill-orphans\`\n`,
    );
    expect(sleepers(escaped)).toEqual([escapedPid]);

    const ended = await runJson('other', state, ['--kill-orphans']);
    expect(ended.code).toBe(0);
    expect(ended.stderr).toBe(
      `ended 3 processes of step hang from run ${runId} (runbook killed)\n`,
    );
    expect(sleepers(escaped)).toEqual([]);
    expect(sleepers(inGroup)).toEqual([]);
    // What a finished step started on purpose is left alone.
    expect(sleepers(daemon)).toHaveLength(1);
    // Nothing left to name: the record is gone, and the next run says nothing.
    expect(readdirSync(join(state, 'running'))).toEqual([]);
    const quiet = await runJson('other', state);
    expect(quiet.stderr).toBe('');
  });

  it('--kill-orphans with --dry-run is a usage error', async () => {
    writeRunbook('plan', ['  - id: hello', '    run: echo hello']);
    const result = await runJson('plan', join(dir.path, 'state-plan'), [
      '--dry-run',
      '--kill-orphans',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'runbook: --dry-run and --kill-orphans cannot be combined: a dry run ends no process\n' +
        'hint: run `runbook run plan --kill-orphans` without --dry-run\n',
    );
    expect(existsSync(join(dir.path, 'state-plan', 'running'))).toBe(false);
  });
});
