import { EFFECT_RANK, type Effect } from '../adapters/adapter.js';
import { ExpressionError } from '../schema/expressions.js';
import { callLabel, calledId, sectionSteps, type CallTarget } from '../schema/calls.js';
import { SECTIONS, type Runbook, type Section, type Step } from '../schema/runbook.js';
import type { ExpressionContext } from './context.js';
import type { StepRecord } from './events.js';
import type { CallableRunbook, StepOptions } from './options.js';
import { renderValue } from './render.js';
import { placeholder, resolveVars, type ResolvedVars } from './vars.js';

/**
 * What a `call:` step needs besides the run (docs/format.md#sub-runbooks): the called runbook's
 * values from `with:`, the steps it runs under their ids in the run (`<call-id>/<step-id>`), and the
 * calling step's record made of theirs. The run itself (run.ts) runs them as its own.
 */

export type { CallableRunbook };

/** The called runbook's values: those `with:` gives (rendered in the caller's context), else the
 * runbook's own sources — its `env:` variables, its defaults. The caller's other values, secrets
 * included, do not pass. Throws CallError for a value it refuses or lacks (a plan shows a required
 * one it lacks as `<name>`). A secret value is added to the run's redactor. */
export function callVars(
  step: Step,
  called: Runbook,
  context: ExpressionContext,
  options: Pick<StepOptions, 'env' | 'redactor'>,
  dryRun: boolean,
): ResolvedVars {
  let given: Record<string, unknown>;
  try {
    given = plain(renderValue(step.with ?? {}, context.get(), context.rendering)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    if (error instanceof ExpressionError) throw new CallError(`with: ${error.message}`);
    throw error;
  }
  const resolved = resolveVars(called, {
    cliVars: {},
    envName: undefined,
    processEnv: options.env,
    allowMissing: true,
    placeholders: dryRun,
  });
  const declared = called.vars ?? {};
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(declared, name))
      throw new CallError(`runbook ${called.id} declares no variable "${name}"`);
    const definition = declared[name];
    const choices =
      definition !== null && typeof definition === 'object' ? definition.choices : undefined;
    const shown = dryRun && value === placeholderOf(value);
    if (choices && !shown && !(choices as unknown[]).includes(value))
      throw new CallError(
        `with.${name} is ${JSON.stringify(value)}, not one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`,
      );
    resolved.values[name] = value;
    resolved.sources[name] = 'var';
  }
  const missing = (resolved.missingVars ?? []).filter(({ name }) => !Object.hasOwn(given, name));
  if (resolved.placeholders) {
    const vars = new Set([...resolved.placeholders.vars].filter((name) => !(name in given)));
    const env = new Map([...resolved.placeholders.env].filter(([, name]) => vars.has(name)));
    resolved.placeholders = { vars, env };
  }
  if (missing.length > 0 && !dryRun)
    throw new CallError(
      `runbook ${called.id} needs ${missing.length === 1 ? 'a value' : 'values'} for: ${missing.map(({ name }) => name).join(', ')} (give ${missing.length === 1 ? 'it' : 'them'} under with:)`,
    );
  resolved.missingVars = missing;
  resolved.missing = missing.map(({ name }) => name);
  for (const name of resolved.secrets) {
    const value = resolved.values[name];
    if (value !== null && value !== undefined && value !== '') options.redactor.add(value);
  }
  return resolved;
}

/** A placeholder's own text, when the value is one (`<name>`); else undefined. */
function placeholderOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^<([A-Za-z_][A-Za-z0-9_]*)>$/.exec(value);
  return match ? placeholder(match[1] ?? '') : undefined;
}

/** A value rendered for CEL, as plain data: whole numbers as numbers. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([key, item]) => [String(key), plain(item)]));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

/** A call that cannot start: the calling step fails with this reason. */
export class CallError extends Error {}

/** The sections a call runs, in order: the one it names, or those a run runs (the rollback only
 * on a failure). */
export function calledSections(target: CallTarget): Section[] {
  if (target.section) return [target.section];
  return SECTIONS.filter((section) => section !== 'rollback');
}

/** A called section's steps, under their ids in the run (`<call-id>/<step-id>`). */
export function calledSteps(called: Runbook, section: Section, prefix: string): Step[] {
  return sectionSteps(called, section).map((step) => ({ ...step, id: calledId(prefix, step.id) }));
}

/** The command a call step shows: `call <id>` or `call <id>#<section>`. */
export function callCommand(target: CallTarget): string {
  return `call ${callLabel(target)}`;
}

/** A call's effect: the highest of the steps it ran (manual when it ran only manual steps). */
export function callEffect(records: readonly StepRecord[]): StepRecord['effect'] {
  let effect: Effect | undefined;
  let manual = false;
  for (const record of records) {
    if (record.effect === 'manual') manual = true;
    else if (!effect || EFFECT_RANK[record.effect] > EFFECT_RANK[effect]) effect = record.effect;
  }
  return effect ?? (manual ? 'manual' : 'read');
}

/** A call's outputs: those of the last called step that ran (succeeded, or planned in a plan). */
export function callOutputs(records: readonly StepRecord[]): Record<string, unknown> {
  for (let index = records.length - 1; index >= 0; index--) {
    const record = records[index] as StepRecord;
    if (record.status === 'succeeded' || record.status === 'planned') return record.outputs;
  }
  return {};
}
