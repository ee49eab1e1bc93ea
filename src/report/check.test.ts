import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../engine/check.js';
import { nagiosText, prometheusText } from './check.js';

const result = (overrides: Partial<CheckResult>): CheckResult => ({
  runbook: 'api',
  id: 'health',
  service: 'api',
  severity: 'P1',
  state: 'OK',
  summary: 'ok',
  values: {},
  duration_ms: 12,
  ...overrides,
});

describe('nagiosText', () => {
  it('names perfdata by check, and by runbook too when there are several', () => {
    const one = [
      result({ values: { latency_ms: { value: 120, warn: 1000, crit: 3000 } } }),
      result({ id: 'disk', values: { used_pct: { value: 81, warn: 80 } } }),
    ];
    expect(nagiosText('OK', one).split('\n')[0]).toBe(
      'RUNBOOK OK - 2 checks OK | health.latency_ms=120ms;1000;3000 disk.used_pct=81%;80',
    );
    const several = [
      ...one,
      result({ runbook: 'db', id: 'lag', values: { 'lag s': { value: 2 } } }),
    ];
    expect(nagiosText('OK', several).split('\n')[0]).toBe(
      "RUNBOOK OK - 3 checks OK | api.health.latency_ms=120ms;1000;3000 api.disk.used_pct=81%;80 'db.lag.lag s'=2",
    );
  });

  it('leads with the worst checks and keeps a summary to one line without a pipe', () => {
    const text = nagiosText('CRITICAL', [
      result({ state: 'WARNING', summary: 'slow' }),
      result({ id: 'a', state: 'CRITICAL', summary: 'status is 503 | body\nsecond line' }),
      result({ id: 'b', state: 'CRITICAL', summary: 'down' }),
    ]);
    expect(text).toBe(
      [
        'RUNBOOK CRITICAL - 2 CRITICAL, 1 WARNING: api/a: status is 503 / body second line (+1 more)',
        'WARNING api/health (12ms): slow',
        'CRITICAL api/a (12ms): status is 503 / body second line',
        'CRITICAL api/b (12ms): down',
        '',
      ].join('\n'),
    );
  });
});

describe('prometheusText', () => {
  it('groups samples by metric with one HELP and TYPE each, and escapes label values', () => {
    const text = prometheusText([
      result({ state: 'WARNING', values: { 'rows[0].n': { value: 7, warn: 5 } } }),
      result({ runbook: 'say "hi"\\', id: 'x', service: undefined, duration_ms: 1500 }),
    ]);
    expect(text).toBe(
      [
        '# HELP runbook_check_state State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
        '# TYPE runbook_check_state gauge',
        'runbook_check_state{runbook="api",check="health",service="api",severity="P1"} 1',
        'runbook_check_state{runbook="say \\"hi\\"\\\\",check="x",service="",severity="P1"} 0',
        '# HELP runbook_check_duration_seconds How long the check took.',
        '# TYPE runbook_check_duration_seconds gauge',
        'runbook_check_duration_seconds{runbook="api",check="health",service="api",severity="P1"} 0.012',
        'runbook_check_duration_seconds{runbook="say \\"hi\\"\\\\",check="x",service="",severity="P1"} 1.5',
        '# HELP runbook_check_value_rows_0__n The value rows[0].n reported by the check.',
        '# TYPE runbook_check_value_rows_0__n gauge',
        'runbook_check_value_rows_0__n{runbook="api",check="health",service="api",severity="P1"} 7',
        '',
      ].join('\n'),
    );
  });
});
