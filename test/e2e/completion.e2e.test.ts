import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin, tempDir } from '../helpers/cli.js';

// The scripts are run by the real shells (scripts/test-deps.sh installs zsh and fish), with the
// built CLI on PATH as `runbook`, in a directory holding two runbooks.
let dir: { path: string; remove: () => void };
const scripts: Record<string, string> = {};
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir('runbook-completion-');
  symlinkSync(BIN, join(dir.path, 'runbook'));
  for (const id of ['api-down', 'disk-full'])
    expect((await runBin(['new', id, '--dir', 'rb'], { cwd: dir.path })).code).toBe(0);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runBin(['completion', shell]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    scripts[shell] = join(dir.path, `completion.${shell}`);
    writeFileSync(scripts[shell], result.stdout);
  }
  env = { PATH: `${dir.path}:${process.env.PATH ?? ''}`, HOME: dir.path };
});
afterAll(() => dir.remove());

const COMMANDS = [
  'list',
  'show',
  'validate',
  'test',
  'schema',
  'run',
  'match',
  'resume',
  'approve',
  'history',
  'status',
  'state',
  'check',
  'adapters',
  'doctor',
  'report',
  'new',
  'import',
  'export',
  'completion',
];

/** What bash's completion function offers for a command line whose last word is being typed. */
function bash(...words: string[]): string[] {
  const program = `source ${scripts.bash}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _runbook; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', program, 'bash', ...words], {
    cwd: dir.path,
    env,
    encoding: 'utf8',
  });
  return out.split('\n').filter((line) => line !== '');
}

/** What zsh's function hands compadd (and _files), with the completion system's builtins
 * replaced by recorders. */
function zsh(...words: string[]): string[] {
  const program = `source ${scripts.zsh} 2>/dev/null; compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }; _files() { print -r -- "<files $*>"; }; words=("$@"); CURRENT=$#; _runbook`;
  const out = execFileSync('zsh', ['-fc', program, 'zsh', ...words], {
    cwd: dir.path,
    env,
    encoding: 'utf8',
  });
  return out.split('\n').filter((line) => line !== '');
}

/** What fish completes for a command line, as `complete -C` prints it (candidate, tab, description). */
function fish(line: string): string[] {
  const out = execFileSync(
    'fish',
    ['--no-config', '-c', `source ${scripts.fish}; complete -C ${JSON.stringify(line)}`],
    {
      cwd: dir.path,
      env,
      encoding: 'utf8',
    },
  );
  return out.split('\n').filter((entry) => entry !== '');
}

describe('runbook completion', () => {
  it('bash: commands, flags, flag values and runbook ids', () => {
    expect(bash('runbook', '')).toEqual(COMMANDS);
    expect(bash('runbook', 's')).toEqual(['show', 'schema', 'status', 'state']);
    expect(bash('runbook', '--')).toEqual(['--version', '--help']);
    expect(bash('runbook', 'validate', '--')).toEqual([
      '--dir',
      '--inventory',
      '--strict',
      '--format',
      '--json',
      '--help',
    ]);
    expect(bash('runbook', 'run', '--format', '')).toEqual(['text', 'json', 'junit']);
    expect(bash('runbook', 'new', 'x', '--from-template', 'p')).toEqual(['psql', 'pm2']);
    expect(bash('runbook', 'run', '--var', '')).toEqual([]);
    expect(bash('runbook', 'run', '--dir', 'r')).toEqual(['rb']);
    expect(bash('runbook', 'run', '--dir', 'rb', '')).toEqual(['api-down', 'disk-full']);
    expect(bash('runbook', 'show', '--dir', 'rb', 'd')).toEqual(['disk-full']);
    expect(bash('runbook', 'check', '--dir', 'rb', 'api-down', '')).toEqual([
      'api-down',
      'disk-full',
    ]);
    // No runbook directory here: no ids, and nothing printed on the terminal.
    expect(bash('runbook', 'run', '')).toEqual([]);
    expect(bash('runbook', 'completion', '')).toEqual([]);
  });

  it('bash: the flags are those of the command definitions (run --help lists the same)', async () => {
    const help = (await runBin(['run', '--help'])).stdout;
    const fromHelp = [...help.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)].flatMap((m) =>
      m[1] ? [m[1], m[2]] : [m[2]],
    );
    expect(fromHelp).toContain('--dry-run');
    expect(bash('runbook', 'run', '-').sort()).toEqual(fromHelp.sort());
  });

  it('zsh: the same candidates, handed to compadd', () => {
    expect(zsh('runbook', '')).toEqual(COMMANDS);
    expect(zsh('runbook', 'run', '--format', '')).toEqual(['text', 'json', 'junit']);
    expect(zsh('runbook', 'doctor', '--dir', 'rb', '')).toEqual(['api-down', 'disk-full']);
    expect(zsh('runbook', 'run', '--dir', '')).toEqual(['<files -/>']);
    expect(zsh('runbook', 'validate', '')).toEqual(['<files >']);
    expect(zsh('runbook', 'check', '-')).toEqual(bash('runbook', 'check', '-'));
    expect(zsh('runbook', 'check', '-')).toContain('--var');
  });

  it('fish: commands with their summaries, flags, values and ids', () => {
    expect(fish('runbook sh')).toEqual([
      'show\tShow one runbook: its variables, sections and steps',
    ]);
    expect(fish('runbook run --format j')).toEqual([
      'json\ttext, json or junit',
      'junit\ttext, json or junit',
    ]);
    expect(fish('runbook run --dir rb ')).toEqual(['api-down', 'disk-full']);
    expect(fish('runbook validate --st')).toEqual([
      '--strict\talso fail unguarded destructive steps and ids that do not match file names',
    ]);
  });

  it('the hidden __ids command prints the ids, and help does not list it', async () => {
    expect(await runBin(['__ids', '--dir', 'rb'], { cwd: dir.path })).toMatchObject({
      code: 0,
      stdout: 'api-down\ndisk-full\n',
      stderr: '',
    });
    expect((await runBin(['--help'])).stdout).not.toContain('__ids');
  });

  it('an unknown shell is a usage error (exit 2)', async () => {
    expect(await runBin(['completion', 'powershell'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'runbook: no completion for "powershell": the shells are bash, zsh, fish\nhint: for example: source <(runbook completion bash)\n',
    });
  });
});
