import { shellQuote } from '../common/quote.js';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirectory, modelinePath, packageRoot } from './package-files.js';
import { UsageError } from '../common/errors.js';
import { displayPath, findRunbookFiles, runbooksWithId } from '../schema/load.js';
import { ID_PATTERN } from '../schema/runbook.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { setup } from './setup.js';
import type { TemplateName } from './new.js';
import { TEMPLATES } from './templates.js';

export interface NewOptions {
  template: TemplateName;
  dir: string | undefined;
  force: boolean | undefined;
}

/** `runbook new <id>`: writes `<dir>/<id>.yaml` and `<dir>/<id>.test.yaml` from a template. */
export async function newRunbook(id: string, options: NewOptions, io: Io): Promise<number> {
  if (!ID_PATTERN.test(id))
    throw new UsageError(
      `invalid runbook id ${JSON.stringify(id)}: an id is kebab-case (lowercase letters, digits and hyphens, starting with a letter or digit)`,
      'for example: runbook new api-down',
    );
  if (options.dir?.startsWith('-'))
    throw new UsageError(
      `--dir needs a directory (got ${JSON.stringify(options.dir)})`,
      'write ./-name for a directory whose name starts with -',
    );
  const cli = await setup(io, { dir: options.dir });
  const dir = cli.dirs[0] ?? resolve(io.cwd, 'runbooks');
  const runbookFile = join(dir, `${id}.yaml`);
  const scenarioFile = join(dir, `${id}.test.yaml`);
  const existing = [runbookFile, scenarioFile].filter((file) => existsSync(file));
  if (existing.length > 0 && !options.force)
    throw new UsageError(
      `${existing.map((file) => displayPath(file, io.cwd)).join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`,
      'pass --force to overwrite, or choose another id',
    );
  // An id taken by another file, or by an entry of a catalog, would make `runbook run` refuse both.
  const elsewhere = (
    await runbooksWithId(
      id,
      await findRunbookFiles(cli.dirs.filter((one) => existsSync(one))),
      cli.load,
    )
  ).filter((loaded) => resolve(io.cwd, loaded.file) !== runbookFile);
  const [taken] = elsewhere;
  if (taken)
    throw new UsageError(
      `runbook id "${id}" is taken: ${taken.file}${taken.at ? `:${taken.at.line}` : ''} defines it; nothing was written`,
      'choose another id',
    );
  const files = renderTemplate(id, options.template, dir);
  try {
    makeDirectory(dir);
    writeFileSync(runbookFile, files.runbook);
    writeFileSync(scenarioFile, files.scenarios);
  } catch (error) {
    throw new UsageError(
      `cannot write in ${displayPath(dir, io.cwd)}: ${(error as Error).message}`,
    );
  }
  const shown = shellQuote(displayPath(runbookFile, io.cwd));
  io.stdout.write(
    `wrote ${displayPath(runbookFile, io.cwd)}\nwrote ${displayPath(scenarioFile, io.cwd)}\n` +
      `next: runbook validate --strict ${shown} && runbook test ${shown}\n`,
  );
  return EXIT.ok;
}

/** The two files of a template for `id`, as written into `dir`. */
export function renderTemplate(
  id: string,
  template: TemplateName,
  dir: string,
): { runbook: string; scenarios: string } {
  const { runbook, scenarios } = TEMPLATES[template];
  const schemaDir = join(packageRoot(), 'schema');
  const title = `${id.charAt(0).toUpperCase()}${id.slice(1).replace(/-/g, ' ')}`;
  return {
    runbook: `${modeline(dir, join(schemaDir, 'runbook.schema.json'))}id: ${id}\n${runbook.replace('__ID__', title)}`,
    scenarios: `${modeline(dir, join(schemaDir, 'scenario.schema.json'))}runbook: ${id}\n${scenarios}`,
  };
}

/** The editor's schema line: the path from the new file's directory to the schema of this
 * runbook installation, as the shipped runbooks have it (docs/format.md). */
function modeline(dir: string, schemaFile: string): string {
  return `# yaml-language-server: $schema=${modelinePath(dir, schemaFile)}\n`;
}
