import type { Runbook } from './runbook.js';

/** One rule of a runbook's `escalation:` (docs/format.md#escalation). */
export type EscalationRule = NonNullable<Runbook['escalation']>[number];

/** What makes a rule fire, read from its `after:` or `when:`. */
export type EscalationTrigger =
  /** The run has been open this long (`after:`). */
  | { kind: 'after'; after: string }
  /** A step waited for a person (a confirmation, an acknowledgement, an answer) this long. */
  | { kind: 'unacknowledged'; step: string; within: string }
  /** This step failed; any step when absent. */
  | { kind: 'failed'; step?: string }
  | { kind: 'rollback_started' }
  | { kind: 'rollback_failed' };

/** The trigger of a valid rule (validation refuses one with neither `after:` nor `when:`). */
export function triggerOf(rule: EscalationRule): EscalationTrigger {
  const { when } = rule;
  if (when === undefined) return { kind: 'after', after: String(rule.after ?? '') };
  if (typeof when === 'string') return when === 'step_failed' ? { kind: 'failed' } : { kind: when };
  if (when.unacknowledged !== undefined)
    return {
      kind: 'unacknowledged',
      step: when.unacknowledged,
      within: String(when.within ?? ''),
    };
  return when.failed === undefined ? { kind: 'failed' } : { kind: 'failed', step: when.failed };
}

/** When a trigger fires, in words: `if nobody acknowledges fix within 15m`. */
export function triggerWords(trigger: EscalationTrigger): string {
  switch (trigger.kind) {
    case 'after':
      return `after ${trigger.after}`;
    case 'unacknowledged':
      return `if nobody acknowledges ${trigger.step} within ${trigger.within}`;
    case 'failed':
      return trigger.step === undefined ? 'if a step fails' : `if ${trigger.step} fails`;
    case 'rollback_started':
      return 'if the rollback starts';
    case 'rollback_failed':
      return 'if the rollback fails';
    default: {
      const unreachable: never = trigger;
      return unreachable;
    }
  }
}

/** Why a trigger fired, in words: `nobody acknowledged fix within 15m`. */
export function firedWords(trigger: EscalationTrigger, step?: string): string {
  switch (trigger.kind) {
    case 'after':
      return `${trigger.after} have passed`;
    case 'unacknowledged':
      return `nobody acknowledged ${trigger.step} within ${trigger.within}`;
    case 'failed':
      return `${trigger.step ?? step ?? 'a step'} failed`;
    case 'rollback_started':
      return 'the rollback started';
    case 'rollback_failed':
      return `the rollback failed${step === undefined ? '' : ` at ${step}`}`;
    default: {
      const unreachable: never = trigger;
      return unreachable;
    }
  }
}

/** Whom to escalate to, in words: `db-oncall via slack (+1 555 0100)`. */
export function escalateToWords(rule: {
  to: string;
  via?: string | undefined;
  contact?: string | undefined;
}): string {
  return `${rule.to}${rule.via ? ` via ${rule.via}` : ''}${rule.contact ? ` (${rule.contact})` : ''}`;
}

/** A rule in words, as `show` and a dry run list it:
 * `if nobody acknowledges fix within 15m: escalate to db-oncall via slack`. */
export function ruleWords(rule: EscalationRule): string {
  const severity =
    rule.severity === undefined
      ? ''
      : ` (${Array.isArray(rule.severity) ? rule.severity.join('/') : rule.severity})`;
  return `${triggerWords(triggerOf(rule))}${severity}: escalate to ${escalateToWords(rule)}`;
}

/** How the journal and `--format json` name a rule: its `id:`, else its place (`escalation[2]`). */
export function ruleName(rule: EscalationRule, index: number): string {
  return rule.id ?? `escalation[${index}]`;
}
