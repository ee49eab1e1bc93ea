import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import { FileStateStore } from './file-store.js';
import {
  entriesOf,
  escalatedOf,
  indexPath,
  parseIndex,
  readIndex,
  summaryOfEntry,
  type IndexLine,
} from './run-index.js';
import { processStart } from '../exec/process-tree.js';

const HOST = hostname();
/** A pid no process has: one of a process that has exited. */
const DEAD_PID = spawnSync(process.execPath, ['-e', '0']).pid;

const info = { id: 'api-down', title: 'API down', severity: 'P1', service: 'api', file: 'a.yaml' };

/** The index line of run r1's first part starting. */
const r1Start = {
  event: 'start' as const,
  run_id: 'r1',
  part: 1,
  runbook: info,
  mode: 'execute' as const,
  user: 'alice',
  host: HOST,
  pid: 1,
  started_at: '2026-01-01T00:00:00.000Z',
};

function start(runId: string, ts: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'run.start',
    ts,
    run_id: runId,
    runbook: info,
    mode: 'execute',
    vars: {},
    user: 'alice',
    host: HOST,
    pid: DEAD_PID,
    journal: null,
    ...extra,
  };
}
const stepStart = (step: string, ts: string) => ({
  type: 'step.start',
  ts,
  section: 'resolution',
  step,
  name: undefined,
  effect: 'write',
  command: `do ${step}`,
});
const stepEnd = (id: string, status: string, ts: string) => ({
  type: 'step.end',
  ts,
  id,
  section: 'resolution',
  status,
  effect: 'write',
  command: `do ${id}`,
  exit_code: status === 'failed' ? 1 : 0,
  duration_ms: 10,
  outputs: {},
  attempts: 1,
});
const end = (runId: string, status: string, ts: string, ms: number) => ({
  type: 'run.end',
  ts,
  run_id: runId,
  status,
  duration_ms: ms,
  findings: [],
});
const jsonl = (...events: object[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('parseIndex', () => {
  const a: IndexLine = {
    event: 'end',
    run_id: 'r1',
    part: 1,
    ended_at: '2026-01-01T00:00:01.000Z',
    status: 'failed',
    duration_ms: 1000,
    findings: [],
    stopped: { kind: 'failed', step: 'x' },
  };
  const b: IndexLine = { ...a, run_id: 'r2', status: 'succeeded', stopped: null };

  it('finds a whole line appended after a torn one, and leaves out what is not a line', () => {
    const text = `${JSON.stringify(a)}\n{"event":"start","run_id":"r9","pa${JSON.stringify(b)}\nnot json\n{"event":"end"}\n{"event":"end","run_id":"../x","part":1,"status":"failed","findings":[]}\n`;
    expect(parseIndex(text)).toEqual([a, b]);
  });

  it('reads whole lines at once the same as line by line', () => {
    const text = `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`;
    expect(parseIndex(text)).toEqual([a, b]);
    expect(parseIndex(`${text}{"event":"end","run`)).toEqual([a, b]);
  });

  it('lets the latest part decide: a resumed run is unfinished until its part 2 ends', () => {
    const first = r1Start;
    const { runbook: _runbook, ...rest } = first;
    const second = { ...rest, part: 2, user: 'bob', pid: 2 };
    const lines: IndexLine[] = [first, a, second];
    expect(summaryOfEntry(entriesOf(lines).get('r1') ?? expect.fail('no r1'))).toBeUndefined();
    const done: IndexLine = {
      ...a,
      part: 2,
      status: 'succeeded',
      stopped: null,
      duration_ms: 1500,
    };
    expect(summaryOfEntry(entriesOf([...lines, done]).get('r1') ?? expect.fail('no r1'))).toEqual({
      run_id: 'r1',
      runbook: info,
      mode: 'execute',
      user: 'alice',
      host: HOST,
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: '2026-01-01T00:00:01.000Z',
      duration_ms: 1500,
      status: 'succeeded',
      stopped: undefined,
      findings: [],
      parts: 2,
    });
  });
});

describe('escalations in the index', () => {
  it('names whom a run escalated to, each once, in the order the rules fired', () => {
    expect(
      escalatedOf([
        { type: 'escalation.due', ts: 't1', after: '15m', to: 'API owner' },
        {
          type: 'escalation.triggered',
          ts: 't2',
          rule: 'escalation[1]',
          when: 'if a step fails',
          reason: 'step fix failed',
          to: 'DBA',
        },
        { type: 'escalation.due', ts: 't3', after: '30m', to: 'API owner' },
      ] as never),
    ).toEqual(['API owner', 'DBA']);
  });

  it('reads them from an end line, only their names, and leaves them out when none fired', () => {
    const first = r1Start;
    const ended = {
      event: 'end' as const,
      run_id: 'r1',
      part: 1,
      ended_at: '2026-01-01T00:00:01.000Z',
      status: 'failed' as const,
      duration_ms: 1000,
      findings: [],
      stopped: { kind: 'failed' as const, step: 'fix' },
    };
    const summary = (end: object) =>
      summaryOfEntry(entriesOf([first, end as IndexLine]).get('r1') ?? expect.fail('no r1'));
    expect(summary({ ...ended, escalated: ['DBA', 7, 'CTO'] })?.escalated).toEqual(['DBA', 'CTO']);
    expect(summary(ended)).not.toHaveProperty('escalated');
    expect(summary({ ...ended, escalated: 'DBA' })).not.toHaveProperty('escalated');
  });
});

describe('FileStateStore', () => {
  let dir: { path: string; remove: () => void };
  let runs: string;
  let store: FileStateStore;

  beforeEach(() => {
    dir = tempDir();
    runs = join(dir.path, 'runs');
    mkdirSync(runs, { mode: 0o700 });
    chmodSync(dir.path, 0o700);
    store = new FileStateStore(dir.path, { start: processStart });
  });
  afterEach(() => dir.remove());

  const write = (runId: string, text: string): void =>
    writeFileSync(join(runs, `${runId}.jsonl`), text, { mode: 0o600 });
  const statuses = () =>
    store.listRunsNow({}).runs.map((run) => [run.run_id, run.status, run.stopped?.step]);

  it('rebuilds a missing index from the journals: a torn crashed one, a failed one, a foreign file', () => {
    write(
      'r1',
      jsonl(
        start('r1', '2026-01-01T00:00:00.000Z'),
        stepStart('a', '2026-01-01T00:00:00.100Z'),
        stepEnd('a', 'failed', '2026-01-01T00:00:00.200Z'),
        end('r1', 'failed', '2026-01-01T00:00:00.300Z', 300),
      ),
    );
    write(
      'r2',
      `${jsonl(start('r2', '2026-01-02T00:00:00.000Z'), stepStart('b', '2026-01-02T00:00:01.000Z'))}{"type":"step.pro`,
    );
    write('notes', 'these are my notes\n');
    write('empty', '');
    const list = store.listRunsNow({});
    expect(list.runs.map((r) => [r.run_id, r.status, r.stopped])).toEqual([
      ['r2', 'crashed', { kind: 'crashed', step: 'b' }],
      ['r1', 'failed', { kind: 'failed', step: 'a' }],
    ]);
    expect(list.skipped).toEqual(['notes.jsonl']);
    expect(list.total).toBe(2);
    // Written whole: one line a finished (or crashed) run, the foreign file marked.
    expect(readIndex(runs)?.map((line) => [line.event, line.run_id])).toEqual([
      ['unreadable', 'notes'],
      ['run', 'r1'],
      ['run', 'r2'],
    ]);
    // Read again from the index alone: a journal changed behind it is not read.
    write('r1', 'garbage\n');
    expect(statuses()).toEqual([
      ['r2', 'crashed', 'b'],
      ['r1', 'failed', 'a'],
    ]);
  });

  it('adds journals the index does not list, and forgets runs whose journal is gone', () => {
    write(
      'r1',
      jsonl(
        start('r1', '2026-01-01T00:00:00.000Z'),
        end('r1', 'succeeded', '2026-01-01T00:00:01.000Z', 1000),
      ),
    );
    expect(statuses()).toEqual([['r1', 'succeeded', undefined]]);
    write(
      'r2',
      jsonl(
        start('r2', '2026-01-03T00:00:00.000Z'),
        end('r2', 'declined', '2026-01-03T00:00:01.000Z', 1000),
      ),
    );
    expect(statuses()).toEqual([
      ['r2', 'declined', undefined],
      ['r1', 'succeeded', undefined],
    ]);
    expect(readIndex(runs)?.map((line) => line.run_id)).toEqual(['r1', 'r2']);
    rmSync(join(runs, 'r1.jsonl'));
    expect(statuses()).toEqual([['r2', 'declined', undefined]]);
  });

  it('rebuilds an index it cannot trust (not owner-only)', () => {
    write(
      'r1',
      jsonl(
        start('r1', '2026-01-01T00:00:00.000Z'),
        end('r1', 'succeeded', '2026-01-01T00:00:01.000Z', 1000),
      ),
    );
    writeFileSync(
      indexPath(runs),
      `${JSON.stringify({ event: 'run', run_id: 'r1', part: 1, runbook: info, mode: 'execute', user: 'mallory', host: HOST, started_at: '2026-01-01T00:00:00.000Z', ended_at: null, status: 'failed', duration_ms: null, findings: [], stopped: null })}\n`,
      { mode: 0o666 },
    );
    chmodSync(indexPath(runs), 0o666);
    expect(store.listRunsNow({}).runs.map((r) => [r.user, r.status])).toEqual([
      ['alice', 'succeeded'],
    ]);
  });

  it('tells a running run from a crashed one by its pid and that pid’s start time', () => {
    const self = processStart(process.pid);
    // This very process, started before the run's first event: running.
    write(
      'live',
      jsonl(
        start('live', new Date().toISOString(), { pid: process.pid }),
        stepStart('wait', new Date().toISOString()),
      ),
    );
    // The same pid, but the journal began before this process started: a reused pid, crashed.
    write('reused', jsonl(start('reused', '2020-01-01T00:00:00.000Z', { pid: process.pid })));
    expect(self?.ticks).toMatch(/^\d+$/);
    const list = store.listRunsNow({});
    expect(list.runs.map((r) => [r.run_id, r.status])).toEqual([
      ['live', 'running'],
      ['reused', 'crashed'],
    ]);
    expect(store.readRunNow('live')?.status).toBe('running');
    expect(store.readRunNow('reused')?.status).toBe('crashed');
    expect(store.readRunNow('../etc/passwd')).toBeUndefined();
    expect(store.readRunNow('nope')).toBeUndefined();
  });

  it('filters by runbook, status, mode and start, newest first, and keeps the index when a run ends', () => {
    const sink = store.journalSink('20260105T000000Z-aaaaaa', false);
    sink.write(
      start('20260105T000000Z-aaaaaa', '2026-01-05T00:00:00.000Z', { pid: process.pid }) as never,
    );
    expect(readIndex(runs)?.map((l) => [l.event, (l as { pid_start?: string }).pid_start])).toEqual(
      [['start', processStart(process.pid)?.ticks]],
    );
    expect(statuses()).toEqual([['20260105T000000Z-aaaaaa', 'running', undefined]]);
    sink.write(stepEnd('a', 'failed', '2026-01-05T00:00:01.000Z') as never);
    sink.write(end('20260105T000000Z-aaaaaa', 'failed', '2026-01-05T00:00:02.000Z', 2000) as never);
    sink.close();
    write(
      'old',
      jsonl(
        start('old', '2025-12-01T00:00:00.000Z', { mode: 'dry-run' }),
        end('old', 'succeeded', '2025-12-01T00:00:01.000Z', 1000),
      ),
    );
    expect(statuses()).toEqual([
      ['20260105T000000Z-aaaaaa', 'failed', 'a'],
      ['old', 'succeeded', undefined],
    ]);
    const ids = (filter: Parameters<FileStateStore['listRunsNow']>[0]) =>
      store.listRunsNow(filter).runs.map((run) => run.run_id);
    expect(ids({ status: 'failed' })).toEqual(['20260105T000000Z-aaaaaa']);
    expect(ids({ mode: 'dry-run' })).toEqual(['old']);
    expect(ids({ since: new Date('2026-01-01T00:00:00Z') })).toEqual(['20260105T000000Z-aaaaaa']);
    expect(ids({ runbook: 'other' })).toEqual([]);
    expect(ids({ limit: 1 })).toEqual(['20260105T000000Z-aaaaaa']);
  });

  it('keeps every line when two processes append at once', async () => {
    const bundle = join(dir.path, 'append.mjs');
    await build({
      stdin: {
        contents: `import { appendIndex } from ${JSON.stringify(join(import.meta.dirname, 'run-index.ts'))};
const [dir, who] = process.argv.slice(2);
for (let i = 0; i < 400; i++)
  appendIndex(dir, [{ event: 'end', run_id: who + '-' + i, part: 1, ended_at: null, status: 'failed', duration_ms: null, findings: ['x'.repeat(2000)], stopped: null }]);`,
        resolveDir: dir.path,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    const child = (who: string) =>
      new Promise<number | null>((done) =>
        spawn(process.execPath, [bundle, runs, who], { stdio: 'ignore' }).on('close', done),
      );
    expect(await Promise.all([child('a'), child('b')])).toEqual([0, 0]);
    const lines = parseIndex(readFileSync(indexPath(runs), 'utf8'));
    expect(lines).toHaveLength(800);
    expect(new Set(lines.map((line) => line.run_id)).size).toBe(800);
  });
});
