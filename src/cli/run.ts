import { hostname } from 'node:os';
import { newRunId } from '../state/journal.js';
import { LockedError, type HeldLock } from '../state/lock.js';
import type { JournalSink, StateStore } from '../state/store.js';
import { killRunningNow, localExec } from '../exec/local.js';
import { RunningRecord } from '../exec/leftovers.js';
import type { AdapterRegistry } from '../adapters/registry.js';
import { runRedactor, type Redactor } from '../engine/redact.js';
import { runRunbook } from '../engine/run.js';
import { parseVarFlags, resolveVars } from '../engine/vars.js';
import type { EngineEvent, RunResult } from '../engine/events.js';
import type { Notify } from '../engine/options.js';
import { StateIoError } from '../common/state-files.js';
import { UsageError } from '../common/errors.js';
import { teamMessage, wordEvent, wordResult } from '../report/engine-words.js';
import { runJunit } from '../report/junit.js';
import { findRunbook } from '../schema/load.js';
import { SECTIONS, stepsOf, type Section } from '../schema/runbook.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import type { SeverityPolicy } from '../schema/config.js';
import { exitCodeForRun, EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { handleLeftovers } from './leftovers.js';
import { terminalPrompter } from './prompter.js';
import { RunView } from '../report/run-view.js';
import { processes } from './processes.js';
import { openStateStore, setup } from './setup.js';
import {
  answerFlag,
  arg,
  defineCommand,
  dirFlag,
  envFlag,
  flag,
  varFlag,
  type Values,
} from './define.js';
import { checkAnswers, parseAnswerFlags } from './answers.js';
import { currentUser } from '../engine/user.js';
import { timeoutSignal } from '../common/abort.js';
import { runJson } from '../report/json.js';

const flags = {
  dir: dirFlag,
  dryRun: flag.boolean('--dry-run', 'execute nothing; print every step and its exact command'),
  readOnly: flag.boolean('--read-only', 'run read steps for real; plan the rest'),
  yes: flag.boolean('-y, --yes', 'approve steps that need confirmation'),
  approve: flag.list('--approve <step>', 'approve one step that needs confirmation (repeatable)'),
  answer: answerFlag,
  nonInteractive: flag.boolean(
    '--non-interactive',
    'never prompt: confirmations need --yes/--approve; manual steps stay pending',
  ),
  var: varFlag,
  env: envFlag,
  only: flag.string('--only <sections>', 'run only these sections (comma-separated)'),
  from: flag.string('--from <step>', 'skip every step before this one'),
  force: flag.boolean('--force', 'run even if another run of this runbook holds its lock'),
  killOrphans: flag.boolean(
    '--kill-orphans',
    'first end the processes that earlier runs left running when they were killed',
  ),
  format: flag.choice('--format <format>', 'text, json or junit', ['text', 'json', 'junit']),
};

type RunOptions = Values<typeof flags>;

export const run = defineCommand({
  name: 'run',
  summary: 'Run a runbook: detection, diagnosis, resolution, verification (rollback on failure)',
  args: { id: arg.required('id', 'runbook id') },
  flags,
  handler: ({ id }, options, io) => runCommand(id, options, io),
});

async function runCommand(id: string, options: RunOptions, io: Io): Promise<number> {
  if (options.dryRun && options.readOnly)
    throw new UsageError(
      '--dry-run and --read-only cannot be combined',
      'use --dry-run to run nothing, or --read-only to run only read steps',
    );
  if (options.dryRun && options.killOrphans)
    throw new UsageError(
      '--dry-run and --kill-orphans cannot be combined: a dry run ends no process',
      `run \`runbook run ${id} --kill-orphans\` without --dry-run`,
    );
  const cliVars = parseVarFlags(options.var);
  const answers = parseAnswerFlags(options.answer);
  const cli = await setup(io, { dir: options.dir });
  const { file, runbook } = await findRunbook(id, cli.dirs, cli.load);
  if (!runbook) return EXIT.usage;

  const only = parseOnly(options.only);
  const allSteps = stepsOf(runbook);
  if (options.from !== undefined && !allSteps.some(({ step }) => step.id === options.from)) {
    throw new UsageError(
      `--from ${options.from}: runbook ${runbook.id} has no such step`,
      `its steps: ${allSteps.map(({ step }) => step.id).join(', ')}`,
    );
  }
  for (const step of options.approve) {
    if (!allSteps.some((s) => s.step.id === step))
      throw new UsageError(`--approve ${step}: runbook ${runbook.id} has no such step`);
  }
  await checkAnswers(runbook, answers);
  const vars = resolveVars(runbook, { cliVars, envName: options.env, processEnv: io.env });
  const redactor = runRedactor(vars, io.env);

  // stdin is looked at last: only a terminal session needs it made.
  const interactive =
    !options.nonInteractive &&
    options.format === 'text' &&
    io.stdout.isTTY === true &&
    io.stdin.isTTY === true;
  const colors = colorsFor(io.stdout, io.env);
  const view =
    options.format === 'text' ? await RunView.create(io.stdout, colors, interactive) : undefined;
  const policies = runbookSeverityLevels(
    runbook,
    cli.config.schemes,
    cli.config.defaultScheme,
  ).flatMap((level) => {
    const policies = cli.config.policies ?? {};
    const policy = Object.hasOwn(policies, level) ? policies[level] : undefined;
    return policy ? [policy] : [];
  });
  const notifyOnStart = policies.find((policy) => policy.notify_on_start)?.notify_on_start;
  const runId = newRunId();
  const store = openStateStore(io.env, cli.config);
  const { stateDir } = store;
  await handleLeftovers(io, stateDir, runbook.id, options.killOrphans ?? false);
  // A dry run changes nothing, so it needs no lock; a real one runs alone per runbook and host.
  const lock = options.dryRun
    ? undefined
    : lockRun(
        store,
        [
          runbook.id,
          ...new Set(allSteps.flatMap(({ step }) => (step.on ? [`host-${step.on}`] : []))),
        ],
        {
          run_id: runId,
          pid: process.pid,
          user: currentUser(io.env),
          host: hostname(),
          started_at: new Date().toISOString(),
          runbook: runbook.id,
        },
        options.force ?? false,
      );
  for (const { name, holder, alive } of lock?.takenOver ?? []) {
    io.stderr.write(
      `warning: took over the lock on ${name} from run ${holder.run_id} (pid ${holder.pid}, ${holder.user}, since ${holder.started_at}): ${alive ? 'that process still runs (--force)' : 'that process is gone'}\n`,
    );
  }
  const releaseOnExit = (): void => lock?.release();
  process.on('exit', releaseOnExit);
  // A plan does nothing, so it goes on without a journal when none can be written.
  let journal: JournalSink | undefined;
  try {
    journal = store.createJournal(runId);
  } catch (error) {
    if (!(options.dryRun && error instanceof StateIoError)) throw error;
    io.stderr.write(`warning: ${error.message}; the plan is not recorded\n`);
  }
  // Says, until the run ends, where its steps' processes are should it be killed outright.
  let running: RunningRecord | undefined;
  if (journal && !options.dryRun) {
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
  let result: RunResult | undefined;
  try {
    const facts = await runRunbook({
      runbook,
      file,
      registry: cli.registry,
      runId,
      vars,
      redactor,
      hosts: cli.config.hosts,
      env: io.env,
      cwd: io.cwd,
      signal: controller.signal,
      plan: {
        mode: options.dryRun ? 'dry-run' : options.readOnly ? 'read-only' : 'execute',
        ...(only ? { only } : {}),
        ...(options.from === undefined ? {} : { from: options.from }),
      },
      approvals: {
        steps: new Set(options.approve),
        all: options.yes ?? false,
        allCoversDestructive: !policies.some((policy) => policy.yes_approves_destructive === false),
      },
      ...(answers.size > 0 ? { answers } : {}),
      policy: {
        escalationTimers: policies.some((policy) => policy.escalation_timers === true),
        ...(notifyOnStart
          ? { notify: teamNotifier(notifyOnStart, cli.registry, io, redactor) }
          : {}),
      },
      ports: {
        processes,
        ...(prompter ? { prompter } : {}),
        events: {
          ...(journaled ? { journal: journaled } : {}),
          show: (event) => view?.onEvent(event),
        },
      },
    });
    result = wordResult(facts);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    journal?.close();
    // Processes a step could not end keep the record, for the next run to name them.
    if (!result?.steps.some((step) => step.left_running)) running?.remove();
    lock?.release();
    process.off('exit', releaseOnExit);
  }

  if (result.journal_error !== undefined && result.mode === 'dry-run')
    io.stderr.write(`warning: ${result.journal_error}; the plan is not fully recorded\n`);
  switch (options.format) {
    case 'text':
      view?.summary(result);
      break;
    case 'json':
      io.stdout.write(runJson(result, exitCodeForRun(result.status)));
      break;
    case 'junit':
      io.stdout.write(runJunit(result));
      break;
    default: {
      const unreachable: never = options.format;
      return unreachable;
    }
  }
  // A run stopped by its journal failed for want of disk, not because of a step.
  if (result.journal_error !== undefined && result.mode !== 'dry-run') return EXIT.io;
  return exitCodeForRun(result.status);
}

/** The sections `--only` names, each checked. */
function parseOnly(value: string | undefined): Set<Section> | undefined {
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

/** Takes a run's lock, or says how to take it from another run. */
function lockRun(store: StateStore, ...args: Parameters<StateStore['acquireLocks']>): HeldLock {
  try {
    return store.acquireLocks(...args);
  } catch (error) {
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
