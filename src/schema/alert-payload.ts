/**
 * Alert payloads (`runbook run --alert FILE|-`, `runbook match`; docs/format.md#alert-payloads):
 * what a monitoring system posts to a webhook, read into the one alert a run answers. The kind is
 * told from the content:
 *
 * - Alertmanager's webhook (`version: "4"`, `alerts[]` with labels and annotations);
 * - Grafana's unified alerting webhook (Alertmanager's shape, with `orgId`, `state`, `title`);
 * - Grafana's legacy alerting webhook (`ruleName`, `evalMatches`, `tags`);
 * - a PagerDuty v3 webhook about an incident (`event.event_type: incident.*`, `event.data`).
 *
 * Of several alerts, the first that fires is the one answered (the first of all when none fires):
 * a group's resolved alerts need no runbook.
 */

/** The kinds of payload read. */
export type AlertKind = 'alertmanager' | 'grafana' | 'grafana-legacy' | 'pagerduty';

/** The alert a run answers, as expressions see it (`alert.*`). */
export interface Alert {
  kind: AlertKind;
  /** `firing` or `resolved` (PagerDuty: `triggered` and `acknowledged` are firing). */
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When it started firing (ISO 8601), or ''. */
  starts_at: string;
  /** Where it came from: the rule's or incident's page, or ''. */
  url: string;
  /** How many alerts the payload holds, and how many of them fire. */
  count: number;
  firing: number;
}

/** A payload that is not an alert of a known kind, and why. */
export class AlertPayloadError extends Error {}

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The largest payload read: Alertmanager cuts its own at far less (docs/commands.md). */
export const MAX_ALERT_BYTES = 1024 * 1024;

/**
 * What JSON.parse found wrong, without the text it quotes: a file given by mistake (a key, a
 * password file) must not reach the terminal. A position becomes a line and a column.
 */
function jsonProblem(message: string, text: string): string {
  const bare = message.replace(/, ".*?"(?:\.\.\.)? is not valid JSON$/s, ' (not valid JSON)');
  const position = /\bat position (\d+)/.exec(bare);
  if (!position) return bare;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return bare.replace(
    / in JSON at position \d+.*$| at position \d+.*$/s,
    ` at line ${line}, column ${column}`,
  );
}

/** Reads a payload's JSON text into the alert it is about. */
export function parseAlertPayload(text: string): Alert {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AlertPayloadError(`not JSON: ${jsonProblem(message, text)}`);
  }
  if (!isObject(data))
    throw new AlertPayloadError(
      'not an alert payload: expected a JSON object (an Alertmanager, Grafana or PagerDuty webhook)',
    );
  if (isObject(data.event)) return fromPagerDuty(data.event);
  if (Array.isArray(data.alerts))
    return fromAlertmanagerShape(data, isGrafana(data) ? 'grafana' : 'alertmanager');
  if (typeof data.ruleName === 'string' || Array.isArray(data.evalMatches))
    return fromGrafanaLegacy(data);
  throw new AlertPayloadError(
    `not an alert payload: it has none of alerts[] (Alertmanager, Grafana), event (PagerDuty v3) or ruleName (Grafana legacy); its keys: ${
      Object.keys(data).slice(0, 8).join(', ') || 'none'
    }`,
  );
}

/** Grafana's unified alerting posts Alertmanager's shape with fields of its own. */
function isGrafana(data: Raw): boolean {
  return (
    data.orgId !== undefined ||
    (typeof data.state === 'string' && typeof data.title === 'string') ||
    (Array.isArray(data.alerts) &&
      data.alerts.some((alert) => isObject(alert) && alert.valueString !== undefined))
  );
}

function fromAlertmanagerShape(data: Raw, kind: 'alertmanager' | 'grafana'): Alert {
  const alerts = (data.alerts as unknown[]).filter(isObject);
  if (alerts.length === 0)
    throw new AlertPayloadError(
      `an ${kind === 'grafana' ? 'Grafana' : 'Alertmanager'} payload with no alerts in alerts[]`,
    );
  const firing = alerts.filter((alert) => alertStatus(alert, data) === 'firing');
  const chosen = firing[0] ?? alerts[0] ?? {};
  // A payload's common labels hold for every alert: an alert that left them out still has them.
  const labels = { ...strings(data.commonLabels), ...strings(chosen.labels) };
  const annotations = { ...strings(data.commonAnnotations), ...strings(chosen.annotations) };
  return {
    kind,
    status: alertStatus(chosen, data),
    labels,
    annotations,
    starts_at: text(chosen.startsAt),
    url: text(chosen.generatorURL),
    count: alerts.length,
    firing: firing.length,
  };
}

function alertStatus(alert: Raw, data: Raw): 'firing' | 'resolved' {
  const status = alert.status ?? data.status;
  return status === 'resolved' ? 'resolved' : 'firing';
}

function fromGrafanaLegacy(data: Raw): Alert {
  const labels = strings(data.tags);
  if (typeof data.ruleName === 'string') labels.alertname = data.ruleName;
  const annotations: Record<string, string> = {};
  for (const [key, from] of [
    ['summary', 'title'],
    ['description', 'message'],
  ] as const)
    if (typeof data[from] === 'string') annotations[key] = data[from];
  const firing = data.state === 'alerting' || data.state === 'no_data';
  return {
    kind: 'grafana-legacy',
    status: firing ? 'firing' : 'resolved',
    labels,
    annotations,
    starts_at: '',
    url: text(data.ruleUrl),
    count: 1,
    firing: firing ? 1 : 0,
  };
}

/**
 * A PagerDuty v3 webhook's incident. Its labels: `service` (the service's name), `urgency`,
 * `priority` (its name), `escalation_policy`, `incident_key`, `incident_number`, and the text or
 * number entries of the alert body's custom details (`data.body.details`, when the event carries
 * it; a monitoring system's labels are usually there). Its annotations: `summary` (the title),
 * `description`, and `details` when the custom details are text.
 */
function fromPagerDuty(event: Raw): Alert {
  const type = text(event.event_type);
  if (!type.startsWith('incident.') || !isObject(event.data))
    throw new AlertPayloadError(
      `a PagerDuty webhook about ${type ? `"${type}"` : 'nothing'}, not an incident: expected event.event_type incident.triggered (or another incident.* event) and event.data`,
    );
  const data = event.data;
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const named = (value: unknown): string =>
    isObject(value) ? text(value.summary ?? value.name) : text(value);
  const set = (key: string, value: string): void => {
    if (value !== '') labels[key] = value;
  };
  const body = isObject(data.body) ? data.body : undefined;
  if (body && isObject(body.details)) Object.assign(labels, strings(body.details));
  set('service', named(data.service));
  set('urgency', text(data.urgency));
  set('priority', named(data.priority));
  set('escalation_policy', named(data.escalation_policy));
  set('incident_key', text(data.incident_key));
  set('incident_number', text(data.number));
  if (typeof data.title === 'string') annotations.summary = data.title;
  if (typeof data.description === 'string') annotations.description = data.description;
  if (body && typeof body.details === 'string') annotations.details = body.details;
  const status = text(data.status) || type.slice('incident.'.length);
  const firing = status !== 'resolved';
  return {
    kind: 'pagerduty',
    status: firing ? 'firing' : 'resolved',
    labels,
    annotations,
    starts_at: text(data.created_at) || text(event.occurred_at),
    url: text(data.html_url),
    count: 1,
    firing: firing ? 1 : 0,
  };
}

/** A map's text, number and boolean entries, as text (labels and annotations are text). */
function strings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '__proto__') continue;
    if (typeof inner === 'string') out[key] = inner;
    else if (typeof inner === 'number' || typeof inner === 'boolean') out[key] = String(inner);
  }
  return out;
}

function text(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : '';
}

/** How much of an annotation the journal keeps: they can be long, and are for reading. */
export const JOURNALED_TEXT = 500;
const JOURNALED_ENTRIES = 64;

/** The alert as a run's journal keeps it (run.start's origin): labels and annotations bounded. */
export function journaledAlert(alert: Alert): Alert {
  const bound = (record: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(record).slice(0, JOURNALED_ENTRIES))
      out[key.slice(0, JOURNALED_TEXT)] =
        value.length > JOURNALED_TEXT ? `${value.slice(0, JOURNALED_TEXT)}…` : value;
    return out;
  };
  return { ...alert, labels: bound(alert.labels), annotations: bound(alert.annotations) };
}

/** An alert's name, for messages: its `alertname` label, or its summary. */
export function alertName(alert: Alert): string {
  return alert.labels.alertname ?? alert.annotations.summary ?? `a ${alert.kind} alert`;
}
