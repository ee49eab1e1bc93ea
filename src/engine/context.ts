import { stepsOf, type Runbook } from '../schema/runbook.js';
import { loadExpressions, toCel } from '../schema/expressions.js';
import { loadRegex, mentionsPatterns } from '../schema/regex.js';
import type { RunMode, StepRecord } from './events.js';

/** What expressions see: vars, env (declared only), steps, runbook, run — and, while a step's
 * expect/capture/until is evaluated, that step's `outputs`. Values are kept converted for CEL. */
export class ExpressionContext {
  readonly #base: Record<string, unknown>;
  readonly #steps: Record<string, unknown> = {};

  constructor(input: {
    runbook: Runbook;
    vars: Record<string, unknown>;
    env: Record<string, string>;
    runId: string;
    mode: RunMode;
    startedAt: string;
  }) {
    const { runbook } = input;
    this.#base = {
      vars: toCel(input.vars),
      env: toCel(input.env),
      runbook: toCel({
        id: runbook.id,
        title: runbook.title,
        service: runbook.service ?? '',
        severity:
          typeof runbook.severity === 'string'
            ? runbook.severity
            : (runbook.severity ?? []).join('/'),
        tags: runbook.tags ?? [],
      }),
      run: toCel({
        id: input.runId,
        mode: input.mode,
        dry_run: input.mode === 'dry-run',
        started_at: input.startedAt,
      }),
      steps: this.#steps,
    };
  }

  /** Records a finished step; it is reachable as `steps.<id>` and, for kebab-case ids, `steps.<id_with_underscores>`. */
  setStep(record: StepRecord): void {
    const value = toCel({
      status: record.status,
      outputs: record.outputs,
      exit_code: record.exit_code,
      duration_ms: record.duration_ms,
      finding: record.finding ?? false,
    });
    this.#steps[record.id] = value;
    const alias = record.id.replace(/-/g, '_');
    if (alias !== record.id) this.#steps[alias] = value;
  }

  get(): Record<string, unknown> {
    return this.#base;
  }

  withOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
    return { ...this.#base, outputs: toCel(outputs) };
  }
}

/** Whether a runbook has anything to evaluate: a `${{ }}` template anywhere, or a step's when,
 * capture, retry.until or expression-form expect. */
export function usesExpressions(runbook: Runbook): boolean {
  const bare = stepsOf(runbook).some(
    ({ step }) =>
      step.when !== undefined ||
      step.capture !== undefined ||
      step.retry?.until !== undefined ||
      typeof step.expect === 'string' ||
      Array.isArray(step.expect),
  );
  return bare || JSON.stringify(runbook).includes('${{');
}

/** Loads the expression language if the runbook needs it (see expressions.ts). */
export async function loadExpressionsFor(runbook: Runbook): Promise<void> {
  const text = JSON.stringify(runbook);
  if (usesExpressions(runbook)) await loadExpressions(text);
  // `expect: { x: { matches: … } }` needs the patterns without the language.
  else if (mentionsPatterns(text)) await loadRegex();
}
