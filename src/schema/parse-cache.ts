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

/** Set by the build (scripts/build.mjs): each build has its own. Running from source: no cache. */
declare const __RUNBOOK_BUILD__: string | undefined;
const BUILD = typeof __RUNBOOK_BUILD__ === 'string' ? __RUNBOOK_BUILD__ : undefined;

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
  build: string | undefined = BUILD,
): ParseCache | undefined {
  if (build === undefined || (env.RUNBOOK_NO_CACHE ?? '') !== '') return undefined;
  return new FileParseCache(stateDir, build);
}

class FileParseCache implements ParseCache {
  readonly #stateDir: string;
  readonly #dir: string;
  readonly #build: string;
  #checked: boolean | undefined;

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
    return join(this.#dir, `${name}-${fnv1a(file)}.json`);
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

/** A 64-bit FNV-1a hash of a path, as hex: names the entry, which holds the path itself. */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
