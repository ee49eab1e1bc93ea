// The architecture's one-way imports, one rule per layer (docs/architecture.md):
//   cli → (report, import) → (state, scenario) → engine → schema → adapters → exec, and
//   everything → common. src/scenario runs `runbook test`'s scenarios through the engine.
// The engine receives its process runner (src/engine/ports.ts) and never imports exec; only exec
// starts processes; only cli and report print or prompt. test/integration/lint/layers.int.test.ts
// proves that a crossing import fails. Beside them, lazyLoadingConfig keeps lazy imports inside
// loaders (test/integration/lint/lazy-loading.int.test.ts).

/** What each layer may import besides itself and common. */
export const LAYERS = {
  common: [],
  exec: [],
  adapters: ['exec'],
  schema: ['adapters'],
  engine: ['schema', 'adapters'],
  state: ['engine', 'schema', 'adapters'],
  scenario: ['engine', 'schema', 'adapters'],
  report: ['state', 'scenario', 'engine', 'schema', 'adapters'],
  import: ['schema'],
  cli: ['state', 'scenario', 'engine', 'schema', 'report', 'import', 'adapters', 'exec'],
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

/**
 * One way to load lazily (docs/architecture.md#lazy-loading): `import()` and `importLazily()`
 * only inside a `loader()`, whose handle code gets by awaiting it. src/common/lazy.ts defines
 * them; tests import as they like. test/integration/lint/lazy-loading.int.test.ts proves it.
 */
export const lazyLoadingConfig = {
  files: ['src/**/*.ts'],
  ignores: ['src/**/*.test.ts', 'src/common/lazy.ts'],
  rules: {
    'no-restricted-syntax': [
      'error',
      {
        selector: 'ImportExpression:not(CallExpression[callee.name="loader"] ImportExpression)',
        message:
          'Import lazily inside a loader() from src/common/lazy.ts (docs/architecture.md#lazy-loading).',
      },
      {
        selector:
          'CallExpression[callee.name="importLazily"]:not(CallExpression[callee.name="loader"] CallExpression)',
        message:
          'Import lazily inside a loader() from src/common/lazy.ts (docs/architecture.md#lazy-loading).',
      },
    ],
  },
};
