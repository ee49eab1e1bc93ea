import { readdirSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as PgModule from 'pg';
import { ConfigError, UnavailableError, StateError, RunbookError } from '../common/errors.js';
import { importLazily, loader } from '../common/lazy.js';
import { readOwnFile, secureDir, writeAtomic } from '../common/state-files.js';
import type { EngineEvent } from '../engine/events.js';
import { FileStateStore, type LocalSink } from './file-store.js';
import { journalPath } from './journal.js';
import { parseJournal, readJournal } from './journal-reader.js';
import { LockedError, type HeldLock, type LockHolder } from './lock.js';
import {
  LATEST_VERSION,
  LOCK_KEY_SQL,
  MIGRATE_LOCK_KEY,
  MIGRATIONS,
  MIGRATIONS_TABLE,
} from './pg-schema.js';
import { isRunId, summaryOfRecord } from './run-index.js';
import { runRecord, type RunRecord } from './run-record.js';
import type {
  ApprovalBook,
  JournalSink,
  ProcessProbe,
  RunFilter,
  RunList,
  RunSummary,
  StateStore,
} from './store.js';

type Pg = typeof PgModule;
type Client = PgModule.Client;

/** node-postgres, loaded only when the team store is chosen (docs/performance.md). */
const loadPg = loader('the PostgreSQL client (pg)', async () => {
  // pg asks, as it loads, whether it runs in a Cloudflare Worker: by `navigator.userAgent`, else by
  // making a `Response`, which on Node 20 (no `navigator` yet) loads Node's whole fetch stack, 30 ms
  // and a heavier process for every step's spawn after it (docs/state.md#speed). Node 21 and later
  // answer from `navigator`, as this does for the length of the import.
  const lent = !('navigator' in globalThis);
  if (lent)
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
      configurable: true,
    });
  try {
    const loaded = await importLazily<Pg & { default?: Pg }>('pg');
    return loaded.default ?? loaded;
  } finally {
    if (lent) delete (globalThis as { navigator?: unknown }).navigator;
  }
});

/** How long connecting may take before the database is taken as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;
/** A journal writer waits this long at most between tries while the database is unreachable. */
const RETRY_MAX_MS = 1000;
/** At most this many events go in one insert. */
const BATCH = 500;
/** How long the writer lets a step's events gather before it sends them: one insert (and one
 * commit) for the events of several steps, rather than one for each, so the database costs the
 * steps little time (docs/state.md#speed). The start and the end of a run go at once. */
const GATHER_MS = 50;
/** How long a forced run waits for the lock its holder's connection held. */
const TAKEOVER_WAIT_MS = 5000;

/** What a run refused for want of the database may do. */
const FORCE_HINT =
  'pass --force to run with only this machine’s lock (the journal is sent when the database is back), or wait until it is reachable';

/** The database lacks this version's tables: `runbook state migrate` makes them. */
export class NotMigratedError extends UnavailableError {}

/** The URL as messages show it: the password, and any parameter, left out. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return 'a text that is not a URL';
  }
}

/** Where the URL of the team database comes from (docs/state.md#choosing-the-store). */
export function stateUrl(
  env: Record<string, string | undefined>,
  urlEnv: string | undefined,
): { url: string; from: string } | undefined {
  if (env.RUNBOOK_STATE_URL) return { url: env.RUNBOOK_STATE_URL, from: 'RUNBOOK_STATE_URL' };
  if (urlEnv === undefined) return undefined;
  const url = env[urlEnv];
  if (!url)
    throw new ConfigError(
      `runbook.config.yaml names $${urlEnv} for the team database (state: url_env), and it is not set`,
      `export ${urlEnv}=postgres://user:password@host/db, or remove state: from the config to keep runs in local files`,
    );
  return { url, from: urlEnv };
}

/** Whether an error is the database being out of reach (rather than a query it refused). */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  // connection_exception, operator_intervention (shutdown), insufficient_resources
  return /^(08|57|53)/.test(code);
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== message ? `${message} (${code})` : message;
}

/** One connection, opened on first use and opened again after it was lost. */
class Connection {
  #client: Promise<Client> | undefined;
  readonly #url: string;
  readonly #shown: string;

  /** Told when an open connection is lost (one holding locks: they are gone). */
  onLost: (() => void) | undefined;

  constructor(url: string, shown: string) {
    this.#url = url;
    this.#shown = shown;
  }

  async client(): Promise<Client> {
    this.#client ??= (async () => {
      const pg = await loadPg();
      const client = new pg.Client({
        connectionString: this.#url,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        application_name: 'runbook',
        keepAlive: true,
        // An event the server acknowledged survives its crash, whatever the server's default:
        // once sent, it is no longer kept to be sent again (docs/state.md).
        options: '-c synchronous_commit=on',
      });
      // A connection lost while idle is reported here; the next query opens another.
      client.on('error', () => this.#lost(client));
      client.on('end', () => this.#lost(client));
      try {
        await client.connect();
      } catch (error) {
        this.drop(client);
        throw error;
      }
      return client;
    })();
    return this.#client;
  }

  #lost(client: Client): void {
    if (this.#client) this.onLost?.();
    this.drop(client);
  }

  drop(client?: Client): void {
    const current = this.#client;
    this.#client = undefined;
    void current?.then(
      (open) => {
        if (client && open !== client) return;
        open.end().catch(() => undefined);
      },
      () => undefined,
    );
  }

  async query<R extends PgModule.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    name?: string,
  ): Promise<PgModule.QueryResult<R>> {
    const client = await this.client();
    try {
      // A named statement is parsed and planned once a connection.
      return await client.query<R>(name ? { name, text: sql, values: params } : sql, params);
    } catch (error) {
      if (isUnreachable(error)) this.drop(client);
      throw error;
    }
  }

  /** The error a command gives when the database is out of reach. */
  unavailable(error: unknown, hint?: string): RunbookError {
    if (error instanceof RunbookError) return error;
    const code = (error as { code?: unknown }).code;
    if (code === '28P01' || code === '28000')
      return new UnavailableError(
        `the team database ${this.#shown} refused the login: ${reasonOf(error)}`,
        'check the user and password in the URL, and the role (docs/state.md#the-role)',
      );
    return new UnavailableError(
      `cannot reach the team database ${this.#shown}: ${reasonOf(error)}`,
      hint ?? 'check that it runs and that this machine may connect to it (docs/state.md)',
    );
  }

  async end(): Promise<void> {
    const current = this.#client;
    this.#client = undefined;
    if (!current) return;
    try {
      await (await current).end();
    } catch {
      // Already gone.
    }
  }
}

/** A run's row in runbook_runs, made from its events: its summary once its last part ended. */
function runRow(runId: string, location: string, events: EngineEvent[]): unknown[] | undefined {
  const record = runRecord({ path: location, events, torn: false, unreadable: 0 }, true);
  if (!record) return undefined;
  const ended = record.parts.at(-1)?.ended_at !== undefined;
  const summary = summaryOfRecord(record);
  return [
    runId,
    record.runbook.id,
    record.mode,
    record.user,
    record.host,
    record.incident ?? null,
    record.started_at,
    ended ? (record.ended_at ?? null) : null,
    ended ? record.status : null,
    ended ? JSON.stringify(summary) : null,
  ];
}

const UPSERT_RUN = `
insert into runbook_runs
  (run_id, runbook_id, mode, user_name, host, incident, started_at, ended_at, status, summary)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
on conflict (run_id) do update set
  ended_at = excluded.ended_at, status = excluded.status, summary = excluded.summary,
  updated_at = now()`;

const INSERT_EVENTS = `
with ins as (
  insert into runbook_events (run_id, seq, ts, type, event)
  select $1, u.seq, u.ts::timestamptz, u.type, u.event::jsonb
  from unnest($2::int[], $3::text[], $4::text[], $5::text[]) as u(seq, ts, type, event)
  on conflict (run_id, seq) do nothing
  returning 1
), step as (
  update runbook_locks set step = $6 where run_id = $1 and $6::text is not null
  returning 1
)
select (select count(*) from ins)::int as inserted`;

/** jsonb holds no NUL character: one in a step's output is kept as U+FFFD. */
export function jsonbSafe(line: string): string {
  return line.includes('\\u0000') ? line.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : line;
}

interface Pending {
  seq: number;
  ts: string;
  type: string;
  line: string;
  step: string | undefined;
}

/**
 * Sends a run's events, in order, to the database, as the local journal (the spool) gets them.
 * While the database is out of reach it keeps them and tries again; it says so once, and once
 * again when they are sent (docs/state.md#when-the-database-is-down).
 */
class EventWriter {
  readonly #conn: Connection;
  readonly #runId: string;
  readonly #location: string;
  readonly #warn: (line: string) => void;
  readonly #events: EngineEvent[];
  #queue: Pending[] = [];
  #seq: number;
  #pumping: Promise<void> | undefined;
  #down = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];
  #rowDue = false;

  constructor(
    conn: Connection,
    runId: string,
    location: string,
    firstSeq: number,
    earlier: EngineEvent[],
    warn: (line: string) => void,
  ) {
    this.#conn = conn;
    this.#runId = runId;
    this.#location = location;
    this.#seq = firstSeq;
    this.#events = earlier;
    this.#warn = warn;
  }

  get pending(): number {
    return this.#queue.length;
  }

  push(event: EngineEvent, line: string): void {
    this.#queue.push({
      seq: this.#seq++,
      ts: event.ts,
      type: event.type,
      line: jsonbSafe(line),
      step: event.type === 'step.start' && !event.item ? event.step : undefined,
    });
    this.#events.push(event.type === 'step.end' ? { ...event, outputs: {} } : event);
    if (event.type === 'run.start' || event.type === 'run.resume' || event.type === 'run.end') {
      this.#rowDue = true;
      // The start and the end of a run go at once, not after the rest of a gathering wait.
      this.#wakeUp();
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#queue.length > 0 || this.#rowDue) this.#kick();
      else for (const done of this.#idle.splice(0)) done();
    });
  }

  async #pump(): Promise<void> {
    if (!this.#rowDue && this.#queue.length < BATCH) await this.#sleep(GATHER_MS);
    let wait = 50;
    while ((this.#queue.length > 0 || this.#rowDue) && !this.#stopped) {
      const batch = this.#queue.slice(0, BATCH);
      const rowDue = this.#rowDue;
      try {
        if (batch.length > 0) {
          const steps = batch.filter((row) => row.step !== undefined);
          await this.#conn.query(
            INSERT_EVENTS,
            [
              this.#runId,
              batch.map((row) => row.seq),
              batch.map((row) => row.ts),
              batch.map((row) => row.type),
              batch.map((row) => row.line),
              steps.at(-1)?.step ?? null,
            ],
            'runbook-insert-events',
          );
        }
        this.#queue.splice(0, batch.length);
        // The run's row, once its events up to a start or an end are in: what history lists.
        if (rowDue && this.#queue.length === 0) {
          this.#rowDue = false;
          const row = runRow(this.#runId, this.#location, this.#events);
          if (row) await this.#conn.query(UPSERT_RUN, row);
        }
        if (this.#down) {
          this.#down = false;
          this.#warn('the team database is reachable again: the events kept meanwhile are sent');
        }
        wait = 50;
        // What came meanwhile gathers again (the next pump waits), unless a run's start or end, or
        // a full batch, is due: else each step's events would go in an insert of their own.
        if (!this.#rowDue && this.#queue.length < BATCH) break;
      } catch (error) {
        if (rowDue) this.#rowDue = true;
        if (!this.#down) {
          this.#down = true;
          this.#warn(
            `the team database is unreachable (${reasonOf(error)}): this run goes on, its journal is kept in ${this.#location} and sent when the database is back`,
          );
        }
        await this.#sleep(wait);
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }

  #wakeUp(): void {
    clearTimeout(this.#timer);
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Waits until every event is sent, at most `timeoutMs`; true when they were. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (!this.#pumping && this.#queue.length === 0 && !this.#rowDue) return true;
    let timer: NodeJS.Timeout | undefined;
    const sent = await Promise.race([
      new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!sent) this.stop();
    return sent;
  }

  stop(): void {
    this.#stopped = true;
    this.#wakeUp();
  }
}

/** The events of a journal's lines as rows to send, from `first` on. */
function pendingOf(text: string): { lines: string[]; events: EngineEvent[] } {
  const lines: string[] = [];
  const events: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    const read = parseJournal('', `${line}\n`);
    const event = read.events[0];
    if (!event) continue;
    lines.push(line);
    events.push(event);
  }
  return { lines, events };
}

/**
 * The team's store: runs and locks in PostgreSQL (docs/state.md). Every run's journal is written to
 * the local journal file first, as with files, and sent on to the database by an EventWriter, so a
 * run never waits on the database and loses nothing while it is unreachable. A run whose events
 * are not all sent leaves a mark in `<state>/spool/`; `runbook state flush`, and every command
 * that reads the database, sends them.
 */
export class PgStateStore implements StateStore {
  readonly description: string;
  readonly runsLocation: string;
  readonly shared = true;
  readonly stateDir: string;
  readonly #conn: Connection;
  readonly #shown: string;
  readonly #local: FileStateStore;
  readonly #probe: ProcessProbe;
  readonly #warn: (line: string) => void;
  readonly #host = hostname();
  #checked: Promise<void> | undefined;

  constructor(url: string, stateDir: string, probe: ProcessProbe, warn: (line: string) => void) {
    this.#shown = safeUrl(url);
    this.#conn = new Connection(url, this.#shown);
    this.stateDir = stateDir;
    this.#local = new FileStateStore(stateDir, probe);
    this.#probe = probe;
    this.#warn = warn;
    this.description = `the team database ${this.#shown}`;
    this.runsLocation = this.#shown;
  }

  prepare(): void {
    this.ready().catch(() => undefined);
  }

  /** Refuses a database not migrated to this version's schema, saying what to run. */
  ready(): Promise<void> {
    this.#checked ??= this.#check().catch((error: unknown) => {
      this.#checked = undefined;
      throw error;
    });
    return this.#checked;
  }

  async #check(): Promise<void> {
    let version: number;
    try {
      version = await this.schemaVersion();
    } catch (error) {
      throw this.#conn.unavailable(error);
    }
    if (version < LATEST_VERSION)
      throw new NotMigratedError(
        `the team database ${this.#shown} is at schema version ${version}; this runbook needs version ${LATEST_VERSION}`,
        'run: runbook state migrate (as a role that may create tables; docs/state.md)',
      );
    if (version > LATEST_VERSION)
      throw new UnavailableError(
        `the team database ${this.#shown} is at schema version ${version}, newer than this runbook knows (${LATEST_VERSION})`,
        'upgrade runbook on this machine',
      );
  }

  /** The error a command gives for what the client threw. */
  unavailable(error: unknown): RunbookError {
    return this.#conn.unavailable(error);
  }

  /** The schema version the database has: 0 when it has none. Throws what the client threw. */
  async schemaVersion(): Promise<number> {
    const exists = await this.#conn.query<{ present: boolean }>(
      `select to_regclass($1) is not null as present`,
      [MIGRATIONS_TABLE],
    );
    if (!exists.rows[0]?.present) return 0;
    const result = await this.#conn.query<{ version: number | null }>(
      `select max(version)::int as version from ${MIGRATIONS_TABLE}`,
    );
    return result.rows[0]?.version ?? 0;
  }

  /** Applies the migrations the database lacks, in one transaction; gives those applied. */
  async migrate(): Promise<Array<{ version: number; name: string }>> {
    let client: Client;
    try {
      client = await this.#conn.client();
    } catch (error) {
      throw this.#conn.unavailable(error);
    }
    try {
      await client.query('begin');
      await client.query(`select pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
      await client.query(
        `create table if not exists ${MIGRATIONS_TABLE} (version integer primary key, name text not null, applied_at timestamptz not null default now())`,
      );
      const done = new Set(
        (
          await client.query<{ version: number }>(`select version from ${MIGRATIONS_TABLE}`)
        ).rows.map((row) => row.version),
      );
      const applied: Array<{ version: number; name: string }> = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query(`insert into ${MIGRATIONS_TABLE} (version, name) values ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        applied.push({ version: migration.version, name: migration.name });
      }
      await client.query('commit');
      return applied;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      if (isUnreachable(error)) throw this.#conn.unavailable(error);
      throw new UnavailableError(
        `cannot migrate the team database ${this.#shown}: ${reasonOf(error)}`,
        'run it as a role that may create tables in this database (docs/state.md#the-role)',
      );
    }
  }

  async createJournal(runId: string): Promise<JournalSink> {
    try {
      await this.ready();
    } catch (error) {
      // Out of reach: the run goes on, its journal kept here (its writer says so once).
      if (error instanceof NotMigratedError || !(error instanceof UnavailableError)) throw error;
    }
    return this.#journal(runId, this.#local.journalSink(runId, false), []);
  }

  async appendJournal(runId: string): Promise<JournalSink> {
    await this.ready();
    // What this machine kept of the run is sent first; what others added is copied here.
    await this.#flushRun(runId);
    const path = journalPath(this.stateDir, runId);
    const rows = await this.#lines(runId);
    const local = readOwnFile(path);
    const localCount = local === undefined ? 0 : parseJournal(path, local).events.length;
    if (rows.length > localCount) writeAtomic(path, `${rows.join('\n')}\n`);
    const sink = this.#local.journalSink(runId, true);
    return this.#journal(runId, sink, readJournal(path).events);
  }

  async #journal(runId: string, sink: LocalSink, earlier: EngineEvent[]): Promise<JournalSink> {
    const mark = this.#spoolMark(runId);
    writeAtomic(mark, `${runId}\n`);
    const writer = new EventWriter(
      this.#conn,
      runId,
      sink.location,
      sink.earlier,
      earlier.map((event) => (event.type === 'step.end' ? { ...event, outputs: {} } : event)),
      this.#warn,
    );
    return {
      location: sink.location,
      write: (event) => {
        const line = sink.write(event);
        if (line !== undefined) writer.push(event, line);
      },
      sync: () => sink.sync(),
      close: () => sink.close(),
      settle: async (timeoutMs) => {
        if (await writer.settle(timeoutMs)) {
          try {
            unlinkSync(mark);
          } catch {
            // Already sent by another command.
          }
          return undefined;
        }
        return `the team database is still unreachable: ${writer.pending} event${writer.pending === 1 ? '' : 's'} of this run are only in ${sink.location}; the next command that reads the database sends them, or run: runbook state flush`;
      },
    };
  }

  #spoolMark(runId: string): string {
    return join(secureDir(this.stateDir, 'spool'), runId);
  }

  /** The runs whose events this machine kept while the database was out of reach. */
  spooled(): string[] {
    let names: string[];
    try {
      names = readdirSync(join(this.stateDir, 'spool'));
    } catch {
      return [];
    }
    // A run still going on here sends its own events.
    return names
      .filter((name) => isRunId(name) && this.#local.readRunNow(name)?.status !== 'running')
      .sort();
  }

  /**
   * Sends every kept journal (`runbook state flush`, and each read): its events (idempotent on run
   * id and sequence) and its row. Gives how many runs and events were sent.
   */
  async flush(): Promise<{ runs: number; events: number }> {
    let runs = 0;
    let events = 0;
    for (const runId of this.spooled()) {
      events += await this.#flushRun(runId);
      runs++;
    }
    return { runs, events };
  }

  /** Sends one run's local journal, when it is marked as not all sent; the mark goes once the
   * run has ended and all of it is in. */
  async #flushRun(runId: string): Promise<number> {
    const mark = join(this.stateDir, 'spool', runId);
    if (readOwnFile(mark) === undefined) return 0;
    // A run still going on here sends its own events.
    if (this.#local.readRunNow(runId)?.status === 'running') return 0;
    const path = journalPath(this.stateDir, runId);
    const text = readOwnFile(path);
    if (text === undefined) {
      unlinkSync(mark);
      return 0;
    }
    const { lines, events } = pendingOf(text);
    let inserted = 0;
    try {
      for (let from = 0; from < lines.length; from += BATCH) {
        const slice = events.slice(from, from + BATCH);
        const result = await this.#conn.query<{ inserted: number }>(INSERT_EVENTS, [
          runId,
          slice.map((_, i) => from + i),
          slice.map((event) => event.ts),
          slice.map((event) => event.type),
          lines.slice(from, from + BATCH).map(jsonbSafe),
          null,
        ]);
        inserted += result.rows[0]?.inserted ?? 0;
      }
      const row = runRow(runId, path, events);
      if (row) await this.#conn.query(UPSERT_RUN, row);
    } catch (error) {
      throw this.#conn.unavailable(error);
    }
    const record = runRecord({ path, events, torn: false, unreadable: 0 }, true);
    if (record?.parts.at(-1)?.ended_at !== undefined) {
      try {
        unlinkSync(mark);
      } catch {
        // Another command sent it too.
      }
    }
    return inserted;
  }

  /** Before reading: what this machine kept is sent, so that it reads what it ran. */
  async #beforeRead(): Promise<void> {
    await this.ready();
    if (this.spooled().length > 0) await this.flush();
  }

  async #lines(runId: string): Promise<string[]> {
    const result = await this.#conn.query<{ line: string }>(
      `select event::text as line from runbook_events where run_id = $1 order by seq`,
      [runId],
    );
    return result.rows.map((row) => row.line);
  }

  async readRun(runId: string): Promise<RunRecord | undefined> {
    if (!isRunId(runId)) return undefined;
    await this.#beforeRead();
    try {
      return await this.#readRun(runId);
    } catch (error) {
      throw this.#conn.unavailable(error);
    }
  }

  async #readRun(runId: string): Promise<RunRecord | undefined> {
    const lines = await this.#lines(runId);
    if (lines.length === 0) return undefined;
    const location = `${this.#shown} (run ${runId})`;
    const read = parseJournal(location, `${lines.join('\n')}\n`);
    const ended = runRecord(read, true);
    if (!ended) return undefined;
    const last = ended.parts.at(-1);
    if (!last || last.ended_at !== undefined) return ended;
    return runRecord(read, await this.#alive(runId, last));
  }

  /**
   * Whether a run without an end still runs: it holds its lock (its connection is alive), or it is
   * a plan (which takes no lock) whose process on this machine still runs, or runs elsewhere.
   */
  async #alive(runId: string, part: RunRecord['parts'][number]): Promise<boolean> {
    const held = await this.#conn.query<{ held: boolean }>(
      `select exists (
         select 1 from runbook_locks l
         join pg_locks p on p.pid = l.backend_pid and p.locktype = 'advisory' and p.granted
         where l.run_id = $1) as held`,
      [runId],
    );
    if (held.rows[0]?.held) return true;
    if (part.mode !== 'dry-run') return false;
    if (part.host !== this.#host) return true;
    return this.#probe.start(part.pid) !== undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunList> {
    await this.#beforeRead();
    try {
      return await this.#listRuns(filter);
    } catch (error) {
      throw this.#conn.unavailable(error);
    }
  }

  async #listRuns(filter: RunFilter): Promise<RunList> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.runbook !== undefined) add('runbook_id = ?', filter.runbook);
    if (filter.since !== undefined) add('started_at >= ?', filter.since.toISOString());
    if (filter.mode !== undefined) add('mode = ?', filter.mode);
    if (filter.user !== undefined) add('user_name = ?', filter.user);
    if (filter.incident !== undefined) add('incident = ?', filter.incident);
    const open = filter.status === 'running' || filter.status === 'crashed';
    if (open) where.push('ended_at is null');
    else if (filter.status !== undefined) add('status = ?', filter.status);
    const count = async (clause: string, values: unknown[]): Promise<number> =>
      Number(
        (
          await this.#conn.query<{ n: string }>(
            `select count(*) as n from runbook_runs${clause}`,
            values,
          )
        ).rows[0]?.n ?? 0,
      );
    const clause = where.length > 0 ? ` where ${where.join(' and ')}` : '';
    // Counted apart: the newest `limit` rows are read by the index, never all of them.
    const total = await count('', []);
    const limit = !open && filter.limit !== undefined ? ` limit ${Number(filter.limit)}` : '';
    const rows = (
      await this.#conn.query<{ run_id: string; summary: RunSummary | null }>(
        `select run_id, summary from runbook_runs${clause}
         order by started_at desc, run_id desc${limit}`,
        params,
      )
    ).rows;
    let matching = limit === '' ? rows.length : clause === '' ? total : await count(clause, params);
    const runs: RunSummary[] = [];
    for (const row of rows) {
      if (row.summary) {
        runs.push(row.summary);
        continue;
      }
      const record = await this.#readRun(row.run_id);
      if (!record) continue;
      const summary = summaryOfRecord(record);
      if (open && summary.status !== filter.status) continue;
      runs.push(summary);
    }
    if (open) {
      matching = runs.length;
      if (filter.limit !== undefined) runs.splice(filter.limit);
    }
    return { runs, total, matching, location: this.#shown, skipped: [] };
  }

  /**
   * Advisory locks, session-level, on a connection of their own held for the run: a runner that
   * dies loses its connection, and its locks with it. Who holds each is in runbook_locks.
   */
  async acquireLocks(
    names: readonly string[],
    holder: LockHolder,
    force: boolean,
  ): Promise<HeldLock> {
    try {
      await this.ready();
    } catch (error) {
      if (error instanceof NotMigratedError || !(error instanceof UnavailableError)) throw error;
      throw new UnavailableError(error.message, FORCE_HINT);
    }
    // The run's one connection holds its locks, for as long as it runs, and carries its events.
    const conn = this.#conn;
    let held = true;
    conn.onLost = () => {
      if (held)
        this.#warn(
          `the connection holding this run's lock on ${names.join(', ')} was lost (the database restarted, or another run took it with --force): another run can start meanwhile`,
        );
      held = false;
    };
    const takenOver: HeldLock['takenOver'] = [];
    const release = async (): Promise<void> => {
      conn.onLost = undefined;
      if (!held) return;
      held = false;
      try {
        await conn.query(`delete from runbook_locks where run_id = $1 and name = any($2)`, [
          holder.run_id,
          [...names],
        ]);
        await conn.query('select pg_advisory_unlock_all()');
      } catch {
        // Its connection ends with the store: the locks go with it.
      }
    };
    try {
      const backend = await conn.query<{ pid: number }>('select pg_backend_pid() as pid');
      const backendPid = backend.rows[0]?.pid ?? 0;
      for (const name of names) {
        const got = await conn.query<{ ok: boolean; key: string }>(
          `select pg_try_advisory_lock(${LOCK_KEY_SQL}) as ok, ${LOCK_KEY_SQL}::text as key`,
          [name],
        );
        const key = got.rows[0]?.key ?? '0';
        let previous: LockHolder | undefined;
        if (!got.rows[0]?.ok) {
          const current = await this.#holder(conn, name);
          if (!force) throw lockedBy(name, current);
          previous = current;
          await this.#takeOver(conn, name, current);
        }
        await conn.query(
          `insert into runbook_locks
             (name, lock_key, run_id, runbook, user_name, host, pid, backend_pid, started_at, step, taken_over)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, null, $10)
           on conflict (name) do update set lock_key = excluded.lock_key, run_id = excluded.run_id,
             runbook = excluded.runbook, user_name = excluded.user_name, host = excluded.host,
             pid = excluded.pid, backend_pid = excluded.backend_pid,
             started_at = excluded.started_at, step = null, taken_over = excluded.taken_over`,
          [
            name,
            key,
            holder.run_id,
            holder.runbook,
            holder.user,
            holder.host,
            holder.pid,
            backendPid,
            holder.started_at,
            previous
              ? JSON.stringify({ ...previous, by: holder.user, at: holder.started_at })
              : null,
          ],
        );
        if (previous) takenOver.push({ name, holder: previous, alive: true });
      }
    } catch (error) {
      await release();
      if (error instanceof RunbookError) throw error;
      throw this.#conn.unavailable(error, FORCE_HINT);
    }
    return { takenOver, release };
  }

  async #holder(conn: Connection, name: string): Promise<LockHolder> {
    const row = (
      await conn.query<{
        run_id: string;
        pid: number;
        user_name: string;
        host: string;
        started_at: Date;
        runbook: string;
        step: string | null;
        backend_pid: number;
      }>(`select * from runbook_locks where name = $1`, [name])
    ).rows[0];
    if (!row)
      return {
        run_id: 'unknown',
        pid: 0,
        user: 'someone',
        host: 'another machine',
        started_at: 'just now',
        runbook: name,
      };
    return {
      run_id: row.run_id,
      pid: row.pid,
      user: row.user_name,
      host: row.host,
      started_at: row.started_at.toISOString(),
      runbook: row.runbook,
      ...(row.step ? { step: row.step } : {}),
      backend_pid: row.backend_pid,
    };
  }

  /**
   * `--force`: ends the holder's lock connection (pg_terminate_backend, which a role may do to its
   * own sessions) and waits for the lock. The holder's run goes on without it; its journal still
   * reaches the database, on its own connection.
   */
  async #takeOver(conn: Connection, name: string, holder: LockHolder): Promise<void> {
    if (holder.backend_pid !== undefined)
      await conn
        .query('select pg_terminate_backend($1)', [holder.backend_pid])
        .catch(() => undefined);
    await conn.query(`set lock_timeout = ${TAKEOVER_WAIT_MS}`);
    try {
      await conn.query(`select pg_advisory_lock(${LOCK_KEY_SQL})`, [name]);
    } catch (error) {
      if ((error as { code?: unknown }).code === '55P03')
        throw new StateError(
          `cannot take over the lock on ${name}: ${holder.user}@${holder.host}'s run still holds it`,
          'its connection could not be ended: that needs the same role, or pg_signal_backend (docs/state.md#locks)',
        );
      throw error;
    } finally {
      await conn.query('set lock_timeout = 0').catch(() => undefined);
    }
  }

  readonly approvals: ApprovalBook = {
    request: async (request) => {
      await this.#conn.query(
        `insert into runbook_approvals (run_id, step, runner, by_group, approvers)
         values ($1, $2, $3, $4, $5)
         on conflict (run_id, step) do update set runner = excluded.runner,
           by_group = excluded.by_group, approvers = excluded.approvers, requested_at = now()`,
        [request.run_id, request.step, request.runner, request.by, request.approvers],
      );
    },
    read: async (runId, step) => {
      await this.ready();
      const row = (
        await this.#conn.query<{
          runner: string;
          by_group: string;
          approvers: string[] | null;
          requested_at: Date;
          approved_by: string | null;
          approved_host: string | null;
          approved_at: Date | null;
        }>(`select * from runbook_approvals where run_id = $1 and step = $2`, [runId, step])
      ).rows[0];
      if (!row) return undefined;
      return {
        run_id: runId,
        step,
        runner: row.runner,
        by: row.by_group,
        approvers: row.approvers,
        requested_at: row.requested_at.toISOString(),
        approved_by: row.approved_by,
        approved_host: row.approved_host,
        approved_at: row.approved_at?.toISOString() ?? null,
      };
    },
    waiting: async (runId) => {
      await this.ready();
      const rows = (
        await this.#conn.query<{ step: string; by_group: string; approvers: string[] | null }>(
          `select step, by_group, approvers from runbook_approvals
           where run_id = $1 and approved_by is null order by requested_at`,
          [runId],
        )
      ).rows;
      return rows.map((row) => ({ step: row.step, by: row.by_group, approvers: row.approvers }));
    },
    give: async (runId, step, by, host) => {
      const result = await this.#conn.query(
        `update runbook_approvals set approved_by = $3, approved_host = $4, approved_at = now()
         where run_id = $1 and step = $2 and approved_by is null`,
        [runId, step, by, host],
      );
      return (result.rowCount ?? 0) > 0;
    },
  };

  /** The locks held now, with their holders: `runbook state status`. */
  async heldLocks(): Promise<Array<LockHolder & { name: string }>> {
    await this.ready();
    const rows = (
      await this.#conn.query<{ name: string }>(
        `select l.name from runbook_locks l
         join pg_locks p on p.pid = l.backend_pid and p.locktype = 'advisory' and p.granted
         group by l.name order by l.name`,
      )
    ).rows;
    const out: Array<LockHolder & { name: string }> = [];
    for (const { name } of rows) out.push({ name, ...(await this.#holder(this.#conn, name)) });
    return out;
  }

  async close(): Promise<void> {
    await this.#conn.end();
  }
}

function lockedBy(name: string, holder: LockHolder): LockedError {
  const { backend_pid: _backend, ...shown } = holder;
  return new LockedError(
    name.startsWith('host-') ? `host ${name.slice(5)}` : `runbook ${name}`,
    shown,
  );
}

/** Opens the team store (after the URL was found: stateUrl). */
export function openPgStore(
  from: string,
  url: string,
  stateDir: string,
  probe: ProcessProbe,
  warn: (line: string) => void,
): PgStateStore {
  if (!/^postgres(ql)?:\/\//i.test(url))
    throw new ConfigError(
      URL.canParse(url)
        ? `$${from} holds ${safeUrl(url)}, which is not a postgres:// URL`
        : `$${from} is not a URL`,
      'set it to postgres://user:password@host:5432/database (docs/state.md)',
    );
  return new PgStateStore(url, stateDir, probe, warn);
}
