// What a start-up trick of the build is: each file beside this one holds one, with what it does,
// why, and where its worth is measured (bench/tricks.mjs, docs/performance.md). scripts/build.mjs
// applies them in order; `node scripts/build.mjs --without <name>` leaves one out.

/**
 * @typedef {'entry' | 'commands' | 'all'} Role
 *   `entry` and `commands` when the CLI is split in two bundles, `all` for a single one.
 * @typedef {{ file: string, entry: string, role: Role }} Bundle
 * @typedef {object} Trick
 * @property {string} name
 * @property {Bundle[]} [bundles] the bundles to build instead of a single one
 * @property {(role: Role) => import('esbuild').BuildOptions} [esbuild] options merged into a bundle's build
 * @property {(context: { root: string, dist: string, launcher: string, bundles: Bundle[] }) => void} [after]
 *   work on the built bundles, in the order of the tricks
 */

export {};
