import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, isolated Docker engine for tests: Debian's dockerd running as root with its own data
 * root, exec root, pid file and unix socket in a short temp dir, and no changes to the host's
 * network (no iptables, no bridge: containers use `--network host` or `--network none`). Its one
 * image is imported from a busybox-static root filesystem, since no registry is reachable.
 */
export interface Dockerd {
  dir: string;
  /** `unix://…/docker.sock`, for DOCKER_HOST or an action's `host`. */
  host: string;
  /** DOCKER_HOST and a private DOCKER_CONFIG for the docker CLI. */
  env: { DOCKER_HOST: string; DOCKER_CONFIG: string };
  /** The imported busybox image. */
  image: string;
  storageDriver: 'overlay2' | 'vfs';
  /** Runs the docker CLI against this engine; throws when it fails. */
  docker(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const DOCKERD = '/usr/sbin/dockerd';
const BUSYBOX = '/bin/busybox';
const IMAGE = 'runbook-test/busybox:latest';
const READY_TIMEOUT_MS = 40_000;
const STOP_TIMEOUT_MS = 20_000;

/** Starts the engine and imports the image; cleans up after itself when that fails. */
export async function startDockerd(): Promise<Dockerd> {
  if (process.getuid?.() !== 0) throw new Error('dockerd tests need root (dockerd runs as root)');
  if (!existsSync(DOCKERD))
    throw new Error(`${DOCKERD} is missing: apt-get install -y --no-install-recommends docker.io`);
  assertStaticBusybox();
  // Unix socket paths are limited to ~107 bytes, and containerd's sockets live under the exec root.
  const base = tmpdir().length <= 20 ? tmpdir() : '/tmp';
  const dir = mkdtempSync(join(base, 'dkr-'));
  const env = { DOCKER_HOST: `unix://${dir}/docker.sock`, DOCKER_CONFIG: join(dir, 'cfg') };
  mkdirSync(env.DOCKER_CONFIG);
  const engine: Engine = { dir, env, child: undefined };
  try {
    let storageDriver: Dockerd['storageDriver'] = 'overlay2';
    let failure = await launch(engine, storageDriver);
    if (failure) {
      const overlayFailure = failure;
      await shutdown(engine);
      await unmountUnder(dir);
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      storageDriver = 'vfs';
      failure = await launch(engine, storageDriver);
      if (failure)
        throw new Error(`dockerd did not start (overlay2: ${overlayFailure}; vfs: ${failure})`);
    }
    const docker = (args: string[]): Promise<string> => dockerCli(env, args);
    await importBusybox(dir, docker);
    return {
      dir,
      host: env.DOCKER_HOST,
      env,
      image: IMAGE,
      storageDriver,
      docker,
      stop: () => teardown(engine),
    };
  } catch (error) {
    await teardown(engine);
    throw error;
  }
}

interface Engine {
  dir: string;
  env: { DOCKER_HOST: string; DOCKER_CONFIG: string };
  child: ChildProcess | undefined;
}

/** Starts dockerd and waits until it answers; returns why it did not, or undefined. */
async function launch(
  engine: Engine,
  storageDriver: Dockerd['storageDriver'],
): Promise<string | undefined> {
  const { dir } = engine;
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    DOCKERD,
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--host',
      engine.env.DOCKER_HOST,
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--bridge=none',
      `--storage-driver=${storageDriver}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  engine.child = child;
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) return `exited early: ${logTail(dir)}`;
    const answered = await dockerCli(engine.env, ['version', '--format', '{{.Server.Version}}'])
      .then(() => true)
      .catch(() => false);
    if (answered) return undefined;
    await sleep(100);
  }
  return `no answer within ${READY_TIMEOUT_MS / 1000}s: ${logTail(dir)}`;
}

/** A ~2 MB image: busybox-static with every applet linked in /bin, /www/index.html and /etc/passwd. */
async function importBusybox(dir: string, docker: (args: string[]) => Promise<string>) {
  const root = join(dir, 'rootfs');
  for (const sub of ['bin', 'www', 'tmp', 'etc']) mkdirSync(join(root, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
  const applets = (await run(BUSYBOX, ['--list'])).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
  }
  writeFileSync(join(root, 'www/index.html'), 'hello-from-container\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  const tar = join(dir, 'rootfs.tar');
  await run('tar', ['-C', root, '-cf', tar, '.']);
  await docker(['import', tar, IMAGE]);
  rmSync(root, { recursive: true, force: true });
  rmSync(tar, { force: true });
}

/** Removes every container, stops dockerd, unmounts what it left and deletes the temp dir. */
async function teardown(engine: Engine): Promise<void> {
  if (engine.child && engine.child.exitCode === null && engine.child.signalCode === null) {
    const ids = await dockerCli(engine.env, ['ps', '--all', '--quiet']).catch(() => '');
    const list = ids.split('\n').filter(Boolean);
    if (list.length > 0) await dockerCli(engine.env, ['rm', '--force', ...list]).catch(() => '');
  }
  await shutdown(engine);
  await unmountUnder(engine.dir);
  rmSync(engine.dir, { recursive: true, force: true });
}

/** SIGTERM, then wait for the pid file to go: a zombie would make `kill -0` say it still runs. */
async function shutdown(engine: Engine): Promise<void> {
  const child = engine.child;
  if (!child) return;
  engine.child = undefined;
  const pidFile = join(engine.dir, 'dockerd.pid');
  const running = child.exitCode === null && child.signalCode === null;
  if (running) child.kill('SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (running && existsSync(pidFile) && Date.now() < deadline) await sleep(50);
  if (existsSync(pidFile)) {
    child.kill('SIGKILL');
    rmSync(pidFile, { force: true });
  }
  // The containerd that dockerd supervises, should dockerd have been killed before stopping it.
  const containerdPid = join(engine.dir, 'exec/containerd/containerd.pid');
  if (existsSync(containerdPid)) {
    const pid = Number.parseInt(readFileSync(containerdPid, 'utf8'), 10);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** dockerd leaves mounts behind (exec/netns/default is an nsfs mount; overlay mounts): innermost first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((target) => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) {
    await run('umount', [target]).catch(() => run('umount', ['-l', target]).catch(() => ''));
  }
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** A dynamically linked busybox would not run in an image with no libc. */
function assertStaticBusybox(): void {
  if (!existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static`);
  const header = Buffer.alloc(4096);
  const fd = openSync(BUSYBOX, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  // ELF64 little-endian: program headers at e_phoff, e_phnum entries of e_phentsize; PT_INTERP = 3.
  const phoff = Number(header.readBigUInt64LE(0x20));
  const entrySize = header.readUInt16LE(0x36);
  const count = header.readUInt16LE(0x38);
  for (let index = 0; index < count; index++) {
    const offset = phoff + index * entrySize;
    if (offset + 4 <= header.length && header.readUInt32LE(offset) === 3)
      throw new Error(`${BUSYBOX} is dynamically linked: apt-get install -y busybox-static`);
  }
}

function dockerCli(env: Engine['env'], args: string[]): Promise<string> {
  return run('docker', args, env);
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`${file} ${args.join(' ')} exited with ${String(code)}: ${stderr.trim()}`),
        );
    });
  });
}

function logTail(dir: string): string {
  const text = existsSync(join(dir, 'dockerd.log'))
    ? readFileSync(join(dir, 'dockerd.log'), 'utf8')
    : '';
  return (
    text
      .trim()
      .split('\n')
      .filter((line) => /level=(error|fatal)|failed/i.test(line))
      .slice(-3)
      .join(' | ') || 'no error in dockerd.log'
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
