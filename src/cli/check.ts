import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  checkStepsOf,
  runChecks,
  unknownResult,
  worstState,
  type CheckResult,
  type CheckTarget,
} from '../engine/check.js';
import { newRunId } from '../state/journal.js';
import { LockedError, type LocalLock } from '../state/lock.js';
import { runRedactor } from '../engine/redact.js';
import { varsRead } from '../engine/context.js';
import { parseVarFlags, resolveVars } from '../engine/vars.js';
import { RunbookError, UsageError } from '../common/errors.js';
import { sha256 } from './crypto.js';
import { push, pushTarget, type PushTarget } from './pushgateway.js';
import { nagiosText, prometheusText } from '../report/check.js';
import { DURATION_PATTERN, parseDuration, withinMaxDuration } from '../common/duration.js';
import { findRunbook } from '../schema/load.js';
import { stepsOf, type Runbook } from '../schema/runbook.js';
import { failedExpectationState, resolveScheme } from '../schema/severity.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import { loadCatalog, matchesSelection } from './catalog.js';
import { exitCodeForCheck, NAGIOS_EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { processes } from './processes.js';
import { openLocalStore, setup } from './setup.js';
import {
  arg,
  defineCommand,
  dirFlag,
  envFlag,
  flag,
  inventoryFlag,
  varFlag,
  type Values,
} from './define.js';
import { currentUser } from '../engine/user.js';
import { checkJson } from '../report/json.js';
import { monotonicMs } from '../common/clock.js';

const flags = {
  dir: dirFlag,
  inventory: inventoryFlag,
  all: flag.boolean('--all', 'check every runbook'),
  tag: flag.string('--tag <tag>', 'check the runbooks with this tag'),
  service: flag.string('--service <service>', 'check the runbooks of this service'),
  var: varFlag,
  env: envFlag,
  format: flag.choice('--format <format>', 'text, json or prometheus', [
    'text',
    'json',
    'prometheus',
  ]),
  timeout: flag.text('--timeout <duration>', 'bound the whole command and each check', '30s'),
  concurrency: flag.text('--concurrency <n>', 'checks run at the same time', '8'),
  prometheusTextfile: flag.string(
    '--prometheus-textfile <path>',
    'also write the metrics there, atomically',
  ),
  pushgateway: flag.string(
    '--pushgateway <url>',
    'also push the metrics to this Prometheus Pushgateway',
  ),
};

type CheckOptions = Values<typeof flags>;

export const check = defineCommand({
  name: 'check',
  summary:
    'Run health checks for cron and monitoring: read steps only, never a prompt, Nagios exit codes',
  args: { ids: arg.variadic('ids', 'runbook ids') },
  flags,
  handler: ({ ids }, options, io) => checkCommand(ids, options, io),
});

/** `runbook check`: read-only health checks for cron and monitoring, with Nagios exit codes.
 * Every problem, even bad usage, is reported as UNKNOWN (3) in the requested format. */
async function checkCommand(ids: string[], options: CheckOptions, io: Io): Promise<number> {
  const started = monotonicMs();
  let lock: LocalLock | undefined;
  const releaseOnExit = (): void => lock?.release();
  try {
    const timeoutMs = parseTimeout(options.timeout);
    // A --pushgateway that could never take the metrics is said before any check runs.
    const pushTo =
      options.pushgateway !== undefined ? pushTarget(options.pushgateway, hostname()) : undefined;
    const concurrency = Number(options.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UsageError(
        `--concurrency must be a whole number ≥ 1 (got "${options.concurrency}")`,
      );
    if (ids.length === 0 && !options.all && !options.tag && !options.service)
      throw new UsageError(
        'name the runbooks to check',
        'runbook check <id…>, or --all, --tag T, --service S',
      );
    const cli = await setup(io, { dir: options.dir, inventory: options.inventory });
    const store = openLocalStore(io, cli.config);
    const runId = newRunId();
    lock = store.acquireLocksNow(
      [`check-${await selectionKey(ids, options, io.cwd)}`],
      {
        run_id: runId,
        pid: process.pid,
        user: currentUser(io.env),
        host: hostname(),
        started_at: new Date().toISOString(),
        runbook: ids.join(',') || 'check',
      },
      false,
    );
    process.on('exit', releaseOnExit);
    for (const { holder } of lock.takenOver)
      io.stderr.write(
        `warning: took over the lock of a previous check (pid ${holder.pid}, since ${holder.started_at}): that process is gone\n`,
      );

    // The --timeout bounds the whole command: reading the runbooks too.
    const { targets, failed } = await withinTimeout(
      selectTargets(ids, options, cli, io),
      timeoutMs - (monotonicMs() - started),
    );
    const checks = await runChecks({
      targets,
      registry: cli.registry,
      hosts: cli.config.hosts,
      ...(cli.config.groups ? { groups: cli.config.groups } : {}),
      env: io.env,
      cwd: io.cwd,
      runId,
      timeoutMs: Math.max(0, Math.round(timeoutMs - (monotonicMs() - started))),
      concurrency,
      processes,
    });
    const results = [...failed, ...checks];
    const state = results.length === 0 ? 'UNKNOWN' : worstState(results.map((r) => r.state));
    const published = await publish(results, options, pushTo, io);
    write(io, options.format, state, results);
    // Metrics that did not get where they were to go: at least UNKNOWN (docs/commands.md#check).
    return exitCodeForCheck(published ? state : worstState([state, 'UNKNOWN']));
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    const summary =
      error instanceof LockedError
        ? `previous check still running (pid ${error.holder.pid} since ${error.holder.started_at})`
        : `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
    write(io, options.format, 'UNKNOWN', [], summary);
    return NAGIOS_EXIT.UNKNOWN;
  } finally {
    lock?.release();
    process.off('exit', releaseOnExit);
  }
}

/** `work`, unless the time left runs out first. */
async function withinTimeout<T>(work: Promise<T>, leftMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new UsageError('the --timeout was spent reading the runbooks', 'raise --timeout')),
      Math.max(0, leftMs),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function parseTimeout(value: string): number {
  if (!DURATION_PATTERN.test(value) || !withinMaxDuration(value))
    throw new UsageError(
      `--timeout must be a duration such as 10s or 1m, at most 7d (got "${value}")`,
    );
  return parseDuration(value);
}

/** The runbooks chosen by ids, --all, --tag and --service; the ones that cannot be checked become
 * UNKNOWN results. */
async function selectTargets(
  ids: readonly string[],
  options: CheckOptions,
  cli: Awaited<ReturnType<typeof setup>>,
  io: Io,
): Promise<{ targets: CheckTarget[]; failed: CheckResult[] }> {
  const chosen: Array<{ file: string; runbook: Runbook }> = [];
  const failed: CheckResult[] = [];
  // An id named twice is checked once: its metrics would otherwise be two series of one name and
  // labels, which a Pushgateway refuses.
  for (const id of new Set(ids)) {
    try {
      const loaded = await findRunbook(id, cli.dirs, cli.load);
      if (loaded.runbook) chosen.push({ file: loaded.file, runbook: loaded.runbook });
    } catch (error) {
      if (!(error instanceof RunbookError)) throw error;
      failed.push(unknownResult(id, `cannot check: ${error.message}`));
    }
  }
  if (options.all || options.tag || options.service) {
    const { entries, invalid } = await loadCatalog(cli);
    for (const entry of entries) {
      if (!matchesSelection(entry.runbook, options, cli.config)) continue;
      if (!chosen.some((c) => c.runbook.id === entry.runbook.id)) chosen.push(entry);
    }
    // A broken file cannot say its tags or service: only --all is sure it was meant.
    if (options.all)
      for (const broken of invalid)
        failed.push(
          unknownResult(
            // One runbook of a catalog is named by its line in the file.
            `${broken.file}${broken.catalog && broken.at ? `:${broken.at.line}` : ''}`,
            `invalid runbook: ${broken.diagnostics[0]?.message ?? 'see runbook validate'} (runbook validate ${broken.file})`,
          ),
        );
  }
  const cliVars = parseVarFlags(options.var);
  const targets: CheckTarget[] = [];
  for (const { file, runbook } of chosen) {
    if (checkStepsOf(runbook).length === 0) {
      if (ids.includes(runbook.id))
        failed.push(
          unknownResult(
            runbook.id,
            stepsOf(runbook).length === 0
              ? 'nothing to check: a documentation-only runbook (no steps; read it with: runbook run ' +
                  `${runbook.id})`
              : 'no checks: add detection.checks or check: true',
            runbook,
          ),
        );
      continue;
    }
    const declared = Object.keys(runbook.vars ?? {});
    // With several runbooks, a --var is for those that declare it.
    const own =
      chosen.length === 1
        ? cliVars
        : Object.fromEntries(Object.entries(cliVars).filter(([name]) => declared.includes(name)));
    const hasEnv = options.env === undefined || chosen.length === 1 || runbook.environments;
    try {
      // Only the values its checks read are needed: a variable of resolution steps is not.
      const needed = varsRead(checkStepsOf(runbook).map(({ step }) => step));
      const vars = resolveVars(runbook, {
        cliVars: own,
        envName: hasEnv ? options.env : undefined,
        processEnv: io.env,
        ...(needed ? { needed } : {}),
      });
      const scheme = resolveScheme(runbook.severity_scheme, cli.config);
      targets.push({
        runbook,
        file,
        vars,
        redactor: runRedactor(vars, io.env),
        failedExpectation: failedExpectationState(
          runbookSeverityLevels(runbook, cli.config.schemes, cli.config.defaultScheme),
          scheme,
        ),
      });
    } catch (error) {
      if (!(error instanceof RunbookError)) throw error;
      failed.push(unknownResult(runbook.id, `cannot check: ${error.message}`, runbook));
    }
  }
  return { targets, failed };
}

/** Names the lock of one selection: the same command line waits on itself, not on others. */
async function selectionKey(
  ids: readonly string[],
  options: CheckOptions,
  cwd: string,
): Promise<string> {
  const parts = [
    ...[...ids].sort(),
    options.all ? '--all' : '',
    options.tag ? `--tag=${options.tag}` : '',
    options.service ? `--service=${options.service}` : '',
    options.env ? `--env=${options.env}` : '',
    resolve(cwd, options.dir ?? ''),
  ];
  return (await sha256(parts.join('\0'))).slice(0, 16);
}

function write(
  io: Io,
  format: CheckOptions['format'],
  state: ReturnType<typeof worstState>,
  results: readonly CheckResult[],
  error?: string,
): void {
  switch (format) {
    case 'text':
      io.stdout.write(
        error === undefined ? nagiosText(state, results) : `RUNBOOK UNKNOWN - ${error}\n`,
      );
      break;
    case 'json':
      io.stdout.write(checkJson(state, results, error));
      break;
    case 'prometheus':
      io.stdout.write(prometheusText(results));
      if (error !== undefined) io.stderr.write(`runbook: ${error}\n`);
      break;
    default: {
      const unreachable: never = format;
      return unreachable;
    }
  }
}

/** Writes the node_exporter textfile and pushes to a Pushgateway, when asked; false when either
 * failed (each says why on stderr). */
async function publish(
  results: readonly CheckResult[],
  options: CheckOptions,
  pushTo: PushTarget | undefined,
  io: Io,
): Promise<boolean> {
  let ok = true;
  const text = prometheusText(results);
  if (options.prometheusTextfile) {
    const file = resolve(io.cwd, options.prometheusTextfile);
    // node_exporter may read at any moment: it must see the old file or the new one, never half.
    const temp = join(dirname(file), `.${process.pid}.${Date.now()}.prom.tmp`);
    try {
      writeFileSync(temp, text, { mode: 0o644 });
      renameSync(temp, file);
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // Never written.
      }
      io.stderr.write(`runbook: cannot write ${file}: ${(error as Error).message}\n`);
      ok = false;
    }
  }
  if (pushTo) {
    const failed = await push(pushTo, text);
    if (failed !== undefined) {
      io.stderr.write(`runbook: ${failed}\n`);
      ok = false;
    }
  }
  return ok;
}
