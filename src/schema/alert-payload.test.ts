import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/helpers/cli.js';
import { AlertPayloadError, journaledAlert, parseAlertPayload } from './alert-payload.js';

const fixture = (name: string): string =>
  readFileSync(join(ROOT, 'test/fixtures/alerts', name), 'utf8');

describe('parseAlertPayload: what monitoring systems post', () => {
  it('Alertmanager (recorded from a real one): the first firing alert', () => {
    expect(parseAlertPayload(fixture('alertmanager-partly-resolved.json'))).toMatchObject({
      kind: 'alertmanager',
      status: 'firing',
      labels: { alertname: 'KubeContainerWaiting', namespace: 'api', pod: 'web-2' },
      annotations: { summary: 'web-2 waits' },
      count: 2,
      firing: 1,
    });
  });

  it('Grafana unified alerting: Alertmanager’s shape, told apart by its own fields', () => {
    expect(parseAlertPayload(fixture('grafana-firing.json'))).toEqual({
      kind: 'grafana',
      status: 'firing',
      labels: {
        alertname: 'High memory usage',
        grafana_folder: 'Platform',
        team: 'blue',
        zone: 'us-1',
      },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://runbooks.example.com/high-memory',
        summary: 'This alert was triggered for zone us-1',
      },
      starts_at: '2026-12-06T09:51:03.157076+02:00',
      url: 'https://grafana.example.com/alerting/grafana/1afz29v7z/view',
      count: 2,
      firing: 1,
    });
  });

  it('Grafana legacy alerting: its rule name and tags are the labels', () => {
    expect(parseAlertPayload(fixture('grafana-legacy.json'))).toEqual({
      kind: 'grafana-legacy',
      status: 'firing',
      labels: { host: 'web-3', severity: 'critical', alertname: 'Disk almost full' },
      annotations: {
        summary: '[Alerting] Disk almost full',
        description: 'Disk on web-3 is almost full',
      },
      starts_at: '',
      url: 'https://grafana.example.com/d/disk/hosts?tab=alert&viewPanel=2&orgId=1',
      count: 1,
      firing: 1,
    });
  });

  it('PagerDuty v3 incident.triggered: service, urgency, priority, custom details', () => {
    expect(parseAlertPayload(fixture('pagerduty-incident-triggered.json'))).toEqual({
      kind: 'pagerduty',
      status: 'firing',
      labels: {
        alertname: 'PostgresReplicationLag',
        instance: 'db-replica-2:9187',
        lag_seconds: '412',
        service: 'Checkout API',
        urgency: 'high',
        priority: 'P1',
        escalation_policy: 'Database on-call',
        incident_key: 'db-replication-lag/db-replica-2',
        incident_number: '4217',
      },
      annotations: { summary: 'Replication lag above 300s on db-replica-2' },
      starts_at: '2026-12-06T03:12:40Z',
      url: 'https://acme.pagerduty.com/incidents/Q2Q5KRXO3ZRGSB',
      count: 1,
      firing: 1,
    });
  });

  it('PagerDuty: a resolved incident, and text custom details', () => {
    const payload = JSON.parse(fixture('pagerduty-incident-triggered.json')) as {
      event: { event_type: string; data: Record<string, unknown> };
    };
    payload.event.event_type = 'incident.resolved';
    payload.event.data.status = 'resolved';
    payload.event.data.body = { type: 'incident_body', details: 'lag back under 10s' };
    const alert = parseAlertPayload(JSON.stringify(payload));
    expect([alert.status, alert.firing, alert.annotations.details, alert.labels.alertname]).toEqual(
      ['resolved', 0, 'lag back under 10s', undefined],
    );
  });

  it.each([
    ['{', "not JSON: Expected property name or '}' at line 1, column 2"],
    // A file given by mistake: what it holds never reaches the message.
    ['root:*:19000:0:99999:7:::', "not JSON: Unexpected token 'r' (not valid JSON)"],
    [
      '{"alerts": [1,\n  2 x]}',
      "not JSON: Expected ',' or ']' after array element at line 2, column 5",
    ],
    [
      '[]',
      'not an alert payload: expected a JSON object (an Alertmanager, Grafana or PagerDuty webhook)',
    ],
    [
      '"firing"',
      'not an alert payload: expected a JSON object (an Alertmanager, Grafana or PagerDuty webhook)',
    ],
    [
      '{"status":"firing","receiver":"x"}',
      'not an alert payload: it has none of alerts[] (Alertmanager, Grafana), event (PagerDuty v3) or ruleName (Grafana legacy); its keys: status, receiver',
    ],
    ['{"version":"4","alerts":[]}', 'an Alertmanager payload with no alerts in alerts[]'],
    [
      '{"event":{"event_type":"service.updated","data":{}}}',
      'a PagerDuty webhook about "service.updated", not an incident: expected event.event_type incident.triggered (or another incident.* event) and event.data',
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parseAlertPayload(text)).toThrow(AlertPayloadError);
    expect(() => parseAlertPayload(text)).toThrow(message);
  });

  it('labels are text; a key __proto__ is dropped, not taken as a prototype', () => {
    const alert = parseAlertPayload(
      '{"version":"4","alerts":[{"labels":{"__proto__":"x","constructor":"c","port":9100,"up":true,"nested":{"a":1}}}]}',
    );
    expect(alert.labels).toEqual({ constructor: 'c', port: '9100', up: 'true' });
    expect(Object.getPrototypeOf(alert.labels)).toBe(Object.prototype);
  });

  it('the journal keeps annotations bounded', () => {
    const long = 'x'.repeat(2000);
    const alert = parseAlertPayload(
      JSON.stringify({
        version: '4',
        alerts: [{ labels: { a: 'b' }, annotations: { description: long } }],
      }),
    );
    expect(journaledAlert(alert).annotations.description).toBe(`${'x'.repeat(500)}…`);
    expect(alert.annotations.description).toBe(long);
  });
});
