import { loadRegex } from '../schema/regex.js';
import { compareScores, matchAlert, type MatchScore } from '../schema/alert-matchers.js';
import type { Alert } from '../schema/alert-payload.js';
import { alertLine } from '../report/alert-words.js';
import { resolveScheme } from '../schema/severity.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import type { Runbook } from '../schema/runbook.js';
import { visible } from '../report/visible.js';
import { alertFlag, readAlert } from './alert-input.js';
import { loadCatalog, severityText } from './catalog.js';
import { defineCommand, dirFlag, flag, type Values } from './define.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup, type CliSetup } from './setup.js';
import { UsageError } from '../common/errors.js';

const flags = {
  alert: alertFlag,
  dir: dirFlag,
  format: flag.choice('--format <format>', 'text or json', ['text', 'json']),
};

export const match = defineCommand({
  name: 'match',
  summary: 'List the runbooks that answer an alert (their alerts: matchers), best first',
  args: {},
  flags,
  handler: (_args, options, io) => matchCommand(options, io),
});

/** A runbook that answers an alert, and how well. */
export interface AlertMatch {
  file: string;
  runbook: Runbook;
  score: MatchScore;
}

/**
 * The runbooks whose `alerts:` match an alert, best first: the most equality matchers, then the
 * most matchers (docs/commands.md#alert-payloads), then the most severe, then by id. Files that
 * are not valid runbooks are warned of on stderr, as `list` does.
 */
export async function matchingRunbooks(cli: CliSetup, alert: Alert, io: Io): Promise<AlertMatch[]> {
  const { entries, invalid } = await loadCatalog(cli);
  for (const broken of invalid)
    io.stderr.write(
      `warning: ${broken.file} is not a valid runbook and is not matched; see: runbook validate ${broken.file}\n`,
    );
  const answering = entries.filter(({ runbook }) => runbook.alerts !== undefined);
  if (answering.length === 0) return [];
  const regex = await loadRegex();
  const found: AlertMatch[] = [];
  for (const { file, runbook } of answering) {
    const score = matchAlert(runbook.alerts ?? [], alert.labels, regex);
    if (score) found.push({ file, runbook, score });
  }
  const rank = (runbook: Runbook): number => severityRank(runbook, cli);
  return found.sort(
    (a, b) =>
      compareScores(a.score, b.score) ||
      rank(a.runbook) - rank(b.runbook) ||
      (a.runbook.id < b.runbook.id ? -1 : a.runbook.id > b.runbook.id ? 1 : 0),
  );
}

/** Where a runbook's most severe level stands in its scheme, from 0 (the most severe) to below 1;
 * 1 for a runbook without a severity. */
function severityRank(runbook: Runbook, cli: CliSetup): number {
  const { schemes, defaultScheme } = cli.config;
  const levels = resolveScheme(runbook.severity_scheme, { schemes, defaultScheme })?.levels ?? [];
  const positions = runbookSeverityLevels(runbook, schemes, defaultScheme)
    .map((level) => levels.indexOf(level))
    .filter((index) => index >= 0);
  return positions.length === 0 ? 1 : Math.min(...positions) / levels.length;
}

/** A match as `match --format json` gives it. */
export function matchJson({ file, runbook, score }: AlertMatch): Record<string, unknown> {
  return {
    id: runbook.id,
    title: runbook.title,
    severity: runbook.severity === undefined ? null : severityText(runbook),
    file,
    matchers: score.matchers,
  };
}

/** The matches as a table, for `match` and for `run --alert` with several candidates. */
export function matchTable(matches: readonly AlertMatch[]): string {
  const rows = matches.map(({ runbook, score }) =>
    [runbook.id, severityText(runbook) || '-', runbook.title, score.matchers.join(', ')].map(
      visible,
    ),
  );
  const header = ['ID', 'SEVERITY', 'TITLE', 'MATCHED BY'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: string[]): string =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
  return [header, ...rows].map((row) => `${line(row)}\n`).join('');
}

async function matchCommand(options: Values<typeof flags>, io: Io): Promise<number> {
  if (options.alert === undefined)
    throw new UsageError(
      'runbook match needs --alert FILE',
      'runbook match --alert alert.json (or --alert - to read it from standard input)',
    );
  const alert = await readAlert(options.alert, io);
  const cli = await setup(io, { dir: options.dir });
  const matches = await matchingRunbooks(cli, alert, io);
  if (options.format === 'json') {
    io.stdout.write(`${JSON.stringify({ alert, matches: matches.map(matchJson) }, null, 2)}\n`);
  } else {
    const colors = colorsFor(io.stdout, io.env);
    io.stdout.write(`alert ${alertLine(alert)}\n`);
    if (matches.length === 0) io.stdout.write('no runbook answers this alert\n');
    else {
      const [header = '', ...rest] = matchTable(matches).split(/(?<=\n)/);
      io.stdout.write(colors.bold(header.trimEnd()) + '\n' + rest.join(''));
    }
  }
  return matches.length > 0 ? EXIT.ok : EXIT.failed;
}
