import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../common/errors.js';
import { StateIoError } from '../common/state-files.js';
import { suggest } from '../schema/suggest.js';
import { readJournal } from './journal-reader.js';
import { runRecord, type RunRecord } from './run-record.js';

/** A run id as newRunId makes them (`20261206T100000Z-1a2b3c`), or any plain name: never a path. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The record of one run, read from its journal, `<stateDir>/runs/<run-id>.jsonl`. The one place
 * commands look a run up until the state store's file implementation answers it (`readRun` in
 * src/state/store.ts). Throws UsageError for a run id that is a path, NotFoundError (naming a close
 * id, if there is one) for an unknown one, StateIoError when the journal cannot be read.
 */
export function findRun(stateDir: string, runId: string): RunRecord {
  if (!RUN_ID.test(runId) || runId.includes('..'))
    throw new UsageError(
      `"${printable(runId)}" is not a run id: a run id is made of letters, digits, ".", "_" and "-", never a path`,
      'list the runs with: runbook history',
    );
  const dir = join(stateDir, 'runs');
  const path = join(dir, `${runId}.jsonl`);
  let isFile = false;
  try {
    isFile = lstatSync(path).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new StateIoError(`cannot read the run journal ${path}`, error);
  }
  if (!isFile) throw unknownRun(dir, runId);
  const record = runRecord(readJournal(path), false);
  if (!record)
    throw new NotFoundError(
      `${path} is not the journal of a run (it has no run.start)`,
      'list the runs with: runbook history',
    );
  const last = record.parts.at(-1);
  if (record.status !== 'crashed' || !last || record.torn) return record;
  // A journal without an end: the run still runs if its last part's process does.
  return isAlive(last.host, last.pid, last.started_at)
    ? (runRecord(readJournal(path), true) ?? record)
    : record;
}

function unknownRun(dir: string, runId: string): NotFoundError {
  let ids: string[] = [];
  try {
    ids = readdirSync(dir)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => name.slice(0, -'.jsonl'.length));
  } catch {
    // No runs yet.
  }
  const near = suggest(runId, ids);
  return new NotFoundError(
    `no run "${runId}" in ${dir}`,
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

/**
 * Whether the process of a part still runs: on this machine, a live process with that pid that
 * started before the part did (not another one that reused the pid since). A run on another host
 * is taken to run, as locks do.
 */
function isAlive(host: string, pid: number, startedAt: string): boolean {
  if (host !== hostname()) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const started = processStartMs(pid);
  if (started === 'zombie') return false;
  const partStart = Date.parse(startedAt);
  // The part's first event is written shortly after its process starts; a process that started
  // later is another one.
  return started === undefined || !Number.isFinite(partStart) || started <= partStart + 5_000;
}

/** When a process started (Linux /proc), `zombie` for one that has exited; undefined elsewhere. */
function processStartMs(pid: number): number | 'zombie' | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return 'zombie';
    const ticks = Number(fields[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(ticks) || boot === undefined) return undefined;
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return Number(boot) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}
