import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { startSshd, type Sshd } from '../../helpers/sshd.js';

/**
 * Targets found at run time (docs/format.md#loops-and-targets) against a real OpenSSH server on
 * 127.0.0.1: a for_each over an inventory group with `on: ${{ item }}`, and `on:` given by an
 * earlier step's output, which reaches the configured host of that address with its settings.
 */
const RUNBOOK = `
id: targets
title: Targets found at run time
vars:
  port: { required: true }
  evil: { default: "-oProxyCommand=touch PWNED" }
diagnosis:
  - id: each-replica
    for_each: { group: replicas }
    on: \${{ item }}
    run: echo "\${{ item }} $SSH_CONNECTION"
  - id: find
    run: echo "root@127.0.0.1:\${{ vars.port }}"
    capture:
      target: outputs.stdout.trim()
  - id: reach
    on: \${{ steps.find.outputs.target }}
    run: echo "reached $SSH_CONNECTION"
  - id: hostile
    on: \${{ vars.evil }}
    run: echo never
    continue_on_error: true
`;

describe('on: an expression, over a real sshd', () => {
  const dir = tempDir('rb-ssh-targets-');
  let sshd: Sshd | undefined;

  beforeAll(async () => {
    sshd = await startSshd(dir.path);
    const { port } = sshd;
    mkdirSync(join(dir.path, 'runbooks'));
    writeFileSync(
      join(dir.path, 'runbooks/targets.yaml'),
      RUNBOOK.replace('PWNED', join(dir.path, 'pwned')),
    );
    const ssh = `ansible_ssh_common_args="-o UserKnownHostsFile=${join(dir.path, 'known_hosts')} -o StrictHostKeyChecking=yes"`;
    writeFileSync(
      join(dir.path, 'hosts.ini'),
      [
        '[replicas]',
        `replica-a ansible_host=127.0.0.1 ansible_port=${port} ${ssh}`,
        `replica-b ansible_host=127.0.0.1 ansible_port=${port} ${ssh}`,
        '[replicas:vars]',
        'ansible_user=root',
        'ansible_ssh_private_key_file=client_key',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      [
        'inventory: hosts.ini',
        'hosts:',
        `  local-test: { host: 127.0.0.1, user: root, port: ${port}, identity_file: client_key, known_hosts_file: known_hosts }`,
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
    dir.remove();
  });

  it('runs each inventory host of a group, and a host an earlier step found; refuses an option', async () => {
    const port = String(sshd?.port);
    const result = await runCli(['run', 'targets', '--var', `port=${port}`, '--format', 'json'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{
        id: string;
        status: string;
        reason?: string;
        command: string | null;
        outputs: Record<string, unknown>;
        items?: Array<{ status: string; command: string; item: { label: string } }>;
      }>;
    };
    const step = (id: string) => doc.steps.find((one) => one.id === id);
    expect(result.code).toBe(0);
    const each = step('each-replica');
    expect(each?.items?.map((item) => [item.item.label, item.status])).toEqual([
      ['replica-a', 'succeeded'],
      ['replica-b', 'succeeded'],
    ]);
    expect(each?.items?.[0]?.command).toBe(
      `ssh -o BatchMode=yes -o ConnectTimeout=10 -p ${port} -i ${join(dir.path, 'client_key')} -o UserKnownHostsFile=${join(dir.path, 'known_hosts')} -o StrictHostKeyChecking=yes root@127.0.0.1 -- 'echo "replica-a $SSH_CONNECTION"'`,
    );
    const outputs = (each?.outputs.items as Array<{ outputs: { stdout: string } }>).map((item) =>
      item.outputs.stdout.split(' ').slice(0, 1).concat(item.outputs.stdout.split(' ').slice(-2)),
    );
    expect(outputs).toEqual([
      ['replica-a', '127.0.0.1', port],
      ['replica-b', '127.0.0.1', port],
    ]);
    // The address found at run time is the configured host's: its key and known hosts are used.
    expect(step('reach')).toMatchObject({ status: 'succeeded' });
    expect((step('reach')?.outputs.stdout as string).split(' ').at(-1)).toBe(port);
    expect(step('reach')?.command).toBe(
      `ssh -o BatchMode=yes -o ConnectTimeout=10 -p ${port} -i ${join(dir.path, 'client_key')} -o UserKnownHostsFile=${join(dir.path, 'known_hosts')} -o StrictHostKeyChecking=yes root@127.0.0.1 -- 'echo "reached $SSH_CONNECTION"'`,
    );
    expect(step('hostile')).toMatchObject({
      status: 'failed',
      reason: `on: \${{ vars.evil }} gave "-oProxyCommand=touch ${join(dir.path, 'pwned')}": not a configured or inventory host, nor a [user@]host[:port]`,
    });
    expect(existsSync(join(dir.path, 'pwned'))).toBe(false);
  }, 60_000);
});
