import { describe, expect, it } from 'vitest';
import { psql } from './index.js';

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
