import { UsageError } from '../common/errors.js';
import { loadCatalog } from './catalog.js';
import type { Command } from './define.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { setup } from './setup.js';

/**
 * `runbook completion bash|zsh|fish` (docs/commands.md#completion). The scripts are made from the
 * command definitions, so a new command or flag completes without touching this file; runbook ids
 * come from `runbook __ids` (with the `--dir` typed on the line) when a word is completed.
 */

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** What completes after a flag that takes a value. */
type ValueKind =
  | { kind: 'none' }
  | { kind: 'dir' }
  | { kind: 'file' }
  | { kind: 'choices'; choices: readonly string[] };

interface FlagSpec {
  short: string | undefined;
  long: string;
  description: string;
  value: ValueKind | undefined;
}

interface CommandSpec {
  name: string;
  summary: string;
  flags: FlagSpec[];
  positional: 'runbook-ids' | 'paths' | 'nothing';
}

export function printCompletion(shell: string, commands: readonly Command[], io: Io): number {
  if (!(SHELLS as readonly string[]).includes(shell))
    throw new UsageError(
      `no completion for ${JSON.stringify(shell)}: the shells are ${SHELLS.join(', ')}`,
      'for example: source <(runbook completion bash)',
    );
  const specs = commandSpecs(commands);
  io.stdout.write(SCRIPTS[shell as Shell](specs));
  return EXIT.ok;
}

/** Every valid runbook's id, one per line; broken files are `validate`'s business, not ours. */
export async function printIds(dir: string | undefined, io: Io): Promise<number> {
  const cli = await setup(io, { dir });
  const { entries } = await loadCatalog(cli);
  io.stdout.write(entries.map(({ runbook }) => `${runbook.id}\n`).join(''));
  return EXIT.ok;
}

/** The commands as completion sees them: what commander builds from the same definitions
 * (src/cli/program.ts), with `--json` where `--format json` is accepted, `--format text|json`
 * where only `--json` is, and `--help`. */
export function commandSpecs(commands: readonly Command[]): CommandSpec[] {
  return commands
    .filter((command) => command.hidden !== true)
    .map((command) => {
      const flags = Object.values(command.flags).map((flag): FlagSpec => {
        const words = flag.spec.split(/[ ,]+/);
        const short = words.find((word) => /^-[^-]/.test(word));
        const long = words.find((word) => word.startsWith('--')) ?? flag.spec;
        const placeholder = words.find((word) => word.startsWith('<'));
        let value: ValueKind | undefined;
        if (flag.kind === 'choice') value = { kind: 'choices', choices: flag.choices ?? [] };
        else if (placeholder === '<dir>') value = { kind: 'dir' };
        else if (placeholder === '<file>') value = { kind: 'file' };
        else if (placeholder !== undefined) value = { kind: 'none' };
        return { short, long, description: flag.description, value };
      });
      const format = command.flags.format;
      if (format?.choices?.includes('json') && !('json' in command.flags))
        flags.push({
          short: undefined,
          long: '--json',
          description: 'print JSON (as --format json)',
          value: undefined,
        });
      if ('json' in command.flags && format === undefined)
        flags.push({
          short: undefined,
          long: '--format',
          description: 'text or json (as --json)',
          value: { kind: 'choices', choices: ['text', 'json'] },
        });
      flags.push({
        short: '-h',
        long: '--help',
        description: 'display help for command',
        value: undefined,
      });
      const arg = Object.entries(command.args)[0];
      const positional =
        arg === undefined
          ? 'nothing'
          : (arg[1].completes ??
            (arg[0] === 'id' || arg[0] === 'ids'
              ? 'runbook-ids'
              : arg[0] === 'paths'
                ? 'paths'
                : 'nothing'));
      return { name: command.name, summary: command.summary, flags, positional };
    });
}

const SCRIPTS: Record<Shell, (specs: CommandSpec[]) => string> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
};

const flagWords = (spec: CommandSpec): string =>
  spec.flags.flatMap((flag) => (flag.short ? [flag.short, flag.long] : [flag.long])).join(' ');

const valueFlags = (spec: CommandSpec): Array<FlagSpec & { value: ValueKind }> =>
  spec.flags.filter((flag): flag is FlagSpec & { value: ValueKind } => flag.value !== undefined);

const ofPositional = (specs: CommandSpec[], kind: CommandSpec['positional']): string =>
  specs
    .filter((spec) => spec.positional === kind)
    .map((spec) => spec.name)
    .join('|');

function bashScript(specs: CommandSpec[]): string {
  const lines: string[] = [
    '# bash completion for runbook: commands, flags and runbook ids.',
    '# Load it from ~/.bashrc:  source <(runbook completion bash)',
    '_runbook_ids() {',
    '  local dir="" i',
    '  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do',
    '    [[ ${COMP_WORDS[i]} == --dir ]] && dir=${COMP_WORDS[i + 1]}',
    '  done',
    '  if [[ -n $dir ]]; then runbook __ids --dir "$dir" 2>/dev/null; else runbook __ids 2>/dev/null; fi',
    '}',
    '_runbook() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" i',
    '  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac',
    '  done',
    '  COMPREPLY=()',
    '  if [[ -z $cmd ]]; then',
    '    if [[ $cur == -* ]]; then',
    '      mapfile -t COMPREPLY < <(compgen -W "--version --help" -- "$cur")',
    '    else',
    `      mapfile -t COMPREPLY < <(compgen -W "${specs.map((spec) => spec.name).join(' ')}" -- "$cur")`,
    '    fi',
    '    return 0',
    '  fi',
    '  case "$cmd $prev" in',
  ];
  for (const spec of specs)
    for (const flag of valueFlags(spec)) {
      const names = [flag.short, flag.long].filter(Boolean).map((name) => `"${spec.name} ${name}"`);
      const value = flag.value;
      const action =
        value.kind === 'choices'
          ? `mapfile -t COMPREPLY < <(compgen -W "${value.choices.join(' ')}" -- "$cur")`
          : value.kind === 'dir'
            ? 'mapfile -t COMPREPLY < <(compgen -d -- "$cur")'
            : value.kind === 'file'
              ? 'mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
              : ':';
      lines.push(`    ${names.join(' | ')}) ${action}; return 0 ;;`);
    }
  lines.push('  esac', '  if [[ $cur == -* ]]; then', '    case $cmd in');
  for (const spec of specs)
    lines.push(
      `      ${spec.name}) mapfile -t COMPREPLY < <(compgen -W "${flagWords(spec)}" -- "$cur") ;;`,
    );
  lines.push('    esac', '    return 0', '  fi', '  case $cmd in');
  const ids = ofPositional(specs, 'runbook-ids');
  const paths = ofPositional(specs, 'paths');
  if (ids)
    lines.push(`    ${ids}) mapfile -t COMPREPLY < <(compgen -W "$(_runbook_ids)" -- "$cur") ;;`);
  if (paths) lines.push(`    ${paths}) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;`);
  lines.push('  esac', '  return 0', '}', 'complete -F _runbook runbook', '');
  return lines.join('\n');
}

function zshScript(specs: CommandSpec[]): string {
  const lines: string[] = [
    '#compdef runbook',
    '# zsh completion for runbook: commands, flags and runbook ids.',
    '# Load it from ~/.zshrc, after compinit:  source <(runbook completion zsh)',
    '_runbook_ids() {',
    '  local dir="" i',
    '  for ((i = 2; i <= ${#words}; i++)); do',
    '    [[ ${words[i]} == --dir ]] && dir=${words[i + 1]}',
    '  done',
    '  if [[ -n $dir ]]; then runbook __ids --dir "$dir" 2>/dev/null; else runbook __ids 2>/dev/null; fi',
    '}',
    '_runbook() {',
    '  local cur=${words[CURRENT]} prev=${words[CURRENT - 1]} cmd="" i',
    '  local -a candidates',
    '  for ((i = 2; i < CURRENT; i++)); do',
    '    [[ ${words[i]} == -* ]] || { cmd=${words[i]}; break; }',
    '  done',
    '  if [[ -z $cmd ]]; then',
    '    if [[ $cur == -* ]]; then candidates=(--version --help)',
    `    else candidates=(${specs.map((spec) => spec.name).join(' ')}); fi`,
    '    compadd -- "${candidates[@]}"',
    '    return',
    '  fi',
    '  case "$cmd $prev" in',
  ];
  for (const spec of specs)
    for (const flag of valueFlags(spec)) {
      const names = [flag.short, flag.long].filter(Boolean).map((name) => `"${spec.name} ${name}"`);
      const value = flag.value;
      const action =
        value.kind === 'choices'
          ? `compadd -- ${value.choices.join(' ')}`
          : value.kind === 'dir'
            ? '_files -/'
            : value.kind === 'file'
              ? '_files'
              : ':';
      lines.push(`    ${names.join(' | ')}) ${action}; return ;;`);
    }
  lines.push('  esac', '  if [[ $cur == -* ]]; then', '    case $cmd in');
  for (const spec of specs) lines.push(`      ${spec.name}) compadd -- ${flagWords(spec)} ;;`);
  lines.push('    esac', '    return', '  fi', '  case $cmd in');
  const ids = ofPositional(specs, 'runbook-ids');
  const paths = ofPositional(specs, 'paths');
  if (ids) lines.push(`    ${ids}) compadd -- \${(f)"$(_runbook_ids)"} ;;`);
  if (paths) lines.push(`    ${paths}) _files ;;`);
  lines.push(
    '  esac',
    '}',
    'if (( $+functions[compdef] )); then',
    '  compdef _runbook runbook',
    'else',
    "  print -u2 'runbook completion: run compinit first (autoload -Uz compinit && compinit)'",
    'fi',
    '',
  );
  return lines.join('\n');
}

/** A fish string in single quotes. */
const fishQuote = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

function fishScript(specs: CommandSpec[]): string {
  const lines: string[] = [
    '# fish completion for runbook: commands, flags and runbook ids.',
    '# Load it:  runbook completion fish | source',
    '# (or keep it: runbook completion fish > ~/.config/fish/completions/runbook.fish)',
    'function __runbook_ids',
    '    set -l words (commandline -opc)',
    '    set -l at (contains -i -- --dir $words)',
    '    if test -n "$at"; and test (count $words) -gt $at',
    '        runbook __ids --dir $words[(math $at + 1)] 2>/dev/null',
    '    else',
    '        runbook __ids 2>/dev/null',
    '    end',
    'end',
    'complete -c runbook -f',
    "complete -c runbook -n __fish_use_subcommand -s V -l version -d 'print the version'",
    "complete -c runbook -n __fish_use_subcommand -s h -l help -d 'display help'",
  ];
  for (const spec of specs)
    lines.push(
      `complete -c runbook -n __fish_use_subcommand -a ${spec.name} -d ${fishQuote(spec.summary)}`,
    );
  for (const spec of specs) {
    const when = `-n ${fishQuote(`__fish_seen_subcommand_from ${spec.name}`)}`;
    for (const flag of spec.flags) {
      const names = [
        flag.short ? `-s ${flag.short.slice(1)}` : undefined,
        `-l ${flag.long.slice(2)}`,
      ].filter(Boolean);
      const value = flag.value;
      const takes =
        value === undefined
          ? ''
          : value.kind === 'choices'
            ? ` -x -a ${fishQuote(value.choices.join(' '))}`
            : value.kind === 'dir'
              ? " -x -a '(__fish_complete_directories)'"
              : value.kind === 'file'
                ? ' -r -F'
                : ' -x';
      lines.push(
        `complete -c runbook ${when} ${names.join(' ')}${takes} -d ${fishQuote(flag.description)}`,
      );
    }
    if (spec.positional === 'runbook-ids')
      lines.push(`complete -c runbook ${when} -a '(__runbook_ids)'`);
    if (spec.positional === 'paths') lines.push(`complete -c runbook ${when} -F`);
  }
  lines.push('');
  return lines.join('\n');
}
