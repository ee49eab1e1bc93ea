import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRunbookError } from '../common/errors.js';
import { loadConfig } from './config.js';

describe('runbook.config.yaml', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is optional: ./runbooks and the P0..P4 scheme', async () => {
    const config = await loadConfig(dir, {});
    expect(config).toMatchObject({
      file: undefined,
      dirs: [join(dir, 'runbooks')],
      defaultScheme: 'default',
      hosts: {},
      adapters: [],
    });
    expect(config.schemes.default).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
  });

  it('resolves paths from the file, and ~/ from the home directory', async () => {
    writeFileSync(
      join(dir, 'runbook.config.yaml'),
      'dirs: [books]\nadapters: [./a.mjs, some-package]\nhosts:\n  web-1: { host: 10.0.0.1, identity_file: ~/.ssh/oncall, known_hosts_file: keys/known }\n',
    );
    const config = await loadConfig(dir, { HOME: '/home/oncall' });
    expect(config.dirs).toEqual([join(dir, 'books')]);
    expect(config.adapters).toEqual([join(dir, 'a.mjs'), 'some-package']);
    expect(config.hosts['web-1']).toEqual({
      host: '10.0.0.1',
      identity_file: '/home/oncall/.ssh/oncall',
      known_hosts_file: join(dir, 'keys/known'),
    });
  });

  it('reports its mistakes at file:line:col', async () => {
    writeFileSync(
      join(dir, 'runbook.config.yaml'),
      'dirs: [runbooks]\nseverity_schemes:\n  pscale: [P1, P2]\ndefault_severity_scheme: pscal\nhots: {}\n',
    );
    const error = await loadConfig(dir, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRunbookError);
    const [first] = (error as InvalidRunbookError).diagnostics;
    expect(`${first?.line}:${first?.col} ${first?.message} (${first?.hint ?? ''})`).toBe(
      '5:1 unknown key "hots" (did you mean "hosts"?)',
    );
  });

  it('refuses a host or user that ssh would read as an option', async () => {
    writeFileSync(
      join(dir, 'runbook.config.yaml'),
      'hosts:\n  evil: { host: "-oProxyCommand=touch /tmp/x", user: "-lroot" }\n',
    );
    const error = await loadConfig(dir, {}).catch((e: unknown) => e);
    expect(
      (error as InvalidRunbookError).diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
    ).toEqual([
      '2:17 hosts.evil.host: a host cannot start with "-" or a space',
      '2:54 hosts.evil.user: a user cannot start with "-" or a space',
    ]);
  });
});
