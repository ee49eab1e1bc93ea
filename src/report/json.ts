import type { Diagnostic } from '../common/errors.js';
import type { CheckResult } from '../engine/check.js';
import type { RunResult, StepRecord } from '../engine/events.js';
import type { ResolvedVars } from '../engine/vars.js';
import { missingVarsJson, missingVarsWarning } from './plan-warning.js';

// The documents of `--format json` (docs/commands.md): their keys are a contract, extended but
// never renamed. Each renderer returns the text, ending with a newline.

const document = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `run --format json`. `exitCode` is the one the CLI exits with for the run's status. A plan
 * (`--dry-run`) also lists the required variables it had no value for (`missing_vars`), and its
 * warning about them (`warnings`). */
export function runJson(
  result: RunResult,
  exitCode: number,
  vars?: Pick<ResolvedVars, 'missingVars'>,
  /** A documentation-only runbook's guidance (report/guidance.ts guidanceJson). */
  guidance?: Record<string, unknown>,
): string {
  const plan = result.mode === 'dry-run' && vars !== undefined;
  const warnings = plan && vars.missingVars?.length ? [missingVarsWarning(vars)] : [];
  return document({
    run_id: result.run_id,
    runbook: result.runbook.id,
    status: result.status,
    exit_code: exitCode,
    mode: result.mode,
    reason: result.reason ?? null,
    duration_ms: result.duration_ms,
    findings: result.findings,
    journal: result.journal ?? null,
    steps: result.steps.map((step) => stepJson(step)),
    ...(plan ? { missing_vars: missingVarsJson(vars) } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(guidance ? { guidance } : {}),
    ...(result.escalations?.length
      ? {
          escalations: result.escalations.map((escalated) => ({
            rule: escalated.rule,
            when: escalated.when,
            reason: escalated.reason,
            step: escalated.step ?? null,
            to: escalated.to,
            via: escalated.via ?? null,
            contact: escalated.contact ?? null,
            at: escalated.at,
            notified: escalated.notified ?? null,
            ...(escalated.notify_error === undefined
              ? {}
              : { notify_error: escalated.notify_error }),
          })),
        }
      : {}),
  });
}

/** A step's record in `run --format json`. A for_each: step's has its loop and each item's
 * record (whose outputs are the step's outputs.items[i].outputs). */
function stepJson(step: StepRecord, item = false): Record<string, unknown> {
  return {
    id: step.id,
    section: step.section,
    status: step.status,
    effect: step.effect,
    command: step.command ?? null,
    exit_code: step.exit_code,
    duration_ms: step.duration_ms,
    ...(item ? {} : { outputs: step.outputs }),
    attempts: step.attempts,
    ...(step.reason ? { reason: step.reason } : {}),
    ...(step.condition === undefined ? {} : { condition: step.condition }),
    ...(step.finding ? { finding: true } : {}),
    ...(step.warnings?.length ? { warnings: step.warnings } : {}),
    ...(step.declined ? { declined: true } : {}),
    ...(step.unavailable ? { unavailable: true } : {}),
    ...(step.hint === undefined ? {} : { hint: step.hint }),
    ...(step.left_running ? { left_running: step.left_running } : {}),
    ...(step.loop === undefined ? {} : { loop: step.loop }),
    ...(step.item ? { item: step.item } : {}),
    ...(step.restored ? { restored: true } : {}),
    ...(step.items ? { items: step.items.map((one) => stepJson(one, true)) } : {}),
  };
}

/** `check --format json`: the worst state, and each check with its values and their levels. */
export function checkJson(state: string, results: readonly CheckResult[], error?: string): string {
  return document({
    state,
    ...(error === undefined ? {} : { error }),
    checks: results.map((r) => ({
      runbook: r.runbook,
      id: r.id,
      state: r.state,
      summary: r.summary,
      values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v.value])),
      levels: r.values,
      duration_ms: r.duration_ms,
      service: r.service ?? null,
      severity: r.severity ?? null,
      ...(r.item === undefined ? {} : { item: r.item }),
    })),
  });
}

/** `validate --format json`: each file with its errors and warnings, and the counts. */
/** A diagnostic as JSON shows it: the source line is for the caret display only. */
export function diagnosticJson({
  sourceLine: _line,
  ...diagnostic
}: Diagnostic): Omit<Diagnostic, 'sourceLine'> {
  return diagnostic;
}

export function validationJson(
  files: ReadonlyArray<{
    file: string;
    id?: string | undefined;
    diagnostics: readonly Diagnostic[];
  }>,
): string {
  const of = (diagnostics: readonly Diagnostic[], severity: Diagnostic['severity']) =>
    diagnostics.filter((d) => d.severity === severity).map(diagnosticJson);
  const errors = files.reduce((n, f) => n + of(f.diagnostics, 'error').length, 0);
  const warnings = files.reduce((n, f) => n + of(f.diagnostics, 'warning').length, 0);
  return document({
    valid: errors === 0 && files.length > 0,
    files: files.map((f) => ({
      file: f.file,
      id: f.id ?? null,
      valid: !f.diagnostics.some((d) => d.severity === 'error'),
      errors: of(f.diagnostics, 'error'),
      warnings: of(f.diagnostics, 'warning'),
    })),
    error_count: errors,
    warning_count: warnings,
  });
}
