import type { ActionOutcome, OkOf } from '../adapters/adapter.js';
import type { AdapterRegistry } from '../adapters/registry.js';
import { RunbookError } from '../common/errors.js';
import { formatDuration } from '../common/duration.js';
import { tryParseJson } from '../common/json.js';
import { monotonicMs } from '../common/clock.js';
import type { RunStatus, StepRecord } from '../engine/events.js';
import type { ActionResults, ProcessPort, Prompter } from '../engine/ports.js';
import { runRedactor } from '../engine/redact.js';
import { runRunbook } from '../engine/run.js';
import { resolveVars } from '../engine/vars.js';
import type { Alert } from '../schema/alert-payload.js';
import { questionText } from '../schema/answers.js';
import type { HostConfig } from '../schema/config.js';
import { stepsOf, type Runbook, type Section, type Step } from '../schema/runbook.js';
import type { CallableRunbook } from '../engine/options.js';
import { answerKind, yesNo, type Scenario, type StepResult } from '../schema/scenario.js';
import { compareExpectations } from './expect.js';

/** Who acknowledges and answers in a scenario: recorded as `acknowledged_by`. */
export const SCENARIO_USER = 'runbook test';

/** The time as a scenario's run sees it, unless the scenario says `at:` (docs/testing.md). */
export const SCENARIO_TIME = '2026-01-01T00:00:00.000Z';

/** Which sides of a step's `when:` a run took. */
export interface WhenSides {
  true: boolean;
  false: boolean;
}

export interface ScenarioResult {
  name: string;
  status: 'passed' | 'failed';
  /** Each expectation not met (expected vs actual), or why the scenario could not run. */
  failures: string[];
  duration_ms: number;
  /** The sides of each `when:` this scenario exercised, by step id. */
  when: Map<string, WhenSides>;
}

/** What running scenarios needs besides the runbook. */
export interface ScenarioRunOptions {
  registry: AdapterRegistry;
  hosts: Record<string, HostConfig>;
  cwd: string;
  /** How a command on an `on:` host is shown (the CLI's process port has it). */
  describeRemote: ProcessPort['describeRemote'];
  /** The exit code `runbook run` gives a run's status (src/cli/exit-codes.ts). */
  exitCode: (status: RunStatus) => number;
  /** The runbook directories, where the runbooks its `call:` steps name are found; the runbook's
   * own directory is always searched. */
  dirs?: readonly string[];
}

/** A runbook under test with the runbooks it calls (docs/format.md#sub-runbooks). */
export interface ScenarioCalls {
  calls: ReadonlyMap<string, CallableRunbook>;
  /** Its steps and the called ones, under their ids in a run. */
  steps: ReadonlyArray<{ section: Section; step: Step }>;
}

/** A prompt the scenario does not answer: the scenario fails with this message. */
class Unanswered extends Error {}

/**
 * Runs one scenario (docs/testing.md): the engine runs the runbook for real, but every action's
 * result is the scenario's, every prompt is answered from `answers:`, no process may start, and no
 * delay is waited. Never throws for a scenario that does not hold: it says why in `failures`.
 */
export async function runScenario(
  runbook: Runbook,
  file: string,
  scenario: Scenario,
  options: ScenarioRunOptions,
  called?: ScenarioCalls,
  /** The alert the run answers (the scenario's `alert:`, read by suite.ts). */
  alert?: Alert,
): Promise<ScenarioResult> {
  const started = monotonicMs();
  const done = (failures: string[], when = new Map<string, WhenSides>()): ScenarioResult => ({
    name: scenario.name,
    status: failures.length === 0 ? 'passed' : 'failed',
    failures,
    duration_ms: Math.round(monotonicMs() - started),
    when,
  });
  const subject =
    scenario.severity === undefined ? runbook : { ...runbook, severity: scenario.severity };
  const refused: string[] = [];
  let vars;
  try {
    vars = resolveVars(subject, {
      cliVars: Object.fromEntries(
        Object.entries(scenario.vars ?? {}).map(([name, value]) => [name, String(value)]),
      ),
      envName: scenario.env,
      // A scenario is the whole of its world: the environment of `runbook test` is not read.
      processEnv: {},
      alert,
    });
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    return done([`${error.message}${error.hint ? ` (${error.hint})` : ''}`]);
  }
  const ran: Array<{ id: string; section: string }> = [];
  const answers = scenario.answers ?? {};
  // interactive: false runs as --non-interactive: confirmations answered yes are approved as with
  // --approve, questions answered as with --answer; nobody is there for anything else.
  const interactive = scenario.interactive !== false;
  const byKind = (kind: ReturnType<typeof answerKind>) =>
    Object.entries(answers).filter(([id]) => {
      const step = steps.get(id);
      return step !== undefined && answerKind(step) === kind;
    });
  const steps = new Map(
    (called?.steps ?? stepsOf(runbook)).map(({ step }) => [step.id, step] as const),
  );
  let result;
  try {
    result = await runRunbook({
      runbook: subject,
      file,
      ...(called && called.calls.size > 0 ? { calls: called.calls } : {}),
      runId: `test-${runbook.id}`,
      vars,
      ...(alert ? { alert } : {}),
      redactor: runRedactor(vars, {}),
      registry: options.registry,
      hosts: options.hosts,
      env: {},
      cwd: options.cwd,
      signal: new AbortController().signal,
      plan: {
        mode: 'execute',
        ...(scenario.only ? { only: new Set(scenario.only) } : {}),
        ...(scenario.from === undefined ? {} : { from: scenario.from }),
      },
      noDelays: true,
      fixedTime: scenario.at === undefined ? SCENARIO_TIME : new Date(scenario.at).toISOString(),
      policy: { escalationTimers: false },
      ...(interactive
        ? {}
        : {
            approvals: {
              steps: new Set(
                byKind('confirm')
                  .filter(([, value]) => yesNo(value) === true)
                  .map(([id]) => id),
              ),
              all: false,
              allCoversDestructive: true,
            },
            answers: new Map(byKind('question').map(([id, value]) => [id, String(value)])),
          }),
      ports: {
        processes: refusingProcesses(options.describeRemote, refused),
        ...(interactive ? { prompter: scriptedPrompter(answers) } : {}),
        results: scriptedResults(scenario.steps ?? {}),
        events: {
          show: (event) => {
            if (event.type === 'step.start') ran.push({ id: event.step, section: event.section });
          },
        },
      },
    });
  } catch (error) {
    if (error instanceof Unanswered) return done([error.message]);
    throw error;
  }
  const records = new Map(result.steps.map((record) => [record.id, record]));
  const failures = refused.map(
    (what) => `a process was asked for (${what}): a scenario gives every step's result`,
  );
  const compared = compareExpectations(scenario.expect, {
    ran: ran.map((step) => step.id),
    findings: result.findings,
    status: result.status,
    reason: result.reason,
    exitCode: options.exitCode(result.status),
    rolledBack: ran.filter((step) => step.section === 'rollback').map((step) => step.id),
    records,
    escalated: (result.escalations ?? []).map((escalated) => escalated.rule),
  });
  failures.push(...compared);
  if (failures.length > 0) failures.push(...unlistedHints(runbook, scenario, result.steps));
  return done(failures, whenSides(runbook, result.steps));
}

/** The side each `when:` took, read from the steps' records: skipped by it (false), or past it
 * (true). A step the run did not reach, or whose `when:` could not be evaluated, took neither. */
export function whenSides(
  runbook: Runbook,
  records: readonly StepRecord[],
): Map<string, WhenSides> {
  const conditions = new Map<string, string>();
  for (const { step } of stepsOf(runbook))
    if (step.when !== undefined) conditions.set(step.id, step.when);
  const sides = new Map<string, WhenSides>();
  for (const record of records) {
    const when = conditions.get(record.id);
    if (when === undefined) continue;
    const side = sides.get(record.id) ?? { true: false, false: false };
    sides.set(record.id, side);
    if (record.asked?.kind === 'before-from') continue;
    if (record.status === 'interrupted' && record.attempts === 0) continue;
    if (record.status === 'skipped' && record.reason?.startsWith(`when: ${when} is `)) {
      side.false = true;
      continue;
    }
    // A when: that could not be evaluated fails its step before anything ran.
    if (record.status === 'failed' && record.attempts === 0 && record.reason?.startsWith('when: '))
      continue;
    side.true = true;
  }
  return sides;
}

/**
 * What to add, for each step the scenario does not list that failed, or whose outputs a failed
 * expression of another step read: such a step ran as its dry run shows it, which may not be
 * what the steps after it need.
 */
function unlistedHints(
  runbook: Runbook,
  scenario: Scenario,
  records: readonly StepRecord[],
): string[] {
  const listed = new Set(Object.keys(scenario.steps ?? {}));
  const unlisted = new Set(
    stepsOf(runbook)
      .filter(({ step }) => step.manual === undefined && !listed.has(step.id))
      .map(({ step }) => step.id),
  );
  const ranUnlisted = records.filter((record) => unlisted.has(record.id) && record.attempts > 0);
  const hints: string[] = [];
  for (const record of ranUnlisted) {
    const read = records.some(
      (other) =>
        other.status === 'failed' &&
        other.reason !== undefined &&
        new RegExp(
          `steps\\.(?:${escapeRegex(record.id)}|${escapeRegex(record.id.replace(/-/g, '_'))})\\b`,
        ).test(other.reason),
    );
    if (record.status === 'failed' || read)
      hints.push(
        `${record.id} is not under steps:, so it ran as its dry run shows it (${dryRunShown(runbook, record.id)}); add what it returns: steps: { ${record.id}: { outputs: { … } } }`,
      );
  }
  return hints;
}

function dryRunShown(runbook: Runbook, id: string): string {
  const step = stepsOf(runbook).find((entry) => entry.step.id === id)?.step;
  const outputs = step?.dry_run?.outputs;
  return outputs && Object.keys(outputs).length > 0
    ? `outputs ${Object.keys(outputs).join(', ')}`
    : 'no outputs';
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The results a scenario gives its steps, one per try (the last repeats); a step it does not
 * list runs as its dry run shows it: its `dry_run.outputs` (or none) with its `capture:` applied
 * as in a dry run (src/engine/dry-run.ts), not judged by its `expect:` or `retry.until`, exit
 * code 0. */
function scriptedResults(steps: NonNullable<Scenario['steps']>): ActionResults {
  return ({ step, action, attempt, timeoutMs }) => {
    const given = Object.hasOwn(steps, step.id) ? steps[step.id] : undefined;
    if (given === undefined)
      return { ok: true, exitCode: 0, outputs: { ...step.dry_run?.outputs }, asShown: true };
    const results = Array.isArray(given) ? given : [given];
    const result = results[Math.min(attempt, results.length) - 1] ?? {};
    return outcomeOf(result, timeoutMs, action.okOf);
  };
}

/** A scenario's step result as the action would have returned it. */
export function outcomeOf(
  result: StepResult,
  timeoutMs: number | undefined,
  okOf?: OkOf,
): ActionOutcome {
  if (result.timeout)
    return {
      ok: false,
      exitCode: null,
      outputs: {},
      timedOut: true,
      error: `timed out after ${timeoutMs === undefined ? 'its timeout' : formatDuration(timeoutMs)}`,
    };
  if (result.unavailable !== undefined)
    return { ok: false, exitCode: null, outputs: {}, unavailable: true, error: result.unavailable };
  const exitCode = result.exit_code ?? 0;
  const outputs: Record<string, unknown> = {};
  // A process's result: its streams and exit code are outputs, as the adapters give them.
  if (
    result.stdout !== undefined ||
    result.stderr !== undefined ||
    result.exit_code !== undefined
  ) {
    const stdout = (result.stdout ?? '').replace(/\r?\n$/, '');
    outputs.stdout = stdout;
    outputs.stderr = (result.stderr ?? '').replace(/\r?\n$/, '');
    outputs.exit_code = exitCode;
    const json = tryParseJson(stdout);
    if (json !== undefined) outputs.json = json;
  }
  Object.assign(outputs, result.outputs);
  // What the outputs say of success, as the action itself decides it (an HTTP status of 400 or
  // more), unless the result says it outright.
  const said =
    result.ok === undefined && result.exit_code === undefined && result.error === undefined
      ? okOf?.(outputs)
      : undefined;
  const ok = result.ok ?? said?.ok ?? (exitCode === 0 && result.error === undefined);
  const error =
    result.error ??
    (said && !said.ok ? said.error : ok ? undefined : `exited with code ${exitCode}`);
  return {
    ok,
    exitCode,
    outputs,
    ...(result.stdout === undefined ? {} : { stdout: result.stdout }),
    ...(result.stderr === undefined ? {} : { stderr: result.stderr }),
    ...(error === undefined ? {} : { error }),
  };
}

/** A process port that starts nothing: a scenario gives every result, so a process asked for is
 * a bug, recorded in `refused` and failed. */
function refusingProcesses(
  describeRemote: ProcessPort['describeRemote'],
  refused: string[],
): ProcessPort {
  return {
    runner: () => async (request) => {
      refused.push([request.file, ...request.args].join(' '));
      return {
        exitCode: null,
        signal: undefined,
        stdout: '',
        stderr: '',
        durationMs: 0,
        timedOut: false,
        interrupted: false,
        error: 'runbook test starts no process',
        notStarted: true,
      };
    },
    describeRemote,
    findBinary: () => Promise.resolve(undefined),
  };
}

/** Answers prompts from the scenario's `answers:`; a prompt it does not answer stops the
 * scenario, naming the step and what to add. */
function scriptedPrompter(answers: NonNullable<Scenario['answers']>): Prompter {
  const given = (step: string) => (Object.hasOwn(answers, step) ? answers[step] : undefined);
  return {
    confirm: ({ step, effect }) => {
      const answer = given(step);
      if (answer === undefined)
        throw new Unanswered(
          `${step} asks for confirmation (${effect === 'destructive' ? 'destructive' : 'confirm: true'}); add answers: { ${step}: yes|no }`,
        );
      return Promise.resolve(yesNo(answer) === true);
    },
    acknowledge: ({ step }) => {
      const answer = given(step);
      if (answer === undefined)
        throw new Unanswered(
          `${step} is a manual step that needs acknowledging; add answers: { ${step}: ack|no }`,
        );
      return Promise.resolve(yesNo(answer) === true ? { by: SCENARIO_USER } : false);
    },
    ask: ({ step, question }) => {
      const answer = given(step);
      if (answer === undefined)
        throw new Unanswered(
          `${step} asks for ${questionText(question)}; add answers: { ${step}: <answer> }`,
        );
      return Promise.resolve({ value: String(answer), by: SCENARIO_USER });
    },
  };
}
