// Start-up trick: ASCII bundles, read as latin1. What esbuild leaves outside ASCII (comments,
// string and regular expression literals) is escaped as \uXXXX, valid in every place it can occur.
// bin/runbook.js then reads each bundle as latin1: a one-byte string that Node keeps outside the
// V8 heap, where a UTF-8 read makes a copy inside it (two bytes a character once one character is
// outside latin1). Less heap means less for every step's fork to copy the page tables of. The
// launcher relies on it: without this trick it would have to read UTF-8 (bench/tricks.mjs measures
// the trick with a launcher that does). Its worth is written in docs/performance.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** @type {import('./trick.mjs').Trick} */
export const ascii = {
  name: 'ascii',
  after({ dist, bundles }) {
    for (const bundle of bundles) {
      const file = join(dist, bundle.file);
      const text = readFileSync(file, 'utf8');
      const escaped = text.replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      if (escaped !== text) writeFileSync(file, escaped);
    }
  },
};
