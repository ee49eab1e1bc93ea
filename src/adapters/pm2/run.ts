import { stripVTControlCharacters } from 'node:util';
import type { ActionContext, ActionOutcome } from '../adapter.js';
import { runTool } from '../support/run-tool.js';
import { processRequest, type Call } from './argv.js';
import {
  matchesApp,
  parseJlist,
  processOutputs,
  summarize,
  type JlistEntry,
  type Pm2Process,
} from './parse.js';
import { daemonDown, pm2Message } from './errors.js';

/** Runs pm2 and returns its outcome without colour codes, failures in pm2's own words. */
export async function runPm2(ctx: ActionContext, call: Call): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, processRequest(call), undefined, daemonDown);
  for (const stream of ['stdout', 'stderr'] as const) {
    const value = outcome.outputs[stream];
    if (typeof value === 'string') outcome.outputs[stream] = stripVTControlCharacters(value);
    if (outcome[stream] !== undefined) outcome[stream] = stripVTControlCharacters(outcome[stream]);
  }
  const ranToAnExit =
    !outcome.ok &&
    !outcome.unavailable &&
    outcome.exitCode !== null &&
    !outcome.timedOut &&
    !outcome.interrupted;
  const message = ranToAnExit ? pm2Message(outcome.stderr ?? '', outcome.stdout ?? '') : undefined;
  if (message !== undefined) outcome.error = `pm2 ${call.args[0] ?? ''}: ${message}`;
  return outcome;
}

/** `pm2 jlist`, with its raw output withheld: it holds every app's environment. */
export async function listProcesses(
  ctx: ActionContext,
  pm2_home: string | undefined,
): Promise<{ outcome: ActionOutcome; processes?: Pm2Process[]; entries?: JlistEntry[] }> {
  let entries: JlistEntry[] | undefined;
  const outcome = await runTool(
    ctx,
    processRequest({ args: ['jlist'], pm2_home }),
    (result) => {
      entries = parseJlist(result.stdout);
      return {};
    },
    daemonDown,
  );
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  delete outcome.stdout;
  if (
    !outcome.ok &&
    !outcome.unavailable &&
    outcome.exitCode !== null &&
    outcome.stderr !== undefined
  ) {
    const message = pm2Message(outcome.stderr, '');
    if (message !== undefined) outcome.error = `pm2 jlist: ${message}`;
  }
  if (!outcome.ok || entries === undefined) return { outcome };
  return { outcome, entries, processes: summarize(entries, Date.now()) };
}

/**
 * Runs a command that changes processes, then reports them as `pm2 jlist` sees them afterwards
 * (and before, with `pidsBefore`, so that a restart shows its new pids).
 */
export async function change(
  ctx: ActionContext,
  call: Call,
  app: string | undefined,
  options: { pidsBefore?: boolean } = {},
): Promise<ActionOutcome> {
  let pidsBefore: number[] | undefined;
  if (options.pidsBefore && app !== undefined) {
    const before = await listProcesses(ctx, call.pm2_home);
    if (ctx.signal.aborted) return before.outcome;
    if (before.processes)
      pidsBefore = before.processes
        .filter((process) => matchesApp(process, app))
        .map((process) => process.pid)
        .filter((pid) => pid > 0);
  }
  const outcome = await runPm2(ctx, call);
  if (!outcome.ok) return outcome;
  const after = await listProcesses(ctx, call.pm2_home);
  if (after.processes) {
    const selected =
      app === undefined
        ? after.processes
        : after.processes.filter((process) => matchesApp(process, app));
    Object.assign(outcome.outputs, processOutputs(selected, app));
  }
  if (pidsBefore) outcome.outputs.pids_before = pidsBefore;
  return outcome;
}
