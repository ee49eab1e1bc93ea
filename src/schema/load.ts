import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { InvalidRunbookError, NotFoundError, type Diagnostic } from '../common/errors.js';
import type { AdapterRegistry, LoadedAdapters } from '../adapters/registry.js';
import type { Config } from './config.js';
import { runbookSchema, type Runbook } from './runbook.js';
import { loadExpressions, type Expressions } from './expressions.js';
import type { ParseCache } from './parse-cache.js';
import { mentionsPatterns } from './regex.js';
import { checkSemantics, collectSteps } from './semantics.js';
import { suggest } from './suggest.js';
import { LIMITS, parseYaml, tooLarge, type ParsedYaml } from './yaml-source.js';
import { accepts } from './zod-accept.js';
import { diagnosticsFromZod, zodIssues } from './zod-diagnostics.js';

export interface LoadOptions {
  registry: AdapterRegistry;
  config: Config;
  strict?: boolean;
  /** How file names appear in messages (relative to here). */
  cwd?: string;
  /** Results of earlier validations of the same files (see parse-cache.ts). */
  cache?: ParseCache;
  /**
   * Only the diagnostics and the id are read (validate): a runbook that the schema surely accepts
   * (zod-accept.ts) is not parsed by zod, and is given as read rather than as zod's copy of it
   * (the same values, its keys in another order).
   */
  checkOnly?: boolean;
}

/** What parsing runbook bytes needs, loaded: the adapters they name and the expression language. */
export interface ParseOptions extends Pick<LoadOptions, 'config' | 'strict' | 'cwd' | 'checkOnly'> {
  /** At least the adapters the runbook's steps name (`AdapterRegistry.load`). */
  adapters: LoadedAdapters;
  /** The expression language, with RE2 when the runbook has patterns (`loadExpressions`). */
  expressions: Expressions;
}

/** What a cache entry holds: a valid runbook and its warnings. */
interface CachedLoad {
  runbook: Runbook;
  diagnostics: Diagnostic[];
}

export interface LoadedRunbook {
  file: string;
  /** Present when there are no errors (warnings allowed). */
  runbook: Runbook | undefined;
  diagnostics: Diagnostic[];
}

/** Parses and validates one runbook file; every problem is reported, nothing is thrown for bad input. */
export async function loadRunbookFile(file: string, options: LoadOptions): Promise<LoadedRunbook> {
  const shown = displayPath(file, options.cwd);
  const maxBytes = options.config.maxFileBytes ?? LIMITS.maxBytes;
  const read = readRunbookBytes(file, maxBytes);
  if (!read.ok) {
    const diagnostic: Diagnostic =
      read.size === undefined
        ? { file: shown, line: 1, col: 1, severity: 'error', message: read.message }
        : tooLarge(shown, read.size, maxBytes);
    return { file: shown, runbook: undefined, diagnostics: [diagnostic] };
  }
  const bytes = read.bytes;
  const cache = options.cache;
  // latin1 maps every byte to one character: the cache compares the exact bytes.
  const text = cache ? bytes.toString('latin1') : '';
  const fingerprint = cache ? loadFingerprint(options) : '';
  const hit = cache?.get(file, text, fingerprint) as CachedLoad | undefined;
  if (hit) {
    return {
      file: shown,
      runbook: hit.runbook,
      diagnostics: hit.diagnostics.map((diagnostic) => ({ ...diagnostic, file: shown })),
    };
  }
  const parsed = parseYaml(shown, bytes, 'runbook', maxBytes);
  if (!parsed.ok) return { file: shown, runbook: undefined, diagnostics: parsed.diagnostics };
  // Validation looks up the adapters the file names, and checks every expression and pattern.
  const [adapters, expressions] = await Promise.all([
    options.registry.load(adaptersUsedBy(parsed.data)),
    loadExpressions({
      patterns: hasPatterns(parsed.source.text, parsed.data),
      // Validation evaluates no comprehension (see checkConstant).
      comprehensions: false,
    }),
  ]);
  const loaded = checkRunbook(shown, parsed, {
    ...options,
    // A runbook kept in the cache is run by other commands: it must be zod's copy.
    checkOnly: options.checkOnly === true && cache === undefined,
    adapters,
    expressions,
  });
  if (cache && loaded.runbook) {
    const entry: CachedLoad = { runbook: loaded.runbook, diagnostics: loaded.diagnostics };
    cache.set(file, text, fingerprint, entry);
  }
  return loaded;
}

/**
 * The bytes of a runbook file: only a regular file, and only up to `maxBytes` (its size is looked at
 * before anything is read). Opened without blocking, so a FIFO given by name cannot hang the read.
 */
function readRunbookBytes(
  file: string,
  maxBytes: number,
): { ok: true; bytes: Buffer } | { ok: false; message: string; size?: number } {
  // Synchronous: a runbook file is small and local, and a thread-pool round trip per file cost more
  // than the read itself when validating a thousand of them.
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      message:
        code === 'ENOENT'
          ? 'no such file'
          : code === 'ELOOP'
            ? 'too many levels of symbolic links'
            : code === 'EACCES'
              ? 'cannot read: permission denied'
              : `cannot read: ${(error as Error).message}`,
    };
  }
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) return { ok: false, message: 'is a directory, not a runbook file' };
    if (!info.isFile())
      return {
        ok: false,
        message: 'not a regular file (a FIFO, socket or device is never read as a runbook)',
      };
    if (info.size > maxBytes) return { ok: false, message: '', size: info.size };
    const bytes = Buffer.allocUnsafe(info.size);
    let offset = 0;
    while (offset < info.size) {
      const read = readSync(fd, bytes, offset, info.size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return { ok: true, bytes: bytes.subarray(0, offset) };
  } catch (error) {
    return { ok: false, message: `cannot read: ${(error as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** Everything besides the file that validating it depends on. */
function loadFingerprint(options: LoadOptions): string {
  return JSON.stringify({
    strict: options.strict ?? false,
    schemes: options.config.schemes,
    defaultScheme: options.config.defaultScheme,
    hosts: Object.keys(options.config.hosts).sort(),
    groups: options.config.groups ? Object.keys(options.config.groups).sort() : null,
    adapters: options.registry.names().sort(),
  });
}

/** Parses and validates runbook bytes, with the adapters and the language `options` hold. */
export function parseRunbook(
  file: string,
  bytes: Uint8Array,
  options: ParseOptions,
): LoadedRunbook {
  return checkRunbook(
    file,
    parseYaml(file, bytes, 'runbook', options.config.maxFileBytes ?? LIMITS.maxBytes),
    options,
  );
}

function checkRunbook(file: string, parsed: ParsedYaml, options: ParseOptions): LoadedRunbook {
  if (!parsed.ok) return { file, runbook: undefined, diagnostics: parsed.diagnostics };
  const { source, data } = parsed;
  const diagnostics = [...parsed.diagnostics];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    diagnostics.push(
      source.diagnosticAt(
        0,
        `a runbook is a mapping with id, title and steps, not ${Array.isArray(data) ? 'a list' : `a ${typeof data}`}`,
      ),
    );
    return { file, runbook: undefined, diagnostics };
  }
  const schema = runbookSchema();
  const result =
    options.checkOnly === true && accepts(schema, data)
      ? { success: true as const, data: data as Runbook }
      : schema.safeParse(data);
  if (!result.success) diagnostics.push(...diagnosticsFromZod(source, zodIssues(result), schema));
  diagnostics.push(
    ...checkSemantics(source, data, {
      adapters: options.adapters,
      expressions: options.expressions,
      schemes: options.config.schemes,
      defaultScheme: options.config.defaultScheme,
      strict: options.strict ?? false,
      fileId: basename(file, extname(file)),
      hosts: Object.keys(options.config.hosts),
      ...(options.config.groups ? { groups: Object.keys(options.config.groups) } : {}),
    }),
  );
  sortDiagnostics(diagnostics);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { file, runbook: failed || !result.success ? undefined : result.data, diagnostics };
}

function sortDiagnostics(diagnostics: Diagnostic[]): void {
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
}

export function displayPath(file: string, cwd: string | undefined): string {
  if (!cwd) return file;
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

const RUNBOOK_FILE = /\.ya?ml$/;
const NOT_RUNBOOKS = /(\.test\.ya?ml|^runbook\.config\.ya?ml)$/;

/**
 * Every runbook file under the given files and directories, sorted. Synchronous inside: listing a
 * local directory is quick, and node:fs/promises would cost every start 2 ms to load.
 */
export async function findRunbookFiles(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const stat = (path: string): Stats | undefined => statSync(path, { throwIfNoEntry: false });
  const walk = (path: string, explicit: boolean): void => {
    let info;
    try {
      info = statSync(path);
    } catch (error) {
      if (explicit) throw unreadable(path, error);
      return;
    }
    if (info.isDirectory()) {
      let entries: Dirent[];
      try {
        entries = readdirSync(path, { withFileTypes: true });
      } catch (error) {
        throw unreadable(path, error);
      }
      // Code-unit order, as `LC_ALL=C ls` lists them: localeCompare's first call loads ICU (~10 ms).
      for (const entry of entries.sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      )) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        const child = join(path, entry.name);
        if (entry.isDirectory()) walk(child, false);
        else if (RUNBOOK_FILE.test(entry.name) && !NOT_RUNBOOKS.test(entry.name)) {
          // A FIFO, a device or a link to one would hang or flood the reader: only regular files.
          let target: Dirent | Stats | undefined = entry;
          if (entry.isSymbolicLink()) {
            try {
              target = stat(child);
            } catch (error) {
              throw unreadable(child, error);
            }
            if (!target) throw unreadable(child, Object.assign(new Error(), { code: 'ENOENT' }));
          }
          if (target.isFile()) found.push(child);
          else if (!target.isDirectory()) throw notRegular(child);
        }
      }
    } else if (info.isFile()) found.push(resolve(path));
    else throw notRegular(path);
  };
  for (const path of paths) walk(resolve(path), true);
  return [...new Set(found)];
}

function notRegular(path: string): NotFoundError {
  return new NotFoundError(
    `${path}: not a regular file (a FIFO, socket or device is never read as a runbook)`,
    'move it out of the runbook directory',
  );
}

/** A path that cannot be listed, as a message naming it and why. */
function unreadable(path: string, error: unknown): NotFoundError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'no such file or directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many levels of symbolic links'
          : ((error as Error).message ?? String(error));
  return new NotFoundError(
    `${path}: ${why}`,
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'give the runbook directory with --dir or RUNBOOK_DIR, or list it under dirs: in runbook.config.yaml'
      : undefined,
  );
}

/** Finds a runbook by id: first by file name (`<id>.yaml`), else by reading every file. Two files
 * with the same id are refused, naming both: which one would run must never be a guess. */
export async function findRunbook(
  id: string,
  dirs: readonly string[],
  options: LoadOptions,
): Promise<LoadedRunbook> {
  const files = await findRunbookFiles(dirs.filter(Boolean));
  const byName = files.filter((file) => basename(file, extname(file)) === id);
  // Parsing every file on each start would cost more than the run: only the files named after the
  // id, or holding an `id:` line with it, can define it.
  const idLine = new RegExp(`^[ \\t-]*id:[ \\t]*(["']?)${escapeRegExp(id)}\\1[ \\t]*(#.*)?$`, 'm');
  const candidates: string[] = [...byName];
  for (const file of files) {
    if (byName.includes(file)) continue;
    const read = readRunbookBytes(file, options.config.maxFileBytes ?? LIMITS.maxBytes);
    if (read.ok && idLine.test(read.bytes.toString('utf8'))) candidates.push(file);
  }
  const matches: LoadedRunbook[] = [];
  for (const file of candidates) {
    const loaded = await loadRunbookFile(file, options);
    if (loaded.runbook?.id === id) matches.push(loaded);
    else if (!loaded.runbook && byName.length === 1 && byName[0] === file) matches.push(loaded);
  }
  const [first, second] = matches;
  if (first && second) {
    throw new InvalidRunbookError(
      matches.map((match) => ({
        file: displayPath(match.file, options.cwd),
        line: 1,
        col: 1,
        severity: 'error' as const,
        message: `runbook id "${id}" is defined in ${matches.length} files: ${matches.map((m) => displayPath(m.file, options.cwd)).join(', ')}`,
      })),
      'give each runbook its own id (the file is runbooks/<area>/<id>.yaml)',
    );
  }
  if (first) return check(first);
  const shownDirs = dirs.map((dir) => displayPath(dir, options.cwd)).join(', ');
  const ids: string[] = [];
  for (const file of files) {
    const loaded = await loadRunbookFile(file, options);
    if (loaded.runbook) ids.push(loaded.runbook.id);
  }
  const near = suggest(id, ids);
  throw new NotFoundError(
    `no runbook with id "${id}" in ${shownDirs || 'the runbook directories'}`,
    near
      ? `did you mean "${near}"? (list them with: runbook list)`
      : 'list them with: runbook list',
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function check(loaded: LoadedRunbook): LoadedRunbook {
  if (!loaded.runbook)
    throw new InvalidRunbookError(
      loaded.diagnostics,
      `fix it, then check with: runbook validate ${loaded.file}`,
    );
  return loaded;
}

/** Whether a runbook file has patterns (`matches`), in its text or, spelled with an escape
 * (`"m\\x61tches"`), only in its data. */
function hasPatterns(text: string, data: unknown): boolean {
  if (mentionsPatterns(text)) return true;
  if (!text.includes('\\')) return false;
  try {
    return mentionsPatterns(JSON.stringify(data));
  } catch {
    return true; // JSON cannot hold the data (aliases in a cycle): take it to have some
  }
}

/** The adapter names a runbook's steps use, read from its raw data (valid or not). */
function adaptersUsedBy(data: unknown): string[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  return collectSteps(data as Record<string, unknown>).flatMap(({ step }) =>
    typeof step.uses === 'string' ? [step.uses.split('.')[0] ?? ''] : [],
  );
}
