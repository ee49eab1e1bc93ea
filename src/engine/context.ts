import { stepsOf, type Runbook, type Step } from '../schema/runbook.js';
import {
  expressionNeeds,
  hasTemplate,
  loadExpressions,
  templateExpressions,
  toCel,
  type ExpressionNeeds,
  type Expressions,
} from '../schema/expressions.js';
import { mentionsPatterns } from '../schema/regex.js';
import type { RunMode, StepRecord } from './events.js';
import { planningExpressions } from './plan-values.js';
import type { Placeholders } from './vars.js';
import { alertContext } from './alert-context.js';
import type { Alert } from '../schema/alert-payload.js';

/** What expressions see: vars, env (declared only), steps, runbook, run — and, while a step's
 * expect/capture/until is evaluated, that step's `outputs`. Values are kept converted for CEL.
 * It carries the language the run's expressions are evaluated in (`loadExpressionsFor`). */
export class ExpressionContext {
  readonly expressions: Expressions;
  /** What templates are rendered with: in a plan, the language that shows what it cannot know
   * (plan-values.ts); else `expressions`. */
  readonly rendering: Expressions;
  /** The required variables a plan has no value for (vars.ts). */
  readonly placeholders: Placeholders | undefined;
  /** The placeholders a plan put in commands so far; undefined outside a plan. */
  readonly shown: ReadonlySet<string> | undefined;
  readonly #base: Record<string, unknown>;
  readonly #steps: Record<string, unknown> = {};

  constructor(
    input:
      | {
          expressions: Expressions;
          runbook: Runbook;
          vars: Record<string, unknown>;
          env: Record<string, string>;
          runId: string;
          mode: RunMode;
          startedAt: string;
          placeholders?: Placeholders | undefined;
          /** The alert the run answers (`run --alert`); `alert.*` is empty without one. */
          alert?: Alert | undefined;
        }
      | { parent: ExpressionContext; bindings: Record<string, unknown> },
  ) {
    if ('parent' in input) {
      // One item of a for_each: step (loop.ts): the run's values, the steps so far, and the item.
      const { parent } = input;
      this.expressions = parent.expressions;
      this.rendering = parent.rendering;
      this.placeholders = parent.placeholders;
      this.shown = parent.shown;
      Object.assign(this.#steps, parent.#steps);
      this.#base = { ...parent.#base, ...(toCel(input.bindings) as object), steps: this.#steps };
      return;
    }
    const { runbook } = input;
    this.expressions = input.expressions;
    this.placeholders = input.placeholders;
    if (input.mode === 'dry-run') {
      const shown = new Set<string>();
      this.shown = shown;
      this.rendering = planningExpressions(input.expressions, input.placeholders, shown);
    } else this.rendering = input.expressions;
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
      alert: toCel(alertContext(input.alert)),
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

  /** The context of one item of a for_each: step: these names added (the item, `loop`), and the
   * steps of the item's group, as they finish, seen by the group's later steps only. */
  forItem(bindings: Record<string, unknown>): ExpressionContext {
    return new ExpressionContext({ parent: this, bindings });
  }

  withOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
    return { ...this.#base, outputs: toCel(outputs) };
  }
}

/** Whether a runbook has anything to evaluate: a `${{ }}` template anywhere, or a step's when,
 * capture, retry.until or expression-form expect. */
export function usesExpressions(runbook: Runbook): boolean {
  return expressionSources(runbook).length > 0;
}

/** Whether any expression of a runbook passes `test` (run.ts: whether it reads an alert). */
export function usesAlertIn(runbook: Runbook, test: (source: string) => boolean): boolean {
  return expressionSources(runbook).some(test);
}

/** Every expression of a runbook: the bare ones of its steps (when, capture, retry.until,
 * expression-form expect) and those of its `${{ }}` templates, wherever they are. */
function expressionSources(runbook: Runbook): string[] {
  const sources: string[] = [];
  for (const { step } of stepsOf(runbook)) {
    sources.push(...bareExpressions(step));
    for (const inner of step.steps ?? []) sources.push(...bareExpressions(inner));
  }
  collectTemplates(runbook, sources);
  return sources;
}

/** A step's bare expressions: when, capture, retry.until, expression-form expect. */
function bareExpressions(step: Step): string[] {
  const sources: string[] = [];
  if (step.when !== undefined) sources.push(step.when);
  if (step.capture !== undefined) sources.push(...Object.values(step.capture));
  if (step.retry?.until !== undefined) sources.push(step.retry.until);
  if (typeof step.expect === 'string') sources.push(step.expect);
  else if (Array.isArray(step.expect)) sources.push(...step.expect);
  return sources;
}

/** The expressions of every `${{ }}` template in a value, added to `sources`. */
function collectTemplates(value: unknown, sources: string[]): void {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return;
    try {
      sources.push(...templateExpressions(value));
    } catch {
      // Unterminated: rendering refuses it before anything is evaluated; kept whole all the same.
      sources.push(value);
    }
  } else if (Array.isArray(value)) for (const item of value) collectTemplates(item, sources);
  else if (value !== null && typeof value === 'object')
    for (const item of Object.values(value)) collectTemplates(item, sources);
}

const OUTPUT_REFERENCE =
  /\bsteps\s*\.\s*([A-Za-z_][\w-]*)\s*\.\s*outputs\b(?:\s*\.\s*([A-Za-z_]\w*))?/g;

/**
 * The outputs of other steps that `readers` read, by the id of the step that sets them:
 * `steps.<id>.outputs.<name>` in their expressions and templates (a kebab-case id also by its
 * underscore alias). `*` stands for a read of a step's whole `outputs`. Only steps named in `ids`
 * are looked for.
 */
export function outputsRead(
  readers: readonly Step[],
  ids: readonly string[],
): Map<string, Set<string>> {
  const byName = new Map<string, string>();
  for (const id of ids) {
    byName.set(id, id);
    byName.set(id.replace(/-/g, '_'), id);
  }
  const read = new Map<string, Set<string>>();
  for (const step of readers) {
    const sources = bareExpressions(step);
    collectTemplates(step, sources);
    for (const source of sources)
      for (const [, name = '', output] of source.matchAll(OUTPUT_REFERENCE)) {
        const id = byName.get(name);
        if (id === undefined) continue;
        const names = read.get(id) ?? new Set<string>();
        names.add(output ?? '*');
        read.set(id, names);
      }
  }
  return read;
}

/** The variables that `steps` read in their expressions and templates (`vars.x`, `vars["x"]`);
 * undefined when one reads `vars` as a whole (`vars[name]`), which may be any of them. */
export function varsRead(steps: readonly Step[]): Set<string> | undefined {
  const read = new Set<string>();
  for (const step of steps) {
    const sources = bareExpressions(step);
    collectTemplates(step, sources);
    for (const source of sources)
      for (const match of source.matchAll(VARS_REFERENCE)) {
        const name = match[1] ?? match[2];
        if (name === undefined) return undefined;
        read.add(name);
      }
  }
  return read;
}

const VARS_REFERENCE =
  /(?<![.\w])vars\b(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*["']([^"']+)["']\s*\])?/g;

/** What a runbook's expressions and patterns need loaded (see `expressionNeeds`): nothing for one
 * of plain shell steps. */
export function expressionNeedsOf(runbook: Runbook): ExpressionNeeds {
  const sources = expressionSources(runbook);
  return {
    ...expressionNeeds(sources.join('\n')),
    expressions: sources.length > 0,
    // Also `expect: { x: { matches: … } }`, which needs the patterns without the language.
    patterns: mentionsPatterns(JSON.stringify(runbook)),
  };
}

/** The language a runbook's expressions are evaluated in, with what they need (see
 * expressions.ts). */
export function loadExpressionsFor(runbook: Runbook): Promise<Expressions> {
  let needs = NEEDS.get(runbook);
  if (!needs) NEEDS.set(runbook, (needs = expressionNeedsOf(runbook)));
  return loadExpressions(needs);
}

/** What each runbook's expressions need, worked out once per loaded runbook: `runbook test` runs
 * one many times. */
const NEEDS = new WeakMap<Runbook, ExpressionNeeds>();
