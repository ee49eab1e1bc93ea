import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerConfigs, lazyLoadingConfig } from './eslint.layers.js';

// Node holds AbortSignal.timeout()'s signal weakly and AbortSignal.any()'s sources too: a
// deadline can be collected before it fires. src/common/abort.ts holds them.
const SIGNALS = [
  {
    object: 'AbortSignal',
    property: 'timeout',
    message: 'Use timeoutSignal() or linkSignal() from src/common/abort.ts.',
  },
  {
    object: 'AbortSignal',
    property: 'any',
    message: 'Use linkSignal() from src/common/abort.ts.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist.*/**', 'node_modules/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      'no-restricted-properties': ['error', ...SIGNALS],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // In the product, not in tests: the first use of `performance` loads perf_hooks, ~1.6 ms of
    // every start.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...SIGNALS,
        {
          object: 'performance',
          property: 'now',
          message: 'Use monotonicMs() from src/common/clock.ts.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
      },
    },
  },
  {
    // The launcher is CommonJS (bin/package.json), and so is the start of import's workers.
    files: ['bin/**/*.js', 'scripts/build/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        __dirname: 'readonly',
        globalThis: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layers' one-way imports, and one way to load lazily (eslint.layers.js).
  ...layerConfigs,
  lazyLoadingConfig,
);
