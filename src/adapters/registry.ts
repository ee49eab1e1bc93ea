import type { Adapter, AnyAction } from './adapter.js';
import { shell } from './shell.js';

/**
 * The built-in platform adapters, loaded on first use: a run pays only for the adapters its
 * runbook names (their schemas are built when their module loads).
 */
const BUILTIN_LOADERS: Record<string, () => Promise<Adapter>> = {
  http: () => import('./http.js').then((m) => m.http),
  notify: () => import('./notify.js').then((m) => m.notify),
  pm2: () => import('./pm2/index.js').then((m) => m.pm2),
  docker: () => import('./docker/index.js').then((m) => m.docker),
  psql: () => import('./psql/index.js').then((m) => m.psql),
  wrangler: () => import('./wrangler/index.js').then((m) => m.wrangler),
  systemd: () => import('./systemd/index.js').then((m) => m.systemd),
  curl: () => import('./curl/index.js').then((m) => m.curl),
  nginx: () => import('./nginx/index.js').then((m) => m.nginx),
};

/**
 * Every adapter the engine can use, by name. Lookups are synchronous and see loaded adapters;
 * `load()` brings in built-in ones before use (loading a runbook file loads what it names).
 * Third-party adapters are added with `register`.
 */
export class AdapterRegistry {
  readonly #adapters = new Map<string, Adapter>();
  readonly #loaders = new Map<string, () => Promise<Adapter>>();
  /** Names in the order they were first known, loaded or not: lists read the same every time. */
  readonly #order: string[] = [];

  constructor(
    adapters: readonly Adapter[] = [],
    loaders: Record<string, () => Promise<Adapter>> = {},
  ) {
    for (const adapter of adapters) this.register(adapter);
    for (const [name, load] of Object.entries(loaders)) {
      this.#loaders.set(name, load);
      if (!this.#order.includes(name)) this.#order.push(name);
    }
  }

  register(adapter: Adapter): void {
    this.#adapters.set(adapter.name, adapter);
    this.#loaders.delete(adapter.name);
    if (!this.#order.includes(adapter.name)) this.#order.push(adapter.name);
  }

  /** Loads the named adapters (all of them when no names are given); unknown names are ignored. */
  async load(names?: Iterable<string>): Promise<this> {
    const wanted = names === undefined ? [...this.#loaders.keys()] : [...new Set(names)];
    await Promise.all(
      wanted.map(async (name) => {
        const loader = this.#loaders.get(name);
        if (loader) this.register(await loader());
      }),
    );
    return this;
  }

  /** Every adapter name, loaded or not, in the order they were first known. */
  names(): string[] {
    return [...this.#order];
  }

  /** The loaded adapters, in the same order. */
  adapters(): Adapter[] {
    return this.#order.flatMap((name) => {
      const adapter = this.#adapters.get(name);
      return adapter ? [adapter] : [];
    });
  }

  adapter(name: string): Adapter | undefined {
    const adapter = this.#adapters.get(name);
    if (!adapter && this.#loaders.has(name)) {
      throw new Error(`adapter ${name} is used before it was loaded (call registry.load first)`);
    }
    return adapter;
  }

  /** Looks up `adapter.action`, e.g. `http.get`. */
  action(uses: string): AnyAction | undefined {
    const dot = uses.indexOf('.');
    if (dot < 0) return undefined;
    const actions = this.adapter(uses.slice(0, dot))?.actions;
    const name = uses.slice(dot + 1);
    // Own actions only: `http.toString` is not an action.
    return actions && Object.hasOwn(actions, name) ? actions[name] : undefined;
  }

  /** Every `adapter.action` name of the loaded adapters, sorted. */
  actionNames(): string[] {
    return this.adapters()
      .flatMap((adapter) =>
        Object.keys(adapter.actions).map((action) => `${adapter.name}.${action}`),
      )
      .sort();
  }
}

/** A registry of the built-in adapters; all but shell load on `load()`. */
export function createRegistry(): AdapterRegistry {
  return new AdapterRegistry([shell], BUILTIN_LOADERS);
}
