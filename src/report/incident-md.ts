import { formatDuration } from '../common/duration.js';
import type { IncidentReport, ReportPart, TimelineEntry } from './incident.js';
import { fitsInline, mdCode, mdFence, mdTable, mdText } from './markdown.js';
import { callDepth } from '../schema/calls.js';
import { alertName, type Alert } from '../schema/alert-payload.js';

// The post-incident report as Markdown (`runbook report`), in the shape of the post-incident
// sections of the shipped runbooks: a summary, the findings, the timeline, the captured values, the
// communication, the checklist and the action items. Everything from outside goes through
// markdown.ts, so that it renders as what it is on GitHub. docs/report-example.md is one, made by
// scripts/report-example.mjs from the demo.

/** Captured values and outputs are cut to this many characters, with a marker saying how many more. */
export const VALUE_CHARS = 200;

export function incidentMarkdown(report: IncidentReport): string {
  const out: string[] = [];
  const block = (...lines: string[]): void => {
    out.push(...lines, '');
  };
  block(`# Incident report: ${mdText(report.runbook.title)}`);

  block('## Summary');
  const partsCount = report.parts.length;
  const summary = [
    item('Runbook', `${mdCode(report.runbook.id)}: ${mdText(report.runbook.title)}`),
    item(
      'Runbook file',
      report.runbook_file !== null
        ? mdCode(report.runbook_file)
        : `${mdCode(report.runbook.file)} (not read: ${mdText(report.runbook_problem ?? 'not found')})`,
    ),
    item('Service', mdText(report.runbook.service ?? '—')),
    item('Severity', mdText(report.runbook.severity ?? '—')),
    item('Run', `${mdCode(report.run_id)} (${mdText(modeWords(report.mode))})`),
    item(
      'Who and where',
      partsCount === 1 && report.parts[0]
        ? who(report.parts[0])
        : report.parts.map((part) => `${who(part)} (part ${part.part})`).join('; '),
    ),
    item('Started', mdText(utc(report.started_at))),
    item('Ended', report.ended_at === null ? '—' : mdText(utc(report.ended_at))),
    item('Duration', mdText(durationWords(report))),
    item('Result', resultWords(report)),
    item('Journal', mdCode(report.journal.path)),
  ];
  block(...summary);
  if (report.alert) block(...alertBlock(report.alert));
  if (partsCount > 1) {
    block('### Parts');
    block(
      mdTable(
        ['Part', 'Who', 'Where', 'Mode', 'Started (UTC)', 'Ended (UTC)', 'Duration', 'Result'],
        report.parts.map((part) => [
          String(part.part),
          part.user,
          part.host,
          modeWords(part.mode),
          utc(part.started_at),
          part.ended_at === null ? '—' : utc(part.ended_at),
          part.duration_ms === null ? '—' : formatDuration(part.duration_ms),
          part.from_step === null ? part.status : `${part.status} (from ${part.from_step})`,
        ]),
      ),
    );
  }
  if (report.missing.length > 0) {
    block('### Missing from this report');
    block(...report.missing.map((line) => `- ${mdText(line)}`));
  }

  block('## Findings');
  if (report.findings.length === 0) block('No detection check found its symptom present.');
  for (const finding of report.findings) {
    const head = `- ${stepLabel(finding.step, finding.name)}${finding.reason === null ? '' : `: ${mdText(finding.reason)}`}`;
    const values = Object.entries(finding.values).map(([name, value]) =>
      valueItem(mdCode(name), value, '  '),
    );
    block(head, ...(values.length > 0 ? [list(values)] : []));
  }

  block('## Timeline (UTC)');
  block(list(timelineItems(report)));

  block('## Captured values');
  if (report.captured.length === 0) block('No step captured a value.');
  else
    block(
      list(
        report.captured.map(({ step, name, value }) =>
          valueItem(`${mdCode(step)} ${mdCode(name)}`, value, ''),
        ),
      ),
    );

  block('## Communication');
  if (report.communication === null)
    block(`Not available: ${mdText(report.runbook_problem ?? 'the runbook could not be read')}.`);
  else if (report.communication.length === 0) block('The runbook has no communication templates.');
  else
    for (const message of report.communication) {
      block(
        `### ${mdText(message.name)}${message.channel === null ? '' : ` (${mdText(message.channel)})`}`,
      );
      block(mdFence(message.text, '', 'text'));
      if (message.unfilled.length > 0)
        block(
          'Not filled from this run:',
          '',
          ...message.unfilled.map((line) => `- ${mdCode(line)}`),
        );
    }

  block('## Post-incident checklist');
  if (report.checklist === null)
    block(`Not available: ${mdText(report.runbook_problem ?? 'the runbook could not be read')}.`);
  else if (report.checklist.length === 0) block('The runbook has no post-incident checklist.');
  else block(...report.checklist.map((line) => `- [ ] ${mdText(line)}`));

  block('## Action items');
  out.push('<!-- One a line: - [ ] what, who, by when -->');
  return `${out.join('\n')}\n`;
}

/** List items, one a line; a blank line between them all when one of them has several blocks
 * (a loose list, written as it is read). */
function list(lines: readonly string[]): string {
  const loose = lines.some((line) => line.includes('\n'));
  return lines.map((line) => line.replace(/\n+$/, '')).join(loose ? '\n\n' : '\n');
}

function item(label: string, value: string): string {
  return `- **${label}:** ${value}`;
}

function who(part: ReportPart): string {
  return `${mdText(part.user)} on ${mdText(part.host)} (pid ${part.pid})`;
}

function modeWords(mode: string): string {
  return mode === 'execute' ? 'a real run' : mode;
}

function durationWords(report: IncidentReport): string {
  if (report.duration_ms === null)
    return report.status === 'running' ? 'still running' : 'unknown: the run has no end';
  const running = formatDuration(report.duration_ms);
  if (report.parts.length === 1) return running;
  const first = Date.parse(report.started_at);
  const last = report.ended_at === null ? NaN : Date.parse(report.ended_at);
  const span = Number.isFinite(first) && Number.isFinite(last) ? formatDuration(last - first) : '—';
  return `${running} running, over ${report.parts.length} parts (${span} from the first start to the last end)`;
}

function resultWords(report: IncidentReport): string {
  const status = `**${mdText(report.status)}**`;
  const stopped = report.stopped;
  const at =
    stopped?.step === undefined
      ? ''
      : ` at ${mdCode(stopped.step)}${stopped.kind === 'crashed' ? ' (it never ended)' : ''}`;
  const reason = report.reason === null ? '' : `: ${mdText(report.reason)}`;
  return `${status}${at}${reason}`;
}

function stepLabel(id: string, name: string | null): string {
  return name === null ? mdCode(id) : `${mdCode(id)} ${mdText(name)}`;
}

/** A value: in a code span when it is one short line, else in a block; cut at VALUE_CHARS. */
function valueItem(label: string, value: unknown, indent: string): string {
  const text = cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));
  if (fitsInline(text, VALUE_CHARS + 40)) return `${indent}- ${label}: ${mdCode(text)}`;
  return `${indent}- ${label}:\n\n${mdFence(text, `${indent}  `)}`;
}

function cut(text: string): string {
  if (text.length <= VALUE_CHARS) return text;
  return `${text.slice(0, VALUE_CHARS)}… [${text.length - VALUE_CHARS} more characters]`;
}

/** An ISO time as `2026-12-06 07:04:20 UTC`; what is not one, as it is. */
function utc(ts: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(ts);
  return match ? `${match[1]} ${match[2]} UTC` : ts;
}

/** A time of the timeline: `07:04:20.984`, with its day when it is not the run's first. */
function clock(ts: string, day: string | undefined): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)\d*Z$/.exec(ts);
  if (!match) return ts;
  return match[1] === day ? (match[2] ?? ts) : `${match[1]} ${match[2]}`;
}

function timelineItems(report: IncidentReport): string[] {
  const day = /^(\d{4}-\d{2}-\d{2})T/.exec(report.started_at)?.[1];
  return report.timeline.map((entry) => {
    // A called runbook's entries are nested under its call (docs/format.md#sub-runbooks).
    const step = 'step' in entry ? entry.step : undefined;
    const pad = '  '.repeat(typeof step === 'string' ? callDepth(step) : 0);
    return `- ${mdCode(clock(entry.ts, day))} ${entryWords(entry)}`
      .split('\n')
      .map((line) => (line === '' ? line : `${pad}${line}`))
      .join('\n');
  });
}

function entryWords(entry: TimelineEntry): string {
  switch (entry.kind) {
    case 'start':
      return `Run started by ${mdText(entry.user)} on ${mdText(entry.host)} (${modeWords(entry.mode)})`;
    case 'resume':
      return `Part ${entry.part}: resumed by ${mdText(entry.user)} on ${mdText(entry.host)} (${modeWords(entry.mode)})${entry.from_step === null ? '' : `, from ${mdCode(entry.from_step)}`}`;
    case 'section':
      return `**${mdText(sectionTitle(entry.section))}**${entry.note === null ? '' : ` (${mdText(entry.note)})`}`;
    case 'confirm':
      return `${mdCode(entry.step)}${entry.items ? ` for ${entry.items.length} item${entry.items.length === 1 ? '' : 's'} (${entry.items.map(mdText).join(', ')})` : ''} ${entry.approved ? 'approved' : 'declined'} by ${mdText(entry.by)}${entry.given === null ? '' : ` (given with the run: ${mdCode(entry.given)})`}`;
    case 'retry':
      return `${mdCode(entry.step)} attempt ${entry.attempt} of ${entry.of} failed: ${mdText(entry.reason)}; retrying in ${formatDuration(entry.delay_ms)}`;
    case 'decision':
      return `${mdCode(entry.step)} failed; ${mdText(entry.by)} chose to ${mdText(entry.choice)}`;
    case 'acknowledged':
      return `${mdCode(entry.step)} acknowledged by ${mdText(entry.by)}`;
    case 'answer':
      return `${mdCode(entry.step)} answered by ${mdText(entry.by)}${entry.given ? ' (given with the run: `--answer`)' : ''}: ${mdText(entry.name)} = ${mdCode(entry.value)}`;
    case 'rollback-offer':
      return `${mdCode(entry.step)} failed and the run was stopped; ${mdText(entry.by)} ${entry.accepted ? 'had the rollback run' : 'declined the rollback'}`;
    case 'step':
      return stepWords(entry);
    case 'call':
      return `${mdCode(entry.step)} calls ${mdCode(entry.section === null ? entry.runbook : `${entry.runbook}#${entry.section}`)} ${mdText(entry.title)}:`;
    case 'escalation':
      return `Escalation due after ${mdText(entry.after)}: ${mdText(entry.to)}${entry.via === null ? '' : ` via ${mdText(entry.via)}`}${entry.contact === null ? '' : ` (${mdText(entry.contact)})`}`;
    case 'escalated':
      return `Escalated (rule ${mdCode(entry.rule)}): ${mdText(entry.reason)}: ${mdText(entry.to)}${entry.via === null ? '' : ` via ${mdText(entry.via)}`}${entry.contact === null ? '' : ` (${mdText(entry.contact)})`}`;
    case 'notify':
      return `Team ${entry.ok ? 'notified' : 'not notified'} (${entry.purpose === 'start' ? 'run started' : 'escalation'})${entry.error === null ? '' : `: ${mdText(entry.error)}`}`;
    case 'end':
      return `Run ended: **${mdText(entry.status)}** after ${formatDuration(entry.duration_ms)}${entry.reason === null ? '' : ` (${mdText(entry.reason)})`}`;
    case 'no-end': {
      const step = entry.step === null ? '' : `, during ${mdCode(entry.step)}`;
      return entry.status === 'running'
        ? `The journal ends here: the run is still running${step}`
        : `The journal ends here${step}: the process was killed or the machine stopped (**crashed**)`;
    }
    default: {
      const unreachable: never = entry;
      return unreachable;
    }
  }
}

function sectionTitle(section: string): string {
  return section.charAt(0).toUpperCase() + section.slice(1);
}

function stepWords(entry: Extract<TimelineEntry, { kind: 'step' }>): string {
  const facts = [
    mdText(entry.effect),
    `exit ${entry.exit_code === null ? '—' : entry.exit_code}`,
    formatDuration(entry.duration_ms),
  ];
  if (entry.attempts > 1) facts.push(`${entry.attempts} attempts`);
  if (entry.finding) facts.push('finding');
  const item = entry.item ? `↳ ` : '';
  const label = entry.item ? ` [${mdText(entry.item.label)}]` : '';
  const head = `${item}${stepLabel(entry.step, entry.name)}${label}: **${mdText(entry.status)}**${entry.declined ? ' (declined)' : ''} · ${facts.join(' · ')}`;
  const more: string[] = [];
  if (entry.command !== null)
    more.push(
      fitsInline(entry.command, 160)
        ? `  ${mdCode(entry.command)}`
        : mdFence(entry.command, '  ', 'sh'),
    );
  if (entry.instruction !== null) more.push(`  Instruction: ${mdText(cut(entry.instruction))}`);
  if (entry.reason !== null) more.push(`  ${mdText(entry.reason)}`);
  return more.length === 0 ? head : [head, ...more.flatMap((text) => ['', text])].join('\n');
}

/** The alert the run answered: what it is, its labels and annotations (bounded in the journal). */
function alertBlock(alert: Alert): string[] {
  const firing = alert.count > 1 ? `, ${alert.firing} of ${alert.count} alerts firing` : '';
  const lines = [
    '### Alert',
    '',
    `${mdText(alertName(alert))} (${mdText(`${alert.kind}, ${alert.status}${firing}`)})${
      alert.starts_at ? `, since ${mdText(alert.starts_at)}` : ''
    }${alert.url ? `: ${mdText(alert.url)}` : ''}`,
  ];
  const rows = [
    ...Object.entries(alert.labels).map(([name, value]) => ['label', name, value]),
    ...Object.entries(alert.annotations).map(([name, value]) => ['annotation', name, value]),
  ];
  if (rows.length > 0) lines.push('', mdTable(['', 'Name', 'Value'], rows));
  return lines;
}
