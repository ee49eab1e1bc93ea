import { describe, expect, it } from 'vitest';
import { curl } from './index.js';
import { buildCurl, configString, getCall, requestCall, WRITE_OUT } from './argv.js';
import { getInput, requestInput } from './inputs.js';

const { get, request } = curl.actions;

describe('curl: commands', () => {
  it('a GET: silent but for errors, a time limit, and the JSON write-out on stderr', () => {
    const input = get.input.parse({ url: 'http://127.0.0.1:8080/health' });
    expect(get.describe(input)).toBe(
      `curl -sS --globoff --max-time 10 -w '%{stderr}\\n@@runbook-curl-write-out@@%{json}\\n%{header_json}' --url http://127.0.0.1:8080/health`,
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
      `curl -sS --globoff --head --max-time 1.5 --fail --retry 3 --retry-connrefused --retry-delay 2 --insecure --location -H 'Accept: application/json' -w '%{stderr}\\n@@runbook-curl-write-out@@%{json}\\n%{header_json}' --url https://api.example.com/health`,
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
      '--globoff',
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
    expect(plain.args.slice(0, 4)).toEqual(['-sS', '--globoff', '-X', 'PUT']);
    expect(plain.args.filter((arg) => /content-type/i.test(arg))).toEqual([
      'Content-Type: text/plain',
    ]);
    expect(plain.input).toBe('data-raw = "a=1"\nurl = "http://h/"\n');
  });

  it('gives curl the URL on stdin, where ps does not show a token in its query', () => {
    const { request: process, shown } = buildCurl(
      getCall(getInput.parse({ url: 'http://127.0.0.1:9/health?token=AA"BB\\CC$DD&x=1 2' })),
    );
    expect(process.args).toEqual([
      '-sS',
      '--globoff',
      '--max-time',
      '10',
      '-w',
      WRITE_OUT,
      '-K',
      '-',
    ]);
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
