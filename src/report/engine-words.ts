import type { Asked, EngineEvent, RunResult } from '../engine/events.js';
import type { TeamNews } from '../engine/options.js';
import { formatArgv } from '../common/quote.js';
import { escalateToWords } from '../schema/escalation.js';
import { visible } from './visible.js';

// The words for what the engine gives as facts: how a run was asked for, in the command line's
// flags, and what the team is told. The journal, the view and `run --format json` say the same.

/** A fact about how the run was asked for, in words. */
export function askedWords(asked: Asked): string {
  switch (asked.kind) {
    case 'before-from':
      return `before --from ${asked.from}`;
    case 'read-only':
      return `${asked.effect} step not run in --read-only mode`;
    case 'needs-approval':
      return asked.all_would_do
        ? `pass --approve ${asked.step} (or --yes) to run it non-interactively`
        : `pass --approve ${asked.step} to run it non-interactively (for ${asked.severity ?? 'this'} runbooks --yes does not approve destructive steps)`;
    case 'only':
      return `requested with --only ${asked.section}`;
    case 'approved':
      return asked.all ? '--yes' : '--approve';
    case 'needs-answer':
      return `pass --answer ${asked.step}=<value> to answer it non-interactively`;
    default: {
      const unreachable: never = asked;
      return unreachable;
    }
  }
}

/** A step's or a run's reason: its own words, then those of how the run was asked for. */
export function reasonOf(said: { reason?: string | undefined; asked?: Asked }): string | undefined {
  if (said.asked === undefined) return said.reason;
  const words = askedWords(said.asked);
  return said.reason === undefined ? words : `${said.reason}: ${words}`;
}

/** Who approved a step: a person, or the approvals given with the run. */
export function approverOf(confirm: { by: string } | { asked: Asked }): string {
  return 'by' in confirm ? confirm.by : askedWords(confirm.asked);
}

/** An event with its facts worded, as the journal keeps it. */
export function wordEvent(event: EngineEvent): EngineEvent {
  if (!('asked' in event) || event.asked === undefined) return event;
  switch (event.type) {
    case 'section.start':
      return wordInto(event, 'note', askedWords(event.asked));
    case 'step.confirm':
      return wordInto(event, 'by', askedWords(event.asked));
    default:
      return wordInto(event, 'reason', reasonOf(event));
  }
}

/** A run's result with its facts worded, for `run --format json` and JUnit. */
export function wordResult(result: RunResult): RunResult {
  return {
    ...wordInto(result, 'reason', reasonOf(result)),
    steps: result.steps.map((step) => wordInto(step, 'reason', reasonOf(step))),
  };
}

/** What the team is told. */
export function teamMessage(news: TeamNews): string {
  switch (news.purpose) {
    case 'start':
      return (
        news.text ??
        `Incident runbook "${news.runbook.title}" (${news.runbook.id}) started by ${news.user}: run ${news.run}`
      );
    case 'escalation':
      return 'after' in news
        ? `"${news.runbook.title}" has been open for ${news.after}: escalate to ${news.to}${news.via ? ` via ${news.via}` : ''} (run ${news.run})`
        : `"${news.runbook.title}": ${news.reason}: escalate to ${news.to}${news.via ? ` via ${news.via}` : ''} (run ${news.run}, rule ${news.rule})`;
    default: {
      const unreachable: never = news;
      return unreachable;
    }
  }
}

/** `value` with its `asked` fact worded into `key`: in the place of the key's own words, or else
 * of the fact (so that the journal's lines read as they always have). */
function wordInto<T extends object>(value: T, key: string, words: string | undefined): T {
  if (!('asked' in value)) return value;
  const hasKey = key in value;
  const entries = Object.entries(value).flatMap(([name, item]): Array<[string, unknown]> => {
    if (name === 'asked') return hasKey ? [] : [[key, words]];
    return [[name, name === key ? words : item]];
  });
  return Object.fromEntries(entries) as T;
}

/**
 * How to continue a run that stopped, as a command to paste: `runbook resume <run-id>`, with
 * `--ack <step>` for a manual step that awaits a person, `--answer <step>=<value>` for one that
 * asks a question, and `--approve <step>` for a step that needs an approval. Undefined for a run that succeeded, a plan, or one without a journal.
 */
export function resumeHint(result: RunResult): string | undefined {
  if (result.status === 'succeeded' || result.mode !== 'execute' || !result.journal)
    return undefined;
  const argv = ['runbook', 'resume', result.run_id];
  for (const step of result.steps) {
    // A call stopped where one of its steps did, which is named on its own.
    if (step.call !== undefined) continue;
    if (step.status === 'pending' && step.outputs.question !== undefined)
      argv.push('--answer', `${step.id}=<value>`);
    else if (step.status === 'pending' || (step.declined && step.effect === 'manual'))
      argv.push('--ack', step.id);
    else if (step.declined && step.status === 'skipped') argv.push('--approve', step.id);
  }
  return formatArgv(argv);
}

/** An escalation as announced, in one line without colour: on stderr when stdout is a JSON or
 * JUnit document (the run view shows it otherwise). */
export function escalationLine(
  event: Extract<EngineEvent, { type: 'escalation.due' | 'escalation.triggered' }>,
): string {
  const to = escalateToWords(event);
  const line =
    event.type === 'escalation.due'
      ? `escalation: ${event.after} have passed: escalate to ${to}`
      : `escalation: ${event.reason}: escalate to ${to} (rule ${event.rule})`;
  return visible(line).replace(/\s*\n\s*/g, ' ');
}
