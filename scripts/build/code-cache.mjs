// Start-up trick: V8 code caches. Compiling the bundles is most of a cold start; bin/runbook.js
// compiles each bundle with vm.Script and the cache beside it (dist/<bundle>.cache), so that V8
// deserializes code instead of parsing and compiling it. The caches are made by a real run of a
// small runbook that touches what every run does — YAML and validation, templating and expressions
// (when, capture, expect), the journal, and shell steps of both forms — so the functions it
// compiled lazily are in the cache too; what it leaves out compiles on first use.
//
// Node's own compile cache (module.enableCompileCache(), NODE_COMPILE_CACHE) would do this without
// a launcher of our own, but it arrived in Node 22.1 and runbook supports Node 20.18 and later. On
// Node 20, a code-cached vm.Script also loses its dynamic-import callback, which is why the
// launcher lends its own import() (src/common/lazy.ts). Its worth is measured by
// bench/tricks.mjs and written in docs/performance.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WARM_UP = [
  'id: warm-up',
  'title: Build warm-up',
  'severity: P3',
  'vars:',
  '  word: { default: ready, description: What to say }',
  'detection:',
  '  checks:',
  '    - id: probe',
  '      run: echo ${{ vars.word }}',
  '      expect: { exit_code: 0, stdout: { contains: ready } }',
  'diagnosis:',
  '  - id: say',
  '    run: ["echo", "${{ vars.word }}"]',
  '    capture: { said: outputs.stdout }',
  '    expect: ["outputs.exit_code == 0"]',
  '  - id: follow-up',
  '    when: steps.say.status == "succeeded" && steps.probe.outputs.exit_code == 0',
  '    run: "true"',
  '    timeout: 10s',
  '',
].join('\n');

/** @type {import('./trick.mjs').Trick} */
export const codeCache = {
  name: 'code-cache',
  after({ dist, launcher }) {
    const scratch = mkdtempSync(join(tmpdir(), 'runbook-build-'));
    try {
      writeFileSync(join(scratch, 'warm-up.yaml'), WARM_UP);
      const warm = spawnSync(
        process.execPath,
        [launcher, 'run', 'warm-up', '--dir', scratch, '--non-interactive'],
        {
          encoding: 'utf8',
          cwd: scratch,
          env: {
            ...process.env,
            RUNBOOK_STATE_DIR: join(scratch, 'state'),
            RUNBOOK_WRITE_CODE_CACHE: '1',
            RUNBOOK_DIST: dist,
          },
        },
      );
      if (warm.status !== 0)
        throw new Error(
          `the warm-up run failed (exit ${warm.status}):\n${warm.stdout}${warm.stderr}`,
        );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
