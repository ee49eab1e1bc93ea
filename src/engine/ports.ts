import type { ProcessRunner, ProcessScope, ProcessWatch, SshHost } from '../adapters/adapter.js';

/**
 * How the engine reaches processes. It never starts one itself: the CLI hands it this port, made
 * of src/exec (docs/architecture.md), and tests may hand it another.
 */
export interface ProcessPort {
  /** The runner of one step's processes: here, or on an `on:` host over ssh. */
  runner(
    target: { name: string; host: SshHost } | undefined,
    scope: ProcessScope,
    watch: ProcessWatch,
  ): ProcessRunner;
  /** How a command run on a host is shown to people. */
  describeRemote(host: SshHost, description: string): string;
  /** Where a program is on PATH, without running anything. */
  findBinary(name: string, env: Record<string, string | undefined>): Promise<string | undefined>;
}
