import { stepsOf, type Runbook } from './runbook.js';
/**
 * Documentation-only runbooks (docs/format.md, "Catalogs and documentation-only runbooks"): a
 * runbook with no steps is valid when it carries guidance for the person on call.
 */

/** The keys that count as guidance, in the order `runbook run` prints them. */
export const GUIDANCE_KEYS = [
  'summary',
  'description',
  'detection.symptoms',
  'escalation',
  'references',
] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const present = (value: unknown): boolean =>
  typeof value === 'string' ? value.trim() !== '' : Array.isArray(value) && value.length > 0;

/** Whether runbook data (valid or not) carries guidance: a summary or description that is not
 * blank, or at least one symptom, escalation rule or reference. */
export function hasGuidance(data: unknown): boolean {
  if (!isObject(data)) return false;
  return (
    present(data.summary) ||
    present(data.description) ||
    (isObject(data.detection) && present(data.detection.symptoms)) ||
    present(data.escalation) ||
    present(data.references)
  );
}

/** Whether a valid runbook is documentation only: it has no step (guidance is then required). */
export function isDocumentationOnly(runbook: Runbook): boolean {
  return stepsOf(runbook).length === 0;
}
