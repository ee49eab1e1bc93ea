import type { ActionContext } from '../../src/adapters/adapter.js';
import type { ProcessRequest, ProcessResult, ProcessRunner } from '../../src/exec/types.js';

/**
 * A process runner for tests that records every request and answers each one itself: with canned
 * results (recorded output of the real tool), or by handing the request on to a real runner. Unit
 * tests in src/ and integration tests use it wherever an action's `ctx.exec` is to be seen.
 */

/** What a request gets: the fields given, the rest those of a process that exited 0, silently. */
export type CannedResult = Partial<ProcessResult>;

/**
 * How requests are answered:
 * - one result: every request gets it;
 * - a table: the n-th request gets the n-th result, and a request past its end fails the test;
 * - a function: of the request and its index (0 for the first); it may hand the request on to a
 *   real runner (`(request) => localExec(scope)(request)`).
 */
export type Answer =
  | CannedResult
  | readonly CannedResult[]
  | ((request: ProcessRequest, index: number) => CannedResult | Promise<CannedResult>);

/** A request as data: the program, its arguments, and its environment and stdin when it had any. */
export interface RecordedCall {
  file: string;
  args: string[];
  env?: Record<string, string>;
  input?: string;
}

export interface RecordedExec {
  /** The runner to give an action (`ctx.exec`) or the engine. */
  readonly exec: ProcessRunner;
  /** Every request in order, as made (its signal and onStdout too). */
  readonly requests: readonly ProcessRequest[];
  /** Every request in order, as data. */
  calls(): RecordedCall[];
  /** The argv of every request in order: `[file, ...args]`. */
  argvs(): string[][];
  /** The one request made; throws unless exactly one was. */
  only(): RecordedCall;
}

/** A process that exited 0 with no output, as `localExec` reports one. */
export function processResult(result: CannedResult = {}): ProcessResult {
  return {
    exitCode: 0,
    signal: undefined,
    stdout: '',
    stderr: '',
    durationMs: 1,
    timedOut: false,
    interrupted: false,
    error: undefined,
    ...result,
  };
}

function asData(request: ProcessRequest): RecordedCall {
  return {
    file: request.file,
    args: [...request.args],
    ...(request.env === undefined ? {} : { env: { ...request.env } }),
    ...(request.input === undefined ? {} : { input: request.input }),
  };
}

export function recordedExec(answer: Answer = {}): RecordedExec {
  const requests: ProcessRequest[] = [];
  const exec: ProcessRunner = async (request) => {
    const index = requests.push(request) - 1;
    if (typeof answer === 'function') return processResult(await answer(request, index));
    if (!Array.isArray(answer)) return processResult(answer as CannedResult);
    const table = answer as readonly CannedResult[];
    const canned = table[index];
    if (canned === undefined)
      throw new Error(
        `request ${index + 1} (${[request.file, ...request.args].join(' ')}) past the ${table.length} canned results`,
      );
    return processResult(canned);
  };
  const calls = () => requests.map(asData);
  return {
    exec,
    requests,
    calls,
    argvs: () => requests.map((request) => [request.file, ...request.args]),
    only: () => {
      const [call, ...more] = calls();
      if (call === undefined || more.length > 0)
        throw new Error(`expected one request, got ${requests.length}`);
      return call;
    },
  };
}

/** What an action's context holds besides `exec`. */
export type ContextFields = Omit<ActionContext, 'exec'>;

/**
 * An action's context whose processes are recorded and answered by `answer`: no timeout, no host,
 * a signal never aborted, an empty environment and `/` as the directory, unless `fields` says
 * otherwise.
 */
export function recordingContext(
  answer?: Answer,
  fields: Partial<ContextFields> = {},
): { ctx: ActionContext; recorder: RecordedExec } {
  const recorder = recordedExec(answer);
  const ctx: ActionContext = {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: {},
    cwd: '/',
    host: undefined,
    ...fields,
    exec: recorder.exec,
  };
  return { ctx, recorder };
}
