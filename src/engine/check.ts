import type { AdapterRegistry } from '../adapters/registry.js';
import type { HostConfig } from '../schema/config.js';
import { SECTIONS, type Runbook, type Section, type Step } from '../schema/runbook.js';
import type { StepRecord } from './events.js';
import type { CheckState, ExpectResult } from './expect.js';
import type { Redactor } from './redact.js';
import type { ProcessPort } from './ports.js';
import { stepEffect } from './prepare.js';
import { stepRunner } from './run.js';
import type { ResolvedVars } from './vars.js';
import { timeoutSignal } from '../common/abort.js';
import { monotonicMs } from '../common/clock.js';

/** A Nagios plugin state: the expectation's grade, or UNKNOWN when the check could not run. */
export type NagiosState = CheckState | 'UNKNOWN';

/** Worst first, as Nagios ranks them when several checks are folded into one state. */
const SEVERITY: Record<NagiosState, number> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 };

/** A numeric value a check reported: graded by `warn`/`crit`, or captured. */
export interface CheckValue {
  value: number;
  warn?: number;
  crit?: number;
}

/** The outcome of one check (`check --format json`, a contract: docs/commands.md). */
export interface CheckResult {
  runbook: string;
  id: string;
  service: string | undefined;
  severity: string | undefined;
  state: NagiosState;
  summary: string;
  values: Record<string, CheckValue>;
  duration_ms: number;
  /** One item of a for_each: check (docs/format.md#loops-and-targets): its label. */
  item?: string;
}

/** One runbook ready to be checked: what `run` would give the engine. */
export interface CheckTarget {
  runbook: Runbook;
  file: string;
  vars: ResolvedVars;
  redactor: Redactor;
  /** The state of a failed expectation, by the runbook's severity (schema/severity.ts
   * failedExpectationState); CRITICAL when not given. A value past its `crit:` level is CRITICAL
   * regardless. */
  failedExpectation?: CheckState;
}

export interface CheckOptions {
  targets: readonly CheckTarget[];
  registry: AdapterRegistry;
  hosts: Record<string, HostConfig>;
  /** The inventory's groups (for_each: { group }). */
  groups?: Readonly<Record<string, readonly string[]>>;
  env: Record<string, string | undefined>;
  cwd: string;
  runId: string;
  /** Bounds the whole command and so every check in it. */
  timeoutMs: number;
  concurrency: number;
  processes: ProcessPort;
}

/** The steps `runbook check` runs: every detection check, and steps elsewhere marked `check: true`. */
export function checkStepsOf(runbook: Runbook): Array<{ section: Section; step: Step }> {
  const steps: Array<{ section: Section; step: Step }> = [];
  for (const section of SECTIONS) {
    const list = (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
    for (const step of list)
      if (section === 'detection' || step.check === true) steps.push({ section, step });
  }
  return steps;
}

/** Runs the checks of every target, at most `concurrency` at a time, never past `timeoutMs`.
 * Returns results in the order of the runbooks and their steps; never prints, never prompts. */
export async function runChecks(options: CheckOptions): Promise<CheckResult[]> {
  const deadline = timeoutSignal(options.timeoutMs);
  const jobs = options.targets.flatMap((target) => {
    const run = stepRunner({
      ...target,
      registry: options.registry,
      runId: options.runId,
      hosts: options.hosts,
      ...(options.groups ? { groups: options.groups } : {}),
      env: options.env,
      cwd: options.cwd,
      signal: deadline,
      ports: { processes: options.processes },
    });
    return checkStepsOf(target.runbook).map(
      ({ section, step }) =>
        () =>
          checkOne(target, section, step, options, run, deadline),
    );
  });
  const results: CheckResult[][] = new Array<CheckResult[]>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index];
      if (job) {
        const done = await job();
        results[index] = Array.isArray(done) ? done : [done];
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, jobs.length)) }, worker),
  );
  return results.flat();
}

/** The worst state of several: CRITICAL, then UNKNOWN, then WARNING, then OK. */
export function worstState(states: readonly NagiosState[]): NagiosState {
  let worst: NagiosState = 'OK';
  for (const state of states) if (SEVERITY[state] > SEVERITY[worst]) worst = state;
  return worst;
}

/** An UNKNOWN result for a runbook that could not be checked at all (not found, invalid, bad vars). */
export function unknownResult(runbook: string, summary: string, info?: Runbook): CheckResult {
  return {
    runbook,
    id: '-',
    service: info?.service,
    severity: severityOf(info),
    state: 'UNKNOWN',
    summary,
    values: {},
    duration_ms: 0,
  };
}

async function checkOne(
  target: CheckTarget,
  section: Section,
  step: Step,
  options: CheckOptions,
  run: ReturnType<typeof stepRunner>,
  deadline: AbortSignal,
): Promise<CheckResult | CheckResult[]> {
  const { runbook } = target;
  const result = (state: NagiosState, summary: string, durationMs = 0): CheckResult => ({
    runbook: runbook.id,
    id: step.id,
    service: runbook.service,
    severity: severityOf(runbook),
    state,
    summary,
    values: {},
    duration_ms: durationMs,
  });
  const uses = step.run !== undefined ? 'shell.run' : step.uses;
  const action = uses === undefined ? undefined : await options.registry.action(uses);
  const effect = stepEffect(step, action?.effect);
  if (step.steps !== undefined)
    return result('UNKNOWN', 'refused: check runs single steps, not a for_each: group of steps');
  if (effect === 'manual')
    return result('UNKNOWN', 'refused: a manual step needs a person; check never prompts');
  if (step.confirm === true)
    return result('UNKNOWN', 'refused: confirm: true asks a person first; check never prompts');
  if (effect !== 'read')
    return result(
      'UNKNOWN',
      `refused: ${effect} step (${section}) — check runs only read steps; mark it effect: read if it changes nothing`,
    );
  if (deadline.aborted) return result('UNKNOWN', 'not started: the --timeout was spent');

  const started = monotonicMs();
  // The engine stops a step when the deadline aborts it; this bounds an action that would not stop.
  const late = new Promise<undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), options.timeoutMs + 1000);
    timer.unref();
  });
  const outcome = await Promise.race([run(section, step), late]);
  const duration = Math.round(monotonicMs() - started);
  if (!outcome) return result('UNKNOWN', 'did not finish within the command --timeout', duration);
  const { record, verdict } = outcome;
  // A for_each: check is graded per item, each a result of its own.
  if (record.items && record.items.length > 0)
    return record.items.map((item, index) => ({
      ...grade(target, item, outcome.items?.[index], result, item.duration_ms),
      item: item.item?.label ?? String(index),
    }));
  return grade(target, record, verdict, result, duration);
}

/** A check's result from its step's record and the verdict of its expect:. */
function grade(
  target: CheckTarget,
  record: StepRecord,
  verdict: ExpectResult | undefined,
  result: (state: NagiosState, summary: string, durationMs?: number) => CheckResult,
  duration: number,
): CheckResult {
  const { runbook } = target;
  // Failed by its expect: (the reason is the verdict's), not by the action, graded by severity.
  const byExpectation =
    record.status === 'failed' &&
    record.attempts > 0 &&
    record.unavailable !== true &&
    verdict?.state === 'CRITICAL' &&
    !verdict.pastCritical &&
    record.reason === verdict.failures.join('; ');
  const state = byExpectation
    ? (target.failedExpectation ?? 'CRITICAL')
    : stateOf(record, verdict?.state);
  const graded = result(state, '', duration);
  for (const [name, value] of Object.entries(verdict?.values ?? {})) graded.values[name] = value;
  for (const name of record.captured ?? []) {
    const value = record.outputs[name];
    if (typeof value === 'number' && Number.isFinite(value) && !(name in graded.values))
      graded.values[name] = { value };
  }
  graded.summary =
    byExpectation && state === 'WARNING'
      ? `${record.reason ?? 'failed'} (WARNING: the runbook's severity is ${severityOf(runbook) ?? ''})`
      : summaryOf(record, graded.state, verdict?.warnings ?? [], graded.values);
  return graded;
}

function stateOf(record: StepRecord, graded: CheckState | undefined): NagiosState {
  switch (record.status) {
    case 'succeeded':
      return graded ?? 'OK';
    case 'skipped':
      return record.declined ? 'UNKNOWN' : 'OK';
    case 'failed':
      // Never started (inputs would not render, unknown host), or its program is missing or its
      // daemon down: the check could not run, which is what UNKNOWN means.
      if (record.attempts === 0 || record.unavailable === true) return 'UNKNOWN';
      return 'CRITICAL';
    case 'interrupted':
    case 'pending':
    case 'planned':
      return 'UNKNOWN';
    default: {
      const unreachable: never = record.status;
      return unreachable;
    }
  }
}

function summaryOf(
  record: StepRecord,
  state: NagiosState,
  warnings: readonly string[],
  values: Record<string, CheckValue>,
): string {
  if (record.status === 'interrupted') return 'stopped: the command --timeout was spent';
  if (record.status === 'skipped') return record.reason ?? 'skipped';
  if (state === 'WARNING') return warnings.join('; ');
  if (state !== 'OK')
    return record.hint === undefined
      ? (record.reason ?? 'failed')
      : `${record.reason ?? 'failed'} (${record.hint})`;
  const shown = Object.entries(values).map(([name, { value }]) => `${name} ${value}`);
  return shown.length > 0 ? shown.join(', ') : 'ok';
}

function severityOf(runbook: Runbook | undefined): string | undefined {
  const severity = runbook?.severity;
  return typeof severity === 'string' ? severity : severity?.join('/');
}
