import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REMOTE_RUNNER } from '../../../src/exec/ssh.js';

// What a host runs for a step with on: (src/exec/ssh.ts), run here by a local sh standing in for
// the sshd session process: the command must not outlive that process, however the session ends.

let dir: string;
/** Process groups of the sessions a test started: killed whatever the test's outcome. */
const groups: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-ssh-runner-'));
});
afterEach(() => {
  for (const group of groups.splice(0)) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone: the runner killed its group, as it should.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command the runner starts: writes its pid, then sleeps far longer than any test waits. */
function sleeper(pidFile: string): string[] {
  return ['sh', '-c', `echo $$ > '${pidFile}'; exec sleep 37.${process.pid}`];
}

describe('the remote runner of on: steps', () => {
  it('passes the environment script and the exit code of the command through', async () => {
    const child = spawn(
      'sh',
      ['-c', REMOTE_RUNNER, 'sh', 'sh', '-c', 'echo "$GREETING"; cat; exit "$CODE"'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    child.stdin?.end("2\nexport GREETING='hello world'\nexport CODE=7\nthe input\n");
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await exited(child)).toBe(7);
    expect(out).toBe('hello world\nthe input\n');
  });

  it('kills the command once the session process that started it is gone', async () => {
    const pidFile = join(dir, 'pid');
    // The session: starts the runner in the background, then waits for a line on stdin and exits.
    const session = spawn(
      'sh',
      ['-c', 'printf "0\\n" | sh -c "$0" sh "$@" & read -r _', REMOTE_RUNNER, ...sleeper(pidFile)],
      { detached: true, stdio: ['pipe', 'ignore', 'inherit'] },
    );
    groups.push(session.pid ?? 0);
    const pid = await until('the command to start', () =>
      existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n')
        ? Number(readFileSync(pidFile, 'utf8'))
        : undefined,
    );
    expect(alive(pid)).toBe(true);
    const gone = exited(session);
    session.stdin?.end('bye\n');
    await gone;
    await until('the command to be killed', () => (alive(pid) ? undefined : true));
    await until('the session to be gone', () => (groupAlive(session.pid ?? 0) ? undefined : true));
  });

  it('kills the command when its session was gone before the runner started', async () => {
    const pidFile = join(dir, 'pid');
    const gate = join(dir, 'gate');
    const input = join(dir, 'input');
    writeFileSync(input, '0\n');
    const mkfifo = spawn('mkfifo', [gate], { stdio: 'inherit' });
    expect(await exited(mkfifo)).toBe(0);
    // The session leaves behind a process that starts the runner only after the session is gone,
    // as when a client goes away while sshd is still starting the command.
    const session = spawn(
      'sh',
      [
        '-c',
        '(read -r _ < "$GATE"; exec sh -c "$0" sh "$@" < "$INPUT") & exit 0',
        REMOTE_RUNNER,
        ...sleeper(pidFile),
      ],
      { detached: true, stdio: 'ignore', env: { ...process.env, GATE: gate, INPUT: input } },
    );
    groups.push(session.pid ?? 0);
    expect(await exited(session)).toBe(0);
    const opener = spawn('sh', ['-c', 'echo go > "$GATE"'], {
      stdio: 'inherit',
      env: { ...process.env, GATE: gate },
    });
    expect(await exited(opener)).toBe(0);
    // The runner may kill its command before it gets as far as writing its pid: what counts is
    // that nothing of the session stays, its command included.
    await until('the session to be gone', () => (groupAlive(session.pid ?? 0) ? undefined : true));
    // Killed, the command may still be a zombie for a moment, or have died before its pid was
    // written whole: waited for (it would sleep far past the wait were it left running).
    const commandAlive = (): boolean => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '';
      return text.endsWith('\n') && alive(Number(text));
    };
    await until('the command to be gone', () => (commandAlive() ? undefined : true));
  });
});
