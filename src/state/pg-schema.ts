/**
 * The PostgreSQL store's schema, as versioned migrations (docs/state.md#the-schema). `runbook state
 * migrate` applies those a database lacks, in order, in one transaction, and records each in
 * `runbook_schema_migrations`; a store refuses a database whose version is not LATEST_VERSION.
 * A migration, once released, is never edited: a change is a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, events and locks',
    sql: `
create table runbook_runs (
  run_id text primary key,
  runbook_id text not null,
  mode text not null,
  user_name text not null,
  host text not null,
  incident text,
  started_at timestamptz not null,
  ended_at timestamptz,
  status text,
  summary jsonb,
  updated_at timestamptz not null default now()
);
create index runbook_runs_started on runbook_runs (started_at desc, run_id desc);
create index runbook_runs_runbook on runbook_runs (runbook_id, started_at desc);
create index runbook_runs_user on runbook_runs (user_name, started_at desc);
create index runbook_runs_incident on runbook_runs (incident, started_at desc) where incident is not null;
create index runbook_runs_open on runbook_runs (started_at desc) where ended_at is null;

create table runbook_events (
  run_id text not null,
  seq integer not null,
  ts timestamptz not null,
  type text not null,
  event jsonb not null,
  primary key (run_id, seq)
);

create table runbook_locks (
  name text primary key,
  lock_key bigint not null,
  run_id text not null,
  runbook text not null,
  user_name text not null,
  host text not null,
  pid integer not null,
  backend_pid integer not null,
  started_at timestamptz not null,
  step text,
  taken_over jsonb
);
create index runbook_locks_run on runbook_locks (run_id);
`,
  },
  {
    version: 2,
    name: 'approvals',
    sql: `
create table runbook_approvals (
  run_id text not null,
  step text not null,
  runner text not null,
  by_group text not null,
  approvers text[],
  requested_at timestamptz not null default now(),
  approved_by text,
  approved_host text,
  approved_at timestamptz,
  primary key (run_id, step)
);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The table of applied migrations. */
export const MIGRATIONS_TABLE = 'runbook_schema_migrations';

/** Serializes two `state migrate` run at once (a transaction-level advisory lock's key). */
export const MIGRATE_LOCK_KEY = '7263712411900470001';

/** The 64-bit advisory lock key of a lock name, computed by the server (the first 64 bits of
 * its MD5, as a signed bigint): the same for every client, whatever its language. */
export const LOCK_KEY_SQL = `('x' || substr(md5($1), 1, 16))::bit(64)::bigint`;
