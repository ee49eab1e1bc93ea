// The architecture's one-way imports, one rule per layer (docs/architecture.md):
//   cli → (schema, engine, report, import) → adapters → exec, and everything → common.
// The engine receives its process runner (src/engine/ports.ts) and never imports exec; only exec
// starts processes; only cli and report print or prompt. test/integration/lint/layers.int.test.ts proves that a
// crossing import fails.

/** What each layer may import besides itself and common. */
export const LAYERS = {
  common: [],
  exec: [],
  adapters: ['exec'],
  schema: ['adapters'],
  engine: ['schema', 'adapters'],
  report: ['engine', 'schema', 'adapters'],
  import: ['schema'],
  cli: ['engine', 'schema', 'report', 'import', 'adapters', 'exec'],
};

const PRINTING = ['chalk', 'ora', '@inquirer/prompts'];

function rulesFor(layer) {
  const allowed = new Set([layer, 'common', ...LAYERS[layer]]);
  const forbidden = Object.keys(LAYERS).filter((other) => !allowed.has(other));
  const paths = [];
  if (layer !== 'exec')
    paths.push({ name: 'node:child_process', message: 'Only src/exec starts processes.' });
  if (layer !== 'cli' && layer !== 'report')
    for (const name of PRINTING)
      paths.push({ name, message: 'Only src/cli and src/report print or prompt.' });
  return {
    'no-restricted-imports': [
      'error',
      {
        paths,
        patterns: forbidden.map((other) => ({
          group: [`**/${other}/*`],
          message: `src/${layer} may import only ${[...allowed].map((name) => `src/${name}`).join(', ')} (docs/architecture.md).`,
        })),
      },
    ],
  };
}

/** One ESLint config object per layer, for src/<layer>/**, tests excepted. */
export const layerConfigs = Object.keys(LAYERS).map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  ignores: ['src/**/*.test.ts'],
  rules: rulesFor(layer),
}));
