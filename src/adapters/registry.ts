import type { Adapter, AnyAction } from './adapter.js';
import { curl } from './curl.js';
import { docker } from './docker.js';
import { http } from './http.js';
import { nginx } from './nginx.js';
import { notify } from './notify.js';
import { pm2 } from './pm2.js';
import { psql } from './psql.js';
import { shell } from './shell.js';
import { systemd } from './systemd.js';
import { wrangler } from './wrangler.js';

/** Every adapter the engine can use, by name. Third-party adapters are added with `register`. */
export class AdapterRegistry {
  readonly #adapters = new Map<string, Adapter>();

  constructor(adapters: readonly Adapter[] = []) {
    for (const adapter of adapters) this.register(adapter);
  }

  register(adapter: Adapter): void {
    this.#adapters.set(adapter.name, adapter);
  }

  adapters(): Adapter[] {
    return [...this.#adapters.values()];
  }

  adapter(name: string): Adapter | undefined {
    return this.#adapters.get(name);
  }

  /** Looks up `adapter.action`, e.g. `http.get`. */
  action(uses: string): AnyAction | undefined {
    const dot = uses.indexOf('.');
    if (dot < 0) return undefined;
    return this.#adapters.get(uses.slice(0, dot))?.actions[uses.slice(dot + 1)];
  }

  /** Every `adapter.action` name, sorted. */
  actionNames(): string[] {
    return this.adapters()
      .flatMap((adapter) =>
        Object.keys(adapter.actions).map((action) => `${adapter.name}.${action}`),
      )
      .sort();
  }
}

export const builtinAdapters: readonly Adapter[] = [
  shell,
  http,
  notify,
  pm2,
  docker,
  psql,
  wrangler,
  systemd,
  curl,
  nginx,
];

export function createRegistry(): AdapterRegistry {
  return new AdapterRegistry(builtinAdapters);
}
