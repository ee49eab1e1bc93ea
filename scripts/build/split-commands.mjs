// Start-up trick: two bundles. dist/runbook.cjs holds only what `runbook --version` needs (the
// argument check and the version text, src/cli/entry.ts and main.ts); everything else is in
// dist/commands.cjs, which main.ts loads on first use. Without it, `--version` loads, compiles (or
// reads the code cache of) the whole CLI. Its worth is measured by bench/tricks.mjs and written in
// docs/performance.md.

/** @type {import('./trick.mjs').Trick} */
export const splitCommands = {
  name: 'split-commands',
  bundles: [
    { file: 'runbook.cjs', entry: 'src/cli/entry.ts', role: 'entry' },
    { file: 'commands.cjs', entry: 'src/cli/commands.ts', role: 'commands' },
  ],
  esbuild(role) {
    if (role !== 'entry') return {};
    return {
      // The entry reaches the commands bundle with require() (through the launcher, which gives
      // it its code cache) rather than import(), which Node 20 cannot resolve from a code-cached
      // vm.Script.
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
    };
  },
};
