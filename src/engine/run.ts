import { hostname } from 'node:os';
import { loader } from '../common/lazy.js';
import type { Expressions } from '../schema/expressions.js';
import { SECTIONS, type Runbook, type Section, type Step } from '../schema/runbook.js';
import { loadExpressionsFor } from './context.js';
import { Emitter, now } from './emitter.js';
import { Escalation } from './escalation.js';
import type { Asked, RunbookInfo, RunResult, RunStatus, StepRecord } from './events.js';
import type { ExpectResult } from './expect.js';
import type { EngineOptions, StepOptions } from './options.js';
import { severityText, startPolicy } from './policy.js';
import { Steps } from './step.js';
import { currentUser } from './user.js';
import { monotonicMs } from '../common/clock.js';
import { MAX_CALL_DEPTH, callDepth, callLabel, callTarget } from '../schema/calls.js';
import {
  CallError,
  callCommand,
  callEffect,
  callOutputs,
  callVars,
  calledSections,
  calledSteps,
} from './call.js';

/** Why a run stops. */
interface Halt {
  status: Exclude<RunStatus, 'succeeded'>;
  reason: string;
  /** How the run was asked for, when that is why: worded after the reason. */
  asked?: Asked;
  /** The person who stopped the run at a failed step had the rollback run. */
  rollback?: boolean;
}

/** Runs a runbook: detection → diagnosis → resolution → verification, and rollback when resolution
 * or verification fails. Emits events; never prints. A dry run takes the same path and skips only
 * the side effect of each step. */
export async function runRunbook(options: EngineOptions): Promise<RunResult> {
  const started = monotonicMs();
  const expressions = await loadExpressionsFor(options.runbook);
  return new Run(options, expressions).run(started);
}

/** What one step gave in `runbook check`: its record, and the verdict of its `expect:` if it ran. */
export interface CheckStepResult {
  record: StepRecord;
  verdict: ExpectResult | undefined;
  /** A for_each: step's: each item's verdict, in the items' order. */
  items?: Array<ExpectResult | undefined>;
}

/** Runs single steps of one runbook on their own (for `runbook check`), each through the same
 * path as in a run, for real; they may run concurrently. */
export function stepRunner(
  options: StepOptions,
): (section: Section, step: Step) => Promise<CheckStepResult> {
  const plan = { mode: 'execute' } as const;
  const emitter = new Emitter(options.redactor, options.ports.events, plan.mode);
  // Set up on the first step, and once: the runbook's language loads with it.
  const loadSteps = loader(
    `the steps of ${options.runbook.id}`,
    async () => new Steps(options, plan, emitter, await loadExpressionsFor(options.runbook)),
  );
  return async (section, step) => {
    const steps = await loadSteps();
    const record = await steps.run(section, step);
    const items = steps.itemVerdicts.get(step.id);
    return options.redactor.redactDeep({
      record,
      verdict: steps.verdict(step.id),
      ...(items ? { items } : {}),
    });
  };
}

/** The runbook whose steps are running: the run's own, or one a `call:` step called
 * (docs/format.md#sub-runbooks), with its own values and expressions' context. */
interface Scope {
  runbook: Runbook;
  steps: Steps;
  /** What its step ids start with in the run: '' for the run's own, else `<call-id>/`. */
  prefix: string;
}

/** One run: its sections in order, each step's halt, the rollback, and the run's record. */
class Run {
  readonly #o: EngineOptions;
  readonly #emitter: Emitter;
  readonly #steps: Steps;
  readonly #info: RunbookInfo;
  readonly #records: StepRecord[] = [];
  readonly #findings: string[] = [];
  /** A continued run's completed steps, taken as they were (plan.resume). */
  readonly #restorable: ReadonlyMap<string, StepRecord>;
  /** The run's own runbook, its steps. */
  readonly #root: Scope;

  /** The escalation rules of a real run (escalation.ts): told every event, and timing prompts. */
  readonly #escalation: Escalation | undefined;

  constructor(given: EngineOptions, expressions: Expressions) {
    const escalation =
      given.plan.mode === 'execute'
        ? new Escalation(given, (event) => this.#emitter.emit(event))
        : undefined;
    const options = escalation ? escalation.options(given) : given;
    this.#escalation = escalation;
    this.#o = options;
    this.#restorable = new Map(options.plan.resume?.completed.map((record) => [record.id, record]));
    this.#emitter = new Emitter(options.redactor, options.ports.events, options.plan.mode);
    this.#steps = new Steps(options, options.plan, this.#emitter, expressions);
    this.#root = { runbook: options.runbook, steps: this.#steps, prefix: '' };
    const { runbook } = options;
    this.#info = {
      id: runbook.id,
      title: runbook.title,
      severity: severityText(runbook),
      service: runbook.service,
      file: options.file,
    };
  }

  /** `started`: when the run began (monotonicMs()), before its language loaded. */
  async run(started: number): Promise<RunResult> {
    const { runbook, plan } = this.#o;
    const pidStart = this.#o.pidStart === undefined ? {} : { pid_start: this.#o.pidStart };
    if (plan.resume)
      this.#emitter.emit({
        type: 'run.resume',
        ts: now(),
        run_id: this.#o.runId,
        part: plan.resume.part,
        mode: plan.mode,
        user: currentUser(),
        host: hostname(),
        pid: process.pid,
        ...pidStart,
        from_step: plan.resume.from,
        restored: plan.resume.completed.map((record) => record.id),
        ...(plan.resume.overridden ? { overridden: plan.resume.overridden } : {}),
      });
    else
      this.#emitter.emit({
        type: 'run.start',
        ts: now(),
        run_id: this.#o.runId,
        runbook: this.#info,
        mode: plan.mode,
        vars: this.#o.vars.values,
        user: currentUser(),
        host: hostname(),
        pid: process.pid,
        ...pidStart,
        journal: this.#emitter.journalPath,
        ...(this.#o.origin ? { origin: this.#o.origin } : {}),
        ...(this.#o.incident === undefined ? {} : { incident: this.#o.incident }),
      });
    if (this.#escalation)
      await startPolicy(this.#o, this.#steps.context, this.#emitter.emit, this.#escalation);

    let halt: Halt | undefined;
    let needsRollback = false;
    for (const section of SECTIONS) {
      if (section === 'rollback') break;
      if (plan.only !== undefined && !plan.only.has(section)) continue;
      const steps = stepsIn(runbook, section);
      if (steps.length === 0) continue;
      // A section a continued run completed before is taken as it was, without a word.
      if (steps.every((step) => this.#restorable.has(step.id))) {
        for (const step of steps) this.#restore(step);
        continue;
      }
      halt = await this.#runSection(section, steps);
      if (halt) {
        needsRollback =
          (halt.status === 'failed' || halt.rollback === true) &&
          (section === 'resolution' || section === 'verification');
        break;
      }
    }
    halt = this.#emitter.stopped ? this.#journalHalt() : await this.#rollback(halt, needsRollback);

    await this.#escalation?.stop();
    return this.#end(halt, Math.round(monotonicMs() - started));
  }

  /** Runs the rollback when resolution or verification failed; a plan shows it, and `plan.only`
   * may ask for it. Returns how the run ends. */
  async #rollback(halt: Halt | undefined, needed: boolean): Promise<Halt | undefined> {
    const { runbook, plan } = this.#o;
    const rollback = runbook.rollback ?? [];
    if (rollback.length === 0 || (plan.only !== undefined && !plan.only.has('rollback')))
      return halt;
    if (needed) {
      const rolledBack = await this.#runSection('rollback', rollback, {
        note: 'resolution or verification failed',
      });
      if (rolledBack && rolledBack.status !== 'failed' && halt)
        return { ...rolledBack, reason: `${halt.reason}; rollback: ${rolledBack.reason}` };
      return halt;
    }
    if (halt || (plan.mode === 'execute' && !plan.only?.has('rollback'))) return halt;
    // A plan shows the rollback too; a plan of the rollback alone runs it on purpose.
    return this.#runSection(
      'rollback',
      rollback,
      plan.mode === 'execute'
        ? { asked: { kind: 'only', section: 'rollback' } }
        : { note: 'runs only if resolution or verification fails' },
    );
  }

  #end(halt: Halt | undefined, duration: number): RunResult {
    const status: RunStatus = halt?.status ?? 'succeeded';
    this.#emitter.emit({
      type: 'run.end',
      ts: now(),
      run_id: this.#o.runId,
      status,
      duration_ms: duration,
      findings: this.#findings,
      ...(halt ? { reason: halt.reason } : {}),
      ...(halt?.asked ? { asked: halt.asked } : {}),
    });
    const journalError = this.#emitter.journalError;
    return this.#o.redactor.redactDeep({
      run_id: this.#o.runId,
      runbook: this.#info,
      mode: this.#o.plan.mode,
      status,
      reason: halt?.reason,
      ...(halt?.asked ? { asked: halt.asked } : {}),
      steps: this.#records,
      findings: this.#findings,
      duration_ms: duration,
      journal: this.#emitter.journalPath,
      ...(journalError === undefined ? {} : { journal_error: journalError }),
      ...(this.#escalation?.fired.length ? { escalations: this.#escalation.fired } : {}),
    });
  }

  /** Runs a section's steps in order, adjacent `parallel: true` steps together, until one halts. */
  async #runSection(
    section: Section,
    steps: readonly Step[],
    why?: { note: string } | { asked: Asked },
    scope: Scope = this.#root,
  ): Promise<Halt | undefined> {
    // A called runbook's sections are inside its call (call.start, call.end).
    const own = scope === this.#root;
    if (own) this.#emitter.emit({ type: 'section.start', ts: now(), section, ...why });
    let halt: Halt | undefined;
    for (let index = 0; index < steps.length && !halt;) {
      if (this.#emitter.stopped) {
        halt = this.#journalHalt();
        break;
      }
      const group = [steps[index] as Step];
      // `parallel: N` is a for_each: step's items at once (loop.ts), not this.
      if (group[0]?.parallel === true)
        while (steps[index + group.length]?.parallel === true)
          group.push(steps[index + group.length] as Step);
      index += group.length;
      const toRun = group.filter((step) => !this.#restore(step, scope));
      if (toRun.length === 0) continue;
      const halts =
        toRun.length === 1
          ? [await this.#runStep(section, toRun[0] as Step, scope)]
          : await Promise.all(toRun.map((step) => this.#runStep(section, step, scope)));
      halt = mostSevere(halts);
    }
    const status = !halt ? 'succeeded' : halt.status === 'failed' ? 'failed' : 'halted';
    if (own) this.#emitter.emit({ type: 'section.end', ts: now(), section, status });
    return halt;
  }

  /** Records a finished step where the expressions of its runbook see it: by its own id there. */
  #setStep(record: StepRecord, scope: Scope): void {
    scope.steps.context.setStep(
      scope.prefix === '' ? record : { ...record, id: record.id.slice(scope.prefix.length) },
    );
  }

  /** Takes a step a continued run completed before as it was: its record, its outputs for the
   * expressions of later steps, its finding. Returns whether it was one. */
  #restore(step: Step, scope: Scope = this.#root): boolean {
    const record = this.#restorable.get(step.id);
    if (!record) return false;
    this.#records.push(record);
    this.#setStep(record, scope);
    if (record.finding) this.#findings.push(record.id);
    return true;
  }

  /** Runs one step through its whole life; returns a Halt when the run must stop. */
  async #runStep(section: Section, step: Step, scope: Scope): Promise<Halt | undefined> {
    // A call's own steps had the person's call on their failures (below): the call is not retried.
    const called = step.call !== undefined;
    let record = called
      ? await this.#runCall(section, step, scope)
      : await scope.steps.run(section, step);
    let rollback = false;
    // With a person at the terminal, a failure is theirs to call: retry, skip, or stop the run.
    const onFailure = this.#o.ports.prompter?.onFailure;
    while (
      onFailure &&
      !called &&
      record.status === 'failed' &&
      !record.declined &&
      section !== 'detection' &&
      !step.continue_on_error &&
      !this.#o.signal.aborted
    ) {
      this.#emitter.emit({ type: 'step.end', ts: now(), ...record });
      const choice = await onFailure({
        step: step.id,
        name: step.name,
        section,
        reason: record.reason ?? 'failed',
        command: record.command,
        stderrTail: record.stderr_tail,
      });
      const by = currentUser();
      this.#emitter.emit({ type: 'step.decision', ts: now(), step: step.id, choice, by });
      if (choice === 'retry') {
        record = await scope.steps.run(section, step);
        continue;
      }
      const reason = record.reason ?? 'failed';
      if (choice === 'abort' && (section === 'resolution' || section === 'verification'))
        rollback = await this.#offerRollback(step, scope);
      record =
        choice === 'skip'
          ? { ...record, status: 'skipped', reason: `skipped by ${by} after it failed: ${reason}` }
          : {
              ...record,
              declined: true,
              reason: `stopped by ${by} after ${step.id} failed: ${reason}`,
            };
    }
    this.#records.push(record);
    this.#setStep(record, scope);
    this.#emitter.emit({ type: 'step.end', ts: now(), ...record });
    if (record.finding) this.#findings.push(record.id);
    const halt = haltOf(record, section === 'detection' || step.continue_on_error === true);
    return halt && rollback ? { ...halt, rollback } : halt;
  }

  /**
   * A `call:` step (docs/format.md#sub-runbooks): the runbook it names, or one section of it, runs
   * here, its steps as the run's own (the same approvals, prompts, journal and view) under the ids
   * `<step>/<id>`; when one of its resolution or verification steps fails, its own rollback runs.
   * Returns the calling step's record: how the called steps ended, and the outputs of the last
   * that ran. Kept apart so that a step run once per item can call per item.
   */
  async #runCall(section: Section, step: Step, scope: Scope): Promise<StepRecord> {
    const target = callTarget(step.call);
    const command = target ? callCommand(target) : 'call';
    const label = target ? callLabel(target) : '';
    const started = monotonicMs();
    const blank = (status: StepRecord['status']): StepRecord => ({
      id: step.id,
      name: step.name,
      section,
      status,
      effect: 'read',
      command: undefined,
      exit_code: null,
      duration_ms: 0,
      outputs: {},
      attempts: 0,
      call: label,
    });
    const gated = scope.steps.gate(step, blank);
    if (gated && !('undecided' in gated)) return gated;
    const undecided = gated && { condition: gated.undecided, reason: gated.reason };
    const found = target && this.#o.calls?.get(target.runbook);
    if (!target || !found) return { ...blank('failed'), reason: `${command}: no such runbook` };
    if (callDepth(step.id) >= MAX_CALL_DEPTH)
      return {
        ...blank('failed'),
        reason: `${command}: calls are nested deeper than ${MAX_CALL_DEPTH}`,
      };
    const { plan } = this.#o;
    let vars;
    try {
      vars = callVars(step, found.runbook, scope.steps.context, this.#o, plan.mode === 'dry-run');
    } catch (error) {
      if (!(error instanceof CallError)) throw error;
      return { ...blank('failed'), reason: `${command}: ${error.message}` };
    }
    const options = { ...this.#o, runbook: found.runbook, file: found.file, vars };
    const expressions = await loadExpressionsFor(found.runbook);
    const inner: Scope = {
      runbook: found.runbook,
      steps: new Steps(options, { mode: plan.mode, ...pick(plan) }, this.#emitter, expressions),
      prefix: `${step.id}/`,
    };
    this.#emitter.emit({
      type: 'step.start',
      ts: now(),
      section,
      step: step.id,
      name: step.name,
      effect: 'read',
      command: undefined,
    });
    this.#emitter.emit({
      type: 'call.start',
      ts: now(),
      step: step.id,
      runbook: {
        id: found.runbook.id,
        title: found.runbook.title,
        severity: severityText(found.runbook),
        service: found.runbook.service,
        file: found.file,
      },
      ...(target.section ? { section: target.section } : {}),
      vars: vars.values,
    });
    const first = this.#records.length;
    let halt: Halt | undefined;
    let failedIn: Section | undefined;
    for (const called of calledSections(target)) {
      const steps = calledSteps(found.runbook, called, step.id);
      if (steps.length === 0) continue;
      halt = await this.#runSection(called, steps, undefined, inner);
      if (halt) {
        failedIn = called;
        break;
      }
    }
    const rollback = found.runbook.rollback ?? [];
    const rollsBack =
      halt !== undefined &&
      (halt.status === 'failed' || halt.rollback === true) &&
      (failedIn === 'resolution' || failedIn === 'verification') &&
      rollback.length > 0 &&
      !this.#emitter.stopped;
    if (rollsBack) {
      const rolledBack = await this.#runSection(
        'rollback',
        calledSteps(found.runbook, 'rollback', step.id),
        undefined,
        inner,
      );
      if (rolledBack && rolledBack.status !== 'failed' && halt)
        halt = { ...rolledBack, reason: `${halt.reason}; rollback: ${rolledBack.reason}` };
    }
    const mine = this.#records
      .slice(first)
      .filter((record) => record.id.lastIndexOf('/') === step.id.length);
    this.#emitter.emit({
      type: 'call.end',
      ts: now(),
      step: step.id,
      status: !halt ? 'succeeded' : halt.status === 'failed' ? 'failed' : 'halted',
      ...(rollsBack ? { rolled_back: true } : {}),
    });
    const record: StepRecord = {
      ...blank('succeeded'),
      effect: callEffect(mine),
      duration_ms: Math.round(monotonicMs() - started),
      attempts: 1,
      outputs: callOutputs(mine),
      ...undecided,
    };
    if (plan.mode !== 'execute' && !halt) return { ...record, status: 'planned' };
    if (!halt) return record;
    switch (halt.status) {
      case 'failed':
        return { ...record, status: 'failed', reason: halt.reason };
      case 'declined':
        return {
          ...record,
          status: 'skipped',
          declined: true,
          reason: halt.reason,
          ...(halt.asked ? { asked: halt.asked } : {}),
        };
      case 'pending':
        return { ...record, status: 'pending', reason: halt.reason };
      case 'interrupted':
        return { ...record, status: 'interrupted', reason: halt.reason };
      default: {
        const unreachable: never = halt.status;
        throw new Error(`unknown halt ${String(unreachable)}`);
      }
    }
  }

  /** The person stopped the run at a failed step: they are offered the runbook's rollback, when it
   * has one the plan runs. Their choice is journaled; returns it. */
  async #offerRollback(step: Step, scope: Scope): Promise<boolean> {
    const offer = this.#o.ports.prompter?.offerRollback;
    const rollback = scope.runbook.rollback ?? [];
    const { only } = this.#o.plan;
    if (!offer || rollback.length === 0 || (only !== undefined && !only.has('rollback')))
      return false;
    const accepted = await offer({
      step: step.id,
      steps: rollback.map((s) => `${scope.prefix}${s.id}`),
    });
    this.#emitter.emit({
      type: 'rollback.offer',
      ts: now(),
      step: step.id,
      accepted,
      by: currentUser(),
    });
    return accepted;
  }

  /** Why the run stopped when its journal failed: what ran, and what did not. */
  #journalHalt(): Halt {
    const ran = new Set(this.#records.map((record) => record.id));
    const notRun = SECTIONS.flatMap((section) =>
      stepsIn(this.#o.runbook, section)
        .filter((step) => !ran.has(step.id))
        .map((step) => (section === 'rollback' ? `${step.id} (rollback)` : step.id)),
    );
    return {
      status: 'failed',
      reason: `the run journal could not be written (${this.#emitter.journalError ?? ''}); no further step was started. Not run: ${notRun.length > 0 ? notRun.join(', ') : 'nothing'}`,
    };
  }
}

/** Whether a finished step stops the run, and why. `tolerated`: its failure does not. */
function haltOf(record: StepRecord, tolerated: boolean): Halt | undefined {
  if (record.declined)
    return {
      status: 'declined',
      reason: record.reason ?? `${record.id} was declined`,
      ...(record.asked ? { asked: record.asked } : {}),
    };
  switch (record.status) {
    case 'succeeded':
    case 'skipped':
    case 'planned':
      return undefined;
    case 'failed':
      if (tolerated) return undefined;
      return {
        status: 'failed',
        reason: `step ${record.id} failed: ${record.reason ?? 'see above'}`,
      };
    case 'pending':
      return {
        status: 'pending',
        reason: record.reason ?? `manual step ${record.id} awaits acknowledgement`,
      };
    case 'interrupted':
      return { status: 'interrupted', reason: record.reason ?? 'interrupted' };
    default: {
      const unreachable: never = record.status;
      throw new Error(`unknown step status ${String(unreachable)}`);
    }
  }
}

function mostSevere(halts: Array<Halt | undefined>): Halt | undefined {
  const order: Halt['status'][] = ['interrupted', 'declined', 'failed', 'pending'];
  for (const status of order) {
    const found = halts.find((halt) => halt?.status === status);
    if (found) return found;
  }
  return undefined;
}

function stepsIn(runbook: Runbook, section: Section): Step[] {
  return (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
}

/** What a called runbook's steps keep of the run's plan: a continued run's completed steps and
 * acknowledgements (by their ids in the run). Where the plan starts, and its sections, are the
 * caller's. */
function pick(plan: EngineOptions['plan']): Pick<EngineOptions['plan'], 'resume'> {
  return plan.resume ? { resume: plan.resume } : {};
}
