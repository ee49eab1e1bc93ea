import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/adapters/registry.js';
import { runbookJsonSchema } from '../../src/schema/json-schema.js';
import { findRunbookFiles } from '../../src/schema/load.js';
import { ROOT, runCli } from '../helpers/cli.js';

const schemaFile = join(ROOT, 'schema/runbook.schema.json');

describe('the JSON Schema of the runbook file', () => {
  it('is current: schema/runbook.schema.json is what `runbook schema` prints', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    expect(
      readFileSync(schemaFile, 'utf8'),
      'regenerate with: node bin/runbook.js schema --out schema/runbook.schema.json',
    ).toBe(result.stdout);
  });

  it('includes every action’s with: schema', async () => {
    const schema = JSON.stringify(runbookJsonSchema(await createRegistry().load()));
    for (const name of (await createRegistry().load()).actionNames())
      expect(schema).toContain(`"const":"${name}"`);
  });

  it('accepts every shipped runbook (checked by a real JSON Schema validator), each with its modeline', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    const files = await findRunbookFiles([join(ROOT, 'runbooks')]);
    expect(files).toHaveLength(42);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const modeline = `# yaml-language-server: $schema=${relative(join(file, '..'), schemaFile)}`;
      expect(text.split('\n')[0], file).toBe(modeline);
      const valid = validate(parse(text));
      expect(valid, `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('accepts the catalogs (a runbooks: list, and --- documents), and points into a bad entry', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    const catalogs = join(ROOT, 'examples/catalogs');
    const list = parse(readFileSync(join(catalogs, 'kubernetes-mixin.yaml'), 'utf8')) as {
      runbooks: Array<Record<string, unknown>>;
    };
    expect(list.runbooks).toHaveLength(13);
    expect(validate(list), JSON.stringify(validate.errors)).toBe(true);
    const documents = parseAllDocuments(
      readFileSync(join(catalogs, 'gitlab-postgres.yaml'), 'utf8'),
    ).map((document) => document.toJS() as unknown);
    expect(documents).toHaveLength(5);
    for (const document of documents)
      expect(validate(document), JSON.stringify(validate.errors)).toBe(true);

    const bad = structuredClone(list);
    bad.runbooks[1] = { ...bad.runbooks[1], severty: 'P1' };
    expect(validate(bad)).toBe(false);
    expect(
      validate.errors?.map((error) => [error.instancePath, error.keyword, error.params]),
    ).toContainEqual(['/runbooks/1', 'additionalProperties', { additionalProperty: 'severty' }]);
    // Beside runbooks:, nothing else; and a runbook (with an id) is never read as a catalog.
    expect(validate({ runbooks: [], title: 'x' })).toBe(false);
    expect(validate({ id: 'x', title: 'X', runbooks: [] })).toBe(false);
  });

  it('rejects what the zod schema rejects', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(runbookJsonSchema(await createRegistry().load()));
    const base = { id: 'x', title: 'X' };
    expect(validate({ ...base, diagnosis: [{ id: 'a', run: 'true' }] })).toBe(true);
    expect(validate({ ...base, diagnosis: [{ id: 'a', run: 'true', timout: '5s' }] })).toBe(false);
    expect(
      validate({
        ...base,
        diagnosis: [{ id: 'a', uses: 'http.get', with: { url: 'http://x', timeout: 'forever' } }],
      }),
    ).toBe(false);
    expect(
      validate({
        ...base,
        diagnosis: [
          { id: 'a', uses: 'http.get', with: { url: 'http://x', timeout: '${{ vars.t }}' } },
        ],
      }),
    ).toBe(true);
    expect(validate({ ...base, diagnosis: [{ id: 'a', uses: 'http.gett', with: {} }] })).toBe(
      false,
    );
    expect(validate({ id: 'Bad Id', title: 'X' })).toBe(false);
  });

  it('the scenario schema is current, and accepts every shipped and example scenario file', async () => {
    const file = join(ROOT, 'schema/scenario.schema.json');
    const printed = await runCli(['schema', '--scenario']);
    expect(
      readFileSync(file, 'utf8'),
      'regenerate with: node bin/runbook.js schema --scenario --out schema/scenario.schema.json',
    ).toBe(printed.stdout);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(printed.stdout) as object);
    const files = ['runbooks', 'examples'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.test.yaml'))
        .map((name) => join(ROOT, dir, name)),
    );
    expect(files).toContain(join(ROOT, 'examples/alerts/kube-pod-crashlooping.test.yaml'));
    for (const scenarioFile of files)
      expect(
        validate(parse(readFileSync(scenarioFile, 'utf8'))),
        `${scenarioFile}: ${JSON.stringify(validate.errors)}`,
      ).toBe(true);
  });
});
