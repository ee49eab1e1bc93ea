import { resolve } from 'node:path';
import type { Diagnostic } from '../common/errors.js';
import { displayPath, findRunbookFiles, loadRunbookFile } from '../schema/load.js';
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
  const seen = new Map<string, string>();
  // Only the diagnostics and the ids are read of the files.
  const load = { ...cli.load, checkOnly: true };
  for (const file of files) {
    const loaded = await loadRunbookFile(file, load);
    const result: FileResult = {
      file: loaded.file,
      id: loaded.runbook?.id,
      diagnostics: loaded.diagnostics,
    };
    const id = loaded.runbook?.id;
    if (id) {
      const other = seen.get(id);
      if (other) {
        result.diagnostics.push({
          file: loaded.file,
          line: 1,
          col: 1,
          severity: 'error',
          message: `duplicate runbook id "${id}" (also in ${other})`,
          hint: 'runbook ids must be unique',
        });
      } else seen.set(id, loaded.file);
    }
    results.push(result);
  }
  const errors = results.reduce(
    (n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length,
    0,
  );
  const warnings = results.reduce(
    (n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length,
    0,
  );
  const invalidFiles = results.filter((r) =>
    r.diagnostics.some((d) => d.severity === 'error'),
  ).length;

  switch (options.format) {
    case 'json':
      io.stdout.write(validationJson(results));
      break;
    case 'junit':
      io.stdout.write(validationJunit(results));
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
          `${colors.green('✓')} ${files.length} runbook${files.length === 1 ? '' : 's'} valid${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
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
