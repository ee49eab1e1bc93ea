import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';
import { makeRecorders } from '../helpers/recorders.js';

/** A dry run of steps on an `on:` host, from bin/runbook.js: the full ssh command of each, and no
 * ssh started (no server is needed: test/integration/adapters/ssh.int.test.ts runs them for real). */

const REMOTE = `
id: remote
title: Steps on a host over ssh
vars:
  note: { default: plain }
diagnosis:
  - id: connection
    on: local-test
    run: echo "$SSH_CONNECTION"
  - id: note-argv
    on: local-test
    run: [printf, "%s", "\${{ vars.note }}"]
`;

describe('on: <host> in a dry run, as a process', () => {
  const dir = tempDir('rb-ssh-dry-');
  const recorders = makeRecorders(join(dir.path, 'recorders'));
  const port = 2222;

  beforeAll(() => {
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      `hosts:\n  local-test: { host: 127.0.0.1, user: root, port: ${port}, identity_file: client_key, known_hosts_file: known_hosts }\n`,
    );
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(join(dir.path, 'runbooks/remote.yaml'), REMOTE);
  });
  afterAll(() => dir.remove());

  it('prints the full ssh command of each step and starts no ssh', async () => {
    const result = await runBin(['run', 'remote', '--dry-run'], {
      cwd: dir.path,
      env: { PATH: recorders.bin, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ssh = `ssh -o BatchMode=yes -o ConnectTimeout=10 -p ${port} -i ${join(dir.path, 'client_key')} -o UserKnownHostsFile=${join(dir.path, 'known_hosts')} -o StrictHostKeyChecking=yes root@127.0.0.1 --`;
    expect(result.stdout.split('\n').filter((line) => line.startsWith('      $ '))).toEqual([
      `      $ ${ssh} 'echo "$SSH_CONNECTION"'`,
      `      $ ${ssh} printf %s plain`,
    ]);
    expect(recorders.calls()).toBe('');
  });
});
