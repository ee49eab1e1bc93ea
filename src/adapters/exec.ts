import { execa } from 'execa';

/** The only place that starts processes. Every child gets its own process group so that a
 * timeout or an interruption can kill the whole tree, not just the direct child. */
export interface ExecRequest {
  file: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  signal?: AbortSignal;
  /** How long a killed tree gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  maxBufferBytes?: number;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  interrupted: boolean;
  /** Set when the process could not be started or its output overflowed. */
  error: string | undefined;
}

const DEFAULT_GRACE_MS = 2000;

export async function execute(request: ExecRequest): Promise<ExecResult> {
  const started = performance.now();
  const child = execa(request.file, [...request.args], {
    reject: false,
    detached: true,
    stripFinalNewline: false,
    encoding: 'utf8',
    env: request.env ?? {},
    extendEnv: false,
    ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    maxBuffer: request.maxBufferBytes ?? 16 * 1024 * 1024,
    ...(request.input === undefined ? { stdin: 'ignore' as const } : { input: request.input }),
  });

  let abortReason: unknown;
  let graceTimer: NodeJS.Timeout | undefined;
  const killTree = (): void => {
    abortReason = request.signal?.reason;
    signalGroup(child.pid, 'SIGTERM');
    graceTimer = setTimeout(
      () => signalGroup(child.pid, 'SIGKILL'),
      request.killGraceMs ?? DEFAULT_GRACE_MS,
    );
    graceTimer.unref();
  };
  if (request.signal?.aborted) killTree();
  else request.signal?.addEventListener('abort', killTree, { once: true });

  const result = await child;
  request.signal?.removeEventListener('abort', killTree);
  if (graceTimer) clearTimeout(graceTimer);
  // A tree that outlived its leader (e.g. `sleep 60 &`) is still killed after a timeout.
  if (abortReason !== undefined) signalGroup(child.pid, 'SIGKILL');

  const timedOut = abortReason instanceof DOMException && abortReason.name === 'TimeoutError';
  const interrupted = abortReason !== undefined && !timedOut;
  let error: string | undefined;
  if (result.failed && result.exitCode === undefined && !result.signal) {
    error = describeSpawnFailure(
      request.file,
      result.originalMessage ?? result.shortMessage ?? String(result.code),
    );
  } else if (result.isMaxBuffer) {
    error = 'output exceeded the buffer limit';
  }
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? undefined,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    durationMs: Math.round(performance.now() - started),
    timedOut,
    interrupted,
    error,
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function describeSpawnFailure(file: string, message: string): string {
  if (/ENOENT/.test(message)) return `${file}: command not found (is it installed and on PATH?)`;
  if (/EACCES/.test(message)) return `${file}: permission denied`;
  return `${file}: could not start (${message})`;
}

/** Finds a binary on PATH without running anything. */
export async function findBinary(
  name: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const { join, isAbsolute } = await import('node:path');
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
