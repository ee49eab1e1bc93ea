import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 server binaries (package postgresql-15); PGBIN overrides. */
export const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL cluster: unix socket in its own temp dir, and TCP on 127.0.0.1. */
export interface PgCluster {
  dir: string;
  port: number;
  /** PG* variables for the superuser `postgres` over the unix socket (trust). */
  env: { PGHOST: string; PGPORT: string; PGUSER: string; PGDATABASE: string };
  /** A login role that must authenticate with its password (scram-sha-256), over TCP. */
  user: string;
  password: string;
  database: string;
  /** postgres://user:password@127.0.0.1:port/database, the password percent-encoded. */
  url: string;
  /** Runs SQL as the superuser and returns psql's unaligned tuples-only output. */
  psql(sql: string): Promise<string>;
  /** Stops the server at once (as a crash would), keeping its data: `start` brings it back. */
  halt(): void;
  /** Starts a halted server again, on the same port. */
  start(): Promise<void>;
  /** Stops the server at once and deletes the directory. Safe to call twice. */
  stop(): void;
}

/**
 * Starts a cluster with initdb and pg_ctl. initdb refuses to run as root, so as root the server
 * runs as the `postgres` OS user; its directory must then belong to, and be traversable by, it.
 * The directory name stays short: unix socket paths are limited to ~107 bytes.
 */
export async function startPostgres(
  options: { user?: string; password?: string; database?: string } = {},
): Promise<PgCluster> {
  if (!existsSync(join(PGBIN, 'initdb')))
    throw new Error(`${PGBIN}/initdb not found: install postgresql-15 (or set PGBIN)`);
  const asRoot = process.getuid?.() === 0;
  const as = (file: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const dir = mkdtempSync('/tmp/pg-');
  const data = join(dir, 'data');
  let started = false;
  const halt = (): void => {
    if (started) {
      started = false;
      const [file, args] = as(join(PGBIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      try {
        execFileSync(file, args, { stdio: 'ignore', timeout: 30_000 });
      } catch {
        // Already stopped.
      }
    }
  };
  const stop = (): void => {
    halt();
    rmSync(dir, { recursive: true, force: true });
  };
  let serverOptions = '';
  const start = async (): Promise<void> => {
    started = true;
    await run(
      ...as(join(PGBIN, 'pg_ctl'), [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        serverOptions,
        'start',
      ]),
    );
  };
  try {
    chmodSync(dir, 0o755);
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(dir, uid, gid);
    }
    await run(
      ...as(join(PGBIN, 'initdb'), [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-sync',
        '-E',
        'UTF8',
        '--locale=C',
      ]),
    );
    const port = await freePort();
    serverOptions = [
      `-p ${port}`,
      `-k ${dir}`,
      `-c listen_addresses=127.0.0.1`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=40',
    ].join(' ');
    await start();
    const env = {
      PGHOST: dir,
      PGPORT: String(port),
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
    };
    const psql = async (sql: string): Promise<string> => {
      const { stdout } = await run(
        'psql',
        ['-X', '-w', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql],
        { env: { PATH: process.env.PATH, ...env } },
      );
      return stdout.trim();
    };
    const user = options.user ?? 'app';
    const password = options.password ?? 'S3cret@pw:for/app';
    const database = options.database ?? 'app';
    await psql(`create role ${user} login password '${password.replace(/'/g, "''")}'`);
    await psql(`create database ${database} owner ${user}`);
    const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    return { dir, port, env, user, password, database, url, psql, halt, start, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
