import { ExpressionError } from '../schema/expressions.js';
import type { Step } from '../schema/runbook.js';
import type { ExpressionContext } from './context.js';
import { unknownIn } from './plan-values.js';

/** What a plan assumes a step returned, and what it could not work out from it. */
export interface Assumed {
  outputs: Record<string, unknown>;
  /** A capture that could not be computed from them, in one line each. */
  warnings: string[];
}

/**
 * What a step that does not run is taken to have returned (docs/format.md#dry-run-outputs):
 * `given` (its `dry_run.outputs`, with what a dry run adds for a manual step) stands for the
 * action's own outputs, and the step's `capture:` is applied to them as a real run applies it — in
 * order, each capture seeing the ones before it. A capture whose name `given` already holds keeps
 * that value (it overrides). A capture that reads a variable the plan has no value for is left
 * out, as a `when:` over one is left undecided; one that cannot be computed from the outputs given
 * is left out with a warning. Without a `dry_run:` nothing is assumed, so nothing is captured.
 */
export function assumedOutputs(
  step: Step,
  context: ExpressionContext,
  given: Record<string, unknown>,
): Assumed {
  const outputs = { ...given };
  const warnings: string[] = [];
  if (step.dry_run === undefined || step.capture === undefined) return { outputs, warnings };
  const assumed = step.dry_run.outputs;
  for (const [name, expression] of Object.entries(step.capture)) {
    if (Object.hasOwn(assumed, name)) continue;
    if (unknownIn(expression, context.placeholders) !== undefined) continue;
    try {
      outputs[name] = context.expressions.evaluate(expression, context.withOutputs(outputs));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      warnings.push(`capture ${name} not computed from dry_run.outputs: ${error.message}`);
    }
  }
  return { outputs, warnings };
}
