import type { CallableRunbook } from '../engine/options.js';
import { expandSteps, type ExpandedStep } from '../schema/calls.js';
import { loadCalled } from '../schema/load-calls.js';
import type { Runbook } from '../schema/runbook.js';
import type { CliSetup } from './setup.js';

/** A runbook with the runbooks its `call:` steps reach (docs/format.md#sub-runbooks). */
export interface WithCalls {
  /** By id; empty when it calls none. */
  calls: ReadonlyMap<string, CallableRunbook>;
  /** Its steps and those of the runbooks it calls, under their ids in a run (`<call>/<step>`). */
  steps: ExpandedStep[];
}

/** Finds the runbooks a runbook calls in the runbook directories, and checks its calls as
 * `validate` does: an unknown id, a `with:` its runbook refuses, a cycle are refused here, at
 * file:line:col, before anything runs. */
export async function withCalls(
  cli: Pick<CliSetup, 'dirs' | 'load'>,
  file: string,
  runbook: Runbook,
  dirs: readonly string[] = cli.dirs,
): Promise<WithCalls> {
  const calls = await loadCalled({ file, runbook }, dirs, cli.load);
  const steps = expandSteps(runbook, (id) => calls.get(id)?.runbook);
  return { calls, steps };
}

/** The expanded steps as steps with their ids in a run. */
export function asRunSteps(steps: readonly ExpandedStep[]): ExpandedStep[] {
  return steps.map((entry) => ({ ...entry, step: { ...entry.step, id: entry.id } }));
}
