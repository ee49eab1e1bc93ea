import { existsSync } from 'node:fs';
import { runCli } from './cli.js';

/**
 * Values an attacker could put in a variable: SQL, shell substitutions, options for the tool, a
 * line break and a NUL. `mark` is a path prefix: a command injection would create `<mark>-…`.
 */
export function hostileValues(mark: string): string[] {
  return [
    '; CREATE TABLE injected_marker(x int)',
    "'); DROP TABLE victim; --",
    `$(touch ${mark}-dollar)`,
    `\`touch ${mark}-backtick\``,
    '--help',
    `-oProxyCommand=touch ${mark}-proxy`,
    'two\nlines; CREATE TABLE injected_marker(x int)',
    'nul\0--help',
  ];
}

/** The files a command injection of hostileValues(mark) would have created. */
export function injectedFiles(mark: string): string[] {
  return ['dollar', 'backtick', 'proxy']
    .map((suffix) => `${mark}-${suffix}`)
    .filter((file) => existsSync(file));
}

/** A step of `run --format json`. */
export interface RunStep {
  id: string;
  status: string;
  reason?: string;
  command: string | null;
  outputs: Record<string, unknown>;
}

/**
 * Runs the runbook `id` of `books` with `--var v=<value>` and the other `vars` (approving every
 * step, as a non-interactive run with --yes), and returns its steps by id.
 */
export async function runWithValue(
  books: string,
  id: string,
  value: string,
  options: {
    cwd: string;
    env: Record<string, string | undefined>;
    vars?: Record<string, string>;
  },
): Promise<Map<string, RunStep>> {
  const vars = Object.entries({ ...options.vars, v: value }).flatMap(([name, text]) => [
    '--var',
    `${name}=${text}`,
  ]);
  const result = await runCli(
    ['run', id, '--dir', books, ...vars, '--format', 'json', '--yes', '--non-interactive'],
    { cwd: options.cwd, env: options.env },
  );
  if (!result.stdout) throw new Error(`runbook run ${id} printed nothing:\n${result.stderr}`);
  const doc = JSON.parse(result.stdout) as { steps: RunStep[] };
  return new Map(doc.steps.map((step) => [step.id, step]));
}
