import { describe, expect, it } from 'vitest';
import { connectionsSql, sqlIdentifier, sqlLiteral, terminateSql } from './sql.js';

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
