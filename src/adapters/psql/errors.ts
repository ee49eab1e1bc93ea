import type { Unavailable } from '../support/run-tool.js';

/** psql's own message for a failure, on one line: `ERROR: relation "x" does not exist`. */
export function psqlError(stderr: string): string | undefined {
  if (stderr.includes('invalid command \\getenv'))
    return 'params need psql 15 or later, which reads them with \\getenv; this psql is older (runbook doctor shows its version)';
  const lines = stderr.split('\n').map((line) => line.replace(/\s+/g, ' ').trim());
  return (
    lines.find((line) => /^(?:psql: error:|ERROR:|FATAL:|psql:.*(?:ERROR|FATAL):)/.test(line)) ??
    lines.find(
      (line) => line !== '' && !/^(?:NOTICE|WARNING|INFO|DETAIL|HINT|LINE \d+):/.test(line),
    )
  );
}

/** psql exits 2 when it could not connect: the server is down, unreachable, or refused the login. */
export const serverDown: Unavailable = (result) => {
  if (result.exitCode !== 2 || result.timedOut || result.interrupted) return undefined;
  const message = psqlError(result.stderr) ?? 'psql could not connect to the server';
  const hint = /authentication failed|no password supplied|role .* does not exist/.test(message)
    ? 'check the user and password of the connection (the url: of the step, or PGUSER and PGPASSWORD)'
    : 'is the PostgreSQL server running and reachable? check the url: of the step (or PGHOST and PGPORT)';
  return { message, hint };
};
