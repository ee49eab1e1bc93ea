import type { Effect } from '../adapters/adapter.js';
import { ExpressionContext } from '../engine/context.js';
import type {
  EngineEvent,
  RunbookInfo,
  RunMode,
  StepRecord,
  StepStatus,
} from '../engine/events.js';
import type { Redactor } from '../engine/redact.js';
import {
  hasTemplate,
  splitTemplate,
  stringifyValue,
  type Expressions,
} from '../schema/expressions.js';
import { stepsOf, type Runbook, type Section, type Step } from '../schema/runbook.js';
import type { RunRecord, RunState, Stopped } from '../state/run-record.js';
import { approverOf, reasonOf } from './engine-words.js';
import type { Alert } from '../schema/alert-payload.js';

// The post-incident report of one run (`runbook report`), as data: `--format json` prints it as it
// is, and incident-md.ts writes it as Markdown. It is read from the run's journal (already
// redacted) and, where the journal does not hold it, from the runbook file: its communication
// templates and post-incident checklist. The shape is documented in docs/commands.md#report.

/** The runbook the report reads its templates and checklist from, or why it has none. */
export interface RunbookSource {
  runbook: Runbook | undefined;
  /** The file it was read from. */
  file: string | undefined;
  /** Why there is no runbook: not found, or it no longer validates. */
  problem: string | undefined;
}

export interface ReportPart {
  part: number;
  user: string;
  host: string;
  pid: number;
  mode: RunMode;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  status: RunState;
  from_step: string | null;
}

export interface ReportFinding {
  step: string;
  name: string | null;
  reason: string | null;
  /** The outputs the check judged (its `expect:` keys), else its plain outputs. */
  values: Record<string, unknown>;
}

interface Entry {
  ts: string;
  /** The part of the run it happened in (1, then one per resume). */
  part: number;
}

/** One line of the timeline, in the order the journal has them. */
export type TimelineEntry = Entry &
  (
    | { kind: 'start'; user: string; host: string; mode: RunMode }
    | { kind: 'resume'; user: string; host: string; mode: RunMode; from_step: string | null }
    | { kind: 'section'; section: Section; note: string | null }
    | {
        kind: 'confirm';
        step: string;
        approved: boolean;
        /** Who: the person at the prompt, or for an approval given with the run, its user. */
        by: string;
        /** How an approval given with the run was given (`--approve`, `--yes`); null at a prompt. */
        given: string | null;
        /** A for_each: step asked once for these items. */
        items?: string[];
      }
    | {
        kind: 'retry';
        step: string;
        attempt: number;
        of: number;
        reason: string;
        delay_ms: number;
      }
    | { kind: 'decision'; step: string; choice: string; by: string }
    | { kind: 'answer'; step: string; name: string; value: string; by: string; given: boolean }
    | { kind: 'rollback-offer'; step: string; accepted: boolean; by: string }
    | { kind: 'acknowledged'; step: string; by: string }
    | {
        kind: 'step';
        step: string;
        name: string | null;
        section: Section;
        status: StepStatus;
        effect: Effect | 'manual';
        /** The exact command or request, redacted; null for a manual step. */
        command: string | null;
        /** A manual step's instruction. */
        instruction: string | null;
        exit_code: number | null;
        duration_ms: number;
        attempts: number;
        started_at: string | null;
        reason: string | null;
        finding: boolean;
        declined: boolean;
        /** One item of a for_each: step (docs/format.md#loops-and-targets); absent otherwise. */
        item?: { index: number; label: string };
      }
    | { kind: 'escalation'; after: string; to: string; via: string | null; contact: string | null }
    | { kind: 'notify'; purpose: string; ok: boolean; error: string | null }
    /** An escalation rule of `when:` fired (docs/format.md#escalation). */
    | {
        kind: 'escalated';
        rule: string;
        reason: string;
        step: string | null;
        to: string;
        via: string | null;
        contact: string | null;
      }
    | { kind: 'end'; status: string; duration_ms: number; reason: string | null }
    /** A `call:` step started the runbook it calls (docs/format.md#sub-runbooks): the entries of
     * steps `<step>/…` are that runbook's. */
    | {
        kind: 'call';
        step: string;
        runbook: string;
        title: string;
        section: Section | null;
      }
    /** The journal ends without the part's end: it crashed, or still runs. */
    | { kind: 'no-end'; status: 'crashed' | 'running'; step: string | null }
  );

export interface ReportMessage {
  name: string;
  channel: string | null;
  /** The template filled with the run's facts, redacted. */
  text: string;
  /** Expressions that could not be filled (left as written in the text), and why. */
  unfilled: string[];
}

export interface IncidentReport {
  run_id: string;
  runbook: RunbookInfo;
  /** The runbook file the templates and checklist were read from; null with `runbook_problem`. */
  runbook_file: string | null;
  runbook_problem: string | null;
  mode: RunMode;
  status: RunState;
  stopped: Stopped | null;
  reason: string | null;
  started_at: string;
  ended_at: string | null;
  /** Time spent running, over all parts (not the pauses between them). */
  duration_ms: number | null;
  parts: ReportPart[];
  findings: ReportFinding[];
  timeline: TimelineEntry[];
  captured: Array<{ step: string; name: string; value: unknown }>;
  /** Null when the runbook could not be read. */
  communication: ReportMessage[] | null;
  checklist: string[] | null;
  action_items: string[];
  /** What this report lacks, and why. */
  missing: string[];
  journal: { path: string; torn: boolean; unreadable: number };
  /** The alert the run answered (`run --alert`), as its journal keeps it; null without one. */
  alert: Alert | null;
}

/** The expression sources of a runbook's communication templates (what `expressions` must load). */
export function communicationSources(runbook: Runbook | undefined): string {
  return messagesOf(runbook)
    .map(([, message]) => message.template)
    .join('\n');
}

export function incidentReport(
  record: RunRecord,
  source: RunbookSource,
  options: { redactor: Redactor; expressions: Expressions | undefined },
): IncidentReport {
  const { runbook } = source;
  const start = record.events.find((event) => event.type === 'run.start');
  const journalVars = start?.type === 'run.start' ? start.vars : {};
  const stepDefs = new Map<string, Step>(
    runbook ? stepsOf(runbook).map(({ step }) => [step.id, step]) : [],
  );
  const missing: string[] = [];
  if (!runbook)
    missing.push(
      `the runbook file: ${source.problem ?? 'not found'}; its communication templates and post-incident checklist are not in this report`,
    );
  if (record.status === 'crashed')
    missing.push(
      record.torn
        ? 'the end of the run: its process was killed while writing the journal (its last line is cut short and left out)'
        : 'the end of the run: its journal stops without one (the process was killed, or the machine stopped)',
    );
  else if (record.torn) missing.push('the journal’s last line, cut short and left out');
  if (record.unreadable > 0)
    missing.push(
      `${record.unreadable} line${record.unreadable === 1 ? '' : 's'} of the journal that ${record.unreadable === 1 ? 'is' : 'are'} not an event (left out)`,
    );

  return {
    run_id: record.run_id,
    runbook: record.runbook,
    runbook_file: runbook ? (source.file ?? null) : null,
    runbook_problem: runbook ? null : (source.problem ?? 'not found'),
    mode: record.mode,
    status: record.status,
    stopped: record.stopped ?? null,
    reason: record.reason ?? null,
    started_at: record.started_at,
    ended_at: record.ended_at ?? null,
    duration_ms: record.duration_ms ?? null,
    parts: record.parts.map((part) => ({
      part: part.part,
      user: part.user,
      host: part.host,
      pid: part.pid,
      mode: part.mode,
      started_at: part.started_at,
      ended_at: part.ended_at ?? null,
      duration_ms: part.duration_ms ?? null,
      status: part.status,
      from_step: part.from_step ?? null,
    })),
    findings: record.steps
      .filter((step) => record.findings.includes(step.id))
      .map((step) => ({
        step: step.id,
        name: step.name ?? null,
        reason: reasonOf(step) ?? null,
        values: findingValues(step, stepDefs.get(step.id)),
      })),
    timeline: timeline(record),
    captured: record.steps.flatMap((step) =>
      (step.captured ?? []).map((name) => ({
        step: step.id,
        name,
        value: Object.hasOwn(step.outputs, name) ? step.outputs[name] : null,
      })),
    ),
    communication: runbook
      ? messages(
          record,
          runbook,
          journalVars,
          options.redactor,
          options.expressions,
          start?.type === 'run.start' ? start.origin?.alert : undefined,
        )
      : null,
    checklist: runbook
      ? (runbook.postmortem?.checklist ?? []).map((item) => options.redactor.redact(item))
      : null,
    action_items: [],
    missing,
    journal: { path: record.journal, torn: record.torn, unreadable: record.unreadable },
    alert: (start?.type === 'run.start' ? start.origin?.alert : undefined) ?? null,
  };
}

/** What a detection check judged: its `expect:` keys' values (`json.errorRate` as a path), else
 * every output that is not an object. */
function findingValues(step: StepRecord, def: Step | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const expect = def?.expect;
  const keys =
    expect !== undefined && typeof expect === 'object' && !Array.isArray(expect)
      ? Object.keys(expect)
      : [];
  for (const key of keys) {
    const value = outputAt(step.outputs, key);
    if (value !== undefined) out[key] = value;
  }
  if (Object.keys(out).length > 0) return out;
  for (const [key, value] of Object.entries(step.outputs))
    if (value === null || typeof value !== 'object') out[key] = value;
  return out;
}

function outputAt(outputs: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(outputs, key)) return outputs[key];
  let value: unknown = outputs;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function timeline(record: RunRecord): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let part = 0;
  let ended = false;
  const started = new Map<string, string>();
  const push = (
    event: EngineEvent,
    entry: DistributiveOmit<TimelineEntry, 'ts' | 'part'>,
  ): void => {
    entries.push({ ts: event.ts, part, ...entry } as TimelineEntry);
  };
  let lastTs = record.started_at;
  const closePart = (): void => {
    if (part > 0 && !ended)
      entries.push({
        ts: lastTs,
        part,
        kind: 'no-end',
        // Only the last part may still run; an earlier one without an end was cut off.
        status: record.status === 'running' && part === record.parts.length ? 'running' : 'crashed',
        step: [...started.keys()].at(-1) ?? null,
      });
  };
  for (const event of record.events) {
    if (event.type !== 'run.resume') lastTs = event.ts;
    switch (event.type) {
      case 'run.start':
        if (part > 0) break; // a second run.start is not this run's
        part = 1;
        ended = false;
        push(event, { kind: 'start', user: event.user, host: event.host, mode: event.mode });
        break;
      case 'run.resume':
        closePart();
        part = event.part;
        ended = false;
        started.clear();
        push(event, {
          kind: 'resume',
          user: event.user,
          host: event.host,
          mode: event.mode,
          from_step: event.from_step ?? null,
        });
        break;
      case 'section.start':
        push(event, {
          kind: 'section',
          section: event.section,
          note: event.note ?? (event.asked ? reasonOf({ asked: event.asked }) : undefined) ?? null,
        });
        break;
      case 'step.start':
        started.set(event.item ? `${event.step}#${event.item.index}` : event.step, event.ts);
        break;
      case 'call.start':
        push(event, {
          kind: 'call',
          step: event.step,
          runbook: event.runbook.id,
          title: event.runbook.title,
          section: event.section ?? null,
        });
        break;
      case 'step.confirm': {
        // The journal words an approval given with the run as its flag (src/report/engine-words.ts).
        const words = approverOf(event);
        const given = 'asked' in event || words.startsWith('--');
        push(event, {
          kind: 'confirm',
          step: event.step,
          approved: event.approved,
          by: given ? (record.parts[part - 1]?.user ?? record.user) : words,
          given: given ? words : null,
          ...(event.items ? { items: event.items } : {}),
        });
        break;
      }
      case 'step.retry':
        push(event, {
          kind: 'retry',
          step: event.step,
          attempt: event.attempt,
          of: event.of,
          reason: event.reason,
          delay_ms: event.delay_ms,
        });
        break;
      case 'step.decision':
        push(event, { kind: 'decision', step: event.step, choice: event.choice, by: event.by });
        break;
      case 'step.answer':
        push(event, {
          kind: 'answer',
          step: event.step,
          name: event.name,
          value: event.value,
          by: event.by,
          given: event.given_before,
        });
        break;
      case 'rollback.offer':
        push(event, {
          kind: 'rollback-offer',
          step: event.step,
          accepted: event.accepted,
          by: event.by,
        });
        break;
      case 'step.item':
      case 'step.end': {
        // An item a continued run took as it was is in the timeline once: where it ran.
        if (event.restored) break;
        const item = event.type === 'step.item' ? event.item : undefined;
        const key = item ? `${event.id}#${item.index}` : event.id;
        const by = event.outputs.acknowledged_by;
        if (event.effect === 'manual' && typeof by === 'string') {
          const at = event.outputs.acknowledged_at;
          entries.push({
            ts: typeof at === 'string' ? at : event.ts,
            part,
            kind: 'acknowledged',
            step: event.id,
            by,
          });
        }
        const instruction = event.outputs.instruction;
        push(event, {
          kind: 'step',
          step: event.id,
          name: event.name ?? null,
          section: event.section,
          status: event.status,
          effect: event.effect,
          command: event.command ?? null,
          instruction:
            event.effect === 'manual' && typeof instruction === 'string' ? instruction : null,
          exit_code: event.exit_code ?? null,
          duration_ms: event.duration_ms,
          attempts: event.attempts,
          started_at: started.get(key) ?? null,
          reason: reasonOf(event) ?? null,
          finding: event.finding === true,
          declined: event.declined === true,
          ...(item ? { item } : {}),
        });
        started.delete(key);
        break;
      }
      case 'escalation.due':
        push(event, {
          kind: 'escalation',
          after: event.after,
          to: event.to,
          via: event.via ?? null,
          contact: event.contact ?? null,
        });
        break;
      case 'escalation.triggered':
        push(event, {
          kind: 'escalated',
          rule: event.rule,
          reason: event.reason,
          step: event.step ?? null,
          to: event.to,
          via: event.via ?? null,
          contact: event.contact ?? null,
        });
        break;
      case 'notify':
        push(event, {
          kind: 'notify',
          purpose: event.purpose,
          ok: event.ok,
          error: event.error ?? null,
        });
        break;
      case 'run.end':
        ended = true;
        push(event, {
          kind: 'end',
          status: event.status,
          duration_ms: event.duration_ms,
          reason: reasonOf(event) ?? null,
        });
        break;
      default:
        break;
    }
  }
  closePart();
  return entries;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Message = { channel?: string | undefined; template: string };

function messagesOf(runbook: Runbook | undefined): Array<[string, Message]> {
  return Object.entries(runbook?.communication ?? {}).map(([name, message]) => [
    name,
    typeof message === 'string' ? { template: message } : message,
  ]);
}

/**
 * The runbook's communication templates filled with the run's facts: its variables as the journal
 * has them (secret ones masked), its steps' records, the runbook and the run. Expressions are only
 * evaluated (CEL: no command can run); one that cannot be (a step that did not run, `env`, which the
 * report does not read again) is left as written and named.
 */
function messages(
  record: RunRecord,
  runbook: Runbook,
  journalVars: Record<string, unknown>,
  redactor: Redactor,
  expressions: Expressions | undefined,
  alert: Alert | undefined,
): ReportMessage[] {
  const vars: Record<string, unknown> = { ...journalVars };
  for (const [name, def] of Object.entries(runbook.vars ?? {}))
    if (def !== null && typeof def === 'object' && 'secret' in def && def.secret === true)
      vars[name] = '***';
  let context: Record<string, unknown> | undefined;
  if (expressions) {
    const facts = new ExpressionContext({
      expressions,
      runbook,
      vars,
      env: {},
      runId: record.run_id,
      mode: record.mode,
      startedAt: record.started_at,
      alert,
    });
    for (const step of record.steps) facts.setStep(step);
    context = facts.get();
  }
  return messagesOf(runbook).map(([name, message]) => {
    const unfilled: string[] = [];
    let text = '';
    if (!hasTemplate(message.template)) text = message.template;
    else {
      let parts: ReturnType<typeof splitTemplate>;
      try {
        parts = splitTemplate(message.template);
      } catch (error) {
        parts = [{ kind: 'text', text: message.template }];
        unfilled.push((error as Error).message);
      }
      for (const part of parts) {
        if (part.kind === 'text') {
          text += part.text;
          continue;
        }
        try {
          if (!expressions || !context) throw new Error('the expression language is not loaded');
          text += stringifyValue(expressions.evaluate(part.source, context));
        } catch (error) {
          text += `\${{ ${part.source} }}`;
          unfilled.push(`\${{ ${part.source} }}: ${(error as Error).message}`);
        }
      }
    }
    return {
      name: redactor.redact(name),
      channel: message.channel === undefined ? null : redactor.redact(message.channel),
      text: redactor.redact(text),
      unfilled: unfilled.map((line) => redactor.redact(line)),
    };
  });
}
