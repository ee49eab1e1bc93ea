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
import { alertsNeedPatterns } from './semantics-alerts.js';
import { suggest } from './suggest.js';
import {
  LIMITS,
  parseYamlDocuments,
  tooLarge,
  type ParsedYaml,
  YamlSource,
} from './yaml-source.js';
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

/** What a cache entry holds: a valid runbook and its warnings; for a catalog, each of its
 * runbooks (all valid) with where it is. */
type CachedLoad =
  | { runbook: Runbook; diagnostics: Diagnostic[] }
  | {
      runbooks: Array<{ runbook: Runbook; diagnostics: Diagnostic[]; at: Position | undefined }>;
      catalog: true;
    };

export interface Position {
  line: number;
  col: number;
}

export interface LoadedRunbook {
  file: string;
  /** Present when there are no errors (warnings allowed). */
  runbook: Runbook | undefined;
  diagnostics: Diagnostic[];
  /** Where the runbook's `id:` is in the file (its start when it has none); undefined when the
   * file could not be read as YAML. */
  at?: Position | undefined;
  /** The file holds several runbooks (a catalog, docs/format.md). */
  catalog?: boolean;
}

/**
 * Parses and validates every runbook of a file: one for a plain runbook file, each document of a
 * `---` separated file and each entry of a `runbooks:` list for a catalog (docs/format.md). Every
 * problem is reported, at its place in the file; nothing is thrown for bad input.
 */
export async function loadRunbooks(file: string, options: LoadOptions): Promise<LoadedRunbook[]> {
  const shown = displayPath(file, options.cwd);
  const maxBytes = options.config.maxFileBytes ?? LIMITS.maxBytes;
  const read = readRunbookBytes(file, maxBytes);
  if (!read.ok) {
    const diagnostic: Diagnostic =
      read.size === undefined
        ? { file: shown, line: 1, col: 1, severity: 'error', message: read.message }
        : tooLarge(shown, read.size, maxBytes);
    return [{ file: shown, runbook: undefined, diagnostics: [diagnostic] }];
  }
  const bytes = read.bytes;
  const cache = options.cache;
  // latin1 maps every byte to one character: the cache compares the exact bytes.
  const text = cache ? bytes.toString('latin1') : '';
  const fingerprint = cache ? loadFingerprint(options) : '';
  const hit = cache?.get(file, text, fingerprint) as CachedLoad | undefined;
  if (hit && 'runbook' in hit && hit.runbook)
    return [
      {
        file: shown,
        runbook: hit.runbook,
        diagnostics: hit.diagnostics.map((diagnostic) => ({ ...diagnostic, file: shown })),
      },
    ];
  if (hit && 'runbooks' in hit && Array.isArray(hit.runbooks) && hit.runbooks.length > 0)
    return hit.runbooks.map(({ runbook, diagnostics, at }) => ({
      file: shown,
      runbook,
      diagnostics: diagnostics.map((diagnostic) => ({ ...diagnostic, file: shown })),
      at,
      catalog: true,
    }));
  const parsed = parseYamlDocuments(shown, bytes, 'runbook', maxBytes);
  if (!parsed.ok) return [{ file: shown, runbook: undefined, diagnostics: parsed.diagnostics }];
  const documents = parsed.documents.filter((document) => document.ok);
  // Validation looks up the adapters the file names, and checks every expression and pattern.
  const [adapters, expressions] = await Promise.all([
    options.registry.load(documents.flatMap((document) => adaptersUsedBy(document.data))),
    loadExpressions({
      patterns: documents.some((document) => hasPatterns(document.source.text, document.data)),
      // Validation evaluates no comprehension (see checkConstant).
      comprehensions: false,
    }),
  ]);
  const loaded = checkRunbooks(shown, parsed.documents, {
    ...options,
    // A runbook kept in the cache is run by other commands: it must be zod's copy.
    checkOnly: options.checkOnly === true && cache === undefined,
    adapters,
    expressions,
  });
  const [only] = loaded;
  if (cache && only && loaded.every((one) => one.runbook)) {
    const entry: CachedLoad =
      loaded.length === 1 && only.catalog !== true
        ? { runbook: only.runbook as Runbook, diagnostics: only.diagnostics }
        : {
            runbooks: loaded.map((one) => ({
              runbook: one.runbook as Runbook,
              diagnostics: one.diagnostics,
              at: one.at,
            })),
            catalog: true,
          };
    cache.set(file, text, fingerprint, entry);
  }
  return loaded;
}

/**
 * The runbook of a file: its only one (whatever its id), or the one with `id` of a catalog. A
 * catalog asked for none, or for an id it does not hold, gives an error diagnostic.
 */
export async function loadRunbookFile(
  file: string,
  options: LoadOptions,
  id?: string,
): Promise<LoadedRunbook> {
  return pickRunbook(await loadRunbooks(file, options), id);
}

function pickRunbook(all: LoadedRunbook[], id: string | undefined): LoadedRunbook {
  const [first] = all;
  if (!first) throw new Error('a file gives at least one result');
  // A file of one runbook gives it whatever its id: the caller compares, and says so its own way.
  if (all.length === 1 && (first.catalog !== true || first.runbook?.id === id)) return first;
  const found = id === undefined ? undefined : all.find((one) => one.runbook?.id === id);
  if (found) return found;
  const invalid = all.filter((one) => !one.runbook);
  const ids = all.flatMap((one) => (one.runbook ? [one.runbook.id] : []));
  return {
    file: first.file,
    runbook: undefined,
    diagnostics: [
      ...invalid.flatMap((one) => one.diagnostics),
      {
        file: first.file,
        line: 1,
        col: 1,
        severity: 'error',
        message:
          id === undefined
            ? `the file holds ${all.length} runbooks${ids.length > 0 ? ` (valid: ${ids.join(', ')})` : ', none of them valid'}: name one by its id`
            : `the file holds no valid runbook with id "${id}"${ids.length > 0 ? ` (it holds ${ids.join(', ')})` : ''}`,
      },
    ],
    catalog: true,
  };
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

/** Parses and validates the runbooks of some bytes, with the adapters and the language `options`
 * hold: one result per runbook, as loadRunbooks. */
export function parseRunbooks(
  file: string,
  bytes: Uint8Array,
  options: ParseOptions,
): LoadedRunbook[] {
  const parsed = parseYamlDocuments(
    file,
    bytes,
    'runbook',
    options.config.maxFileBytes ?? LIMITS.maxBytes,
  );
  if (!parsed.ok) return [{ file, runbook: undefined, diagnostics: parsed.diagnostics }];
  return checkRunbooks(file, parsed.documents, options);
}

/** Parses and validates runbook bytes holding one runbook (or, with `id`, the runbook with that
 * id of several). */
export function parseRunbook(
  file: string,
  bytes: Uint8Array,
  options: ParseOptions,
  id?: string,
): LoadedRunbook {
  return pickRunbook(parseRunbooks(file, bytes, options), id);
}

/**
 * Validates a runbook a program built as parseRunbook validates its YAML: `data` is what `text`
 * reads as (the importer's runbook and the YAML it writes of it, src/import/). The text is parsed
 * only to place a diagnostic, when there is one.
 */
export function checkRunbookData(
  file: string,
  text: string,
  data: unknown,
  options: ParseOptions,
): LoadedRunbook {
  const source = new YamlSource(file, text);
  return pickRunbook(
    checkRunbooks(file, [{ ok: true, source, data, diagnostics: [] }], options),
    undefined,
  );
}

/** One runbook's data and where it is: a document, or an entry of a document's `runbooks:`. */
interface Part {
  source: YamlSource;
  data: unknown;
}

/** The runbooks of a file's documents, each checked, then their ids compared. */
function checkRunbooks(
  file: string,
  documents: readonly ParsedYaml[],
  options: ParseOptions,
): LoadedRunbook[] {
  const results: LoadedRunbook[] = [];
  const parts: Array<Part | undefined> = [];
  for (const document of documents) {
    if (!document.ok) {
      results.push({ file, runbook: undefined, diagnostics: document.diagnostics });
      parts.push(undefined);
      continue;
    }
    const list = catalogList(document.source, document.data);
    if (list === undefined) {
      parts.push({ source: document.source, data: document.data });
      results.push({ file, runbook: undefined, diagnostics: document.diagnostics });
    } else if (!list.ok) {
      parts.push(undefined);
      results.push({
        file,
        runbook: undefined,
        diagnostics: [...document.diagnostics, ...list.diagnostics],
      });
    } else {
      list.entries.forEach((entry, index) => {
        parts.push(entry);
        results.push({
          file,
          runbook: undefined,
          diagnostics: index === 0 ? document.diagnostics : [],
        });
      });
    }
  }
  const catalog = results.length > 1 || documents.some((d) => d.ok && isListDocument(d.data));
  results.forEach((result, index) => {
    const part = parts[index];
    if (!part) return;
    const checked = checkRunbook(file, part, result.diagnostics, options, !catalog);
    Object.assign(result, checked);
  });
  if (catalog) {
    for (const result of results) result.catalog = true;
    duplicateIds(results, parts);
  }
  return results;
}

/** A document that is a `runbooks:` list rather than one runbook. */
function isListDocument(data: unknown): boolean {
  return (
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    'runbooks' in data &&
    !('id' in data)
  );
}

/** The entries of a `runbooks:` list document; undefined for a document that is one runbook. */
function catalogList(
  source: YamlSource,
  data: unknown,
): { ok: true; entries: Part[] } | { ok: false; diagnostics: Diagnostic[] } | undefined {
  if (!isListDocument(data)) return undefined;
  const record = data as Record<string, unknown>;
  const diagnostics: Diagnostic[] = [];
  for (const key of Object.keys(record))
    if (key !== 'runbooks')
      diagnostics.push(
        source.diagnosticAtPath([], `unknown key "${key}" beside runbooks:`, {
          key,
          hint: 'a catalog document holds only runbooks: (a list of runbooks), each with its own keys',
        }),
      );
  const list = record.runbooks;
  if (!Array.isArray(list) || list.length === 0)
    diagnostics.push(
      source.diagnosticAtPath(['runbooks'], 'runbooks: is a list of at least one runbook', {
        hint: 'each entry is a runbook: - id: …, title: …',
      }),
    );
  if (diagnostics.length > 0 || !Array.isArray(list)) return { ok: false, diagnostics };
  return {
    ok: true,
    entries: list.map((data: unknown, index) => ({ source: source.at(['runbooks', index]), data })),
  };
}

/** Two runbooks of one file with the same id: an error at each. */
function duplicateIds(results: LoadedRunbook[], parts: Array<Part | undefined>): void {
  const byId = new Map<string, number[]>();
  parts.forEach((part, index) => {
    const id = isObject(part?.data) ? part.data.id : undefined;
    if (typeof id === 'string') byId.set(id, [...(byId.get(id) ?? []), index]);
  });
  for (const [id, indexes] of byId) {
    if (indexes.length < 2) continue;
    for (const index of indexes) {
      const result = results[index] as LoadedRunbook;
      const others = indexes
        .filter((other) => other !== index)
        .map((other) => `line ${results[other]?.at?.line ?? '?'}`);
      result.diagnostics.push(
        (parts[index] as Part).source.diagnosticAtPath(
          ['id'],
          `runbook id "${id}" is given twice in this file (also at ${others.join(', ')})`,
          { hint: 'give each runbook of a catalog its own id' },
        ),
      );
      sortDiagnostics(result.diagnostics);
      result.runbook = undefined;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkRunbook(
  file: string,
  part: Part,
  earlier: Diagnostic[],
  options: ParseOptions,
  single: boolean,
): LoadedRunbook {
  const { source, data } = part;
  const diagnostics = [...earlier];
  // Finding a position parses the file with the library: only a catalog's runbooks need one.
  let at: Position | undefined;
  if (!single) {
    const hasId = isObject(data) && 'id' in data;
    const start =
      (hasId ? source.idPosition() : undefined) ?? source.diagnosticAtPath(hasId ? ['id'] : [], '');
    at = { line: start.line, col: start.col };
  }
  if (!isObject(data)) {
    diagnostics.push(
      source.diagnosticAtPath(
        [],
        `a runbook is a mapping with id, title and steps, not ${Array.isArray(data) ? 'a list' : `a ${data === null ? 'null' : typeof data}`}`,
      ),
    );
    return { file, runbook: undefined, diagnostics, at };
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
      // A catalog's runbooks share the file: their ids cannot all match its name.
      fileId: single ? basename(file, extname(file)) : undefined,
      hosts: Object.keys(options.config.hosts),
      ...(options.config.groups ? { groups: Object.keys(options.config.groups) } : {}),
    }),
  );
  sortDiagnostics(diagnostics);
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { file, runbook: failed || !result.success ? undefined : result.data, diagnostics, at };
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

/** The valid runbooks with this id in the given runbook files (a catalog's among them): only the
 * files holding an `id:` line with it are parsed. */
export async function runbooksWithId(
  id: string,
  files: readonly string[],
  options: LoadOptions,
): Promise<LoadedRunbook[]> {
  const idLine = new RegExp(`^[ \\t-]*id:[ \\t]*(["']?)${escapeRegExp(id)}\\1[ \\t]*(#.*)?$`, 'm');
  const found: LoadedRunbook[] = [];
  for (const file of files) {
    const read = readRunbookBytes(file, options.config.maxFileBytes ?? LIMITS.maxBytes);
    if (!read.ok || !idLine.test(read.bytes.toString('utf8'))) continue;
    for (const loaded of await loadRunbooks(file, options))
      if (loaded.runbook?.id === id) found.push(loaded);
  }
  return found;
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
    const all = await loadRunbooks(file, options);
    const found = all.filter((loaded) => loaded.runbook?.id === id);
    matches.push(...found);
    // A file named after the id that does not load is the one meant: its errors are the answer.
    if (found.length === 0 && byName.length === 1 && byName[0] === file) {
      const named = pickRunbook(all, id);
      if (!named.runbook) matches.push(named);
    }
  }
  const [first, second] = matches;
  if (first && second) {
    const where = (match: LoadedRunbook): string =>
      `${displayPath(match.file, options.cwd)}${match.at ? `:${match.at.line}` : ''}`;
    throw new InvalidRunbookError(
      matches.map((match) => ({
        file: displayPath(match.file, options.cwd),
        line: match.at?.line ?? 1,
        col: match.at?.col ?? 1,
        severity: 'error' as const,
        message: `runbook id "${id}" is defined ${new Set(matches.map((m) => m.file)).size === matches.length ? `in ${matches.length} files` : `${matches.length} times`}: ${matches.map(where).join(', ')}`,
      })),
      'give each runbook its own id (the file is runbooks/<area>/<id>.yaml, or one entry of a catalog)',
    );
  }
  if (first) return check(first);
  const shownDirs = dirs.map((dir) => displayPath(dir, options.cwd)).join(', ');
  const ids: string[] = [];
  for (const file of files)
    for (const loaded of await loadRunbooks(file, options))
      if (loaded.runbook) ids.push(loaded.runbook.id);
  const near = suggest(id, ids);
  throw new NotFoundError(
    `no runbook with id "${id}" in ${shownDirs || 'the runbook directories'}`,
    near
      ? `did you mean "${near}"? (list them with: runbook list)`
      : 'list them with: runbook list',
  );
}

/** A runbook's text with positions, for diagnostics found after it was loaded (the checks of its
 * calls, which need other runbooks): the document or catalog entry that holds `id` (the first
 * runbook without one); undefined when the file can no longer be read. */
export function runbookSource(
  file: string,
  shown: string,
  options: Pick<LoadOptions, 'config'>,
  id?: string,
): YamlSource | undefined {
  const maxBytes = options.config.maxFileBytes ?? LIMITS.maxBytes;
  const read = readRunbookBytes(file, maxBytes);
  if (!read.ok) return undefined;
  const parsed = parseYamlDocuments(shown, read.bytes, 'runbook', maxBytes);
  if (!parsed.ok) return undefined;
  const parts: Part[] = [];
  for (const document of parsed.documents) {
    if (!document.ok) continue;
    const list = catalogList(document.source, document.data);
    if (list === undefined) parts.push({ source: document.source, data: document.data });
    else if (list.ok) parts.push(...list.entries);
  }
  const part =
    id === undefined ? parts[0] : parts.find((one) => isObject(one.data) && one.data.id === id);
  return part?.source;
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
  if (mentionsPatterns(text) || alertsNeedPatterns(text)) return true;
  if (!text.includes('\\')) return false;
  try {
    const json = JSON.stringify(data);
    return mentionsPatterns(json) || alertsNeedPatterns(json);
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
