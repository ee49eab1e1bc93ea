import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatMessage,
  parseNginxOutput,
  parseRateLimitLines,
  parseStubStatus,
  rateLimitOutputs,
} from './parse.js';

const ERROR_LOG = readFileSync(
  resolve(import.meta.dirname, '../../../test/fixtures/nginx/error-log.txt'),
  'utf8',
);

describe('nginx: parsing recorded output (nginx 1.22.1)', () => {
  it('a configuration that passes', () => {
    expect(
      parseNginxOutput(
        'nginx: the configuration file /tmp/n/nginx.conf syntax is ok\nnginx: configuration file /tmp/n/nginx.conf test is successful\n',
      ),
    ).toEqual({
      messages: [],
      syntax_ok: true,
      successful: true,
      config_file: '/tmp/n/nginx.conf',
    });
  });

  it('a configuration that fails, with the file and line', () => {
    const parsed = parseNginxOutput(
      'nginx: [emerg] unknown directive "limit_reqq" in /tmp/n/nginx.conf:13\nnginx: configuration file /tmp/n/nginx.conf test failed\n',
    );
    expect(parsed).toEqual({
      messages: [
        {
          level: 'emerg',
          message: 'unknown directive "limit_reqq"',
          file: '/tmp/n/nginx.conf',
          line: 13,
        },
      ],
      syntax_ok: false,
      successful: false,
      config_file: '/tmp/n/nginx.conf',
    });
    expect(
      formatMessage(parsed.messages[0] ?? { level: '', message: '', file: null, line: null }),
    ).toBe('/tmp/n/nginx.conf:13: unknown directive "limit_reqq"');
  });

  it('a message without a place', () => {
    expect(
      parseNginxOutput(
        'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)',
      ).messages,
    ).toEqual([
      {
        level: 'error',
        message: 'open() "/run/nginx.pid" failed (2: No such file or directory)',
        file: null,
        line: null,
      },
    ]);
  });

  it('stub_status counters', () => {
    expect(
      parseStubStatus(
        'Active connections: 1 \nserver accepts handled requests\n 5 5 5 \nReading: 0 Writing: 1 Waiting: 0 \n',
      ),
    ).toEqual({
      active_connections: 1,
      accepts: 5,
      handled: 5,
      requests: 5,
      reading: 0,
      writing: 1,
      waiting: 0,
      dropped: 0,
    });
    expect(parseStubStatus('ok\n')).toBeUndefined();
  });

  it('limit_req lines of the error log: rejected, delayed and dry-run', () => {
    const entries = parseRateLimitLines(ERROR_LOG);
    expect(entries).toHaveLength(9);
    expect(entries[0]).toEqual({
      time: new Date(2026, 10, 23, 14, 29, 50).toISOString(),
      level: 'error',
      kind: 'rejected',
      dry_run: false,
      zone: 'api_limit',
      client: '127.0.0.1',
      excess: 0.988,
      request: 'GET /api/health.json HTTP/1.1',
      server: '',
      host: '127.0.0.1:39843',
    });
    expect(entries[3]).toMatchObject({ kind: 'delayed', excess: 0.992, zone: 'api_limit' });
    expect(entries[7]).toMatchObject({ dry_run: true, zone: 'login', client: '203.0.113.7' });
    expect(entries[8]).toMatchObject({
      server: 'api.cookcam.app',
      request: 'GET /api/v1/recipes?q=soup%20pot HTTP/1.1',
      excess: 20.48,
    });
  });

  it('counts rejections by zone and client, newest entries last', () => {
    const outputs = rateLimitOutputs(parseRateLimitLines(ERROR_LOG), { recent: 2 });
    expect(outputs).toMatchObject({
      count: 6,
      delayed: 2,
      dry_run: 1,
      zones: { api_limit: 6 },
      clients: [
        { client: '127.0.0.1', count: 5 },
        { client: '203.0.113.7', count: 1 },
      ],
      first_at: new Date(2026, 10, 23, 14, 29, 50).toISOString(),
      last_at: new Date(2026, 10, 23, 14, 31, 5).toISOString(),
    });
    expect((outputs.entries as unknown[]).length).toBe(2);
    expect(
      rateLimitOutputs(parseRateLimitLines(ERROR_LOG), {
        since: new Date(2026, 10, 23, 14, 31, 0).getTime(),
      }),
    ).toMatchObject({ count: 1, delayed: 0, dry_run: 1 });
    expect(rateLimitOutputs(parseRateLimitLines(ERROR_LOG), { zone: 'login' })).toMatchObject({
      count: 0,
      dry_run: 1,
      zones: {},
    });
  });
});
