import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError, type Diagnostic } from '../common/errors.js';
import { readRegularFile } from './import-read.js';
import {
  draftMarkdown,
  finishImport,
  InvalidImportError,
  MarkdownError,
  type DraftedFile,
  type ImportedFile,
  type ImportOptions,
} from '../import/index.js';
import { IMPORT_LIMITS } from '../import/markdown.js';
import { loadExpressions } from '../schema/expressions.js';
import { checkRunbookData, displayPath } from '../schema/load.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { setup } from './setup.js';
import { loader } from '../common/lazy.js';
import { availableParallelism } from 'node:os';
import { makeDirectory, modelinePath, packageRoot } from './package-files.js';

/** Importing on several threads (src/cli/import-pool.ts), only for several files. */
const loadPool = loader('the import workers', () => import('./import-pool.js'));

export interface ImportFlags {
  outDir: string | undefined;
  service: string | undefined;
  severityScheme: string | undefined;
  dryRun: boolean | undefined;
  force: boolean | undefined;
  format: 'text' | 'json';
}

const MARKDOWN = /\.(?:md|markdown|mdown|mkd)$/i;

/** `runbook import <file.md|dir>…` (docs/import.md). Nothing is written unless every file imports. */
export async function importFiles(paths: string[], flags: ImportFlags, io: Io): Promise<number> {
  if (paths.length === 0)
    throw new UsageError(
      'runbook import needs Markdown files or directories',
      'for example: runbook import docs/runbook.md --out-dir runbooks/imported',
    );
  for (const [name, value] of [
    ['--out-dir', flags.outDir],
    ['--service', flags.service],
    ['--severity-scheme', flags.severityScheme],
  ] as const)
    if (value !== undefined && (value === '' || value.startsWith('-')))
      throw new UsageError(
        `${name} needs a value (got ${JSON.stringify(value)})`,
        name === '--out-dir' ? 'write ./-name for a directory whose name starts with -' : undefined,
      );
  if (flags.service !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/.test(flags.service))
    throw new UsageError(
      `--service ${JSON.stringify(flags.service)}: a service name is letters, digits, spaces, . _ and -`,
    );
  // The files first: their size says whether a worker starts, and it loads what it needs while
  // this thread does.
  const inputs = findMarkdown(paths, io.cwd);
  const threads = workerCount(inputs.length, sizeOf(inputs), io.env);
  const pool =
    threads > 1
      ? (await loadPool()).startPool(threads, {
          flags,
          cwd: io.cwd,
          env: io.env,
          warn: (message) => io.stderr.write(`runbook: ${message}\n`),
        })
      : undefined;
  let outDir: string;
  let outcomes: FileOutcome[];
  try {
    const prepared = await prepareImport(flags, io);
    outDir = prepared.outDir;
    const { context } = prepared;
    outcomes = pool
      ? await pool.run(inputs, {
          draft: (input, taken) => draftOne(input, context, taken),
          finish: (file) => finishOne(file, context),
        })
      : await importAll(inputs, context);
  } finally {
    pool?.close();
  }
  const results: Array<ImportedFile & { path: string }> = [];
  const refused: string[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const shown = displayPath(inputs[index]?.path ?? '', io.cwd);
    if (outcome.kind === 'ok') results.push({ ...outcome.file, path: shown });
    else if (outcome.kind === 'refused') refused.push(`${shown}${outcome.detail}`);
    else if (outcome.kind === 'invalid') {
      io.stderr.write(
        `runbook: bug: ${shown}: ${outcome.message}\nnothing was written; please report this with the Markdown file\n`,
      );
      return EXIT.internal;
    } else throw new Error(outcome.message);
  }
  if (refused.length > 0) {
    for (const line of refused) io.stderr.write(`runbook: ${line}\n`);
    io.stderr.write(
      `nothing was written: ${refused.length} of ${inputs.length} file${inputs.length === 1 ? '' : 's'} cannot be imported\n`,
    );
    return EXIT.usage;
  }

  const planned = plannedFiles(results, outDir);
  if (!flags.dryRun) {
    const existing = planned.filter((item) => existsSync(item.file));
    if (existing.length > 0 && !flags.force)
      throw new UsageError(
        `${existing.map((item) => displayPath(item.file, io.cwd)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`,
        'pass --force to overwrite, or --out-dir another directory',
      );
    try {
      makeDirectory(outDir);
      for (const item of planned) writeFile(item.file, item.yaml);
    } catch (error) {
      throw new UsageError(
        `cannot write in ${displayPath(outDir, io.cwd)}: ${(error as Error).message}`,
      );
    }
  }
  const summary = summaryOf(results, planned, outDir, io.cwd, !flags.dryRun);
  io.stdout.write(
    flags.format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : textSummary(summary),
  );
  return EXIT.ok;
}

/** Files from which an import runs on worker threads (docs/import.md#speed). */
export const THREADS_FROM_FILES = 8;

/** Markdown from which an import runs on two threads by itself (docs/import.md#speed): below it,
 * starting the worker costs more than it gains. */
export const THREADS_FROM_BYTES = 1024 * 1024;

/** Threads to import `files` files of `bytes` bytes on: this one, which reads the files and drafts
 * their runbooks, and workers that write and validate them (src/cli/import-pool.ts). From
 * THREADS_FROM_FILES files: RUNBOOK_IMPORT_THREADS=N (or `auto`, one a core); unset, two where
 * there are two cores and THREADS_FROM_BYTES of Markdown. Else 1, this one. The output is the
 * same either way. */
export function workerCount(
  files: number,
  bytes: number,
  env: Record<string, string | undefined>,
  cores: number = availableParallelism(),
): number {
  if (files < THREADS_FROM_FILES) return 1;
  const asked = env.RUNBOOK_IMPORT_THREADS;
  if (!asked) return cores >= 2 && bytes >= THREADS_FROM_BYTES ? 2 : 1;
  const threads = asked === 'auto' ? cores : Number(asked);
  return Number.isInteger(threads) && threads > 1 ? Math.min(threads, files, 16) : 1;
}

/** The bytes of the files, as far as they can be looked at (a file that cannot is reported when it
 * is read). */
function sizeOf(inputs: MarkdownInput[]): number {
  let bytes = 0;
  for (const input of inputs)
    try {
      bytes += statSync(input.path).size;
    } catch {
      // Said when the file is read.
    }
  return bytes;
}

/** What importing one file needs: the options draftMarkdown and finishImport take but the ids
 * taken. */
export type ImportContext = Omit<ImportOptions, 'taken'>;

/** One file's import, as the command reads it in file order (src/cli/import-pool.ts passes it
 * between threads: plain data only). */
export type FileOutcome =
  | { kind: 'ok'; file: ImportedFile }
  /** Not Markdown the importer reads: `detail` follows the file's name (`:LINE: message`). */
  | { kind: 'refused'; detail: string }
  /** The importer made an invalid runbook: a bug. */
  | { kind: 'invalid'; message: string }
  | { kind: 'error'; message: string };

export interface MarkdownInput {
  path: string;
  source: string;
}

/** The configuration, the adapters and the validator an import needs; the main thread and each
 * worker make their own (src/cli/import-worker.ts). */
export async function prepareImport(
  flags: ImportFlags,
  io: Io,
): Promise<{ outDir: string; context: ImportContext }> {
  const cli = await setup(io, { dir: flags.outDir, strict: true, cache: false });
  if (flags.severityScheme !== undefined && !(flags.severityScheme in cli.config.schemes))
    throw new UsageError(
      `unknown severity scheme ${JSON.stringify(flags.severityScheme)}`,
      `known: ${Object.keys(cli.config.schemes).join(', ')} (runbook.config.yaml may add more)`,
    );
  const outDir = cli.dirs[0] ?? resolve(io.cwd, 'runbooks');
  const [adapters, expressions] = await Promise.all([
    cli.registry.load(),
    loadExpressions({ patterns: true, comprehensions: false }),
  ]);
  const validate = (id: string, yaml: string, data: unknown): Promise<Diagnostic[]> =>
    Promise.resolve(
      checkRunbookData(join(outDir, `${id}.yaml`), yaml, data, {
        config: cli.config,
        strict: true,
        cwd: io.cwd,
        // Only the diagnostics are read: what the schema surely accepts is not copied by zod.
        checkOnly: true,
        adapters,
        expressions,
      }).diagnostics,
    );
  const schemaFile = join(packageRoot(), 'schema', 'runbook.schema.json');
  const modeline = modelinePath(outDir, schemaFile);
  return {
    outDir,
    context: {
      service: flags.service,
      severityScheme: flags.severityScheme,
      schemaFor: () => modeline,
      validate,
    },
  };
}

/** Imports one file, its runbooks' ids unique in `taken` (which it adds them to). */
export async function importOne(
  input: MarkdownInput,
  context: ImportContext,
  taken: Set<string>,
): Promise<FileOutcome> {
  const drafted = draftOne(input, context, taken);
  return drafted.kind === 'drafted' ? finishOne(drafted.file, context) : drafted;
}

/** A file read and its runbooks drafted, what finishOne takes (src/cli/import-pool.ts passes it
 * between threads: plain data only). */
export interface Drafted {
  kind: 'drafted';
  file: DraftedFile;
}

/** Reads one file and drafts its runbooks, their ids unique in `taken` (which it adds them to);
 * or says why the file cannot be imported. */
export function draftOne(
  input: MarkdownInput,
  context: ImportContext,
  taken: Set<string>,
): Drafted | FileOutcome {
  try {
    const bytes = readRegularFile(input.path, IMPORT_LIMITS.maxBytes);
    return {
      kind: 'drafted',
      file: draftMarkdown(input.source, bytes, { service: context.service, taken }),
    };
  } catch (error) {
    return failed(error);
  }
}

/** Writes and validates a drafted file's runbooks. */
export async function finishOne(file: DraftedFile, context: ImportContext): Promise<FileOutcome> {
  try {
    return { kind: 'ok', file: await finishImport(file, context) };
  } catch (error) {
    return failed(error);
  }
}

/** What an error met importing a file says of the file; any other error is thrown on. */
function failed(error: unknown): FileOutcome {
  if (error instanceof MarkdownError)
    return { kind: 'refused', detail: `${error.line ? `:${error.line}` : ''}: ${error.message}` };
  if (error instanceof InvalidImportError) return { kind: 'invalid', message: error.message };
  if (error instanceof RangeError)
    return {
      kind: 'refused',
      detail: `: is too deeply nested or too large to parse (${error.message})`,
    };
  throw error;
}

/** Every file in order on this thread, as one import: ids unique across them. It stops at the
 * first bug, as nothing after it is written. */
async function importAll(inputs: MarkdownInput[], context: ImportContext): Promise<FileOutcome[]> {
  const taken = new Set<string>();
  const outcomes: FileOutcome[] = [];
  for (const input of inputs) {
    const outcome = await importOne(input, context, taken);
    outcomes.push(outcome);
    if (outcome.kind === 'invalid') break;
  }
  return outcomes;
}

interface Summary {
  written: boolean;
  out_dir: string;
  files: Array<{
    file: string;
    runbooks: Array<{
      id: string;
      title: string;
      file: string;
      steps: number;
      adapter_actions: number;
      run_steps: number;
      manual_steps: number;
      vars: number;
      step_list: Array<{ id: string; section: string; kind: string; lines: number[] }>;
    }>;
    command_lines: number;
    left_for_person: Array<{ line: number; text: string; why: string; runbook?: string }>;
    repaired: Array<{ line: number; from: string; to: string; encoding: string }>;
  }>;
  totals: {
    files: number;
    runbooks: number;
    steps: number;
    left_for_person: number;
    repaired: number;
  };
}

/** What is written: a page's one runbook as `<id>.yaml`; a page's several runbooks as one catalog
 * of `---` documents, `<page>.yaml` (docs/format.md#catalogs-and-documentation-only-runbooks). */
function plannedFiles(
  results: ReadonlyArray<ImportedFile & { path: string }>,
  outDir: string,
): Array<{ file: string; yaml: string; page: number; ids: string[] }> {
  const names = new Set(
    results.flatMap((result) => (result.runbooks.length === 1 ? [result.runbooks[0]?.id] : [])),
  );
  return results.flatMap((result, page) => {
    const [only] = result.runbooks;
    if (!only) return [];
    if (result.runbooks.length === 1)
      return [{ file: join(outDir, `${only.id}.yaml`), yaml: only.yaml, page, ids: [only.id] }];
    const base =
      basename(result.source)
        .replace(/\.[^.]*$/, '')
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[.-]+/, '') || 'imported';
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
    names.add(name);
    // The modeline once, at the top (an editor applies it to each document); the documents
    // without their own modeline and header comment.
    const [first = ''] = result.runbooks.map((runbook) => runbook.yaml);
    const modeline = first.startsWith('# yaml-language-server:') ? first.split('\n')[0] : undefined;
    const documents = result.runbooks.map(
      (runbook) =>
        `---\n${runbook.yaml.replace(/^# yaml-language-server:.*\n/, '').replace(/^# Imported from .*\n/, '')}`,
    );
    const yaml =
      `${modeline ? `${modeline}\n` : ''}` +
      `# Imported from ${result.source} by runbook import: ${result.runbooks.length} runbooks, one a document; review the steps marked in comments.\n` +
      documents.join('');
    return [
      { file: join(outDir, `${name}.yaml`), yaml, page, ids: result.runbooks.map((r) => r.id) },
    ];
  });
}

function summaryOf(
  results: Array<ImportedFile & { path: string }>,
  planned: ReadonlyArray<{ file: string; page: number }>,
  outDir: string,
  cwd: string,
  written: boolean,
): Summary {
  const files = results.map((result, page) => ({
    file: result.path,
    runbooks: result.runbooks.map((runbook) => ({
      id: runbook.id,
      title: runbook.title,
      file: displayPath(planned.find((item) => item.page === page)?.file ?? '', cwd),
      steps: runbook.steps,
      adapter_actions: runbook.adapterActions,
      run_steps: runbook.runSteps,
      manual_steps: runbook.manualSteps,
      vars: runbook.vars,
      step_list: runbook.stepList,
    })),
    command_lines: result.commandLines,
    left_for_person: result.leftForPerson.map((left) => ({
      line: left.line,
      text: left.text,
      why: left.why,
      ...(left.runbook ? { runbook: left.runbook } : {}),
    })),
    repaired: result.repaired.map((repair) => ({ ...repair })),
  }));
  return {
    written,
    out_dir: displayPath(outDir, cwd),
    files,
    totals: {
      files: files.length,
      runbooks: files.reduce((n, file) => n + file.runbooks.length, 0),
      steps: files.reduce(
        (n, file) => n + file.runbooks.reduce((m, runbook) => m + runbook.steps, 0),
        0,
      ),
      left_for_person: files.reduce((n, file) => n + file.left_for_person.length, 0),
      repaired: files.reduce((n, file) => n + file.repaired.length, 0),
    },
  };
}

/** `1 step`, `2 steps`. */
const count = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

function textSummary(summary: Summary): string {
  let out = '';
  for (const file of summary.files) {
    out += `${file.file}: ${file.runbooks.length} runbook${file.runbooks.length === 1 ? '' : 's'}, ${file.command_lines} command line${file.command_lines === 1 ? '' : 's'}\n`;
    // A page of several runbooks is one catalog file: each runbook by its id in it.
    for (const runbook of file.runbooks)
      out += `  ${file.runbooks.length > 1 ? `${runbook.file}: ${runbook.id}` : runbook.file}  ${count(runbook.steps, 'step')} (${count(runbook.adapter_actions, 'action')}, ${runbook.run_steps} run, ${runbook.manual_steps} manual), ${count(runbook.vars, 'var')}\n`;
    if (file.repaired.length > 0) {
      out += `  repaired mojibake (UTF-8 read as ${[...new Set(file.repaired.map((r) => r.encoding))].join(' and ')}):\n`;
      for (const repair of file.repaired)
        out += `    line ${repair.line}: ${repair.from} → ${repair.to}\n`;
    }
    if (file.left_for_person.length > 0) {
      out += '  left for a person:\n';
      for (const left of file.left_for_person)
        out += `    line ${left.line}: ${oneLine(left.text)} — ${left.why}${left.runbook ? ` (manual step in ${left.runbook})` : ''}\n`;
    }
  }
  const t = summary.totals;
  out += `${summary.written ? 'wrote' : 'would write (dry run)'} ${t.runbooks} strict-valid runbook${t.runbooks === 1 ? '' : 's'} (${t.steps} steps) in ${summary.out_dir}; ${t.left_for_person} left for a person\n`;
  if (summary.written && t.runbooks > 0)
    out += `next: review the comments in them, then runbook validate --strict ${summary.out_dir}\n`;
  return out;
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\\?\n\s*/g, ' ');
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}

/** Each file given, and every Markdown file under each directory given (hidden ones and
 * node_modules left out), sorted; `source` is the name `source:` gives it. */
function findMarkdown(paths: string[], cwd: string): MarkdownInput[] {
  const found: MarkdownInput[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch (error) {
      throw new UsageError(
        `${given}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`,
      );
    }
    if (!isDir) {
      found.push({ path, source: basename(path) });
      continue;
    }
    const before = found.length;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && MARKDOWN.test(entry.name))
          found.push({ path: full, source: relative(path, full).split(sep).join('/') });
      }
    };
    walk(path);
    if (found.length === before)
      throw new UsageError(`${given}: no Markdown files (*.md, *.markdown) in it`);
  }
  return found;
}

function writeFile(file: string, text: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { flag: 'wx', mode: 0o644 });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
