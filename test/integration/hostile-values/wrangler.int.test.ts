import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startFakeCloudflare, V1, type FakeCloudflare } from '../../helpers/fake-cloudflare.js';
import { hostileValues, injectedFiles, type RunStep } from '../../helpers/hostile.js';

/**
 * The hostile values through `--var` as the free-text inputs of wrangler steps (a rollback's
 * message, a secret's value), against the real wrangler and a fake Cloudflare API: wrangler's
 * yargs reads `-m --help` as two options, so the message goes as one `--message=…` word, and the
 * secret on stdin. Both must reach the API exactly. (The other wrangler inputs are names and ids
 * that refuse such values; registry.test.ts shows it. A wrangler call takes seconds here, so only
 * the values that look like options, and one with a line break, are sent.)
 */

const dir = tempDir('rb-hostile-wrangler-');
const MARK = join(dir.path, 'injected');
const VALUES = hostileValues(MARK).filter((value) => value.startsWith('-') || value.includes('\n'));
const NAMES = VALUES.map((_value, index) => `v${index + 1}`);

const RUNBOOK = {
  id: 'hostile-wrangler',
  title: 'Hostile values into wrangler steps',
  vars: Object.fromEntries(NAMES.map((name) => [name, { required: true }])),
  diagnosis: NAMES.flatMap((name) => [
    {
      id: `rollback-${name}`,
      uses: 'wrangler.rollback',
      with: { name: 'my-worker', version_id: V1, message: `\${{ vars.${name} }}` },
    },
    {
      id: `secret-${name}`,
      uses: 'wrangler.secret_put',
      with: { name: 'my-worker', key: 'API_KEY', value: `\${{ vars.${name} }}` },
    },
  ]),
};

let cf: FakeCloudflare;
let steps: RunStep[];

beforeAll(async () => {
  cf = await startFakeCloudflare();
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(join(dir.path, 'runbooks/hostile-wrangler.yaml'), stringify(RUNBOOK));
  const vars = NAMES.flatMap((name, index) => ['--var', `${name}=${VALUES[index] ?? ''}`]);
  const result = await runCli(
    [
      'run',
      'hostile-wrangler',
      '--dir',
      join(dir.path, 'runbooks'),
      ...vars,
      '--format',
      'json',
    ].concat(['--yes', '--non-interactive']),
    {
      cwd: dir.path,
      env: { ...cf.wranglerEnv(dir.path), RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    },
  );
  steps = (JSON.parse(result.stdout || '{"steps":[]}') as { steps: RunStep[] }).steps;
}, 180_000);

afterAll(async () => {
  await cf?.close();
  dir.remove();
});

describe('hostile values into wrangler steps, against the real wrangler', () => {
  it('every step ran', () => {
    expect(steps.map((step) => [step.id, step.status, step.reason])).toEqual(
      RUNBOOK.diagnosis.map((step) => [step.id, 'succeeded', undefined]),
    );
  });

  it('a rollback message reaches Cloudflare as it is, never as an option', () => {
    const messages = cf.requests
      .filter((request) => request.method === 'POST' && request.path.endsWith('/deployments'))
      .map((request) => (request.body as { annotations?: Record<string, string> }).annotations);
    expect(messages).toEqual(VALUES.map((value) => ({ 'workers/message': value })));
  });

  it('a secret reaches Cloudflare as it is', () => {
    expect(cf.secrets.map((secret) => secret.text)).toEqual(VALUES);
  });

  it('ran no command', () => {
    expect(injectedFiles(MARK)).toEqual([]);
  });
});
