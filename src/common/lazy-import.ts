type Importer = (specifier: string) => Promise<unknown>;

/**
 * Loads a module on first use (undici, ora, the prompts: only some commands need them).
 * bin/runbook.js runs the bundle from a code-cached vm.Script, where Node 20 cannot resolve a
 * dynamic import by itself, so the launcher lends its own `import()`; elsewhere (tests) the
 * native one is used.
 */
export function importLazily<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { __runbookImport?: Importer }).__runbookImport;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
