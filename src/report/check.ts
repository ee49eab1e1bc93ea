import { visible } from './visible.js';
import type { CheckResult, CheckValue, NagiosState } from '../engine/check.js';

const STATE_VALUE: Record<NagiosState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Nagios plugin output: `RUNBOOK <STATE> - <summary> | <perfdata>`, then one line per check. */
export function nagiosText(state: NagiosState, checks: readonly CheckResult[]): string {
  const perfdata = perfdataOf(checks);
  const lines = [
    `RUNBOOK ${state} - ${headline(state, checks)}${perfdata ? ` | ${perfdata}` : ''}`,
  ];
  for (const check of checks)
    lines.push(
      `${check.state} ${check.runbook}/${check.id} (${check.duration_ms}ms): ${oneLine(check.summary)}`,
    );
  return `${lines.join('\n')}\n`;
}

function headline(state: NagiosState, checks: readonly CheckResult[]): string {
  if (checks.length === 0) return 'no checks selected';
  const counts = (['CRITICAL', 'UNKNOWN', 'WARNING', 'OK'] as const)
    .map((s) => [s, checks.filter((check) => check.state === s).length] as const)
    .filter(([, count]) => count > 0)
    .map(([s, count]) => `${count} ${s}`)
    .join(', ');
  if (state === 'OK') return `${checks.length} check${checks.length === 1 ? '' : 's'} OK`;
  const worst = checks.filter((check) => check.state === state);
  const first = worst[0];
  const more = worst.length > 1 ? ` (+${worst.length - 1} more)` : '';
  return `${counts}: ${first ? `${first.runbook}/${first.id}: ${oneLine(first.summary)}` : ''}${more}`;
}

/** Perfdata in plugin syntax: `label=value[UOM];warn;crit`. Labels name the value alone for one
 * check, `check.value` within one runbook, `runbook.check.value` across several. */
function perfdataOf(checks: readonly CheckResult[]): string {
  const runbooks = new Set(checks.map((check) => check.runbook));
  const parts: string[] = [];
  for (const check of checks) {
    for (const [name, value] of Object.entries(check.values)) {
      const label =
        checks.length === 1
          ? name
          : runbooks.size === 1
            ? `${check.id}.${name}`
            : `${check.runbook}.${check.id}.${name}`;
      parts.push(`${quoteLabel(label)}=${perfValue(name, value)}`);
    }
  }
  return parts.join(' ');
}

function perfValue(name: string, value: CheckValue): string {
  const levels = [value.warn, value.crit].map((level) => (level === undefined ? '' : level));
  return `${value.value}${unitOf(name)};${levels.join(';')}`.replace(/;+$/, '');
}

function unitOf(name: string): string {
  if (/(_ms|_millis(econds)?)$/.test(name)) return 'ms';
  if (/(_s|_seconds)$/.test(name)) return 's';
  if (/(_pct|_percent)$/.test(name)) return '%';
  if (/_bytes$/.test(name)) return 'B';
  return '';
}

function quoteLabel(label: string): string {
  return /[\s'=]/.test(label) ? `'${label.replace(/'/g, "''")}'` : label;
}

/** A summary on one plugin-output line: no line breaks, no `|` (perfdata starts there), and no
 * control sequences (a hostile HTTP body must not reach an operator's terminal). */
function oneLine(text: string): string {
  return visible(text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '/'));
}

/** Prometheus text exposition (version 0.0.4) of the results. */
export function prometheusText(checks: readonly CheckResult[]): string {
  const families = new Map<string, { help: string; samples: string[] }>();
  const add = (name: string, help: string, labels: string, value: number): void => {
    const family = families.get(name) ?? { help, samples: [] };
    family.samples.push(`${name}{${labels}} ${formatNumber(value)}`);
    families.set(name, family);
  };
  for (const check of checks) {
    const labels = labelSet({
      runbook: check.runbook,
      check: check.id,
      service: check.service ?? '',
      severity: check.severity ?? '',
    });
    add(
      'runbook_check_state',
      'State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
      labels,
      STATE_VALUE[check.state],
    );
    add(
      'runbook_check_duration_seconds',
      'How long the check took.',
      labels,
      check.duration_ms / 1000,
    );
    for (const [name, { value }] of Object.entries(check.values)) {
      add(
        `runbook_check_value_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`,
        `The value ${name} reported by the check.`,
        labels,
        value,
      );
    }
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# HELP ${name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${name} gauge`);
    lines.push(...family.samples);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function labelSet(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(
      ([key, value]) =>
        `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
    )
    .join(',');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
