import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../common/errors.js';
import { importLazily } from '../common/lazy.js';
import type { Adapter, AnyAction, Effect } from './adapter.js';
import type { OutputSpec, OutputSpecs, OutputType } from './outputs.js';

const EFFECTS: readonly Effect[] = ['read', 'write', 'destructive'];
const NAME = /^[a-z][a-z0-9_-]*$/;
const OUTPUT_TYPES: readonly OutputType[] = [
  'string',
  'int',
  'double',
  'bool',
  'list',
  'map',
  'dyn',
];
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Loads the adapters named in runbook.config.yaml `adapters:` — module paths or package names,
 * resolved from the config file's directory. A module exports an adapter as `default`, as
 * `adapter`, or a list as `adapters`; each is checked against the same interface as the built-in
 * ones, so a broken module is a clear configuration error, not a crash mid-run.
 */
export async function loadThirdPartyAdapters(
  entries: readonly string[],
  configFile: string | undefined,
): Promise<Adapter[]> {
  const base = configFile ? dirname(configFile) : process.cwd();
  const loaded: Adapter[] = [];
  for (const entry of entries) {
    const where = isAbsolute(entry) ? entry : resolvePackage(entry, base);
    let module: Record<string, unknown>;
    try {
      // Imported once, when the configuration is read, and named at run time: no loader to keep.
      // eslint-disable-next-line no-restricted-syntax
      module = await importLazily<Record<string, unknown>>(pathToFileURL(where).href);
    } catch (error) {
      throw new ConfigError(
        `cannot load adapter ${entry}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        `check the adapters: list in ${configFile ?? 'runbook.config.yaml'}`,
      );
    }
    const exported = module.adapters ?? module.adapter ?? module.default;
    const adapters = Array.isArray(exported) ? exported : [exported];
    for (const candidate of adapters) loaded.push(checkAdapter(candidate, entry));
  }
  return loaded;
}

function resolvePackage(name: string, base: string): string {
  try {
    return createRequire(join(base, 'runbook.config.yaml')).resolve(name);
  } catch {
    throw new ConfigError(
      `cannot find adapter package "${name}" from ${base}`,
      `install it there (npm install ${name}) or give a path such as ./adapters/${name}.js`,
    );
  }
}

function checkAdapter(value: unknown, entry: string): Adapter {
  const fail = (problem: string): never => {
    throw new ConfigError(
      `adapter module ${entry} ${problem}`,
      'an adapter is { name, summary, actions: { <name>: { summary, input, effect, describe, run } }, preflight? }',
    );
  };
  if (value === null || typeof value !== 'object')
    return fail('does not export an adapter (default, adapter or adapters)');
  const adapter = value as Record<string, unknown>;
  if (typeof adapter.name !== 'string' || !NAME.test(adapter.name))
    fail('has no valid name (lowercase letters, digits, _ and -)');
  if (adapter.actions === null || typeof adapter.actions !== 'object')
    fail(`"${String(adapter.name)}" has no actions`);
  const actions: Record<string, AnyAction> = {};
  for (const [actionName, raw] of Object.entries(adapter.actions as Record<string, unknown>)) {
    const action = raw as Record<string, unknown> | null;
    const where = `action ${String(adapter.name)}.${actionName}`;
    if (!NAME.test(actionName)) fail(`has an invalid ${where} name`);
    if (!action || typeof action !== 'object') fail(`has an invalid ${where}`);
    const input = action?.input as { safeParse?: unknown } | undefined;
    if (!input || typeof input.safeParse !== 'function')
      fail(`${where} needs a zod schema as input`);
    if (!EFFECTS.includes(action?.effect as Effect))
      fail(`${where} needs effect read, write or destructive`);
    if (typeof action?.describe !== 'function' || typeof action.run !== 'function')
      fail(`${where} needs describe() and run()`);
    // Its outputs, when it declares them, are checked as the built-in ones are; when it does
    // not, they are not known, and validation does not guess them (docs/adapters.md#outputs).
    const { outputs: declared, ...rest } = action as unknown as AnyAction;
    const outputs = declared === undefined ? undefined : outputSpecs(declared, where, fail);
    actions[actionName] = {
      ...rest,
      summary: typeof action?.summary === 'string' ? action.summary : '',
      ...(outputs ? { outputs } : {}),
    };
  }
  const preflight =
    typeof adapter.preflight === 'function'
      ? (adapter.preflight as Adapter['preflight'])
      : () => Promise.resolve({ ok: true });
  return {
    name: adapter.name as string,
    summary: typeof adapter.summary === 'string' ? adapter.summary : '',
    ...(typeof adapter.binary === 'string' ? { binary: adapter.binary } : {}),
    actions,
    preflight,
  };
}

/** A third-party action's `outputs:`: `{ <name>: { type, description, nullable? } }`. */
function outputSpecs(value: unknown, where: string, fail: (problem: string) => never): OutputSpecs {
  const shape = `{ <name>: { type: ${OUTPUT_TYPES.join('|')}, description, nullable? } }`;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail(`${where} has outputs that are not ${shape}`);
  const specs: Record<string, OutputSpec> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const spec = raw as Partial<Record<keyof OutputSpec, unknown>> | null;
    if (
      !OUTPUT_NAME.test(name) ||
      !spec ||
      typeof spec !== 'object' ||
      !OUTPUT_TYPES.includes(spec.type as OutputType) ||
      typeof spec.description !== 'string' ||
      (spec.nullable !== undefined && typeof spec.nullable !== 'boolean')
    )
      return fail(`${where} has an invalid output "${name}": it should be ${shape}`);
    specs[name] = {
      type: spec.type as OutputType,
      description: spec.description,
      ...(spec.nullable === true ? { nullable: true } : {}),
    };
  }
  return specs;
}
