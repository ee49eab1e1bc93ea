import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
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

/** The ids of the runbooks in a directory (file names without .yaml), sorted. */
export function runbookIds(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.replace(/\.yaml$/, ''))
    .sort();
}
