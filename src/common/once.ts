/** A value built on first use and kept: for what costs a start time and not every command needs
 * (zod schemas, for instance), built from code already loaded. What must be imported first is a
 * `loader` (lazy.ts; docs/architecture.md#lazy-loading). */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
