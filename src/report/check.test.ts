import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../engine/check.js';
import { nagiosText, prometheusText, valueMetric } from './check.js';

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
        '# HELP runbook_check_value_rows_0_n The value rows[0].n reported by the check.',
        '# TYPE runbook_check_value_rows_0_n gauge',
        'runbook_check_value_rows_0_n{runbook="api",check="health",service="api",severity="P1"} 7',
        '',
      ].join('\n'),
    );
  });
});

describe('valueMetric', () => {
  const metric = (name: string, value: number): [string, number] => {
    const m = valueMetric(name);
    return [m.name, m.scale(value)];
  };

  it('names a value in base units, the unit last, and converts the value', () => {
    expect(metric('latency_ms', 1240)).toEqual(['runbook_check_value_latency_seconds', 1.24]);
    expect(metric('latencyMs', 5)).toEqual(['runbook_check_value_latency_seconds', 0.005]);
    expect(metric('lag_s', 2)).toEqual(['runbook_check_value_lag_seconds', 2]);
    expect(metric('uptime_hours', 2)).toEqual(['runbook_check_value_uptime_seconds', 7200]);
    expect(metric('p99_ms_max', 250)).toEqual(['runbook_check_value_p99_max_seconds', 0.25]);
    expect(metric('disk_free_gb', 3)).toEqual(['runbook_check_value_disk_free_bytes', 3e9]);
    expect(metric('heap_mib', 2)).toEqual(['runbook_check_value_heap_bytes', 2097152]);
    expect(metric('used_pct', 81)).toEqual(['runbook_check_value_used_ratio', 0.81]);
    expect(metric('rows[0].n', 7)).toEqual(['runbook_check_value_rows_0_n', 7]);
  });

  it('keeps out the words promtool refuses in a gauge: counter suffixes, types, stray abbreviations', () => {
    expect(metric('errors_total', 3)).toEqual(['runbook_check_value_errors', 3]);
    expect(metric('rows_count', 3)).toEqual(['runbook_check_value_rows', 3]);
    expect(metric('count', 3)).toEqual(['runbook_check_valuecount', 3]);
    expect(metric('queue_gauge_len', 3)).toEqual(['runbook_check_value_queuegauge_len', 3]);
    expect(metric('a_m_ms', 3000)).toEqual(['runbook_check_value_am_seconds', 3]);
    expect(metric('延迟', 1)).toEqual(['runbook_check_value', 1]);
  });

  it('numbers a second value of one check that lands on the same name', () => {
    const text = prometheusText([
      result({ values: { latency_ms: { value: 1500 }, latency_s: { value: 2 } } }),
    ]);
    expect(text.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'runbook_check_state{runbook="api",check="health",service="api",severity="P1"} 0',
      'runbook_check_duration_seconds{runbook="api",check="health",service="api",severity="P1"} 0.012',
      'runbook_check_value_latency_seconds{runbook="api",check="health",service="api",severity="P1"} 1.5',
      'runbook_check_value_latency_seconds_2{runbook="api",check="health",service="api",severity="P1"} 2',
      '',
    ]);
  });
});
