import { describe, expect, it } from 'vitest';
import { LoadError } from '../common/lazy.js';
import type { Adapter, AnyAction } from './adapter.js';
import { AdapterRegistry, createRegistry } from './registry.js';

const action = { effect: 'read' } as unknown as AnyAction;

function adapter(name: string): Adapter {
  return {
    name,
    summary: `${name} adapter`,
    actions: { get: action },
    preflight: () => Promise.resolve({ ok: true }),
  };
}

/** A registry with `built` registered, and lazy adapters whose loads are counted. */
function registry(lazy: Record<string, () => Promise<Adapter>>, built: Adapter[] = []) {
  const loads: string[] = [];
  const loaders = Object.fromEntries(
    Object.entries(lazy).map(([name, load]) => [
      name,
      () => {
        loads.push(name);
        return load();
      },
    ]),
  );
  return { registry: new AdapterRegistry(built, loaders), loads };
}

describe('AdapterRegistry', () => {
  it('loads an adapter when it is first awaited, once, however many wait for it', async () => {
    const { registry: r, loads } = registry({ web: () => Promise.resolve(adapter('web')) });
    expect(loads).toEqual([]);
    expect(r.names()).toEqual(['web']);
    const [a, b, c] = await Promise.all([r.adapter('web'), r.adapter('web'), r.action('web.get')]);
    expect(a?.name).toBe('web');
    expect(b).toBe(a);
    expect(c).toBe(action);
    expect(await r.adapter('web')).toBe(a);
    expect(loads).toEqual(['web']);
  });

  it('answers undefined for what it does not have, loading nothing', async () => {
    const { registry: r, loads } = registry({ web: () => Promise.resolve(adapter('web')) });
    expect(await r.adapter('nope')).toBeUndefined();
    expect(await r.action('nope.get')).toBeUndefined();
    expect(await r.action('web')).toBeUndefined();
    expect(loads).toEqual([]);
    // Own actions only.
    expect(await r.action('web.toString')).toBeUndefined();
  });

  it('gives a built-in adapter without loading anything', async () => {
    const { registry: r, loads } = registry({ web: () => Promise.resolve(adapter('web')) }, [
      adapter('sh'),
    ]);
    expect((await r.adapter('sh'))?.name).toBe('sh');
    expect(loads).toEqual([]);
  });

  it('loads the named adapters for code that looks them up as it goes', async () => {
    const { registry: r, loads } = registry(
      {
        web: () => Promise.resolve(adapter('web')),
        db: () => Promise.resolve(adapter('db')),
      },
      [adapter('sh')],
    );
    const loaded = await r.load(['db', 'unknown', 'db']);
    expect(loads).toEqual(['db']);
    expect(loaded.list().map((a) => a.name)).toEqual(['sh', 'db']);
    expect(loaded.action('db.get')).toBe(action);
    expect(loaded.adapter('web')).toBeUndefined();
    // Every name the registry knows, for suggestions.
    expect(loaded.names()).toEqual(['sh', 'web', 'db']);
    const all = await r.load();
    expect(all.actionNames()).toEqual(['db.get', 'sh.get', 'web.get']);
  });

  it('rejects with what could not be loaded, and tries again on the next call', async () => {
    let tries = 0;
    const { registry: r } = registry({
      web: () =>
        ++tries === 1 ? Promise.reject(new Error('EMFILE')) : Promise.resolve(adapter('web')),
    });
    const failed = await r.adapter('web').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LoadError);
    expect((failed as Error).message).toBe('cannot load adapter web: EMFILE');
    expect((await r.adapter('web'))?.name).toBe('web');
  });

  it('holds the built-in adapters, shell ready and the others on first use', async () => {
    const r = createRegistry();
    expect(r.names()).toContain('nginx');
    expect((await r.load([])).list().map((a) => a.name)).toEqual(['shell']);
    expect((await r.action('nginx.reload'))?.effect).toBe('write');
    expect((await r.load([])).list().map((a) => a.name)).toEqual(['shell', 'nginx']);
    expect((await r.action('prometheus.range'))?.effect).toBe('read');
    expect((await r.load([])).list().map((a) => a.name)).toEqual(['shell', 'nginx', 'prometheus']);
  });
});
