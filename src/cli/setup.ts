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
import { loader } from '../common/lazy.js';

/** The team store and its client: loaded only when the config or environment chooses it. */
const loadPgStore = loader('the team state store', () => import('../state/pg-store.js'));

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
 * The state store the commands use (docs/architecture.md#state, docs/state.md): the team's
 * PostgreSQL when `$RUNBOOK_STATE_URL` or the config's `state: { url_env }` names one, else the
 * local files under the state directory, whose runs' processes are looked for in /proc.
 */
export async function openStateStore(
  io: Pick<Io, 'env' | 'stderr'>,
  config: Pick<Config, 'stateDir' | 'stateUrlEnv'>,
): Promise<StateStore & { readonly stateDir: string }> {
  const stateDir = stateDirectory(io.env, config.stateDir);
  if (!io.env.RUNBOOK_STATE_URL && config.stateUrlEnv === undefined)
    return openLocalStore(io, config);
  const pg = await loadPgStore();
  const chosen = pg.stateUrl(io.env, config.stateUrlEnv);
  if (!chosen) return openLocalStore(io, config);
  return pg.openPgStore(chosen.from, chosen.url, stateDir, { start: processStart }, (line) =>
    io.stderr.write(`runbook: ${line}\n`),
  );
}

/** The local files' store, whatever the config chooses: `runbook check`'s locks are this
 * machine's own (its cron must not overlap itself). */
export function openLocalStore(
  io: Pick<Io, 'env'>,
  config: Pick<Config, 'stateDir'>,
): FileStateStore {
  return new FileStateStore(stateDirectory(io.env, config.stateDir), { start: processStart });
}
