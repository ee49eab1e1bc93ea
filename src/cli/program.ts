import { Command as Commander, CommanderError, Option } from 'commander';
import { InvalidRunbookError, RunbookError } from '../common/errors.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { adapters } from './adapters.js';
import { approve } from './approve.js';
import { check } from './check.js';
import { completionCommand, completionIds } from './completion.js';
import { flag, type Command, type Flag } from './define.js';
import { doctor } from './doctor.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { history } from './history.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { list } from './list.js';
import { match } from './match.js';
import { newCommand } from './new.js';
import { report } from './report.js';
import { resume } from './resume.js';
import { run } from './run.js';
import { schema } from './schema.js';
import { show } from './show.js';
import { state } from './state.js';
import { status } from './status.js';
import { test } from './test.js';
import { validate } from './validate.js';

/** Every command, in the order help lists them. Adding one: its file, and this list. */
export const COMMANDS: readonly Command[] = [
  list,
  show,
  validate,
  test,
  schema,
  run,
  match,
  resume,
  approve,
  history,
  status,
  state,
  check,
  adapters,
  doctor,
  report,
  // Fitting into editors and shells (docs/ci.md).
  newCommand,
  importCommand,
  exportCommand,
  completionCommand(() => COMMANDS),
  completionIds,
];

/** Parses argv, runs one command, and turns any error into a message and an exit code. */
export async function runProgram(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Commander('runbook')
    .description('Incident-response runbooks: validate, dry-run, run and record them safely.')
    .option(
      '-V, --version',
      'print the version, Node.js version and platform (--json for a bug report)',
    )
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const command of COMMANDS) {
    const sub = program
      .command(command.name, { hidden: command.hidden === true })
      .description(command.summary);
    for (const arg of Object.values(command.args)) sub.argument(arg.spec, arg.description);
    const options = Object.entries(command.flags).map(
      ([key, flag]) => [key, optionOf(flag)] as const,
    );
    for (const [, option] of options) sub.addOption(option);
    // `--json` wherever `--format json` is accepted.
    const format = command.flags.format;
    const jsonAlias = format?.choices?.includes('json') && !('json' in command.flags);
    if (jsonAlias) sub.addOption(new Option('--json', 'print JSON (as --format json)'));
    // And `--format text|json` wherever only `--json` is: one spelling works everywhere.
    const formatAlias = 'json' in command.flags && format === undefined;
    if (formatAlias)
      sub.addOption(
        optionOf(flag.choice('--format <format>', 'text or json (as --json)', TEXT_JSON)),
      );
    sub.action(async (...received: unknown[]) => {
      const args: Record<string, unknown> = {};
      Object.keys(command.args).forEach((key, index) => (args[key] = received[index]));
      const parsed = sub.opts<Record<string, unknown>>();
      const flags: Record<string, unknown> = {};
      for (const [key, option] of options) flags[key] = parsed[option.attributeName()];
      if (jsonAlias && parsed.json === true) {
        if (sub.getOptionValueSource('format') === 'cli' && flags.format !== 'json')
          throw new CommanderError(
            EXIT.usage,
            'runbook.format',
            `error: --json and --format ${String(flags.format)} ask for two formats`,
          );
        flags.format = 'json';
      }
      if (formatAlias && sub.getOptionValueSource('format') === 'cli') {
        if (parsed.json === true && parsed.format !== 'json')
          throw new CommanderError(
            EXIT.usage,
            'runbook.format',
            `error: --json and --format ${String(parsed.format)} ask for two formats`,
          );
        flags.json = parsed.format === 'json';
      }
      exitCode = await command.handler(args as never, flags as never, io);
    });
  }
  // `runbook nosuch --help` is an unknown command (exit 2, with a suggestion), not a request for
  // the general help, which commander would answer first.
  const [first] = argv;
  const unknownCommand =
    first !== undefined &&
    !first.startsWith('-') &&
    first !== 'help' &&
    !program.commands.some((known) => known.name() === first || known.aliases().includes(first));
  const words = unknownCommand ? argv.filter((word) => word !== '--help' && word !== '-h') : argv;
  try {
    await program.parseAsync([...words], { from: 'user' });
    return exitCode;
  } catch (error) {
    return handleError(error, io);
  }
}

/** `--format` of a command that otherwise has only `--json`. */
const TEXT_JSON = ['text', 'json'] as const;

function optionOf(flag: Flag<unknown>): Option {
  const option = new Option(flag.spec, flag.description);
  switch (flag.kind) {
    case 'boolean':
      if (flag.default !== undefined) option.default(flag.default);
      return option;
    case 'string':
      if (flag.default !== undefined) option.default(flag.default);
      // `--dir --help` gives --dir no value: the next word is an option, not a directory named so
      // (one that is can be written ./--help).
      return option.argParser((value: string) => {
        if (value.startsWith('--'))
          throw new CommanderError(
            EXIT.usage,
            'runbook.optionValue',
            `error: ${option.long ?? flag.spec} needs a value, and got the option ${value}` +
              `\nhint: put its value right after ${option.long ?? flag.spec}`,
          );
        return value;
      });
    case 'list':
      return option
        .default([])
        .argParser((value: string, previous: string[]) => [...previous, value]);
    case 'choice': {
      const choices = flag.choices ?? [];
      return option.default(flag.default).argParser((value: string) => {
        if (!choices.includes(value))
          throw new CommanderError(
            EXIT.usage,
            'runbook.format',
            `error: ${option.long ?? flag.spec} must be one of ${choices.join(', ')} (got "${value}")`,
          );
        return value;
      });
    }
    default: {
      const unreachable: never = flag.kind;
      return unreachable;
    }
  }
}

function handleError(error: unknown, io: Io): number {
  const colors = colorsFor(io.stderr, io.env);
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return EXIT.ok;
    if (error.code === 'runbook.format' || error.code === 'runbook.optionValue')
      io.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof InvalidRunbookError) {
    io.stderr.write(`${formatDiagnostics(error.diagnostics, colors)}\n`);
    const errors = error.diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr.write(
      `\n${colors.red(`${errors} error${errors === 1 ? '' : 's'}`)}${error.hint ? ` — ${error.hint}` : ''}\n`,
    );
    return EXIT.usage;
  }
  if (error instanceof RunbookError) {
    io.stderr.write(`${colors.red('runbook:')} ${error.message}\n`);
    if (error.hint) io.stderr.write(`${colors.cyan('hint:')} ${error.hint}\n`);
    return exitCodeForError(error.kind);
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${colors.red('runbook: internal error:')} ${message}\n`);
  if (io.env.RUNBOOK_DEBUG && error instanceof Error && error.stack)
    io.stderr.write(`${error.stack}\n`);
  else
    io.stderr.write(
      'This is a bug in runbook. Rerun with RUNBOOK_DEBUG=1 to see where it happened.\n',
    );
  return EXIT.internal;
}
