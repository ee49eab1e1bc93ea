// Start-up trick: the commands bundle without whitespace and comments, its syntax shortened
// (esbuild's minifyWhitespace and minifySyntax). Identifiers keep their names: error classes name
// themselves after their class (src/common/errors.ts), and stack traces in the source maps stay
// readable. The bundle is about half as large, so there is half as much to read, and the source
// string V8 keeps for the bundle is half as large: less memory for every step's fork to copy the
// page tables of. Its worth is measured by bench/tricks.mjs and written in docs/performance.md.

/** @type {import('./trick.mjs').Trick} */
export const minify = {
  name: 'minify',
  esbuild() {
    return { minifyWhitespace: true, minifySyntax: true };
  },
};
