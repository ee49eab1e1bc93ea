import { basename, extname, resolve } from 'node:path';
import { NotFoundError, type Diagnostic } from '../common/errors.js';
import { callSites, checkCalls } from '../schema/calls.js';
import { locate } from '../schema/load-calls.js';
import type { LoadOptions } from '../schema/load.js';
import type { Runbook } from '../schema/runbook.js';
import type { CliSetup } from './setup.js';
import { displayPath, findRunbookFiles, loadRunbooks } from '../schema/load.js';
import { formatDiagnostic } from '../report/diagnostics.js';
import { validationJunit } from '../report/junit.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup } from './setup.js';
import { arg, defineCommand, dirFlag, flag, inventoryFlag, type Values } from './define.js';
import { validationJson } from '../report/json.js';

const flags = {
  dir: dirFlag,
  inventory: inventoryFlag,
  strict: flag.boolean(
    '--strict',
    'also fail unguarded destructive steps and ids that do not match file names',
  ),
  format: flag.choice('--format <format>', 'text, json or junit', ['text', 'json', 'junit']),
};

export const validate = defineCommand({
  name: 'validate',
  summary: 'Check runbook files; every problem at file:line:col (exit 2 when invalid)',
  args: { paths: arg.variadic('paths', 'files or directories (default: the runbook directories)') },
  flags,
  handler: ({ paths }, options, io) => validateFiles(paths, options, io),
});

interface FileResult {
  file: string;
  id: string | undefined;
  diagnostics: Diagnostic[];
  /** The runbook, when the file holds a valid one: its calls are checked once all are read. */
  runbook?: Runbook | undefined;
}

async function validateFiles(
  paths: string[],
  options: Values<typeof flags>,
  io: Io,
): Promise<number> {
  // Validation is the authority: it never takes an earlier result from the cache.
  const cli = await setup(io, {
    dir: options.dir,
    strict: options.strict ?? false,
    cache: false,
    inventory: options.inventory,
  });
  const targets = paths.length > 0 ? paths.map((path) => resolve(io.cwd, path)) : cli.dirs;
  const files = await findRunbookFiles(targets);
  const results: FileResult[] = [];
  const seen = new Map<
    string,
    { here: string; result: FileResult; line: number; col: number; told: boolean }
  >();
  // Only the diagnostics and the ids are read of the files.
  const load = { ...cli.load, checkOnly: true };
  for (const file of files)
    for (const loaded of await loadRunbooks(file, load)) {
      const result: FileResult = {
        file: loaded.file,
        id: loaded.runbook?.id,
        diagnostics: loaded.diagnostics,
        runbook: loaded.runbook,
      };
      const id = loaded.runbook?.id;
      // Where the id is: its line in a catalog, else the top of the file.
      const here = `${loaded.file}${loaded.at ? `:${loaded.at.line}` : ''}`;
      if (id) {
        const other = seen.get(id);
        if (other) {
          result.diagnostics.push({
            file: loaded.file,
            line: loaded.at?.line ?? 1,
            col: loaded.at?.col ?? 1,
            severity: 'error',
            message: `duplicate runbook id "${id}" (also in ${other.here})`,
            hint: 'runbook ids must be unique',
          });
          // Said at both places: the first one is as much to blame.
          if (!other.told) {
            other.told = true;
            other.result.diagnostics.push({
              file: other.result.file,
              line: other.line,
              col: other.col,
              severity: 'error',
              message: `duplicate runbook id "${id}" (also in ${here})`,
              hint: 'runbook ids must be unique',
            });
          }
        } else
          seen.set(id, {
            here,
            result,
            line: loaded.at?.line ?? 1,
            col: loaded.at?.col ?? 1,
            told: false,
          });
      }
      results.push(result);
    }
  await checkFileCalls(results, files, cli, load);
  const errors = results.reduce(
    (n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length,
    0,
  );
  const warnings = results.reduce(
    (n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length,
    0,
  );
  const invalidFiles = new Set(
    results.filter((r) => r.diagnostics.some((d) => d.severity === 'error')).map((r) => r.file),
  ).size;

  switch (options.format) {
    case 'json':
      io.stdout.write(validationJson(results.map(({ runbook: _runbook, ...result }) => result)));
      break;
    case 'junit':
      io.stdout.write(validationJunit(results.map(({ runbook: _runbook, ...result }) => result)));
      break;
    case 'text': {
      const colors = colorsFor(io.stdout, io.env);
      for (const result of results)
        for (const diagnostic of result.diagnostics)
          io.stdout.write(`${formatDiagnostic(diagnostic, colors)}\n\n`);
      if (files.length === 0)
        io.stdout.write(
          `no runbook files found in ${targets.map((t) => displayPath(t, io.cwd)).join(', ')}\n`,
        );
      else if (errors === 0)
        io.stdout.write(
          `${colors.green('✓')} ${results.length} runbook${results.length === 1 ? '' : 's'} valid${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
        );
      else
        io.stdout.write(
          `${colors.red('✗')} ${errors} error${errors === 1 ? '' : 's'} in ${invalidFiles} of ${files.length} file${files.length === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
        );
      break;
    }
    default: {
      const unreachable: never = options.format;
      return unreachable;
    }
  }
  // Nothing to validate is a mistake in the paths given (a directory named x.yaml, say), not a pass.
  return errors > 0 || files.length === 0 ? EXIT.usage : EXIT.ok;
}

/**
 * The calls of the runbooks read (docs/format.md#sub-runbooks), checked against the runbooks read
 * and those of the runbook directories, so that validating one file still finds the runbooks it
 * calls. The directories are read only when some runbook calls.
 */
async function checkFileCalls(
  results: FileResult[],
  files: readonly string[],
  cli: CliSetup,
  load: LoadOptions,
): Promise<void> {
  const calling = results.filter((result) => result.runbook && callSites(result.runbook).length);
  if (calling.length === 0) return;
  const byId = new Map<string, Runbook>();
  for (const { runbook } of results)
    if (runbook && !byId.has(runbook.id)) byId.set(runbook.id, runbook);
  let catalog: string[] = [];
  try {
    catalog = await findRunbookFiles(cli.dirs);
  } catch (error) {
    // Runbook directories that cannot be listed: calls are checked against the files given.
    if (!(error instanceof NotFoundError)) throw error;
  }
  const read = new Set(files);
  for (const file of catalog) {
    if (read.has(file)) continue;
    for (const loaded of await loadRunbooks(file, load))
      if (loaded.runbook && !byId.has(loaded.runbook.id))
        byId.set(loaded.runbook.id, loaded.runbook);
  }
  const ids = [...byId.keys()];
  // A file that does not hold a valid runbook is taken to define the id of its name.
  const invalid = new Set(
    results.flatMap((result) =>
      result.runbook ? [] : [basename(result.file, extname(result.file))],
    ),
  );
  for (const result of calling) {
    const problems = checkCalls(result.runbook as Runbook, (id) => byId.get(id), ids, invalid);
    if (problems.length === 0) continue;
    result.diagnostics.push(...locate(result.file, problems, cli.load, result.id));
    result.diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  }
}
