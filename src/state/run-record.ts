import type { EngineEvent, RunbookInfo, RunMode, RunStatus, StepRecord } from '../engine/events.js';
import type { Section } from '../schema/runbook.js';
import type { JournalRead } from './journal-reader.js';

/**
 * What a run is now, read from its journal: how it ended, or `running` (its process still runs) or
 * `crashed` (its journal has no end and its process is gone: killed outright, or the machine
 * stopped).
 */
export type RunState = RunStatus | 'running' | 'crashed';

/** What stopped a run, when it did not succeed: the step, and how. */
export type Stopped =
  | { kind: 'failed'; step: string | undefined }
  | { kind: 'declined'; step: string | undefined }
  | { kind: 'pending'; step: string | undefined }
  | { kind: 'interrupted'; step: string | undefined }
  | { kind: 'crashed'; step: string | undefined };

/** One part of a run: the first from `run`, each later one from `runbook resume`. */
export interface RunPart {
  part: number;
  mode: RunMode;
  user: string;
  host: string;
  pid: number;
  started_at: string;
  /** Undefined while it runs, or when it crashed. */
  ended_at: string | undefined;
  status: RunState;
  duration_ms: number | undefined;
  from_step: string | undefined;
}

/** A run as its journal tells it: the incident record that history, report, status and resume read. */
export interface RunRecord {
  run_id: string;
  journal: string;
  runbook: RunbookInfo;
  /** The incident it belongs to (`run --incident`). */
  incident?: string;
  /** The first part's (a resumed run keeps its mode). */
  mode: RunMode;
  user: string;
  host: string;
  started_at: string;
  /** When its last part ended. */
  ended_at: string | undefined;
  /** Time spent running: the sum of its parts' durations (not the pauses between them). */
  duration_ms: number | undefined;
  status: RunState;
  stopped: Stopped | undefined;
  /** The detection checks whose symptom was present, over all parts. */
  findings: string[];
  /** The reason the last part gave for how it ended. */
  reason: string | undefined;
  /** Every step's latest record (a step run again in a later part: its last run), in run order. */
  steps: StepRecord[];
  parts: RunPart[];
  /** Every event, in order, for the report's timeline. */
  events: EngineEvent[];
  /** The journal's last line was cut short (see JournalRead). */
  torn: boolean;
  /** Lines of the journal that were not events. */
  unreadable: number;
}

/**
 * The record of a run from its journal. `running` says whether the process of its last part still
 * runs (the caller looks: a pid and its start time); it decides between `running` and `crashed`
 * for a journal without an end. Undefined for a journal without a run.start (not a run's).
 */
export function runRecord(read: JournalRead, running: boolean): RunRecord | undefined {
  const { events } = read;
  const start = events.find((event) => event.type === 'run.start');
  if (!start || start.type !== 'run.start') return undefined;
  const parts: RunPart[] = [];
  const steps = new Map<string, StepRecord>();
  const started = new Map<string, { section: Section; ts: string }>();
  const findings = new Set<string>();
  let reason: string | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'run.start':
      case 'run.resume': {
        // A part that never ended, followed by another, was killed: it crashed.
        const previous = parts.at(-1);
        if (previous && previous.ended_at === undefined) previous.status = 'crashed';
        parts.push({
          part: event.type === 'run.start' ? 1 : event.part,
          mode: event.mode,
          user: event.user,
          host: event.host,
          pid: event.pid,
          started_at: event.ts,
          ended_at: undefined,
          status: 'running',
          duration_ms: undefined,
          from_step: event.type === 'run.resume' ? event.from_step : undefined,
        });
        started.clear();
        break;
      }
      case 'step.start':
        // An item of a for_each: step runs within the step's own start and end.
        if (!event.item) started.set(event.step, { section: event.section, ts: event.ts });
        break;
      case 'step.end': {
        started.delete(event.id);
        const { type: _type, ts: _ts, ...record } = event;
        // A step run again (a later part) counts where it ran last.
        steps.delete(event.id);
        steps.set(event.id, record);
        if (event.finding) findings.add(event.id);
        else findings.delete(event.id);
        break;
      }
      case 'run.end': {
        const part = parts.at(-1);
        if (part) {
          part.ended_at = event.ts;
          part.status = event.status;
          part.duration_ms = event.duration_ms;
        }
        reason = event.reason;
        break;
      }
      default:
        break;
    }
  }
  const last = parts.at(-1);
  if (last && last.ended_at === undefined) {
    last.status = running && !read.torn ? 'running' : 'crashed';
    reason = undefined;
  }
  const status: RunState = last?.status ?? 'crashed';
  const ordered = [...steps.values()];
  const durations = parts.map((part) => part.duration_ms);
  return {
    run_id: start.run_id,
    journal: read.path,
    runbook: start.runbook,
    ...(start.incident === undefined ? {} : { incident: start.incident }),
    mode: start.mode,
    user: start.user,
    host: start.host,
    started_at: start.ts,
    ended_at: last?.ended_at,
    duration_ms: durations.every((d) => d !== undefined)
      ? durations.reduce((sum, d) => sum + d, 0)
      : undefined,
    status,
    stopped: stoppedBy(status, ordered, [...started.keys()].at(-1)),
    findings: [...findings],
    reason,
    steps: ordered,
    parts,
    events,
    torn: read.torn,
    unreadable: read.unreadable,
  };
}

/** What stopped a run that did not succeed; `unfinished`: a step that started and never ended. */
function stoppedBy(
  status: RunState,
  steps: readonly StepRecord[],
  unfinished: string | undefined,
): Stopped | undefined {
  const lastWith = (test: (step: StepRecord) => boolean): string | undefined =>
    steps.findLast(test)?.id;
  switch (status) {
    case 'succeeded':
    case 'running':
      return undefined;
    case 'failed':
      return {
        kind: 'failed',
        step: lastWith((step) => step.status === 'failed' && step.section !== 'rollback'),
      };
    case 'declined':
      return { kind: 'declined', step: lastWith((step) => step.declined === true) };
    case 'pending':
      return { kind: 'pending', step: lastWith((step) => step.status === 'pending') };
    case 'interrupted':
      return {
        kind: 'interrupted',
        step: unfinished ?? lastWith((step) => step.status === 'interrupted'),
      };
    case 'crashed':
      return { kind: 'crashed', step: unfinished };
  }
}
