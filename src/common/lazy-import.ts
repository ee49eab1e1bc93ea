type Importer = (specifier: string) => Promise<unknown>;

/**
 * Loads a module on first use (undici, ora, the prompts, re2js: only some commands need them).
 * bin/runbook.js runs the bundle from a code-cached vm.Script. On Node 20 such a script loses its
 * dynamic-import callback when it comes from the code cache (vm's importModuleDynamically works
 * only without the cache), so the launcher lends its own `import()`; elsewhere (tests) the native
 * one is used. See docs/performance.md for what the code cache is worth.
 */
export function importLazily<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { __runbookImport?: Importer }).__runbookImport;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
