// Start-up trick: zod without its locales. zod's namespace carries the messages of every locale
// (a quarter of the commands bundle); runbook speaks English only, so `z.locales` holds just `en`.
// A smaller bundle is less to read, to load from the code cache and to keep in memory (which
// every step's fork copies the page tables of). It resolves a path inside zod's package, so an
// upgrade of zod that moves its locales makes the build fail loudly rather than silently keep
// them. Its worth is measured by bench/tricks.mjs and written in docs/performance.md.
import { dirname, join } from 'node:path';

/** @type {import('./trick.mjs').Trick} */
export const englishZod = {
  name: 'english-zod',
  esbuild(role) {
    if (role === 'entry') return {};
    return {
      plugins: [
        {
          name: 'zod-english-only',
          setup(context) {
            let replaced = false;
            context.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
              if (!/[\\/]zod[\\/]/.test(args.importer)) return undefined;
              replaced = true;
              return {
                path: join(dirname(args.importer), '../locales/index.js'),
                namespace: 'zod-locales',
              };
            });
            context.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
              contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
              resolveDir: dirname(args.path),
            }));
            context.onEnd((result) => {
              if (result.errors.length === 0 && !replaced)
                throw new Error(
                  "english-zod: zod's locales were not found where this plugin looks",
                );
            });
          },
        },
      ],
    };
  },
};
