// Bundles src/ into dist/ (one entry, lazily loaded chunks per command) so that startup does not
// pay for resolving hundreds of module files. Type checking is `npm run typecheck`.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { runbook: 'src/cli/entry.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "import { createRequire as __runbookRequire } from 'node:module'; const require = __runbookRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
