import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** What `runbook new` and `runbook import` both need to write runbook files. */

/** The path of `schemaFile` as a modeline in a file of `dir` gives it: relative, with `/`. */
export function modelinePath(dir: string, schemaFile: string): string {
  const path = relative(dir, schemaFile);
  return isAbsolute(path) ? path : path.split(sep).join('/');
}

/** mkdir -p, one level at a time: Node's recursive mkdirSync never returns under /proc. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const path of missing) mkdirSync(path);
}

/** The directory holding this installation's package.json and schema/ (a checkout, or the
 * package npm installed): the nearest one above this module, whether it runs from src/ or dist/. */
export function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(import.meta.dirname, '..');
    dir = parent;
  }
}
