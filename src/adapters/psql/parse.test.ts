import { describe, expect, it } from 'vitest';
import { connectionsOutputs, parseCsv, parseSqlOutput } from './parse.js';

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
