// Builds the CLI into dist/: esbuild bundles of src/, each written as the function the launcher
// calls — (exports, require, module, __filename, __dirname), what Module.wrap would make of it — so
// that bin/runbook.js compiles the file's text as it is. Large modules that only some commands
// need (undici, ora, the prompts, re2js) stay in node_modules. Type checking is `npm run
// typecheck`.
//
// The start-up tricks are plugins in scripts/build/, one file each, applied in order; each says
// what it does and why, and bench/tricks.mjs measures what each is worth (docs/performance.md).
//
// Usage: node scripts/build.mjs [--out <dir>] [--without <trick>[,<trick>…]] [--launcher <file>]
//   --out       where to build (default dist/); --without leaves tricks out (for bench/tricks.mjs);
//   --launcher  the launcher the warm-up run uses (default bin/runbook.js).
import { build } from 'esbuild';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ascii } from './build/ascii.mjs';
import { codeCache } from './build/code-cache.mjs';
import { englishZod } from './build/english-zod.mjs';
import { minify } from './build/minify.mjs';
import { splitCommands } from './build/split-commands.mjs';

const TRICKS = [splitCommands, englishZod, minify, ascii, codeCache];

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const without = new Set((option('--without') ?? '').split(',').filter(Boolean));
for (const name of without)
  if (!TRICKS.some((trick) => trick.name === name)) {
    process.stderr.write(
      `build: no trick named ${name} (${TRICKS.map((trick) => trick.name).join(', ')})\n`,
    );
    process.exit(2);
  }
const tricks = TRICKS.filter((trick) => !without.has(trick.name));
const final = resolve(option('--out') ?? join(root, 'dist'));
const launcher = resolve(option('--launcher') ?? join(root, 'bin/runbook.js'));

// Built beside its place and swapped in at the end, so a CLI running meanwhile never sees half a
// build.
const dist = `${final}.build-${process.pid}`;
rmSync(dist, { recursive: true, force: true });

const bundles = tricks.find((trick) => trick.bundles)?.bundles ?? [
  { file: 'runbook.cjs', entry: 'src/cli/entry.ts', role: 'all' },
];

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
  // Loaded on first use through the launcher's import() (see src/common/lazy.ts).
  external: ['undici', 'ora', '@inquirer/prompts', 're2js', 'pg'],
  define: {
    // Names this build in the parse cache's entries (src/schema/parse-cache.ts).
    __RUNBOOK_BUILD__: JSON.stringify(`${Date.now().toString(36)}-${process.pid}`),
    // The bundle is one function of (…, __filename, __dirname): dist/ stands for the module's
    // folder, from which src/schema/expression-worker.ts resolves the packages its worker loads.
    'import.meta.dirname': '__dirname',
  },
};

/** Puts src/state/pg-crypto.ts in the place of pg/lib/crypto/utils.js; the build fails if pg no
 * longer has that module, rather than silently keep WebCrypto. */
const pgNodeCrypto = {
  name: 'pg-node-crypto',
  setup(context) {
    let replaced = false;
    context.onResolve({ filter: /^\.\/(?:crypto\/)?utils$/ }, (args) => {
      if (!/[\\/]pg[\\/]lib[\\/]crypto[\\/]utils$/.test(join(args.resolveDir, args.path)))
        return undefined;
      replaced = true;
      return { path: join(root, 'src/state/pg-crypto.ts') };
    });
    context.onEnd((result) => {
      if (result.errors.length === 0 && !replaced)
        throw new Error("pg-node-crypto: pg's crypto/utils.js was not found where it was");
    });
  },
};

/** markdown-it's class fields, compiled for old engines, go through Babel's `_defineProperty`,
 * which turns each key into a property key and looks it up on the prototype first: seven calls for
 * every token, and a store V8 cannot specialise, as the key varies. markdown-it's classes have no
 * accessors, so each field is assigned as written in the constructor (`this.map = null`), which is
 * what the class field does, and the helper, left for the static fields, is a plain assignment
 * (docs/import.md#speed). The build fails if the helper or its calls are no longer as they were. */
const markdownItFields = {
  name: 'markdown-it-fields',
  setup(context) {
    let replaced = false;
    context.onLoad({ filter: /[\\/]markdown-it[\\/]dist[\\/]markdown-it\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const helper = /function _defineProperty\(e, r, t\) \{\n[^}]*\}\) : e\[r\] = t, e;\n\}/;
      // `_defineProperty(this, /** doc */ "name", value)` → `(this.name = value)`.
      const field = /_defineProperty\(\s*this,\s*(?:\/\*\*[\s\S]*?\*\/\s*)?"([A-Za-z_$][\w$]*)",/g;
      if (!helper.test(text) || !field.test(text)) return undefined;
      const contents = text
        .replace(helper, 'function _defineProperty(e, r, t) {\n\te[r] = t;\n\treturn e;\n}')
        .replace(field, '(this.$1 =');
      if (contents.includes('_defineProperty(this')) return undefined;
      replaced = true;
      return { contents, loader: 'js' };
    });
    context.onEnd((result) => {
      if (result.errors.length === 0 && !replaced)
        throw new Error("markdown-it-fields: markdown-it's class fields were not as they were");
    });
  },
};

try {
  for (const bundle of bundles) {
    const options = { ...common, plugins: bundle.role === 'entry' ? [] : [markdownItFields] };
    for (const trick of tricks) {
      const extra = trick.esbuild?.(bundle.role) ?? {};
      Object.assign(options, extra, { plugins: [...options.plugins, ...(extra.plugins ?? [])] });
    }
    await build({
      ...options,
      entryPoints: [join(root, bundle.entry)],
      outfile: join(dist, bundle.file),
    });
  }
  // node-postgres, loaded only with the team store (src/state/pg-store.ts), as one file of its
  // own: bin/runbook.js loads it from dist/ in about half the time its forty files take
  // (docs/state.md#speed). Its native binding and its Cloudflare socket are never used here; its
  // crypto helpers are src/state/pg-crypto.ts's (that file says why).
  await build({
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: common.target,
    logLevel: 'warning',
    entryPoints: [createRequire(join(root, 'package.json')).resolve('pg')],
    outfile: join(dist, 'pg.cjs'),
    external: ['pg-native', 'pg-cloudflare', 'cloudflare:sockets'],
    plugins: [pgNodeCrypto],
  });
  for (const trick of tricks) await trick.after?.({ root, dist, launcher, bundles });
  // The start of `runbook import`'s worker threads, which run the commands bundle
  // (src/cli/import-pool.ts).
  copyFileSync(join(root, 'scripts/build/import-worker.cjs'), join(dist, 'import-worker.cjs'));
} catch (error) {
  process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
  rmSync(dist, { recursive: true, force: true });
  process.exit(1);
}

const old = `${final}.old-${process.pid}`;
if (existsSync(final)) renameSync(final, old);
renameSync(dist, final);
rmSync(old, { recursive: true, force: true });
