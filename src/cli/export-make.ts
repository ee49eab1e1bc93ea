import { existsSync, linkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import { exportMarkdown } from '../report/export-md.js';
import { displayPath, findRunbook } from '../schema/load.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { processes } from './processes.js';
import { setup } from './setup.js';

export interface ExportFlags {
  dir: string | undefined;
  format: 'md';
  out: string | undefined;
  force: boolean | undefined;
}

/** `runbook export <id>` (docs/commands.md#export): the runbook as Markdown, to standard output or
 * to `--out`, written whole or not at all. */
export async function exportRunbook(id: string, flags: ExportFlags, io: Io): Promise<number> {
  if (flags.out !== undefined && (flags.out === '' || flags.out.startsWith('-')))
    throw new UsageError(
      `--out needs a file (got ${JSON.stringify(flags.out)})`,
      'write ./-name for a file whose name starts with -',
    );
  const cli = await setup(io, { dir: flags.dir });
  const { runbook } = await findRunbook(id, cli.dirs, cli.load);
  if (!runbook) return EXIT.usage;
  const markdown = await exportMarkdown(runbook, { registry: cli.registry, ports: processes });
  if (flags.out === undefined) {
    io.stdout.write(markdown);
    return EXIT.ok;
  }
  const out = resolve(io.cwd, flags.out);
  const shown = displayPath(out, io.cwd);
  if (existsSync(out)) {
    if (statSync(out).isDirectory())
      throw new UsageError(
        `--out ${shown} is a directory`,
        `for example: --out ${join(shown, `${id}.md`)}`,
      );
    if (!flags.force)
      throw new UsageError(
        `${shown} already exists; nothing was written`,
        'pass --force to overwrite it',
      );
  }
  writeWhole(out, markdown, flags.force === true, shown);
  io.stderr.write(`wrote ${shown}\n`);
  return EXIT.ok;
}

/** Writes beside the file and moves it into place: readers see no part of it. Without `replace`,
 * the move fails if the file appeared meanwhile (a hard link never replaces a file). */
function writeWhole(file: string, text: string, replace: boolean, shown: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { flag: 'wx', mode: 0o644 });
    if (replace) renameSync(temp, file);
    else {
      linkSync(temp, file);
      rmSync(temp);
    }
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !replace)
      throw new UsageError(
        `${shown} already exists; nothing was written`,
        'pass --force to overwrite it',
      );
    throw new UsageError(
      `cannot write ${shown}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
    );
  }
}
