import { parseDuration } from '../../common/duration.js';
import type {
  ConnectionsInput,
  LongRunningInput,
  ReadOnlyInput,
  States,
  TerminateInput,
} from './inputs.js';

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

function stateList(value: States | undefined): string {
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

export function connectionsSql(input: ConnectionsInput): string {
  return [
    `select json_build_object('max_connections', current_setting('max_connections')::int,`,
    `'states', coalesce(json_object_agg(coalesce(state, 'unknown'), n), '{}'))`,
    `from (select state, count(*) as n from pg_stat_activity where ${backendFilter(input)} group by state) s`,
  ].join(' ');
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

export function longRunningSql(input: LongRunningInput): string {
  return [
    `select coalesce(json_agg(q), '[]') from (`,
    `select ${BACKEND_COLUMNS} from pg_stat_activity`,
    `where ${backendFilter(input)} and state in (${stateList(input.state)})`,
    `and now() - query_start > ${interval(input.threshold ?? '30s')}`,
    `order by query_start limit ${input.limit ?? 50}`,
    `) q`,
  ].join(' ');
}

export function terminateSql(input: TerminateInput): string {
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

export function readOnlyCommands(input: ReadOnlyInput): string[] {
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
