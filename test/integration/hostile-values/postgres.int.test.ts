import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/cli.js';
import { hostileValues, injectedFiles, runWithValue, type RunStep } from '../../helpers/hostile.js';
import { startPostgres, type PgCluster } from '../../helpers/postgres.js';

/**
 * The hostile values through `--var` into every input of the psql actions, against a real
 * PostgreSQL 15: as params of psql.query and psql.select (:'v' and :"v"), and as the filters of the
 * named actions. None may run as SQL. (NUL cannot travel in argv; registry.test.ts covers it.)
 */

const run = promisify(execFile);
const dir = tempDir('rb-hostile-pg-');
const MARK = join(dir.path, 'injected');
const VALUES = hostileValues(MARK).filter((value) => !value.includes('\0'));

const RUNBOOK = `id: hostile-sql
title: Hostile values into SQL
vars:
  v: { required: true }
  database_url: { env: DATABASE_URL, secret: true, required: true }
diagnosis:
  - id: count
    uses: psql.query
    with: { url: "\${{ vars.database_url }}", sql: 'SELECT count(*) FROM :"t"', params: { t: "\${{ vars.v }}" } }
    continue_on_error: true
  - id: select-count
    uses: psql.select
    with: { url: "\${{ vars.database_url }}", sql: 'SELECT count(*) FROM :"t"', params: { t: "\${{ vars.v }}" } }
    continue_on_error: true
  - id: literal
    uses: psql.select
    with: { url: "\${{ vars.database_url }}", sql: "SELECT :'v' AS v, length(:'v') AS n", params: { v: "\${{ vars.v }}" } }
  - id: insert
    uses: psql.query
    with: { url: "\${{ vars.database_url }}", sql: "INSERT INTO notes VALUES (:'v') RETURNING note", params: { v: "\${{ vars.v }}" } }
  - id: connections
    uses: psql.connections
    with: { url: "\${{ vars.database_url }}", database: "\${{ vars.v }}" }
  - id: long-running
    uses: psql.long_running
    with: { url: "\${{ vars.database_url }}", user: "\${{ vars.v }}", database: "\${{ vars.v }}", threshold: 1s }
  - id: terminate
    uses: psql.terminate
    with: { url: "\${{ vars.database_url }}", older_than: 1s, database: "\${{ vars.v }}", user: "\${{ vars.v }}", application_name: "\${{ vars.v }}" }
  - id: read-only
    uses: psql.read_only
    with: { url: "\${{ vars.database_url }}", database: "\${{ vars.v }}", enabled: true }
    continue_on_error: true
`;

let pg: PgCluster;
const results = new Map<string, Map<string, RunStep>>();

/** SQL as the app role, in its database, where the runbook works. */
async function appSql(sql: string): Promise<string> {
  const { stdout } = await run('psql', [pg.url, '-X', '-w', '-q', '-At', '-c', sql], {
    env: { PATH: process.env.PATH },
  });
  return stdout.trim();
}

beforeAll(async () => {
  pg = await startPostgres();
  await appSql('CREATE TABLE victim (a int); CREATE TABLE notes (note text)');
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(join(dir.path, 'runbooks/hostile-sql.yaml'), RUNBOOK);
  for (const value of VALUES)
    results.set(
      value,
      await runWithValue(join(dir.path, 'runbooks'), 'hostile-sql', value, {
        cwd: dir.path,
        env: { DATABASE_URL: pg.url, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      }),
    );
}, 120_000);

afterAll(() => {
  pg?.stop();
  dir.remove();
});

describe('hostile values into psql steps, against PostgreSQL', () => {
  it.each(VALUES)('%j is data in every step', (value) => {
    const steps = results.get(value);
    const step = (id: string) => steps?.get(id);
    // psql prints the first line of a name with a line break in its message.
    const name = value.split('\n')[0] ?? '';
    expect(step('count')).toMatchObject({
      status: 'failed',
      reason: `ERROR: relation "${name}`.concat(value.includes('\n') ? '' : '" does not exist'),
    });
    expect(step('select-count')?.reason).toBe(step('count')?.reason);
    expect(step('literal')).toMatchObject({
      status: 'succeeded',
      outputs: { rows: [{ v: value, n: [...value].length }] },
    });
    expect(step('insert')).toMatchObject({
      status: 'succeeded',
      outputs: { rows: [{ note: value }], row_count: 1 },
    });
    expect(step('connections')).toMatchObject({ status: 'succeeded', outputs: { total: 0 } });
    expect(step('long-running')).toMatchObject({ status: 'succeeded', outputs: { count: 0 } });
    expect(step('terminate')).toMatchObject({
      status: 'succeeded',
      outputs: { terminated: [], count: 0 },
    });
    expect(step('read-only')).toMatchObject({
      status: 'failed',
      reason: `ERROR: database "${name}`.concat(value.includes('\n') ? '' : '" does not exist'),
    });
  });

  it('created no table, dropped none, and stored each value as it is', async () => {
    expect(
      await appSql(
        `SELECT to_regclass('injected_marker') IS NULL, to_regclass('victim') IS NOT NULL`,
      ),
    ).toBe('t|t');
    expect((await appSql('SELECT note FROM notes ORDER BY ctid')).split('\n')).toEqual(
      VALUES.flatMap((value) => value.split('\n')),
    );
    expect(injectedFiles(MARK)).toEqual([]);
  });
});
