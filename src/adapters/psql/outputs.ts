import { o, PROCESS_STATUS } from '../outputs.js';

/** What each psql action gives (index.ts runPsql): the parsed answer and notices; when psql
 * failed, only exit_code and stderr. */
const base = {
  ...PROCESS_STATUS,
  notices: o('list', 'NOTICE, WARNING and INFO messages psql printed'),
};
const sql = {
  ...base,
  rows: o('list', 'the rows, as maps of column to JSON-typed value (NULL is null)'),
  row_count: o('int', 'rows returned, or rows changed by a statement'),
  columns: o('list', 'the column names'),
  command: o('string', 'the command tag of a statement that is not a query (UPDATE 3)'),
};

export const PSQL_OUTPUTS = {
  query: sql,
  select: sql,
  connections: {
    ...base,
    total: o('int', 'client connections, not counting this one'),
    max_connections: o('int', 'the server setting'),
    usage_pct: o('double', 'total as a percent of max_connections'),
    by_state: o('map', 'connections by state: active, idle, idle_in_transaction, …'),
  },
  long_running: {
    ...base,
    queries: o(
      'list',
      'pid, duration_s, state, query, usename, application_name, …; longest first',
    ),
    count: o('int', 'how many queries'),
    pids: o('list', 'their backend pids'),
    longest_s: o('double', 'the longest duration, seconds'),
  },
  terminate: {
    ...base,
    terminated: o('list', 'pids terminated'),
    not_terminated: o('list', 'pids that matched but were not terminated'),
    backends: o(
      'list',
      'the backends that matched: pid, usename, datname, state, durations, query, terminated',
    ),
    count: o('int', 'how many were terminated'),
  },
  read_only: {
    ...base,
    database: o('string', 'the database'),
    read_only: o('bool', 'new sessions are read-only'),
    connections: o('int', 'open sessions of the database'),
  },
};
