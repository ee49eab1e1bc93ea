import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readOwnFile, secureDir, writeAtomic } from '../common/state-files.js';

/**
 * What validating a runbook file produced, kept beside the run journals so that the next command
 * reading the same file skips YAML parsing and validation (most of a start; `runbook check`
 * from cron reads the same files every minute). An entry is used only when the file's text, the
 * build of runbook that wrote it and everything else validation depended on (the fingerprint)
 * are all the same, so a hit is exactly what validating again would give. `runbook validate`
 * never uses it. RUNBOOK_NO_CACHE=1 turns it off.
 */
export interface ParseCache {
  get(file: string, text: string, fingerprint: string): unknown;
  set(file: string, text: string, fingerprint: string, value: unknown): void;
}

const FORMAT = 1;

/**
 * How many entries the cache keeps: one per runbook file read, so a directory of runbooks that are
 * renamed, moved or deleted over months would grow without end. Past this, writing an entry
 * removes the least recently written ones.
 */
export const MAX_ENTRIES = 1000;

/** Set by the build (scripts/build/index.mjs): each build has its own. */
declare const __RUNBOOK_BUILD__: string | undefined;

/**
 * The build that names the entries. Running from source (the tests, in-process), the sources
 * themselves name it: a hash of every module under src/, so that an entry written before any
 * source changed is never read after. Computed once, on first use (~10 ms for src/).
 */
function currentBuild(): string | undefined {
  if (typeof __RUNBOOK_BUILD__ === 'string') return __RUNBOOK_BUILD__;
  sourceBuild ??= hashSources(join(import.meta.dirname, '..'));
  return sourceBuild;
}
let sourceBuild: string | undefined;

interface Entry {
  format: number;
  build: string;
  file: string;
  fingerprint: string;
  text: string;
  value: unknown;
}

export function openParseCache(
  stateDir: string,
  env: Record<string, string | undefined>,
  build?: string,
): ParseCache | undefined {
  if ((env.RUNBOOK_NO_CACHE ?? '') !== '') return undefined;
  const name = build ?? currentBuild();
  return name === undefined ? undefined : new FileParseCache(stateDir, name);
}

/** `source-<hash>` of the TypeScript modules under `root` (their paths and text), or undefined
 * when they cannot be read. */
function hashSources(root: string): string | undefined {
  let files: string[];
  try {
    files = (readdirSync(root, { recursive: true }) as string[])
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
      .sort();
  } catch {
    return undefined;
  }
  let hash = '';
  try {
    hash = files.map((name) => `${name}\0${readFileSync(join(root, name), 'utf8')}`).join('\0');
  } catch {
    return undefined;
  }
  return files.length === 0 ? undefined : `source-${hash53(hash)}`;
}

/** A 53-bit hash of a text (two 32-bit lanes mixed with Math.imul), as 14 hex digits: names the
 * sources of a build, and a cache entry (which holds its path itself). */
function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

class FileParseCache implements ParseCache {
  readonly #stateDir: string;
  readonly #dir: string;
  readonly #build: string;
  #checked: boolean | undefined;
  #pruned = false;

  constructor(stateDir: string, build: string) {
    this.#stateDir = stateDir;
    this.#dir = join(stateDir, 'cache', 'runbooks');
    this.#build = build;
  }

  get(file: string, text: string, fingerprint: string): unknown {
    // Only an entry this user wrote and no one else can rewrite, in a directory that is safe: a
    // cached runbook is run.
    if (!this.#safe()) return undefined;
    const raw = readOwnFile(this.#entryPath(file));
    if (raw === undefined) return undefined; // No entry yet, or not one to trust.
    let entry: Partial<Entry>;
    try {
      entry = JSON.parse(raw) as Partial<Entry>;
    } catch {
      return undefined;
    }
    if (
      entry.format !== FORMAT ||
      entry.build !== this.#build ||
      entry.file !== file ||
      entry.fingerprint !== fingerprint ||
      entry.text !== text
    )
      return undefined;
    return entry.value;
  }

  set(file: string, text: string, fingerprint: string, value: unknown): void {
    const serialized = serialize({
      format: FORMAT,
      build: this.#build,
      file,
      fingerprint,
      text,
      value,
    });
    if (serialized === undefined) return;
    if (!this.#safe()) return;
    try {
      writeAtomic(this.#entryPath(file), serialized);
    } catch {
      // A cache that cannot be written only costs the next start its time.
      return;
    }
    if (!this.#pruned) {
      this.#pruned = true;
      this.#prune();
    }
  }

  /** Removes the least recently written entries beyond MAX_ENTRIES (once per command). */
  #prune(): void {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((name) => name.endsWith('.json'));
    } catch {
      return;
    }
    if (names.length <= MAX_ENTRIES) return;
    const entries = names.flatMap((name) => {
      const path = join(this.#dir, name);
      const info = statSync(path, { throwIfNoEntry: false });
      return info?.isFile() ? [{ path, written: info.mtimeMs }] : [];
    });
    entries.sort((a, b) => a.written - b.written);
    for (const { path } of entries.slice(0, entries.length - MAX_ENTRIES)) {
      try {
        unlinkSync(path);
      } catch {
        // Removed meanwhile by another command: what was wanted.
      }
    }
  }

  /** Whether the cache directory can be made and trusted; checked once per command. */
  #safe(): boolean {
    if (this.#checked === undefined) {
      try {
        secureDir(this.#stateDir, 'cache', 'runbooks');
        this.#checked = true;
      } catch {
        this.#checked = false;
      }
    }
    return this.#checked;
  }

  #entryPath(file: string): string {
    const name = basename(file).replace(/[^A-Za-z0-9_.-]/g, '_');
    return join(this.#dir, `${name}-${hash53(file)}.json`);
  }
}

/** JSON of an entry, or undefined when JSON cannot carry a value exactly (Infinity, NaN). */
function serialize(entry: Entry): string | undefined {
  let exact = true;
  const text = JSON.stringify(entry, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false;
    return value;
  });
  return exact ? text : undefined;
}
