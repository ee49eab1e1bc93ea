import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionContext } from '../adapter.js';
import { recordingContext } from '../../../test/helpers/recorded-exec.js';
import { wrangler } from './index.js';
import { wranglerEnv } from './argv.js';
import {
  parseDeployments,
  parseDeploymentStatus,
  parseVersions,
  parseVersionView,
  parseWhoami,
  readJson,
} from './parse.js';
import { wranglerError } from './errors.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Recorded from wrangler 4.86.0 against a fake Cloudflare API: `my-worker` with Versions v1..v3
 * (11111111-…, 22222222-…, 33333333-…), deployed in turn; v3 is live. `tail.stdout` is
 * `wrangler tail my-worker --format json` stopped with SIGTERM after four events. */
const fixture = (name: string): string =>
  readFileSync(join(ROOT, 'test/fixtures/wrangler', name), 'utf8');

const V1 = '11111111-1111-4111-8111-111111111111';

const V2 = '22222222-2222-4222-8222-222222222222';

const V3 = '33333333-3333-4333-8333-333333333333';

type ActionName = keyof typeof wrangler.actions;

function parse(action: ActionName, value: unknown): unknown {
  return wrangler.actions[action].input.parse(value);
}

function describeAction(action: ActionName, value: unknown): string {
  return wrangler.actions[action].describe(parse(action, value));
}

function problem(action: ActionName, value: unknown): string | undefined {
  const result = wrangler.actions[action].input.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

/** The context of the actions below: processes recorded, answered with wrangler's recorded output. */
const CONTEXT = { env: { CLOUDFLARE_API_TOKEN: 'cf-token-abc123', PATH: '/usr/bin' }, cwd: '/tmp' };

async function run(action: ActionName, value: unknown, ctx: ActionContext) {
  return wrangler.actions[action].run(parse(action, value), ctx);
}

describe('wrangler commands', () => {
  it('describes each action as the exact wrangler command line', () => {
    expect(describeAction('deployments', { name: 'my-worker' })).toBe(
      'wrangler deployments list --name my-worker --json',
    );
    expect(describeAction('deployment_status', { name: 'my-worker' })).toBe(
      'wrangler deployments status --name my-worker --json',
    );
    expect(describeAction('versions', { name: 'my-worker' })).toBe(
      'wrangler versions list --name my-worker --json',
    );
    expect(describeAction('version', { name: 'my-worker', version_id: V2 })).toBe(
      `wrangler versions view ${V2} --name my-worker --json`,
    );
    expect(describeAction('whoami', {})).toBe('wrangler whoami --json');
  });

  it('rollback: an optional Version, and the message quoted as one word', () => {
    expect(
      describeAction('rollback', { name: 'my-worker', version_id: V2, message: "INC-7: v3's 5xx" }),
    ).toBe(`wrangler rollback ${V2} --name my-worker '--message=INC-7: v3'\\''s 5xx' -y`);
    expect(describeAction('rollback', { name: 'my-worker', message: 'back' })).toBe(
      'wrangler rollback --name my-worker --message=back -y',
    );
  });

  it('secret_put shows no value, and the value is not in argv', async () => {
    const value = 'super-secret-value-0001';
    expect(describeAction('secret_put', { name: 'my-worker', key: 'ENCRYPTION_KEY', value })).toBe(
      'wrangler secret put ENCRYPTION_KEY --name my-worker',
    );
    const { ctx, recorder } = recordingContext(
      [
        { stdout: fixture('deployments-status.json') },
        {
          stdout:
            '🌀 Creating the secret for the Worker "my-worker"\n✨ Success! Uploaded secret ENCRYPTION_KEY\n',
        },
      ],
      CONTEXT,
    );
    const outcome = await run(
      'secret_put',
      { name: 'my-worker', key: 'ENCRYPTION_KEY', value },
      ctx,
    );
    expect(outcome.ok).toBe(true);
    expect(recorder.argvs().map((argv) => argv.join(' '))).toEqual([
      'wrangler deployments status --name my-worker --json',
      'wrangler secret put ENCRYPTION_KEY --name my-worker',
    ]);
    expect(recorder.calls()[1]?.input).toBe(value);
    expect(JSON.stringify(recorder.calls().map((call) => [call.args, call.env]))).not.toContain(
      value,
    );
    expect(JSON.stringify(outcome.outputs)).not.toContain(value);
  });

  it('secret_put stops before wrangler would create a Worker for an unknown name', async () => {
    const { ctx, recorder } = recordingContext(
      [{ exitCode: 1, stderr: fixture('not-found.stderr') }],
      CONTEXT,
    );
    const outcome = await run(
      'secret_put',
      { name: 'no-such-worker', key: 'K', value: 'v-value' },
      ctx,
    );
    expect(recorder.argvs()).toEqual([
      ['wrangler', 'deployments', 'status', '--name', 'no-such-worker', '--json'],
    ]);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchInlineSnapshot(
      `"Worker "no-such-worker" does not exist on this account (wrangler secret put would create it): check the name"`,
    );
  });

  it('tail: the Worker is positional, filters become wrangler flags, the bound is a comment', () => {
    expect(describeAction('tail', { name: 'my-worker', duration: '10s' })).toBe(
      'wrangler tail my-worker --format json  # stopped after 10s',
    );
    expect(
      describeAction('tail', {
        name: 'my-worker',
        duration: '1m',
        filter: { status: ['error', 'canceled'], method: 'post', search: '-db timeout' },
        max_events: 20,
      }),
    ).toBe(
      "wrangler tail my-worker --format json --status error --status canceled --method POST '--search=-db timeout'  # stopped after 1m or 20 matching events",
    );
  });

  it('rejects inputs that could turn into options or are not what Cloudflare accepts', () => {
    expect(problem('deployments', { name: '--json' })).toBe(
      'expected a Worker name: letters, digits, - and _',
    );
    expect(problem('version', { name: 'w', version_id: '-y' })).toBe(
      'expected a Worker Version ID (a UUID)',
    );
    expect(problem('rollback', { name: 'w', message: 'x'.repeat(121) })).toBe(
      'Too big: expected string to have <=120 characters',
    );
    expect(problem('rollback', { name: 'w' })).toBe(
      'Invalid input: expected string, received undefined',
    );
    expect(problem('secret_put', { name: 'w', key: 'BAD-KEY', value: 'v' })).toBe(
      'expected a secret name such as ENCRYPTION_KEY',
    );
    expect(problem('tail', { name: 'w', duration: 'soon' })).toBe(
      'expected a duration such as 10s or 1m',
    );
    expect(problem('tail', { name: 'w', duration: '5s', filter: { status: 'fine' } })).toBe(
      'Invalid input',
    );
    expect(problem('whoami', { account: 'x' })).toBe('Unrecognized key: "account"');
  });
});

describe('the environment wrangler gets', () => {
  it('passes Cloudflare credentials on and keeps wrangler quiet unless the user chose otherwise', () => {
    expect(
      wranglerEnv({
        CLOUDFLARE_API_TOKEN: 'tok',
        CLOUDFLARE_ACCOUNT_ID: 'acc',
        WRANGLER_SEND_METRICS: 'true',
        HOME: '/root',
      }),
    ).toEqual({
      CLOUDFLARE_API_TOKEN: 'tok',
      CLOUDFLARE_ACCOUNT_ID: 'acc',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      WRANGLER_HIDE_BANNER: 'true',
    });
  });
});

describe('reading wrangler 4.86.0 output', () => {
  it('deployments: newest first, whatever order wrangler printed, with current and previous', () => {
    const outputs = parseDeployments(fixture('deployments-list.json'));
    const deployments = outputs.deployments as Array<{ message: string; versions: unknown }>;
    expect(deployments.map((d) => d.message)).toEqual(['deploy v3', 'deploy v2', 'first deploy']);
    expect(outputs).toMatchObject({ count: 3, current_version_id: V3, previous_version_id: V2 });
    expect(deployments[0]).toEqual({
      id: 'fe7d836f-359e-4188-a018-12905bfbe644',
      created_on: '2026-11-23T14:25:44.161Z',
      author: 'dev@example.com',
      source: 'wrangler',
      message: 'deploy v3',
      versions: [{ version_id: V3, percentage: 100 }],
    });
  });

  it('deployments: a gradual rollout and a redeploy of the same Version', () => {
    const deployment = (created: string, versions: Array<[string, number]>) => ({
      id: created,
      created_on: created,
      source: 'api',
      author_email: null,
      annotations: null,
      versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })),
    });
    const outputs = parseDeployments(
      JSON.stringify([
        deployment('2026-01-01T00:00:00Z', [[V1, 100]]),
        deployment('2026-01-02T00:00:00Z', [[V2, 100]]),
        deployment('2026-01-03T00:00:00Z', [[V2, 100]]),
        deployment('2026-01-04T00:00:00Z', [
          [V3, 10],
          [V2, 90],
        ]),
      ]),
    );
    expect(outputs.current_version_id).toBe(V2);
    expect(outputs.previous_version_id).toBe(V1);
    expect((outputs.deployments as Array<{ message: unknown }>)[0]?.message).toBeNull();
  });

  it('deployment status, versions, one version and whoami', () => {
    expect(parseDeploymentStatus(fixture('deployments-status.json'))).toMatchObject({
      deployment_id: 'fe7d836f-359e-4188-a018-12905bfbe644',
      version_id: V3,
      versions: [{ version_id: V3, percentage: 100 }],
    });
    const versions = parseVersions(fixture('versions-list.json'));
    expect((versions.versions as Array<{ id: string }>).map((v) => v.id)).toEqual([V3, V2, V1]);
    expect((versions.versions as unknown[])[2]).toEqual({
      id: V1,
      number: 1,
      created_on: '2026-11-23T09:34:44.161Z',
      author: 'dev@example.com',
      source: 'wrangler',
      tag: 'v1',
      message: 'initial',
    });
    expect(parseVersionView(fixture('versions-view.json')).version).toMatchObject({
      id: V2,
      tag: 'v2',
      compatibility_date: '2024-09-01',
      compatibility_flags: [],
      handlers: ['fetch'],
      bindings: [],
    });
    expect(parseWhoami(fixture('whoami.json'))).toEqual({
      logged_in: true,
      auth_type: 'User API Token',
      email: 'dev@example.com',
      accounts: [{ id: 'acc123', name: 'Test Account' }],
    });
  });

  it('finds the JSON document after stray lines, and says what it got otherwise', () => {
    expect(readJson('▲ [WARNING] something\n\n[\n  {"a": 1}\n]\n')).toEqual([{ a: 1 }]);
    expect(() => readJson('Success!')).toThrow('expected JSON, got "Success!"');
    expect(() => parseDeployments('{"deployments": []}')).toThrow(
      'unexpected deployments list: Invalid input: expected array, received object',
    );
  });

  it('turns wrangler errors into one line without colours, with the API error code', () => {
    expect(wranglerError(fixture('not-found.stderr'))).toEqual({
      message:
        'A request to the Cloudflare API (/accounts/acc123/workers/scripts/no-such-worker/deployments) failed: This Worker does not exist on your account. [code: 10007]',
      code: 10007,
    });
    expect(wranglerError(fixture('auth-error.stderr'))).toEqual({
      message:
        'A request to the Cloudflare API (/accounts/acc123/workers/scripts/my-worker/versions?deployable=true) failed: Authentication error [code: 10000]',
      code: 10000,
    });
    expect(
      wranglerError(
        '\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mRequired Worker name missing.\u001b[0m\n\n\n🪵  Logs were written to "/x.log"\n',
      ),
    ).toEqual({ message: 'Required Worker name missing.' });
    expect(
      wranglerError('Error: Invalid Sec-WebSocket-Accept header\n    at ClientRequest.<anonymous>'),
    ).toEqual({ message: 'Error: Invalid Sec-WebSocket-Accept header' });
    expect(wranglerError('\n')).toBeUndefined();
  });

  it('a failed command reports wrangler’s error and its code as outputs', async () => {
    const { ctx } = recordingContext(
      [{ exitCode: 1, stdout: '\n', stderr: fixture('not-found.stderr') }],
      CONTEXT,
    );
    const outcome = await run('deployments', { name: 'no-such-worker' }, ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('This Worker does not exist on your account. [code: 10007]');
    expect(outcome.outputs.api_error_code).toBe(10007);
    expect(outcome.outputs.stderr).not.toContain('\u001b');
  });

  it('whoami without credentials fails with what to set', async () => {
    const { ctx } = recordingContext([{ exitCode: 1, stdout: '\n{"loggedIn":false}\n' }], CONTEXT);
    const outcome = await run('whoami', {}, ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.outputs.logged_in).toBe(false);
    expect(outcome.error).toMatchInlineSnapshot(
      `"not authenticated with Cloudflare: set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) in the environment"`,
    );
  });

  it('rollback succeeds even when the state after it cannot be read, and says so', async () => {
    const { ctx } = recordingContext(
      [
        { stdout: `Current Version ID: ${V2}\n` },
        { exitCode: 1, stderr: fixture('auth-error.stderr') },
      ],
      CONTEXT,
    );
    const outcome = await run('rollback', { name: 'my-worker', version_id: V2, message: 'm' }, ctx);
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toMatchObject({ version_id: V2, active_version_id: null });
    expect(outcome.outputs.status_error).toContain('Authentication error [code: 10000]');
  });
});
