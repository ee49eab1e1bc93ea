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

/** How many times a destructive step's id may be typed before the step is declined. */
const TYPED_ATTEMPTS = 3;

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
  const showInstruction = (step: string, name: string | undefined, text: string): void => {
    io.stdout.write(
      `\n  ✋ ${visible(name ?? step)} (manual)\n${visible(text)
        .trim()
        .split('\n')
        .map((line) => `      ${line}`)
        .join('\n')}\n`,
    );
  };
  return {
    confirm: async ({ step, command, effect, typed }) => {
      const { input, confirm } = await loadPrompts();
      if (command)
        io.stdout.write(
          `\n  ${step} will run:\n      $ ${visible(command).split('\n').join('\n        ')}\n`,
        );
      if (typed) {
        // A slip of the keyboard is not a refusal: asked again, saying what was expected. Only
        // an explicit no (Enter, n, no) or the third miss declines.
        for (let attempt = 1; attempt <= TYPED_ATTEMPTS; attempt++) {
          const answer = (
            await ask(
              () =>
                input(
                  {
                    message:
                      attempt === 1
                        ? `This step is ${effect}. Type "${step}" to run it, or press Enter to stop:`
                        : `Type "${step}" to run it, or press Enter to stop (try ${attempt} of ${TYPED_ATTEMPTS}):`,
                  },
                  context,
                ),
              '',
            )
          ).trim();
          if (answer === step) return true;
          if (answer === '' || /^(n|no)$/i.test(answer)) return false;
          io.stdout.write(
            attempt < TYPED_ATTEMPTS
              ? `  "${visible(answer)}" is not "${step}": type the step id exactly as shown.\n`
              : `  "${visible(answer)}" is not "${step}": ${TYPED_ATTEMPTS} misses, so ${step} is not run.\n`,
          );
        }
        return false;
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
    ask: async ({ step, name, text, question, check }) => {
      const { input, select } = await loadPrompts();
      showInstruction(step, name, text);
      if (question.kind === 'choices') {
        const STOP = -1;
        const index = await ask(
          () =>
            select(
              {
                message: `${step}: which one?`,
                choices: [
                  ...question.choices.map((choice, at) => ({
                    name: visible(choice.value),
                    value: at,
                    ...(choice.description === undefined
                      ? {}
                      : { description: visible(choice.description) }),
                  })),
                  { name: 'stop — stop the run here', value: STOP },
                ],
              },
              context,
            ),
          STOP,
        );
        const chosen = question.choices[index];
        return chosen ? { value: chosen.value, by: currentUser(io.env) } : false;
      }
      if (question.description !== undefined)
        io.stdout.write(`      ${visible(question.description)}\n`);
      const value = await ask(
        () =>
          input(
            {
              message: `${question.name}${question.pattern === undefined ? '' : ` (${visible(question.pattern)})`}, or press Enter to stop:`,
              validate: (typed: string) => typed === '' || (check(typed) ?? true),
              // Re-asked from an empty line, the reason shown below it.
              theme: { validationFailureMode: 'clear' },
            },
            context,
          ),
        '',
      );
      return value === '' ? false : { value, by: currentUser(io.env) };
    },
    offerRollback: async ({ step, steps }) => {
      const { confirm } = await loadPrompts();
      io.stdout.write(`\n  ${step} is stopped. The rollback: ${steps.join(', ')}\n`);
      return ask(
        () => confirm({ message: 'Run the rollback now?', default: false }, context),
        false,
      );
    },
    acknowledge: async ({ step, name, text }) => {
      const { confirm } = await loadPrompts();
      showInstruction(step, name, text);
      const done = await ask(
        () => confirm({ message: 'Done? (n or Enter stops the run)', default: false }, context),
        false,
      );
      return done ? { by: currentUser(io.env) } : false;
    },
  };
}
