import { z } from 'zod';
import { defineLazyAction, type Adapter } from './adapter.js';
import { findBinary } from '../exec/local.js';
import { formatArgv } from '../common/quote.js';
import { processOutcome } from './support/process-outcome.js';
import { lineMatching } from './support/lines.js';
import { PROCESS_OUTPUTS } from './outputs.js';

/** What a `run:` step becomes. The engine has already rendered `${{ }}` values into `command`,
 * shell-quoted for the string form; the argv form never sees a shell. */
const runInput = () =>
  z.strictObject({
    command: z.union([z.string().min(1), z.array(z.string()).min(1)], {
      error: 'expected a command string (run through sh -c) or an argv list',
    }),
    env: z.record(z.string(), z.string()).optional(),
    stdin: z.string().optional(),
    /** How to show the command to people when it refers to values passed in `env`. */
    display: z.string().optional(),
  });

export const shell = {
  name: 'shell',
  summary: 'Run a command: a string through sh -c, or an argv list with no shell at all',
  binary: 'sh',
  actions: {
    // The engine builds the input of `run:` steps itself and does not parse it: the schema is
    // built only for `uses: shell.run`, validation and `runbook schema`.
    run: defineLazyAction(runInput, {
      summary: 'Run a command and capture stdout, stderr, exit_code (and json when stdout parses)',
      effect: 'write',
      outputs: PROCESS_OUTPUTS,
      describe: (input) =>
        input.display ??
        (typeof input.command === 'string' ? input.command : formatArgv(input.command)),
      run: async (input, ctx) => {
        const [file, ...args] =
          typeof input.command === 'string' ? ['sh', '-c', input.command] : input.command;
        const result = await ctx.exec({
          file: file ?? 'sh',
          args,
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.stdin === undefined ? {} : { input: input.stdin }),
        });
        const outcome = processOutcome(result, ctx.timeoutMs);
        // sh exits 127 when a command of the script is not found: the step could not run.
        const missing =
          typeof input.command === 'string' && result.exitCode === 127
            ? lineMatching(result.stderr, /(not found|No such file or directory)$/)
            : undefined;
        if (missing === undefined) return outcome;
        return {
          ...outcome,
          unavailable: true,
          error: missing,
          hint: 'install the missing program, or fix PATH (runbook doctor <id> lists what a runbook needs)',
        };
      },
    }),
  },
  preflight: async ({ env }) => {
    const path = await findBinary('sh', env);
    return path
      ? { ok: true, binary: 'sh', path }
      : { ok: false, binary: 'sh', problem: 'sh is not on PATH', hint: 'install a POSIX shell' };
  },
} satisfies Adapter;
