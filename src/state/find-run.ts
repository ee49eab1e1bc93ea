import { NotFoundError, UsageError } from '../common/errors.js';
import { suggest } from '../schema/suggest.js';
import { isRunId } from './run-index.js';
import type { RunRecord } from './run-record.js';
import type { StateStore } from './store.js';

/**
 * The record of one run, from the store: how commands that take a run id (`report`, `resume`) look
 * it up. Throws UsageError for a run id that is a path, NotFoundError (naming a close id, if there
 * is one) for an unknown one; the store throws StateIoError when the journal cannot be read.
 */
export async function findRun(store: StateStore, runId: string): Promise<RunRecord> {
  if (!isRunId(runId) || runId.includes('..'))
    throw new UsageError(
      `"${printable(runId)}" is not a run id: a run id is made of letters, digits, ".", "_" and "-", never a path`,
      'list the runs with: runbook history',
    );
  const record = await store.readRun(runId);
  if (record) return record;
  const ids = (await store.listRuns({})).runs.map((run) => run.run_id);
  const near = suggest(runId, ids);
  throw new NotFoundError(
    `no run "${runId}" in ${store.runsLocation}`,
    near
      ? `did you mean ${near}? (list the runs with: runbook history)`
      : 'list the runs with: runbook history',
  );
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
}
