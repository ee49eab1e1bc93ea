import { lstatSync, readSync, openSync, closeSync, constants, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { NotFoundError, RunbookError, UsageError, InvalidRunbookError } from '../common/errors.js';
import type { StateStore } from '../state/store.js';
import { StateIoError, writeAtomic } from '../common/state-files.js';
import { Redactor } from '../engine/redact.js';
import { expressionNeeds, hasTemplate, loadExpressions } from '../schema/expressions.js';
import { findRunbook, loadRunbookFile } from '../schema/load.js';
import type { Runbook } from '../schema/runbook.js';
import { findRun } from '../state/find-run.js';
import { stateDirectory } from '../state/journal.js';
import type { RunRecord } from '../state/run-record.js';
import {
  communicationSources,
  incidentReport,
  type IncidentReport,
  type RunbookSource,
} from '../report/incident.js';
import { incidentMarkdown } from '../report/incident-md.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { openStateStore, setup, type CliSetup } from './setup.js';

/** The report's file could not be written. */
class ReportWriteError extends RunbookError {
  constructor(message: string, hint: string) {
    super('io', message, hint);
  }
}

/** `runbook report <run-id>` (docs/commands.md#report). */
export async function makeReport(
  runId: string | undefined,
  options: {
    format: 'md' | 'json';
    out: string | undefined;
    dir: string | undefined;
    incident: string | undefined;
  },
  io: Io,
): Promise<number> {
  if ((runId === undefined) === (options.incident === undefined))
    throw new UsageError(
      runId === undefined
        ? 'name the run, or the incident'
        : 'give a run id or --incident, not both',
      'runbook report <run-id>, or runbook report --incident INC-123 (every run of the incident, by everyone)',
    );
  const cli = await setup(io, { dir: options.dir });
  const stateDir = stateDirectory(io.env, cli.config.stateDir);
  const target = options.out === undefined ? undefined : checkTarget(options.out, stateDir, io);
  const store = await openStateStore(io, cli.config);
  let text: string;
  try {
    if (runId !== undefined) {
      const report = await reportOf(await findRun(store, runId), cli, io);
      text =
        options.format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : incidentMarkdown(report);
    } else text = await incidentRuns(store, options.incident ?? '', options.format, cli, io);
  } finally {
    await store.close();
  }
  if (target === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  try {
    writeAtomic(target, text);
  } catch (error) {
    if (!(error instanceof StateIoError)) throw error;
    throw new ReportWriteError(
      `cannot write the report to ${options.out}: ${reasonOf(error)}`,
      'give --out a file in a directory you can write, or leave --out out to print the report',
    );
  }
  io.stderr.write(`wrote ${options.out}\n`);
  return EXIT.ok;
}

/**
 * One report of every run of an incident, whoever made them and wherever (`report --incident`):
 * the runs in the order they started, then each run's report. In JSON, `{ incident, runs }`.
 */
async function incidentRuns(
  store: StateStore,
  incident: string,
  format: 'md' | 'json',
  cli: CliSetup,
  io: Io,
): Promise<string> {
  const list = await store.listRuns({ incident });
  if (list.runs.length === 0)
    throw new NotFoundError(
      `no run of incident "${incident}" in ${store.runsLocation}`,
      store.shared
        ? 'runs join an incident with: runbook run <id> --incident ID'
        : "runs join an incident with: runbook run <id> --incident ID (local files hold this machine's runs only: a team database gathers everyone's, docs/state.md)",
    );
  const reports: IncidentReport[] = [];
  for (const summary of [...list.runs].reverse())
    reports.push(await reportOf(await findRun(store, summary.run_id), cli, io));
  if (format === 'json') return `${JSON.stringify({ incident, runs: reports }, null, 2)}\n`;
  const people = [...new Set(reports.flatMap((r) => r.parts.map((p) => `${p.user}@${p.host}`)))];
  const out = [
    `# Incident ${mdInline(incident)}: ${reports.length} run${reports.length === 1 ? '' : 's'}`,
    '',
    `By ${people.map(mdInline).join(', ')}.`,
    '',
    '| Started (UTC) | Run | Runbook | By | Result |',
    '| --- | --- | --- | --- | --- |',
    ...list.runs
      .slice()
      .reverse()
      .map(
        (run) =>
          `| ${run.started_at.replace('T', ' ').replace(/\.\d+Z$/, '')} | \`${run.run_id}\` | ${mdInline(run.runbook.id)} | ${mdInline(`${run.user}@${run.host}`)} | ${run.status} |`,
      ),
    '',
  ];
  for (const report of reports) out.push(demoted(incidentMarkdown(report)));
  return out.join('\n');
}

/** A Markdown cell's text: no pipe, no line break, no markup. */
function mdInline(text: string): string {
  return text.replace(/[\\`*_[\]|<>#]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** A run's report one heading level down, inside the incident's (code blocks left alone). */
function demoted(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^(```|~~~)/.test(line)) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

/** The report of one run. */
async function reportOf(record: RunRecord, cli: CliSetup, io: Io): Promise<IncidentReport> {
  const source = await runbookOf(record, cli, io);
  const redactor = new Redactor();
  // Masks a credential of this environment should it appear; nothing secret is read for the report.
  redactor.addFromEnv(io.env);
  for (const def of Object.values(source.runbook?.vars ?? {}))
    if (def !== null && typeof def === 'object' && def.secret === true) redactor.add(def.default);
  const templates = communicationSources(source.runbook);
  const expressions = hasTemplate(templates)
    ? await loadExpressions(expressionNeeds(templates))
    : undefined;
  return incidentReport(record, source, { redactor, expressions });
}

/** The runbook of the run: the file its run.start names, else the runbook of that id in the usual
 * directories. Never throws: a report is made from the journal alone when neither is readable. */
async function runbookOf(record: RunRecord, cli: CliSetup, io: Io): Promise<RunbookSource> {
  const id = record.runbook.id;
  // A relative file is relative to where the run started, which run.start records (origin.cwd).
  const start = record.events.find((event) => event.type === 'run.start');
  const base = (start?.type === 'run.start' ? start.origin?.cwd : undefined) ?? io.cwd;
  const recorded = resolve(base, record.runbook.file);
  let problem: string | undefined;
  // A catalog file holds several runbooks: the one of the run is taken by its id.
  const loaded = await loadRunbookFile(recorded, cli.load, id);
  if (loaded.runbook?.id === id) return found(loaded.runbook, record.runbook.file);
  if (loaded.runbook) problem = `${record.runbook.file} now holds runbook "${loaded.runbook.id}"`;
  else {
    const error = loaded.diagnostics.find((d) => d.severity === 'error');
    problem =
      error?.message === 'no such file'
        ? `${record.runbook.file}: no such file${isAbsolute(record.runbook.file) ? '' : ` (from ${base})`}`
        : `${record.runbook.file} no longer validates (${error ? `${error.line}:${error.col}: ${error.message}` : 'invalid'})`;
  }
  try {
    const byId = await findRunbook(id, cli.dirs, cli.load);
    if (byId.runbook) return found(byId.runbook, byId.file);
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    const detail =
      error instanceof InvalidRunbookError
        ? `runbook "${id}" no longer validates: ${error.diagnostics.find((d) => d.severity === 'error')?.message ?? error.message}`
        : error.message;
    const hint = error.kind === 'not-found' ? ' (give its directory with --dir)' : '';
    return { runbook: undefined, file: undefined, problem: `${problem}; by id: ${detail}${hint}` };
  }
  return { runbook: undefined, file: undefined, problem };
}

function found(runbook: Runbook, file: string): RunbookSource {
  return { runbook, file, problem: undefined };
}

/** Where --out writes: never into the state directory, never over a run journal. */
function checkTarget(out: string, stateDir: string, io: Io): string {
  if (out === '') throw new UsageError('--out needs a file name');
  const target = resolve(io.cwd, out);
  let dir: string;
  try {
    dir = realpathSync(dirname(target));
  } catch (error) {
    throw new ReportWriteError(
      `cannot write the report to ${out}: ${reasonOf(new StateIoError('', error))} (its directory)`,
      'give --out a file in a directory that exists and that you can write',
    );
  }
  const real = resolve(dir, basename(target));
  const state = realOrResolved(stateDir);
  if (real === state || real.startsWith(`${state}${sep}`) || dir === state)
    throw new UsageError(
      `--out ${out} is inside the state directory ${stateDir}: refusing to write there`,
      'write the report somewhere else',
    );
  let info;
  try {
    info = lstatSync(real);
  } catch {
    return real;
  }
  if (info.isDirectory())
    throw new UsageError(`--out ${out} is a directory`, 'give the file to write, in it');
  if (info.isFile() && isJournal(real))
    throw new UsageError(
      `--out ${out} is a run journal: refusing to overwrite it`,
      'write the report somewhere else',
    );
  return real;
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Whether a file starts with a journal's first event. */
function isJournal(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(64);
    const length = readSync(fd, head, 0, head.length, 0);
    return /^\{"type":"run\.(start|resume)"/.test(head.subarray(0, length).toString('utf8'));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The reason part of a StateIoError's message (`permission denied (EACCES)`). */
function reasonOf(error: StateIoError): string {
  return error.message.replace(/^.*?: /, '');
}
