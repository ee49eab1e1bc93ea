import type { Diagnostic } from '../common/errors.js';
import type { Effect } from '../adapters/adapter.js';
import { ID_PATTERN } from './runbook.js';
import { suggest } from './suggest.js';
import type { PathSegment } from './yaml-source.js';

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const WHEN_KEYS = ['failed', 'unacknowledged', 'within'];

type At = (path: PathSegment[], message: string, extra?: Partial<Diagnostic>) => void;

/** A step as an escalation rule may name it: whether it waits for a person. */
export interface EscalationStep {
  id: string;
  manual: boolean;
  confirm: boolean;
  effect: Effect | undefined;
  /** It waits for another person's approval (`approval:`). */
  approval: boolean;
}

/**
 * The rules of `escalation:` that the schema cannot check alone (docs/format.md#escalation): each
 * has `after:` or `when:`, not both; a `when:` object names one event; the steps it names exist
 * (with the one meant, when misspelt); a step that must go unacknowledged is one that waits for a
 * person; rule ids are unique. Works on raw data: a shape the schema refused is its to report.
 */
export function checkEscalation(data: Raw, steps: readonly EscalationStep[], at: At): void {
  if (!Array.isArray(data.escalation)) return;
  const ids = steps.map((step) => step.id);
  const byId = new Map(steps.map((step) => [step.id, step]));
  const ruleIds = new Map<string, number>();
  const waits = (step: EscalationStep): boolean =>
    step.manual || step.confirm || step.approval || step.effect === 'destructive';
  /** The step a rule names; `candidates`: the steps it may name, for a did-you-mean. */
  const named = (
    path: PathSegment[],
    id: unknown,
    candidates = ids,
  ): EscalationStep | undefined => {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const step = byId.get(id);
    if (step) return step;
    const guess = suggest(id, candidates);
    at(path, `unknown step "${id}": the runbook has no such step`, {
      hint: guess
        ? `did you mean "${guess}"?`
        : ids.length > 0
          ? `its steps: ${ids.join(', ')}`
          : 'the runbook has no steps',
    });
    return undefined;
  };
  data.escalation.forEach((rule, index) => {
    if (!isObject(rule)) return;
    const path: PathSegment[] = ['escalation', index];
    if (typeof rule.id === 'string') {
      const first = ruleIds.get(rule.id);
      if (first === undefined) ruleIds.set(rule.id, index);
      else
        at(
          [...path, 'id'],
          `duplicate escalation rule id "${rule.id}" (also escalation[${first}])`,
        );
    }
    const { when } = rule;
    if (rule.after === undefined && when === undefined) {
      at(path, 'an escalation rule needs after: (a time) or when: (an event)', {
        hint: 'after: 30m, or when: { unacknowledged: <step>, within: 15m }, { failed: <step> }, step_failed, rollback_started, rollback_failed',
      });
      return;
    }
    if (rule.after !== undefined && when !== undefined) {
      at([...path, 'when'], 'an escalation rule has after: or when:, not both', {
        hint: 'write two rules',
      });
      return;
    }
    // A key the schema does not know is the schema's to report.
    if (!isObject(when) || Object.keys(when).some((key) => !WHEN_KEYS.includes(key))) return;
    const keys = ['failed', 'unacknowledged'].filter((key) => when[key] !== undefined);
    if (keys.length === 0) {
      at(
        [...path, 'when'],
        'when: names one event: { failed: <step> } or { unacknowledged: <step>, within: <duration> }',
      );
      return;
    }
    if (keys.length > 1) {
      at(
        [...path, 'when', 'unacknowledged'],
        'when: names one event: failed or unacknowledged, not both',
        {
          hint: 'write two rules',
        },
      );
      return;
    }
    if (when.failed !== undefined) {
      if (when.within !== undefined)
        at([...path, 'when', 'within'], 'within: goes with unacknowledged:, not failed:', {
          hint: 'a failure escalates as it happens',
        });
      named([...path, 'when', 'failed'], when.failed);
      return;
    }
    if (when.within === undefined)
      at([...path, 'when'], 'unacknowledged: needs within: how long nobody answers', {
        hint: `when: { unacknowledged: ${String(when.unacknowledged)}, within: 15m }`,
      });
    const step = named(
      [...path, 'when', 'unacknowledged'],
      when.unacknowledged,
      steps.filter(waits).map((candidate) => candidate.id),
    );
    if (step && !waits(step))
      at(
        [...path, 'when', 'unacknowledged'],
        `step "${step.id}" never waits for a person: it is not manual:, confirm: true, destructive or approval:`,
        {
          hint: 'name a manual step, or one that asks for a confirmation (confirm: true); for a step that fails, use when: { failed: <step> }',
        },
      );
  });
}
