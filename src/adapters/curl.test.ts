import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildCurl,
  configString,
  curl,
  describeCurlExit,
  getCall,
  getInput,
  lastBody,
  parseWriteOut,
  requestCall,
  requestInput,
  timings,
  WRITE_OUT,
} from './curl.js';

const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/curl');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const { get, request } = curl.actions;

describe('curl: commands', () => {
  it('a GET: silent but for errors, a time limit, and the JSON write-out on stderr', () => {
    const input = get.input.parse({ url: 'http://127.0.0.1:8080/health' });
    expect(get.describe(input)).toBe(
      `curl -sS --max-time 10 -w '%{stderr}\\n@@runbook-curl-write-out@@%{json}\\n%{header_json}' --url http://127.0.0.1:8080/health`,
    );
    expect(get.effect).toBe('read');
    expect(request.effect).toBe('write');
  });

  it('maps the options to curl flags', () => {
    const input = get.input.parse({
      url: 'https://api.example.com/health',
      method: 'HEAD',
      timeout: '1500ms',
      fail: true,
      retry: 3,
      retry_delay: '2s',
      insecure: true,
      follow: true,
      headers: { Accept: 'application/json' },
    });
    expect(get.describe(input)).toBe(
      `curl -sS --head --max-time 1.5 --fail --retry 3 --retry-connrefused --retry-delay 2 --insecure --location -H 'Accept: application/json' -w '%{stderr}\\n@@runbook-curl-write-out@@%{json}\\n%{header_json}' --url https://api.example.com/health`,
    );
  });

  it('sends credentials and the body on stdin (-K -), never in argv, and shows them masked', () => {
    const input = request.input.parse({
      url: 'https://ops:hunter2@api.example.com/jobs/reclaim',
      headers: {
        Authorization: 'Bearer tok-123',
        'X-Api-Key': 'key-456',
        'X-Incident': '42',
      },
      data: { expired: true, note: 'say "hi"\n' },
    });
    const { request: process, shown } = buildCurl(requestCall(requestInput.parse(input)));
    const argv = process.args.join(' ');
    for (const secret of ['tok-123', 'key-456', 'hunter2', 'expired'])
      expect(argv).not.toContain(secret);
    expect(process.args).toEqual([
      '-sS',
      '-X',
      'POST',
      '--max-time',
      '10',
      '-H',
      'X-Incident: 42',
      '-H',
      'content-type: application/json',
      '-w',
      WRITE_OUT,
      '-K',
      '-',
    ]);
    expect(process.input).toBe(
      [
        'header = "Authorization: Bearer tok-123"',
        'header = "X-Api-Key: key-456"',
        'user = "ops:hunter2"',
        'data-raw = "{\\"expired\\":true,\\"note\\":\\"say \\\\\\"hi\\\\\\"\\\\n\\"}"',
        'url = "https://api.example.com/jobs/reclaim"',
        '',
      ].join('\n'),
    );
    const described = request.describe(input);
    expect(described).not.toMatch(/tok-123|key-456|hunter2/);
    expect(shown).toContain('Authorization: ***');
    expect(described).toContain(`-H 'Authorization: ***' -H 'X-Api-Key: ***' --user 'ops:***'`);
    expect(described).toContain(`--data-raw '{"expired":true,"note":"say \\"hi\\"\\n"}'`);
  });

  it('defaults the method: POST with data, GET without; keeps a given content type', () => {
    expect(buildCurl(requestCall(requestInput.parse({ url: 'http://h/' }))).request.args).toContain(
      'GET',
    );
    const plain = buildCurl(
      requestCall(
        requestInput.parse({
          url: 'http://h/',
          method: 'PUT',
          data: 'a=1',
          headers: { 'Content-Type': 'text/plain' },
        }),
      ),
    ).request;
    expect(plain.args.slice(0, 3)).toEqual(['-sS', '-X', 'PUT']);
    expect(plain.args.filter((arg) => /content-type/i.test(arg))).toEqual([
      'Content-Type: text/plain',
    ]);
    expect(plain.input).toBe('data-raw = "a=1"\nurl = "http://h/"\n');
  });

  it('gives curl the URL on stdin, where ps does not show a token in its query', () => {
    const { request: process, shown } = buildCurl(
      getCall(getInput.parse({ url: 'http://127.0.0.1:9/health?token=AA"BB\\CC$DD&x=1 2' })),
    );
    expect(process.args).toEqual(['-sS', '--max-time', '10', '-w', WRITE_OUT, '-K', '-']);
    expect(process.input).toBe('url = "http://127.0.0.1:9/health?token=AA\\"BB\\\\CC$DD&x=1 2"\n');
    expect(shown.slice(-2)).toEqual([
      '--url',
      'http://127.0.0.1:9/health?token=AA"BB\\CC$DD&x=1 2',
    ]);
  });

  it('refuses header injection, bad header names and lower-case methods', () => {
    expect(
      get.input.safeParse({ url: 'http://h/', headers: { 'X-A': 'b\r\nX-B: c' } }).success,
    ).toBe(false);
    expect(get.input.safeParse({ url: 'http://h/', headers: { 'X A': 'b' } }).success).toBe(false);
    expect(request.input.safeParse({ url: 'http://h/', method: 'post' }).success).toBe(false);
    expect(get.input.safeParse({ url: 'http://h/', data: 'x' }).success).toBe(false);
  });

  it("escapes curl's config strings", () => {
    expect(configString('a "b" \\ c\td\r\n')).toBe('"a \\"b\\" \\\\ c\\td\\r\\n"');
  });
});

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
