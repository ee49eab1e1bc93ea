// The process types of the floor layer: what is asked of a process, and what it gave back. The
// adapters, the engine and the CLI use them; this layer imports nothing above it
// (docs/architecture.md).

/** A process an action wants run. Secrets go in `env` or `input`, never in `args`. */
export interface ProcessRequest {
  file: string;
  args: readonly string[];
  /** Added to the step's environment for this process only. */
  env?: Record<string, string>;
  input?: string;
  /** Stops this process early (a bounded stream, say); the step's own signal always applies too. */
  signal?: AbortSignal;
  /** Sees stdout as it arrives, for an action that stops a stream once it has what it needs. */
  onStdout?: (chunk: Buffer) => void;
}

/** What a finished process gave back; a failure is a value, not an exception. */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  interrupted: boolean;
  /** Set when the process could not be started, or its output overflowed. */
  error: string | undefined;
  /** The program could not be started at all (not found, not executable). */
  notStarted?: boolean;
  /** Set when its processes were stopped (a timeout, an interruption, an overflow): how many were
   * ended, and those that could not be. */
  stopped?: {
    ended: number;
    survivors: LeftProcess[];
    /** Its output stayed open after all of them were gone: a process that could not be found
     * (out of its session, without its token) holds it; it was no longer waited for. */
    outputHeld?: boolean;
  };
}

/** A process a step started that could not be ended. */
export interface LeftProcess {
  pid: number;
  /** Its command line, shortened. */
  command: string;
}

/** Runs one process: here, or on another host over ssh. */
export type ProcessRunner = (request: ProcessRequest) => Promise<ProcessResult>;

/** What every process of a step shares: its environment, directory, and the signal that stops it. */
export interface ProcessScope {
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
}

/** An `on:` host, as runbook.config.yaml describes it (file paths already resolved). */
export interface SshHost {
  host: string;
  user?: string | undefined;
  port?: number | undefined;
  identity_file?: string | undefined;
  known_hosts_file?: string | undefined;
  connect_timeout?: number | undefined;
  options?: string[] | undefined;
}

/** Told of each process as it starts: a killed run's leftovers are found from these. */
export interface ProcessWatch {
  /** Starts each process's token: `<prefix>.<random>`, so that one run's processes share it. */
  tokenPrefix: string;
  started(process: StartedProcess): void;
}

export interface StartedProcess {
  pid: number;
  /** Its process group (its own: it is spawned detached). */
  pgid: number;
  /** The value of RUNBOOK_STEP_TOKEN that it and all its descendants carry. */
  token: string;
}
