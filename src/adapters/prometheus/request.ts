import { parseDuration } from '../../common/duration.js';
import type { QueryInput, RangeInput, TimeInput } from './inputs.js';

/** The request an action makes: the API URL, its parameters and how it authenticates. */
export interface ApiRequest {
  /** The server's base URL, credentials taken out. */
  base: URL;
  path: '/api/v1/query' | '/api/v1/query_range';
  params: Array<[string, string]>;
  /** The Authorization header, when there is one. */
  authorization: string | undefined;
  /** How it authenticates, in words without the secret. */
  auth: string | undefined;
}

/** `now` in unix seconds, for times given as a duration back from now. */
export type Clock = () => number;

/** A time as the API takes it; `shown` keeps `now-15m` readable instead. */
export function timeParam(time: TimeInput, now: number | undefined): string {
  if (typeof time === 'number') return String(time);
  if (/^\d{4}-/.test(time)) return time;
  const back = parseDuration(time) / 1000;
  return now === undefined ? `now-${time}` : String(Math.round((now - back) * 1000) / 1000);
}

/** The query's request, or why it cannot be made. `now` undefined: for describe(), times read
 * `now-15m`. */
export function queryRequest(input: QueryInput, now: number | undefined): ApiRequest | string {
  const params: Array<[string, string]> = [['query', input.query]];
  if (input.time !== undefined) params.push(['time', timeParam(input.time, now)]);
  return request(input, '/api/v1/query', params);
}

export function rangeRequest(input: RangeInput, now: number | undefined): ApiRequest | string {
  const params: Array<[string, string]> = [
    ['query', input.query],
    ['start', timeParam(input.start, now)],
    [
      'end',
      input.end === undefined
        ? now === undefined
          ? 'now'
          : String(now)
        : timeParam(input.end, now),
    ],
    ['step', String(parseDuration(input.step) / 1000)],
  ];
  return request(input, '/api/v1/query_range', params);
}

function request(
  input: QueryInput | RangeInput,
  path: ApiRequest['path'],
  params: Array<[string, string]>,
): ApiRequest | string {
  let base: URL;
  try {
    base = new URL(input.url);
  } catch {
    return `invalid URL: ${input.url}`;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    return `unsupported URL scheme ${base.protocol} (use http or https)`;
  if (base.search !== '' || base.hash !== '')
    return `give the server's base URL without a query or fragment (e.g. ${base.origin}), and the PromQL in query:`;
  if (input.timeout !== undefined)
    params.push(['timeout', `${parseDuration(input.timeout) / 1000}s`]);
  let authorization: string | undefined;
  let auth: string | undefined;
  const user = decoded(base.username);
  const password = decoded(base.password);
  base.username = '';
  base.password = '';
  if (input.bearer_token !== undefined) {
    authorization = `Bearer ${input.bearer_token}`;
    auth = 'bearer token';
  } else if (input.basic_auth !== undefined || user !== '' || password !== '') {
    const credentials = input.basic_auth ?? { username: user, password };
    authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    auth = `basic auth as ${credentials.username}`;
  }
  return { base, path, params, authorization, auth };
}

/** A URL's percent-encoded part as text; as written when it is not valid percent-encoding. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The URL the request goes to. */
export function requestUrl(request: ApiRequest): URL {
  const url = new URL(request.base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${request.path}`;
  url.search = new URLSearchParams(request.params).toString();
  return url;
}

/** `GET <url>/api/v1/query?query=…` as people read it: PromQL's braces, quotes and brackets left
 * as they are, what would change the URL's meaning (`%`, `&`, `#`, `+`, spaces, line breaks)
 * encoded. */
export function describeApiRequest(request: ApiRequest | string): string {
  if (typeof request === 'string') return `GET (${request})`;
  const url = new URL(request.base.href);
  const path = `${url.origin}${url.pathname.replace(/\/+$/, '')}${request.path}`;
  const query = request.params.map(([name, value]) => `${name}=${readable(value)}`).join('&');
  return `GET ${path}?${query}${request.auth ? ` (${request.auth})` : ''}`;
}

function readable(value: string): string {
  return encodeURIComponent(value).replace(
    /%(7B|7D|5B|5D|22|3D|2C|3A|2F|3C|3E|5E|7C|24|40|3B)/g,
    (code) => decodeURIComponent(code),
  );
}
