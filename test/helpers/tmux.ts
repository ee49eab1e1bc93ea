import { execFileSync } from 'node:child_process';

/** A command under a real pseudo-terminal: a detached tmux session the test types into and reads
 * the screen of, as a person at a terminal would. */
export interface Terminal {
  /** The screen and its scrollback, as text. */
  screen(): string;
  /** Types keys (`'y', 'Enter'`, `'Up'`), as tmux send-keys names them. */
  keys(...keys: string[]): void;
  /** Resolves with the screen once it shows `text`; fails with the screen after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with what `found` gives once it gives something: a file, a server's requests. */
  waitUntil<T>(what: string, found: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** Ends the session (a session already gone is fine). */
  close(): void;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** Starts `command` (a shell command line) in a new tmux session of `width` × `height`. The
 * session name carries this process's pid, so parallel test files never share one. */
export function openTerminal(
  name: string,
  command: string,
  { width = 140, height = 40, scrollback = 300 } = {},
): Terminal {
  const session = `runbook-${name}-${process.pid}`;
  tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), command);
  const screen = (): string => tmux('capture-pane', '-p', '-t', session, '-S', String(-scrollback));
  const waitUntil = async <T>(
    what: string,
    found: () => T | undefined,
    timeoutMs = 20_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; the screen shows:\n${screen()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    screen,
    keys: (...keys) => void tmux('send-keys', '-t', session, ...keys),
    waitFor: (text, timeoutMs = 15_000) =>
      waitUntil(
        String(text),
        () => {
          const shown = screen();
          return (typeof text === 'string' ? shown.includes(text) : text.test(shown))
            ? shown
            : undefined;
        },
        timeoutMs,
      ),
    waitUntil,
    close: () => {
      try {
        tmux('kill-session', '-t', session);
      } catch {
        // Already gone.
      }
    },
  };
}
