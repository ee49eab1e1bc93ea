import { Chalk, type ChalkInstance } from 'chalk';

import type { OutStream } from '../report/out-stream.js';

export type { OutStream } from '../report/out-stream.js';

/** Everything a command touches of the outside world, so commands run in-process in tests. */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // Made on first use: creating process.stdin costs a few milliseconds, and only prompts need it.
    get stdin() {
      return process.stdin;
    },
    // A plain copy: reading process.env goes through the C++ environment on every access.
    env: { ...process.env },
    cwd: process.cwd(),
  };
}

/** Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR turns it on. */
export function colorsFor(
  stream: OutStream,
  env: Record<string, string | undefined>,
): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({ level: 0 });
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return new Chalk({ level: 0 });
    return new Chalk({ level: force === '3' ? 3 : force === '2' ? 2 : 1 });
  }
  return new Chalk({ level: stream.isTTY && env.TERM !== 'dumb' ? 2 : 0 });
}
