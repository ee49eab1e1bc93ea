import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import type { Runbook } from '../schema/runbook.js';
import { parseVarFlags, resolveVars } from './vars.js';
import type { Alert } from '../schema/alert-payload.js';

const RUNBOOK: Runbook = {
  id: 'api-down',
  title: 'API down',
  vars: {
    api_url: { default: 'https://api.example.com', env: 'API_URL' },
    port: { default: 8080, env: 'API_PORT' },
    verbose: false,
    region: { choices: ['eu', 'us'], default: 'eu' },
    token: { env: 'API_TOKEN', secret: true },
    note: { description: 'free text' },
  },
  environments: {
    staging: { vars: { api_url: 'https://staging.example.com', port: 9443 } },
  },
  diagnosis: [{ id: 'a', run: 'true' }],
};

function resolve(
  input: {
    cliVars?: Record<string, string>;
    envName?: string;
    processEnv?: Record<string, string | undefined>;
  } = {},
  runbook: Runbook = RUNBOOK,
) {
  return resolveVars(runbook, {
    cliVars: input.cliVars ?? {},
    envName: input.envName,
    processEnv: input.processEnv ?? {},
  });
}

/** The UsageError a call throws, for checking its message and hint together. */
function usageError(call: () => unknown): { message: string; hint: string | undefined } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const { message, hint } = error as UsageError;
    return { message, hint };
  }
  throw new Error('expected a UsageError');
}

describe('resolveVars: precedence', () => {
  it('uses the default when nothing else is given', () => {
    const resolved = resolve();
    expect(resolved.values).toEqual({
      api_url: 'https://api.example.com',
      port: 8080,
      verbose: false,
      region: 'eu',
      token: null,
      note: null,
    });
    expect(resolved.sources).toEqual({
      api_url: 'default',
      port: 'default',
      verbose: 'default',
      region: 'default',
      token: 'unset',
      note: 'unset',
    });
  });

  it('prefers the env: variable over the default', () => {
    const resolved = resolve({ processEnv: { API_URL: 'https://from-env.example.com' } });
    expect(resolved.values.api_url).toBe('https://from-env.example.com');
    expect(resolved.sources.api_url).toBe('env');
  });

  it('ignores an empty env: variable', () => {
    const resolved = resolve({ processEnv: { API_URL: '' } });
    expect(resolved.values.api_url).toBe('https://api.example.com');
    expect(resolved.sources.api_url).toBe('default');
  });

  it("prefers --env's values over the env: variable", () => {
    const resolved = resolve({
      envName: 'staging',
      processEnv: { API_URL: 'https://from-env.example.com' },
    });
    expect(resolved.values.api_url).toBe('https://staging.example.com');
    expect(resolved.sources.api_url).toBe('environment');
    expect(resolved.values.port).toBe(9443);
  });

  it('prefers --var over everything', () => {
    const resolved = resolve({
      cliVars: { api_url: 'https://cli.example.com' },
      envName: 'staging',
      processEnv: { API_URL: 'https://from-env.example.com' },
    });
    expect(resolved.values.api_url).toBe('https://cli.example.com');
    expect(resolved.sources.api_url).toBe('var');
  });

  it('records secrets and the declared environment variables that are set', () => {
    const resolved = resolve({
      processEnv: { API_TOKEN: 'tok-1234', API_URL: 'https://x', HOME: '/root', PATH: '/bin' },
    });
    expect([...resolved.secrets]).toEqual(['token']);
    expect(resolved.values.token).toBe('tok-1234');
    expect(resolved.declaredEnv).toEqual({ API_TOKEN: 'tok-1234', API_URL: 'https://x' });
  });
});

describe('resolveVars: types', () => {
  it('reads a number from --var or env: when the default is a number', () => {
    expect(resolve({ cliVars: { port: '9090' } }).values.port).toBe(9090);
    expect(resolve({ processEnv: { API_PORT: '7070' } }).values.port).toBe(7070);
  });

  it('keeps text that is not a number as text', () => {
    expect(resolve({ cliVars: { port: 'http' } }).values.port).toBe('http');
    expect(resolve({ cliVars: { port: ' ' } }).values.port).toBe(' ');
  });

  it('reads true and false when the default is a boolean', () => {
    expect(resolve({ cliVars: { verbose: 'true' } }).values.verbose).toBe(true);
    expect(resolve({ cliVars: { verbose: 'false' } }).values.verbose).toBe(false);
    expect(resolve({ cliVars: { verbose: 'yes' } }).values.verbose).toBe('yes');
  });

  it('keeps a string variable a string even when it looks like a number', () => {
    expect(resolve({ cliVars: { api_url: '42' } }).values.api_url).toBe('42');
    expect(resolve({ cliVars: { note: '42' } }).values.note).toBe('42');
  });
});

describe('resolveVars: mistakes', () => {
  it('rejects an unknown --var and suggests the likely one', () => {
    expect(usageError(() => resolve({ cliVars: { api_ur: 'x' } }))).toMatchInlineSnapshot(`
      {
        "hint": "did you mean --var api_url=…?",
        "message": "unknown variable "api_ur" for runbook api-down",
      }
    `);
  });

  it('lists the variables when no name is close', () => {
    expect(usageError(() => resolve({ cliVars: { zzzzzzzz: 'x' } })).hint).toBe(
      'its variables: api_url, port, verbose, region, token, note',
    );
    const bare: Runbook = { id: 'bare', title: 'Bare', diagnosis: [{ id: 'a', run: 'true' }] };
    expect(usageError(() => resolve({ cliVars: { x: '1' } }, bare))).toMatchInlineSnapshot(`
      {
        "hint": "it declares no variables",
        "message": "unknown variable "x" for runbook bare",
      }
    `);
  });

  it('rejects an unknown environment and lists the known ones', () => {
    expect(usageError(() => resolve({ envName: 'prod' }))).toMatchInlineSnapshot(`
      {
        "hint": "its environments: staging",
        "message": "unknown environment "prod" for runbook api-down",
      }
    `);
    const bare: Runbook = { id: 'bare', title: 'Bare', diagnosis: [{ id: 'a', run: 'true' }] };
    expect(usageError(() => resolve({ envName: 'prod' }, bare)).hint).toBe(
      'it declares no environments:',
    );
  });

  it('lists every missing required variable in one error', () => {
    const runbook: Runbook = {
      id: 'db-down',
      title: 'DB down',
      vars: {
        database_url: { env: 'DATABASE_URL', secret: true, required: true },
        cluster: { required: true },
        optional: { default: 'x', required: true },
      },
      diagnosis: [{ id: 'a', run: 'true' }],
    };
    expect(usageError(() => resolve({ processEnv: { DATABASE_URL: '' } }, runbook)))
      .toMatchInlineSnapshot(`
      {
        "hint": "pass them with --var name=value or set the environment variables",
        "message": "runbook db-down needs values for: database_url (--var database_url=… or $DATABASE_URL), cluster (--var cluster=…)",
      }
    `);
    expect(
      usageError(() => resolve({ cliVars: { cluster: 'main' } }, runbook)).message,
    ).toMatchInlineSnapshot(
      `"runbook db-down needs a value for: database_url (--var database_url=… or $DATABASE_URL)"`,
    );
    expect(
      resolve(
        { cliVars: { cluster: 'main' }, processEnv: { DATABASE_URL: 'postgres://x' } },
        runbook,
      ).values,
    ).toEqual({ database_url: 'postgres://x', cluster: 'main', optional: 'x' });
  });

  it('rejects a value that is not one of the choices', () => {
    expect(resolve({ cliVars: { region: 'us' } }).values.region).toBe('us');
    expect(usageError(() => resolve({ cliVars: { region: 'ap' } }))).toMatchInlineSnapshot(`
      {
        "hint": undefined,
        "message": "variable region is "ap", not one of "eu", "us"",
      }
    `);
  });

  it('checks numeric choices after reading the number', () => {
    const runbook: Runbook = {
      id: 'scale',
      title: 'Scale',
      vars: { replicas: { default: 2, choices: [1, 2, 3] } },
      diagnosis: [{ id: 'a', run: 'true' }],
    };
    expect(resolve({ cliVars: { replicas: '3' } }, runbook).values.replicas).toBe(3);
    expect(usageError(() => resolve({ cliVars: { replicas: '4' } }, runbook)).message).toBe(
      'variable replicas is 4, not one of 1, 2, 3',
    );
  });
});

describe('parseVarFlags', () => {
  it('splits name=value at the first =', () => {
    expect(parseVarFlags(['a=1', 'url=https://x/?q=1&r=2', 'empty='])).toEqual({
      a: '1',
      url: 'https://x/?q=1&r=2',
      empty: '',
    });
  });

  it('lets a later flag win', () => {
    expect(parseVarFlags(['a=1', 'a=2'])).toEqual({ a: '2' });
  });

  it('returns nothing for no flags', () => {
    expect(parseVarFlags([])).toEqual({});
  });

  it.each(['novalue', '=value', ''])('rejects %j with an example', (flag) => {
    const error = usageError(() => parseVarFlags(['ok=1', flag]));
    expect(error.message).toBe(`--var expects name=value, got "${flag}"`);
    expect(error.hint).toBe('e.g. --var api_url=https://staging.example.com');
  });
});

describe('resolveVars: a plan without some required values', () => {
  const PLAN: Runbook = {
    id: 'db-down',
    title: 'Database down',
    vars: {
      database_url: { required: true, secret: true, env: 'DATABASE_URL' },
      option: { required: true, choices: ['rollback', 'scale'] },
      app_dir: { required: true, env: 'APP_DIR' },
      region: { default: 'eu' },
    },
    diagnosis: [{ id: 'a', run: 'true' }],
  };
  const plan = (processEnv: Record<string, string> = {}, needed?: ReadonlySet<string>) =>
    resolveVars(PLAN, {
      cliVars: {},
      envName: undefined,
      processEnv,
      placeholders: true,
      ...(needed ? { needed } : {}),
    });

  it('gives each missing value its placeholder, env: names included, and lists them', () => {
    const resolved = plan({ APP_DIR: '/srv/app' });
    expect(resolved.values).toEqual({
      database_url: '<database_url>',
      option: '<option>',
      app_dir: '/srv/app',
      region: 'eu',
    });
    expect(resolved.declaredEnv).toEqual({ APP_DIR: '/srv/app', DATABASE_URL: '<database_url>' });
    expect(resolved.missingVars).toEqual([
      { name: 'database_url', secret: true, how: '--var database_url=… or $DATABASE_URL' },
      { name: 'option', secret: false, how: '--var option=…' },
    ]);
    expect([...(resolved.placeholders?.vars ?? [])]).toEqual(['database_url', 'option']);
    expect([...(resolved.placeholders?.env ?? [])]).toEqual([['DATABASE_URL', 'database_url']]);
  });

  it('without placeholders the same values are refused, as a real run refuses them', () => {
    expect(
      usageError(() =>
        resolveVars(PLAN, { cliVars: {}, envName: undefined, processEnv: { APP_DIR: '/a' } }),
      ),
    ).toEqual({
      message:
        'runbook db-down needs values for: database_url (--var database_url=… or $DATABASE_URL), option (--var option=…)',
      hint: 'pass them with --var name=value or set the environment variables',
    });
  });

  it('needs only the variables named in `needed` (check: those its checks read)', () => {
    expect(
      usageError(() =>
        resolveVars(PLAN, {
          cliVars: {},
          envName: undefined,
          processEnv: {},
          needed: new Set(['app_dir', 'region']),
        }),
      ).message,
    ).toBe('runbook db-down needs a value for: app_dir (--var app_dir=… or $APP_DIR)');
    expect(() =>
      resolveVars(PLAN, {
        cliVars: {},
        envName: undefined,
        processEnv: { APP_DIR: '/a' },
        needed: new Set(['app_dir']),
      }),
    ).not.toThrow();
    expect(plan({}, new Set(['option'])).values).toEqual({
      database_url: null,
      option: '<option>',
      app_dir: null,
      region: 'eu',
    });
  });
});

describe('resolveVars: from_alert (docs/format.md#alert-payloads)', () => {
  const ALERTED: Runbook = {
    id: 'crashloop',
    title: 'Pod crash looping',
    alerts: ['alertname="KubePodCrashLooping"'],
    vars: {
      namespace: { from_alert: 'labels.namespace', env: 'NAMESPACE', default: 'default' },
      replicas: { from_alert: 'labels.replicas', default: 1 },
      summary: { from_alert: 'annotations.summary', required: true },
      status: { from_alert: 'status' },
    },
    environments: { prod: { vars: { namespace: 'prod' } } },
    diagnosis: [{ id: 'a', run: 'true' }],
  };
  const alert: Alert = {
    kind: 'alertmanager',
    status: 'firing',
    labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', replicas: '3' },
    annotations: { summary: 'cart is crash looping' },
    starts_at: '2026-12-06T12:00:00Z',
    url: '',
    count: 1,
    firing: 1,
  };
  const run = (cliVars: Record<string, string>, envName?: string, withAlert = true) =>
    resolveVars(ALERTED, {
      cliVars,
      envName,
      processEnv: { NAMESPACE: 'from-env' },
      allowMissing: true,
      ...(withAlert ? { alert } : {}),
    });

  it('takes the alert’s values, typed as the default; after --var, before --env and env:', () => {
    const vars = run({}, 'prod');
    expect(vars.values).toEqual({
      namespace: 'shop',
      replicas: 3,
      summary: 'cart is crash looping',
      status: 'firing',
    });
    expect(vars.sources).toEqual({
      namespace: 'alert',
      replicas: 'alert',
      summary: 'alert',
      status: 'alert',
    });
    expect(run({ namespace: 'given' }).values.namespace).toBe('given');
  });

  it('without an alert: the usual order, and a required one says --alert can give it', () => {
    const vars = run({}, undefined, false);
    expect([vars.values.namespace, vars.sources.namespace]).toEqual(['from-env', 'env']);
    expect(vars.missing).toEqual([
      'summary (--var summary=… or --alert FILE (annotations.summary))',
    ]);
  });

  it('an unknown --var of a runbook that answers alerts points at --alert', () => {
    expect(usageError(() => run({ pod: 'x' }))).toEqual({
      message: 'unknown variable "pod" for runbook crashloop',
      hint: "its variables: namespace, replicas, summary, status; an alert's labels come in with --alert FILE, as alert.labels.pod (docs/format.md#alert-payloads)",
    });
  });

  it('so does one named like a common alert label, in any runbook', () => {
    expect(usageError(() => resolve({ cliVars: { instance: 'web-1:9100' } })).hint).toBe(
      "its variables: api_url, port, verbose, region, token, note; an alert's labels come in with --alert FILE, as alert.labels.instance (docs/format.md#alert-payloads)",
    );
  });
});
