import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { newRunId } from '../state/journal.js';
import { LockedError, type HeldLock } from '../state/lock.js';
import type { JournalSink, StateStore } from '../state/store.js';
import { killRunningNow, localExec } from '../exec/local.js';
import { RunningRecord } from '../exec/leftovers.js';
import type { AdapterRegistry } from '../adapters/registry.js';
import { runRedactor, type Redactor } from '../engine/redact.js';
import { runRunbook } from '../engine/run.js';
import {
  missingValuesError,
  parseVarFlags,
  resolveVars,
  type ResolvedVars,
} from '../engine/vars.js';
import { missingVarsWarning } from '../report/plan-warning.js';
import type { EngineEvent, RunMode, RunOrigin, RunResult } from '../engine/events.js';
import type { Approvals, Approver, Notify, Plan } from '../engine/options.js';
import { outputsRead } from '../engine/context.js';
import { readStat } from '../exec/process-tree.js';
import { loadCrypto } from './crypto.js';
import { StateIoError } from '../common/state-files.js';
import { StateError, UnavailableError, UsageError } from '../common/errors.js';
import { FileStateStore } from '../state/file-store.js';
import { processStart } from '../exec/process-tree.js';
import { escalationLine, teamMessage, wordEvent, wordResult } from '../report/engine-words.js';
import { runJunit } from '../report/junit.js';
import { findRunbook } from '../schema/load.js';
import { ruleWords } from '../schema/escalation.js';
import { SECTIONS, stepsOf, type Runbook, type Section, type Step } from '../schema/runbook.js';
import { expandSteps } from '../schema/calls.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import type { SeverityPolicy } from '../schema/config.js';
import { exitCodeForRun, EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { handleLeftovers } from './leftovers.js';
import { terminalPrompter } from './prompter.js';
import { RunView } from '../report/run-view.js';
import { processes } from './processes.js';
import { openStateStore, setup, type CliSetup } from './setup.js';
import { onReaderGone } from './reader-gone.js';
import {
  answerFlag,
  nonInteractiveFlag,
  runFormatFlag,
  yesFlag,
  arg,
  defineCommand,
  dirFlag,
  envFlag,
  inventoryFlag,
  flag,
  varFlag,
  type Values,
} from './define.js';
import { checkAnswers, parseAnswerFlags } from './answers.js';
import { currentUser } from '../engine/user.js';
import { timeoutSignal } from '../common/abort.js';
import { runJson } from '../report/json.js';
import { asRunSteps, withCalls } from './calls.js';
import type { CallableRunbook } from '../engine/options.js';
import { loader } from '../common/lazy.js';

/** The guidance of a documentation-only runbook: only such a run needs it. */
const loadGuidance = loader('the guidance view', () => import('../report/guidance.js'));
import { alertFlag, readAlert } from './alert-input.js';
import { alertOrigin, answeringRunbook, warnNoAlert } from './run-alert.js';
import type { Alert } from '../schema/alert-payload.js';

const flags = {
  alert: alertFlag,
  dir: dirFlag,
  dryRun: flag.boolean('--dry-run', 'execute nothing; print every step and its exact command'),
  readOnly: flag.boolean('--read-only', 'run read steps for real; plan the rest'),
  yes: yesFlag,
  approve: flag.list('--approve <step>', 'approve one step that needs confirmation (repeatable)'),
  answer: answerFlag,
  nonInteractive: nonInteractiveFlag,
  var: varFlag,
  env: envFlag,
  only: flag.string('--only <sections>', 'run only these sections (comma-separated)'),
  from: flag.string('--from <step>', 'skip every step before this one'),
  inventory: inventoryFlag,
  requireVars: flag.boolean(
    '--require-vars',
    'with --dry-run: refuse, as a real run does, when a required variable has no value',
  ),
  force: flag.boolean('--force', 'run even if another run of this runbook holds its lock'),
  incident: flag.string(
    '--incident <id>',
    'the incident this run belongs to (INC-123): report --incident gathers its runs',
  ),
  killOrphans: flag.boolean(
    '--kill-orphans',
    'first end the processes that earlier runs left running when they were killed',
  ),
  format: runFormatFlag,
};

type RunOptions = Values<typeof flags>;

export const run = defineCommand({
  name: 'run',
  summary: 'Run a runbook: detection, diagnosis, resolution, verification (rollback on failure)',
  args: {
    id: arg.optional('id', 'runbook id (with --alert, left out: the runbook that answers it)'),
  },
  flags,
  handler: ({ id }, options, io) => runCommand(id, options, io),
});

async function runCommand(given: string | undefined, options: RunOptions, io: Io): Promise<number> {
  // The alert first: `--alert -` reads standard input before anything else could.
  const alert = options.alert === undefined ? undefined : await readAlert(options.alert, io);
  if (given === undefined && !alert)
    throw new UsageError(
      "missing required argument 'id'",
      'runbook run <id>, or runbook run --alert FILE to run the runbook that answers an alert',
    );
  if (options.dryRun && options.readOnly)
    throw new UsageError(
      '--dry-run and --read-only cannot be combined',
      'use --dry-run to run nothing, or --read-only to run only read steps',
    );
  if (options.dryRun && options.killOrphans)
    throw new UsageError(
      '--dry-run and --kill-orphans cannot be combined: a dry run ends no process',
      `run \`runbook run ${given ?? `--alert ${options.alert ?? 'FILE'}`} --kill-orphans\` without --dry-run`,
    );
  const incident = parseIncident(options.incident);
  const cliVars = parseVarFlags(options.var);
  const answers = parseAnswerFlags(options.answer);
  const cli = await setup(io, { dir: options.dir, inventory: options.inventory });
  // The team database's client loads and connects while the runbook is read and checked.
  const store = openStateStore(io, cli.config);
  store.then((opened) => opened.prepare?.()).catch(() => undefined);
  const id = given ?? (await answeringRunbook(cli, alert, options.alert, io));
  const { file, runbook } = await findRunbook(id, cli.dirs, cli.load);
  if (!runbook) return EXIT.usage;

  const only = parseOnly(options.only);
  const allSteps = stepsOf(runbook);
  const called = await withCalls(cli, file, runbook);
  // A called step is approved and answered by its id in the run (`<call>/<step>`).
  const runSteps = asRunSteps(called.steps);
  if (options.from !== undefined && !allSteps.some(({ step }) => step.id === options.from)) {
    throw new UsageError(
      `--from ${options.from}: runbook ${runbook.id} has no such step`,
      `its steps: ${allSteps.map(({ step }) => step.id).join(', ')}`,
    );
  }
  for (const step of options.approve) {
    // A step of a for_each: group is approved by its own id, for every item.
    const known = (s: { step: { id: string; steps?: Array<{ id: string }> | undefined } }) =>
      s.step.id === step || (s.step.steps ?? []).some((inner) => inner.id === step);
    if (!runSteps.some(known))
      throw new UsageError(`--approve ${step}: runbook ${runbook.id} has no such step`);
  }
  await checkAnswers(runbook, answers, runSteps);
  // A plan shows a required value it lacks as a placeholder, unless told to refuse as a run does.
  const vars = resolveVars(runbook, {
    cliVars,
    envName: options.env,
    processEnv: io.env,
    placeholders: options.dryRun === true,
    alert,
  });
  if (!alert && options.format === 'text') warnNoAlert(io, runbook);
  if (vars.missingVars?.length) {
    if (options.requireVars || !options.dryRun) throw missingValuesError(runbook, vars);
    if (options.format === 'text') io.stderr.write(`warning: ${missingVarsWarning(vars)}\n`);
  }
  if (options.from !== undefined) warnFrom(io, runbook, options.from);
  const mode: RunMode = options.dryRun ? 'dry-run' : options.readOnly ? 'read-only' : 'execute';
  // A documentation-only runbook's run is its guidance, printed first (docs/format.md).
  if (allSteps.length === 0 && options.format === 'text')
    io.stdout.write((await loadGuidance()).guidanceText(runbook, colorsFor(io.stdout, io.env)));
  const hashes = await runbookHashes(io.cwd, file, runbook, {
    steps: runSteps,
    files: [...called.calls.values()].map((one) => one.file),
  });
  return executeRun(io, {
    cli,
    file,
    runbook,
    calls: called.calls,
    runId: newRunId(),
    vars,
    plan: {
      mode,
      ...(only ? { only } : {}),
      ...(options.from === undefined ? {} : { from: options.from }),
    },
    approvals: { steps: new Set(options.approve), all: options.yes ?? false },
    format: options.format,
    nonInteractive: options.nonInteractive ?? false,
    force: options.force ?? false,
    killOrphans: options.killOrphans ?? false,
    store,
    answers,
    ...(alert ? { alert } : {}),
    ...(incident === undefined ? {} : { incident }),
    origin: {
      runbook_sha256: hashes.file,
      step_hashes: hashes.steps,
      dirs: cli.dirs,
      cwd: io.cwd,
      vars: Object.fromEntries(Object.entries(cliVars).filter(([name]) => !vars.secrets.has(name))),
      // Those given on the command line or read from their environment variable: read again from
      // it on resume (a default or a runbook environment's value is in the file).
      secret_vars: [...vars.secrets].filter(
        (name) => vars.sources[name] === 'var' || vars.sources[name] === 'env',
      ),
      ...(options.env === undefined ? {} : { environment: options.env }),
      ...(only ? { only: [...only] } : {}),
      approved: options.approve,
      approve_all: options.yes ?? false,
      ...(alert ? alertOrigin(runbook, alert, vars) : {}),
    },
  });
}

/** `--from` starts a new run: the steps it skips give no outputs. Says which of them later steps
 * read, in one line. */
function warnFrom(io: Io, runbook: Runbook, from: string): void {
  const all = stepsOf(runbook).map(({ step }) => step);
  const index = all.findIndex((step) => step.id === from);
  const skipped = all.slice(0, index).map((step) => step.id);
  const read = outputsRead(all.slice(index), skipped);
  if (read.size === 0) return;
  io.stderr.write(
    `warning: --from ${from} starts a new run: the outputs of the steps it skips are missing, and later steps read those of ${[...read.keys()].join(', ')} (to continue a stopped run with its outputs: runbook resume <run-id>)\n`,
  );
}

/** A run to start or continue: the runbook, its values, its plan, and how the CLI shows it. */
export interface RunRequest {
  cli: CliSetup;
  file: string;
  runbook: Runbook;
  /** The runbooks its `call:` steps reach, by id (src/cli/calls.ts). */
  calls?: ReadonlyMap<string, CallableRunbook>;
  runId: string;
  vars: ResolvedVars;
  plan: Plan;
  /** Approvals given (the severity policy decides what `all` covers). */
  approvals: Omit<Approvals, 'allCoversDestructive'>;
  format: 'text' | 'json' | 'junit';
  nonInteractive: boolean;
  /** Take the lock from another run. */
  force: boolean;
  killOrphans: boolean;
  /** Recorded in run.start for `runbook resume`; absent when continuing. */
  origin?: RunOrigin;
  /** The directory the steps run in; the command's own when absent. */
  cwd?: string;
  /** Answers to the questions of manual steps, by step id (`--answer step=value`). */
  answers?: ReadonlyMap<string, string>;
  /** The alert the run answers (`--alert`). */
  alert?: Alert;
  /** The incident it belongs to (`--incident`; a resumed run keeps its run.start's). */
  incident?: string;
  /** The state store, opened early; opened here when absent. */
  store?: ReturnType<typeof openStateStore>;
}

/** Runs (or continues, with `plan.resume`) a runbook for `run` and `resume`: the lock, the
 * journal, signals, the view, the engine, and the result in the format asked for. */
export async function executeRun(io: Io, request: RunRequest): Promise<number> {
  const { cli, runbook, vars } = request;
  const redactor = runRedactor(vars, io.env);

  // stdin is looked at last: only a terminal session needs it made.
  const interactive =
    !request.nonInteractive &&
    request.format === 'text' &&
    io.stdout.isTTY === true &&
    io.stdin.isTTY === true;
  const colors = colorsFor(io.stdout, io.env);
  const view =
    request.format === 'text' ? await RunView.create(io.stdout, colors, interactive) : undefined;
  const policies = runbookSeverityLevels(
    runbook,
    cli.config.schemes,
    cli.config.defaultScheme,
  ).flatMap((level) => {
    const policies = cli.config.policies ?? {};
    const policy = Object.hasOwn(policies, level) ? policies[level] : undefined;
    return policy ? [policy] : [];
  });
  const store = await (request.store ?? openStateStore(io, cli.config));
  try {
    checkApprovalGroups(stepsOf(runbook), cli.config.approvers);
    return await runWith(io, request, store, { redactor, interactive, view, policies });
  } finally {
    await store.close();
  }
}

/** executeRun, once its store is open (closed by the caller). */
async function runWith(
  io: Io,
  request: RunRequest,
  store: Awaited<ReturnType<typeof openStateStore>>,
  shown: {
    redactor: Redactor;
    interactive: boolean;
    view: RunView | undefined;
    policies: SeverityPolicy[];
  },
): Promise<number> {
  const { cli, file, runbook, runId, vars, plan } = request;
  const { redactor, interactive, view, policies } = shown;
  const dryRun = plan.mode === 'dry-run';
  // A continued run told the team when it started.
  const notifyOnStart = plan.resume
    ? undefined
    : policies.find((policy) => policy.notify_on_start)?.notify_on_start;
  const { stateDir } = store;
  await handleLeftovers(io, stateDir, runbook.id, request.killOrphans);
  // A dry run changes nothing, so it needs no lock; a real one runs alone per runbook and host.
  const lock = dryRun
    ? undefined
    : await lockRun(
        io,
        store,
        [runbook.id, ...hostLocks(runbook, request.calls)],
        {
          run_id: runId,
          pid: process.pid,
          user: currentUser(io.env),
          host: hostname(),
          started_at: new Date().toISOString(),
          runbook: runbook.id,
        },
        request.force,
      );
  for (const { name, holder, alive } of lock?.takenOver ?? []) {
    io.stderr.write(
      `warning: took over the lock on ${name} from run ${holder.run_id} (pid ${holder.pid}, ${holder.user}, since ${holder.started_at}): ${alive ? 'that process still runs (--force)' : 'that process is gone'}\n`,
    );
  }
  const releaseOnExit = (): void => void lock?.release();
  process.on('exit', releaseOnExit);
  // A plan does nothing, so it goes on without a journal when none can be written.
  let journal: JournalSink | undefined;
  try {
    journal = await (plan.resume ? store.appendJournal(runId) : store.createJournal(runId));
  } catch (error) {
    if (!(dryRun && error instanceof StateIoError)) {
      await lock?.release();
      throw error;
    }
    io.stderr.write(`warning: ${error.message}; the plan is not recorded\n`);
  }
  // Says, until the run ends, where its steps' processes are should it be killed outright.
  let running: RunningRecord | undefined;
  if (journal && !dryRun) {
    try {
      running = RunningRecord.create(stateDir, runId, runbook.id);
    } catch (error) {
      if (!(error instanceof StateIoError)) throw error;
      io.stderr.write(
        `warning: ${error.message}; should this run be killed, the next one cannot name what it left running\n`,
      );
    }
  }

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      io.stderr.write(`\nrunbook: ${signal} again — exiting now\n`);
      killRunningNow();
      process.exit(EXIT.interrupted);
    }
    io.stderr.write(`\nrunbook: ${signal} received — stopping the running step (again to force)\n`);
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const prompter =
    interactive && view
      ? terminalPrompter(io, view, () => controller.abort(new Error('SIGINT')), vars.values)
      : undefined;
  // The journal keeps events in words, as people read them.
  const journaled = journal && {
    path: journal.location,
    write: (event: EngineEvent) => journal.write(wordEvent(event)),
  };
  const pidStart = readStat(process.pid)?.start;
  let result: RunResult | undefined;
  // The reader of the output went away (`runbook run … | head`): the run stops as on Ctrl-C, its
  // lock released and its journal sent, rather than the process ending in the middle of a step.
  const offReaderGone = onReaderGone(() => {
    if (result !== undefined || controller.signal.aborted) return;
    io.stderr.write('\nrunbook: the output was closed — stopping the running step\n');
    controller.abort(new Error('EPIPE'));
  });
  try {
    const facts = await runRunbook({
      runbook,
      file,
      ...(request.calls && request.calls.size > 0 ? { calls: request.calls } : {}),
      registry: cli.registry,
      runId,
      vars,
      redactor,
      hosts: cli.config.hosts,
      ...(cli.config.groups ? { groups: cli.config.groups } : {}),
      // The team database's URL is runbook's own: no step's process gets it.
      env: withoutStateUrl(io.env, cli.config.stateUrlEnv),
      cwd: request.cwd ?? io.cwd,
      ...(request.incident === undefined ? {} : { incident: request.incident }),
      signal: controller.signal,
      ...(request.alert ? { alert: request.alert } : {}),
      plan,
      approvals: {
        ...request.approvals,
        allCoversDestructive: !policies.some((policy) => policy.yes_approves_destructive === false),
      },
      ...(request.answers && request.answers.size > 0 ? { answers: request.answers } : {}),
      policy: {
        escalationTimers: policies.some((policy) => policy.escalation_timers === true),
        ...(notifyOnStart
          ? { notify: teamNotifier(notifyOnStart, cli.registry, io, redactor) }
          : {}),
      },
      ports: {
        processes,
        ...(prompter ? { prompter } : {}),
        ...(dryRun ? {} : { approver: approverOf(io, store, cli.config.approvers, runId) }),
        events: {
          ...(journaled ? { journal: journaled } : {}),
          show: (event) => {
            if (view) view.onEvent(event);
            // stdout is one document: an escalation is announced on stderr as it happens.
            else if (event.type === 'escalation.due' || event.type === 'escalation.triggered')
              io.stderr.write(`${escalationLine(event)}\n`);
          },
        },
      },
      ...(request.origin
        ? {
            origin: {
              ...request.origin,
              // What --force overrode is in the journal (docs/state.md#locks).
              ...(lock && lock.takenOver.length > 0
                ? {
                    locks_taken_over: lock.takenOver.map(({ name, holder, alive }) => ({
                      name,
                      run_id: holder.run_id,
                      user: holder.user,
                      host: holder.host,
                      since: holder.started_at,
                      still_running: alive,
                    })),
                  }
                : {}),
            },
          }
        : {}),
      ...(pidStart === undefined ? {} : { pidStart }),
    });
    result = wordResult(facts);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    journal?.close();
    // Processes a step could not end keep the record, for the next run to name them.
    if (!result?.steps.some((step) => step.left_running)) running?.remove();
    await lock?.release();
    process.off('exit', releaseOnExit);
    // The journal is in the team's database before the command ends, or it says where it is.
    const unsent = await journal?.settle(SETTLE_MS);
    if (unsent !== undefined) io.stderr.write(`warning: ${unsent}\n`);
  }

  if (result.journal_error !== undefined && result.mode === 'dry-run')
    io.stderr.write(`warning: ${result.journal_error}; the plan is not fully recorded\n`);
  // A run stopped by its journal failed for want of disk, not because of a step.
  const code =
    result.journal_error !== undefined && result.mode !== 'dry-run'
      ? EXIT.io
      : exitCodeForRun(result.status);
  switch (request.format) {
    case 'text':
      if (result.mode !== 'execute')
        view?.escalationRules((runbook.escalation ?? []).map(ruleWords));
      view?.summary(result);
      break;
    case 'json':
      io.stdout.write(
        runJson(
          result,
          exitCodeForRun(result.status),
          vars,
          stepsOf(request.runbook).length === 0
            ? (await loadGuidance()).guidanceJson(request.runbook)
            : undefined,
        ),
      );
      break;
    case 'junit':
      io.stdout.write(runJunit(result, vars));
      break;
    default: {
      const unreachable: never = request.format;
      return unreachable;
    }
  }
  // Listened for until the summary is written: an output closed meanwhile is then ignored, and the
  // process ends with the run's code (src/cli/entry.ts).
  offReaderGone();
  return code;
}

/** The SHA-256 of a runbook file's bytes, and a hash of each step's definition (its first 16 hex
 * digits), recorded at a run's start so that `runbook resume` can name what changed. With the
 * runbooks it calls: their steps under their ids in the run (`<call>/<step>`, as `runSteps` gives
 * them), and the file hash covers their files too, so an edit to a called runbook is seen. */
export async function runbookHashes(
  cwd: string,
  file: string,
  runbook: Runbook,
  called?: { steps: ReadonlyArray<{ section: Section; step: Step }>; files: readonly string[] },
): Promise<{ file: string; steps: Record<string, string> }> {
  const read = (path: string): Uint8Array => {
    try {
      return readFileSync(resolve(cwd, path));
    } catch (error) {
      throw new StateError(
        `cannot read ${path} again: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const { createHash } = await loadCrypto();
  const hash = createHash('sha256').update(read(file));
  // The caller's bytes alone when it calls nothing: the hash a run without calls always had.
  for (const path of [...new Set(called?.files ?? [])].sort()) hash.update('\0').update(read(path));
  const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
  const steps: Record<string, string> = {};
  for (const { section, step } of called?.steps ?? stepsOf(runbook))
    steps[step.id] = sha256(JSON.stringify({ section, step })).slice(0, 16);
  return { file: hash.digest('hex'), steps };
}

/** Every `approval: { by: <group> }` names a group of `approvers:` in the config. */
function checkApprovalGroups(
  steps: ReturnType<typeof stepsOf>,
  groups: Record<string, string[]> | undefined,
): void {
  for (const { step } of steps)
    for (const one of [step, ...(step.steps ?? [])]) {
      const by = one.approval?.by;
      if (by === undefined || by === 'other' || (groups && Object.hasOwn(groups, by))) continue;
      throw new UsageError(
        `step ${one.id}: approval by "${by}": runbook.config.yaml has no such group under approvers:`,
        `approvers: { ${by}: [alice, bob] } in runbook.config.yaml, or by: other (anyone but the person running it)`,
      );
    }
}

/** How long a step waiting for another person's approval waits between two looks. */
const APPROVAL_POLL_MS = 300;

/**
 * Waits for another person's approval of a step (docs/state.md#approvals): asks for it in the
 * store, says who may give it and how, and looks until it is given or the run is interrupted.
 */
function approverOf(
  io: Io,
  store: StateStore,
  groups: Record<string, string[]> | undefined,
  runId: string,
): Approver {
  return async ({ step, by, runner }, signal) => {
    const approvers = by === 'other' ? null : (groups?.[by] ?? []).filter((u) => u !== runner);
    const who =
      approvers === null
        ? `someone other than ${runner}`
        : `a member of ${by} (${approvers.join(', ') || 'no one but you'})`;
    const book = store.approvals;
    if (!book)
      return {
        refused: `step "${step}" needs approval by ${who}: approvals by another person need the team database (docs/state.md#approvals)`,
      };
    try {
      await book.request({ run_id: runId, step, runner, by, approvers });
    } catch (error) {
      return {
        refused: `step "${step}" needs approval by ${who}, and it cannot be asked for: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    io.stderr.write(
      `runbook: step ${step} waits for approval by ${who}; to approve: runbook approve ${runId} ${step}\n`,
    );
    for (;;) {
      if (signal.aborted)
        return { refused: `step "${step}" was not approved: the run was interrupted` };
      try {
        const approval = await book.read(runId, step);
        if (approval?.approved_by) return { by: approval.approved_by };
      } catch {
        // The database out of reach: the approval is looked for again.
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, APPROVAL_POLL_MS);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done);
      });
    }
  };
}

/** `--incident`: an incident id as people write them (INC-123, 2026-01-06-api). */
export function parseIncident(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^[A-Za-z0-9][A-Za-z0-9_.:#/-]{0,63}$/.test(value)) return value;
  throw new UsageError(
    `--incident: "${value.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)}" is not an incident id`,
    'letters, digits and _ . : # / -, starting with a letter or digit, at most 64 (INC-123)',
  );
}

/** The environment without the team database's URL (docs/state.md). */
function withoutStateUrl(
  env: Record<string, string | undefined>,
  urlEnv: string | undefined,
): Record<string, string | undefined> {
  if (env.RUNBOOK_STATE_URL === undefined && (urlEnv === undefined || env[urlEnv] === undefined))
    return env;
  const rest = { ...env };
  delete rest.RUNBOOK_STATE_URL;
  if (urlEnv !== undefined) delete rest[urlEnv];
  return rest;
}

/** `--only`'s sections. */
export function parseOnly(value: string | undefined): Set<Section> | undefined {
  if (value === undefined) return undefined;
  const sections = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out = new Set<Section>();
  for (const section of sections) {
    if (!(SECTIONS as readonly string[]).includes(section))
      throw new UsageError(
        `--only: unknown section "${section}"`,
        `sections: ${SECTIONS.join(', ')}`,
      );
    out.add(section as Section);
  }
  return out;
}

/**
 * The host locks of a run: every `on:` of its steps, of the steps of its `for_each:` groups, and
 * of the steps of the runbooks it calls (docs/commands.md#locks), as written.
 */
function hostLocks(
  runbook: Runbook,
  calls: ReadonlyMap<string, CallableRunbook> | undefined,
): string[] {
  const steps = expandSteps(runbook, (id) => calls?.get(id)?.runbook).flatMap(({ step }) => [
    step,
    ...((step.steps as Step[] | undefined) ?? []),
  ]);
  return [...new Set(steps.flatMap((step) => (step.on ? [`host-${step.on}`] : [])))];
}

/** How long a run waits, once it ended, for its journal to reach the team's database. */
const SETTLE_MS = 5000;

/**
 * Takes a run's lock, or says how to take it from another run. With `--force`, a team database
 * out of reach leaves the run this machine's own lock (docs/state.md#when-the-database-is-down).
 */
async function lockRun(
  io: Io,
  store: StateStore & { readonly stateDir: string },
  ...args: Parameters<StateStore['acquireLocks']>
): Promise<HeldLock> {
  try {
    return await store.acquireLocks(...args);
  } catch (error) {
    if (error instanceof UnavailableError && args[2] && !(store instanceof FileStateStore)) {
      io.stderr.write(
        `warning: ${error.message}; --force: this run takes only this machine's lock, and its journal is sent when the database is back\n`,
      );
      return new FileStateStore(store.stateDir, { start: processStart }).acquireLocksNow(...args);
    }
    if (!(error instanceof LockedError)) throw error;
    throw new LockedError(
      error.what,
      error.holder,
      'wait for it, talk to them, or pass --force if you are sure that run is gone',
    );
  }
}

/** Tells the team on its Slack or JSON webhook, named by an environment variable. */
function teamNotifier(
  target: NonNullable<SeverityPolicy['notify_on_start']>,
  registry: AdapterRegistry,
  io: Io,
  redactor: Redactor,
): Notify {
  return async (news) => {
    const message = teamMessage(news);
    const name = target.slack_webhook_env ?? target.webhook_env;
    const url = name ? io.env[name] : undefined;
    if (!name || !url) return { ok: false, error: `$${name ?? 'slack_webhook_env'} is not set` };
    redactor.add(url);
    const action = await registry.action(
      target.slack_webhook_env ? 'notify.slack' : 'notify.webhook',
    );
    if (!action) return { ok: false, error: 'the notify adapter is not available' };
    const input = target.slack_webhook_env
      ? { webhook_url: url, text: message }
      : { url, payload: { text: message } };
    const context = { env: io.env, cwd: io.cwd, signal: timeoutSignal(10_000) };
    const outcome = await action.run(action.input.parse(input), {
      ...context,
      timeoutMs: 10_000,
      exec: localExec(context),
      host: undefined,
    });
    return outcome.ok ? { ok: true } : { ok: false, error: outcome.error ?? 'failed' };
  };
}
