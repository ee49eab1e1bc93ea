import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type ProcessResult,
} from '../adapter.js';
import { binaryPreflight } from '../support/preflight.js';
import { runTool } from '../support/run-tool.js';
import {
  SQL_CODE,
  connectionsInput,
  longRunningInput,
  queryInput,
  readOnlyInput,
  selectInput,
  terminateInput,
  type ConnectionsInput,
  type LongRunningInput,
  type ReadOnlyInput,
  type SqlInput,
  type TerminateInput,
} from './inputs.js';
import {
  describeCommand,
  describeSql,
  processEnv,
  psqlCommand,
  sqlCommand,
  type PsqlCommand,
} from './argv.js';
import { connectionsSql, longRunningSql, readOnlyCommands, terminateSql } from './sql.js';
import {
  connectionsOutputs,
  longRunningOutputs,
  notices,
  parseObject,
  parseSqlOutput,
  terminateOutputs,
} from './parse.js';
import { psqlError, serverDown } from './errors.js';

// How rows come back. psql's CSV and unaligned modes print NULL and '' the same (or NULL as a
// display string a value may equal), and turn every value into text. So a query is wrapped as
// `select coalesce(json_agg(t), '[]') from (<query>) t` and printed with -At: the server itself
// writes one JSON array, where NULL is null, numbers and booleans keep their types, and commas,
// quotes, newlines and unicode are JSON-escaped. Statements that cannot be a subquery are run as
// they are: UPDATE/INSERT/DELETE … RETURNING through a CTE, SHOW/EXPLAIN as CSV (they never
// return NULL), anything else for its command tag (`UPDATE 3`, `CREATE TABLE`). psql.query and
// psql.select send it as a script on stdin, with their params (see script.ts).

/** Runs psql and turns its output into the action's outputs (never the raw stdout). */
async function runPsql(
  ctx: ActionContext,
  command: PsqlCommand,
  parse: (stdout: string) => Record<string, unknown>,
): Promise<ActionOutcome> {
  const outcome = await runTool(
    ctx,
    {
      file: 'psql',
      args: command.args,
      env: processEnv(command, ctx),
      ...(command.input === undefined ? {} : { input: command.input }),
    },
    (result: ProcessResult) => ({ ...parse(result.stdout), notices: notices(result.stderr) }),
    serverDown,
  );
  // The raw stdout, and its JSON, would only repeat the rows.
  const { stdout: _stdout, json: _json, stderr, exit_code, ...parsed } = outcome.outputs;
  if (outcome.ok) return { ...outcome, outputs: parsed };
  const failed: ActionOutcome = { ...outcome, outputs: { exit_code, stderr } };
  const message =
    outcome.timedOut || outcome.interrupted ? undefined : psqlError(outcome.stderr ?? '');
  if (message !== undefined && outcome.exitCode !== 0) failed.error = message;
  return failed;
}

function runSql(input: SqlInput, readOnly: boolean, ctx: ActionContext): Promise<ActionOutcome> {
  const command = sqlCommand(input, readOnly);
  return runPsql(ctx, command, (stdout) => parseSqlOutput(stdout, command.mode));
}

import { PSQL_OUTPUTS } from './outputs.js';

const TARGET = 'psql';

const commands = {
  connections: (input: ConnectionsInput) =>
    psqlCommand(input.url, ['-q', '-At'], [connectionsSql(input)]),
  longRunning: (input: LongRunningInput) =>
    psqlCommand(input.url, ['-q', '-At'], [longRunningSql(input)]),
  terminate: (input: TerminateInput) =>
    psqlCommand(input.url, ['-q', '-At'], [terminateSql(input)]),
  readOnly: (input: ReadOnlyInput) =>
    psqlCommand(input.url, ['-q', '-At'], readOnlyCommands(input)),
};

export const psql = {
  name: 'psql',
  summary:
    'PostgreSQL through psql: queries with typed rows, connections, long-running queries, terminating backends, read-only mode',
  binary: TARGET,
  actions: {
    query: defineAction({
      summary:
        'Run SQL (write). A query gives rows (JSON-typed: NULL is null), row_count and columns; another statement gives command (its tag, e.g. UPDATE 3) and row_count',
      input: queryInput,
      effect: 'write',
      outputs: PSQL_OUTPUTS.query,
      describe: (input) => describeSql(input, false),
      run: (input, ctx) => runSql(input, false, ctx),
      codeInputs: SQL_CODE,
    }),
    select: defineAction({
      summary:
        'Run one query inside a READ ONLY transaction (read): rows, row_count, columns. Writes fail; functions with effects outside the data (pg_terminate_backend) still run',
      input: selectInput,
      effect: 'read',
      outputs: PSQL_OUTPUTS.select,
      describe: (input) => describeSql(input, true),
      run: (input, ctx) => runSql(input, true, ctx),
      codeInputs: SQL_CODE,
    }),
    connections: defineAction({
      summary:
        'Client connections (not counting this one): total, max_connections, usage_pct, by_state {active, idle, idle_in_transaction, …}',
      input: connectionsInput,
      effect: 'read',
      outputs: PSQL_OUTPUTS.connections,
      describe: (input) => describeCommand(commands.connections(input)),
      run: (input, ctx) => runPsql(ctx, commands.connections(input), connectionsOutputs),
    }),
    long_running: defineAction({
      summary:
        'Queries running longer than threshold, longest first: queries [{pid, duration_s, state, query, usename, application_name, …}], count, pids, longest_s',
      input: longRunningInput,
      effect: 'read',
      outputs: PSQL_OUTPUTS.long_running,
      describe: (input) => describeCommand(commands.longRunning(input)),
      run: (input, ctx) => runPsql(ctx, commands.longRunning(input), longRunningOutputs),
    }),
    terminate: defineAction({
      summary:
        'pg_terminate_backend for backends whose query (or transaction) is older than older_than, filtered by state (default active), user, database, pids; never its own. Outputs terminated, not_terminated, backends, count',
      input: terminateInput,
      effect: 'destructive',
      outputs: PSQL_OUTPUTS.terminate,
      describe: (input) => describeCommand(commands.terminate(input)),
      run: (input, ctx) => runPsql(ctx, commands.terminate(input), terminateOutputs),
    }),
    read_only: defineAction({
      summary:
        'ALTER DATABASE … SET default_transaction_read_only = on|off: new sessions of the database become read-only (or writable again); open sessions keep theirs. Outputs database, read_only, connections',
      input: readOnlyInput,
      effect: 'destructive',
      outputs: PSQL_OUTPUTS.read_only,
      describe: (input) => describeCommand(commands.readOnly(input)),
      run: (input, ctx) => runPsql(ctx, commands.readOnly(input), parseObject),
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(TARGET, env, {
      versionArgs: ['--version'],
      pickVersion: (output) => /\d+(?:\.\d+)+/.exec(output)?.[0],
      hint: 'install the PostgreSQL client (apt-get install postgresql-client)',
    }),
} satisfies Adapter;
