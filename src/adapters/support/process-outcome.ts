import { tryParseJson } from '../../common/json.js';
import type { ActionOutcome } from '../adapter.js';
import type { ExecResult } from '../../exec/local.js';
import { formatDuration } from '../../common/duration.js';
import { describeStop } from '../../exec/process-tree.js';

/** The common outputs of any step that runs a process: stdout, stderr, exit_code, and json. */
export function processOutcome(result: ExecResult, timeoutMs: number | undefined): ActionOutcome {
  const stdout = trimFinalNewline(result.stdout);
  const outputs: Record<string, unknown> = {
    stdout,
    stderr: trimFinalNewline(result.stderr),
    exit_code: result.exitCode,
  };
  const json = tryParseJson(stdout);
  if (json !== undefined) outputs.json = json;
  const outcome: ActionOutcome = {
    ok: result.exitCode === 0 && !result.timedOut && !result.interrupted && !result.error,
    exitCode: result.exitCode,
    outputs,
    stdout: result.stdout,
    stderr: result.stderr,
    timedOut: result.timedOut,
    interrupted: result.interrupted,
  };
  const error = describeFailure(result, timeoutMs);
  if (error) outcome.error = error;
  if (result.notStarted) outcome.unavailable = true;
  if (result.stopped?.survivors.length) outcome.survivors = result.stopped.survivors;
  return outcome;
}

function describeFailure(result: ExecResult, timeoutMs: number | undefined): string | undefined {
  if (result.error) return result.error;
  if (result.timedOut) {
    return `timed out after ${timeoutMs === undefined ? '?' : formatDuration(timeoutMs)}; ${describeStop(result.stopped)}`;
  }
  if (result.interrupted) return `interrupted; ${describeStop(result.stopped)}`;
  if (result.signal) return `killed by ${result.signal}`;
  if (result.exitCode !== 0) return `exited with code ${String(result.exitCode)}`;
  return undefined;
}

export function trimFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
