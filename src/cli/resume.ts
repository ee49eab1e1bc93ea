import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { RunbookError, StateError, UsageError } from '../common/errors.js';
import type { RunOrigin } from '../engine/events.js';
import { REDACTED } from '../engine/redact.js';
import { resolveVars, type ResolvedVars } from '../engine/vars.js';
import { findRunbook } from '../schema/load.js';
import type { Runbook, Step } from '../schema/runbook.js';
import { originOf, planResume } from '../state/resume.js';
import { findRun } from '../state/find-run.js';
import type { RunRecord } from '../state/run-record.js';
import {
  answerFlag,
  nonInteractiveFlag,
  runFormatFlag,
  yesFlag,
  arg,
  defineCommand,
  flag,
  type Values,
} from './define.js';
import { checkAnswers, parseAnswerFlags } from './answers.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { executeRun, runbookHashes } from './run.js';
import { asRunSteps, withCalls } from './calls.js';
import { openStateStore, setup } from './setup.js';

const flags = {
  force: flag.boolean(
    '--force',
    'continue even if steps the run completed changed in the runbook, or outputs later steps read cannot be restored',
  ),
  ack: flag.list('--ack <step>', 'acknowledge a pending manual step as you continue (repeatable)'),
  approve: flag.list(
    '--approve <step>',
    'approve a step that needs confirmation as you continue (repeatable)',
  ),
  yes: yesFlag,
  answer: answerFlag,
  nonInteractive: nonInteractiveFlag,
  format: runFormatFlag,
};

type ResumeOptions = Values<typeof flags>;

export const resume = defineCommand({
  name: 'resume',
  summary:
    'Continue a run that stopped (failed, declined, pending, interrupted or killed) from its journal',
  args: {
    runId: arg.required('run-id', 'the run to continue (printed by run; names its journal)'),
  },
  flags,
  handler: ({ runId }, options, io) => resumeCommand(runId, options, io),
});

async function resumeCommand(runId: string, options: ResumeOptions, io: Io): Promise<number> {
  const here = await setup(io);
  const store = await openStateStore(io, here.config);
  const record = await findRun(store, runId).finally(() => store.close());
  refuseUnresumable(record);
  const origin = originOf(record);
  if (!origin)
    throw new StateError(
      `run ${runId} was recorded by an earlier version of runbook: its journal does not say how to continue it`,
      `start a new run: runbook run ${record.runbook.id}`,
    );

  // The run goes on where it started: its directory, its runbook directories.
  if (!existsSync(origin.cwd))
    throw new StateError(
      `run ${runId} ran its steps in ${origin.cwd}, which no longer exists`,
      `make it again, or start a new run: runbook run ${record.runbook.id}`,
    );
  const runIo: Io = { ...io, cwd: origin.cwd };
  const cli = origin.cwd === io.cwd ? here : await setup(runIo);
  const { file, runbook } = await findRunbook(record.runbook.id, origin.dirs, cli.load);
  if (!runbook) return EXIT.usage;
  const called = await withCalls(cli, file, runbook, origin.dirs);
  const runSteps = asRunSteps(called.steps);
  checkSteps(runbook, options, runSteps);
  const answers = parseAnswerFlags(options.answer);
  await checkAnswers(runbook, answers, runSteps);

  const hashes = await runbookHashes(runIo.cwd, file, runbook, {
    steps: runSteps,
    files: [...called.calls.values()].map((one) => one.file),
  });
  const plan = planResume(record, origin, runbook, hashes.steps, hashes.file, runSteps);
  const changed = [
    ...plan.changed.map((id) => `${id} (changed)`),
    ...plan.removed.map((id) => `${id} (removed)`),
  ];
  if (changed.length > 0 && !options.force)
    throw new StateError(
      `the runbook ${file}${called.calls.size > 0 ? ' (or a runbook it calls)' : ''} changed under steps run ${runId} completed: ${changed.join(', ')}`,
      `continue anyway with the steps as they are now: runbook resume ${runId} --force; or start a new run: runbook run ${runbook.id}`,
    );
  const unavailable = plan.unavailable.map(
    ({ step, output, why }) =>
      `steps.${step}.outputs.${output} (${why === 'cut' ? 'cut short in the journal' : 'held a secret, hidden in the journal'})`,
  );
  if (unavailable.length > 0 && !options.force)
    throw new StateError(
      `run ${runId} cannot be continued as it was: later steps read values its journal does not hold whole: ${unavailable.join(', ')}`,
      `continue with them as the journal has them: runbook resume ${runId} --force; or start a new run: runbook run ${runbook.id}`,
    );
  if (plan.changedLater.length > 0)
    io.stderr.write(
      `note: steps not yet run changed since run ${runId} started; they run as they are now: ${plan.changedLater.join(', ')}\n`,
    );

  const vars = restoreVars(record, origin, runbook, io);
  const overridden =
    options.force && (changed.length > 0 || unavailable.length > 0)
      ? {
          changed_steps: [...plan.changed, ...plan.removed],
          unavailable_outputs: plan.unavailable.map(
            ({ step, output }) => `steps.${step}.outputs.${output}`,
          ),
        }
      : undefined;
  return executeRun(runIo, {
    cli: { ...cli, dirs: origin.dirs },
    file,
    runbook,
    calls: called.calls,
    runId: record.run_id,
    vars,
    answers,
    plan: {
      mode: record.mode,
      ...(origin.only ? { only: new Set(origin.only) } : {}),
      resume: {
        part: record.parts.length + 1,
        completed: plan.completed,
        from: plan.from,
        items: plan.items,
        acknowledged: new Set(options.ack),
        ...(overridden ? { overridden } : {}),
        escalated: new Set(
          record.events.flatMap((event) =>
            event.type === 'escalation.triggered' ? [event.rule] : [],
          ),
        ),
      },
    },
    approvals: {
      steps: new Set(origin.approved),
      all: origin.approve_all || (options.yes ?? false),
      byPerson: new Set(options.approve),
    },
    format: options.format,
    nonInteractive: options.nonInteractive ?? false,
    force: false,
    killOrphans: false,
    ...(origin.alert ? { alert: origin.alert } : {}),
  });
}

function refuseUnresumable(record: RunRecord): void {
  const { run_id: id } = record;
  const last = record.parts.at(-1);
  switch (record.status) {
    case 'running':
      // As a run refused by another's lock.
      throw new RunbookError(
        'declined',
        `run ${id} is still running (pid ${last?.pid ?? '?'} on ${last?.host ?? '?'}, by ${last?.user ?? '?'}, since ${last?.started_at ?? '?'})`,
        last?.host === hostname()
          ? `wait for it to end, or stop it (Ctrl-C in its terminal, or kill ${last.pid}), then resume it`
          : `it runs on ${last?.host ?? 'another machine'}: continue it there`,
      );
    case 'succeeded':
      throw new UsageError(
        `run ${id} succeeded: there is nothing to continue`,
        `start a new run: runbook run ${record.runbook.id}`,
      );
    default:
      break;
  }
  if (record.mode === 'dry-run')
    throw new UsageError(
      `run ${id} was a dry run: there is nothing to continue`,
      `start a new one: runbook run ${record.runbook.id} --dry-run`,
    );
}

/** `--ack` and `--approve` name steps of the runbook; `--ack` a manual one. */
function checkSteps(
  runbook: Runbook,
  options: ResumeOptions,
  all: ReadonlyArray<{ step: Step }>,
): void {
  const steps = new Map(all.map(({ step }) => [step.id, step]));
  for (const [name, ids] of [
    ['--ack', options.ack],
    ['--approve', options.approve],
  ] as const)
    for (const id of ids) {
      const step = steps.get(id);
      if (!step)
        throw new UsageError(
          `${name} ${id}: runbook ${runbook.id} has no such step`,
          `its steps: ${[...steps.keys()].join(', ')}`,
        );
      if (name === '--ack' && step.manual === undefined)
        throw new UsageError(
          `--ack ${id}: step ${id} is not a manual step`,
          'use --approve for a step that needs confirmation',
        );
    }
}

/**
 * The run's variables again: the values given for non-secret ones as recorded, the runbook
 * environment it used, and every other value as the run resolved it (from the journal's
 * run.start). Secret ones are read again from their environment variables, never from the journal:
 * a secret the run had that cannot be read now is refused, as a missing value is.
 */
function restoreVars(record: RunRecord, origin: RunOrigin, runbook: Runbook, io: Io): ResolvedVars {
  const declared = runbook.vars ?? {};
  // A value that held a secret (a URL's password) is hidden in the journal: read again, as secrets.
  const hidden = Object.entries(origin.vars)
    .filter(([name, value]) => Object.hasOwn(declared, name) && value.includes(REDACTED))
    .map(([name]) => name);
  const cliVars = Object.fromEntries(
    Object.entries(origin.vars).filter(
      ([name]) => Object.hasOwn(declared, name) && !hidden.includes(name),
    ),
  );
  const vars = resolveVars(runbook, {
    cliVars,
    envName: origin.environment,
    processEnv: io.env,
    allowMissing: true,
    // The alert the run answered, as its journal keeps it (annotations bounded).
    alert: origin.alert,
  });
  const start = record.events.find((event) => event.type === 'run.start');
  const journalled = start?.type === 'run.start' ? start.vars : {};
  for (const name of Object.keys(declared)) {
    if (vars.secrets.has(name) || !Object.hasOwn(journalled, name)) continue;
    const value = journalled[name];
    // A value the journal hides (it held a secret) is not restored from it.
    if (JSON.stringify(value).includes(REDACTED)) continue;
    vars.values[name] = value;
  }
  const lost = [...origin.secret_vars.filter((name) => vars.secrets.has(name)), ...hidden].filter(
    (name) => vars.sources[name] !== 'env',
  );
  if (lost.length > 0) {
    const how = lost.map((name) => {
      const definition = declared[name];
      const env =
        definition !== null && typeof definition === 'object' ? definition.env : undefined;
      return env ? `${name} ($${env})` : `${name} (declares no env: variable to read it from)`;
    });
    throw new UsageError(
      `run ${record.run_id} needs its secret ${lost.length === 1 ? 'value' : 'values'} again: ${how.join(', ')}`,
      'runbook resume reads secrets from their environment variables, never from the journal: set them and resume again',
    );
  }
  if (vars.missing?.length)
    throw new UsageError(
      `runbook ${runbook.id} needs ${vars.missing.length === 1 ? 'a value' : 'values'} for: ${vars.missing.join(', ')}`,
      'set the environment variables and resume again (to give other values, start a new run)',
    );
  return vars;
}
