import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { lazyLoadingConfig } from '../../../eslint.layers.js';
import { ROOT } from '../../helpers/cli.js';

// One way to load lazily (docs/architecture.md#lazy-loading): what `npm run lint` enforces
// (eslint.config.js holds the same config) fails a lazy import outside a loader().

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
    lazyLoadingConfig,
  ],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? ''}: ${message.message}`);
}

const REFUSED =
  'no-restricted-syntax: Import lazily inside a loader() from src/common/lazy.ts (docs/architecture.md#lazy-loading).';

describe('lazy imports are only inside loaders', () => {
  it.each([
    [
      'a module kept in a variable',
      `let cel;\nexport async function load() {\n  cel ??= await import('./cel.js');\n  return cel;\n}\n`,
    ],
    ['a bare import()', `export const commands = () => import('./commands.js');\n`],
    [
      'importLazily on its own',
      `import { importLazily } from '../common/lazy.js';\nexport const ora = () => importLazily('ora');\n`,
    ],
  ])('refuses %s', async (_name, code) => {
    expect(await problems('src/schema/fixture.ts', code)).toEqual([REFUSED]);
  });

  it('passes an import inside a loader, of either kind', async () => {
    expect(
      await problems(
        'src/cli/fixture.ts',
        [
          `import { importLazily, loader } from '../common/lazy.js';`,
          `export const loadCommands = loader('the commands', () => import('./commands.js'));`,
          `export const loadOra = loader('ora', async () => (await importLazily('ora')).default);`,
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('leaves tests and src/common/lazy.ts alone', async () => {
    const code = `export const path = () => import('node:path');\n`;
    expect(await problems('src/schema/fixture.test.ts', code)).toEqual([]);
    expect(await problems('src/common/lazy.ts', code)).toEqual([]);
  });
});
