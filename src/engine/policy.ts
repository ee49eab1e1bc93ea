import type { Effect } from '../adapters/adapter.js';
import { ExpressionError } from '../schema/expressions.js';
import type { Runbook, Step } from '../schema/runbook.js';
import type { ExpressionContext } from './context.js';
import { now } from './emitter.js';
import type { Escalation } from './escalation.js';
import type { Asked, EngineEvent } from './events.js';
import type { EngineOptions, StepOptions, TeamNews } from './options.js';
import { renderText } from './render.js';
import { currentUser } from './user.js';

type Emit = (event: EngineEvent) => void;

/** Why a step may not run: in words, and how the run was asked for when that is why. */
export interface Refusal {
  reason: string;
  asked?: Asked;
}

/** Whether a step that asks (destructive, or `confirm: true`) may run: approved before the run,
 * or by the person at the prompt. Returns why it may not, or undefined when it may. */
export async function approveStep(
  step: Step,
  effect: Effect | 'manual',
  command: string | undefined,
  options: StepOptions,
  emit: Emit,
  /** A for_each: step asking once for all its items: their labels (loop.ts). */
  items?: string[],
): Promise<Refusal | undefined> {
  // Another person's approval: --yes and --approve never stand for it (docs/state.md#approvals).
  if (step.approval && effect !== 'manual') {
    const runner = currentUser();
    const approver = options.ports.approver;
    const who =
      step.approval.by === 'other'
        ? `someone other than ${runner}`
        : `a member of ${step.approval.by}`;
    if (!approver)
      return { reason: `step "${step.id}" needs approval by ${who}, and no one can give it here` };
    const given = await approver({ step: step.id, by: step.approval.by, runner }, options.signal);
    if ('refused' in given) return { reason: given.refused };
    emit({ type: 'step.confirm', ts: now(), step: step.id, approved: true, by: given.by });
    return undefined;
  }
  const needs = effect === 'destructive' || step.confirm === true;
  if (!needs || effect === 'manual') return undefined;
  const { approvals } = options;
  if (approvals?.forEach?.has(step.id)) return undefined;
  const listed = items ? { items } : {};
  const approvedBefore = (all: boolean): undefined => {
    const asked: Asked = { kind: 'approved', all };
    emit({ type: 'step.confirm', ts: now(), step: step.id, approved: true, ...listed, asked });
    return undefined;
  };
  if (approvals?.byPerson?.has(step.id)) {
    emit({
      type: 'step.confirm',
      ts: now(),
      step: step.id,
      approved: true,
      ...listed,
      by: currentUser(),
    });
    return undefined;
  }
  if (approvals?.steps.has(step.id)) return approvedBefore(false);
  // The severity policy may say that approving every step does not approve destructive ones.
  const allWouldDo = effect !== 'destructive' || approvals?.allCoversDestructive !== false;
  if (approvals?.all && allWouldDo) return approvedBefore(true);
  const prompter = options.ports.prompter;
  if (!prompter)
    return {
      reason: `${effect === 'destructive' ? 'destructive' : 'confirm:'} step "${step.id}" needs approval`,
      asked: {
        kind: 'needs-approval',
        step: step.id,
        all_would_do: allWouldDo,
        severity: severityText(options.runbook),
      },
    };
  const confirmed = await prompter.confirm({
    step: step.id,
    name: step.name,
    command,
    effect,
    typed: effect === 'destructive',
  });
  emit({
    type: 'step.confirm',
    ts: now(),
    step: step.id,
    approved: confirmed,
    ...listed,
    by: currentUser(),
  });
  return confirmed ? undefined : { reason: `${step.id} was not confirmed` };
}

/** The severity policy at the start of a real run: tells the team, and arms the escalation
 * rules (escalation.ts), which the run then tells what happens. Returns them. */
export async function startPolicy(
  options: EngineOptions,
  context: ExpressionContext,
  emit: Emit,
  escalation: Escalation,
): Promise<Escalation> {
  const { runbook, runId: run } = options;
  const about = { runbook: { id: runbook.id, title: runbook.title }, run };
  if (options.policy?.notify) {
    const initial = runbook.communication?.initial;
    const template = typeof initial === 'string' ? initial : initial?.template;
    let text: string | undefined;
    if (template) {
      try {
        text = renderText(template, context.get(), context.expressions);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
    }
    await notifyTeam(options, { ...about, purpose: 'start', user: currentUser(), text }, emit);
  }
  escalation.start();
  return escalation;
}

/** The runbook's severity as shown: `P1`, or `P1/P2` for several. */
export function severityText(runbook: Runbook): string | undefined {
  return typeof runbook.severity === 'string' ? runbook.severity : runbook.severity?.join('/');
}

async function notifyTeam(options: EngineOptions, news: TeamNews, emit: Emit): Promise<void> {
  const notify = options.policy?.notify;
  if (!notify) return;
  let result: { ok: boolean; error?: string };
  try {
    result = await notify(options.redactor.redactDeep(news));
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const event: EngineEvent = { type: 'notify', ts: now(), purpose: news.purpose, ok: result.ok };
  if (result.error) event.error = result.error;
  emit(event);
}
