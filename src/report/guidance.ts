import type { ChalkInstance } from 'chalk';
import type { Runbook } from '../schema/runbook.js';
import { visible } from './visible.js';

/**
 * The guidance of a documentation-only runbook (docs/format.md, "Catalogs and documentation-only
 * runbooks"), as `runbook run` prints it: what the person on call reads instead of steps.
 */

/** A reference as a line: its title and address, or the address alone. */
function referenceText(reference: NonNullable<Runbook['references']>[number]): string {
  return typeof reference === 'string' ? reference : `${reference.title}: ${reference.url}`;
}

function escalationText(rule: NonNullable<Runbook['escalation']>[number]): string {
  const severity = rule.severity
    ? ` (${Array.isArray(rule.severity) ? rule.severity.join('/') : rule.severity})`
    : '';
  const how = [rule.via ? `via ${rule.via}` : '', rule.contact ?? ''].filter(Boolean).join(', ');
  return `after ${String(rule.after)}${severity}: ${rule.to}${how ? ` (${how})` : ''}`;
}

/** The guidance as text, every value shown as text (never as control sequences). */
export function guidanceText(runbook: Runbook, c: ChalkInstance): string {
  const out: string[] = [
    `${c.bold('Guidance')}  ${c.dim(`${visible(runbook.id)} has no steps to run: read, then act`)}`,
  ];
  const block = (title: string, lines: string[]): void => {
    if (lines.length > 0) out.push('', c.bold(title), ...lines);
  };
  const paragraph = (text: string | undefined): string[] =>
    text === undefined || text.trim() === ''
      ? []
      : visible(text.trim())
          .split('\n')
          .map((line) => `  ${line}`);
  block('Summary', paragraph(runbook.summary));
  block('Description', paragraph(runbook.description));
  block(
    'Symptoms',
    (runbook.detection?.symptoms ?? []).map((symptom) => `  - ${visible(symptom)}`),
  );
  block(
    'Escalation',
    (runbook.escalation ?? []).map((rule) => `  - ${visible(escalationText(rule))}`),
  );
  block(
    'Links',
    (runbook.references ?? []).map((reference) => `  - ${visible(referenceText(reference))}`),
  );
  return `${out.join('\n')}\n\n`;
}

/** The guidance in `run --format json`: each part, null or empty when the runbook has none. */
export function guidanceJson(runbook: Runbook): Record<string, unknown> {
  return {
    summary: runbook.summary ?? null,
    description: runbook.description ?? null,
    symptoms: runbook.detection?.symptoms ?? [],
    escalation: (runbook.escalation ?? []).map((rule) => ({
      after: rule.after,
      to: rule.to,
      severity: rule.severity ?? null,
      via: rule.via ?? null,
      contact: rule.contact ?? null,
    })),
    references: (runbook.references ?? []).map((reference) =>
      typeof reference === 'string'
        ? { title: null, url: reference }
        : { title: reference.title, url: reference.url },
    ),
  };
}
