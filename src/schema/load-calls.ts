import { resolve } from 'node:path';
import { InvalidRunbookError, NotFoundError, type Diagnostic } from '../common/errors.js';
import {
  callDiagnostics,
  callSites,
  checkCalls,
  type CallProblem,
  type RunbookLookup,
} from './calls.js';
import { findRunbook, findRunbookFiles, loadRunbookFile, runbookSource } from './load.js';
import type { LoadOptions } from './load.js';
import type { Runbook } from './runbook.js';

/** A runbook found for a call: the file it is in (as shown) and the runbook. */
export interface CalledRunbook {
  file: string;
  runbook: Runbook;
}

/**
 * The runbooks a runbook calls, and those they call, found by id in the runbook directories (the
 * catalog's lookup, `findRunbook`), checked as validation checks them (docs/format.md#sub-runbooks).
 * Throws InvalidRunbookError with every problem at file:line:col, in the file of the call. A
 * runbook that calls nothing costs nothing.
 */
export async function loadCalled(
  root: CalledRunbook,
  dirs: readonly string[],
  options: LoadOptions,
): Promise<Map<string, CalledRunbook>> {
  const found = new Map<string, CalledRunbook>();
  if (callSites(root.runbook).length === 0) return found;
  const missing = new Set<string>();
  const queue: CalledRunbook[] = [root];
  while (queue.length > 0) {
    const from = queue.shift() as CalledRunbook;
    for (const { target } of callSites(from.runbook)) {
      const id = target.runbook;
      if (found.has(id) || missing.has(id)) continue;
      if (id === root.runbook.id) {
        found.set(id, root);
        continue;
      }
      try {
        const loaded = await findRunbook(id, dirs, options);
        if (!loaded.runbook) continue;
        const called = { file: loaded.file, runbook: loaded.runbook };
        found.set(id, called);
        queue.push(called);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        missing.add(id);
      }
    }
  }
  const lookup: RunbookLookup = (id) => found.get(id)?.runbook;
  // The ids for did-you-mean are read only when some call names none.
  const ids = missing.size > 0 ? await catalogIds(dirs, options) : [];
  const diagnostics: Diagnostic[] = [];
  for (const entry of [root, ...found.values()]) {
    if (entry !== root && entry.runbook === root.runbook) continue;
    const problems = checkCalls(entry.runbook, lookup, ids);
    if (problems.length > 0)
      diagnostics.push(...locate(entry.file, problems, options, entry.runbook.id));
  }
  if (diagnostics.length > 0)
    throw new InvalidRunbookError(
      diagnostics,
      `fix the call, then check with: runbook validate ${root.file}`,
    );
  return found;
}

/** Every runbook id in the directories. */
async function catalogIds(dirs: readonly string[], options: LoadOptions): Promise<string[]> {
  const ids: string[] = [];
  for (const file of await findRunbookFiles(dirs.filter(Boolean))) {
    const loaded = await loadRunbookFile(file, options);
    if (loaded.runbook) ids.push(loaded.runbook.id);
  }
  return ids;
}

/** Call problems as diagnostics of `file` (as shown), at file:line:col when it can be read again. */
export function locate(
  file: string,
  problems: readonly CallProblem[],
  options: Pick<LoadOptions, 'config' | 'cwd'>,
  id?: string,
): Diagnostic[] {
  const source = runbookSource(resolve(options.cwd ?? '', file), file, options, id);
  if (source) return callDiagnostics(source, problems);
  return problems.map((problem) => ({
    file,
    line: 1,
    col: 1,
    severity: 'error' as const,
    message: problem.message,
    ...(problem.hint ? { hint: problem.hint } : {}),
  }));
}
