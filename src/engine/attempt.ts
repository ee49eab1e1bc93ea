import type { ActionOutcome } from '../adapters/adapter.js';
import { sshPreflight } from '../adapters/support/preflight.js';
import { parseDuration } from '../common/duration.js';
import { ExpressionBoundError, ExpressionError, toCel } from '../schema/expressions.js';
import type { Section, Step } from '../schema/runbook.js';
import type { ExpressionContext } from './context.js';
import { now, type Emitter } from './emitter.js';
import type { StepRecord } from './events.js';
import { evaluateExpect, type ExpectResult } from './expect.js';
import { assumedOutputs } from './dry-run.js';
import type { StepOptions } from './options.js';
import type { ProcessPort } from './ports.js';
import type { PreparedAction } from './prepare.js';
import { linkSignal } from '../common/abort.js';
import { monotonicMs } from '../common/clock.js';

const DEFAULT_RETRY_DELAY_MS = 1000;
const STDERR_TAIL_LINES = 12;

/** What a record says of an expression stopped at its bound: the step could not be judged. */
export const STOPPED_AT_BOUND = {
  unavailable: true,
  hint: 'an expression that walks lists inside lists is bounded in time and memory; make it walk less (filter first), or capture in smaller steps',
} as const;

/** One try of a step's action, judged by its capture, expect and until. */
interface Attempt {
  outcome: ActionOutcome;
  outputs: Record<string, unknown>;
  done: boolean;
  reason: string | undefined;
  warnings: string[];
  /** The action ran to an answer (not a timeout, interruption or missing tool). */
  ran: boolean;
}

/** Runs a prepared step's action: tries it as its `retry:` allows, watches its processes, and
 * judges each try by `capture:`, `expect:` and `retry.until`. */
export class Attempts {
  readonly #options: StepOptions;
  readonly #context: ExpressionContext;
  readonly #emitter: Emitter;
  /** The verdict of each step's `expect:`, from its last try that ran. */
  readonly verdicts = new Map<string, ExpectResult>();

  constructor(options: StepOptions, context: ExpressionContext, emitter: Emitter) {
    this.#options = options;
    this.#context = context;
    this.#emitter = emitter;
  }

  /** `record`: the step's record so far; returns it completed with the last try's outcome. */
  async run(
    section: Section,
    step: Step,
    prepared: PreparedAction,
    record: StepRecord,
  ): Promise<StepRecord> {
    const { signal } = this.#options;
    const attempts = step.retry?.attempts ?? 1;
    const delay =
      step.retry?.delay === undefined ? DEFAULT_RETRY_DELAY_MS : parseDuration(step.retry.delay);
    const timeoutMs = step.timeout === undefined ? undefined : parseDuration(step.timeout);
    const started = monotonicMs();
    let last: Attempt | undefined;
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      tries = attempt;
      last = await this.#attempt(section, step, prepared, timeoutMs, attempt);
      if (last.done || last.outcome.interrupted || signal.aborted || attempt === attempts) break;
      this.#emitter.emit({
        type: 'step.retry',
        ts: now(),
        section,
        step: step.id,
        attempt,
        of: attempts,
        reason: last.reason ?? 'not yet',
        delay_ms: delay,
      });
      if (!this.#options.noDelays) await sleep(delay, signal);
    }
    const tried: StepRecord = {
      ...record,
      attempts: tries,
      duration_ms: Math.round(monotonicMs() - started),
    };
    return this.#record(section, step, last as Attempt, tried);
  }

  /** The step's record from its last try. */
  #record(section: Section, step: Step, attempt: Attempt, record: StepRecord): StepRecord {
    const { outcome } = attempt;
    const { redactor } = this.#options;
    const result: StepRecord = { ...record, exit_code: outcome.exitCode, outputs: attempt.outputs };
    if (attempt.warnings.length > 0) result.warnings = attempt.warnings;
    if (step.capture)
      result.captured = Object.keys(step.capture).filter((name) => name in attempt.outputs);
    if (outcome.survivors?.length) result.left_running = outcome.survivors;
    if (outcome.interrupted || this.#options.signal.aborted)
      return {
        ...result,
        status: 'interrupted',
        // The process runner's own account says how many processes were ended, and which not.
        reason:
          outcome.interrupted && outcome.error?.startsWith('interrupted; ')
            ? outcome.error
            : 'interrupted; its process tree was killed',
      };
    if (attempt.done) return result;
    const failed: StepRecord = { ...result, status: 'failed', reason: attempt.reason ?? 'failed' };
    if (outcome.unavailable) failed.unavailable = true;
    if (outcome.hint !== undefined) failed.hint = redactor.redact(outcome.hint);
    if (section === 'detection' && attempt.ran) failed.finding = true;
    // Redacted before it is cut, so that the cut cannot leave part of a multi-line secret; an
    // unavailable tool's reason is already its own message.
    const tail = tailLines(redactor.redact(outcome.stderr ?? ''), STDERR_TAIL_LINES);
    if (tail && !outcome.unavailable) failed.stderr_tail = tail;
    return failed;
  }

  async #attempt(
    section: Section,
    step: Step,
    prepared: PreparedAction,
    timeoutMs: number | undefined,
    attempt: number,
  ): Promise<Attempt> {
    const results = this.#options.ports.results;
    const outcome = results
      ? results({
          section,
          step,
          action: prepared.action,
          attempt,
          command: prepared.command,
          timeoutMs,
        })
      : await this.#act(section, step, prepared, timeoutMs);
    if ('asShown' in outcome && outcome.asShown === true) {
      // As its dry run shows it: its dry_run.outputs with its captures applied (dry-run.ts).
      const { outputs, warnings } = assumedOutputs(step, this.#context, outcome.outputs);
      return { outcome, outputs, done: outcome.ok, reason: outcome.error, warnings, ran: true };
    }
    const outputs = { ...outcome.outputs };
    if (outcome.unavailable) {
      // Nothing it returned is an answer: no expression reads its outputs, and its error stays
      // the tool's own message rather than becoming a "No such key" of an output it never gave.
      // A given result was not run here: this machine's tools say nothing of it.
      const hint =
        outcome.hint ?? (results ? undefined : await this.#preflightHint(prepared, step));
      return {
        outcome: hint === undefined ? outcome : { ...outcome, hint },
        outputs,
        done: false,
        reason: outcome.error ?? 'could not run',
        warnings: [],
        ran: false,
      };
    }
    return this.#judge(step, outcome, outputs);
  }

  /** Runs the action once. Every process of the step carries a token that starts with the run
   * id, and each start is journaled: should runbook itself be killed, the next run finds what it
   * left running. */
  async #act(
    section: Section,
    step: Step,
    prepared: PreparedAction,
    timeoutMs: number | undefined,
  ): Promise<ActionOutcome> {
    const options = this.#options;
    const linked = linkSignal([options.signal], timeoutMs);
    const signal = linked.signal;
    const env = { ...options.env, ...prepared.env };
    try {
      const base = { signal, timeoutMs, env, cwd: options.cwd };
      const watch: Parameters<ProcessPort['runner']>[2] = {
        tokenPrefix: options.runId,
        started: ({ pid, pgid, token }) =>
          this.#emitter.emit({
            type: 'step.process',
            ts: now(),
            section,
            step: step.id,
            pid,
            pgid,
            token,
          }),
      };
      return await prepared.action.run(prepared.input, {
        ...base,
        exec: options.ports.processes.runner(
          prepared.host && step.on ? { name: step.on, host: prepared.host } : undefined,
          base,
          watch,
        ),
        host: step.on,
      });
    } catch (error) {
      return {
        ok: false,
        exitCode: null,
        outputs: {},
        error: error instanceof Error ? error.message : String(error),
      };
    } finally {
      linked.dispose();
    }
  }

  /** Captures the step's named outputs, then judges the try by `expect:` and `retry.until`. */
  #judge(step: Step, outcome: ActionOutcome, outputs: Record<string, unknown>): Attempt {
    const ran = !outcome.timedOut && !outcome.interrupted && Object.keys(outputs).length > 0;
    const warnings: string[] = [];
    let done = outcome.ok;
    let reason = outcome.error;
    try {
      const { expressions } = this.#context;
      if (step.capture) {
        // In order, each seeing the ones before it: `b: outputs.a * 2` reads capture `a`
        // (docs/format.md#capture).
        let context = this.#context.withOutputs(outputs);
        for (const [name, expression] of Object.entries(step.capture)) {
          const value = evaluateCapture(name, expression, outputs, () =>
            expressions.evaluate(expression, context),
          );
          outputs[name] = value;
          // Added to the converted outputs (a fresh copy), not converted all again.
          const seen = context.outputs;
          if (seen instanceof Map) seen.set(name, toCel(value));
          else if (name in Object.prototype) context = this.#context.withOutputs(outputs);
          else (seen as Record<string, unknown>)[name] = toCel(value);
        }
      }
      if (step.expect !== undefined && ran) {
        const verdict = evaluateExpect(
          step.expect,
          outputs,
          this.#context.withOutputs(outputs),
          expressions,
        );
        this.verdicts.set(step.id, verdict);
        done = verdict.state !== 'CRITICAL';
        reason = done ? undefined : verdict.failures.join('; ');
        warnings.push(...verdict.warnings);
      }
      if (done && step.retry?.until !== undefined) {
        const until = expressions.evaluate(step.retry.until, this.#context.withOutputs(outputs));
        if (until !== true) {
          done = false;
          reason = `until: ${step.retry.until} is ${String(until)}`;
        }
      }
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // An action that failed keeps its own error: an expression over outputs it did not give
      // would only hide why.
      reason = done || outcome.error === undefined ? error.message : outcome.error;
      done = false;
      // Stopped at its bound, the expression gave no answer: the step could not be judged.
      if (error instanceof ExpressionBoundError)
        return {
          outcome: { ...outcome, ...STOPPED_AT_BOUND },
          outputs,
          done,
          reason,
          warnings,
          ran,
        };
    }
    return { outcome, outputs, done, reason, warnings, ran };
  }

  /** What the adapter's own check (the one `doctor` runs) says to do, for an action that could
   * not run. For a step on another host that is the ssh client's check: this machine's copy of
   * the tool is no guide to the other one. */
  async #preflightHint(prepared: PreparedAction, step: Step): Promise<string | undefined> {
    const { env, registry } = this.#options;
    const uses = step.run !== undefined ? 'shell.run' : (step.uses ?? '');
    const preflight = prepared.host
      ? sshPreflight(env)
      : (await registry.adapter(uses.slice(0, uses.indexOf('.'))))?.preflight({ env });
    const found = await preflight?.catch(() => undefined);
    return found && !found.ok ? found.hint : undefined;
  }
}

function tailLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A capture's value. When it cannot be computed from a metrics query that returned nothing
 * (`count: 0` beside empty `samples` or `series`, as prometheus.query and .range give), the
 * message says so first: the expression's own words (`index out of bounds`) would not.
 */
function evaluateCapture(
  name: string,
  expression: string,
  outputs: Record<string, unknown>,
  evaluate: () => unknown,
): unknown {
  try {
    return evaluate();
  } catch (error) {
    const empty =
      outputs.count === 0 &&
      ((Array.isArray(outputs.samples) && outputs.samples.length === 0) ||
        (Array.isArray(outputs.series) && outputs.series.length === 0));
    if (!empty || !(error instanceof ExpressionError) || error instanceof ExpressionBoundError)
      throw error;
    throw new ExpressionError(
      expression,
      `the query returned no data, so capture ${name} has no value (${error.message})`,
    );
  }
}
