import { alertName, type Alert } from '../schema/alert-payload.js';
import { visible } from './visible.js';

/** One line about an alert: its name, kind, status and labels (docs/format.md#alert-payloads). */
export function alertLine(alert: Alert): string {
  const labels = Object.entries(alert.labels)
    .filter(([name]) => name !== 'alertname')
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');
  const firing = alert.count > 1 ? `, ${alert.firing} of ${alert.count} firing` : '';
  return visible(
    `${alertName(alert)} (${alert.kind}, ${alert.status}${firing})${labels ? ` ${labels}` : ''}`,
  );
}

/** The variables a run took from its alert: `namespace = "shop" (labels.namespace)`. */
export function alertVarsLine(
  alertVars: Readonly<Record<string, string>>,
  values: Readonly<Record<string, unknown>>,
): string {
  return visible(
    Object.entries(alertVars)
      .map(([name, from]) => `${name} = ${JSON.stringify(values[name])} (${from})`)
      .join(', '),
  );
}
