import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/common/duration.js';
import { BIN, parseJournal, runBin, tempDir } from '../helpers/cli.js';

/** `runbook history` and `runbook status` over real runs of bin/runbook.js: finished, failed,
 * killed outright mid-step, and one still waiting on a FIFO. */

const WHO = `${userInfo().username}@${hostname()}`;

type Event = Record<string, unknown>;

describe('history and status', () => {
  const dir = tempDir();
  const state = join(dir.path, 'state');
  const runs = join(state, 'runs');
  const fifo = join(dir.path, 'gate');
  const env = { RUNBOOK_STATE_DIR: state, NO_COLOR: '1' };
  const cli = (...args: string[]) => runBin(args, { cwd: dir.path, env });

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'));
    const file = (name: string, text: string) =>
      writeFileSync(join(dir.path, 'runbooks', name), text);
    file('ok.yaml', 'id: ok-one\ntitle: OK one\ndiagnosis:\n  - id: look\n    run: echo hi\n');
    file(
      'small.yaml',
      'id: small\ntitle: Small one\nseverity: P2\ndiagnosis:\n  - id: look\n    run: echo hello\nresolution:\n  - id: fix\n    run: "false"\n    effect: write\n',
    );
    file(
      'slow.yaml',
      'id: slow\ntitle: Slow\ndiagnosis:\n  - id: first\n    run: echo one\n  - id: wait\n    run: sleep 60\n',
    );
    file('gated.yaml', `id: gated\ntitle: Gated\ndiagnosis:\n  - id: wait\n    run: cat ${fifo}\n`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  });
  afterAll(() => dir.remove());

  const journalOf = (runId: string): Event[] =>
    parseJournal(readFileSync(join(runs, `${runId}.jsonl`), 'utf8'));
  const runIds = (): string[] =>
    readdirSync(runs)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => name.slice(0, -'.jsonl'.length))
      .sort();

  let failed = '';
  /** Runs the CLI, which must exit with `code`, and gives the id of the one run it made. */
  async function newRun(code: number, ...args: string[]): Promise<string> {
    const before = existsSync(runs) ? runIds() : [];
    expect((await cli(...args)).code).toBe(code);
    const made = runIds().filter((id) => !before.includes(id));
    expect(made).toHaveLength(1);
    return made[0] ?? '';
  }

  /** Waits, polling the file, until a journal of a new run holds a step.start of `step`. */
  async function waitForStep(before: string[], step: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const id = existsSync(runs) ? runIds().find((each) => !before.includes(each)) : undefined;
      if (id && journalOf(id).some((e) => e.type === 'step.start' && e.step === step)) return id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no run reached step ${step}`);
  }

  it('says so when nothing was run yet', async () => {
    expect(await cli('history')).toEqual({
      code: 0,
      signal: null,
      stdout: `No runs recorded yet (in ${runs}).\n`,
      stderr: '',
    });
    expect((await cli('status')).stdout).toBe(
      'No run in progress.\n\nNo run stopped in the last 24 h.\n',
    );
  });

  it('lists real, failed and dry runs newest first, as text and as JSON', async () => {
    const ok = await newRun(0, 'run', 'ok-one');
    failed = await newRun(1, 'run', 'small', '--yes');
    const dry = await newRun(0, 'run', 'ok-one', '--dry-run');
    const expected = [
      [dry, 'ok-one', 'OK one', null, 'dry-run', 'succeeded', null],
      [failed, 'small', 'Small one', 'P2', 'real', 'failed', { kind: 'failed', step: 'fix' }],
      [ok, 'ok-one', 'OK one', null, 'real', 'succeeded', null],
    ].map(([runId, runbook, title, severity, mode, status, stopped]) => {
      const events = journalOf(runId as string);
      const end = events.at(-1) as Event;
      return {
        run_id: runId,
        runbook,
        title,
        severity,
        service: null,
        mode,
        user: userInfo().username,
        host: hostname(),
        started_at: events[0]?.ts,
        ended_at: end.ts,
        duration_ms: end.duration_ms,
        status,
        stopped,
        findings: [],
        parts: 1,
      };
    });
    const json = await cli('history', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(expected);

    const text = await cli('history');
    const rows = [
      ['RUN', 'RUNBOOK', 'SEV', 'MODE', 'BY', 'STARTED (UTC)', 'TOOK', 'RESULT'],
      ...expected.map((run) => [
        run.run_id as string,
        run.runbook as string,
        (run.severity as string | null) ?? '-',
        run.mode as string,
        WHO,
        (run.started_at as string).slice(0, 19).replace('T', ' '),
        formatDuration(run.duration_ms as number),
        run.status === 'failed' ? 'failed at fix' : 'succeeded',
      ]),
    ];
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
    const lines = rows.map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths?.[i] ?? 0)))
        .join('  '),
    );
    expect(text.stdout).toBe(
      `${lines.join('\n')}\n\n3 runs. One run in full: runbook report <run-id>\n`,
    );

    expect(JSON.parse((await cli('history', '--status', 'failed', '--json')).stdout)).toEqual([
      expected[1],
    ]);
    expect(JSON.parse((await cli('history', '--mode', 'real', '--json')).stdout)).toEqual([
      expected[1],
      expected[2],
    ]);
    expect(
      JSON.parse((await cli('history', '--runbook', 'ok-one', '--limit', '1', '--json')).stdout),
    ).toEqual([expected[0]]);
    expect((await cli('history', '--since', '2999-01-01')).stdout).toBe(
      `No run matches (3 runs recorded in ${runs}).\n`,
    );
    expect(JSON.parse((await cli('history', '--since', '1h', '--json')).stdout)).toHaveLength(3);
    // Piped through, the same document.
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" history --json | cat`], {
      cwd: dir.path,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(JSON.parse(piped.stdout)).toEqual(expected);
  });

  it('lists a run killed with SIGKILL mid-step as crashed, and status offers to resume it', async () => {
    const before = runIds();
    const child = spawn(process.execPath, [BIN, 'run', 'slow'], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const runId = await waitForStep(before, 'wait');
    child.kill('SIGKILL');
    expect(await exited).toBe(null);
    // The step's sleep was left running by the killed run: end it.
    for (const event of journalOf(runId))
      if (event.type === 'step.process') {
        try {
          process.kill(-(event.pgid as number), 'SIGKILL');
        } catch {
          // Gone already.
        }
      }

    const [run] = JSON.parse(
      (await cli('history', '--runbook', 'slow', '--json')).stdout,
    ) as Event[];
    expect(run).toMatchObject({
      run_id: runId,
      status: 'crashed',
      stopped: { kind: 'crashed', step: 'wait' },
      ended_at: null,
      duration_ms: null,
    });
    const status = await cli('status', '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { running: Event[]; resumable: Event[] };
    expect(report.running).toEqual([]);
    expect(report.resumable.map((r) => [r.run_id, r.status, r.stopped, r.resume])).toEqual([
      [runId, 'crashed', { kind: 'crashed', step: 'wait' }, `runbook resume ${runId}`],
      [failed, 'failed', { kind: 'failed', step: 'fix' }, `runbook resume ${failed}`],
    ]);
    const text = await cli('status');
    expect(text.stdout.split('\n').slice(0, 4)).toEqual([
      'No run in progress.',
      '',
      'Stopped in the last 24 h, can be resumed (2)',
      expect.stringMatching(/^ {2}RUN +RUNBOOK +BY +STOPPED \(UTC\) +RESULT$/),
    ]);
    expect(text.stdout).toContain(`  ${runId}  slow   `);
    expect(text.stdout.split('\n').slice(4, 6)).toEqual([
      expect.stringMatching(new RegExp(`^  ${runId}  slow +${WHO} +[-0-9: ]+  crashed at wait$`)),
      `      runbook resume ${runId}`,
    ]);
  });

  it('shows a run in progress with its pid and current step, until it ends', async () => {
    const before = runIds();
    const child = spawn(process.execPath, [BIN, 'run', 'gated'], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const runId = await waitForStep(before, 'wait');
    const started = journalOf(runId)[0]?.ts as string;
    const status = JSON.parse((await cli('status', '--json')).stdout) as { running: Event[] };
    expect(status.running).toEqual([
      {
        run_id: runId,
        runbook: 'gated',
        title: 'Gated',
        user: userInfo().username,
        host: hostname(),
        pid: child.pid,
        started_at: started,
        current_step: { id: 'wait', section: 'diagnosis' },
      },
    ]);
    const text = await cli('status');
    expect(text.stdout.split('\n').slice(0, 3)).toEqual([
      'Running now (1)',
      expect.stringMatching(/^ {2}RUN +RUNBOOK +BY +PID +STARTED \(UTC\) +STEP$/),
      `  ${runId}  gated    ${WHO}  ${child.pid}  ${started.slice(0, 19).replace('T', ' ')}  wait (diagnosis)`,
    ]);
    const [listed] = JSON.parse((await cli('history', '--json', '--limit', '1')).stdout) as Event[];
    expect([listed?.run_id, listed?.status]).toEqual([runId, 'running']);

    writeFileSync(fifo, 'open\n');
    expect(await exited).toBe(0);
    expect(JSON.parse((await cli('status', '--json')).stdout).running).toEqual([]);
    const [done] = JSON.parse((await cli('history', '--json', '--limit', '1')).stdout) as Event[];
    expect([done?.run_id, done?.status]).toEqual([runId, 'succeeded']);
  });

  it('warns once about a file that is not a journal, and refuses unknown values with the valid ones', async () => {
    writeFileSync(join(runs, 'notes.jsonl'), 'my notes\n', { mode: 0o600 });
    const listed = await cli('history', '--limit', '0');
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe(
      `warning: skipped file in ${runs} that is not a run journal: notes.jsonl\n`,
    );
    expect(await cli('history', '--status', 'broken')).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr:
        'runbook: --status: unknown status "broken"\nhint: one of: succeeded, failed, declined, pending, interrupted, running, crashed\n',
    });
    expect((await cli('history', '--mode', 'execute')).stderr).toBe(
      'runbook: --mode: unknown mode "execute"\nhint: one of: real, read-only, dry-run\n',
    );
    expect((await cli('history', '--since', 'yesterday')).stderr).toBe(
      'runbook: --since: "yesterday" is neither a duration nor a date\nhint: a duration ago (30m, 24h, 7d) or a UTC date (2026-01-06, 2026-01-06T10:00)\n',
    );
    expect((await cli('history', '--limit', '-3')).code).toBe(2);
  });
});

describe('history and status of a run whose escalation rules fired', () => {
  const dir = tempDir();
  const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state'), NO_COLOR: '1' };
  const cli = (...args: string[]) => runBin(args, { cwd: dir.path, env });
  afterAll(() => dir.remove());

  it('say whom the run escalated to, as text and as JSON, from the index and from the journal', async () => {
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(
      join(dir.path, 'runbooks', 'esc.yaml'),
      [
        'id: esc',
        'title: Escalating',
        'resolution:',
        '  - id: fix',
        '    run: "false"',
        '    effect: write',
        'escalation:',
        '  - { when: step_failed, to: Incident lead }',
        '  - { when: { failed: fix }, to: DBA, via: phone }',
        '',
      ].join('\n'),
    );
    expect((await cli('run', 'esc', '--yes')).code).toBe(1);
    const listed = async () => {
      const [run] = JSON.parse((await cli('history', '--json')).stdout) as Event[];
      const text = (await cli('history')).stdout.split('\n')[1] ?? '';
      return { escalated: run?.escalated, status: run?.status, result: text.replace(/.* {2}/, '') };
    };
    const shown = {
      escalated: ['Incident lead', 'DBA'],
      status: 'failed',
      result: 'failed at fix · escalated to Incident lead, DBA',
    };
    expect(await listed()).toEqual(shown);
    // Without the index, history reads the journal again: the same.
    rmSync(join(dir.path, 'state', 'runs-index.jsonl'));
    expect(await listed()).toEqual(shown);
    // status lists it as resumable, with whom it escalated to.
    const status = JSON.parse((await cli('status', '--json')).stdout) as { resumable: Event[] };
    expect(status.resumable.map((run) => [run.status, run.escalated])).toEqual([
      ['failed', ['Incident lead', 'DBA']],
    ]);
    const text = (await cli('status')).stdout.split('\n');
    expect(text[4]?.replace(/.* {2}/, '')).toBe(shown.result);
  });
});
