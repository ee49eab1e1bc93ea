import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type {
  ProcessRequest,
  ProcessResult,
  ProcessRunner,
  ProcessScope,
  ProcessWatch,
} from './types.js';
import { monotonicMs } from '../common/clock.js';

export type { ProcessWatch, StartedProcess } from './types.js';
import { readStat, SETTLE_MS, StepProcesses, TOKEN_VARIABLE, waitUntil } from './process-tree.js';
import { isTimeout, linkSignal } from '../common/abort.js';

/** The only place that starts processes. Every child gets its own process group (and session)
 * and a token in its environment, so that a timeout or an interruption can end the whole tree,
 * including what left the group (src/exec/process-tree.ts). */
export interface ExecRequest {
  file: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  signal?: AbortSignal;
  /** Sees stdout as it arrives (it is collected all the same). */
  onStdout?: (chunk: Buffer) => void;
  /** How long a killed tree gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  maxBufferBytes?: number;
  /** Told when the process has started, so that a run can record what it may leave running. */
  watch?: ProcessWatch;
}

/** A run's view of the processes its steps start. */

export type ExecResult = ProcessResult;

const DEFAULT_GRACE_MS = 2000;
/** After SIGKILL, how long the output pipes may stay open before they are given up on. */
const PIPE_GRACE_MS = 500;
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/** The steps' processes being stopped or running, for an exit that cannot wait (a second signal). */
const running = new Set<StepProcesses>();

/**
 * Runs a process to completion, buffering its output; outcomes are values, never exceptions.
 * This is Node's own child_process rather than execa: a step is one spawn, and execa's wrapper
 * measured 0.6–1.2 ms per spawn on top of it (bench/), more than the rest of the engine.
 */
export function execute(request: ExecRequest): Promise<ExecResult> {
  const started = monotonicMs();
  const env = request.env ?? {};
  const token = `${request.watch?.tokenPrefix ?? 'rb'}.${randomWord()}${randomWord()}`;
  const outer = env[TOKEN_VARIABLE];
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(request.file, [...request.args], {
        detached: true,
        // A runbook run by a step keeps its caller's token too, so that its processes are found
        // when the caller's step is stopped.
        env: { ...env, [TOKEN_VARIABLE]: outer ? `${outer},${token}` : token },
        ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
        stdio: [request.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      // Arguments no process can take: a failure, not an exception. Node's message quotes the
      // value, which may be a secret.
      const nul = [...request.args, ...Object.values(env)].some((value) => value?.includes('\0'));
      resolve({
        exitCode: null,
        signal: undefined,
        stdout: '',
        stderr: '',
        durationMs: 0,
        timedOut: false,
        interrupted: false,
        error: nul
          ? `${request.file}: could not start: an argument or environment value holds a NUL character`
          : `${request.file}: could not start (${(error as NodeJS.ErrnoException).code ?? 'invalid arguments'})`,
      });
      return;
    }
    const tree =
      child.pid === undefined
        ? undefined
        : new StepProcesses({ groups: [child.pid], tokens: [token] });
    if (tree) running.add(tree);
    if (child.pid !== undefined) request.watch?.started({ pid: child.pid, pgid: child.pid, token });
    const limit = request.maxBufferBytes ?? DEFAULT_MAX_BUFFER;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let overflow = false;
    let spawnError: Error | undefined;
    let abortReason: unknown;
    let stopping = false;
    let closed = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    // SIGTERM to every process of the step; SIGKILL for what is left after the grace (at once if
    // nothing is); then the pipes are given up on if a process that could not be found (one that
    // left the session and cleared its environment) still holds them open.
    const stop = async (): Promise<void> => {
      if (stopping || !tree) return;
      stopping = true;
      // Its processes started after it (or, once it has been reaped, after runbook itself).
      tree.startedSince(readStat(exit === undefined ? (child.pid ?? 0) : process.pid)?.start);
      tree.signal('SIGTERM', 'SIGCONT'); // a stopped process handles SIGTERM only once it runs
      await waitUntil(() => tree.find().length === 0, request.killGraceMs ?? DEFAULT_GRACE_MS);
      tree.kill();
      const released = await waitUntil(() => closed, PIPE_GRACE_MS);
      if (!released) {
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
      const report = await tree.settle(SETTLE_MS);
      finish(exit?.code ?? null, exit?.signal ?? null, {
        ...report,
        ...(released ? {} : { outputHeld: true }),
      });
    };
    const onAbort = (): void => {
      abortReason = request.signal?.reason ?? new Error('aborted');
      void stop();
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        if (!overflow) void stop();
        overflow = true;
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    if (request.onStdout) child.stdout?.on('data', request.onStdout);
    child.stderr?.on('data', collect(stderr));
    if (request.input !== undefined) {
      child.stdin?.on('error', () => undefined); // a child that exits without reading its input
      child.stdin?.end(request.input);
    }
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener('abort', onAbort, { once: true });

    let settled = false;
    const finish = (
      code: number | null,
      signal: NodeJS.Signals | null,
      stopped?: ProcessResult['stopped'],
    ): void => {
      if (settled) return;
      settled = true;
      if (tree) running.delete(tree);
      request.signal?.removeEventListener('abort', onAbort);
      const timedOut = isTimeout(abortReason);
      let error: string | undefined;
      if (spawnError) error = describeSpawnFailure(request.file, spawnError);
      else if (overflow)
        error = `output exceeded ${Math.round(limit / 1024 / 1024)} MiB; the process was killed`;
      resolve({
        exitCode: spawnError ? null : code,
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: Math.round(monotonicMs() - started),
        timedOut,
        interrupted: abortReason !== undefined && !timedOut,
        error,
        ...(spawnError ? { notStarted: true } : {}),
        ...(stopped ? { stopped } : {}),
      });
    };
    child.on('error', (error) => {
      spawnError = error;
      if (child.pid === undefined) finish(null, null);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.on('close', (code, signal) => {
      closed = true;
      exit ??= { code, signal };
      if (!stopping) finish(code, signal);
    });
  });
}

/** Kills every step process still running, at once: for an exit that cannot wait for them. */
export function killRunningNow(): void {
  for (const tree of running) tree.kill();
}

/** Eight random base-36 characters (node:crypto would cost start-up time on every run). */
function randomWord(): string {
  return Math.floor(Math.random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
}

/** The local `exec` of an action context: the step's environment, directory and signal. */
export function localExec(context: ProcessScope, watch?: ProcessWatch): ProcessRunner {
  return async (request: ProcessRequest) => {
    const linked = linkSignal([context.signal, request.signal]);
    try {
      return await execute({
        file: request.file,
        args: request.args,
        env: { ...context.env, ...request.env },
        cwd: context.cwd,
        signal: linked.signal,
        ...(request.input === undefined ? {} : { input: request.input }),
        ...(request.onStdout === undefined ? {} : { onStdout: request.onStdout }),
        ...(watch === undefined ? {} : { watch }),
      });
    } finally {
      linked.dispose();
    }
  };
}

function describeSpawnFailure(file: string, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${file}: command not found (is it installed and on PATH?)`;
  if (code === 'EACCES') return `${file}: permission denied`;
  return `${file}: could not start (${error.message})`;
}

/** Finds a binary on PATH without running anything. */
export async function findBinary(
  name: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  // Synchronous: a few access() calls on local directories; node:fs/promises would cost every start
  // 2 ms to load.
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return Promise.resolve(undefined);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a program attached to this terminal (a shell for the person at the keyboard) and waits. */
export function runInteractive(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string | undefined>; cwd: string },
): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], { stdio: 'inherit', env: options.env, cwd: options.cwd });
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
}
