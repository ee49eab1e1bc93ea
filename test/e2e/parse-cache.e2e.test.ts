import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openParseCache } from '../../src/schema/parse-cache.js';
import { runBin, runCli, tempDir } from '../helpers/cli.js';

// A validated runbook is kept in the state directory so that the next command skips YAML and
// validation; these tests prove an entry is used only when it is exactly what validating again
// would give. Tampering with an entry's runbook (but not its recorded text) makes a hit visible.
const RUNBOOK = `id: cached
title: Cached runbook
diagnosis:
  - id: look
    run: echo original
`;

let dir: { path: string; remove: () => void };
let env: Record<string, string>;
const file = () => join(dir.path, 'runbooks', 'cached.yaml');
const entryFiles = () => readdirSync(join(dir.path, 'state', 'cache', 'runbooks'));
const entryPath = () => join(dir.path, 'state', 'cache', 'runbooks', entryFiles()[0] ?? 'none');

/** Rewrites the cached runbook's command, leaving the recorded file text as it was. */
function tamperEntry(): void {
  const entry = JSON.parse(readFileSync(entryPath(), 'utf8')) as {
    value: { runbook: { diagnosis: Array<{ run: string }> } };
  };
  const step = entry.value.runbook.diagnosis[0];
  if (!step) throw new Error('no step in the cache entry');
  step.run = 'echo from-the-cache';
  writeFileSync(entryPath(), JSON.stringify(entry), { mode: 0o600 });
}

const dryRun = () =>
  runBin(['run', 'cached', '--dry-run', '--dir', join(dir.path, 'runbooks')], {
    cwd: dir.path,
    env,
  });

beforeEach(() => {
  dir = tempDir('runbook-cache-');
  env = { RUNBOOK_STATE_DIR: join(dir.path, 'state'), NO_COLOR: '1' };
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(file(), RUNBOOK);
});
afterEach(() => dir.remove());

describe('the parse cache', () => {
  it('keeps one private entry per validated runbook, and the next run reads it', async () => {
    const first = await dryRun();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('echo original');
    expect(entryFiles()).toHaveLength(1);
    expect(entryFiles()[0]).toMatch(/^cached\.yaml-[0-9a-f]{14}\.json$/);
    expect(statSync(entryPath()).mode & 0o777).toBe(0o600);

    tamperEntry();
    const second = await dryRun();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('echo from-the-cache');
  });

  it('validates afresh when the file changed, even by one byte', async () => {
    await dryRun();
    tamperEntry();
    writeFileSync(file(), RUNBOOK.replace('echo original', 'echo edited!'));
    const run = await dryRun();
    expect(run.stdout).toContain('echo edited!');
    expect(run.stdout).not.toContain('from-the-cache');
    // The new validation replaced the entry.
    expect(readFileSync(entryPath(), 'utf8')).toContain('echo edited!');
  });

  it('ignores an entry that others could have written', async () => {
    await dryRun();
    tamperEntry();
    chmodSync(entryPath(), 0o620);
    const run = await dryRun();
    expect(run.stdout).toContain('echo original');
    expect(run.stdout).not.toContain('from-the-cache');
  });

  it('is not used with RUNBOOK_NO_CACHE=1, nor by validate', async () => {
    await dryRun();
    tamperEntry();
    env.RUNBOOK_NO_CACHE = '1';
    const run = await dryRun();
    expect(run.stdout).toContain('echo original');
    delete env.RUNBOOK_NO_CACHE;

    // An entry claiming that a broken file is valid does not fool validate.
    const broken = RUNBOOK.replace('run: echo original', 'run: echo original\n    retry: 3');
    writeFileSync(file(), broken);
    const entry = JSON.parse(readFileSync(entryPath(), 'utf8')) as { text: string };
    entry.text = Buffer.from(broken).toString('latin1');
    writeFileSync(entryPath(), JSON.stringify(entry), { mode: 0o600 });
    const validate = await runBin(['validate', file()], { cwd: dir.path, env });
    expect(validate.code).toBe(2);
    expect(validate.stdout + validate.stderr).toMatch(
      /cached\.yaml:6:12: error: diagnosis\[0\]\.retry/,
    );
  });

  it('validates afresh when the configuration changed what validation depends on', async () => {
    await dryRun();
    tamperEntry();
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      'severity_schemes:\n  sev: [SEV1, SEV2]\n',
    );
    const run = await dryRun();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('echo original');
  });

  it('works in-process, from source: the hash of the sources names the build', async () => {
    const inProcess = () =>
      runCli(['run', 'cached', '--dry-run', '--dir', join(dir.path, 'runbooks')], {
        cwd: dir.path,
        env,
      });
    const first = await inProcess();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('echo original');
    const entry = JSON.parse(readFileSync(entryPath(), 'utf8')) as { build: string };
    expect(entry.build).toMatch(/^source-[0-9a-f]{14}$/);

    tamperEntry();
    const second = await inProcess();
    expect(second.stdout).toContain('echo from-the-cache');
    // The built CLI names its entries by its own build: it validates afresh.
    const built = await dryRun();
    expect(built.stdout).toContain('echo original');
    expect(built.stdout).not.toContain('from-the-cache');
  });

  it('is off with RUNBOOK_NO_CACHE, whatever names the build', () => {
    expect(openParseCache(dir.path, {})).toBeDefined();
    expect(openParseCache(dir.path, {}, 'build-1')).toBeDefined();
    expect(openParseCache(dir.path, { RUNBOOK_NO_CACHE: '1' }, 'build-1')).toBeUndefined();
    expect(openParseCache(dir.path, { RUNBOOK_NO_CACHE: '1' })).toBeUndefined();
  });

  it('does not keep values JSON cannot carry exactly', () => {
    const cache = openParseCache(dir.path, {}, 'build-1');
    cache?.set('/x.yaml', 'text', 'fp', { limit: Infinity });
    expect(cache?.get('/x.yaml', 'text', 'fp')).toBeUndefined();
    cache?.set('/x.yaml', 'text', 'fp', { limit: 3 });
    expect(cache?.get('/x.yaml', 'text', 'fp')).toEqual({ limit: 3 });
    expect(cache?.get('/x.yaml', 'other text', 'fp')).toBeUndefined();
    expect(cache?.get('/x.yaml', 'text', 'other fingerprint')).toBeUndefined();
    expect(openParseCache(dir.path, {}, 'build-2')?.get('/x.yaml', 'text', 'fp')).toBeUndefined();
  });
});
