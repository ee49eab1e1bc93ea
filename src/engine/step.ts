import { ExpressionBoundError, ExpressionError, type Expressions } from '../schema/expressions.js';
import type { Section, Step } from '../schema/runbook.js';
import { Attempts, STOPPED_AT_BOUND } from './attempt.js';
import { ExpressionContext } from './context.js';
import { now, type Emitter } from './emitter.js';
import type { StepRecord } from './events.js';
import type { ExpectResult } from './expect.js';
import type { Plan, StepOptions } from './options.js';
import { approveStep } from './policy.js';
import { PrepareError, prepareStep, stepEffect, type Prepared } from './prepare.js';
import { monotonicMs } from '../common/clock.js';
import {
  answerOutputs,
  answerProblem,
  questionOf,
  questionText,
  type Question,
} from '../schema/answers.js';
import { currentUser } from './user.js';
import { unknownIn } from './plan-values.js';
import { assumedOutputs } from './dry-run.js';
import { blankLoopRecord, runLoop } from './loop.js';

/** The reason of a plan's step that could not be planned whole: its inputs did not render. */
export const NOT_PLANNED = 'not evaluated in a dry run';

/** A step's record before it runs, to be completed. */
type Blank = (
  status: StepRecord['status'],
  effect: StepRecord['effect'],
  command: string | undefined,
) => StepRecord;

/** The steps of one run (or of `runbook check`), each through the same path: its gates (the plan's
 * start, an interruption, `when:`), its inputs, a plan or an approval, then its action or its person. */
export class Steps {
  /** What expressions see; each finished step is added by the run. */
  readonly context: ExpressionContext;
  readonly #options: StepOptions;
  readonly #plan: Plan;
  readonly #emitter: Emitter;
  readonly #attempts: Attempts;
  /** The step the plan starts from, until it is reached. */
  #awaiting: string | undefined;

  /** Each item's verdict of a for_each: step's `expect:`, by the step's id (`runbook check`). */
  readonly itemVerdicts = new Map<string, ExpectResult[]>();

  /** `expressions`: the runbook's language (`loadExpressionsFor`). `context`: for one item of a
   * for_each: step, the item's (loop.ts). */
  constructor(
    options: StepOptions,
    plan: Plan,
    emitter: Emitter,
    expressions: Expressions,
    context?: ExpressionContext,
  ) {
    this.#options = options;
    this.#plan = plan;
    this.#emitter = emitter;
    this.context =
      context ??
      new ExpressionContext({
        expressions,
        runbook: options.runbook,
        vars: options.vars.values,
        env: options.vars.declaredEnv,
        runId: options.runId,
        mode: plan.mode,
        startedAt: options.fixedTime ?? new Date().toISOString(),
        placeholders: plan.mode === 'dry-run' ? options.vars.placeholders : undefined,
        alert: options.alert,
      });
    this.#attempts = new Attempts(options, this.context, emitter);
    this.#awaiting = plan.from;
  }

  /** The verdict of the step's `expect:`, when it ran to one. */
  verdict(id: string): ExpectResult | undefined {
    return this.#attempts.verdicts.get(id);
  }

  async run(section: Section, step: Step): Promise<StepRecord> {
    if (step.for_each !== undefined) return this.#loop(section, step);
    const { mode } = this.#plan;
    const blank: Blank = (status, effect, command) => ({
      id: step.id,
      name: step.name,
      section,
      status,
      effect,
      command,
      exit_code: null,
      duration_ms: 0,
      outputs: {},
      attempts: 0,
    });
    // Inputs are rendered first so that even a skipped step shows its command; but a step whose
    // `when:` is false is skipped whether or not its inputs could be rendered.
    let prepared: Prepared | undefined;
    let prepareError: Error | undefined;
    try {
      prepared = await prepareStep(step, this.context, this.#options);
    } catch (error) {
      if (!(error instanceof ExpressionError) && !(error instanceof PrepareError)) throw error;
      prepareError = error;
    }
    const effect = prepared?.effect ?? stepEffect(step, undefined);
    const command = prepared?.command;
    const gated = this.#gate(step, (status) => blank(status, effect, command));
    if (gated && !('undecided' in gated)) return gated;
    // A condition a plan cannot decide: the step is planned as if it held, and says so.
    const undecided = gated && { condition: gated.undecided, reason: gated.reason };
    if (!prepared) {
      const message = prepareError?.message ?? 'could not be prepared';
      if (mode === 'dry-run')
        return {
          ...blank('planned', effect, undefined),
          ...undecided,
          reason: `${NOT_PLANNED}: ${message}`,
        };
      return { ...blank('failed', effect, undefined), reason: message };
    }

    if (mode === 'dry-run' || (mode === 'read-only' && effect !== 'read')) {
      this.#started(section, step, effect, command);
      const question = prepared.kind === 'manual' ? questionOf(step) : undefined;
      // What the step's dry_run: assumes, its captures applied (dry-run.ts).
      const { outputs, warnings } = assumedOutputs(step, this.context, {
        ...(prepared.kind === 'manual' ? { instruction: prepared.text } : {}),
        ...(question ? { question: questionText(question) } : {}),
        // An answer given with the run is what the plan assumes.
        ...(question && this.#options.answers?.has(step.id)
          ? answerOutputs(question, this.#options.answers.get(step.id) ?? '')
          : {}),
        ...step.dry_run?.outputs,
      });
      return {
        ...blank('planned', effect, command),
        outputs,
        ...(warnings.length > 0 ? { warnings } : {}),
        ...undecided,
        ...(mode === 'read-only' ? { asked: { kind: 'read-only', effect } as const } : {}),
      };
    }

    const refused = await approveStep(step, effect, command, this.#options, this.#emitter.emit);
    if (refused) return { ...blank('skipped', effect, command), ...refused, declined: true };

    this.#started(section, step, effect, command);
    if (this.#emitter.stopped)
      return {
        ...blank('skipped', effect, command),
        reason: `not started: the run journal could not be written (${this.#emitter.journalError ?? ''})`,
      };
    if (prepared.kind === 'manual')
      return this.#manual(step, blank('succeeded', 'manual', undefined), prepared.text);
    return this.#attempts.run(section, step, prepared, blank('succeeded', effect, command));
  }

  /** The gates of a step that is not run here (a `call:` step, run.ts): as `#gate`. */
  gate(
    step: Step,
    blank: (status: StepRecord['status']) => StepRecord,
  ): StepRecord | { undecided: string; reason: string } | undefined {
    return this.#gate(step, blank);
  }

  /** A for_each: step (loop.ts): the plan's start and an interruption gate it whole; its `when:`
   * is each item's. */
  async #loop(section: Section, step: Step): Promise<StepRecord> {
    const gated = this.#gate({ ...step, when: undefined }, (status) =>
      blankLoopRecord(section, step, status),
    );
    if (gated && !('undecided' in gated)) return gated;
    const verdicts: ExpectResult[] = [];
    const { expressions } = this.context;
    const { from: _from, ...itemPlan } = this.#plan;
    const record = await runLoop(
      section,
      step,
      {
        options: this.#options,
        plan: this.#plan,
        emitter: this.#emitter,
        context: this.context,
        itemSteps: (context, emitter, options) =>
          new Steps(options, itemPlan, emitter, expressions, context),
      },
      verdicts,
    );
    this.itemVerdicts.set(step.id, verdicts);
    return record;
  }

  /** What keeps a step from starting: the plan's start, an interruption, its `when:`; or, in a
   * plan, a `when:` it cannot decide (one that reads a value the plan does not have). */
  #gate(
    step: Step,
    blank: (status: StepRecord['status']) => StepRecord,
  ): StepRecord | { undecided: string; reason: string } | undefined {
    if (this.#awaiting !== undefined) {
      if (step.id === this.#awaiting) this.#awaiting = undefined;
      else return { ...blank('skipped'), asked: { kind: 'before-from', from: this.#awaiting } };
    }
    if (this.#options.signal.aborted)
      return { ...blank('interrupted'), reason: 'interrupted before it started' };
    if (step.when === undefined) return undefined;
    const dryRun = this.#plan.mode === 'dry-run';
    // Evaluated against a placeholder, it would be decided on a value the real run never sees.
    const unknown = dryRun ? unknownIn(step.when, this.context.placeholders) : undefined;
    if (unknown)
      return { undecided: step.when, reason: `condition not decided in a dry run: ${unknown}` };
    try {
      const value = this.context.expressions.evaluate(step.when, this.context.get());
      if (value !== true)
        return { ...blank('skipped'), reason: `when: ${step.when} is ${String(value)}` };
      return undefined;
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      if (dryRun)
        return {
          undecided: step.when,
          reason: `condition not decided in a dry run: ${error.message}`,
        };
      return {
        ...blank('failed'),
        reason: `when: ${error.message}`,
        ...(error instanceof ExpressionBoundError ? STOPPED_AT_BOUND : {}),
      };
    }
  }

  #started(
    section: Section,
    step: Step,
    effect: StepRecord['effect'],
    command: string | undefined,
  ): void {
    this.#emitter.emit({
      type: 'step.start',
      ts: now(),
      section,
      step: step.id,
      name: step.name,
      effect,
      command,
    });
  }

  async #manual(step: Step, record: StepRecord, text: string): Promise<StepRecord> {
    if (this.#plan.resume?.acknowledged.has(step.id)) {
      // Acknowledged by the person continuing the run, as they continued it.
      const by = currentUser();
      this.#emitter.emit({ type: 'step.confirm', ts: now(), step: step.id, approved: true, by });
      return acknowledged(record, text, by, 0, this.#options.fixedTime);
    }
    const question = questionOf(step);
    if (question) return this.#answer(step, record, text, question);
    const prompter = this.#options.ports.prompter;
    if (!prompter) {
      return {
        ...record,
        status: 'pending',
        outputs: { instruction: text },
        reason: `manual step "${step.id}" needs a person: run interactively to acknowledge it`,
      };
    }
    const started = monotonicMs();
    const answer = await prompter.acknowledge({ step: step.id, name: step.name, text });
    const duration = Math.round(monotonicMs() - started);
    if (!answer)
      return notDone(record, text, duration, `manual step ${step.id} was not acknowledged`);
    return acknowledged(record, text, answer.by, duration, this.#options.fixedTime);
  }

  /** A manual step that asks (docs/format.md#answers): answered with the run, or at the prompter,
   * or pending. The answer is journaled with who gave it, and becomes the step's outputs. */
  async #answer(
    step: Step,
    record: StepRecord,
    text: string,
    question: Question,
  ): Promise<StepRecord> {
    const check = (value: string): string | undefined =>
      answerProblem(question, value, (pattern, candidate) =>
        this.context.expressions.regex.test(pattern, candidate),
      );
    const answered = (value: string, by: string, duration: number, before: boolean): StepRecord => {
      this.#emitter.emit({
        type: 'step.answer',
        ts: now(),
        step: step.id,
        name: question.name,
        value,
        by,
        given_before: before,
      });
      return acknowledged(
        record,
        text,
        by,
        duration,
        this.#options.fixedTime,
        answerOutputs(question, value),
      );
    };
    const given = this.#options.answers?.get(step.id);
    if (given !== undefined) {
      const problem = check(given);
      if (problem)
        return {
          ...record,
          status: 'failed',
          outputs: { instruction: text },
          reason: `the answer given for ${step.id} is not accepted: ${problem}`,
        };
      return answered(given, currentUser(), 0, true);
    }
    const ask = this.#options.ports.prompter?.ask;
    if (!ask)
      return {
        ...record,
        status: 'pending',
        outputs: { instruction: text, question: questionText(question) },
        reason: `manual step "${step.id}" needs an answer`,
        asked: { kind: 'needs-answer', step: step.id },
      };
    const started = monotonicMs();
    const answer = await ask({ step: step.id, name: step.name, text, question, check });
    const duration = Math.round(monotonicMs() - started);
    if (!answer) return notDone(record, text, duration, `manual step ${step.id} was not answered`);
    // The prompter checks as the person types; a prompter that did not is held to it here.
    const problem = check(answer.value);
    if (problem)
      return {
        ...record,
        status: 'failed',
        duration_ms: duration,
        outputs: { instruction: text },
        reason: `the answer to ${step.id} is not accepted: ${problem}`,
      };
    return answered(answer.value, answer.by, duration, false);
  }
}

/** A manual step done: acknowledged (and, for a question, answered) by `by`. */
function acknowledged(
  record: StepRecord,
  text: string,
  by: string,
  duration: number,
  at: string | undefined,
  answer: Record<string, unknown> = {},
): StepRecord {
  return {
    ...record,
    attempts: 1,
    duration_ms: duration,
    outputs: { instruction: text, acknowledged_by: by, acknowledged_at: at ?? now(), ...answer },
  };
}

/** A manual step the person declined to acknowledge or answer: the run stops there. */
function notDone(record: StepRecord, text: string, duration: number, reason: string): StepRecord {
  return {
    ...record,
    status: 'skipped',
    declined: true,
    duration_ms: duration,
    outputs: { instruction: text },
    reason,
  };
}
