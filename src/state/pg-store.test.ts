import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { jsonbSafe, openPgStore, safeUrl, stateUrl } from './pg-store.js';

describe('the team database URL', () => {
  it('is shown without its password, parameters or fragment', () => {
    expect(safeUrl('postgres://runbook:S3cret%40pw@db.internal:5432/ops?sslmode=require#x')).toBe(
      'postgres://runbook@db.internal:5432/ops',
    );
    expect(safeUrl('postgresql://u:p@[::1]/d')).toBe('postgresql://u@[::1]/d');
    expect(safeUrl('not a url: p@ss')).toBe('a text that is not a URL');
  });

  it('is refused, without its password, when it is not a postgres:// URL', () => {
    const open = (url: string) => () =>
      openPgStore('RUNBOOK_STATE_URL', url, '/nonexistent', { start: () => undefined }, () => {});
    expect(open('mysql://u:S3cret@db/ops')).toThrow(
      '$RUNBOOK_STATE_URL holds mysql://u@db/ops, which is not a postgres:// URL',
    );
    expect(open('not a url: S3cret')).toThrow('$RUNBOOK_STATE_URL is not a URL');
  });

  it('comes from RUNBOOK_STATE_URL first, else the variable the config names', () => {
    const env = { RUNBOOK_STATE_URL: 'postgres://a/b', TEAM_DB: 'postgres://c/d' };
    expect(stateUrl(env, 'TEAM_DB')).toEqual({ url: 'postgres://a/b', from: 'RUNBOOK_STATE_URL' });
    expect(stateUrl({ TEAM_DB: 'postgres://c/d' }, 'TEAM_DB')).toEqual({
      url: 'postgres://c/d',
      from: 'TEAM_DB',
    });
    expect(stateUrl({}, undefined)).toBeUndefined();
    expect(() => stateUrl({}, 'TEAM_DB')).toThrow(ConfigError);
    expect(() => stateUrl({}, 'TEAM_DB')).toThrow(
      'runbook.config.yaml names $TEAM_DB for the team database (state: url_env), and it is not set',
    );
  });
});

describe('a journal line for JSONB', () => {
  it('keeps every character JSONB holds, and a NUL as U+FFFD; an escaped backslash stays one', () => {
    const line = JSON.stringify({ out: 'a\u0000b', text: 'c\\u0000d', quote: '"é\n' });
    const safe = jsonbSafe(line);
    expect(JSON.parse(safe)).toEqual({ out: 'a\ufffdb', text: 'c\\u0000d', quote: '"é\n' });
    expect(jsonbSafe('{"a":"plain"}')).toBe('{"a":"plain"}');
  });
});
