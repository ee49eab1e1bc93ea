import { UsageError } from '../common/errors.js';
import { readsAlert } from '../engine/alert-context.js';
import { usesAlertIn } from '../engine/context.js';
import type { RunOrigin } from '../engine/events.js';
import type { ResolvedVars } from '../engine/vars.js';
import { alertLine } from '../report/alert-words.js';
import { alertName, journaledAlert, type Alert } from '../schema/alert-payload.js';
import type { Runbook } from '../schema/runbook.js';
import type { Io } from './io.js';
import { matchingRunbooks, matchTable } from './match.js';
import type { CliSetup } from './setup.js';

/**
 * `runbook run --alert FILE` without an id (docs/commands.md#alert-payloads): the id of the one
 * runbook whose `alerts:` match the alert. None, or several, is a usage error (exit 2); several
 * are listed first, best first, on stderr.
 */
export async function answeringRunbook(
  cli: CliSetup,
  alert: Alert | undefined,
  where: string | undefined,
  io: Io,
): Promise<string> {
  if (!alert) throw new UsageError('missing the runbook id');
  const matches = await matchingRunbooks(cli, alert, io);
  const [first, second] = matches;
  const name = JSON.stringify(alertName(alert));
  if (!first)
    throw new UsageError(
      `no runbook answers the alert ${alertLine(alert)}`,
      'a runbook answers alerts through its alerts: label matchers (docs/format.md#alert-payloads); name one: runbook run <id> --alert …',
    );
  if (second) {
    io.stderr.write(`${matches.length} runbooks answer the alert ${name}, best first:\n`);
    io.stderr.write(matchTable(matches));
    throw new UsageError(
      `${matches.length} runbooks answer the alert ${name}: say which`,
      `runbook run ${first.runbook.id} --alert ${where ?? 'FILE'}`,
    );
  }
  return first.runbook.id;
}

/** What a run's start records of its alert: the alert, bounded, and the variables it gave. */
export function alertOrigin(
  runbook: Runbook,
  alert: Alert,
  vars: ResolvedVars,
): Pick<RunOrigin, 'alert' | 'alert_vars'> {
  const alertVars: Record<string, string> = {};
  for (const [name, definition] of Object.entries(runbook.vars ?? {}))
    if (
      vars.sources[name] === 'alert' &&
      definition !== null &&
      typeof definition === 'object' &&
      definition.from_alert !== undefined
    )
      alertVars[name] = definition.from_alert;
  return { alert: journaledAlert(alert), alert_vars: alertVars };
}

/** A run without an alert of a runbook whose expressions read one's labels or annotations: they
 * find none, and fail unless guarded (`has(alert.labels.x)`). Said in one line before the run. */
export function warnNoAlert(io: Io, runbook: Runbook): void {
  if (!usesAlertIn(runbook, readsAlert)) return;
  io.stderr.write(
    `warning: runbook ${runbook.id} reads the labels or annotations of an alert, and this run has none: give it with --alert FILE (or - for standard input)\n`,
  );
}
