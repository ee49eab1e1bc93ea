import type { Alert } from '../schema/alert-payload.js';

/** What expressions see as `alert` (docs/format.md#alert-payloads): the alert a run answers, or,
 * in a run without one, the same fields empty (`alert.kind == ""`, no labels). */
export function alertContext(alert: Alert | undefined): Record<string, unknown> {
  return {
    kind: alert?.kind ?? '',
    status: alert?.status ?? '',
    labels: alert?.labels ?? {},
    annotations: alert?.annotations ?? {},
    starts_at: alert?.starts_at ?? '',
    url: alert?.url ?? '',
    count: alert?.count ?? 0,
    firing: alert?.firing ?? 0,
  };
}

/** The value a variable's `from_alert:` names (`labels.namespace`, `annotations.summary`,
 * `status`, `starts_at`), or undefined when the alert has none (or there is no alert). */
export function fromAlert(alert: Alert | undefined, path: string): string | undefined {
  if (!alert) return undefined;
  const dot = path.indexOf('.');
  const [where, name] = dot < 0 ? [path, ''] : [path.slice(0, dot), path.slice(dot + 1)];
  let value: string | undefined;
  if (where === 'labels' || where === 'annotations')
    value = Object.hasOwn(alert[where], name) ? alert[where][name] : undefined;
  else if (where === 'status') value = alert.status;
  else if (where === 'starts_at') value = alert.starts_at;
  return value === '' ? undefined : value;
}

const ALERT_READ = /(?<![.\w])alert\s*\.\s*(labels|annotations)\b/;

/** Whether an expression source reads the alert's labels or annotations. */
export function readsAlert(source: string): boolean {
  return ALERT_READ.test(source);
}
