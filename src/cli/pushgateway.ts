import { UsageError } from '../common/errors.js';
import { timeoutSignal } from '../common/abort.js';
import { loadRequest, readBody, requestFailure } from '../adapters/support/undici.js';
import { visible } from '../report/visible.js';

/** How long a push may take, and how much of a refusal is read: the Pushgateway's reason is one
 * line per metric it refused. */
const PUSH_TIMEOUT_MS = 10_000;
const REASON_BYTES = 4096;
const REASON_LINES = 4;

/** Where `check --pushgateway` pushes (docs/commands.md#check), checked before any check runs. */
export interface PushTarget {
  /** The group's URL, `<base>/metrics/job/runbook/instance/<host>`, without credentials. */
  url: string;
  /** The same as people see it: a password as `***`. */
  shown: string;
  authorization?: string;
}

/** The push URL for `--pushgateway <raw>`: an http(s) base URL (a path prefix is kept), with an
 * optional `user:password@` sent as Basic authentication. Anything else is a UsageError. */
export function pushTarget(raw: string, instance: string): PushTarget {
  let url: URL;
  try {
    // A URL parser drops line breaks and tabs: such a value is a mistake, not a URL.
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    if (/[\u0000-\u001f\u007f]/.test(raw)) throw new Error('control character');
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--pushgateway must be the Pushgateway's http:// or https:// URL (got ${JSON.stringify(raw)})`,
      'for example --pushgateway http://127.0.0.1:9091',
    );
  }
  const shownBase = (): string => {
    const copy = new URL(url.href);
    if (copy.password !== '') copy.password = '***';
    return copy.href;
  };
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `--pushgateway must be an http:// or https:// URL (got ${url.protocol} in ${shownBase()})`,
    );
  if (url.search !== '' || url.hash !== '')
    throw new UsageError(
      `--pushgateway is the Pushgateway's base URL, without ?query or #fragment (got ${shownBase()})`,
    );
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    let credentials: string;
    try {
      credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw new UsageError(
        '--pushgateway: the user name or password in the URL is not valid percent-encoding (write % as %25)',
      );
    }
    authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const group = `metrics/job/runbook/instance/${encodeURIComponent(instance)}`;
  const shown = `${shownBase().replace(/\/+$/, '')}/${group}`;
  url.username = '';
  url.password = '';
  return {
    url: `${url.href.replace(/\/+$/, '')}/${group}`,
    shown,
    ...(authorization ? { authorization } : {}),
  };
}

/** PUTs the metrics text to the group, replacing what it held; gives why it failed, in one
 * message, or undefined when the Pushgateway took it. */
export async function push(target: PushTarget, text: string): Promise<string | undefined> {
  const request = await loadRequest();
  const requestSignal = timeoutSignal(PUSH_TIMEOUT_MS);
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(target.url, {
      method: 'PUT',
      headers: {
        'content-type': 'text/plain; version=0.0.4',
        ...(target.authorization ? { authorization: target.authorization } : {}),
      },
      body: text,
      signal: requestSignal,
    });
  } catch (error) {
    const { host } = new URL(target.url);
    const failed = requestFailure(error, {
      signal: new AbortController().signal,
      requestSignal,
      timeoutMs: PUSH_TIMEOUT_MS,
      host,
      what: host,
      refused: 'connection refused (is the Pushgateway running there?)',
    });
    const why = (failed.error ?? 'failed').replace(`${host}: `, '');
    return `cannot push to ${target.shown}: ${why}`;
  }
  const body = await readBody(response.body, REASON_BYTES).catch(() => '');
  if (response.statusCode < 300) return undefined;
  const lines = visible(body.trim()).split('\n');
  const reason = lines.slice(0, REASON_LINES).join('\n  ');
  const more = lines.length > REASON_LINES ? `\n  … ${lines.length - REASON_LINES} more lines` : '';
  return `the Pushgateway refused the metrics (HTTP ${response.statusCode} from ${target.shown})${reason ? `:\n  ${reason}${more}` : ''}`;
}
