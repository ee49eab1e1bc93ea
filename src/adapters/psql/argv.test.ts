import { describe, expect, it } from 'vitest';
import { recordingContext } from '../../../test/helpers/recorded-exec.js';
import { psql } from './index.js';
import { psqlCommand, splitPassword } from './argv.js';

const PASSWORD = 'p@ss:w/rd?&';

const URL_WITH_PASSWORD = `postgres://app:${encodeURIComponent(PASSWORD)}@db.internal:5432/app?sslmode=require`;

describe('splitPassword', () => {
  it.each([
    [
      'postgres://app:p%40ss%3Aw%2Frd%3F%26@127.0.0.1:5432/app',
      'postgres://app@127.0.0.1:5432/app',
      PASSWORD,
    ],
    ['postgresql://app:secret@db/app', 'postgresql://app@db/app', 'secret'],
    ['postgres://app:@db/app', 'postgres://app@db/app', ''],
    ['postgres://app@db/app', 'postgres://app@db/app', undefined],
    ['postgres://db:5432/app', 'postgres://db:5432/app', undefined],
    [
      'postgres:///app?host=/var/run/postgresql',
      'postgres:///app?host=/var/run/postgresql',
      undefined,
    ],
    [
      'postgres://app@db/app?sslmode=require&password=s%26cret&connect_timeout=5',
      'postgres://app@db/app?sslmode=require&connect_timeout=5',
      's&cret',
    ],
    ['postgres://app@db/app?password=x', 'postgres://app@db/app', 'x'],
    // An @ after the path is not user info (libpq reads it the same way).
    ['postgres://db/app?application_name=a@b', 'postgres://db/app?application_name=a@b', undefined],
  ])('%s → %s', (input, shown, password) => {
    expect(splitPassword(input)).toEqual({ url: shown, password });
  });
});

describe('psqlCommand', () => {
  it('puts the URL without its password in argv and the password in PGPASSWORD', () => {
    const command = psqlCommand(URL_WITH_PASSWORD, ['-q', '-At'], ['select 1']);
    expect(command.args).toEqual([
      '-X',
      '-w',
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-At',
      '-d',
      'postgres://app@db.internal:5432/app?sslmode=require',
      '-c',
      'select 1',
    ]);
    expect(command.env).toEqual({ PGCLIENTENCODING: 'UTF8', PGPASSWORD: PASSWORD });
  });

  it('without a URL leaves the connection to the PG* variables', () => {
    const command = psqlCommand(undefined, ['-At'], ['update t set a = 1']);
    expect(command.args).toEqual([
      '-X',
      '-w',
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-c',
      'update t set a = 1',
    ]);
    expect(command.env).toEqual({ PGCLIENTENCODING: 'UTF8' });
  });
});

describe('no action puts the password in argv or describe()', () => {
  const inputs: Record<string, Record<string, unknown>> = {
    query: { sql: 'update t set a = 1' },
    select: { sql: 'select 1' },
    connections: {},
    long_running: { threshold: '30s' },
    terminate: { older_than: '5m' },
    read_only: { database: 'app', enabled: true },
  };

  it.each(Object.keys(psql.actions))('psql.%s', (name) => {
    const action = psql.actions[name as keyof typeof psql.actions];
    const input = action.input.parse({ ...inputs[name], url: URL_WITH_PASSWORD });
    const described = action.describe(input);
    expect(described).toContain("-d 'postgres://app@db.internal:5432/app?sslmode=require'");
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'p@ss', 'p%40ss'])
      expect(described).not.toContain(secret);
  });

  it.each(Object.keys(psql.actions))(
    'psql.%s runs psql with the password only in PGPASSWORD',
    async (name) => {
      const action = psql.actions[name as keyof typeof psql.actions];
      const { ctx, recorder } = recordingContext(
        { exitCode: 2, stderr: 'psql: error: connection to server failed\n' },
        { env: { PATH: '/usr/bin' } },
      );
      const outcome = await action.run(
        action.input.parse({ ...inputs[name], url: URL_WITH_PASSWORD }),
        ctx,
      );
      expect(outcome).toMatchObject({
        ok: false,
        error: 'psql: error: connection to server failed',
      });
      const request = recorder.only();
      expect(request.file).toBe('psql');
      for (const arg of request.args)
        for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'p@ss', 'p%40ss'])
          expect(arg).not.toContain(secret);
      expect(request.env).toEqual({
        PGCLIENTENCODING: 'UTF8',
        PGPASSWORD: PASSWORD,
        PGAPPNAME: 'runbook',
        PGCONNECT_TIMEOUT: '10',
      });
    },
  );

  it('covers every action', () => {
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(psql.actions).sort());
  });
});

describe('describe()', () => {
  it('shows the exact psql command of a query: the wrapped SQL as the script psql reads', () => {
    const input = psql.actions.query.input.parse({
      sql: "select id, name from users where name = 'x';",
      url: 'postgres://app:secret@127.0.0.1:5432/app',
    });
    expect(psql.actions.query.describe(input)).toMatchInlineSnapshot(`
      "psql -X -w -v ON_ERROR_STOP=1 -q -At -d postgres://app@127.0.0.1:5432/app <<'SQL'
      select coalesce(json_agg(t), '[]') from (
      select id, name from users where name = 'x'
      ) t;
      SQL"
    `);
  });

  it('shows a statement that returns no rows as it is, for its command tag', () => {
    const input = psql.actions.query.input.parse({ sql: 'VACUUM ANALYZE orders' });
    expect(psql.actions.query.describe(input)).toBe(
      "psql -X -w -v ON_ERROR_STOP=1 -At <<'SQL'\nVACUUM ANALYZE orders;\nSQL",
    );
  });

  it('runs psql.select inside a read-only transaction', () => {
    const input = psql.actions.select.input.parse({ sql: 'show max_connections' });
    expect(psql.actions.select.describe(input)).toBe(
      "psql -X -w -v ON_ERROR_STOP=1 -q --csv <<'SQL'\nBEGIN TRANSACTION READ ONLY;\nshow max_connections;\nROLLBACK;\nSQL",
    );
  });

  it('shows the params after the script, their values as they are', () => {
    const input = psql.actions.query.input.parse({
      sql: `ANALYZE VERBOSE :"table"`,
      params: { table: "it's; a \\ table" },
    });
    expect(psql.actions.query.describe(input)).toMatchInlineSnapshot(`
      "psql -X -w -v ON_ERROR_STOP=1 -At <<'SQL'
      \\getenv table RUNBOOK_PARAM_table
      ANALYZE VERBOSE :"table";
      SQL
      # params: table='it's; a \\ table'"
    `);
  });

  it('ends the here-document with a word the script does not hold', () => {
    const input = psql.actions.query.input.parse({ sql: 'select 1 as\nSQL' });
    expect(psql.actions.query.describe(input).split('\n').at(-1)).toBe('SQL_1');
  });

  it('quotes the database of psql.read_only as an identifier', () => {
    const input = psql.actions.read_only.input.parse({ database: 'Cook"Cam', enabled: false });
    expect(psql.actions.read_only.describe(input)).toContain(
      `ALTER DATABASE "Cook""Cam" SET default_transaction_read_only = off`,
    );
  });
});
