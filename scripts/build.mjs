// Builds the CLI into dist/: one CommonJS bundle of src/ and its small dependencies (large ones
// that only some commands need stay in node_modules and load on first use), then a V8 code cache
// of that bundle made by running a representative command, so that a start does not spend its
// time compiling JavaScript. bin/runbook.js uses the cache when this Node accepts it.
// Type checking is `npm run typecheck`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(dist, 'runbook.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.18',
  // Loaded on first use through the launcher's import() (see src/lazy-import.ts).
  external: ['undici', 'ora', '@inquirer/prompts'],
  sourcemap: 'linked',
  logLevel: 'warning',
});

// Warm the cache with a dry run of the demo runbook: it loads and runs every part a real run does.
const scratch = mkdtempSync(join(tmpdir(), 'runbook-build-'));
const warm = spawnSync(
  process.execPath,
  [
    join(root, 'bin/runbook.js'),
    'run',
    'demo-api-down',
    '--dir',
    join(root, 'runbooks/demo'),
    '--dry-run',
    '--var',
    `state_dir=${scratch}`,
  ],
  {
    encoding: 'utf8',
    env: {
      ...process.env,
      RUNBOOK_STATE_DIR: scratch,
      RUNBOOK_WRITE_CODE_CACHE: join(dist, 'runbook.cjs.cache'),
    },
  },
);
rmSync(scratch, { recursive: true, force: true });
if (warm.status !== 0) {
  process.stderr.write(
    `build: the warm-up run failed (exit ${warm.status}):\n${warm.stdout}${warm.stderr}`,
  );
  process.exit(1);
}
