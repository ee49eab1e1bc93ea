import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** Every tool a shipped runbook could call. */
export const TOOLS = [
  'sh',
  'bash',
  'dash',
  'env',
  'curl',
  'wget',
  'jq',
  'node',
  'npm',
  'npx',
  'pm2',
  'docker',
  'psql',
  'pg_dump',
  'pg_restore',
  'wrangler',
  'vercel',
  'systemctl',
  'journalctl',
  'nginx',
  'ssh',
  'scp',
  'kill',
  'pkill',
  'rm',
  'mv',
  'cp',
  'ls',
  'cat',
  'tail',
  'head',
  'grep',
  'find',
  'du',
  'df',
  'tar',
  'sed',
  'awk',
  'true',
  'false',
  'echo',
  'printf',
  'touch',
  'test',
  'sleep',
  'date',
  'ps',
  'top',
  'free',
  'lsof',
  'ss',
  'netstat',
  'nc',
  'ping',
  'dig',
  'nslookup',
  'git',
  'openssl',
  'sort',
  'uniq',
  'wc',
  'supabase',
  'python3',
  'docker-compose',
  'xargs',
  'mkdir',
  'ufw',
  'nano',
  'sudo',
  'watch',
];

export interface Recorders {
  /** A directory to use as the whole PATH: every tool in it only records that it was called. */
  bin: string;
  /** Every call so far, one line each (`tool args…`); empty when nothing was called. */
  calls(): string;
}

/** Puts a recorder for each tool in `dir/bin`, so that a test can prove nothing was called. */
export function makeRecorders(dir: string, tools: readonly string[] = TOOLS): Recorders {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  mkdirSync(bin, { recursive: true });
  for (const tool of new Set(tools)) {
    const path = join(bin, tool);
    writeFileSync(path, `#!/bin/sh\necho "${tool} $*" >> '${log}'\n`);
    chmodSync(path, 0o755);
  }
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

/** The ids of the runbooks in a directory (file names without .yaml), sorted; scenario files
 * (`<id>.test.yaml`) are not runbooks. */
export function runbookIds(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && !file.endsWith('.test.yaml'))
    .map((file) => file.replace(/\.yaml$/, ''))
    .sort();
}

/** One call a recorder saw: the tool, its exact argv, its environment and what it read on stdin. */
export interface RecordedCall {
  tool: string;
  argv: string[];
  env: Record<string, string>;
  stdin: string;
}

export interface ArgvRecorders {
  /** Put this first on PATH. */
  bin: string;
  /** Every call since the last clear(), in order. */
  calls(): RecordedCall[];
  clear(): void;
}

/**
 * Like makeRecorders, but exact: each call keeps its argv NUL-separated (any value survives as the
 * one argument it was), its environment and its stdin, in files named by the time in microseconds.
 * The tools print nothing and exit 0; they are bash scripts that start no other process, so that
 * thousands of calls stay cheap.
 */
export function makeArgvRecorders(dir: string, tools: readonly string[]): ArgvRecorders {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(log, { recursive: true });
  for (const tool of new Set(tools)) {
    const path = join(bin, tool);
    writeFileSync(
      path,
      [
        '#!/bin/bash',
        `call='${log}'/"\${EPOCHREALTIME/./}-$$"`,
        `printf '%s\\0' '${tool}' "$@" > "$call.argv"`,
        `while IFS= read -r -d '' entry; do printf '%s\\0' "$entry"; done < /proc/self/environ > "$call.env"`,
        'IFS= read -r -d \'\' input; printf \'%s\' "$input" > "$call.stdin"',
        '',
      ].join('\n'),
    );
    chmodSync(path, 0o755);
  }
  const fields = (text: string): string[] => text.split('\0').slice(0, -1);
  return {
    bin,
    calls: () =>
      readdirSync(log)
        .filter((name) => name.endsWith('.argv'))
        .sort()
        .map((name) => {
          const read = (suffix: string) =>
            readFileSync(join(log, name.replace(/\.argv$/, suffix)), 'utf8');
          const [tool = '', ...argv] = fields(read('.argv'));
          const env = Object.fromEntries(
            fields(read('.env')).map((entry) => {
              const at = entry.indexOf('=');
              return [entry.slice(0, at), entry.slice(at + 1)];
            }),
          );
          return { tool, argv, env, stdin: read('.stdin') };
        }),
    clear: () => {
      rmSync(log, { recursive: true, force: true });
      mkdirSync(log);
    },
  };
}
