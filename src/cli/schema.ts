import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runbookJsonSchema } from '../schema/json-schema.js';
import { scenarioJsonSchema } from '../schema/scenario.js';
import { UsageError } from '../common/errors.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { setup } from './setup.js';
import { defineCommand, flag } from './define.js';

export const schema = defineCommand({
  name: 'schema',
  summary: 'Print the JSON Schema of the runbook file (or, with --scenario, of scenario files)',
  args: {},
  flags: {
    out: flag.string('--out <file>', 'write it to a file'),
    scenario: flag.boolean('--scenario', 'the schema of scenario files (<id>.test.yaml) instead'),
  },
  handler: (_args, options, io) => printSchema(options, io),
});

async function printSchema(
  options: { out: string | undefined; scenario: boolean | undefined },
  io: Io,
): Promise<number> {
  const schema = options.scenario
    ? scenarioJsonSchema()
    : runbookJsonSchema(await (await setup(io)).registry.load());
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (options.out) {
    const file = resolve(io.cwd, options.out);
    try {
      writeFileSync(file, text);
    } catch (error) {
      throw new UsageError(`cannot write ${options.out ?? file}: ${(error as Error).message}`);
    }
    io.stderr.write(`wrote ${options.out}\n`);
  } else io.stdout.write(text);
  return EXIT.ok;
}
