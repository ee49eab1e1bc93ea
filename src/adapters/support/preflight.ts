import type { Preflight } from '../adapter.js';
import { execute, findBinary } from '../../exec/local.js';
import { timeoutSignal } from '../../common/abort.js';

/**
 * Preflight for an adapter that shells out to one binary: found on PATH, and its version from
 * `versionArgs` (first line of output, or what `pickVersion` extracts). Runs nothing else.
 */
export async function binaryPreflight(
  binary: string,
  env: Record<string, string | undefined>,
  options: {
    versionArgs?: readonly string[];
    pickVersion?: (output: string) => string | undefined;
    hint?: string;
  } = {},
): Promise<Preflight> {
  const path = await findBinary(binary, env);
  if (!path) {
    return {
      ok: false,
      binary,
      problem: `${binary} is not on PATH`,
      hint: options.hint ?? `install ${binary}`,
    };
  }
  if (!options.versionArgs) return { ok: true, binary, path };
  const result = await execute({
    file: path,
    args: options.versionArgs,
    env,
    signal: timeoutSignal(10_000),
  });
  const output = `${result.stdout}\n${result.stderr}`.trim();
  const version = options.pickVersion
    ? options.pickVersion(output)
    : (output.split('\n')[0] ?? '').trim();
  if (result.exitCode !== 0 && !version) {
    return {
      ok: false,
      binary,
      path,
      problem: `${binary} ${options.versionArgs.join(' ')} failed: ${result.error ?? output.split('\n')[0] ?? 'no output'}`,
    };
  }
  return version ? { ok: true, binary, path, version } : { ok: true, binary, path };
}

/** The ssh client is on PATH (steps with `on:` need it); its version from `ssh -V`. */
export function sshPreflight(env: Record<string, string | undefined>): Promise<Preflight> {
  return binaryPreflight('ssh', env, {
    versionArgs: ['-V'],
    pickVersion: (output) => /OpenSSH_[^\s,]+/.exec(output)?.[0],
    hint: 'install an OpenSSH client (apt-get install openssh-client)',
  });
}
