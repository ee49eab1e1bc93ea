import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type CodeInputs,
  type ProcessResult,
} from './adapter.js';
import {
  describeScript,
  inspectSql,
  PARAM_NAME,
  SELECT_KEYWORDS,
  sqlParamProblems,
  sqlScript,
  type SqlMode,
} from './psql-script.js';
import { formatArgv } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { runTool, type Unavailable } from './support/run-tool.js';
import { durationInput, parseDuration } from '../common/duration.js';

// How rows come back. psql's CSV and unaligned modes print NULL and '' the same (or NULL as a
// display string a value may equal), and turn every value into text. So a query is wrapped as
// `select coalesce(json_agg(t), '[]') from (<query>) t` and printed with -At: the server itself
// writes one JSON array, where NULL is null, numbers and booleans keep their types, and commas,
// quotes, newlines and unicode are JSON-escaped. Statements that cannot be a subquery are run as
// they are: UPDATE/INSERT/DELETE … RETURNING through a CTE, SHOW/EXPLAIN as CSV (they never
// return NULL), anything else for its command tag (`UPDATE 3`, `CREATE TABLE`). psql.query and
// psql.select send it as a script on stdin, with their params (see psql-script.ts).

const NO_NUL = /^[^\0]*$/;
const text = z.string().regex(NO_NUL, { error: 'must not contain NUL characters' });

const duration = durationInput({ error: 'expected a duration such as 500ms, 30s or 5m' });

const url = text
  .regex(/^postgres(?:ql)?:\/\//, {
    error: 'expected a postgres:// or postgresql:// URL',
  })
  .regex(/^[^\r\n]*$/, { error: 'a URL cannot contain a line break' })
  .describe(
    'postgres://user:password@host:port/database (the password travels as PGPASSWORD, never in argv); without it, the PG* environment variables',
  );

const STATES = [
  'active',
  'idle',
  'idle in transaction',
  'idle in transaction (aborted)',
  'fastpath function call',
  'disabled',
] as const;
/** pg_stat_activity's states as output keys. */
const STATE_KEYS: Record<(typeof STATES)[number], string> = {
  active: 'active',
  idle: 'idle',
  'idle in transaction': 'idle_in_transaction',
  'idle in transaction (aborted)': 'idle_in_transaction_aborted',
  'fastpath function call': 'fastpath_function_call',
  disabled: 'disabled',
};
const state = z.enum(STATES, { error: `expected one of: ${STATES.join(', ')}` });
const states = z.union([state, z.array(state).min(1)]);

/** The input that lets `${{ }}` into `sql:` (validate then warns; --strict fails). */
export const UNSAFE_SQL_TEMPLATING = 'unsafe_sql_templating';

const params = z
  .record(
    z.string(),
    z
      .union([z.string(), z.number(), z.boolean()], {
        error: 'expected a string, number or boolean',
      })
      .transform(String)
      .pipe(text),
  )
  .superRefine((values, check) => {
    for (const name of Object.keys(values))
      if (!PARAM_NAME.test(name))
        check.addIssue({
          code: 'custom',
          path: [name],
          message:
            "a param name is lower-case letters, digits and _ (psql's own variables are upper-case)",
        });
  })
  .optional()
  .describe(
    'Values for the SQL, which stay data whatever they hold: the SQL refers to one as :\'name\' (a literal) or :"name" (an identifier). Read by psql 15+ (\\getenv) from the environment, never argv',
  );

/** `sql:` is code: values go in params. */
const SQL_CODE: CodeInputs = {
  keys: ['sql'],
  allowedBy: UNSAFE_SQL_TEMPLATING,
  hint: (expression) => {
    const last = /([A-Za-z_][A-Za-z0-9_]*)\W*$/.exec(expression)?.[1]?.toLowerCase();
    const name = last !== undefined && PARAM_NAME.test(last) ? last : 'value';
    return `pass it in params: { ${name}: "\${{ ${expression} }}" } and write :'${name}' (a literal) or :"${name}" (an identifier) in sql:`;
  },
};

const unsafeSqlTemplating = z
  .boolean()
  .optional()
  .describe(
    'Allow ${{ }} inside sql: (the value becomes SQL code). validate warns and --strict fails; use params: instead',
  );

/** What params and the SQL must agree on; see sqlParamProblems. */
function checkParams(
  input: { sql: string; params?: Record<string, string> | undefined },
  check: z.RefinementCtx,
): void {
  for (const message of sqlParamProblems(inspectSql(input.sql), Object.keys(input.params ?? {})))
    check.addIssue({ code: 'custom', path: ['sql'], message });
}

const queryInput = z
  .strictObject({
    sql: text.min(1).describe('The SQL to run; values come from params, as :\'name\' or :"name"'),
    url: url.optional(),
    params,
    [UNSAFE_SQL_TEMPLATING]: unsafeSqlTemplating,
  })
  .superRefine(checkParams);

const selectInput = z
  .strictObject({
    sql: text
      .min(1)
      .refine(
        (sql) => {
          const shape = inspectSql(sql);
          return shape.statements === 1 && SELECT_KEYWORDS.includes(shape.keyword);
        },
        {
          error:
            'expected one query (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN); use psql.query for other statements',
        },
      )
      .describe(
        'One query: SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN; values come from params, as :\'name\' or :"name"',
      ),
    url: url.optional(),
    params,
    [UNSAFE_SQL_TEMPLATING]: unsafeSqlTemplating,
  })
  .superRefine(checkParams);

const connectionsInput = z.strictObject({
  url: url.optional(),
  database: text.optional().describe('Count only the connections to this database'),
});

const longRunningInput = z.strictObject({
  url: url.optional(),
  threshold: duration.optional().describe('Queries running longer than this (default 30s)'),
  state: states.optional().describe('Backend states to look at (default active)'),
  database: text.optional().describe('Only backends connected to this database'),
  user: text.optional().describe('Only backends of this role'),
  limit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('At most this many, longest first (default 50)'),
});

const terminateInput = z.strictObject({
  url: url.optional(),
  older_than: duration.describe(
    'Terminate backends whose query (or transaction) is older than this',
  ),
  age_of: z
    .enum(['query', 'transaction'])
    .optional()
    .describe('What older_than measures: the current query (default) or the open transaction'),
  state: states.optional().describe('Backend states to terminate (default active)'),
  database: text.optional().describe('Only backends connected to this database'),
  user: text.optional().describe('Only backends of this role'),
  application_name: text.optional().describe('Only backends with this application_name'),
  pids: z.array(z.number().int().positive()).optional().describe('Only these backend pids'),
  wait: duration
    .optional()
    .describe('How long to wait for each backend to exit (default 5s; PostgreSQL 14+)'),
});

const readOnlyInput = z.strictObject({
  url: url.optional(),
  database: text.min(1).describe('The database whose new sessions become read-only (or not)'),
  enabled: z.boolean().describe('true: default_transaction_read_only = on; false: off'),
});

type Input<S extends z.ZodType> = z.output<S>;

// ---------------------------------------------------------------------------------------------
// Connection: the URL without its password in argv; the password in PGPASSWORD.

/**
 * Splits a postgres:// URL into what may be shown (the URL without any password) and the
 * password, percent-decoded. The user info ends at the first `@` before the first `/`, as libpq
 * reads it; a `password=` query parameter is taken out too.
 */
export function splitPassword(connection: string): { url: string; password: string | undefined } {
  const scheme = /^postgres(?:ql)?:\/\//.exec(connection)?.[0] ?? '';
  let rest = connection.slice(scheme.length);
  let password: string | undefined;
  const slash = rest.indexOf('/');
  const at = rest.indexOf('@');
  if (at >= 0 && (slash < 0 || at < slash)) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon >= 0) {
      password = decode(userInfo.slice(colon + 1));
      rest = `${userInfo.slice(0, colon)}${rest.slice(at)}`;
    }
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    const kept: string[] = [];
    for (const parameter of rest.slice(question + 1).split('&')) {
      const [key = '', value = ''] = parameter.split(/=(.*)/s);
      if (decode(key) === 'password') password = decode(value);
      else kept.push(parameter);
    }
    rest = rest.slice(0, question) + (kept.length > 0 ? `?${kept.join('&')}` : '');
  }
  return { url: scheme + rest, password };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

interface PsqlCommand {
  args: string[];
  env: Record<string, string>;
  /** The script psql reads on stdin, when it has one. */
  input?: string;
}

/** psql's argv for `modeArgs` and `commands` (each one a -c), and the environment it needs. */
export function psqlCommand(
  connection: string | undefined,
  modeArgs: readonly string[],
  commands: readonly string[],
): PsqlCommand {
  // -X: no ~/.psqlrc; -w: never prompt for a password (it would wait on the terminal).
  const args = ['-X', '-w', '-v', 'ON_ERROR_STOP=1', ...modeArgs];
  const env: Record<string, string> = { PGCLIENTENCODING: 'UTF8' };
  if (connection !== undefined) {
    const { url: shown, password } = splitPassword(connection);
    args.push('-d', shown);
    if (password !== undefined) env.PGPASSWORD = password;
  }
  for (const command of commands) args.push('-c', command);
  return { args, env };
}

function describeCommand(command: PsqlCommand): string {
  return formatArgv(['psql', ...command.args]);
}

type SqlInput = z.output<typeof queryInput> | z.output<typeof selectInput>;

/** The psql command for a user's SQL and its params; `readOnly` runs it in a read-only
 * transaction. */
export function sqlCommand(
  input: SqlInput,
  readOnly: boolean,
): PsqlCommand & { input: string; mode: SqlMode } {
  const { mode, script, env } = sqlScript(input.sql, input.params ?? {}, readOnly);
  const command = psqlCommand(input.url, modeArgs(mode), []);
  return { ...command, env: { ...command.env, ...env }, input: script, mode };
}

function describeSql(input: SqlInput, readOnly: boolean): string {
  const command = sqlCommand(input, readOnly);
  return describeScript(['psql', ...command.args], command.input, input.params ?? {});
}

function modeArgs(mode: SqlMode): string[] {
  switch (mode) {
    case 'rows':
    case 'returning':
      return ['-q', '-At'];
    case 'text-rows':
      return ['-q', '--csv'];
    case 'command':
      // Not quiet: psql prints each statement's command tag.
      return ['-At'];
    default:
      return mode satisfies never;
  }
}

/** The environment of one psql run: the command's own, plus defaults the caller has not set. */
function processEnv(command: PsqlCommand, ctx: ActionContext): Record<string, string> {
  const env = { ...command.env };
  // Our sessions are recognisable in pg_stat_activity, and a dead host fails in seconds.
  if (ctx.env.PGAPPNAME === undefined) env.PGAPPNAME = 'runbook';
  if (ctx.env.PGCONNECT_TIMEOUT === undefined) env.PGCONNECT_TIMEOUT = '10';
  return env;
}

/** Reads psql's output for a statement run in `mode` into rows, row_count and columns. */
export function parseSqlOutput(stdout: string, mode: SqlMode): Record<string, unknown> {
  switch (mode) {
    case 'rows':
    case 'returning': {
      const rows = parseJsonRows(stdout);
      return { rows, row_count: rows.length, columns: Object.keys(rows[0] ?? {}) };
    }
    case 'text-rows': {
      const [header = [], ...records] = parseCsv(stdout);
      const rows = records.map((record) =>
        Object.fromEntries(header.map((name, index) => [name, record[index] ?? null])),
      );
      return { rows, row_count: rows.length, columns: header };
    }
    case 'command': {
      const lines = stdout.split('\n').filter((line) => line !== '');
      const command = lines.at(-1) ?? '';
      let rowCount = 0;
      for (const line of [...lines].reverse()) {
        const count = /^(?:INSERT \d+|UPDATE|DELETE|SELECT|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(
          line,
        );
        if (count) {
          rowCount = Number(count[1]);
          break;
        }
      }
      return { rows: [], row_count: rowCount, columns: [], command };
    }
    default:
      return mode satisfies never;
  }
}

function parseJsonRows(stdout: string): Array<Record<string, unknown>> {
  const value = parseJson(stdout);
  if (!Array.isArray(value)) throw new Error('expected a JSON array of rows');
  return value as Array<Record<string, unknown>>;
}

function parseJson(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') throw new Error('psql printed nothing');
  return JSON.parse(text) as unknown;
}

/** psql --csv output: RFC 4180 fields, "" for a quote inside a quoted field, \n between records. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && !fieldStarted) {
      const close = (from: number): number => {
        let j = from;
        while (j < text.length) {
          if (text[j] === '"' && text[j + 1] === '"') j += 2;
          else if (text[j] === '"') return j;
          else j++;
        }
        throw new Error('unterminated quoted CSV field');
      };
      const end = close(i + 1);
      field += text.slice(i + 1, end).replace(/""/g, '"');
      i = end + 1;
      fieldStarted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (fieldStarted || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Running psql and reading its answer.

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

/** NOTICE, WARNING and INFO messages psql printed on stderr. */
function notices(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => /^(?:NOTICE|WARNING|INFO):/.test(line));
}

/** psql exits 2 when it could not connect: the server is down, unreachable, or refused the login. */
const serverDown: Unavailable = (result) => {
  if (result.exitCode !== 2 || result.timedOut || result.interrupted) return undefined;
  const message = psqlError(result.stderr) ?? 'psql could not connect to the server';
  const hint = /authentication failed|no password supplied|role .* does not exist/.test(message)
    ? 'check the user and password of the connection (the url: of the step, or PGUSER and PGPASSWORD)'
    : 'is the PostgreSQL server running and reachable? check the url: of the step (or PGHOST and PGPORT)';
  return { message, hint };
};

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

// ---------------------------------------------------------------------------------------------
// The named actions' SQL. Values reach it only as quoted literals and identifiers.

/** A SQL string literal for `value`, whatever standard_conforming_strings says. */
export function sqlLiteral(value: string): string {
  if (value.includes('\\')) return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted SQL identifier. */
export function sqlIdentifier(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function interval(value: string | number): string {
  return `interval '${parseDuration(value)} milliseconds'`;
}

function stateList(value: z.output<typeof states> | undefined): string {
  const list = value === undefined ? ['active'] : typeof value === 'string' ? [value] : value;
  return list.map(sqlLiteral).join(', ');
}

/** Client backends other than our own, narrowed by the filters that are set. */
function backendFilter(filters: {
  database?: string | undefined;
  user?: string | undefined;
  application_name?: string | undefined;
}): string {
  const conditions = [
    // Without pg_read_all_stats, other roles' sessions show no backend_type (nor state): a
    // session with a database and a role is counted as a client all the same.
    `(backend_type = 'client backend' or (backend_type is null and datid is not null and usesysid is not null))`,
    'pid <> pg_backend_pid()',
  ];
  if (filters.database !== undefined) conditions.push(`datname = ${sqlLiteral(filters.database)}`);
  if (filters.user !== undefined) conditions.push(`usename = ${sqlLiteral(filters.user)}`);
  if (filters.application_name !== undefined)
    conditions.push(`application_name = ${sqlLiteral(filters.application_name)}`);
  return conditions.join(' and ');
}

export function connectionsSql(input: Input<typeof connectionsInput>): string {
  return [
    `select json_build_object('max_connections', current_setting('max_connections')::int,`,
    `'states', coalesce(json_object_agg(coalesce(state, 'unknown'), n), '{}'))`,
    `from (select state, count(*) as n from pg_stat_activity where ${backendFilter(input)} group by state) s`,
  ].join(' ');
}

/** Counts by state under snake_case keys, every state present (0 when none). */
export function connectionsOutputs(stdout: string): Record<string, unknown> {
  const { max_connections: max, states } = parseObject(stdout);
  const byState: Record<string, number> = {};
  for (const key of Object.values(STATE_KEYS)) byState[key] = 0;
  // Other roles' sessions show no state to a role without pg_read_all_stats.
  byState.unknown = 0;
  let total = 0;
  for (const [state, count] of Object.entries((states ?? {}) as Record<string, number>)) {
    const key = STATE_KEYS[state as keyof typeof STATE_KEYS] ?? state.replace(/\W+/g, '_');
    byState[key] = (byState[key] ?? 0) + count;
    total += count;
  }
  const usage = typeof max === 'number' && max > 0 ? Math.round((total / max) * 1000) / 10 : null;
  return { total, max_connections: max, usage_pct: usage, by_state: byState };
}

const BACKEND_COLUMNS = [
  'pid',
  'usename',
  'datname',
  'application_name',
  'host(client_addr) as client_addr',
  'state',
  'round(extract(epoch from now() - query_start)::numeric, 1) as duration_s',
  'round(extract(epoch from now() - xact_start)::numeric, 1) as xact_duration_s',
  'wait_event_type',
  'wait_event',
  'query',
].join(', ');

export function longRunningSql(input: Input<typeof longRunningInput>): string {
  return [
    `select coalesce(json_agg(q), '[]') from (`,
    `select ${BACKEND_COLUMNS} from pg_stat_activity`,
    `where ${backendFilter(input)} and state in (${stateList(input.state)})`,
    `and now() - query_start > ${interval(input.threshold ?? '30s')}`,
    `order by query_start limit ${input.limit ?? 50}`,
    `) q`,
  ].join(' ');
}

export function terminateSql(input: Input<typeof terminateInput>): string {
  const start = input.age_of === 'transaction' ? 'xact_start' : 'query_start';
  const conditions = [backendFilter(input), `state in (${stateList(input.state)})`];
  conditions.push(`now() - ${start} > ${interval(input.older_than)}`);
  if (input.pids !== undefined)
    conditions.push(input.pids.length > 0 ? `pid in (${input.pids.join(', ')})` : 'false');
  const waitMs = parseDuration(input.wait ?? '5s');
  // Signalling a backend we may not signal raises an error after others were already signalled:
  // those are left out (and reported as not terminated) instead.
  const superuser = (role: string) =>
    `coalesce((select rolsuper from pg_roles r where r.oid = ${role}), false)`;
  const allowed =
    `(${superuser(`(select oid from pg_roles where rolname = current_user)`)}` +
    ` or (not ${superuser('usesysid')}` +
    ` and (pg_has_role(usesysid, 'USAGE') or pg_has_role('pg_signal_backend', 'USAGE'))))`;
  return [
    `with candidates as (select ${BACKEND_COLUMNS}, ${allowed} as allowed`,
    `from pg_stat_activity where ${conditions.join(' and ')}),`,
    `done as (select c.*, case when allowed then pg_terminate_backend(pid, ${waitMs}) else false end as terminated`,
    `from candidates c)`,
    `select json_build_object(`,
    `'terminated', coalesce((select json_agg(pid order by pid) from done where terminated), '[]'),`,
    `'not_terminated', coalesce((select json_agg(pid order by pid) from done where not terminated), '[]'),`,
    `'backends', coalesce((select json_agg(d order by pid) from (select pid, usename, datname, application_name, state, duration_s, xact_duration_s, query, terminated from done) d), '[]'))`,
  ].join(' ');
}

export function readOnlyCommands(input: Input<typeof readOnlyInput>): string[] {
  const database = input.database;
  return [
    // A session of a database that is already read-only could not alter it otherwise.
    'SET default_transaction_read_only = off',
    `ALTER DATABASE ${sqlIdentifier(database)} SET default_transaction_read_only = ${input.enabled ? 'on' : 'off'}`,
    [
      `select json_build_object('database', d.datname,`,
      `'read_only', exists (select 1 from pg_db_role_setting s, unnest(s.setconfig) c`,
      `where s.setdatabase = d.oid and s.setrole = 0 and c = 'default_transaction_read_only=on'),`,
      `'connections', (select count(*) from pg_stat_activity a where a.datname = d.datname and a.pid <> pg_backend_pid()))`,
      `from pg_database d where d.datname = ${sqlLiteral(database)}`,
    ].join(' '),
  ];
}

/** One JSON object printed by a named action's query. */
function parseObject(stdout: string): Record<string, unknown> {
  const value = parseJson(stdout);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('expected a JSON object');
  return value as Record<string, unknown>;
}

function longRunningOutputs(stdout: string): Record<string, unknown> {
  const queries = parseJsonRows(stdout);
  const durations = queries.map((query) => Number(query.duration_s ?? 0));
  return {
    queries,
    count: queries.length,
    pids: queries.map((query) => query.pid),
    longest_s: durations.length > 0 ? Math.max(...durations) : 0,
  };
}

function terminateOutputs(stdout: string): Record<string, unknown> {
  const result = parseObject(stdout);
  const terminated = Array.isArray(result.terminated) ? result.terminated : [];
  return { ...result, count: terminated.length };
}

// ---------------------------------------------------------------------------------------------

const TARGET = 'psql';

const commands = {
  connections: (input: Input<typeof connectionsInput>) =>
    psqlCommand(input.url, ['-q', '-At'], [connectionsSql(input)]),
  longRunning: (input: Input<typeof longRunningInput>) =>
    psqlCommand(input.url, ['-q', '-At'], [longRunningSql(input)]),
  terminate: (input: Input<typeof terminateInput>) =>
    psqlCommand(input.url, ['-q', '-At'], [terminateSql(input)]),
  readOnly: (input: Input<typeof readOnlyInput>) =>
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
      describe: (input) => describeSql(input, false),
      run: (input, ctx) => runSql(input, false, ctx),
      codeInputs: SQL_CODE,
    }),
    select: defineAction({
      summary:
        'Run one query inside a READ ONLY transaction (read): rows, row_count, columns. Writes fail; functions with effects outside the data (pg_terminate_backend) still run',
      input: selectInput,
      effect: 'read',
      describe: (input) => describeSql(input, true),
      run: (input, ctx) => runSql(input, true, ctx),
      codeInputs: SQL_CODE,
    }),
    connections: defineAction({
      summary:
        'Client connections (not counting this one): total, max_connections, usage_pct, by_state {active, idle, idle_in_transaction, …}',
      input: connectionsInput,
      effect: 'read',
      describe: (input) => describeCommand(commands.connections(input)),
      run: (input, ctx) => runPsql(ctx, commands.connections(input), connectionsOutputs),
    }),
    long_running: defineAction({
      summary:
        'Queries running longer than threshold, longest first: queries [{pid, duration_s, state, query, usename, application_name, …}], count, pids, longest_s',
      input: longRunningInput,
      effect: 'read',
      describe: (input) => describeCommand(commands.longRunning(input)),
      run: (input, ctx) => runPsql(ctx, commands.longRunning(input), longRunningOutputs),
    }),
    terminate: defineAction({
      summary:
        'pg_terminate_backend for backends whose query (or transaction) is older than older_than, filtered by state (default active), user, database, pids; never its own. Outputs terminated, not_terminated, backends, count',
      input: terminateInput,
      effect: 'destructive',
      describe: (input) => describeCommand(commands.terminate(input)),
      run: (input, ctx) => runPsql(ctx, commands.terminate(input), terminateOutputs),
    }),
    read_only: defineAction({
      summary:
        'ALTER DATABASE … SET default_transaction_read_only = on|off: new sessions of the database become read-only (or writable again); open sessions keep theirs. Outputs database, read_only, connections',
      input: readOnlyInput,
      effect: 'destructive',
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
