import type { ActionContext, ActionOutcome, ProcessRequest, ProcessResult } from '../adapter.js';
import { processOutcome } from './process-outcome.js';

/** Recognises, in a failed run of a tool, that the daemon or server it needs did not answer:
 * the tool's own message, and how to fix it. */
export type Unavailable = (result: ProcessResult) => { message: string; hint: string } | undefined;

/**
 * Runs a tool for an action and returns the common process outputs (stdout, stderr, exit_code,
 * json when stdout parses), with `parse` adding the tool's structured outputs when it succeeded.
 * A parse that throws fails the step with the parser's message instead of crashing the run.
 */
export async function runTool(
  ctx: ActionContext,
  request: ProcessRequest,
  parse?: (result: ProcessResult) => Record<string, unknown>,
  unavailable?: Unavailable,
): Promise<ActionOutcome> {
  const result = await ctx.exec(request);
  const outcome = processOutcome(result, ctx.timeoutMs);
  const down = outcome.ok || !unavailable ? undefined : unavailable(result);
  if (down) return { ...outcome, unavailable: true, error: down.message, hint: down.hint };
  if (parse && outcome.ok) {
    try {
      Object.assign(outcome.outputs, parse(result));
    } catch (error) {
      return {
        ...outcome,
        ok: false,
        error: `could not read the output of ${request.file}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  return outcome;
}
