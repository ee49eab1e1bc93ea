import type * as Path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLazily, LoadError, loader } from './lazy.js';

describe('loader', () => {
  it('loads on the first call, not before, and keeps the value', async () => {
    let loads = 0;
    const load = loader('a value', () => Promise.resolve({ n: ++loads }));
    expect(loads).toBe(0);
    const first = await load();
    expect(first).toEqual({ n: 1 });
    expect(await load()).toBe(first);
    expect(loads).toBe(1);
  });

  it('shares one load between concurrent calls', async () => {
    let loads = 0;
    let finish: (value: string) => void = () => undefined;
    const load = loader('a slow value', () => {
      loads++;
      return new Promise<string>((resolve) => (finish = resolve));
    });
    const waiting = [load(), load(), load()];
    expect(loads).toBe(1);
    finish('ready');
    expect(await Promise.all(waiting)).toEqual(['ready', 'ready', 'ready']);
    expect(loads).toBe(1);
  });

  it('rejects every waiter of a failed load with what could not be loaded, and its cause', async () => {
    const cause = new Error("Cannot find package 're2js'\n    at resolve (node:internal)");
    const load = loader('RE2 (re2js)', () => Promise.reject(cause));
    const results = await Promise.allSettled([load(), load()]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as LoadError;
      expect(error).toBeInstanceOf(LoadError);
      expect(error.message).toBe("cannot load RE2 (re2js): Cannot find package 're2js'");
      expect(error.cause).toBe(cause);
    }
  });

  it('tries again after a failure, and keeps what the retry loaded', async () => {
    let loads = 0;
    const load = loader('a flaky value', () =>
      ++loads === 1
        ? Promise.reject(new Error('EMFILE: too many open files'))
        : Promise.resolve(42),
    );
    await expect(load()).rejects.toThrow('cannot load a flaky value: EMFILE: too many open files');
    expect(await load()).toBe(42);
    expect(await load()).toBe(42);
    expect(loads).toBe(2);
  });

  it('passes on the error of a loader it is built from, without naming it twice', async () => {
    const part = loader('the part', () => Promise.reject(new Error('gone')));
    const whole = loader('the whole', async () => ({ part: await part() }));
    await expect(whole()).rejects.toThrow(/^cannot load the part: gone$/);
  });

  it('reports a thrown non-error as text', async () => {
    const load = loader('a thing', () => Promise.reject('no'));
    await expect(load()).rejects.toThrow('cannot load a thing: no');
  });
});

describe('importLazily', () => {
  it('imports with the native import() when the launcher lends none', async () => {
    const path = await importLazily<typeof Path>('node:path');
    expect(path.join('a', 'b')).toBe('a/b');
  });

  it("uses the launcher's import() when it lends one", async () => {
    const lender = globalThis as { __runbookImport?: (specifier: string) => Promise<unknown> };
    const asked: string[] = [];
    lender.__runbookImport = (specifier) => {
      asked.push(specifier);
      return Promise.resolve({ lent: true });
    };
    try {
      expect(await importLazily('undici')).toEqual({ lent: true });
      expect(asked).toEqual(['undici']);
    } finally {
      delete lender.__runbookImport;
    }
  });
});
