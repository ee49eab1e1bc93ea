import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS, layerConfigs, type Layer } from '../../../eslint.layers.js';
import { ROOT } from '../../helpers/cli.js';

// The layer rules are what `npm run lint` enforces (eslint.config.js spreads the same configs):
// an import that crosses a layer the wrong way must fail, and one the layers allow must pass.

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ languageOptions: { parser: tseslint.parser } }, ...layerConfigs],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? ''}: ${message.message}`);
}

const layers = Object.keys(LAYERS) as Layer[];

describe('the layers’ one-way imports are enforced by the linter', () => {
  for (const layer of layers) {
    const allowed = new Set<string>([layer, 'common', ...LAYERS[layer]]);
    for (const other of layers.filter((name) => name !== layer)) {
      const crosses = !allowed.has(other);
      it(`src/${layer} → src/${other}: ${crosses ? 'fails' : 'passes'}`, async () => {
        const found = await problems(
          `src/${layer}/fixture.ts`,
          `import { x } from '../${other}/module.js';\nexport const y = x;\n`,
        );
        if (crosses)
          expect(found).toEqual([
            `no-restricted-imports: '../${other}/module.js' import is restricted from being used by a pattern. src/${layer} may import only ${[...allowed].map((name) => `src/${name}`).join(', ')} (docs/architecture.md).`,
          ]);
        else expect(found).toEqual([]);
      });
    }
  }

  it('a deeper file of a layer is held to the same rule', async () => {
    const found = await problems(
      'src/adapters/docker/index.ts',
      `import { runRunbook } from '../../engine/run.js';\nexport const y = runRunbook;\n`,
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^no-restricted-imports: '\.\.\/\.\.\/engine\/run\.js' import is restricted/,
    );
  });

  it('only src/exec starts processes; only src/cli and src/report print', async () => {
    expect(
      await problems(
        'src/engine/fixture.ts',
        `import { spawn } from 'node:child_process';\nexport const y = spawn;\n`,
      ),
    ).toEqual([
      "no-restricted-imports: 'node:child_process' import is restricted from being used. Only src/exec starts processes.",
    ]);
    expect(
      await problems(
        'src/exec/fixture.ts',
        `import { spawn } from 'node:child_process';\nexport const y = spawn;\n`,
      ),
    ).toEqual([]);
    expect(
      await problems(
        'src/adapters/fixture.ts',
        `import chalk from 'chalk';\nexport const y = chalk;\n`,
      ),
    ).toEqual([
      "no-restricted-imports: 'chalk' import is restricted from being used. Only src/cli and src/report print or prompt.",
    ]);
    expect(
      await problems(
        'src/report/fixture.ts',
        `import chalk from 'chalk';\nexport const y = chalk;\n`,
      ),
    ).toEqual([]);
  });

  it('the real tree passes', async () => {
    const results = await new ESLint({ cwd: ROOT }).lintFiles(['src/**/*.ts']);
    const crossing = results.flatMap((result) =>
      result.messages
        .filter((message) => message.ruleId === 'no-restricted-imports')
        .map((message) => `${result.filePath}: ${message.message}`),
    );
    expect(crossing).toEqual([]);
  }, 120_000);
});
