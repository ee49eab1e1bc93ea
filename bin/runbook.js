#!/usr/bin/env node
// Launcher only. Loads the bundles built by `npm run build` (run by `npm ci`) with their V8 code
// caches: compiling the bundles from source is most of a cold start.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// RUNBOOK_DIST is for the build's own warm-up run of a bundle not yet in place.
const dist = process.env.RUNBOOK_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '../dist');
const loaded = [];

function load(name) {
  const file = join(dist, name);
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    process.stderr.write(
      `runbook: dist/${name} is missing: run \`npm run build\` (npm ci does it)\n`,
    );
    process.exit(70);
  }
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // No cache: compile from source.
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  loaded.push({ file, script });
  const nodeRequire = createRequire(file);
  const require = (id) => (id === './commands.cjs' ? load('commands.cjs') : nodeRequire(id));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, file, dist);
  return module.exports;
}

if (process.env.RUNBOOK_WRITE_CODE_CACHE) {
  process.on('exit', () => {
    for (const { file, script } of loaded)
      writeFileSync(`${file}.cache`, script.createCachedData());
  });
}
// The bundles' lazily loaded modules come through this import(): see src/lazy-import.ts.
globalThis.__runbookImport = (specifier) => import(specifier);
load('runbook.cjs');
