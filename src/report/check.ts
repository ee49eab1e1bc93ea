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
      `${check.state} ${check.runbook}/${idOf(check)} (${check.duration_ms}ms): ${oneLine(check.summary)}`,
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
  return `${counts}: ${first ? `${first.runbook}/${idOf(first)}: ${oneLine(first.summary)}` : ''}${more}`;
}

/** A check's name in Nagios output: an item of a for_each: check as `<id>[<item>]`. */
function idOf(check: CheckResult): string {
  return check.item === undefined ? check.id : `${check.id}[${oneLine(check.item)}]`;
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
            ? `${idOf(check)}.${name}`
            : `${check.runbook}.${idOf(check)}.${name}`;
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

/** Units a value's name may end in (or hold as one `_` word), with the base unit Prometheus asks
 * for and the conversion: docs/monitoring.md#prometheus. */
const UNITS: Record<string, { base: string; scale: (value: number) => number }> = {};
const unit = (base: string, scale: (value: number) => number, ...words: string[]): void => {
  for (const word of words) UNITS[word] = { base, scale };
};
unit('seconds', (v) => v / 1e9, 'ns', 'nanos', 'nanosecond', 'nanoseconds');
unit('seconds', (v) => v / 1e6, 'us', 'micros', 'microsecond', 'microseconds');
unit('seconds', (v) => v / 1000, 'ms', 'msec', 'millis', 'millisecond', 'milliseconds');
unit('seconds', (v) => v, 's', 'sec', 'secs', 'second', 'seconds');
unit('seconds', (v) => v * 60, 'min', 'mins', 'minute', 'minutes');
unit('seconds', (v) => v * 3600, 'h', 'hr', 'hrs', 'hour', 'hours');
unit('seconds', (v) => v * 86400, 'd', 'day', 'days');
unit('seconds', (v) => v * 604800, 'week', 'weeks');
unit('bytes', (v) => v, 'b', 'byte', 'bytes');
unit('bytes', (v) => v / 8, 'bit', 'bits');
unit('bytes', (v) => v * 1e3, 'kb', 'kilobyte', 'kilobytes');
unit('bytes', (v) => v * 1e6, 'mb', 'megabyte', 'megabytes');
unit('bytes', (v) => v * 1e9, 'gb', 'gigabyte', 'gigabytes');
unit('bytes', (v) => v * 1e12, 'tb', 'terabyte', 'terabytes');
unit('bytes', (v) => v * 1e15, 'pb', 'petabyte', 'petabytes');
unit('bytes', (v) => v * 2 ** 10, 'kib', 'kibibyte', 'kibibytes');
unit('bytes', (v) => v * 2 ** 20, 'mib', 'mebibyte', 'mebibytes');
unit('bytes', (v) => v * 2 ** 30, 'gib', 'gibibyte', 'gibibytes');
unit('bytes', (v) => v * 2 ** 40, 'tib', 'tebibyte', 'tebibytes');
unit('ratio', (v) => v / 100, 'pct', 'percent', 'percentage');

/** Words `promtool check metrics` refuses as a `_`-separated part of a gauge's name: abbreviated
 * units and metric types. One left over after the unit is converted is joined to the word before. */
const REFUSED = new Set([
  ...['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'],
  ...['counter', 'gauge', 'histogram', 'summary', 'untyped'],
]);
/** Last words reserved for counters, histograms and summaries; a gauge drops them. */
const RESERVED_LAST = new Set(['total', 'count', 'sum', 'bucket']);

/** `runbook_check_value_<name>` in Prometheus's naming: snake_case, the unit last and in base units
 * (`latency_ms` → `latency_seconds`, the value divided by 1000; `used_pct` → `used_ratio`). */
export function valueMetric(name: string): {
  name: string;
  unit: string | undefined;
  scale: (value: number) => number;
} {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  if (words.length > 1 && RESERVED_LAST.has(words[words.length - 1] ?? '')) words.pop();
  let found: { base: string; scale: (value: number) => number } | undefined;
  for (let i = words.length - 1; i >= 0; i--) {
    const hit = UNITS[words[i] ?? ''];
    if (hit) {
      found = hit;
      words.splice(i, 1);
      words.push(hit.base);
      break;
    }
  }
  const parts = ['runbook', 'check', 'value'];
  for (const [i, word] of words.entries()) {
    if (REFUSED.has(word) || (i === words.length - 1 && RESERVED_LAST.has(word)))
      parts[parts.length - 1] += word;
    else parts.push(word);
  }
  return { name: parts.join('_'), unit: found?.base, scale: found?.scale ?? ((value) => value) };
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
      ...(check.item === undefined ? {} : { item: check.item }),
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
    const taken = new Set<string>();
    for (const [name, { value }] of Object.entries(check.values)) {
      const metric = valueMetric(name);
      let family = metric.name;
      for (let n = 2; taken.has(family); n++) family = `${metric.name}_${n}`;
      taken.add(family);
      add(
        family,
        `The value ${name} reported by the check${metric.unit ? `, in ${metric.unit}` : ''}.`,
        labels,
        metric.scale(value),
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
