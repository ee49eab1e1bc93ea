import { parseDuration } from '../common/duration.js';
import {
  firedWords,
  ruleName,
  triggerOf,
  triggerWords,
  type EscalationRule,
  type EscalationTrigger,
} from '../schema/escalation.js';
import { severityLevels } from '../schema/semantics.js';
import { now } from './emitter.js';
import type { EngineEvent, Escalated } from './events.js';
import type { Approver, EngineOptions, TeamNews } from './options.js';
import type { EventSink, Prompter } from './ports.js';

type Emit = (event: EngineEvent) => void;

interface Armed {
  rule: EscalationRule;
  name: string;
  trigger: EscalationTrigger;
}

/**
 * The runbook's escalation rules during a real run (docs/format.md#escalation): `after:` rules on
 * the run's clock (when the severity policy asks for them, as ever), and `when:` rules on what
 * happens: a step waiting for a person past `within`, a step failing, the rollback starting or
 * failing. A rule fires at most once per run: it is journaled (`escalation.due` for `after:`,
 * `escalation.triggered` for `when:`), shown, and sent to the team where the policy says how.
 */
export class Escalation {
  readonly #options: EngineOptions;
  readonly #emit: Emit;
  readonly #rules: Armed[];
  readonly #fired: Set<string>;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sending = new Set<Promise<void>>();
  readonly #records: Escalated[] = [];
  /** The rollback step that failed last, for the words of `rollback_failed`. */
  #rollbackFailed: string | undefined;

  constructor(options: EngineOptions, emit: Emit) {
    this.#options = options;
    this.#emit = emit;
    this.#fired = new Set(options.plan.resume?.escalated);
    const levels = severityLevels(options.runbook.severity);
    this.#rules = (options.runbook.escalation ?? []).flatMap((rule, index) =>
      rule.severity === undefined ||
      severityLevels(rule.severity).some((level) => levels.includes(level))
        ? [{ rule, name: ruleName(rule, index), trigger: triggerOf(rule) }]
        : [],
    );
  }

  /** The rules that fired, in order. */
  get fired(): Escalated[] {
    return this.#records;
  }

  /** Arms the `after:` rules, when the severity policy asks for them. */
  start(): void {
    if (!this.#options.policy?.escalationTimers) return;
    for (const armed of this.#rules) {
      if (armed.trigger.kind !== 'after') continue;
      const timer = setTimeout(
        () => this.#fire(armed, undefined),
        parseDuration(armed.rule.after ?? 0),
      );
      timer.unref();
      this.#timers.add(timer);
    }
  }

  /** What the run's events say happened: a step that failed, the rollback starting or failing. */
  observe(event: EngineEvent): void {
    if (
      event.type === 'step.end' &&
      event.status === 'failed' &&
      !event.finding &&
      !event.declined
    ) {
      if (event.section === 'rollback') this.#rollbackFailed = event.id;
      for (const armed of this.#rules)
        if (
          armed.trigger.kind === 'failed' &&
          (armed.trigger.step === undefined || armed.trigger.step === event.id)
        )
          this.#fire(armed, event.id);
    } else if (event.type === 'section.start' && event.section === 'rollback') {
      for (const armed of this.#rules)
        if (armed.trigger.kind === 'rollback_started') this.#fire(armed, undefined);
    } else if (
      event.type === 'section.end' &&
      event.section === 'rollback' &&
      event.status === 'failed'
    ) {
      for (const armed of this.#rules)
        if (armed.trigger.kind === 'rollback_failed') this.#fire(armed, this.#rollbackFailed);
    }
  }

  /** The run's options as the run uses them: its events also reach these rules, and its
   * prompter's waits are timed by them. */
  options(given: EngineOptions): EngineOptions {
    const { events, prompter, approver } = given.ports;
    const sink: EventSink = {
      ...(events?.journal ? { journal: events.journal } : {}),
      show: (event) => {
        events?.show(event);
        this.observe(event);
      },
    };
    return {
      ...given,
      ports: {
        ...given.ports,
        events: sink,
        ...(prompter ? { prompter: this.watch(prompter) } : {}),
        // A wait for another person's approval (`approval:`) is timed as a prompt is.
        ...(approver
          ? {
              approver: ((request, signal) =>
                this.#waiting(request.step, () => approver(request, signal))) satisfies Approver,
            }
          : {}),
      },
    };
  }

  /** The prompter, with each wait for a person timed against the `unacknowledged:` rules that name
   * its step: a rule fires while the prompt still waits. */
  watch(prompter: Prompter): Prompter {
    const watched: Prompter = {
      confirm: (request) => this.#waiting(request.step, () => prompter.confirm(request)),
      acknowledge: (request) => this.#waiting(request.step, () => prompter.acknowledge(request)),
    };
    const { ask, onFailure, offerRollback } = prompter;
    if (ask)
      watched.ask = (request) => this.#waiting(request.step, () => ask.call(prompter, request));
    if (onFailure) watched.onFailure = onFailure.bind(prompter);
    if (offerRollback) watched.offerRollback = offerRollback.bind(prompter);
    return watched;
  }

  /** `asked()`, a wait for a person on `step`, with the `unacknowledged:` rules that name the step
   * armed until it ends. */
  #waiting<T>(step: string, asked: () => Promise<T>): Promise<T> {
    const timers = this.#rules.flatMap((armed) => {
      const { trigger } = armed;
      if (trigger.kind !== 'unacknowledged' || trigger.step !== step) return [];
      const timer = setTimeout(() => this.#fire(armed, step), parseDuration(trigger.within));
      this.#timers.add(timer);
      return [timer];
    });
    const clear = (): void => {
      for (const timer of timers) {
        clearTimeout(timer);
        this.#timers.delete(timer);
      }
    };
    return asked().finally(clear);
  }

  /** Disarms every timer; resolves once the notifications sent have been answered. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    while (this.#sending.size > 0) await Promise.all(this.#sending);
  }

  #fire(armed: Armed, step: string | undefined): void {
    if (this.#fired.has(armed.name)) return;
    this.#fired.add(armed.name);
    const { rule, trigger, name } = armed;
    const reason = firedWords(trigger, step);
    const ts = now();
    const record: Escalated = {
      rule: name,
      when: triggerWords(trigger),
      reason,
      ...(step === undefined ? {} : { step }),
      to: rule.to,
      ...(rule.via ? { via: rule.via } : {}),
      ...(rule.contact ? { contact: rule.contact } : {}),
      at: ts,
    };
    this.#records.push(record);
    if (trigger.kind === 'after') {
      const event: EngineEvent = { type: 'escalation.due', ts, after: trigger.after, to: rule.to };
      if (rule.via) event.via = rule.via;
      if (rule.contact) event.contact = rule.contact;
      this.#emit(event);
    } else {
      const { at: _at, ...fields } = record;
      this.#emit({ type: 'escalation.triggered', ts, ...fields });
    }
    const notify = this.#options.policy?.notify;
    if (!notify) return;
    const { runbook, runId: run } = this.#options;
    const about = { runbook: { id: runbook.id, title: runbook.title }, run };
    const news: TeamNews =
      trigger.kind === 'after'
        ? { ...about, purpose: 'escalation', after: trigger.after, to: rule.to, via: rule.via }
        : { ...about, purpose: 'escalation', reason, rule: name, to: rule.to, via: rule.via };
    const sending = this.#notify(news, record).finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }

  /** Tells the team; a failed notification is journaled and shown, never fatal. */
  async #notify(news: TeamNews, record: Escalated): Promise<void> {
    const notify = this.#options.policy?.notify;
    if (!notify) return;
    let result: { ok: boolean; error?: string };
    try {
      result = await notify(this.#options.redactor.redactDeep(news));
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    record.notified = result.ok;
    if (result.error) record.notify_error = this.#options.redactor.redact(result.error);
    const event: EngineEvent = { type: 'notify', ts: now(), purpose: 'escalation', ok: result.ok };
    if (result.error) event.error = result.error;
    this.#emit(event);
  }
}
