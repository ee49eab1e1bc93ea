import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * A fake Cloudflare API (client/v4) on 127.0.0.1 for the real wrangler CLI: the endpoints that
 * `deployments list|status`, `versions list|view`, `rollback`, `secret put`, `whoami` and `tail`
 * call, in Cloudflare's envelope, plus the tail's WebSocket. It records every request.
 */

export const V1 = '11111111-1111-4111-8111-111111111111';
export const V2 = '22222222-2222-4222-8222-222222222222';
export const V3 = '33333333-3333-4333-8333-333333333333';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

interface FakeVersion {
  id: string;
  number: number;
  metadata: Record<string, unknown>;
  annotations: Record<string, string>;
  resources: Record<string, unknown>;
}

interface FakeDeployment {
  id: string;
  source: string;
  strategy: string;
  author_email: string;
  created_on: string;
  annotations: Record<string, string>;
  versions: Array<{ version_id: string; percentage: number }>;
}

interface FakeWorker {
  versions: FakeVersion[];
  deployments: FakeDeployment[];
}

export interface FakeCloudflare {
  /** What CLOUDFLARE_API_BASE_URL must be. */
  apiBase: string;
  token: string;
  accountId: string;
  requests: RecordedRequest[];
  /** Secrets received by `PUT .../secrets`, in order. */
  secrets: Array<{ worker: string; name: string; text: string; type: string }>;
  /** Tail filters received by `POST .../tails`. */
  tails: Array<{ worker: string; filters: unknown }>;
  /** The events each tail WebSocket is sent when it connects (Cloudflare's filters applied). */
  tailEvents: Array<Record<string, unknown>>;
  /** The Version serving the most traffic in the latest deployment. */
  activeVersion(worker: string): string | undefined;
  /** How many tail WebSockets are connected now. */
  openTails(): number;
  /** The environment the real wrangler needs to talk to this fake, with its files under `dir`. */
  wranglerEnv(dir: string): Record<string, string>;
  close(): Promise<void>;
}

const minutesAgo = (minutes: number): string =>
  new Date(Date.now() - minutes * 60_000).toISOString();

function version(id: string, number: number, age: number, message: string, tag: string) {
  return {
    id,
    number,
    metadata: {
      created_on: minutesAgo(age),
      modified_on: minutesAgo(age),
      source: 'wrangler',
      author_id: 'u1',
      author_email: 'dev@example.com',
      hasPreview: false,
    },
    annotations: {
      'workers/message': message,
      'workers/tag': tag,
      'workers/triggered_by': 'upload',
    },
    resources: {
      script: { etag: `e${number}`, handlers: ['fetch'] },
      script_runtime: { compatibility_date: '2024-09-01', usage_model: 'standard' },
      bindings: [{ name: 'ENCRYPTION_KEY', type: 'secret_text' }],
    },
  };
}

function deployment(
  versions: FakeDeployment['versions'],
  age: number,
  message: string,
): FakeDeployment {
  return {
    id: randomUUID(),
    source: 'wrangler',
    strategy: 'percentage',
    author_email: 'dev@example.com',
    created_on: minutesAgo(age),
    annotations: { 'workers/message': message },
    versions,
  };
}

/** `my-worker`: Versions v1..v3, each deployed in turn; v3 is live. */
function initialWorkers(): Map<string, FakeWorker> {
  return new Map([
    [
      'my-worker',
      {
        versions: [
          version(V1, 1, 300, 'initial', 'v1'),
          version(V2, 2, 120, 'feature x', 'v2'),
          version(V3, 3, 10, 'bad release', 'v3'),
        ],
        deployments: [
          deployment([{ version_id: V1, percentage: 100 }], 299, 'first deploy'),
          deployment([{ version_id: V2, percentage: 100 }], 119, 'deploy v2'),
          deployment([{ version_id: V3, percentage: 100 }], 9, 'deploy v3'),
        ],
      },
    ],
  ]);
}

export async function startFakeCloudflare(
  options: { token?: string; accountId?: string } = {},
): Promise<FakeCloudflare> {
  const token = options.token ?? 'cf-test-token-0123456789';
  const accountId = options.accountId ?? 'acc123';
  const workers = initialWorkers();
  const requests: RecordedRequest[] = [];
  const secrets: FakeCloudflare['secrets'] = [];
  const tails: FakeCloudflare['tails'] = [];
  const tailFilters = new Map<string, unknown>();
  const sockets = new Set<Socket>();
  const fake = { tailEvents: [] as Array<Record<string, unknown>> };

  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: body ? parseBody(body) : undefined,
        authorization: request.headers.authorization,
      });
      route(request, response, url, body);
    });
  });

  function route(request: IncomingMessage, response: ServerResponse, url: URL, body: string) {
    if (request.headers.authorization !== `Bearer ${token}`)
      return fail(response, 403, 10000, 'Authentication error');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const method = request.method ?? 'GET';
    if (path === '/user/tokens/verify') return ok(response, { id: 'tok1', status: 'active' });
    if (path === '/user') return ok(response, { id: 'u1', email: 'dev@example.com' });
    if (path === '/accounts' || path === '/memberships')
      return ok(response, [
        { id: accountId, name: 'Test Account', account: { id: accountId, name: 'Test Account' } },
      ]);
    const match =
      /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/(deployments|versions|secrets|tails)(?:\/([^/]+))?$/.exec(
        path,
      );
    if (!match) return fail(response, 404, 7003, `fake Cloudflare API: ${method} ${path}`);
    const [, account, name = '', kind, id] = match;
    if (account !== accountId) return fail(response, 403, 10000, 'Authentication error');
    const worker = workers.get(name);
    if (!worker) return fail(response, 404, 10007, 'This Worker does not exist on your account.');
    const json = parseBody(body) as Record<string, unknown> | undefined;

    if (kind === 'deployments' && method === 'GET' && !id)
      return ok(response, { deployments: [...worker.deployments].reverse() }); // newest first
    if (kind === 'deployments' && method === 'POST') {
      const traffic = (json?.versions ?? []) as FakeDeployment['versions'];
      const unknown = traffic.find((v) => !worker.versions.some((x) => x.id === v.version_id));
      if (unknown) return fail(response, 400, 10200, `version ${unknown.version_id} not found`);
      const annotations = (json?.annotations ?? {}) as Record<string, string>;
      const created = deployment(traffic, 0, annotations['workers/message'] ?? '');
      worker.deployments.push(created);
      return ok(response, created);
    }
    if (kind === 'versions' && method === 'GET' && !id)
      return ok(response, { items: [...worker.versions].reverse() });
    if (kind === 'versions' && method === 'GET' && id) {
      const found = worker.versions.find((v) => v.id === id);
      return found ? ok(response, found) : fail(response, 404, 10218, 'Version not found');
    }
    if (kind === 'secrets' && method === 'PUT') {
      secrets.push({
        worker: name,
        name: String(json?.name),
        text: String(json?.text),
        type: String(json?.type),
      });
      return ok(response, { name: json?.name, type: json?.type });
    }
    if (kind === 'tails' && method === 'POST') {
      const tailId = randomUUID();
      tails.push({ worker: name, filters: json?.filters });
      tailFilters.set(tailId, json?.filters);
      const { port } = server.address() as AddressInfo;
      return ok(response, {
        id: tailId,
        url: `ws://127.0.0.1:${port}/tail/${tailId}`,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      });
    }
    if (kind === 'tails' && method === 'DELETE') return ok(response, null);
    return fail(response, 405, 7001, `fake Cloudflare API: ${method} ${path}`);
  }

  // The tail's WebSocket (RFC 6455), by hand: wrangler sends its first message unmasked, which a
  // spec-following server library rejects, and Cloudflare's own server accepts.
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    const tailId = /^\/tail\/([^/?]+)/.exec(request.url ?? '')?.[1];
    const key = request.headers['sec-websocket-key'];
    if (!tailId || !tailFilters.has(tailId) || typeof key !== 'string') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        'Sec-WebSocket-Protocol: trace-v1',
        '',
        '',
      ].join('\r\n'),
    );
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // The server's sockets are half-open: end ours when the client's side ends.
    socket.on('end', () => socket.end());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let frame = readFrame(buffered); frame; frame = readFrame(buffered)) {
        buffered = buffered.subarray(frame.length);
        if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload));
        if (frame.opcode === 0x8) socket.end(encodeFrame(0x8, Buffer.alloc(0)));
      }
    });
    const events = fake.tailEvents.filter((event) => passesFilters(event, tailFilters.get(tailId)));
    let next = 0;
    const timer = setInterval(() => {
      const event = events[next++];
      if (!event || socket.destroyed) return clearInterval(timer);
      socket.write(encodeFrame(0x1, Buffer.from(JSON.stringify(event))));
    }, 20);
    socket.on('close', () => clearInterval(timer));
  });

  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  const apiBase = `http://127.0.0.1:${port}/client/v4`;

  return Object.assign(fake, {
    apiBase,
    token,
    accountId,
    requests,
    secrets,
    tails,
    activeVersion(name: string): string | undefined {
      const latest = workers.get(name)?.deployments.at(-1);
      return [...(latest?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0]
        ?.version_id;
    },
    openTails: () => sockets.size,
    wranglerEnv(dir: string): Record<string, string> {
      return {
        PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: dir,
        CLOUDFLARE_API_BASE_URL: apiBase,
        CLOUDFLARE_API_TOKEN: token,
        CLOUDFLARE_ACCOUNT_ID: accountId,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        XDG_CONFIG_HOME: join(dir, 'xdg'),
        WRANGLER_LOG_PATH: join(dir, 'logs'),
      };
    },
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => closed());
      }),
  });
}

function ok(response: ServerResponse, result: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ success: true, errors: [], messages: [], result }));
}

function fail(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({ success: false, errors: [{ code, message }], messages: [], result: null }),
  );
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** Cloudflare's side of `wrangler tail` filters: outcome, method and a console.log text query. */
function passesFilters(event: Record<string, unknown>, filters: unknown): boolean {
  for (const filter of Array.isArray(filters) ? (filters as Array<Record<string, unknown>>) : []) {
    if (Array.isArray(filter.outcome) && !filter.outcome.includes(event.outcome)) return false;
    if (Array.isArray(filter.method)) {
      const request = (event.event as { request?: { method?: string } } | undefined)?.request;
      if (!filter.method.includes(request?.method)) return false;
    }
    if (typeof filter.query === 'string' && !JSON.stringify(event.logs).includes(filter.query))
      return false;
  }
  return true;
}

function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let head: Buffer;
  if (length < 126) head = Buffer.from([0x80 | opcode, length]);
  else if (length < 65_536) head = Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

/** One client frame (masked or not, as wrangler sends both), or undefined until it is whole. */
function readFrame(data: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (data.length < 2) return undefined;
  const opcode = (data[0] ?? 0) & 0x0f;
  const masked = ((data[1] ?? 0) & 0x80) !== 0;
  let length = (data[1] ?? 0) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? data.subarray(offset, offset + 4) : undefined;
  if (mask) offset += 4;
  if (data.length < offset + length) return undefined;
  const payload = Buffer.from(data.subarray(offset, offset + length));
  if (mask)
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { opcode, payload, length: offset + length };
}
