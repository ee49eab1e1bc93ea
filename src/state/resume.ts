import { outputsRead } from '../engine/context.js';
import type { RunOrigin, StepRecord } from '../engine/events.js';
import { stepsOf, type Runbook, type Section, type Step } from '../schema/runbook.js';
import type { RunRecord } from './run-record.js';

/** The origin of a run: what run.start recorded for continuing it (absent in older journals). */
export function originOf(record: RunRecord): RunOrigin | undefined {
  const start = record.events.find((event) => event.type === 'run.start');
  return start?.type === 'run.start' ? start.origin : undefined;
}

/** An output a later step reads that the journal cannot give back. */
export interface UnavailableOutput {
  step: string;
  output: string;
  why: 'cut' | 'redacted';
}

/** How a stopped run goes on, from its record and the runbook as it is now. */
export interface ResumePlan {
  /** The steps taken as they were: completed in an earlier part, in run order. */
  completed: StepRecord[];
  /** The first step to run: the first that did not complete. Undefined when none is left. */
  from: string | undefined;
  /** Completed steps whose definition changed since the run started. */
  changed: string[];
  /** Completed steps the runbook no longer has. */
  removed: string[];
  /** Steps not yet completed whose definition changed (they will run as they are now). */
  changedLater: string[];
  /** Outputs of completed steps that the steps still to run read and the journal does not hold. */
  unavailable: UnavailableOutput[];
  /** For each `for_each:` step still to run, the items an earlier part completed. */
  items: Map<string, StepRecord[]>;
}

/** The journal's notes on a step's outputs (src/state/journal.ts, src/engine/emitter.ts). */
type JournalledRecord = StepRecord & { cut_outputs?: string[]; redacted_outputs?: string[] };

/**
 * Which steps of a stopped run are taken as they were and which run again. A step completed when
 * it succeeded, was skipped (not declined), or failed where a failure does not stop the run (a
 * detection check, `continue_on_error`). Rollback steps are never taken: a rollback runs again
 * whenever it is needed. `hashes`: each step's hash now, to compare with the origin's.
 */
export function planResume(
  record: RunRecord,
  origin: RunOrigin | undefined,
  runbook: Runbook,
  hashes: Record<string, string>,
  fileHash: string,
  /** Its steps in run order with those of the runbooks it calls, under their ids in the run
   * (docs/format.md#sub-runbooks); its own when absent. */
  all: ReadonlyArray<{ section: Section; step: Step }> = stepsOf(runbook),
): ResumePlan {
  const latest = new Map(record.steps.map((step) => [step.id, step as JournalledRecord]));
  const ids = new Set(all.map(({ step }) => step.id));
  const journalled: JournalledRecord[] = [];
  let from: string | undefined;
  const pending: Step[] = [];
  for (const { section, step } of all) {
    const done = latest.get(step.id);
    if (section !== 'rollback' && done && completed(done, step, section)) journalled.push(done);
    else {
      pending.push(step);
      if (section !== 'rollback') from ??= step.id;
    }
  }
  const sameFile = origin?.runbook_sha256 === fileHash;
  const differs = (id: string): boolean =>
    !sameFile && origin !== undefined && origin.step_hashes[id] !== hashes[id];
  const changed = journalled.filter((step) => differs(step.id)).map((step) => step.id);
  const removed = record.steps
    .filter((step) => !ids.has(step.id) && step.section !== 'rollback')
    .filter((step) => completed(step, undefined, step.section))
    .map((step) => step.id);
  const changedLater = pending.filter((step) => differs(step.id)).map((step) => step.id);
  // A loop that stopped part-way: the items that completed are taken as they were, unless the
  // step changed (then every item runs as the step is now).
  const items = new Map<string, StepRecord[]>();
  for (const step of pending) {
    // Succeeded only: an item skipped by its `when:` is judged again, and one the loop never
    // started (after an earlier item failed) is skipped too.
    const done = latest.get(step.id)?.items?.filter((item) => item.status === 'succeeded');
    if (done?.length && !differs(step.id)) items.set(step.id, done);
  }

  const unavailable: UnavailableOutput[] = [];
  const reads = outputsRead(
    pending,
    journalled.map((step) => step.id),
  );
  for (const step of journalled) {
    const names = reads.get(step.id);
    if (!names) continue;
    const wanted = (name: string): boolean => names.has('*') || names.has(name);
    for (const output of step.cut_outputs ?? [])
      if (wanted(output)) unavailable.push({ step: step.id, output, why: 'cut' });
    for (const output of step.redacted_outputs ?? [])
      if (wanted(output)) unavailable.push({ step: step.id, output, why: 'redacted' });
  }
  const completedRecords = journalled.map(
    ({ cut_outputs: _cut, redacted_outputs: _redacted, ...rest }) => rest,
  );
  return { completed: completedRecords, from, changed, removed, changedLater, unavailable, items };
}

function completed(record: StepRecord, step: Step | undefined, section: Section): boolean {
  if (record.declined) return false;
  switch (record.status) {
    case 'succeeded':
    case 'skipped':
      return true;
    case 'failed':
      return section === 'detection' || step?.continue_on_error === true;
    default:
      return false;
  }
}
