import { loadConfig } from '../schema/config.js';
import {
  cell,
  currentStep,
  escalatedWords,
  resultWords,
  table,
  utc,
  who,
  type HistoryJson,
} from '../report/history.js';
import type { RunState } from '../state/run-record.js';
import type { RunSummary, StateStore } from '../state/store.js';
import { defineCommand, jsonFlag, type Values } from './define.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { openStateStore } from './setup.js';
import { warnSkipped } from './history.js';

/** How far back `status` looks for runs to resume. */
const RECENT_MS = 24 * 3600_000;

/** What stopped a run that `runbook resume` can continue. */
const RESUMABLE: ReadonlySet<RunState> = new Set([
  'failed',
  'declined',
  'pending',
  'interrupted',
  'crashed',
]);

const flags = { json: jsonFlag };

export const status = defineCommand({
  name: 'status',
  summary: 'Runs in progress now, and runs stopped in the last 24 h that can be resumed',
  args: {},
  flags,
  handler: (_args, options, io) => statusCommand(options, io),
});

/** A run in progress in `status --json`. */
interface RunningJson {
  run_id: string;
  runbook: string;
  title: string;
  user: string;
  host: string;
  pid: number;
  started_at: string;
  current_step: { id: string; section: string } | null;
  /** Its incident (`run --incident`); absent when it has none. */
  incident?: string;
  /** Its current step waits for another person's approval (docs/state.md#approvals): who may
   * give it, and the command; absent when it does not. */
  waiting_for_approval?: { step: string; by: string; approvers: string[] | null; approve: string };
}

/** A stopped run in `status --json`, with the command that continues it. */
type ResumableJson = Pick<
  HistoryJson,
  | 'run_id'
  | 'runbook'
  | 'title'
  | 'user'
  | 'host'
  | 'started_at'
  | 'ended_at'
  | 'status'
  | 'escalated'
> & { stopped: HistoryJson['stopped']; resume: string };

async function statusCommand(options: Values<typeof flags>, io: Io): Promise<number> {
  const config = await loadConfig(io.cwd, io.env);
  const store = await openStateStore(io, config);
  try {
    return await statusOf(store, options, io);
  } finally {
    await store.close();
  }
}

async function statusOf(store: StateStore, options: Values<typeof flags>, io: Io): Promise<number> {
  const list = await store.listRuns({});
  warnSkipped(list, io);
  const running: RunningJson[] = [];
  for (const summary of list.runs.filter((run) => run.status === 'running')) {
    const record = await store.readRun(summary.run_id);
    const part = record?.parts.at(-1);
    if (!record || record.status !== 'running' || !part) continue;
    const step = currentStep(record);
    const [asked] = (await store.approvals?.waiting(record.run_id)) ?? [];
    running.push({
      run_id: record.run_id,
      runbook: record.runbook.id,
      title: record.runbook.title,
      user: part.user,
      host: part.host,
      pid: part.pid,
      started_at: record.started_at,
      current_step: step ?? null,
      ...(record.incident === undefined ? {} : { incident: record.incident }),
      ...(asked
        ? {
            waiting_for_approval: {
              step: asked.step,
              by: asked.by,
              approvers: asked.approvers,
              approve: `runbook approve ${record.run_id} ${asked.step}`,
            },
          }
        : {}),
    });
  }
  const since = Date.now() - RECENT_MS;
  const resumable: ResumableJson[] = list.runs
    .filter(
      (run) =>
        RESUMABLE.has(run.status) &&
        run.mode !== 'dry-run' &&
        Date.parse(run.ended_at ?? run.started_at) >= since,
    )
    .map((run: RunSummary) => ({
      run_id: run.run_id,
      runbook: run.runbook.id,
      title: run.runbook.title,
      user: run.user,
      host: run.host,
      started_at: run.started_at,
      ended_at: run.ended_at ?? null,
      status: run.status,
      stopped: run.stopped ? { kind: run.stopped.kind, step: run.stopped.step ?? null } : null,
      ...(run.escalated?.length ? { escalated: run.escalated } : {}),
      resume: `runbook resume ${run.run_id}`,
    }));

  if (options.json) {
    io.stdout.write(`${JSON.stringify({ running, resumable }, null, 2)}\n`);
    return EXIT.ok;
  }
  const colors = colorsFor(io.stdout, io.env);
  const out: string[] = [];
  if (running.length === 0) out.push('No run in progress.');
  else {
    out.push(
      colors.bold(
        `Running now (${running.length})${store.shared ? `, in ${store.description}` : ''}`,
      ),
    );
    const incidents = running.some((run) => run.incident !== undefined);
    const rows = running.map((run) => [
      cell(run.run_id),
      cell(run.runbook),
      who(run.user, run.host),
      String(run.pid),
      utc(run.started_at),
      run.current_step ? `${cell(run.current_step.id)} (${cell(run.current_step.section)})` : '-',
      ...(incidents ? [cell(run.incident ?? '-')] : []),
    ]);
    out.push(
      ...table(
        [
          'RUN',
          'RUNBOOK',
          'BY',
          'PID',
          'STARTED (UTC)',
          'STEP',
          ...(incidents ? ['INCIDENT'] : []),
        ],
        rows,
      ).map((line) => `  ${line}`),
    );
    for (const run of running) {
      const waiting = run.waiting_for_approval;
      if (!waiting) continue;
      const who =
        waiting.approvers === null
          ? `anyone but ${cell(run.user)}`
          : `${cell(waiting.by)} (${waiting.approvers.map(cell).join(', ') || 'no one'})`;
      out.push(
        `  ${colors.yellow('⏸')} ${cell(run.run_id)} waits for approval of ${cell(waiting.step)} by ${who}: ${colors.cyan(cell(waiting.approve))}`,
      );
    }
  }
  out.push('');
  if (resumable.length === 0) out.push('No run stopped in the last 24 h.');
  else {
    out.push(colors.bold(`Stopped in the last 24 h, can be resumed (${resumable.length})`));
    const rows = resumable.map((run) => [
      cell(run.run_id),
      cell(run.runbook),
      who(run.user, run.host),
      utc(run.ended_at ?? run.started_at),
      resultWords(
        run.status,
        run.stopped ? { kind: run.stopped.kind, step: run.stopped.step ?? undefined } : undefined,
      ) + escalatedWords(run.escalated),
    ]);
    const [head, ...body] = table(['RUN', 'RUNBOOK', 'BY', 'STOPPED (UTC)', 'RESULT'], rows);
    out.push(`  ${head ?? ''}`);
    body.forEach((line, i) => {
      out.push(`  ${line}`);
      out.push(`      ${colors.cyan(cell(resumable[i]?.resume ?? ''))}`);
    });
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
