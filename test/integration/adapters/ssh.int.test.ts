import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shell } from '../../../src/adapters/shell.js';
import { sshExec } from '../../../src/exec/ssh.js';
import { sshPreflight } from '../../../src/adapters/support/preflight.js';
import type { HostConfig } from '../../../src/schema/config.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { freePort } from '../../helpers/ports.js';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { timeoutSignal } from '../../../src/common/abort.js';

/**
 * `on: <host>` against a real OpenSSH server started here on 127.0.0.1, with its own host key,
 * authorized key and config. `ssh` on PATH is a wrapper that logs its argv, then runs the real one.
 */
const REAL_SSH = '/usr/bin/ssh';

const REMOTE = `
id: remote
title: Steps on a host over ssh
vars:
  out: { required: true }
  note: { default: plain }
  api_token: { secret: true, required: true }
diagnosis:
  - id: connection
    on: local-test
    run: echo "$SSH_CONNECTION"
    capture:
      client: outputs.stdout.split(" ")[0]
  - id: where
    on: local-test
    env: { GREETING: "hello from the step" }
    run: echo "$SSH_CONNECTION" > \${{ vars.out }}/where.txt && pwd >> \${{ vars.out }}/where.txt && echo "$GREETING" >> \${{ vars.out }}/where.txt
  - id: note
    on: local-test
    run: printf '%s' \${{ vars.note }} > \${{ vars.out }}/note.txt
  - id: note-argv
    on: local-test
    run: [printf, "%s", "\${{ vars.note }}"]
  - id: token
    on: local-test
    run: printf '%s' "\${{ vars.api_token }}" > \${{ vars.out }}/token.txt; tr '\\0' '\\n' < /proc/$$/cmdline > \${{ vars.out }}/cmdline.txt
  - id: exit-code
    on: local-test
    run: echo "about to fail" >&2; exit 7
    continue_on_error: true
`;

const UNREACHABLE = `
id: unreachable
title: Hosts that ssh cannot use
diagnosis:
  - id: closed-port
    on: nowhere
    run: echo hi
    continue_on_error: true
  - id: wrong-host-key
    on: impostor
    run: echo hi
`;

const SLOW = `
id: slow
title: A remote step that outlives its timeout
vars:
  seconds: { required: true }
diagnosis:
  - id: sleep
    on: local-test
    timeout: 1s
    run: sleep \${{ vars.seconds }}
`;

const BAD_HOSTS = `id: bad-hosts
title: Steps naming hosts that cannot be used
diagnosis:
  - id: restart
    on: local-tset
    run: systemctl restart api
  - id: probe
    on: local-test
    uses: http.get
    with: { url: "http://127.0.0.1:1/health" }
`;

interface JsonStep {
  id: string;
  status: string;
  command: string | null;
  exit_code: number | null;
  outputs: Record<string, unknown>;
  reason?: string;
}
interface JsonRun {
  run_id: string;
  status: string;
  exit_code: number;
  steps: JsonStep[];
}

/** The command lines of every live process on this machine (the "remote" host is this one). */
function commandLines(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return '';
      }
    });
}

function readTree(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe('on: <host> over a real sshd', () => {
  const dir = tempDir('rb-ssh-');
  const out = join(dir.path, 'out');
  const state = join(dir.path, 'state');
  const argvLog = join(dir.path, 'ssh-argv.log');
  const token = `tok-${process.pid}-s3cr3t-value`;
  const pwned = join(dir.path, 'pwned');
  const hostile = `x; touch ${pwned}-1 $(touch ${pwned}-2) \`touch ${pwned}-3\` 'q "dq \\ $HOME`;
  let sshd: Sshd | undefined;
  let port = 0;
  let closedPort = 0;
  let host: HostConfig;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    sshd = await startSshd(dir.path);
    port = sshd.port;
    closedPort = await freePort();
    writeFileSync(
      join(dir.path, 'impostor_known_hosts'),
      `[127.0.0.1]:${port} ${sshd.key('other_host_key')}\n`,
    );
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      [
        'hosts:',
        `  local-test: { host: 127.0.0.1, user: root, port: ${port}, identity_file: client_key, known_hosts_file: known_hosts }`,
        `  nowhere: { host: 127.0.0.1, user: root, port: ${closedPort}, identity_file: client_key, known_hosts_file: known_hosts, connect_timeout: 5 }`,
        `  impostor: { host: 127.0.0.1, user: root, port: ${port}, identity_file: client_key, known_hosts_file: impostor_known_hosts }`,
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir.path, 'runbooks'));
    mkdirSync(join(dir.path, 'invalid'));
    mkdirSync(out);
    writeFileSync(join(dir.path, 'runbooks/remote.yaml'), REMOTE);
    writeFileSync(join(dir.path, 'runbooks/unreachable.yaml'), UNREACHABLE);
    writeFileSync(join(dir.path, 'runbooks/slow.yaml'), SLOW);
    writeFileSync(join(dir.path, 'invalid/bad-hosts.yaml'), BAD_HOSTS);
    mkdirSync(join(dir.path, 'bin'));
    writeFileSync(
      join(dir.path, 'bin/ssh'),
      `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg"; done >> '${argvLog}'\necho '-- end of call --' >> '${argvLog}'\nexec ${REAL_SSH} "$@"\n`,
    );
    chmodSync(join(dir.path, 'bin/ssh'), 0o755);
    writeFileSync(argvLog, '');
    env = { PATH: `${join(dir.path, 'bin')}:${process.env.PATH ?? ''}`, RUNBOOK_STATE_DIR: state };
    host = {
      host: '127.0.0.1',
      user: 'root',
      port,
      identity_file: join(dir.path, 'client_key'),
      known_hosts_file: join(dir.path, 'known_hosts'),
    };
  });

  afterAll(async () => {
    await sshd?.stop();
    dir.remove();
  });

  const callsLogged = (): number =>
    readFileSync(argvLog, 'utf8')
      .split('\n')
      .filter((line) => line === '-- end of call --').length;

  it('finds the ssh client', async () => {
    const preflight = await sshPreflight({ PATH: process.env.PATH });
    expect(preflight).toMatchObject({ ok: true, binary: 'ssh' });
    expect(preflight.version).toMatch(/^OpenSSH_\d/);
  });

  it('runs an action remotely through ctx.exec, with its environment and its stdin', async () => {
    const base = {
      env: { PATH: process.env.PATH },
      cwd: dir.path,
      signal: timeoutSignal(20_000),
    };
    const outcome = await shell.actions.run.run(
      {
        command: ['sh', '-c', 'cat; set -- $SSH_CONNECTION; printf "%s|%s %s" "$NOTE" "$3" "$4"'],
        env: { NOTE: hostile },
        stdin: 'line one\nline two\n',
      },
      {
        ...base,
        timeoutMs: undefined,
        exec: sshExec('local-test', host, base),
        host: 'local-test',
      },
    );
    expect(outcome.error).toBeUndefined();
    // SSH_CONNECTION ("client port server port") is set only in a session sshd started.
    expect(outcome.outputs.stdout).toBe(`line one\nline two\n${hostile}|127.0.0.1 ${port}`);
    for (const suffix of ['-1', '-2', '-3']) expect(existsSync(`${pwned}${suffix}`)).toBe(false);
  });

  it('runs run: steps on the host: values arrive literally, secrets stay out of every argv and the journal, exit codes pass through', async () => {
    writeFileSync(argvLog, '');
    const result = await runCli(
      [
        'run',
        'remote',
        '--var',
        `out=${out}`,
        '--var',
        `note=${hostile}`,
        '--var',
        `api_token=${token}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as JsonRun;
    expect(doc.steps.map((step) => [step.id, step.status, step.exit_code])).toEqual([
      ['connection', 'succeeded', 0],
      ['where', 'succeeded', 0],
      ['note', 'succeeded', 0],
      ['note-argv', 'succeeded', 0],
      ['token', 'succeeded', 0],
      ['exit-code', 'failed', 7],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    const step = (id: string): JsonStep => doc.steps.find((s) => s.id === id) as JsonStep;

    // SSH_CONNECTION is set only in a session that sshd started; the remote shell starts in root's home.
    expect(step('connection').outputs.client).toBe('127.0.0.1');
    const [connection, cwd, greeting] = readFileSync(join(out, 'where.txt'), 'utf8').split('\n');
    expect(connection).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}$`));
    expect(cwd).toBe('/root');
    expect(greeting).toBe('hello from the step');

    expect(readFileSync(join(out, 'note.txt'), 'utf8')).toBe(hostile);
    expect(step('note-argv').outputs.stdout).toBe(hostile);
    for (const suffix of ['-1', '-2', '-3']) expect(existsSync(`${pwned}${suffix}`)).toBe(false);

    expect(readFileSync(join(out, 'token.txt'), 'utf8')).toBe(token);
    const remoteArgv = readFileSync(join(out, 'cmdline.txt'), 'utf8');
    expect(remoteArgv).toContain('RUNBOOK_VALUE_1');
    expect(remoteArgv).not.toContain(token);
    const argv = readFileSync(argvLog, 'utf8');
    expect(callsLogged()).toBe(6);
    expect(argv).not.toContain(token);
    expect(argv).toContain('BatchMode=yes');
    expect(step('token').command).toContain(`'\\''%s'\\'' "***" > ${out}/token.txt`);
    expect(result.stdout).not.toContain(token);
    const journal = readTree(state);
    expect(journal).toContain('"step.end"');
    expect(journal).not.toContain(token);

    expect(step('exit-code').reason).toBe('exited with code 7');
    expect(step('exit-code').outputs.stderr).toBe('about to fail');
  });

  it('fails with a clear error naming the host when ssh cannot connect or the host key does not match', async () => {
    const result = await runCli(['run', 'unreachable', '--format', 'json'], { cwd: dir.path, env });
    const doc = JSON.parse(result.stdout) as JsonRun;
    expect(result.code).toBe(1);
    expect(doc.status).toBe('failed');
    const reasons = Object.fromEntries(
      doc.steps.map((s) => [
        s.id,
        s.reason?.replaceAll(String(closedPort), 'PORT').replaceAll(String(port), 'SSHD'),
      ]),
    );
    expect(reasons).toMatchInlineSnapshot(`
      {
        "closed-port": "ssh to host "nowhere" (root@127.0.0.1:PORT) failed: connect to host 127.0.0.1 port PORT: Connection refused",
        "wrong-host-key": "ssh to host "impostor" (root@127.0.0.1:SSHD) failed: Host key verification failed.",
      }
    `);
  });

  it('kills the remote command when the step times out', async () => {
    const seconds = `37.${process.pid}`;
    const started = performance.now();
    const result = await runCli(
      ['run', 'slow', '--var', `seconds=${seconds}`, '--format', 'json'],
      {
        cwd: dir.path,
        env,
      },
    );
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as JsonRun;
    expect(doc.steps[0]).toMatchObject({
      status: 'failed',
      reason: 'timed out after 1.0s; its process tree was killed (1 process)',
    });
    // Far sooner than the 37 s the remote sleep would take, with room for a busy machine.
    expect(performance.now() - started).toBeLessThan(30_000);
    const remote = `sleep ${seconds}`;
    let left = commandLines().filter((line) => line === remote);
    for (let tries = 0; left.length > 0 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      left = commandLines().filter((line) => line === remote);
    }
    expect(left).toEqual([]);
  });

  it('reports an unknown host and on: with an HTTP action at file:line:col', async () => {
    const result = await runCli(['validate', 'invalid/bad-hosts.yaml'], { cwd: dir.path, env });
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatchInlineSnapshot(`
      "invalid/bad-hosts.yaml:5:9: error: unknown host "local-tset"
      5 |     on: local-tset
        |         ^
          hint: did you mean "local-test"? (hosts are listed under hosts: in runbook.config.yaml)

      invalid/bad-hosts.yaml:8:9: error: http.get runs here, not over ssh: on: does not apply to it
      8 |     on: local-test
        |         ^
          hint: remove on:, or make the request from that host with a run: step

      ✗ 2 errors in 1 of 1 file
      "
    `);
  });

  it('prints the full ssh command in a dry run and starts no ssh', async () => {
    writeFileSync(argvLog, '');
    const result = await runCli(
      [
        'run',
        'remote',
        '--dry-run',
        '--var',
        `out=${out}`,
        '--var',
        `api_token=${token}`,
        '--format',
        'json',
      ],
      { cwd: dir.path, env },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as JsonRun;
    const ssh = `ssh -o BatchMode=yes -o ConnectTimeout=10 -p ${port} -i ${join(dir.path, 'client_key')} -o UserKnownHostsFile=${join(dir.path, 'known_hosts')} -o StrictHostKeyChecking=yes root@127.0.0.1 --`;
    expect(doc.steps.map((s) => [s.id, s.status, s.command])).toEqual([
      ['connection', 'planned', `${ssh} 'echo "$SSH_CONNECTION"'`],
      [
        'where',
        'planned',
        `${ssh} 'echo "$SSH_CONNECTION" > ${out}/where.txt && pwd >> ${out}/where.txt && echo "$GREETING" >> ${out}/where.txt'`,
      ],
      ['note', 'planned', `${ssh} 'printf '\\''%s'\\'' plain > ${out}/note.txt'`],
      ['note-argv', 'planned', `${ssh} printf %s plain`],
      [
        'token',
        'planned',
        `${ssh} 'printf '\\''%s'\\'' "***" > ${out}/token.txt; tr '\\''\\0'\\'' '\\''\\n'\\'' < /proc/$$/cmdline > ${out}/cmdline.txt'`,
      ],
      ['exit-code', 'planned', `${ssh} 'echo "about to fail" >&2; exit 7'`],
    ]);
    expect(result.stdout).not.toContain(token);

    expect(callsLogged()).toBe(0);
  });
});
