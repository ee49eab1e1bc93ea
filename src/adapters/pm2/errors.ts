import { stripVTControlCharacters } from 'node:util';
import { lineMatching } from '../support/lines.js';
import type { Unavailable } from '../support/run-tool.js';

/** pm2's own explanation of a failure: its last `[PM2][ERROR]` (else `[PM2][WARN]`) line. */
export function pm2Message(stderr: string, stdout: string): string | undefined {
  const lines = stripVTControlCharacters(`${stdout}\n${stderr}`).split('\n');
  for (const tag of ['ERROR', 'WARN']) {
    const pattern = new RegExp(`\\[PM2\\]\\[${tag}\\]\\s*(.+)$`);
    const found = lines
      .map((line) => pattern.exec(line.trim())?.[1]?.trim())
      .filter((message): message is string => Boolean(message))
      .at(-1);
    if (found) return found;
  }
  return undefined;
}

/** pm2 starts its daemon when none runs; this is when it could neither reach one nor start one. */
export const daemonDown: Unavailable = (result) => {
  const text = stripVTControlCharacters(result.stderr);
  const message =
    lineMatching(text, /^connect E[A-Z]+ .*rpc\.sock$/) ??
    lineMatching(text, /Daemon not launched|could not start the daemon/i);
  if (message === undefined) return undefined;
  return {
    message: `the pm2 daemon cannot be reached or started: ${message}`,
    hint: 'check PM2_HOME (the pm2_home: of the step, or ~/.pm2): it must be a directory this user can write',
  };
};
