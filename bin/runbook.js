#!/usr/bin/env node
// Launcher only. Loads the bundles built by `npm run build` (run by `npm ci`) with their V8 code
// caches: compiling the bundles from source is most of a cold start. CommonJS (bin/package.json)
// because Node starts a CommonJS main module sooner than an ES module one.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

// RUNBOOK_DIST is for the build's own warm-up run of a bundle not yet in place.
const dist = process.env.RUNBOOK_DIST ?? join(__dirname, '../dist');
const loaded = [];

function load(name) {
  const file = join(dist, name);
  let source;
  try {
    // The build makes the bundles ASCII: latin1 text stays outside the V8 heap (see scripts/build/ascii.mjs).
    source = readFileSync(file, 'latin1');
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
  // Each bundle is the text of a function (exports, require, module, __filename, __dirname).
  const script = new Script(source, { filename: file, cachedData });
  // The cache is read; hand its memory back now rather than at some later collection: every
  // step's fork copies the page tables of what this process holds.
  if (cachedData) structuredClone(cachedData.buffer, { transfer: [cachedData.buffer] });
  loaded.push({ file, script });
  const nodeRequire = createRequire(file);
  const bundleRequire = (id) => (id === './commands.cjs' ? load('commands.cjs') : nodeRequire(id));
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, bundleRequire, bundle, file, dist);
  return bundle.exports;
}

if (process.env.RUNBOOK_WRITE_CODE_CACHE) {
  process.on('exit', () => {
    for (const { file, script } of loaded)
      writeFileSync(`${file}.cache`, script.createCachedData());
  });
}
// The bundles' lazily loaded packages come through this import(): see src/common/lazy.ts. One the
// build bundled on its own (scripts/build.mjs) is read from dist/.
const ownBundles = { pg: 'pg.cjs' };
globalThis.__runbookImport = (specifier) =>
  Object.hasOwn(ownBundles, specifier)
    ? Promise.resolve().then(() => require(join(dist, ownBundles[specifier])))
    : import(specifier);
load('runbook.cjs');
