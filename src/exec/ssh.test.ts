import { describe, expect, it } from 'vitest';
import { describeRemote, sshArgs, sshExec } from './ssh.js';

describe('sshArgs', () => {
  it('is batch mode with a connect timeout, then the destination', () => {
    expect(sshArgs({ host: 'web-1.internal' })).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      'web-1.internal',
    ]);
  });

  it('adds port, identity, pinned known hosts and extra options, in that order', () => {
    expect(
      sshArgs({
        host: '10.0.0.5',
        user: 'deploy',
        port: 2222,
        identity_file: '/etc/runbook/id_ed25519',
        known_hosts_file: '/etc/runbook/known hosts',
        connect_timeout: 3,
        options: ['ServerAliveInterval=5'],
      }),
    ).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=3',
      '-p',
      '2222',
      '-i',
      '/etc/runbook/id_ed25519',
      '-o',
      'UserKnownHostsFile="/etc/runbook/known hosts"',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'ServerAliveInterval=5',
      'deploy@10.0.0.5',
    ]);
  });
});

describe('describeRemote', () => {
  const host = { host: 'web-1', user: 'ops', port: 2222 };

  it('shows plain words as they are', () => {
    expect(describeRemote(host, 'systemctl restart api')).toBe(
      'ssh -o BatchMode=yes -o ConnectTimeout=10 -p 2222 ops@web-1 -- systemctl restart api',
    );
  });

  it('quotes a command with shell syntax as the one word ssh hands to the remote shell', () => {
    expect(describeRemote(host, `journalctl -u api | grep 'out of memory'`)).toBe(
      `ssh -o BatchMode=yes -o ConnectTimeout=10 -p 2222 ops@web-1 -- 'journalctl -u api | grep '\\''out of memory'\\'''`,
    );
  });
});

describe('sshExec', () => {
  const base = { env: { PATH: process.env.PATH }, cwd: '/', signal: new AbortController().signal };

  it('refuses a destination ssh would read as an option, without starting ssh', async () => {
    const exec = sshExec('evil', { host: '-oProxyCommand=touch /tmp/x' }, base);
    const result = await exec({ file: 'true', args: [] });
    expect(result.exitCode).toBeNull();
    expect(result.error).toBe(
      'on: evil: host "-oProxyCommand=touch /tmp/x" may not start with "-"',
    );
  });

  it('refuses an environment variable name a shell cannot export', async () => {
    const exec = sshExec('web-1', { host: 'web-1' }, base);
    const result = await exec({ file: 'true', args: [], env: { 'A-B': 'x' } });
    expect(result.error).toBe('on: web-1: cannot pass the environment variable "A-B" over ssh');
  });
});
