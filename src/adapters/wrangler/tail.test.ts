import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingContext } from '../../../test/helpers/recorded-exec.js';
import { wrangler } from './index.js';
import { collectTailEvents, splitJsonValues, toTailEvent } from './tail.js';

const ROOT = resolve(import.meta.dirname, '../../..');
/** Recorded from wrangler 4.86.0 against a fake Cloudflare API: `wrangler tail my-worker --format
 * json` stopped with SIGTERM after four events; the Worker's live Version is 33333333-…. */
const fixture = (name: string): string =>
  readFileSync(join(ROOT, 'test/fixtures/wrangler', name), 'utf8');
const V3 = '33333333-3333-4333-8333-333333333333';

describe('tail output', () => {
  it('reads pretty-printed events one after another, as wrangler 4 prints them', () => {
    const { events, truncated } = collectTailEvents(fixture('tail.stdout'), {});
    expect(truncated).toBe(false);
    expect(events.map((e) => [e.event_type, e.status, e.method, e.response_status])).toEqual([
      ['request', 'ok', 'GET', 200],
      ['request', 'error', 'POST', 500],
      ['scheduled', 'ok', null, null],
      ['request', 'ok', 'GET', 200],
    ]);
    expect(events[1]).toEqual({
      timestamp: '2026-11-23T14:28:25.000Z',
      outcome: 'exception',
      status: 'error',
      script_name: 'my-worker',
      script_version: V3,
      event_type: 'request',
      method: 'POST',
      url: 'https://my-worker.example.workers.dev/webhooks/github',
      response_status: 500,
      cron: null,
      logs: [
        {
          level: 'error',
          message: 'handling webhook {"x": 1}',
          timestamp: '2026-11-23T14:28:25.000Z',
        },
      ],
      exceptions: [
        {
          name: 'TypeError',
          message: "Cannot read properties of undefined (reading 'id')",
          timestamp: '2026-11-23T14:28:25.000Z',
        },
      ],
    });
    expect(events[0]?.logs[0]?.message).toBe('GET /health {"ms":3}');
    expect(events[2]?.cron).toBe('*/5 * * * *');
  });

  it('filters by status, method and text, and keeps at most max_events', () => {
    const stdout = fixture('tail.stdout');
    expect(collectTailEvents(stdout, { filter: { status: 'error' } }).events).toHaveLength(1);
    expect(collectTailEvents(stdout, { filter: { method: ['get'] } }).events).toHaveLength(2);
    expect(
      collectTailEvents(stdout, { filter: { search: 'webhook', status: ['ok', 'error'] } }).events,
    ).toHaveLength(1);
    expect(collectTailEvents(stdout, { max_events: 3 })).toMatchObject({ truncated: true });
    expect(collectTailEvents(stdout, { max_events: 3 }).events).toHaveLength(3);
  });

  it('takes one event per line too, and skips a last event cut off when wrangler was stopped', () => {
    const line = JSON.stringify({ outcome: 'ok', logs: [], exceptions: [], event: null });
    const text = `${line}\n  {"note": "a } in a string", "outcome": "canceled"}\nnot json {\n${line.slice(0, 20)}`;
    expect(splitJsonValues(text)).toEqual([
      { outcome: 'ok', logs: [], exceptions: [], event: null },
      { note: 'a } in a string', outcome: 'canceled' },
    ]);
    expect(collectTailEvents(text, {}).events.map((e) => e.status)).toEqual(['ok', 'canceled']);
    expect(toTailEvent({ not: 'an event' })).toBeUndefined();
  });

  it('runs through ctx.exec (so on: hosts work) and stops wrangler itself after the duration', async () => {
    // Like a real tail: it runs until the adapter's own stop signal ends it.
    const { ctx, recorder } = recordingContext(
      (request) =>
        new Promise((resolve) => {
          request.signal?.addEventListener('abort', () =>
            resolve({ exitCode: null, signal: 'SIGTERM', durationMs: 50, interrupted: true }),
          );
        }),
      {
        env: { CLOUDFLARE_API_TOKEN: 'cf-token-abc123', PATH: '/usr/bin' },
        cwd: '/tmp',
        host: 'web-1',
      },
    );
    const { tail } = wrangler.actions;
    const outcome = await tail.run(tail.input.parse({ name: 'my-worker', duration: '50ms' }), ctx);
    expect(recorder.calls()).toEqual([
      {
        file: 'wrangler',
        args: ['tail', 'my-worker', '--format', 'json'],
        env: {
          CLOUDFLARE_API_TOKEN: 'cf-token-abc123',
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          WRANGLER_HIDE_BANNER: 'true',
        },
      },
    ]);
    expect(recorder.requests[0]?.signal?.aborted).toBe(true);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ events: [], count: 0 });
  });
});
