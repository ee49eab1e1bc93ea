import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { InvalidRunbookError, RunbookError } from '../common/errors.js';
import { EXIT, exitCodeForError } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import type { CheckOptions } from './check.js';
import type { DoctorOptions } from './doctor.js';
import type { ListOptions } from './list.js';
import type { RunOptions } from './run.js';
import type { ShowOptions } from './show.js';
import type { ValidateOptions } from './validate.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const formats =
  (...names: string[]): ((value: string) => string) =>
  (value) => {
    if (!names.includes(value))
      throw new CommanderError(
        EXIT.usage,
        'runbook.format',
        `error: --format must be one of ${names.join(', ')} (got "${value}")`,
      );
    return value;
  };

const commands = () => import('./commands.js');

/** Parses argv, runs one command, and turns any error into a message and an exit code.
 * Command modules load lazily so that `runbook --version` starts as fast as node itself. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  if (isVersionRequest(argv)) {
    io.stdout.write(versionText(argv.includes('--json')));
    return EXIT.ok;
  }
  let exitCode: number = EXIT.ok;
  const program = new Command('runbook')
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

  program
    .command('list')
    .description('List runbooks')
    .option('--dir <dir>', 'runbook directory')
    .option('--json', 'print JSON')
    .option('--severity <level>', 'only this severity')
    .option('--tag <tag>', 'only runbooks with this tag')
    .option('--service <service>', 'only this service')
    .action(async (options: ListOptions) => {
      exitCode = await (await commands()).listCommand(options, io);
    });

  program
    .command('show')
    .description('Show one runbook: its variables, sections and steps')
    .argument('<id>', 'runbook id')
    .option('--dir <dir>', 'runbook directory')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ShowOptions) => {
      exitCode = await (await commands()).showCommand(id, options, io);
    });

  program
    .command('validate')
    .description('Check runbook files; every problem at file:line:col (exit 2 when invalid)')
    .argument('[paths...]', 'files or directories (default: the runbook directories)')
    .option('--dir <dir>', 'runbook directory')
    .option(
      '--strict',
      'also fail unguarded destructive steps and ids that do not match file names',
    )
    .addOption(
      new Option('--format <format>', 'text, json or junit')
        .default('text')
        .argParser(formats('text', 'json', 'junit')),
    )
    .action(async (paths: string[], options: ValidateOptions) => {
      exitCode = await (await commands()).validateCommand(paths, options, io);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of the runbook file')
    .option('--out <file>', 'write it to a file')
    .action(async (options: { out?: string }) => {
      exitCode = await (await commands()).schemaCommand(options, io);
    });

  program
    .command('run')
    .description(
      'Run a runbook: detection, diagnosis, resolution, verification (rollback on failure)',
    )
    .argument('<id>', 'runbook id')
    .option('--dir <dir>', 'runbook directory')
    .option('--dry-run', 'execute nothing; print every step and its exact command')
    .option('--read-only', 'run read steps for real; plan the rest')
    .option('-y, --yes', 'approve steps that need confirmation')
    .option(
      '--approve <step>',
      'approve one step that needs confirmation (repeatable)',
      collect,
      [],
    )
    .option(
      '--non-interactive',
      'never prompt: confirmations need --yes/--approve; manual steps stay pending',
    )
    .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
    .option('--env <name>', 'use the values of one of the runbook’s environments')
    .option('--only <sections>', 'run only these sections (comma-separated)')
    .option('--from <step>', 'skip every step before this one')
    .option('--force', 'run even if another run of this runbook holds its lock')
    .option(
      '--kill-orphans',
      'first end the processes that earlier runs left running when they were killed',
    )
    .addOption(
      new Option('--format <format>', 'text, json or junit')
        .default('text')
        .argParser(formats('text', 'json', 'junit')),
    )
    .action(async (id: string, options: RunOptions) => {
      exitCode = await (await commands()).runCommand(id, options, io);
    });

  program
    .command('check')
    .description(
      'Run health checks for cron and monitoring: read steps only, never a prompt, Nagios exit codes',
    )
    .argument('[ids...]', 'runbook ids')
    .option('--dir <dir>', 'runbook directory')
    .option('--all', 'check every runbook')
    .option('--tag <tag>', 'check the runbooks with this tag')
    .option('--service <service>', 'check the runbooks of this service')
    .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
    .option('--env <name>', 'use the values of one of the runbook’s environments')
    .addOption(
      new Option('--format <format>', 'text, json or prometheus')
        .default('text')
        .argParser(formats('text', 'json', 'prometheus')),
    )
    .option('--timeout <duration>', 'bound the whole command and each check', '30s')
    .option('--concurrency <n>', 'checks run at the same time', '8')
    .option('--prometheus-textfile <path>', 'also write the metrics there, atomically')
    .option('--pushgateway <url>', 'also push the metrics to this Prometheus Pushgateway')
    .action(async (ids: string[], options: CheckOptions) => {
      exitCode = await (await commands()).checkCommand(ids, options, io);
    });

  program
    .command('adapters')
    .description('List adapters, their actions and effects, and whether each one’s program is here')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      exitCode = await (await commands()).adaptersCommand(options, io);
    });

  program
    .command('doctor')
    .description('Check that everything one runbook needs is here (exit 1 naming what is missing)')
    .argument('<id>', 'runbook id')
    .option('--dir <dir>', 'runbook directory')
    .option('--json', 'print JSON')
    .option('--var <name=value>', 'set a variable (repeatable)', collect, [])
    .option('--env <name>', 'use the values of one of the runbook’s environments')
    .action(async (id: string, options: DoctorOptions) => {
      exitCode = await (await commands()).doctorCommand(id, options, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return handleError(error, io);
  }
}

/** `runbook --version [--json]`, in either order. */
function isVersionRequest(argv: readonly string[]): boolean {
  const rest = argv.filter((arg) => arg !== '--json');
  return rest.length === 1 && (rest[0] === '--version' || rest[0] === '-V') && argv.length <= 2;
}

/** What a bug report needs: runbook's version, the Node.js running it, and the platform. */
function versionText(json: boolean): string {
  const facts = {
    runbook: packageJson.version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
  if (json) return `${JSON.stringify(facts, null, 2)}\n`;
  return `runbook ${facts.runbook} (Node.js ${facts.node}, ${facts.platform}-${facts.arch})\n`;
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
    if (error.code === 'runbook.format') io.stderr.write(`${error.message}\n`);
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
