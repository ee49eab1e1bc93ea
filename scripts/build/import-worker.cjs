// A worker thread of `runbook import` (src/cli/import-pool.ts starts it; scripts/build.mjs copies
// this file to dist/). It runs the commands bundle as bin/runbook.js does — the bundle is the text
// of a function (exports, require, module, __filename, __dirname), read with its code cache — and
// calls the bundle's importWorker (src/cli/import-worker.ts). Its own import() resolves packages
// from dist/, as the launcher's does from bin/.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const fail = (error) =>
  parentPort.postMessage({ failed: String(error instanceof Error ? error.message : error) });
try {
  const file = join(__dirname, workerData.bundle);
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // No cache: compile from source.
  }
  const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  globalThis.__runbookImport = (specifier) => import(specifier);
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, __dirname);
  bundle.exports.importWorker().then((worker) => worker.workerMain(), fail);
} catch (error) {
  fail(error);
}
