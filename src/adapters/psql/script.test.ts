import { describe, expect, it } from 'vitest';
import { inspectSql, sqlMode, sqlScript } from './script.js';

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
