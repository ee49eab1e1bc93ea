import { resolve } from 'node:path';
import { createRegistry, type AdapterRegistry } from '../adapters/registry.js';
import { loadThirdPartyAdapters } from '../adapters/third-party.js';
import { ConfigError } from '../common/errors.js';
import { stateDirectory } from '../state/journal.js';
import { FileStateStore } from '../state/file-store.js';
import type { StateStore } from '../state/store.js';
import { processStart } from '../exec/process-tree.js';
import { configuredHosts, loadConfig, withInventory, type Config } from '../schema/config.js';
import { openParseCache } from '../schema/parse-cache.js';
import type { LoadOptions } from '../schema/load.js';
import type { Io } from './io.js';

export interface CliSetup {
  config: Config;
  registry: AdapterRegistry;
  /** Where runbooks are found: --dir, else RUNBOOK_DIR, else the config's dirs, else ./runbooks. */
  dirs: string[];
  load: LoadOptions;
}

export async function setup(
  io: Io,
  options: {
    dir?: string | undefined;
    strict?: boolean;
    cache?: boolean;
    /** --inventory: read instead of the config's inventory: (docs/format.md#inventories). */
    inventory?: string | undefined;
  } = {},
): Promise<CliSetup> {
  const loaded = await loadConfig(io.cwd, io.env);
  const config =
    options.inventory === undefined
      ? loaded
      : withInventory(
          { ...loaded, hosts: configuredHosts(loaded) },
          resolve(io.cwd, options.inventory),
          io.env,
        );
  const registry = createRegistry();
  for (const adapter of await loadThirdPartyAdapters(config.adapters, config.file)) {
    if (registry.names().includes(adapter.name)) {
      throw new ConfigError(
        `adapter "${adapter.name}" from runbook.config.yaml clashes with a built-in adapter`,
        'give it another name',
      );
    }
    registry.register(adapter);
  }
  let dirs: string[];
  if (options.dir) dirs = [resolve(io.cwd, options.dir)];
  else if (io.env.RUNBOOK_DIR)
    dirs = io.env.RUNBOOK_DIR.split(':')
      .filter(Boolean)
      .map((dir) => resolve(io.cwd, dir));
  else dirs = config.dirs;
  // Third-party adapters can change without the config changing: their runbooks are always
  // validated afresh.
  const cache =
    options.cache === false || config.adapters.length > 0
      ? undefined
      : openParseCache(stateDirectory(io.env, config.stateDir), io.env);
  return {
    config,
    registry,
    dirs,
    load: {
      registry,
      config,
      strict: options.strict ?? false,
      cwd: io.cwd,
      ...(cache ? { cache } : {}),
    },
  };
}

/**
 * The state store the commands use (docs/architecture.md#state): the local files under the state
 * directory, whose runs' processes are looked for in /proc.
 */
export function openStateStore(
  env: Record<string, string | undefined>,
  config: Pick<Config, 'stateDir'>,
): StateStore & { readonly stateDir: string } {
  return new FileStateStore(stateDirectory(env, config.stateDir), { start: processStart });
}
