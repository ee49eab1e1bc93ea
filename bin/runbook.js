#!/usr/bin/env node
// Launcher only. Loads the bundle built by `npm run build` (run by `npm ci`) with its V8 code cache:
// compiling the bundle from source is most of a cold start.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = join(dirname(fileURLToPath(import.meta.url)), '../dist/runbook.cjs');
const cacheFile = `${file}.cache`;
let source;
try {
  source = readFileSync(file, 'utf8');
} catch {
  process.stderr.write(
    'runbook: dist/runbook.cjs is missing: run `npm run build` (npm ci does it)\n',
  );
  process.exit(70);
}
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache: compile from source.
}
const script = new Script(Module.wrap(source), { filename: file, cachedData });
if (process.env.RUNBOOK_WRITE_CODE_CACHE) {
  const target = process.env.RUNBOOK_WRITE_CODE_CACHE;
  process.on('exit', () => writeFileSync(target, script.createCachedData()));
}
// The bundle's lazily loaded modules come through this import(): see src/lazy-import.ts.
globalThis.__runbookImport = (specifier) => import(specifier);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
