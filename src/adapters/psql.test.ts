import { describe, expect, it } from 'vitest';
import type { ActionContext, ProcessRequest } from './adapter.js';
import {
  connectionsOutputs,
  connectionsSql,
  parseCsv,
  parseSqlOutput,
  psql,
  psqlCommand,
  psqlError,
  splitPassword,
  sqlIdentifier,
  sqlLiteral,
  terminateSql,
} from './psql.js';
import { inspectSql, sqlMode, sqlScript } from './psql-script.js';

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
      const requests: ProcessRequest[] = [];
      const base = {
        signal: new AbortController().signal,
        timeoutMs: undefined,
        cwd: '/',
        host: undefined,
      };
      const ctx: ActionContext = {
        ...base,
        env: { PATH: '/usr/bin' },
        exec: (request) => {
          requests.push(request);
          return Promise.resolve({
            exitCode: 2,
            signal: undefined,
            stdout: '',
            stderr: 'psql: error: connection to server failed\n',
            durationMs: 1,
            timedOut: false,
            interrupted: false,
            error: undefined,
          });
        },
      };
      const outcome = await action.run(
        action.input.parse({ ...inputs[name], url: URL_WITH_PASSWORD }),
        ctx,
      );
      expect(outcome).toMatchObject({
        ok: false,
        error: 'psql: error: connection to server failed',
      });
      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request?.file).toBe('psql');
      for (const arg of request?.args ?? [])
        for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'p@ss', 'p%40ss'])
          expect(arg).not.toContain(secret);
      expect(request?.env).toEqual({
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

describe('sqlScript: the script psql reads, and the environment its params need', () => {
  it('reads each param from its own environment variable, never from argv', () => {
    const hostile = "'); DROP TABLE victim; --\n$(touch /tmp/x)";
    expect(
      sqlScript(
        `select :'note' as note, count(*) from :"table"`,
        { note: hostile, table: 't' },
        false,
      ),
    ).toEqual({
      mode: 'rows',
      script: [
        '\\getenv note RUNBOOK_PARAM_note',
        '\\getenv table RUNBOOK_PARAM_table',
        `select coalesce(json_agg(t), '[]') from (`,
        `select :'note' as note, count(*) from :"table"`,
        ') t;',
        '',
      ].join('\n'),
      env: { RUNBOOK_PARAM_note: hostile, RUNBOOK_PARAM_table: 't' },
    });
  });

  it('reads params before the READ ONLY transaction of psql.select', () => {
    expect(sqlScript(`select * from pg_class where relname = :'name'`, { name: 'x' }, true).script)
      .toBe(`\\getenv name RUNBOOK_PARAM_name
BEGIN TRANSACTION READ ONLY;
select coalesce(json_agg(t), '[]') from (
select * from pg_class where relname = :'name'
) t;
ROLLBACK;
`);
  });

  it('joins several statements with \\; so that they are one request, as psql -c sends them', () => {
    expect(sqlScript(`begin; update t set a = :'a'; -- why\ncommit;;`, { a: '1' }, false)).toEqual({
      mode: 'command',
      script: `\\getenv a RUNBOOK_PARAM_a\nbegin \\;\nupdate t set a = :'a' \\;\ncommit;\n`,
      env: { RUNBOOK_PARAM_a: '1' },
    });
  });

  it('runs SHOW and EXPLAIN as they are, without a final comment', () => {
    expect(sqlScript('show work_mem; -- mem', {}, false)).toEqual({
      mode: 'text-rows',
      script: 'show work_mem;\n',
      env: {},
    });
  });
});

describe('params in the input of psql.query and psql.select', () => {
  const problems = (input: Record<string, unknown>, action: 'query' | 'select' = 'query') => {
    const result = psql.actions[action].input.safeParse(input);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes strings, numbers and booleans, as text', () => {
    expect(
      psql.actions.select.input.parse({
        sql: `select :'a', :'b', :'c'`,
        params: { a: 'x', b: 10, c: true },
      }),
    ).toEqual({ sql: `select :'a', :'b', :'c'`, params: { a: 'x', b: '10', c: 'true' } });
  });

  it('refuses what would let a value become code, or does not add up', () => {
    expect(problems({ sql: 'select * from :t', params: { t: 'x' } })).toEqual([
      `sql: :t would paste the value of params.t into the SQL as code: write :'t' (a literal) or :"t" (an identifier)`,
    ]);
    expect(problems({ sql: `select :'missing', :"gone"` }, 'select')).toEqual([
      `sql: :'missing' refers to params.missing, which is not given`,
      `sql: :"gone" refers to params.gone, which is not given`,
    ]);
    expect(problems({ sql: 'select 1; \\! touch /tmp/x' })).toEqual([
      'sql: psql meta-command \\! outside a string: sql: takes SQL only (a run: step can call psql itself)',
    ]);
    expect(problems({ sql: `select :'v'`, params: { v: 'a\0b' } })).toEqual([
      'params.v: must not contain NUL characters',
    ]);
    expect(problems({ sql: `select :'ON_ERROR_STOP'`, params: { ON_ERROR_STOP: '0' } })).toEqual([
      "params.ON_ERROR_STOP: a param name is lower-case letters, digits and _ (psql's own variables are upper-case)",
    ]);
  });

  it('leaves :name alone when it is not a param, and casts', () => {
    expect(
      problems({ sql: `select a[1:n]::text from t where b = :'v'`, params: { v: '1' } }),
    ).toEqual([]);
  });
});

describe('psql.select input', () => {
  const parse = (sql: string) => psql.actions.select.input.safeParse({ sql });

  it.each([
    'select 1',
    'WITH x AS (select 1) select * from x',
    'values (1)',
    'table pg_database',
    'show work_mem',
    'explain select 1',
  ])('accepts %j', (sql) => {
    expect(parse(sql).success).toBe(true);
  });

  it.each([
    'update t set a = 1',
    'select 1; delete from t',
    'begin',
    'select 1; commit; update t set a = 1',
  ])('refuses %j', (sql) => {
    const result = parse(sql);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'expected one query (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN); use psql.query for other statements',
    );
  });
});

describe('inspectSql', () => {
  it('finds the first keyword after comments and whitespace', () => {
    expect(inspectSql('  -- why\n /* a /* nested */ comment */ SELECT 1').keyword).toBe('select');
  });

  it('counts statements at top-level semicolons only', () => {
    expect(inspectSql('select 1').statements).toBe(1);
    expect(inspectSql('select 1;').statements).toBe(1);
    expect(inspectSql('select 1;;  -- done\n').statements).toBe(1);
    expect(inspectSql('begin; update t set a = 1; commit').statements).toBe(3);
    expect(inspectSql(`select 'a;b', "c;d", $$e;f$$, $x$g;$$h$x$ -- i;j`).statements).toBe(1);
    expect(inspectSql(`select E'it\\'s; still one'`).statements).toBe(1);
    expect(inspectSql(`select 'it''s; still one'`).statements).toBe(1);
    expect(inspectSql('select $1; select 2').statements).toBe(2);
    expect(inspectSql('-- nothing at all').statements).toBe(0);
  });

  it('sees RETURNING only as a keyword', () => {
    expect(inspectSql('update t set a = 1 returning id').returning).toBe(true);
    expect(inspectSql(`update t set a = 'returning'`).returning).toBe(false);
    expect(inspectSql(`update t set "returning" = 1 -- returning`).returning).toBe(false);
  });

  it('finds psql variable references outside strings, identifiers and comments, not casts', () => {
    expect(
      inspectSql(
        `select :'lit', :"ident", :bare, x::text, ':no', ":no", $$:no$$ -- :no\n/* :no */ from t`,
      ).variables,
    ).toEqual([
      { name: 'lit', form: 'literal' },
      { name: 'ident', form: 'identifier' },
      { name: 'bare', form: 'bare' },
    ]);
  });

  it('finds a psql meta-command outside strings, not a backslash inside one', () => {
    expect(inspectSql(`select E'\\\\', '\\' \\gexec`).metaCommand).toBe('\\gexec');
    expect(inspectSql(`select E'a\\'b', $$\\!$$ -- \\!`).metaCommand).toBeUndefined();
  });

  it('lists the statements, each from its first token to its last', () => {
    expect(
      inspectSql('begin; /* a */ update t set a = 1 -- b\n;; commit -- c').statementTexts,
    ).toEqual(['begin', 'update t set a = 1', 'commit']);
  });

  it('cuts the final semicolon and trailing comments from the body', () => {
    expect(inspectSql('select 1 ; -- done\n').body).toBe('select 1');
    expect(inspectSql('select 1 /* x */').body).toBe('select 1');
  });
});

describe('sqlMode', () => {
  it.each([
    ['select * from t', 'rows'],
    ['with x as (select 1) select * from x', 'rows'],
    ['values (1), (2)', 'rows'],
    ['table t', 'rows'],
    ['(select 1) union (select 2)', 'rows'],
    ['update t set a = 1 returning a', 'returning'],
    ['insert into t values (1) returning *', 'returning'],
    ['show work_mem', 'text-rows'],
    ['explain analyze select 1', 'text-rows'],
    ['update t set a = 1', 'command'],
    ['create table x (a int)', 'command'],
    ['select 1; select 2', 'command'],
  ])('%s → %s', (sql, mode) => {
    expect(sqlMode(inspectSql(sql))).toBe(mode);
  });

  it('wraps DML with RETURNING in a CTE', () => {
    expect(sqlScript('delete from t where a > 1 returning a;', {}, false).script).toBe(
      "with t as (\ndelete from t where a > 1 returning a\n) select coalesce(json_agg(t), '[]') from t;\n",
    );
  });
});

describe('parseSqlOutput (recorded from psql 15)', () => {
  it('reads the JSON rows of a query: null is not the empty string, types are kept', () => {
    const stdout =
      '[{"n":1,"x":2.5,"ok":true,"nothing":null,"empty":"","punct":"a,b \\"q\\" it\'s","lines":"line1\\nline2","uni":"héllo ✓ 日本"}, \n {"n":2,"x":null,"ok":false,"nothing":"x","empty":"","punct":"","lines":"","uni":""}]\n';
    const outputs = parseSqlOutput(stdout, 'rows');
    expect(outputs.row_count).toBe(2);
    expect(outputs.columns).toEqual(['n', 'x', 'ok', 'nothing', 'empty', 'punct', 'lines', 'uni']);
    expect((outputs.rows as unknown[])[0]).toEqual({
      n: 1,
      x: 2.5,
      ok: true,
      nothing: null,
      empty: '',
      punct: `a,b "q" it's`,
      lines: 'line1\nline2',
      uni: 'héllo ✓ 日本',
    });
  });

  it('reads an empty result', () => {
    expect(parseSqlOutput('[]\n', 'rows')).toEqual({ rows: [], row_count: 0, columns: [] });
  });

  it('reads SHOW and EXPLAIN as CSV text', () => {
    expect(parseSqlOutput('work_mem\n4MB\n', 'text-rows')).toEqual({
      rows: [{ work_mem: '4MB' }],
      row_count: 1,
      columns: ['work_mem'],
    });
    const plan = `QUERY PLAN\nSeq Scan on t  (cost=0.00..25.88 rows=6 width=36)\n"  Filter: (b = 'x,y'::text)"\n`;
    expect(parseSqlOutput(plan, 'text-rows').rows).toEqual([
      { 'QUERY PLAN': 'Seq Scan on t  (cost=0.00..25.88 rows=6 width=36)' },
      { 'QUERY PLAN': "  Filter: (b = 'x,y'::text)" },
    ]);
  });

  it('reads command tags: the last one, and the row count of the last that has one', () => {
    expect(parseSqlOutput('UPDATE 3\n', 'command')).toEqual({
      rows: [],
      row_count: 3,
      columns: [],
      command: 'UPDATE 3',
    });
    expect(parseSqlOutput('INSERT 0 2\n', 'command').row_count).toBe(2);
    expect(parseSqlOutput('CREATE TABLE\n', 'command')).toMatchObject({
      command: 'CREATE TABLE',
      row_count: 0,
    });
    expect(parseSqlOutput('BEGIN\nUPDATE 2\nCOMMIT\n', 'command')).toMatchObject({
      command: 'COMMIT',
      row_count: 2,
    });
  });

  it('fails on output that is not JSON rather than guessing', () => {
    expect(() => parseSqlOutput('', 'rows')).toThrow('psql printed nothing');
    expect(() => parseSqlOutput('{"a":1}', 'rows')).toThrow('expected a JSON array of rows');
  });
});

describe('connectionsOutputs (recorded from psql 15)', () => {
  it('counts every state, 0 when absent, and the total against max_connections', () => {
    const stdout =
      '{"max_connections" : 40, "states" : { "active" : 1, "idle" : 2, "idle in transaction" : 1, "unknown" : 3 }}\n';
    expect(connectionsOutputs(stdout)).toEqual({
      total: 7,
      max_connections: 40,
      usage_pct: 17.5,
      by_state: {
        active: 1,
        idle: 2,
        idle_in_transaction: 1,
        idle_in_transaction_aborted: 0,
        fastpath_function_call: 0,
        disabled: 0,
        unknown: 3,
      },
    });
  });

  it('reads no connections at all', () => {
    expect(connectionsOutputs('{"max_connections" : 100, "states" : {}}')).toMatchObject({
      total: 0,
      usage_pct: 0,
      by_state: { active: 0, idle: 0 },
    });
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and newlines', () => {
    expect(parseCsv('a,b\n"x,y","say ""hi""\nthere"\n,\n')).toEqual([
      ['a', 'b'],
      ['x,y', 'say "hi"\nthere'],
      ['', ''],
    ]);
  });
});

describe('psqlError', () => {
  it('is the ERROR line, on one line', () => {
    expect(
      psqlError(
        'ERROR:  relation "nowhere" does not exist\nLINE 1: select nope from nowhere\n                         ^\n',
      ),
    ).toBe('ERROR: relation "nowhere" does not exist');
  });

  it('is psql’s connection error', () => {
    expect(
      psqlError(
        'psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
      ),
    ).toBe('psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused');
  });

  it('skips notices before the error', () => {
    expect(
      psqlError('NOTICE:  hello\nFATAL:  terminating connection due to administrator command\n'),
    ).toBe('FATAL: terminating connection due to administrator command');
  });
});

describe('SQL quoting', () => {
  it('quotes literals for either setting of standard_conforming_strings', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral("a\\'; drop table t; --")).toBe("E'a\\\\\\'; drop table t; --'");
    expect(sqlIdentifier('we"ird')).toBe('"we""ird"');
  });

  it('puts filters into the named actions as literals', () => {
    const sql = connectionsSql({ database: "x' or '1'='1" });
    expect(sql).toContain(`datname = 'x'' or ''1''=''1'`);
    const terminate = terminateSql({ older_than: '5m', user: 'app', pids: [12, 34] });
    expect(terminate).toContain(`usename = 'app'`);
    expect(terminate).toContain('pid <> pg_backend_pid()');
    expect(terminate).toContain('pid in (12, 34)');
    expect(terminate).toContain(`state in ('active')`);
    expect(terminate).toContain(`now() - query_start > interval '300000 milliseconds'`);
    expect(terminate).toContain('pg_terminate_backend(pid, 5000)');
  });

  it('terminates nothing for an empty pid list', () => {
    expect(terminateSql({ older_than: '1s', pids: [] })).toContain(' and false)');
  });
});
