import { hostname } from 'node:os';
import { loader } from '../common/lazy.js';
import type { Expressions } from '../schema/expressions.js';
import { SECTIONS, type Runbook, type Section, type Step } from '../schema/runbook.js';
import { loadExpressionsFor } from './context.js';
import { Emitter, now } from './emitter.js';
import type { Asked, RunbookInfo, RunResult, RunStatus, StepRecord } from './events.js';
import type { ExpectResult } from './expect.js';
import type { EngineOptions, StepOptions } from './options.js';
import { severityText, startPolicy } from './policy.js';
import { Steps } from './step.js';
import { currentUser } from './user.js';
import { monotonicMs } from '../common/clock.js';

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

  constructor(options: EngineOptions, expressions: Expressions) {
    this.#o = options;
    this.#restorable = new Map(options.plan.resume?.completed.map((record) => [record.id, record]));
    this.#emitter = new Emitter(options.redactor, options.ports.events, options.plan.mode);
    this.#steps = new Steps(options, options.plan, this.#emitter, expressions);
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
      });
    const stopPolicy =
      plan.mode === 'execute'
        ? await startPolicy(this.#o, this.#steps.context, this.#emitter.emit)
        : undefined;

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

    stopPolicy?.();
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
    });
  }

  /** Runs a section's steps in order, adjacent `parallel: true` steps together, until one halts. */
  async #runSection(
    section: Section,
    steps: readonly Step[],
    why?: { note: string } | { asked: Asked },
  ): Promise<Halt | undefined> {
    this.#emitter.emit({ type: 'section.start', ts: now(), section, ...why });
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
      const toRun = group.filter((step) => !this.#restore(step));
      if (toRun.length === 0) continue;
      const halts =
        toRun.length === 1
          ? [await this.#runStep(section, toRun[0] as Step)]
          : await Promise.all(toRun.map((step) => this.#runStep(section, step)));
      halt = mostSevere(halts);
    }
    const status = !halt ? 'succeeded' : halt.status === 'failed' ? 'failed' : 'halted';
    this.#emitter.emit({ type: 'section.end', ts: now(), section, status });
    return halt;
  }

  /** Takes a step a continued run completed before as it was: its record, its outputs for the
   * expressions of later steps, its finding. Returns whether it was one. */
  #restore(step: Step): boolean {
    const record = this.#restorable.get(step.id);
    if (!record) return false;
    this.#records.push(record);
    this.#steps.context.setStep(record);
    if (record.finding) this.#findings.push(record.id);
    return true;
  }

  /** Runs one step through its whole life; returns a Halt when the run must stop. */
  async #runStep(section: Section, step: Step): Promise<Halt | undefined> {
    let record = await this.#steps.run(section, step);
    let rollback = false;
    // With a person at the terminal, a failure is theirs to call: retry, skip, or stop the run.
    const onFailure = this.#o.ports.prompter?.onFailure;
    while (
      onFailure &&
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
        record = await this.#steps.run(section, step);
        continue;
      }
      const reason = record.reason ?? 'failed';
      if (choice === 'abort' && (section === 'resolution' || section === 'verification'))
        rollback = await this.#offerRollback(step);
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
    this.#steps.context.setStep(record);
    this.#emitter.emit({ type: 'step.end', ts: now(), ...record });
    if (record.finding) this.#findings.push(record.id);
    const halt = haltOf(record, section === 'detection' || step.continue_on_error === true);
    return halt && rollback ? { ...halt, rollback } : halt;
  }

  /** The person stopped the run at a failed step: they are offered the runbook's rollback, when it
   * has one the plan runs. Their choice is journaled; returns it. */
  async #offerRollback(step: Step): Promise<boolean> {
    const offer = this.#o.ports.prompter?.offerRollback;
    const rollback = this.#o.runbook.rollback ?? [];
    const { only } = this.#o.plan;
    if (!offer || rollback.length === 0 || (only !== undefined && !only.has('rollback')))
      return false;
    const accepted = await offer({ step: step.id, steps: rollback.map((s) => s.id) });
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
