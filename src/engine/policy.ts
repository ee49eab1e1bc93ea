import type { Effect } from '../adapters/adapter.js';
import { parseDuration } from '../common/duration.js';
import { ExpressionError } from '../schema/expressions.js';
import type { Runbook, Step } from '../schema/runbook.js';
import { severityLevels } from '../schema/semantics.js';
import type { ExpressionContext } from './context.js';
import { now } from './emitter.js';
import type { EngineEvent } from './events.js';
import type { EngineOptions, StepOptions } from './options.js';
import { renderText } from './render.js';
import { currentUser } from './user.js';

type Emit = (event: EngineEvent) => void;

/** Whether a step that asks (destructive, or `confirm: true`) may run: approved before the run,
 * or by the person at the prompt. Returns why it may not, or undefined when it may. */
export async function approveStep(
  step: Step,
  effect: Effect | 'manual',
  command: string | undefined,
  options: StepOptions,
  emit: Emit,
): Promise<string | undefined> {
  const needs = effect === 'destructive' || step.confirm === true;
  if (!needs || effect === 'manual') return undefined;
  const approved = (by: string): undefined => {
    emit({ type: 'step.confirm', ts: now(), step: step.id, approved: true, by });
    return undefined;
  };
  const { approvals } = options;
  if (approvals?.steps.has(step.id)) return approved('--approve');
  // The severity policy may say that --yes is not enough for destructive steps.
  const yesCounts = effect !== 'destructive' || approvals?.allCoversDestructive !== false;
  if (approvals?.all && yesCounts) return approved('--yes');
  const prompter = options.ports.prompter;
  if (!prompter) {
    const how = yesCounts
      ? `pass --approve ${step.id} (or --yes) to run it non-interactively`
      : `pass --approve ${step.id} to run it non-interactively (for ${severityText(options.runbook) ?? 'this'} runbooks --yes does not approve destructive steps)`;
    return `${effect === 'destructive' ? 'destructive' : 'confirm:'} step "${step.id}" needs approval: ${how}`;
  }
  const confirmed = await prompter.confirm({
    step: step.id,
    name: step.name,
    command,
    effect,
    typed: effect === 'destructive',
  });
  emit({ type: 'step.confirm', ts: now(), step: step.id, approved: confirmed, by: currentUser() });
  return confirmed ? undefined : `${step.id} was not confirmed`;
}

/** The severity policy at the start of a real run: tells the team, and arms the escalation
 * reminders. Returns what disarms them. */
export async function startPolicy(
  options: EngineOptions,
  context: ExpressionContext,
  emit: Emit,
): Promise<() => void> {
  const { runbook, runId } = options;
  const send = (purpose: 'start' | 'escalation', message: string): Promise<void> =>
    notifyTeam(options, purpose, message, emit);
  if (options.policy?.notify) {
    const initial = runbook.communication?.initial;
    const template = typeof initial === 'string' ? initial : initial?.template;
    let message = `Incident runbook "${runbook.title}" (${runbook.id}) started by ${currentUser()}: run ${runId}`;
    if (template) {
      try {
        message = renderText(template, context.get());
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
    }
    await send('start', message);
  }
  if (!options.policy?.escalationTimers) return () => undefined;
  const levels = severityLevels(runbook.severity);
  const timers = (runbook.escalation ?? [])
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
        emit(event);
        if (options.policy?.notify) {
          void send(
            'escalation',
            `"${runbook.title}" has been open for ${String(rule.after)}: escalate to ${rule.to}${rule.via ? ` via ${rule.via}` : ''} (run ${runId})`,
          );
        }
      }, parseDuration(rule.after));
      timer.unref();
      return timer;
    });
  return () => {
    for (const timer of timers) clearTimeout(timer);
  };
}

/** The runbook's severity as shown: `P1`, or `P1/P2` for several. */
export function severityText(runbook: Runbook): string | undefined {
  return typeof runbook.severity === 'string' ? runbook.severity : runbook.severity?.join('/');
}

async function notifyTeam(
  options: EngineOptions,
  purpose: 'start' | 'escalation',
  message: string,
  emit: Emit,
): Promise<void> {
  const notify = options.policy?.notify;
  if (!notify) return;
  let result: { ok: boolean; error?: string };
  try {
    result = await notify(options.redactor.redact(message));
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const event: EngineEvent = { type: 'notify', ts: now(), purpose, ok: result.ok };
  if (result.error) event.error = result.error;
  emit(event);
}
