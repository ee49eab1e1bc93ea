import type {
  ActionContext,
  ActionOutcome,
  Preflight,
  ProcessRequest,
  ProcessResult,
} from './adapter.js';
import { execute, findBinary } from '../exec/local.js';
import { processOutcome } from './process-outcome.js';
import { timeoutSignal } from '../common/abort.js';

/** Recognises, in a failed run of a tool, that the daemon or server it needs did not answer:
 * the tool's own message, and how to fix it. */
export type Unavailable = (result: ProcessResult) => { message: string; hint: string } | undefined;

/** The first line of `text` that matches, trimmed. */
export function lineMatching(text: string, pattern: RegExp): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => pattern.test(line));
}

/**
 * Runs a tool for an action and returns the common process outputs (stdout, stderr, exit_code,
 * json when stdout parses), with `parse` adding the tool's structured outputs when it succeeded.
 * A parse that throws fails the step with the parser's message instead of crashing the run.
 */
export async function runTool(
  ctx: ActionContext,
  request: ProcessRequest,
  parse?: (result: ProcessResult) => Record<string, unknown>,
  unavailable?: Unavailable,
): Promise<ActionOutcome> {
  const result = await ctx.exec(request);
  const outcome = processOutcome(result, ctx.timeoutMs);
  const down = outcome.ok || !unavailable ? undefined : unavailable(result);
  if (down) return { ...outcome, unavailable: true, error: down.message, hint: down.hint };
  if (parse && outcome.ok) {
    try {
      Object.assign(outcome.outputs, parse(result));
    } catch (error) {
      return {
        ...outcome,
        ok: false,
        error: `could not read the output of ${request.file}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  return outcome;
}

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

/** JSON Lines (one JSON value per line), skipping blank lines; throws on a line that is not JSON. */
export function parseJsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, index) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new Error(`line ${index + 1} is not JSON: ${line.slice(0, 80)}`);
      }
    });
}

/** The ssh client is on PATH (steps with `on:` need it); its version from `ssh -V`. */
export function sshPreflight(env: Record<string, string | undefined>): Promise<Preflight> {
  return binaryPreflight('ssh', env, {
    versionArgs: ['-V'],
    pickVersion: (output) => /OpenSSH_[^\s,]+/.exec(output)?.[0],
    hint: 'install an OpenSSH client (apt-get install openssh-client)',
  });
}
