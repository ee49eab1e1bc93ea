import { hostname } from 'node:os';
import {
  EFFECT_RANK,
  type ActionOutcome,
  type AnyAction,
  type Effect,
} from '../adapters/adapter.js';
import type { ProcessPort } from './ports.js';
import type { EngineOptions, StepOptions } from './options.js';
import { sshPreflight } from '../adapters/support.js';
import type { HostConfig } from '../schema/config.js';
import { parseDuration } from '../common/duration.js';
import {
  evaluateExpression,
  ExpressionBoundError,
  ExpressionError,
  stringifyValue,
} from '../schema/expressions.js';
import { SECTIONS, type Runbook, type Section, type Step } from '../schema/runbook.js';
import { severityLevels } from '../schema/semantics.js';
import { ExpressionContext, loadExpressionsFor } from './context.js';
import { currentUser } from './user.js';
import { once } from '../common/once.js';
import { StateIoError } from '../common/state-files.js';
import type { EngineEvent, RunbookInfo, RunResult, RunStatus, StepRecord } from './events.js';
import { evaluateExpect, type ExpectResult } from './expect.js';
import type { Redactor } from './redact.js';
import { renderArgv, renderShellCommand, renderText, renderValue } from './render.js';

const DEFAULT_RETRY_DELAY_MS = 1000;

/** What a record says of an expression stopped at its bound: the step could not be judged. */
const STOPPED_AT_BOUND = {
  unavailable: true,
  hint: 'an expression that walks lists inside lists is bounded in time and memory; make it walk less (filter first), or capture in smaller steps',
} as const;
const STDERR_TAIL_LINES = 12;

type Halt = { status: Exclude<RunStatus, 'succeeded'>; reason: string };

/** Runs a runbook: detection → diagnosis → resolution → verification, and rollback when resolution
 * or verification fails. Emits events; never prints. A dry run takes the same path and skips only
 * the side effect of each step. */
export async function runRunbook(options: EngineOptions): Promise<RunResult> {
  return new Engine(options).run();
}

/** What one step gave in `runbook check`: its record, and the verdict of its `expect:` if it ran. */
export interface CheckStepResult {
  record: StepRecord;
  verdict: ExpectResult | undefined;
}

/** Runs single steps of one runbook on their own (for `runbook check`), each through the same
 * path as in a run; they may run concurrently. */
export function stepRunner(
  options: StepOptions,
): (section: Section, step: Step) => Promise<CheckStepResult> {
  const engine = new Engine({ ...options, plan: { mode: 'execute' } });
  return (section, step) => engine.runOne(section, step);
}

class Engine {
  readonly #o: EngineOptions;
  readonly #verdicts = new Map<string, ExpectResult>();
  readonly #context: ExpressionContext;
  readonly #records: StepRecord[] = [];
  readonly #findings: string[] = [];
  readonly #info: RunbookInfo;
  #beforeFrom: boolean;
  #journalError: string | undefined;
  /** Looked at once per engine, not per step (`runbook check` runs its steps one by one). */
  readonly #loadExpressions = once(() => loadExpressionsFor(this.#o.runbook));

  constructor(options: EngineOptions) {
    this.#o = options;
    const { runbook } = options;
    this.#info = {
      id: runbook.id,
      title: runbook.title,
      severity:
        typeof runbook.severity === 'string' ? runbook.severity : runbook.severity?.join('/'),
      service: runbook.service,
      file: options.file,
    };
    this.#context = new ExpressionContext({
      runbook,
      vars: options.vars.values,
      env: options.vars.declaredEnv,
      runId: options.runId,
      mode: options.plan.mode,
      startedAt: new Date().toISOString(),
    });
    this.#beforeFrom = options.plan.from !== undefined;
  }

  #emit(event: EngineEvent): void {
    const redacted = this.#o.redactor.redactDeep(event);
    if (this.#journalError === undefined) {
      try {
        this.#o.ports.events?.journal?.write(redacted);
      } catch (error) {
        if (!(error instanceof StateIoError)) throw error;
        // What cannot be recorded must not be done: no step starts from here on (a plan goes on,
        // as it does nothing). The terminal still gets every event.
        this.#journalError = error.message;
      }
    }
    this.#o.ports.events?.show(redacted);
  }

  /** A real run stops once its journal cannot be written. */
  #journalStops(): boolean {
    return this.#journalError !== undefined && this.#o.plan.mode !== 'dry-run';
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
      reason: `the run journal could not be written (${this.#journalError ?? ''}); no further step was started. Not run: ${notRun.length > 0 ? notRun.join(', ') : 'nothing'}`,
    };
  }

  async run(): Promise<RunResult> {
    const started = performance.now();
    const { runbook } = this.#o;
    await this.#loadExpressions();
    this.#emit({
      type: 'run.start',
      ts: now(),
      run_id: this.#o.runId,
      runbook: this.#info,
      mode: this.#o.plan.mode,
      vars: this.#o.vars.values,
      user: currentUser(),
      host: hostname(),
      pid: process.pid,
      journal: this.#o.ports.events?.journal?.path,
    });

    const timers = this.#o.plan.mode === 'execute' ? await this.#startPolicies() : [];

    let halt: Halt | undefined;
    let needsRollback = false;
    for (const section of SECTIONS) {
      if (section === 'rollback') break;
      if (!this.#wants(section)) continue;
      const steps = stepsIn(runbook, section);
      if (steps.length === 0) continue;
      halt = await this.#runSection(section, steps);
      if (halt) {
        needsRollback =
          halt.status === 'failed' && (section === 'resolution' || section === 'verification');
        break;
      }
    }

    const rollback = runbook.rollback ?? [];
    const rollbackWanted = this.#o.plan.only === undefined || this.#o.plan.only.has('rollback');
    if (this.#journalStops()) halt = this.#journalHalt();
    else if (rollback.length > 0 && rollbackWanted) {
      if (needsRollback) {
        const rollbackHalt = await this.#runSection(
          'rollback',
          rollback,
          'resolution or verification failed',
        );
        if (rollbackHalt && rollbackHalt.status !== 'failed' && halt)
          halt = { ...rollbackHalt, reason: `${halt.reason}; rollback: ${rollbackHalt.reason}` };
      } else if (!halt && (this.#o.plan.mode !== 'execute' || this.#o.plan.only?.has('rollback'))) {
        // A plan shows the rollback too; `--only rollback` runs it on purpose.
        const note =
          this.#o.plan.mode === 'execute'
            ? 'requested with --only rollback'
            : 'runs only if resolution or verification fails';
        halt = await this.#runSection('rollback', rollback, note);
      }
    }

    for (const timer of timers) clearTimeout(timer);
    const status: RunStatus = halt?.status ?? 'succeeded';
    const duration = Math.round(performance.now() - started);
    const endEvent: EngineEvent = {
      type: 'run.end',
      ts: now(),
      run_id: this.#o.runId,
      status,
      duration_ms: duration,
      findings: this.#findings,
    };
    if (halt) endEvent.reason = halt.reason;
    this.#emit(endEvent);
    return this.#o.redactor.redactDeep({
      run_id: this.#o.runId,
      runbook: this.#info,
      mode: this.#o.plan.mode,
      status,
      reason: halt?.reason,
      steps: this.#records,
      findings: this.#findings,
      duration_ms: duration,
      journal: this.#o.ports.events?.journal?.path,
      ...(this.#journalError === undefined ? {} : { journal_error: this.#journalError }),
    });
  }

  async runOne(section: Section, step: Step): Promise<CheckStepResult> {
    await this.#loadExpressions();
    const record = await this.#executeStep(section, step);
    const verdict = this.#verdicts.get(step.id);
    return this.#o.redactor.redactDeep({ record, verdict });
  }

  /** Severity policy at the start of a real run: tell the team, and arm the escalation reminders. */
  async #startPolicies(): Promise<NodeJS.Timeout[]> {
    const { runbook } = this.#o;
    if (this.#o.policy?.notify) {
      const initial = runbook.communication?.initial;
      const template = typeof initial === 'string' ? initial : initial?.template;
      let message = `Incident runbook "${runbook.title}" (${runbook.id}) started by ${currentUser()}: run ${this.#o.runId}`;
      if (template) {
        try {
          message = renderText(template, this.#context.get());
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
        }
      }
      await this.#send('start', message);
    }
    if (!this.#o.policy?.escalationTimers) return [];
    const levels = severityLevels(runbook.severity);
    return (runbook.escalation ?? [])
      .filter(
        (rule) =>
          rule.severity === undefined ||
          severityLevels(rule.severity).some((level) => levels.includes(level)),
      )
      .map((rule) => {
        const timer = setTimeout(() => {
          const event: EngineEvent = {
            type: 'escalation.due',
            ts: now(),
            after: String(rule.after),
            to: rule.to,
          };
          if (rule.via) event.via = rule.via;
          if (rule.contact) event.contact = rule.contact;
          this.#emit(event);
          if (this.#o.policy?.notify) {
            void this.#send(
              'escalation',
              `"${runbook.title}" has been open for ${String(rule.after)}: escalate to ${rule.to}${rule.via ? ` via ${rule.via}` : ''} (run ${this.#o.runId})`,
            );
          }
        }, parseDuration(rule.after));
        timer.unref();
        return timer;
      });
  }

  async #send(purpose: 'start' | 'escalation', message: string): Promise<void> {
    const notify = this.#o.policy?.notify;
    if (!notify) return;
    let result: { ok: boolean; error?: string };
    try {
      result = await notify(this.#o.redactor.redact(message));
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const event: EngineEvent = { type: 'notify', ts: now(), purpose, ok: result.ok };
    if (result.error) event.error = result.error;
    this.#emit(event);
  }

  #wants(section: Section): boolean {
    return this.#o.plan.only === undefined || this.#o.plan.only.has(section);
  }

  async #runSection(
    section: Section,
    steps: readonly Step[],
    note?: string,
  ): Promise<Halt | undefined> {
    this.#emit(
      note
        ? { type: 'section.start', ts: now(), section, note }
        : { type: 'section.start', ts: now(), section },
    );
    let halt: Halt | undefined;
    for (let index = 0; index < steps.length && !halt;) {
      if (this.#journalStops()) {
        halt = this.#journalHalt();
        break;
      }
      const group = [steps[index] as Step];
      if (group[0]?.parallel)
        while (steps[index + group.length]?.parallel)
          group.push(steps[index + group.length] as Step);
      index += group.length;
      const halts =
        group.length === 1
          ? [await this.#runStep(section, group[0] as Step)]
          : await Promise.all(group.map((step) => this.#runStep(section, step)));
      halt = mostSevere(halts);
    }
    const status = !halt ? 'succeeded' : halt.status === 'failed' ? 'failed' : 'halted';
    this.#emit({ type: 'section.end', ts: now(), section, status });
    return halt;
  }

  /** Runs one step through its whole life; returns a Halt when the run must stop. */
  async #runStep(section: Section, step: Step): Promise<Halt | undefined> {
    let record = await this.#executeStep(section, step);
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
      this.#emit({ type: 'step.end', ts: now(), ...record });
      const choice = await onFailure({
        step: step.id,
        name: step.name,
        section,
        reason: record.reason ?? 'failed',
        command: record.command,
        stderrTail: record.stderr_tail,
      });
      const by = currentUser();
      this.#emit({ type: 'step.decision', ts: now(), step: step.id, choice, by });
      if (choice === 'retry') {
        record = await this.#executeStep(section, step);
        continue;
      }
      record =
        choice === 'skip'
          ? {
              ...record,
              status: 'skipped',
              reason: `skipped by ${by} after it failed: ${record.reason ?? 'failed'}`,
            }
          : {
              ...record,
              declined: true,
              reason: `stopped by ${by} after ${step.id} failed: ${record.reason ?? 'failed'}`,
            };
    }
    this.#records.push(record);
    this.#context.setStep(record);
    this.#emit({ type: 'step.end', ts: now(), ...record });
    if (record.finding) this.#findings.push(record.id);

    if (record.declined)
      return { status: 'declined', reason: record.reason ?? `${record.id} was declined` };
    switch (record.status) {
      case 'succeeded':
      case 'skipped':
      case 'planned':
        return undefined;
      case 'failed':
        if (section === 'detection' || step.continue_on_error) return undefined;
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

  async #executeStep(section: Section, step: Step): Promise<StepRecord> {
    const { mode } = this.#o.plan;
    const base = (
      status: StepRecord['status'],
      effect: StepRecord['effect'],
      command: string | undefined,
    ): StepRecord => ({
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
      prepared = this.#prepare(step);
    } catch (error) {
      if (!(error instanceof ExpressionError) && !(error instanceof PrepareError)) throw error;
      prepareError = error;
    }
    const effect = prepared?.effect ?? stepEffect(step, undefined);
    const command = prepared?.command;

    if (this.#beforeFrom) {
      if (step.id === this.#o.plan.from) this.#beforeFrom = false;
      else
        return {
          ...base('skipped', effect, command),
          reason: `before --from ${String(this.#o.plan.from)}`,
        };
    }
    if (this.#o.signal.aborted)
      return { ...base('interrupted', effect, command), reason: 'interrupted before it started' };

    if (step.when !== undefined) {
      try {
        const value = evaluateExpression(step.when, this.#context.get());
        if (value !== true)
          return {
            ...base('skipped', effect, command),
            reason: `when: ${step.when} is ${String(value)}`,
          };
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        if (mode === 'dry-run')
          return {
            ...base('planned', effect, command),
            reason: `condition not evaluated in a dry run: ${error.message}`,
          };
        return {
          ...base('failed', effect, command),
          reason: `when: ${error.message}`,
          ...(error instanceof ExpressionBoundError ? STOPPED_AT_BOUND : {}),
        };
      }
    }
    if (!prepared) {
      const message = prepareError?.message ?? 'could not be prepared';
      if (mode === 'dry-run')
        return {
          ...base('planned', effect, undefined),
          reason: `not evaluated in a dry run: ${message}`,
        };
      return { ...base('failed', effect, undefined), reason: message };
    }

    const plannedOnly = mode === 'dry-run' || (mode === 'read-only' && effect !== 'read');
    if (plannedOnly) {
      this.#emit({
        type: 'step.start',
        ts: now(),
        section,
        step: step.id,
        name: step.name,
        effect,
        command,
      });
      const outputs = {
        ...(prepared.kind === 'manual' ? { instruction: prepared.text } : {}),
        ...step.dry_run?.outputs,
      };
      return {
        ...base('planned', effect, command),
        outputs,
        ...(mode === 'read-only' ? { reason: `${effect} step not run in --read-only mode` } : {}),
      };
    }

    const approval = await this.#approve(step, effect, command);
    if (approval) return { ...base('skipped', effect, command), reason: approval, declined: true };

    this.#emit({
      type: 'step.start',
      ts: now(),
      section,
      step: step.id,
      name: step.name,
      effect,
      command,
    });
    if (this.#journalStops())
      return {
        ...base('skipped', effect, command),
        reason: `not started: the run journal could not be written (${this.#journalError ?? ''})`,
      };
    if (prepared.kind === 'manual')
      return this.#manual(step, base('succeeded', 'manual', undefined), prepared.text);
    return this.#attempts(section, step, prepared, base('succeeded', effect, command));
  }

  /** Renders the step's inputs and describes it: the same path for a dry run and a real one. */
  #prepare(step: Step): Prepared {
    const context = this.#context.get();
    if (step.manual !== undefined)
      return {
        kind: 'manual',
        effect: 'manual',
        command: undefined,
        text: renderText(step.manual, context),
      };
    const host =
      step.on !== undefined && Object.hasOwn(this.#o.hosts, step.on)
        ? this.#o.hosts[step.on]
        : undefined;
    if (step.on !== undefined && !host)
      throw new PrepareError(`on: ${step.on}: no such host under hosts: in runbook.config.yaml`);
    let uses: string;
    let input: unknown;
    // Environment values are text: a whole-value expression (`${{ vars.port }}`) gives its text.
    const stepEnv: Record<string, string> = {};
    if (step.env)
      for (const [name, value] of Object.entries(renderValue(step.env, context) as object))
        stepEnv[name] = stringifyValue(value);
    refuseNul(stepEnv, 'env');
    if (step.run !== undefined) {
      uses = 'shell.run';
      const rendered = renderCommand(step.run, stepEnv, context);
      // The values: the argv's items, or what the command refers to in its environment.
      refuseNul(
        typeof rendered.command === 'string'
          ? Object.values(rendered.env).join('')
          : rendered.command,
        'run',
      );
      input = rendered;
    } else if (step.uses === 'shell.run' && isShellInput(step.with)) {
      // The same rendering as run:, so that values are never pasted into the command as code.
      uses = step.uses;
      const { command, env, ...rest } = step.with;
      const others = renderValue(rest, context) as object;
      refuseNul(others, 'with');
      const values = renderValue(env ?? {}, context) as Record<string, unknown>;
      refuseNul(values, 'with.env');
      const rendered = renderCommand(command, values, context);
      refuseNul(
        typeof rendered.command === 'string'
          ? Object.values(rendered.env).join('')
          : rendered.command,
        'with.command',
      );
      input = { ...others, ...rendered };
    } else if (step.uses !== undefined) {
      uses = step.uses;
      input = renderValue(step.with ?? {}, context);
      refuseNul(input, 'with');
    } else {
      throw new PrepareError('a step needs one of run:, uses: or manual:');
    }
    const action = this.#o.registry.action(uses);
    if (!action) throw new PrepareError(`unknown action ${uses}`);
    // A `run:` step's input is built above, all text, from the validated runbook (the command's
    // values go by environment, so its text is never empty); `uses:` inputs are parsed.
    const parsed =
      step.run !== undefined
        ? { success: true as const, data: input }
        : action.input.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `with.${issue.path.join('.')}: ` : '';
      throw new PrepareError(
        `${uses}: ${where}${issue?.message ?? 'invalid input'} (after templating)`,
      );
    }
    if (host && action.local) throw new PrepareError(`${uses} runs here: on: does not apply to it`);
    const effect = stepEffect(step, action.effect) as Effect;
    const described = action.describe(parsed.data);
    return {
      kind: 'action',
      action,
      input: action.redactInput
        ? redactExcept(this.#o.redactor, parsed.data, action.redactInput.except)
        : parsed.data,
      effect,
      command: this.#o.redactor.redact(
        host ? this.#o.ports.processes.describeRemote(host, described) : described,
      ),
      env: stepEnv,
      host,
    };
  }

  /** Returns a reason when the step may not run. */
  async #approve(
    step: Step,
    effect: StepRecord['effect'],
    command: string | undefined,
  ): Promise<string | undefined> {
    const needs = effect === 'destructive' || step.confirm === true;
    if (!needs || effect === 'manual') return undefined;
    const approvals = this.#o.approvals;
    if (approvals?.steps.has(step.id)) return this.#recordApproval(step.id, true, '--approve');
    // The severity policy may say that --yes is not enough for destructive steps.
    const yesCounts = effect !== 'destructive' || approvals?.allCoversDestructive !== false;
    if (approvals?.all && yesCounts) return this.#recordApproval(step.id, true, '--yes');
    const prompter = this.#o.ports.prompter;
    if (!prompter) {
      const how = yesCounts
        ? `pass --approve ${step.id} (or --yes) to run it non-interactively`
        : `pass --approve ${step.id} to run it non-interactively (for ${this.#info.severity ?? 'this'} runbooks --yes does not approve destructive steps)`;
      return `${effect === 'destructive' ? 'destructive' : 'confirm:'} step "${step.id}" needs approval: ${how}`;
    }
    const approved = await prompter.confirm({
      step: step.id,
      name: step.name,
      command,
      effect,
      typed: effect === 'destructive',
    });
    this.#recordApproval(step.id, approved, currentUser());
    return approved ? undefined : `${step.id} was not confirmed`;
  }

  #recordApproval(step: string, approved: boolean, by: string): undefined {
    this.#emit({ type: 'step.confirm', ts: now(), step, approved, by });
    return undefined;
  }

  async #manual(step: Step, record: StepRecord, text: string): Promise<StepRecord> {
    const prompter = this.#o.ports.prompter;
    if (!prompter) {
      return {
        ...record,
        status: 'pending',
        outputs: { instruction: text },
        reason: `manual step "${step.id}" needs a person: run interactively to acknowledge it`,
      };
    }
    const started = performance.now();
    const answer = await prompter.acknowledge({ step: step.id, name: step.name, text });
    const duration = Math.round(performance.now() - started);
    if (!answer)
      return {
        ...record,
        status: 'skipped',
        declined: true,
        duration_ms: duration,
        outputs: { instruction: text },
        reason: `manual step ${step.id} was not acknowledged`,
      };
    return {
      ...record,
      attempts: 1,
      duration_ms: duration,
      outputs: { instruction: text, acknowledged_by: answer.by, acknowledged_at: now() },
    };
  }

  async #attempts(
    section: Section,
    step: Step,
    prepared: PreparedAction,
    record: StepRecord,
  ): Promise<StepRecord> {
    const attempts = step.retry?.attempts ?? 1;
    const delay =
      step.retry?.delay === undefined ? DEFAULT_RETRY_DELAY_MS : parseDuration(step.retry.delay);
    const timeoutMs = step.timeout === undefined ? undefined : parseDuration(step.timeout);
    const started = performance.now();
    let last: Attempt | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      last = await this.#attempt(section, step, prepared, timeoutMs);
      if (last.done || last.outcome.interrupted || this.#o.signal.aborted || attempt === attempts) {
        record.attempts = attempt;
        break;
      }
      this.#emit({
        type: 'step.retry',
        ts: now(),
        section,
        step: step.id,
        attempt,
        of: attempts,
        reason: last.reason ?? 'not yet',
        delay_ms: delay,
      });
      await sleep(delay, this.#o.signal);
    }
    const attempt = last as Attempt;
    const outcome = attempt.outcome;
    const result: StepRecord = {
      ...record,
      exit_code: outcome.exitCode,
      duration_ms: Math.round(performance.now() - started),
      outputs: attempt.outputs,
    };
    if (attempt.warnings.length > 0) result.warnings = attempt.warnings;
    if (step.capture)
      result.captured = Object.keys(step.capture).filter((name) => name in attempt.outputs);
    if (outcome.survivors?.length) result.left_running = outcome.survivors;
    if (outcome.interrupted || this.#o.signal.aborted)
      return {
        ...result,
        status: 'interrupted',
        // The process runner's own account says how many processes were ended, and which not.
        reason:
          outcome.interrupted && outcome.error?.startsWith('interrupted; ')
            ? outcome.error
            : 'interrupted; its process tree was killed',
      };
    if (attempt.done) return result;
    const failed: StepRecord = { ...result, status: 'failed', reason: attempt.reason ?? 'failed' };
    if (outcome.unavailable) failed.unavailable = true;
    if (outcome.hint !== undefined) failed.hint = this.#o.redactor.redact(outcome.hint);
    if (section === 'detection' && attempt.ran) failed.finding = true;
    // Redacted before it is cut, so that the cut cannot leave part of a multi-line secret; an
    // unavailable tool's reason is already its own message.
    const tail = tailLines(this.#o.redactor.redact(outcome.stderr ?? ''), STDERR_TAIL_LINES);
    if (tail && !outcome.unavailable) failed.stderr_tail = tail;
    return failed;
  }

  async #attempt(
    section: Section,
    step: Step,
    prepared: PreparedAction,
    timeoutMs: number | undefined,
  ): Promise<Attempt> {
    const signal =
      timeoutMs === undefined
        ? this.#o.signal
        : AbortSignal.any([this.#o.signal, AbortSignal.timeout(timeoutMs)]);
    const env = { ...this.#o.env, ...prepared.env };
    let outcome: ActionOutcome;
    try {
      const base = { signal, timeoutMs, env, cwd: this.#o.cwd };
      // Every process of the step carries a token that starts with the run id, and each start is
      // journaled: should runbook itself be killed, the next run finds what it left running.
      const watch: Parameters<ProcessPort['runner']>[2] = {
        tokenPrefix: this.#o.runId,
        started: ({ pid, pgid, token }) =>
          this.#emit({ type: 'step.process', ts: now(), section, step: step.id, pid, pgid, token }),
      };
      outcome = await prepared.action.run(prepared.input, {
        ...base,
        exec: this.#o.ports.processes.runner(
          prepared.host && step.on ? { name: step.on, host: prepared.host } : undefined,
          base,
          watch,
        ),
        host: step.on,
      });
    } catch (error) {
      outcome = {
        ok: false,
        exitCode: null,
        outputs: {},
        error: error instanceof Error ? error.message : String(error),
      };
    }
    const outputs = { ...outcome.outputs };
    if (outcome.unavailable) {
      // Nothing it returned is an answer: no expression reads its outputs, and its error stays
      // the tool's own message rather than becoming a "No such key" of an output it never gave.
      const hint = outcome.hint ?? (await this.#preflightHint(prepared, step));
      return {
        outcome: hint === undefined ? outcome : { ...outcome, hint },
        outputs,
        done: false,
        reason: outcome.error ?? 'could not run',
        warnings: [],
        ran: false,
      };
    }
    const ran = !outcome.timedOut && !outcome.interrupted && Object.keys(outputs).length > 0;
    const warnings: string[] = [];
    let done = outcome.ok;
    let reason = outcome.error;
    try {
      if (step.capture) {
        const context = this.#context.withOutputs(outputs);
        for (const [name, expression] of Object.entries(step.capture)) {
          outputs[name] = evaluateExpression(expression, context);
        }
      }
      if (step.expect !== undefined && ran) {
        const verdict = evaluateExpect(step.expect, outputs, this.#context.withOutputs(outputs));
        this.#verdicts.set(step.id, verdict);
        done = verdict.state !== 'CRITICAL';
        reason = done ? undefined : verdict.failures.join('; ');
        warnings.push(...verdict.warnings);
      }
      if (done && step.retry?.until !== undefined) {
        const until = evaluateExpression(step.retry.until, this.#context.withOutputs(outputs));
        if (until !== true) {
          done = false;
          reason = `until: ${step.retry.until} is ${String(until)}`;
        }
      }
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // An action that failed keeps its own error: an expression over outputs it did not give
      // would only hide why.
      reason = done || outcome.error === undefined ? error.message : outcome.error;
      done = false;
      // Stopped at its bound, the expression gave no answer: the step could not be judged.
      if (error instanceof ExpressionBoundError)
        return {
          outcome: { ...outcome, ...STOPPED_AT_BOUND },
          outputs,
          done,
          reason,
          warnings,
          ran,
        };
    }
    return { outcome, outputs, done, reason, warnings, ran };
  }

  /** What the adapter's own check (the one `doctor` runs) says to do, for an action that could
   * not run. For a step on another host that is the ssh client's check: this machine's copy of
   * the tool is no guide to the other one. */
  async #preflightHint(prepared: PreparedAction, step: Step): Promise<string | undefined> {
    const env = this.#o.env;
    const uses = step.run !== undefined ? 'shell.run' : (step.uses ?? '');
    const preflight = prepared.host
      ? sshPreflight(env)
      : this.#o.registry.adapter(uses.slice(0, uses.indexOf('.')))?.preflight({ env });
    const found = await preflight?.catch(() => undefined);
    return found && !found.ok ? found.hint : undefined;
  }
}

interface Attempt {
  outcome: ActionOutcome;
  outputs: Record<string, unknown>;
  done: boolean;
  reason: string | undefined;
  warnings: string[];
  /** The action ran to an answer (not a timeout, interruption or missing tool). */
  ran: boolean;
}

interface PreparedAction {
  kind: 'action';
  action: AnyAction;
  input: unknown;
  effect: Effect;
  command: string;
  env: Record<string, string>;
  /** The `on:` host it runs on, or undefined when it runs here. */
  host: HostConfig | undefined;
}

type Prepared =
  PreparedAction | { kind: 'manual'; effect: 'manual'; command: undefined; text: string };

class PrepareError extends Error {}

/** The input of shell.run for a command: values by environment, the display with them inlined. */
function renderCommand(
  command: string | readonly string[],
  env: Record<string, unknown>,
  context: Record<string, unknown>,
): { command: string | string[]; display: string; env: Record<string, unknown> } {
  const rendered =
    typeof command === 'string'
      ? renderShellCommand(command, context)
      : renderArgv(command, context);
  return { command: rendered.command, display: rendered.display, env: { ...env, ...rendered.env } };
}

function isShellInput(
  value: unknown,
): value is { command: string | string[]; env?: unknown } & Record<string, unknown> {
  if (value === null || typeof value !== 'object' || !('command' in value)) return false;
  const { command } = value;
  return (
    typeof command === 'string' ||
    (Array.isArray(command) && command.every((item) => typeof item === 'string'))
  );
}

/** No process or request can carry a NUL character: a rendered value holding one fails the step
 * here, saying where (`with.app`, `run[2]`, `env.NAME`), before any tool sees it. */
function refuseNul(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\0'))
      throw new PrepareError(
        `${path}: a value holds a NUL character, which no command or request can take (after templating)`,
      );
  } else if (Array.isArray(value))
    value.forEach((item, index) => refuseNul(item, `${path}[${index}]`));
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) refuseNul(item, `${path}.${key}`);
}

/** An action's input with known secrets replaced, except in the keys it needs as they are. */
function redactExcept(redactor: Redactor, input: unknown, except: readonly string[]): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return redactor.redactDeep(input);
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => [
      key,
      except.includes(key) ? value : redactor.redactDeep(value),
    ]),
  );
}

function stepsIn(runbook: Runbook, section: Section): Step[] {
  return (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
}

/** A step's effect: its action's, raised (never lowered) by its own `effect:`; `run:` defaults to write. */
export function stepEffect(step: Step, actionEffect: Effect | undefined): StepRecord['effect'] {
  if (step.manual !== undefined) return 'manual';
  const base = actionEffect ?? (step.run !== undefined ? 'write' : 'read');
  if (!step.effect) return base;
  if (step.uses !== undefined && EFFECT_RANK[step.effect] < EFFECT_RANK[base]) return base;
  return step.effect;
}

function mostSevere(halts: Array<Halt | undefined>): Halt | undefined {
  const order: Halt['status'][] = ['interrupted', 'declined', 'failed', 'pending'];
  for (const status of order) {
    const found = halts.find((halt) => halt?.status === status);
    if (found) return found;
  }
  return undefined;
}

function tailLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function now(): string {
  return new Date().toISOString();
}
