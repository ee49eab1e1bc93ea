import { loader, type Loader } from '../common/lazy.js';
import type { Adapter, AnyAction } from './adapter.js';
import { shell } from './shell.js';

/**
 * The built-in platform adapters, loaded on first use: a run pays only for the adapters its
 * runbook names (their schemas are built when their module loads).
 */
const BUILTIN_LOADERS: Record<string, Loader<Adapter>> = {
  http: loader('adapter http', () => import('./http.js').then((m) => m.http)),
  notify: loader('adapter notify', () => import('./notify.js').then((m) => m.notify)),
  pm2: loader('adapter pm2', () => import('./pm2/index.js').then((m) => m.pm2)),
  docker: loader('adapter docker', () => import('./docker/index.js').then((m) => m.docker)),
  psql: loader('adapter psql', () => import('./psql/index.js').then((m) => m.psql)),
  wrangler: loader('adapter wrangler', () => import('./wrangler/index.js').then((m) => m.wrangler)),
  systemd: loader('adapter systemd', () => import('./systemd/index.js').then((m) => m.systemd)),
  curl: loader('adapter curl', () => import('./curl/index.js').then((m) => m.curl)),
  nginx: loader('adapter nginx', () => import('./nginx/index.js').then((m) => m.nginx)),
  prometheus: loader('adapter prometheus', () =>
    import('./prometheus/index.js').then((m) => m.prometheus),
  ),
};

/**
 * Every adapter the engine can use, by name. A built-in adapter loads on first use: it is got by
 * awaiting `adapter()` or `action()`, or, for code that looks adapters up as it goes (validation,
 * `runbook schema`), by awaiting `load()`, which gives the adapters it loaded (see
 * docs/architecture.md#lazy-loading). Third-party adapters are added with `register`.
 */
export class AdapterRegistry {
  readonly #adapters = new Map<string, Adapter>();
  readonly #loaders = new Map<string, Loader<Adapter>>();
  /** Names in the order they were first known, loaded or not: lists read the same every time. */
  readonly #order: string[] = [];

  /** `loaders`: the adapters that load on first use, by name (each is made a `loader`). */
  constructor(
    adapters: readonly Adapter[] = [],
    loaders: Record<string, () => Promise<Adapter>> = {},
  ) {
    for (const adapter of adapters) this.register(adapter);
    for (const [name, load] of Object.entries(loaders)) {
      this.#loaders.set(name, loader(`adapter ${name}`, load));
      if (!this.#order.includes(name)) this.#order.push(name);
    }
  }

  register(adapter: Adapter): void {
    this.#adapters.set(adapter.name, adapter);
    this.#loaders.delete(adapter.name);
    if (!this.#order.includes(adapter.name)) this.#order.push(adapter.name);
  }

  /** Every adapter name, loaded or not, in the order they were first known. */
  names(): string[] {
    return [...this.#order];
  }

  /** The adapter of that name, loaded; undefined when there is none. */
  async adapter(name: string): Promise<Adapter | undefined> {
    const adapter = this.#adapters.get(name);
    if (adapter) return adapter;
    const load = this.#loaders.get(name);
    if (!load) return undefined;
    const loaded = await load();
    this.#adapters.set(name, loaded);
    return loaded;
  }

  /** The action `adapter.action` (e.g. `http.get`), its adapter loaded; undefined when there is none. */
  async action(uses: string): Promise<AnyAction | undefined> {
    const dot = uses.indexOf('.');
    if (dot < 0) return undefined;
    return actionOf(await this.adapter(uses.slice(0, dot)), uses.slice(dot + 1));
  }

  /** Loads the named adapters (all of them when no names are given; unknown names are left out),
   * and gives them to look up, with every adapter loaded before (shell is, always). */
  async load(names?: Iterable<string>): Promise<LoadedAdapters> {
    const wanted = names === undefined ? this.names() : [...new Set(names)];
    await Promise.all(wanted.map((name) => this.adapter(name)));
    // In the registry's order, whatever the order of the names.
    return new LoadedAdapters(
      this.#order.flatMap((name) => {
        const adapter = this.#adapters.get(name);
        return adapter ? [adapter] : [];
      }),
      this.names(),
    );
  }
}

/**
 * Adapters a registry loaded (`AdapterRegistry.load`), to look up as code goes: a built-in adapter
 * not asked for may not be among them. Validation loads the adapters a file names, then checks its
 * steps against them.
 */
export class LoadedAdapters {
  readonly #adapters: ReadonlyMap<string, Adapter>;
  readonly #names: readonly string[];

  /** `names`: every adapter name the registry knows, loaded or not (for suggestions). */
  constructor(adapters: readonly Adapter[], names: readonly string[]) {
    this.#adapters = new Map(adapters.map((adapter) => [adapter.name, adapter]));
    this.#names = names;
  }

  /** Every adapter name the registry knows, loaded or not, in its order. */
  names(): string[] {
    return [...this.#names];
  }

  /** These adapters, in the registry's order. */
  list(): Adapter[] {
    return [...this.#adapters.values()];
  }

  adapter(name: string): Adapter | undefined {
    return this.#adapters.get(name);
  }

  /** Looks up `adapter.action`, e.g. `http.get`. */
  action(uses: string): AnyAction | undefined {
    const dot = uses.indexOf('.');
    if (dot < 0) return undefined;
    return actionOf(this.adapter(uses.slice(0, dot)), uses.slice(dot + 1));
  }

  /** Every `adapter.action` name of these adapters, sorted. */
  actionNames(): string[] {
    return this.list()
      .flatMap((adapter) =>
        Object.keys(adapter.actions).map((action) => `${adapter.name}.${action}`),
      )
      .sort();
  }
}

function actionOf(adapter: Adapter | undefined, name: string): AnyAction | undefined {
  const actions = adapter?.actions;
  // Own actions only: `http.toString` is not an action.
  return actions && Object.hasOwn(actions, name) ? actions[name] : undefined;
}

/** A registry of the built-in adapters; all but shell load on first use. */
export function createRegistry(): AdapterRegistry {
  return new AdapterRegistry([shell], BUILTIN_LOADERS);
}
