import { alertLine, alertVarsLine } from './alert-words.js';
import type { ChalkInstance } from 'chalk';
import type * as OraModule from 'ora';
import type { Ora } from 'ora';
import { importLazily, loader } from '../common/lazy.js';
import { formatDuration } from '../common/duration.js';
import type { EngineEvent, RunResult, StepRecord } from '../engine/events.js';
import type { OutStream } from './out-stream.js';
import { JOURNAL_STRING_CHARS } from '../state/journal.js';
import { approverOf, resumeHint, wordEvent, wordResult } from './engine-words.js';
import { visible, visibleDeep } from './visible.js';
import { callDepth } from '../schema/calls.js';
import { escalateToWords } from '../schema/escalation.js';

/** The spinner, loaded only for a person at a terminal. */
const loadOra = loader('the spinner (ora)', () => importLazily<typeof OraModule>('ora'));

const SECTION_TITLES = {
  detection: 'Detection',
  diagnosis: 'Diagnosis',
  resolution: 'Resolution',
  verification: 'Verification',
  rollback: 'Rollback',
} as const;

/** Renders engine events as lines for a person. On a terminal a spinner shows the running step;
 * elsewhere plain lines only, no spinner frames and no escape codes unless FORCE_COLOR. */
export class RunView {
  readonly #out: OutStream;
  readonly #c: ChalkInstance;
  readonly #spinner: Ora | undefined;
  readonly #running = new Map<string, string>();
  #mode: RunResult['mode'] = 'execute';

  private constructor(out: OutStream, colors: ChalkInstance, spinner: Ora | undefined) {
    this.#out = out;
    this.#c = colors;
    this.#spinner = spinner;
  }

  static async create(
    out: OutStream,
    colors: ChalkInstance,
    interactive: boolean,
  ): Promise<RunView> {
    if (!interactive || !out.isTTY) return new RunView(out, colors, undefined);
    const { default: ora } = await loadOra();
    return new RunView(
      out,
      colors,
      ora({ stream: out as NodeJS.WritableStream, discardStdin: false, isEnabled: true }),
    );
  }

  /** Stops the spinner while a prompt owns the terminal. */
  pause(): void {
    this.#spinner?.stop();
    this.#prompting = this.#spinner !== undefined;
  }

  resume(): void {
    this.#prompting = false;
    this.#updateSpinner();
  }

  /** A line of a step, indented as deep as the step is in calls (docs/format.md#sub-runbooks). */
  #stepText(step: string, text: string): void {
    this.#line(`${'  '.repeat(callDepth(step))}${text}`);
  }
  /** A prompt owns the terminal (between pause and resume). */
  #prompting = false;

  #line(text: string): void {
    if (this.#prompting) {
      // A prompt owns the terminal (an escalation fired while it waits): the line goes above it,
      // which stays where it was, as the prompt library remembers it. Save the cursor, scroll the
      // screen up one row, insert a row above the prompt's first, write there, restore the cursor.
      this.#out.write(`\x1b7\x1b[1S\x1b[1A\r\x1b[1L${text.replace(/\s*\n\s*/g, ' ')}\x1b8`);
      return;
    }
    const spinning = this.#spinner?.isSpinning ?? false;
    if (spinning) this.#spinner?.clear();
    this.#out.write(`${text}\n`);
    if (spinning) this.#spinner?.render();
  }

  #updateSpinner(): void {
    if (!this.#spinner) return;
    const names = [...this.#running.values()];
    if (names.length === 0) {
      this.#spinner.stop();
      return;
    }
    this.#spinner.text =
      names.length === 1 ? (names[0] ?? '') : `${names.length} steps: ${names.join(', ')}`;
    if (!this.#spinner.isSpinning) this.#spinner.start();
  }

  onEvent(raw: EngineEvent): void {
    const c = this.#c;
    // Everything in an event may come from outside (titles, commands, output): made inert first.
    const event = visibleDeep(wordEvent(raw));
    switch (event.type) {
      case 'run.start': {
        const { runbook } = event;
        this.#mode = event.mode;
        const meta = [runbook.severity, runbook.service].filter(Boolean).join(' · ');
        const mode = event.mode === 'execute' ? '' : c.yellow(` [${event.mode}]`);
        this.#line(
          `${c.bold(`▶ ${runbook.title}`)}  ${c.dim(runbook.id)}${meta ? `  ${meta}` : ''}${mode}`,
        );
        this.#line(
          c.dim(`  run ${event.run_id}${event.journal ? ` · journal ${event.journal}` : ''}`),
        );
        if (event.origin?.alert) this.#line(`  alert ${alertLine(event.origin.alert)}`);
        if (event.origin?.alert_vars && Object.keys(event.origin.alert_vars).length > 0)
          this.#line(
            c.dim(`  from the alert: ${alertVarsLine(event.origin.alert_vars, event.vars)}`),
          );
        break;
      }
      case 'run.resume':
        this.#mode = event.mode;
        this.#line(
          c.dim(
            `  resuming run ${event.run_id} (part ${event.part})${event.from_step ? ` from ${event.from_step}` : ''}`,
          ),
        );
        if (event.restored?.length)
          this.#line(c.dim(`  restored from the journal: ${event.restored.join(', ')}`));
        if (event.overridden) {
          const { changed_steps: changed, unavailable_outputs: unavailable } = event.overridden;
          if (changed.length > 0)
            this.#line(c.yellow(`  --force: completed steps changed since: ${changed.join(', ')}`));
          if (unavailable.length > 0)
            this.#line(
              c.yellow(`  --force: outputs not restored whole: ${unavailable.join(', ')}`),
            );
        }
        break;
      case 'section.start':
        this.#line('');
        this.#line(
          `${c.bold(SECTION_TITLES[event.section])}${event.note ? c.dim(` (${event.note})`) : ''}`,
        );
        break;
      case 'step.start':
        // A for_each: step's items are shown under it as they end.
        if (event.loop !== undefined && !event.item)
          this.#line(
            `  ${c.cyan('▸')} ${event.step}${event.name ? ` ${c.dim(`— ${event.name}`)}` : ''}${c.dim(`  ${event.loop}`)}`,
          );
        this.#running.set(
          event.item ? `${event.step}#${event.item.index}` : event.step,
          `${event.step}${event.item ? ` [${event.item.label}]` : ''}${event.command ? c.dim(`  ${firstLine(event.command)}`) : ''}`,
        );
        this.#updateSpinner();
        break;
      case 'step.retry':
        this.#stepText(
          event.step,
          c.dim(
            `  ↻ ${event.step}${event.item ? ` [${event.item.label}]` : ''}: attempt ${event.attempt}/${event.of} — ${event.reason}; retrying in ${formatDuration(event.delay_ms)}`,
          ),
        );
        break;
      case 'step.confirm':
        this.#stepText(
          event.step,
          c.dim(
            `  ${event.approved ? '✓' : '✗'} ${event.step}${event.item ? ` [${event.item.label}]` : ''}${event.items ? ` for ${event.items.length} item${event.items.length === 1 ? '' : 's'} (${event.items.join(', ')})` : ''} ${event.approved ? 'approved' : 'declined'} by ${approverOf(event)}`,
          ),
        );
        break;
      case 'step.decision':
        this.#stepText(
          event.step,
          c.dim(`  → ${event.by} chose ${event.choice} for ${event.step}`),
        );
        break;
      case 'step.answer':
        this.#stepText(
          event.step,
          c.dim(
            `  ✎ ${event.step}: ${event.name} = ${JSON.stringify(raw.type === 'step.answer' ? raw.value : event.value)} (${event.given_before ? 'given with the run' : 'answered'} by ${event.by})`,
          ),
        );
        break;
      case 'rollback.offer':
        this.#line(
          c.dim(
            `  → ${event.by} ${event.accepted ? 'had the rollback run' : 'chose not to run the rollback'} after stopping at ${event.step}`,
          ),
        );
        break;
      case 'escalation.due':
        this.#line(
          c.yellow.bold(
            `  ⏰ ${event.after} have passed: escalate to ${event.to}${event.via ? ` via ${event.via}` : ''}${event.contact ? ` (${event.contact})` : ''}`,
          ),
        );
        break;
      case 'escalation.triggered':
        this.#line(
          c.yellow.bold(
            `  ⏰ ${event.reason}: escalate to ${escalateToWords(event)} (rule ${event.rule})`,
          ),
        );
        break;
      case 'notify':
        this.#line(
          event.ok
            ? c.dim(`  ✉ team notified (${event.purpose})`)
            : c.yellow(
                `  ✉ could not notify the team (${event.purpose}): ${event.error ?? 'failed'}`,
              ),
        );
        break;
      case 'step.end':
        this.#running.delete(event.id);
        this.#updateSpinner();
        this.#stepLine(event, raw.type === 'step.end' ? raw.outputs : {});
        break;
      case 'call.start':
        this.#stepText(
          event.step,
          `  ${c.cyan('↳')} ${event.step}: ${c.bold(`call ${event.runbook.id}${event.section ? `#${event.section}` : ''}`)}${c.dim(` — ${event.runbook.title}`)}`,
        );
        break;
      case 'call.end':
        if (event.rolled_back)
          this.#stepText(
            `${event.step}/`,
            c.yellow(`  ↺ ${event.step}: the called runbook's rollback ran`),
          );
        break;
      case 'step.item':
        this.#running.delete(`${event.id}#${event.item.index}`);
        this.#updateSpinner();
        this.#stepLine(event, raw.type === 'step.item' ? raw.outputs : {}, '    ');
        break;
      case 'section.end':
      case 'step.process':
        break;
      case 'run.end':
        this.#spinner?.stop();
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** `rawOutputs`: the outputs as they came, for previews that escape them once, as JSON.
   * `indent`: an item of a for_each: step is indented under it. */
  #stepLine(step: StepRecord, rawOutputs: Record<string, unknown>, indent = ''): void {
    const c = this.#c;
    const say = (text: string): void =>
      text === '' ? this.#line(text) : this.#stepText(step.id, `${indent}${text}`);
    const duration =
      step.status === 'succeeded' || step.status === 'failed'
        ? c.dim(` ${formatDuration(step.duration_ms)}`)
        : '';
    const label = `${step.name ? `${step.id} ${c.dim(`— ${step.name}`)}` : step.id}${step.item ? ` [${step.item.label}]` : ''}`;
    const effect =
      step.effect === 'destructive'
        ? c.red(' [destructive]')
        : step.effect === 'manual'
          ? c.cyan(' [manual]')
          : '';
    if (step.restored) {
      say(c.dim(`  ↺ ${label}${effect}  taken as it was: it completed in an earlier part`));
      return;
    }
    const symbol = this.#symbol(step);
    const condition = step.condition === undefined ? '' : c.yellow(`  if ${step.condition}`);
    const loop = step.loop === undefined ? '' : c.dim(`  ${step.loop}`);
    say(`  ${symbol} ${label}${effect}${loop}${duration}${condition}`);
    const shown =
      step.status === 'planned' ||
      step.status === 'failed' ||
      step.status === 'succeeded' ||
      (step.status === 'skipped' && this.#mode === 'dry-run');
    if (step.command && shown) {
      for (const line of step.command.split('\n')) say(c.dim(`      $ ${line}`));
    }
    if (
      step.effect === 'manual' &&
      typeof step.outputs.instruction === 'string' &&
      (step.status !== 'succeeded' || this.#mode === 'dry-run')
    ) {
      for (const line of step.outputs.instruction.trim().split('\n')) say(`      ${line}`);
      if (typeof step.outputs.question === 'string')
        say(`      ${c.cyan('?')} asks for ${step.outputs.question}`);
    }
    if (step.reason && step.status !== 'succeeded') {
      const colour = step.status === 'failed' ? (step.finding ? c.yellow : c.red) : c.dim;
      say(colour(`      ${step.finding ? 'finding: ' : ''}${step.reason}`));
      if (step.hint !== undefined) say(`      ${c.cyan('hint:')} ${step.hint}`);
    }
    for (const warning of step.warnings ?? []) say(c.yellow(`      warning: ${warning}`));
    if (
      step.status === 'succeeded' &&
      (step.section === 'diagnosis' || step.section === 'detection')
    ) {
      const stdout = typeof step.outputs.stdout === 'string' ? step.outputs.stdout.trimEnd() : '';
      for (const line of boundedOutput(stdout)) say(`      │ ${line}`);
    }
    for (const name of step.captured ?? [])
      say(`      ${c.cyan('→')} ${visible(name)} = ${visible(preview(rawOutputs[name]))}`);
    if (step.status === 'failed' && !step.finding && step.stderr_tail) {
      for (const line of boundedOutput(step.stderr_tail)) say(c.dim(`      │ ${line}`));
    }
  }

  #symbol(step: StepRecord): string {
    const c = this.#c;
    switch (step.status) {
      case 'succeeded':
        return c.green('✓');
      case 'failed':
        return step.finding ? c.yellow('!') : c.red('✗');
      case 'skipped':
        return step.declined ? c.red('⊘') : c.dim('−');
      case 'planned':
        return c.cyan('○');
      case 'pending':
        return c.yellow('⏸');
      case 'interrupted':
        return c.red('■');
      default: {
        const unreachable: never = step.status;
        return unreachable;
      }
    }
  }

  /** A plan's list of the runbook's escalation rules, in words (a real run fires them). */
  escalationRules(rules: readonly string[]): void {
    if (rules.length === 0) return;
    this.#line('');
    this.#line(this.#c.bold('Escalation (in a real run)'));
    for (const rule of rules) this.#line(`  ${visible(rule)}`);
  }

  /** The closing lines: outcome, counts, and what to do next. */
  summary(raw: RunResult): void {
    const c = this.#c;
    const result = visibleDeep(wordResult(raw));
    const counts = new Map<string, number>();
    for (const step of result.steps)
      if (!step.finding) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
    const countText =
      [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'no other steps';
    const findings = result.findings.length
      ? ` · ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} (${result.findings.join(', ')})`
      : '';
    this.#line('');
    const duration = formatDuration(result.duration_ms);
    switch (result.status) {
      case 'succeeded':
        this.#line(
          `${c.green.bold(result.mode === 'execute' ? '✔ Succeeded' : '✔ Planned')} in ${duration} — ${countText}${findings}`,
        );
        break;
      case 'failed':
        this.#line(`${c.red.bold('✖ Failed')} in ${duration} — ${countText}${findings}`);
        // Steps stopped for want of a journal: say what ran and what did not, here and now.
        if (result.journal_error !== undefined && result.reason !== undefined)
          this.#line(c.red(`  ${result.reason}`));
        break;
      case 'declined':
        this.#line(`${c.yellow.bold('⊘ Stopped')}: ${result.reason ?? 'declined'}`);
        break;
      case 'pending':
        this.#line(
          `${c.yellow.bold('⏸ Waiting for a person')}: ${result.reason ?? 'a manual step is pending'}`,
        );
        break;
      case 'interrupted':
        this.#line(`${c.red.bold('■ Interrupted')} after ${duration}`);
        break;
      default: {
        const unreachable: never = result.status;
        return unreachable;
      }
    }
    const hint = resumeHint(result);
    if (hint) this.#line(c.dim(`  to continue: ${hint}`));
    if (result.journal) this.#line(c.dim(`  journal: ${result.journal}`));
  }
}

/** Lines of a step's output shown on the terminal: the first ones and the last ones. */
const HEAD_LINES = 10;
const TAIL_LINES = 5;
/** Characters of one line shown. */
const LINE_WIDTH = 300;

/**
 * A step's output as the terminal shows it: its first and last lines, each cut to a width, and
 * what was left out, counted. The journal's own bound is stated exactly (see journal.ts).
 */
export function boundedOutput(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  const cut = (line: string): string =>
    line.length > LINE_WIDTH
      ? `${line.slice(0, LINE_WIDTH)}… (${line.length - LINE_WIDTH} more characters)`
      : line;
  if (lines.length <= HEAD_LINES + TAIL_LINES + 1) return lines.map(cut);
  const hidden = lines.length - HEAD_LINES - TAIL_LINES;
  const kept =
    text.length > JOURNAL_STRING_CHARS
      ? `the journal keeps the first ${JOURNAL_STRING_CHARS} characters of it`
      : 'the journal has all of it';
  return [
    ...lines.slice(0, HEAD_LINES).map(cut),
    `… ${hidden} lines not shown (${kept})`,
    ...lines.slice(-TAIL_LINES).map(cut),
  ];
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
