import { ExpressionError, templateExpressions } from '../schema/expressions.js';
import {
  DEFAULT_ITEM_NAME,
  LOOP_ROOT,
  LoopError,
  itemLabel,
  itemsOf,
  type ForEach,
} from '../schema/loops.js';
import type { GroupStep, Section, Step } from '../schema/runbook.js';
import { EFFECT_RANK } from '../adapters/adapter.js';
import { monotonicMs } from '../common/clock.js';
import type { ExpressionContext } from './context.js';
import { now, type Emitter } from './emitter.js';
import type { ItemTag, StepRecord, StepStatus } from './events.js';
import type { ExpectResult } from './expect.js';
import type { Plan, StepOptions } from './options.js';
import { unknownIn } from './plan-values.js';
import { approveStep } from './policy.js';
import { PrepareError, prepareStep, stepEffect } from './prepare.js';
import { renderValue } from './render.js';

/**
 * `for_each:` (docs/format.md#loops-and-targets): a step, or a group of steps (`steps:`), run once
 * per item of a list, at most `parallel: N` items at once. Each item runs through the same path as
 * any step (its gates, inputs, approval, action), in a context that adds the item (`item`, or the
 * step's `as:` name) and `loop` (`index`, `count`, `label`); its events are tagged with the item,
 * and its record is journaled as a `step.item` event. The step's record holds each item's.
 */

/** What running a loop needs of the steps it belongs to. */
export interface LoopScope {
  options: StepOptions;
  plan: Plan;
  emitter: Emitter;
  context: ExpressionContext;
  /** The steps of one item: its context and emitter, approvals as given. */
  itemSteps(
    context: ExpressionContext,
    emitter: Emitter,
    options: StepOptions,
  ): {
    context: ExpressionContext;
    run(section: Section, step: Step): Promise<StepRecord>;
    verdict(id: string): ExpectResult | undefined;
  };
}

/** One item of a loop. */
export interface LoopItem {
  tag: ItemTag;
  value: unknown;
}

/** An item's result: its record (for a group, of the whole group), and its verdict in `check`. */
export interface ItemResult {
  record: StepRecord;
  verdict: ExpectResult | undefined;
}

/** The items of a step's `for_each:`, or why a plan cannot know them (`unknown`). Throws a
 * LoopError (not a list, too long, an unknown group) or an ExpressionError. */
export function expandItems(
  step: Step,
  context: ExpressionContext,
  groups: Readonly<Record<string, readonly string[]>> | undefined,
  dryRun: boolean,
): { items: LoopItem[] } | { unknown: string } {
  const forEach = step.for_each as ForEach;
  let values: unknown[];
  if (Array.isArray(forEach)) values = itemsOf(forEach, 'the list');
  else if (typeof forEach === 'string') {
    if (dryRun) {
      const unknown = unknownIn(templateExpressions(forEach).join('\n'), context.placeholders);
      if (unknown) return { unknown: `for each ${forEach} (${unknown})` };
    }
    let value: unknown;
    try {
      value = renderValue(forEach, context.get(), context.expressions);
    } catch (error) {
      // A plan does not have the outputs of the steps it did not run (unless their dry_run: says).
      if (dryRun && error instanceof ExpressionError) return { unknown: `for each ${forEach}` };
      throw error;
    }
    values = itemsOf(value, forEach);
  } else {
    const { group } = forEach as { group: string };
    const hosts = groups && Object.hasOwn(groups, group) ? groups[group] : undefined;
    if (!hosts) {
      const known = Object.keys(groups ?? {});
      throw new LoopError(
        groups
          ? `for_each: no group "${group}" in the inventory (groups: ${known.join(', ') || 'none'})`
          : `for_each: group "${group}" needs an inventory: give inventory: in runbook.config.yaml, or --inventory FILE`,
      );
    }
    values = itemsOf([...hosts], `group ${group}`);
  }
  return {
    items: values.map((value, index) => ({ tag: { index, label: itemLabel(value) }, value })),
  };
}

/** How a loop reads in the view and the record. */
function loopWords(step: Step, count: number): string {
  const at =
    typeof step.parallel === 'number' && step.parallel > 1 ? `, ${step.parallel} at once` : '';
  return `for each of ${count} item${count === 1 ? '' : 's'}${at}`;
}

/** The step as each item runs it: without its loop. */
function itemStep(step: Step): Step {
  const { for_each: _forEach, as: _as, steps: _steps, parallel: _parallel, ...rest } = step;
  return rest;
}

/** Runs a `for_each:` step: expands its items, asks once for all of them when it must, runs them
 * (at most `parallel:` at once; the first that fails stops the others from starting, unless
 * `continue_on_error:`), and returns the step's record, with each item's. `verdicts`: each item's
 * verdict, for `runbook check`. */
export async function runLoop(
  section: Section,
  step: Step,
  scope: LoopScope,
  verdicts?: ExpectResult[],
): Promise<StepRecord> {
  const { options, plan, emitter, context } = scope;
  const started = monotonicMs();
  const dryRun = plan.mode === 'dry-run';
  const blank = (status: StepStatus, reason?: string): StepRecord =>
    blankLoopRecord(section, step, status, reason);
  let expanded: ReturnType<typeof expandItems>;
  try {
    expanded = expandItems(step, context, options.groups, dryRun);
  } catch (error) {
    if (!(error instanceof ExpressionError) && !(error instanceof LoopError)) throw error;
    return blank(dryRun ? 'planned' : 'failed', error.message);
  }
  const loop = 'unknown' in expanded ? expanded.unknown : loopWords(step, expanded.items.length);
  emitter.emit({
    type: 'step.start',
    ts: now(),
    section,
    step: step.id,
    name: step.name,
    effect: blank('planned').effect,
    command: undefined,
    loop,
  });
  if ('unknown' in expanded)
    return { ...blank('planned', 'the items are known only when the run gets there'), loop };
  const { items } = expanded;
  if (items.length === 0)
    return { ...blank('skipped', 'for_each: no items'), loop, outputs: loopOutputs([]) };

  const name = step.as ?? DEFAULT_ITEM_NAME;
  const contexts = items.map((item) =>
    context.forItem({
      [name]: item.value,
      [LOOP_ROOT]: { index: item.tag.index, count: items.length, label: item.tag.label },
    }),
  );
  // A continued run: the items an earlier part completed, where the list gives them again.
  const restored = restoredItems(step, items, plan);
  const toRun = items.map((_, index) => index).filter((index) => !restored.has(index));
  let itemOptions = options;
  if (!step.steps && plan.mode === 'execute' && toRun.length > 0) {
    const asked = await approveOnce(
      section,
      step,
      toRun.map((index) => contexts[index] as ExpressionContext),
      toRun.map((index) => items[index] as LoopItem),
      scope,
    );
    if (asked.refused)
      return {
        ...blank('skipped', asked.refused.reason),
        ...(asked.refused.asked ? { asked: asked.refused.asked } : {}),
        loop,
        declined: true,
        effect: asked.effect,
      };
    if (asked.approved) {
      const approvals = options.approvals ?? {
        steps: new Set<string>(),
        all: false,
        allCoversDestructive: true,
      };
      itemOptions = {
        ...options,
        approvals: { ...approvals, forEach: new Set([...(approvals.forEach ?? []), step.id]) },
      };
    }
  }

  const results: Array<ItemResult | undefined> = items.map((item, index) => {
    const record = restored.get(index);
    if (!record) return undefined;
    emitter.emit({ type: 'step.item', ts: now(), ...record, item: item.tag });
    return { record, verdict: undefined };
  });
  let stopped: { index: number; record: StepRecord } | undefined;
  let next = 0;
  const width = Math.min(typeof step.parallel === 'number' ? step.parallel : 1, toRun.length);
  const worker = async (): Promise<void> => {
    while (next < toRun.length && !stopped && !options.signal.aborted && !emitter.stopped) {
      const index = toRun[next++] as number;
      const item = items[index] as LoopItem;
      const result = await runItem(section, step, item, contexts[index] as ExpressionContext, {
        ...scope,
        options: itemOptions,
      });
      results[index] = result;
      if (stopsLoop(result.record, step) && !stopped) stopped = { index, record: result.record };
    }
  };
  await Promise.all(Array.from({ length: width }, worker));

  const records = items.map((item, index) => {
    const result = results[index];
    if (result) {
      if (verdicts && result.verdict) verdicts[index] = result.verdict;
      return result.record;
    }
    const why = stopped
      ? `not run: item ${stopped.index + 1} (${stopped.record.item?.label ?? ''}) ${stopped.record.status === 'failed' ? 'failed' : 'stopped the loop'}`
      : 'not run: the run was stopped';
    return {
      ...blank('skipped', why),
      id: step.id,
      item: item.tag,
    };
  });
  return loopRecord(step, blank('succeeded'), records, loop, Math.round(monotonicMs() - started));
}

/** The items of a loop an earlier part of the run completed, by index: those the list gives
 * again at the same place (the same index and label), marked `restored`. */
function restoredItems(
  step: Step,
  items: readonly LoopItem[],
  plan: Plan,
): Map<number, StepRecord> {
  const restored = new Map<number, StepRecord>();
  for (const record of plan.resume?.items?.get(step.id) ?? []) {
    const tag = record.item;
    if (tag && items[tag.index]?.tag.label === tag.label)
      restored.set(tag.index, { ...record, restored: true });
  }
  return restored;
}

/** Runs one item of a loop: the step, or its group's steps in order (each seeing the ones before
 * it in `steps.<id>`), through the item's own steps, each journaled as a `step.item` event.
 * Kept apart so that anything run per item (a called runbook) can use it. */
export async function runItem(
  section: Section,
  step: Step,
  item: LoopItem,
  context: ExpressionContext,
  scope: LoopScope,
): Promise<ItemResult> {
  const itemEmitter = scope.emitter.forItem(item.tag);
  const steps = scope.itemSteps(context, itemEmitter, scope.options);
  const end = (record: StepRecord): StepRecord => {
    const tagged = { ...record, item: item.tag };
    scope.emitter.emit({ type: 'step.item', ts: now(), ...tagged });
    return tagged;
  };
  if (!step.steps) {
    const own = itemStep(step);
    const record = end(await steps.run(section, own));
    return { record, verdict: steps.verdict(own.id) };
  }
  const started = monotonicMs();
  const inner: StepRecord[] = [];
  for (const groupStep of step.steps as GroupStep[]) {
    if (scope.options.signal.aborted) break;
    const record = end(await steps.run(section, groupStep));
    steps.context.setStep(record);
    inner.push(record);
    if (stopsLoop(record, groupStep)) break;
  }
  const worst =
    inner.find((record) => stopsLoop(record, { continue_on_error: false })) ?? undefined;
  const record: StepRecord = {
    id: step.id,
    name: step.name,
    section,
    status: worst
      ? worst.status
      : inner.length < step.steps.length
        ? 'interrupted'
        : groupStatus(inner),
    effect: maxEffect(inner.map((r) => r.effect)) ?? 'read',
    command: undefined,
    exit_code: worst?.exit_code ?? null,
    duration_ms: Math.round(monotonicMs() - started),
    outputs: Object.fromEntries(inner.map((r) => [r.id, r.outputs])),
    attempts: 1,
    item: item.tag,
    ...(worst ? { reason: `${worst.id}: ${worst.reason ?? worst.status}` } : {}),
    ...(worst?.declined ? { declined: true } : {}),
    ...(worst?.finding || inner.some((r) => r.finding) ? { finding: true } : {}),
  };
  return { record, verdict: undefined };
}

/** Whether an item's record stops the loop: a failure (unless tolerated), a refusal, a pending
 * manual step, an interruption. */
function stopsLoop(record: StepRecord, step: Pick<Step, 'continue_on_error'>): boolean {
  if (record.declined) return true;
  if (record.status === 'failed') return step.continue_on_error !== true;
  return record.status === 'pending' || record.status === 'interrupted';
}

function groupStatus(records: readonly StepRecord[]): StepStatus {
  if (records.every((record) => record.status === 'planned')) return 'planned';
  if (records.every((record) => record.status === 'skipped')) return 'skipped';
  if (records.some((record) => record.status === 'failed')) return 'failed';
  return records.some((record) => record.status === 'planned') ? 'planned' : 'succeeded';
}

function maxEffect(effects: ReadonlyArray<StepRecord['effect']>): StepRecord['effect'] | undefined {
  let best: StepRecord['effect'] | undefined;
  for (const effect of effects) {
    if (best === undefined) best = effect;
    else if (effect !== 'manual' && (best === 'manual' || EFFECT_RANK[effect] > EFFECT_RANK[best]))
      best = effect;
  }
  return best;
}

/** A single-step loop that asks (destructive, or `confirm: true`) asks once, listing every item
 * with its exact command, so that the person sees each target before anything runs. */
async function approveOnce(
  section: Section,
  step: Step,
  contexts: readonly ExpressionContext[],
  items: readonly LoopItem[],
  scope: LoopScope,
): Promise<{
  approved: boolean;
  effect: StepRecord['effect'];
  refused?: { reason: string; asked?: StepRecord['asked'] };
}> {
  const own = itemStep(step);
  const lines: string[] = [];
  let effect = stepEffect(own, undefined);
  for (const [index, item] of items.entries()) {
    try {
      const prepared = await prepareStep(own, contexts[index] as ExpressionContext, scope.options);
      if (prepared.kind === 'action') {
        effect = maxEffect([effect, prepared.effect]) ?? effect;
        lines.push(`[${item.tag.label}] ${prepared.command}`);
      }
    } catch (error) {
      if (!(error instanceof ExpressionError) && !(error instanceof PrepareError)) throw error;
      lines.push(`[${item.tag.label}] (cannot be prepared: ${error.message})`);
    }
  }
  if (!(effect === 'destructive' || step.confirm === true) || effect === 'manual')
    return { approved: false, effect };
  void section;
  const refused = await approveStep(
    own,
    effect,
    lines.join('\n'),
    scope.options,
    scope.emitter.emit,
    items.map((item) => item.tag.label),
  );
  return refused ? { approved: false, effect, refused } : { approved: true, effect };
}

/** A loop step's outputs: each item's, and the counts. */
function loopOutputs(records: readonly StepRecord[]): Record<string, unknown> {
  return {
    items: records.map((record) => ({
      index: record.item?.index ?? 0,
      label: record.item?.label ?? '',
      status: record.status,
      exit_code: record.exit_code,
      outputs: record.outputs,
    })),
    count: records.length,
    succeeded: records.filter((record) => record.status === 'succeeded').length,
    failed: records.filter((record) => record.status === 'failed').length,
  };
}

/** The loop step's record from its items': the first item that stopped it says why. */
function loopRecord(
  step: Step,
  base: StepRecord,
  records: StepRecord[],
  loop: string,
  duration: number,
): StepRecord {
  const outputs = loopOutputs(records);
  const firstOf = (status: StepStatus): StepRecord | undefined =>
    records.find((record) => record.status === status && !record.declined);
  const declined = records.find((record) => record.declined);
  const failed = firstOf('failed');
  const interrupted = firstOf('interrupted');
  const pending = firstOf('pending');
  const which = (record: StepRecord): string =>
    `item ${(record.item?.index ?? 0) + 1} of ${records.length} (${record.item?.label ?? ''})`;
  const record: StepRecord = {
    ...base,
    effect: maxEffect(records.map((r) => r.effect)) ?? base.effect,
    duration_ms: duration,
    outputs,
    attempts: 1,
    loop,
    items: records,
  };
  if (records.some((r) => r.finding)) record.finding = true;
  const counts = `${outputs.succeeded as number} of ${records.length} succeeded`;
  if (interrupted)
    return {
      ...record,
      status: 'interrupted',
      reason: `${which(interrupted)}: ${interrupted.reason ?? 'interrupted'}`,
    };
  if (declined)
    return {
      ...record,
      status: 'skipped',
      declined: true,
      reason: `${which(declined)}: ${declined.reason ?? 'declined'}`,
      ...(declined.asked ? { asked: declined.asked } : {}),
    };
  if (failed)
    return {
      ...record,
      status: 'failed',
      exit_code: failed.exit_code,
      reason: `${which(failed)} failed: ${failed.reason ?? 'failed'} (${counts})`,
      ...(failed.unavailable ? { unavailable: true } : {}),
      ...(failed.stderr_tail ? { stderr_tail: failed.stderr_tail } : {}),
    };
  if (pending)
    return {
      ...record,
      status: 'pending',
      reason: `${which(pending)}: ${pending.reason ?? 'pending'}`,
    };
  if (
    records.every((r) => r.status === 'planned' || r.status === 'skipped') &&
    records.some((r) => r.status === 'planned')
  )
    return { ...record, status: 'planned' };
  if (records.every((r) => r.status === 'skipped'))
    return {
      ...record,
      status: 'skipped',
      reason: `every item was skipped (${records[0]?.reason ?? ''})`,
    };
  void step;
  return record;
}

/** A for_each: step's record before any item ran: skipped, gated or refused as a whole. */
export function blankLoopRecord(
  section: Section,
  step: Step,
  status: StepStatus,
  reason?: string,
): StepRecord {
  return {
    id: step.id,
    name: step.name,
    section,
    status,
    effect: stepEffect(step.steps ? { ...step, run: undefined } : step, undefined),
    command: undefined,
    exit_code: null,
    duration_ms: 0,
    outputs: {},
    attempts: 0,
    ...(reason === undefined ? {} : { reason }),
  };
}
