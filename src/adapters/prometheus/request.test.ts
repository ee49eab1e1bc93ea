import { describe, expect, it } from 'vitest';
import { queryInput, rangeInput } from './inputs.js';
import { describeApiRequest, queryRequest, rangeRequest, requestUrl } from './request.js';

const query = (input: Record<string, unknown>) =>
  queryInput.parse({ url: 'http://prom:9090', ...input });

describe('describeApiRequest', () => {
  it('shows PromQL readably, and encodes what would change the URL', () => {
    const input = query({
      query: 'sum(rate(http_requests_total{code=~"5..",path="/a&b"}[5m])) + 1',
    });
    expect(describeApiRequest(queryRequest(input, undefined))).toBe(
      'GET http://prom:9090/api/v1/query?query=sum(rate(http_requests_total{code=~"5..",path="/a%26b"}[5m]))%20%2B%201',
    );
  });

  it('keeps a path prefix, and a password out', () => {
    const input = query({
      url: 'https://ops:pa55@mon.example/prometheus/',
      query: 'up',
      time: '5m',
      timeout: '30s',
    });
    expect(describeApiRequest(queryRequest(input, undefined))).toBe(
      'GET https://mon.example/prometheus/api/v1/query?query=up&time=now-5m&timeout=30s (basic auth as ops)',
    );
  });

  it('takes credentials in the URL as basic auth, even when not valid percent-encoding', () => {
    const request = queryRequest(query({ url: 'http://a%E0:p%ZZ@prom:9090', query: 'up' }), 0);
    if (typeof request === 'string') throw new Error(request);
    expect(request.authorization).toBe(`Basic ${Buffer.from('a%E0:p%ZZ').toString('base64')}`);
    expect(describeApiRequest(request)).toBe(
      'GET http://prom:9090/api/v1/query?query=up (basic auth as a%E0)',
    );
  });

  it('says why a URL cannot be used', () => {
    expect(
      describeApiRequest(queryRequest(query({ url: 'http://prom:9090/?x=1', query: 'up' }), 0)),
    ).toBe(
      "GET (give the server's base URL without a query or fragment (e.g. http://prom:9090), and the PromQL in query:)",
    );
  });
});

describe('rangeRequest', () => {
  it('counts start back from now, ends now, and sends step in seconds', () => {
    const input = rangeInput.parse({
      url: 'http://prom:9090',
      query: 'up',
      start: '1h',
      step: '30s',
    });
    const request = rangeRequest(input, 1_700_000_000);
    if (typeof request === 'string') throw new Error(request);
    expect(requestUrl(request).href).toBe(
      'http://prom:9090/api/v1/query_range?query=up&start=1699996400&end=1700000000&step=30',
    );
  });

  it('passes RFC 3339 times and unix seconds as they are', () => {
    const input = rangeInput.parse({
      url: 'http://prom:9090',
      query: 'up',
      start: '2026-01-02T15:04:05Z',
      end: 1767366245.5,
      step: 60,
      bearer_token: 'abc',
    });
    const request = rangeRequest(input, 0);
    if (typeof request === 'string') throw new Error(request);
    expect(request.params).toEqual([
      ['query', 'up'],
      ['start', '2026-01-02T15:04:05Z'],
      ['end', '1767366245.5'],
      ['step', '60'],
    ]);
    expect(request.authorization).toBe('Bearer abc');
  });

  it('refuses both kinds of authentication at once', () => {
    const result = rangeInput.safeParse({
      url: 'http://prom:9090',
      query: 'up',
      start: '1h',
      step: '1m',
      bearer_token: 'abc',
      basic_auth: { username: 'a', password: 'b' },
    });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'give bearer_token or basic_auth, not both',
    ]);
  });
});
