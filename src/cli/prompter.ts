import { visible } from '../report/visible.js';
import type * as InquirerPrompts from '@inquirer/prompts';
import type { Prompter } from '../engine/ports.js';
import { runInteractive } from '../exec/local.js';
import { importLazily, loader } from '../common/lazy.js';
import type { Io } from './io.js';
import type { RunView } from '../report/run-view.js';
import { currentUser } from '../engine/user.js';

/** The prompts, loaded when one is first asked. */
const loadPrompts = loader('the prompts (@inquirer/prompts)', () =>
  importLazily<typeof InquirerPrompts>('@inquirer/prompts'),
);

/** Asks on the terminal. Ctrl-C at a prompt interrupts the run, as it does anywhere else. */
export function terminalPrompter(
  io: Io,
  view: RunView,
  interrupt: () => void,
  vars: Record<string, unknown>,
): Prompter {
  const context = {
    input: io.stdin,
    output: io.stdout as NodeJS.WritableStream,
    clearPromptOnDone: false,
  };
  const ask = async <T>(question: () => Promise<T>, fallback: T): Promise<T> => {
    view.pause();
    try {
      return await question();
    } catch (error) {
      if (error instanceof Error && error.name === 'ExitPromptError') {
        interrupt();
        return fallback;
      }
      throw error;
    } finally {
      view.resume();
    }
  };
  return {
    confirm: async ({ step, command, effect, typed }) => {
      const { input, confirm } = await loadPrompts();
      if (command)
        io.stdout.write(
          `\n  ${step} will run:\n      $ ${visible(command).split('\n').join('\n        ')}\n`,
        );
      if (typed) {
        const answer = await ask(
          () =>
            input(
              {
                message: `This step is ${effect}. Type "${step}" to run it, or press Enter to stop:`,
              },
              context,
            ),
          '',
        );
        return answer.trim() === step;
      }
      return ask(() => confirm({ message: `Run ${step}?`, default: false }, context), false);
    },
    onFailure: async ({ step, reason, stderrTail }) => {
      const { select } = await loadPrompts();
      for (;;) {
        const choice = await ask(
          () =>
            select(
              {
                message: `${step} failed (${visible(reason)}). What now?`,
                choices: [
                  { name: 'retry — run it again', value: 'retry' as const },
                  { name: 'skip — go on without it (recorded)', value: 'skip' as const },
                  {
                    name: 'shell — open a shell with the run’s variables, then come back',
                    value: 'shell' as const,
                  },
                  { name: 'abort — stop the run here', value: 'abort' as const },
                ],
                default: 'abort',
              },
              context,
            ),
          'abort' as const,
        );
        if (choice !== 'shell') return choice;
        if (stderrTail) io.stdout.write(`\n${visible(stderrTail)}\n`);
        const shell = io.env.SHELL || '/bin/sh';
        const exported = Object.fromEntries(
          Object.entries(vars)
            .filter(([name]) => !(name in io.env))
            .map(([name, value]) => [
              name,
              typeof value === 'string' ? value : JSON.stringify(value ?? ''),
            ]),
        );
        io.stdout.write(
          `\n  ${shell} with ${
            Object.keys(exported)
              .map((n) => `$${n}`)
              .join(', ') || 'the run’s environment'
          }; exit to come back\n`,
        );
        view.pause();
        await runInteractive(shell, [], { env: { ...io.env, ...exported }, cwd: io.cwd });
        view.resume();
      }
    },
    acknowledge: async ({ step, name, text }) => {
      const { confirm } = await loadPrompts();
      io.stdout.write(
        `\n  ✋ ${visible(name ?? step)} (manual)\n${visible(text)
          .trim()
          .split('\n')
          .map((line) => `      ${line}`)
          .join('\n')}\n`,
      );
      const done = await ask(
        () => confirm({ message: 'Done? (n stops the run)', default: true }, context),
        false,
      );
      return done ? { by: currentUser(io.env) } : false;
    },
  };
}
