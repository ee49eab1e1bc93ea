import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastBody, parseWriteOut, timings } from './parse.js';
import { describeCurlExit } from './errors.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/curl');

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe('curl: reading its output (recorded from curl 7.88.1)', () => {
  it('splits the write-out from messages: status, timings, headers', () => {
    const { messages, writeOut, headers } = parseWriteOut(fixture('stderr-200.txt'));
    expect(messages).toBe('');
    expect(writeOut).toMatchObject({ http_code: 200, exitcode: 0, size_download: 11 });
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'abc',
      'transfer-encoding': 'chunked',
    });
    expect(timings(writeOut ?? {})).toEqual({
      dns_ms: 0.018,
      connect_ms: 6.892,
      tls_ms: 0,
      ttfb_ms: 11.124,
      server_ms: 4.158,
      total_ms: 11.164,
    });
  });

  it("keeps curl's own message apart when the connection is refused", () => {
    const { messages, writeOut, headers } = parseWriteOut(fixture('stderr-refused.txt'));
    expect(messages).toBe(
      "curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
    );
    expect(writeOut).toMatchObject({ http_code: 0, exitcode: 7 });
    expect(headers).toEqual({});
    expect(timings(writeOut ?? {})).toMatchObject({ connect_ms: 0, ttfb_ms: 0, server_ms: 0 });
  });

  it('says so when there is no write-out', () => {
    expect(parseWriteOut('curl: option --bogus: is unknown\n')).toEqual({
      messages: 'curl: option --bogus: is unknown',
      writeOut: undefined,
      headers: {},
    });
  });

  it("keeps only the last attempt's body after retries", () => {
    expect(lastBody('hit 1 é\nhit 2 é\nhit 3 é\n', 9)).toBe('hit 3 é\n');
    expect(lastBody('whole', 5)).toBe('whole');
    expect(lastBody('no size', undefined)).toBe('no size');
  });

  it("puts curl's exit codes in words", () => {
    expect(describeCurlExit(7, 0, '127.0.0.1:9', '10s', undefined)).toBe(
      '127.0.0.1:9: connection refused (curl exit 7): is the service running?',
    );
    expect(describeCurlExit(22, 503, 'api:80', '10s', 'x')).toBe(
      'HTTP 503 from api:80 (curl --fail, exit 22)',
    );
    expect(describeCurlExit(28, 0, 'api:80', '500ms', 'x')).toBe(
      'no answer from api:80 within 500ms (curl exit 28)',
    );
    expect(describeCurlExit(6, 0, 'nope.invalid', '10s', undefined)).toBe(
      'could not resolve host nope.invalid (curl exit 6): check the URL',
    );
    expect(describeCurlExit(3, 0, 'h', '10s', 'URL using bad/illegal format')).toBe(
      'curl exit 3: URL using bad/illegal format',
    );
  });
});
