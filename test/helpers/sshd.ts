import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';

const SSHD = '/usr/sbin/sshd';
const REAL_SSH = '/usr/bin/ssh';
const PRIVSEP_DIR = '/run/sshd';

/** A real OpenSSH server on 127.0.0.1 for root, with its own keys and config in `dir`. */
export interface Sshd {
  port: number;
  /** The client's private key, authorized for root. */
  identityFile: string;
  /** known_hosts holding the server's host key for 127.0.0.1 and its port. */
  knownHostsFile: string;
  /** A `hosts:` entry of runbook.config.yaml for this server. */
  hostConfig: string;
  /** Writes a key pair `dir/<name>` and `dir/<name>.pub`; returns the public key's type and text. */
  key(name: string): string;
  stop(): Promise<void>;
}

/** Starts sshd with a host key, a client key it authorizes and a known_hosts for the client. */
export async function startSshd(dir: string): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server`);
  if (!existsSync(REAL_SSH))
    throw new Error(`${REAL_SSH} is missing: apt-get install openssh-client`);
  let createdPrivsepDir = false;
  if (!existsSync(PRIVSEP_DIR)) {
    mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
    createdPrivsepDir = true;
  }
  const key = (name: string): string => {
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      name,
      '-f',
      join(dir, name),
    ]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' ');
  };
  const hostKey = key('host_key');
  key('client_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PrintMotd no',
      '',
    ].join('\n'),
  );
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostKey}\n`);
  const identityFile = join(dir, 'client_key');
  const child = await launch(join(dir, 'sshd_config'));
  return {
    port,
    identityFile,
    knownHostsFile,
    hostConfig: `{ host: 127.0.0.1, user: root, port: ${port}, identity_file: ${identityFile}, known_hosts_file: ${knownHostsFile} }`,
    key,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (createdPrivsepDir) rmdirSync(PRIVSEP_DIR);
    },
  };
}

function launch(config: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not start within 20 s:\n${log}`));
    }, 20_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('Server listening on 127.0.0.1')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${String(code)}:\n${log}`));
    });
  });
}
