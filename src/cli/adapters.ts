import type { Preflight } from '../adapters/adapter.js';
import { formatOutputs } from '../adapters/outputs.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup } from './setup.js';
import { defineCommand, jsonFlag } from './define.js';

/** `runbook adapters`: every adapter, its actions and effects, and whether its binary is here. */
export const adapters = defineCommand({
  name: 'adapters',
  summary: 'List adapters, their actions and effects, and whether each one’s program is here',
  args: {},
  flags: { json: jsonFlag },
  handler: (_args, options, io) => listAdapters(options, io),
});

async function listAdapters(options: { json: boolean | undefined }, io: Io): Promise<number> {
  const { registry } = await setup(io);
  const rows = await Promise.all(
    (await registry.load()).list().map(async (adapter) => {
      let preflight: Preflight;
      try {
        preflight = await adapter.preflight({ env: io.env });
      } catch (error) {
        preflight = {
          ok: false,
          problem: `preflight failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      return {
        name: adapter.name,
        summary: adapter.summary,
        binary: adapter.binary ?? preflight.binary ?? null,
        found: preflight.ok,
        path: preflight.path ?? null,
        version: preflight.version ?? null,
        problem: preflight.problem ?? null,
        hint: preflight.hint ?? null,
        actions: Object.entries(adapter.actions).map(([name, action]) => ({
          name: `${adapter.name}.${name}`,
          effect: action.effect,
          summary: action.summary,
          // null for a third-party action: its outputs are not declared.
          outputs: action.outputs ?? null,
        })),
      };
    }),
  );
  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  const c = colorsFor(io.stdout, io.env);
  for (const row of rows) {
    const where = row.found
      ? c.green(`✓ ${row.path ?? 'built in'}${row.version ? ` (${row.version})` : ''}`)
      : c.red(`✗ ${row.problem ?? 'not available'}${row.hint ? ` — ${row.hint}` : ''}`);
    io.stdout.write(`${c.bold(row.name)}  ${c.dim(row.summary)}\n  ${where}\n`);
    for (const action of row.actions) {
      const effect =
        action.effect === 'destructive'
          ? c.red(action.effect)
          : action.effect === 'write'
            ? c.yellow(action.effect)
            : c.dim(action.effect);
      io.stdout.write(
        `    ${action.name.padEnd(28)} ${effect.padEnd(11)} ${c.dim(action.summary)}\n`,
      );
      if (action.outputs)
        io.stdout.write(`      ${c.dim(`outputs: ${formatOutputs(action.outputs)}`)}\n`);
    }
  }
  return EXIT.ok;
}
