import { describe, expect, it } from 'vitest';
import { nginx } from './index.js';

const { actions } = nginx;

describe('nginx: commands', () => {
  it('nginx -t and -s reload with the instance options given', () => {
    const input = actions.test.input.parse({
      binary: '/usr/sbin/nginx',
      prefix: '/srv/nginx',
      config: '/srv/nginx/nginx.conf',
      error_log: '/srv/nginx/error.log',
      global: 'pid /run/nginx-b.pid;',
    });
    expect(actions.test.describe(input)).toBe(
      "/usr/sbin/nginx -t -p /srv/nginx -c /srv/nginx/nginx.conf -e /srv/nginx/error.log -g 'pid /run/nginx-b.pid;'",
    );
    expect(actions.reload.describe(actions.reload.input.parse({}))).toBe('nginx -s reload');
    expect([actions.test.effect, actions.reload.effect]).toEqual(['read', 'write']);
  });

  it('reads the error log with tail, and stub_status with curl', () => {
    expect(
      actions.rate_limited.describe(
        actions.rate_limited.input.parse({ error_log: '/var/log/nginx/error.log' }),
      ),
    ).toBe('tail -n 10000 /var/log/nginx/error.log');
    expect(
      actions.status.describe(actions.status.input.parse({ url: 'http://127.0.0.1/nginx_status' })),
    ).toMatch(/^curl -sS --globoff --max-time 5 .* --url http:\/\/127\.0\.0\.1\/nginx_status$/);
    expect([actions.status.effect, actions.rate_limited.effect]).toEqual(['read', 'read']);
  });

  it('refuses paths that would read as options', () => {
    expect(actions.test.input.safeParse({ config: '-q' }).success).toBe(false);
    expect(actions.rate_limited.input.safeParse({ error_log: '--help' }).success).toBe(false);
  });
});
