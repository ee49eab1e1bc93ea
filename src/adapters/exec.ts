import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ActionContext, ProcessRequest, ProcessResult } from './adapter.js';

/** The only place that starts processes. Every child gets its own process group so that a
 * timeout or an interruption can kill the whole tree, not just the direct child. */
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
}

export type ExecResult = ProcessResult;

const DEFAULT_GRACE_MS = 2000;
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/**
 * Runs a process to completion, buffering its output; outcomes are values, never exceptions.
 * This is Node's own child_process rather than execa: a step is one spawn, and execa's wrapper
 * measured 0.6–1.2 ms per spawn on top of it (bench/), more than the rest of the engine.
 */
export function execute(request: ExecRequest): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(request.file, [...request.args], {
        detached: true,
        env: request.env ?? {},
        ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
        stdio: [request.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      // Arguments no process can take: a failure, not an exception. Node's message quotes the
      // value, which may be a secret.
      const nul = [...request.args, ...Object.values(request.env ?? {})].some((value) =>
        value?.includes('\0'),
      );
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
    const limit = request.maxBufferBytes ?? DEFAULT_MAX_BUFFER;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let overflow = false;
    let spawnError: Error | undefined;
    let abortReason: unknown;
    let graceTimer: NodeJS.Timeout | undefined;

    const killTree = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(
        () => signalGroup(child.pid, 'SIGKILL'),
        request.killGraceMs ?? DEFAULT_GRACE_MS,
      );
      graceTimer.unref();
    };
    const onAbort = (): void => {
      abortReason = request.signal?.reason ?? new Error('aborted');
      killTree();
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        if (!overflow) killTree();
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
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      request.signal?.removeEventListener('abort', onAbort);
      if (graceTimer) clearTimeout(graceTimer);
      // A tree that outlived its leader (e.g. `sleep 60 &`) is still killed after an abort.
      if (abortReason !== undefined) signalGroup(child.pid, 'SIGKILL');
      const timedOut = abortReason instanceof DOMException && abortReason.name === 'TimeoutError';
      let error: string | undefined;
      if (spawnError) error = describeSpawnFailure(request.file, spawnError);
      else if (overflow)
        error = `output exceeded ${Math.round(limit / 1024 / 1024)} MiB; the process was killed`;
      resolve({
        exitCode: spawnError ? null : code,
        signal: signal ?? undefined,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: Math.round(performance.now() - started),
        timedOut,
        interrupted: abortReason !== undefined && !timedOut,
        error,
        ...(spawnError ? { notStarted: true } : {}),
      });
    };
    child.on('error', (error) => {
      spawnError = error;
      if (child.pid === undefined) finish(null, null);
    });
    child.on('close', finish);
  });
}

/** The local `exec` of an action context: the step's environment, directory and signal. */
export function localExec(
  context: Pick<ActionContext, 'env' | 'cwd' | 'signal'>,
): ActionContext['exec'] {
  return (request: ProcessRequest) =>
    execute({
      file: request.file,
      args: request.args,
      env: { ...context.env, ...request.env },
      cwd: context.cwd,
      signal: request.signal ? AbortSignal.any([context.signal, request.signal]) : context.signal,
      ...(request.input === undefined ? {} : { input: request.input }),
      ...(request.onStdout === undefined ? {} : { onStdout: request.onStdout }),
    });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
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
  if (isAbsolute(name)) {
    return access(name, constants.X_OK).then(
      () => name,
      () => undefined,
    );
  }
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    const found = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  return undefined;
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
