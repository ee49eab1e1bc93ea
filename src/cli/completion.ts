import { loader } from '../common/lazy.js';
import { arg, defineCommand, dirFlag, type Command } from './define.js';

/** The completion scripts are made from the command definitions (src/cli/program.ts), loaded
 * only by these commands (docs/performance.md). */
const loadCompletion = loader('shell completion', () => import('./completion-make.js'));

/** `runbook completion`, given the commands it completes (program.ts passes its list: this file
 * cannot import it back). */
export const completionCommand = (commands: () => readonly Command[]) =>
  defineCommand({
    name: 'completion',
    summary: 'Print the shell completion script (bash, zsh or fish) for commands, flags and ids',
    args: { shell: { ...arg.required('shell', 'bash, zsh or fish'), completes: 'nothing' } },
    flags: {},
    handler: async ({ shell }, _flags, io) =>
      (await loadCompletion()).printCompletion(shell, commands(), io),
  });

/** What the completion scripts call for runbook ids: one per line, nothing else. */
export const completionIds = defineCommand({
  name: '__ids',
  summary: 'The runbook ids, one per line (for the completion scripts)',
  hidden: true,
  args: {},
  flags: { dir: dirFlag },
  handler: async (_args, { dir }, io) => (await loadCompletion()).printIds(dir, io),
});
