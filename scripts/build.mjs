// Builds the CLI into dist/ as two CommonJS bundles: runbook.cjs (argument parsing, help, errors)
// and commands.cjs (every command, loaded on first use), so that `runbook --version` loads only the
// first. Large modules that only some commands need (undici, ora, the prompts) stay in
// node_modules. Then a V8 code cache of each bundle, made by running a representative command, so
// that a start does not spend its time compiling JavaScript; bin/runbook.js uses the caches when
// this Node accepts them. Type checking is `npm run typecheck`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Built beside dist/ and swapped in at the end, so a CLI running meanwhile never sees half a build.
const final = join(root, 'dist');
const dist = `${final}.build-${process.pid}`;
rmSync(dist, { recursive: true, force: true });

// Each bundle is written as the function the launcher calls (what Module.wrap would make of it),
// so that the launcher compiles the file's text as it is rather than a copy joined to a wrapper.
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Names this build in the parse cache's entries (src/schema/parse-cache.ts).
  define: { __RUNBOOK_BUILD__: JSON.stringify(`${Date.now().toString(36)}-${process.pid}`) },
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
};

/**
 * Escapes what esbuild leaves outside ASCII (comments, regular expression literals) as \uXXXX,
 * valid in every place it can occur. An ASCII file is read by the launcher as latin1, which Node
 * keeps outside the V8 heap, and a one-byte string is half the size of a two-byte one: memory
 * every step's fork copies the page tables of.
 */
function toAscii(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (ascii !== text) writeFileSync(file, ascii);
}

// The entry loads the commands bundle with require() (through the launcher, which gives it its
// code cache) rather than import(), which Node 20 cannot resolve from a code-cached vm.Script.
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(dist, 'runbook.cjs'),
  supported: { 'dynamic-import': false },
  plugins: [
    {
      name: 'commands-bundle',
      setup(context) {
        context.onResolve({ filter: /^\.\/commands\.js$/ }, () => ({
          path: './commands.cjs',
          external: true,
        }));
      },
    },
  ],
});
// zod's namespace carries every locale (a quarter of the bundle); runbook speaks English only, so
// `z.locales` holds just `en`.
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(context) {
    context.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    context.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

await build({
  ...common,
  entryPoints: [join(root, 'src/cli/commands.ts')],
  plugins: [englishOnlyZod],
  outfile: join(dist, 'commands.cjs'),
  // Loaded on first use through the launcher's import() (see src/common/lazy.ts).
  external: ['undici', 'ora', '@inquirer/prompts', 're2js'],
  // The bundle is one function of (…, __filename, __dirname): dist/ stands for the module's folder,
  // from which src/schema/expression-worker.ts resolves the packages its worker loads.
  define: { ...common.define, 'import.meta.dirname': '__dirname' },
});

toAscii(join(dist, 'runbook.cjs'));
toAscii(join(dist, 'commands.cjs'));

// Warm the caches with a real run of a small runbook that touches what every run does: YAML and
// validation, templating and expressions (when, capture, expect), the journal, and shell steps of
// both forms actually started. What it leaves out compiles on first use.
const scratch = mkdtempSync(join(tmpdir(), 'runbook-build-'));
writeFileSync(
  join(scratch, 'warm-up.yaml'),
  [
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
  ].join('\n'),
);
const warm = spawnSync(
  process.execPath,
  [join(root, 'bin/runbook.js'), 'run', 'warm-up', '--dir', scratch, '--non-interactive'],
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
rmSync(scratch, { recursive: true, force: true });
if (warm.status !== 0) {
  process.stderr.write(
    `build: the warm-up run failed (exit ${warm.status}):\n${warm.stdout}${warm.stderr}`,
  );
  rmSync(dist, { recursive: true, force: true });
  process.exit(1);
}
const old = `${final}.old-${process.pid}`;
if (existsSync(final)) renameSync(final, old);
renameSync(dist, final);
rmSync(old, { recursive: true, force: true });
