/**
 * Lazy loading, the one way runbook does it (docs/architecture.md#lazy-loading): what costs a start
 * time and only some commands or runbooks need is a `Loader`, and code gets it only by awaiting
 * the loader, which hands back a typed, ready handle. No module is held in a variable that may not
 * be set yet, so nothing can be used before it is loaded.
 */

/** Hands back its value, loading it on the first call. */
export type Loader<T> = () => Promise<T>;

/** A load that failed: says what could not be loaded; `cause` is the error the load threw. */
export class LoadError extends Error {
  constructor(what: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`cannot load ${what}: ${message.split('\n')[0]?.trim() ?? message}`, { cause });
    this.name = 'LoadError';
  }
}

/**
 * A loader of `what` (named in its error): the first call starts `load`, and every call until it
 * settles shares that one load; once loaded, the value is kept. A load that fails rejects every
 * call that waited on it with a LoadError, and is forgotten: the next call tries again (a module
 * swapped in by a build, a file descriptor that was short, need not fail a process for good).
 */
export function loader<T>(what: string, load: () => Promise<T>): Loader<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      // A loader built from other loaders passes their error on as it is.
      throw error instanceof LoadError ? error : new LoadError(what, error);
    }));
}

type Importer = (specifier: string) => Promise<unknown>;

/**
 * Imports a package left outside the bundle (undici, ora, the prompts, re2js, node:crypto), or a
 * module named at run time (a third-party adapter). bin/runbook.js runs the bundle from a
 * code-cached vm.Script. On Node 20 such a script loses its dynamic-import callback when it comes
 * from the code cache (vm's importModuleDynamically works only without the cache), so the launcher
 * lends its own `import()`; elsewhere (tests) the native one is used. See docs/performance.md for
 * what the code cache is worth. A module of runbook's own is imported with `import()`, which the
 * build resolves inside the bundle. Either way the import sits inside a `loader`.
 */
export function importLazily<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { __runbookImport?: Importer }).__runbookImport;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
