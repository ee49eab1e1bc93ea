import type { z } from 'zod';
import { once } from '../common/once.js';
import type { OutputSpecs } from './outputs.js';

/** What a step may do to the world. Drives dry-run, read-only mode and confirmations. */
export type Effect = 'read' | 'write' | 'destructive';

export const EFFECT_RANK: Record<Effect, number> = { read: 0, write: 1, destructive: 2 };

export type {
  LeftProcess,
  ProcessRequest,
  ProcessResult,
  ProcessRunner,
  ProcessScope,
  ProcessWatch,
  SshHost,
  StartedProcess,
} from '../exec/types.js';
import type { LeftProcess, ProcessRequest, ProcessResult } from '../exec/types.js';

/** Everything an action may use while it runs. */
export interface ActionContext {
  /** Aborted on timeout or interruption; actions must stop their work (and process trees). */
  signal: AbortSignal;
  /** Step timeout in ms, when the step has one; the signal fires when it is spent. */
  timeoutMs: number | undefined;
  /** The environment for child processes: the caller's, plus the step's own `env:`. */
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Runs a process for the action — here, or on the step's `on:` host over ssh — in its own
   * process group, killed with its whole tree when `signal` fires. Adapters never spawn directly.
   */
  exec(request: ProcessRequest): Promise<ProcessResult>;
  /** The `on:` host the step runs on, or undefined when it runs here. */
  host: string | undefined;
}

/**
 * The same shape whether the action passed or failed: outcomes are values.
 * `ok` is the action's own verdict (exit code 0, HTTP status < 400); a step's `expect` may override it.
 */
export interface ActionOutcome {
  ok: boolean;
  exitCode: number | null;
  outputs: Record<string, unknown>;
  /** Why it failed, in one line, for people. */
  error?: string;
  /** Raw streams for the failure display (the tail is shown, redacted). */
  stdout?: string;
  stderr?: string;
  timedOut?: boolean;
  interrupted?: boolean;
  /**
   * The action could not run at all: its program is missing, or the daemon or server it talks to
   * does not answer. `error` is then the tool's own message. Nothing it returned is an answer, so
   * no expression reads its outputs, and `check` grades it UNKNOWN, never CRITICAL.
   */
  unavailable?: boolean;
  /** How to fix what made it unavailable, when the action knows. */
  hint?: string;
  /** Processes it started that were to be killed and could not be ended. */
  survivors?: LeftProcess[];
}

export interface Preflight {
  ok: boolean;
  binary?: string;
  path?: string;
  version?: string;
  problem?: string;
  hint?: string;
}

/** An action as registered: its `with:` schema, effect, and how to describe and run it. */
export interface Action<S extends z.ZodType = z.ZodType> {
  summary: string;
  input: S;
  effect: Effect;
  /** Every output it can give, by name (docs/adapters.md#outputs): validation refuses others. */
  outputs: OutputSpecs;
  /** The exact command line or request this input would make. Secrets are redacted by the engine. */
  describe(input: z.output<S>): string;
  run(input: z.output<S>, ctx: ActionContext): Promise<ActionOutcome>;
  /** It works from here (a request, not a process), so a step's `on:` cannot apply to it. */
  local?: boolean;
  /**
   * The engine replaces known secrets with `***` in the rendered input before `run()` sees it,
   * except in the keys listed: for actions that send their input on (a chat message must not carry
   * a password), while a credential they need, such as a webhook URL, is kept.
   */
  redactInput?: { except: readonly string[] };
  /** Inputs whose text is code for the tool; see CodeInputs. */
  codeInputs?: CodeInputs;
  /** Whether outputs given rather than run (`runbook test`) mean success, as `run()` decides it
   * from the same outputs: an HTTP status of 400 or more fails. See OkOf. */
  okOf?: OkOf;
}

/** Whether an action with these outputs succeeded, and why not; undefined when they do not say. */
export type OkOf = (
  outputs: Readonly<Record<string, unknown>>,
) => { ok: true } | { ok: false; error: string } | undefined;

/**
 * Inputs whose text the tool runs as code (psql's `sql`, the command string of shell.run).
 * `validate` reports a `${{ }}` in one as an error, since its value would become code; `hint` says
 * how that expression's value gets in instead. The boolean input named by `allowedBy`, when there
 * is one, turns the error into a warning (an error again under --strict).
 */
export interface CodeInputs {
  keys: readonly string[];
  allowedBy?: string;
  hint(expression: string): string;
}

/** Type-erased action, as stored in an adapter's map. */
export interface AnyAction {
  summary: string;
  input: z.ZodType;
  effect: Effect;
  /** Every output it can give; undefined for a third-party action, whose outputs are not known. */
  outputs?: OutputSpecs;
  describe(input: unknown): string;
  run(input: unknown, ctx: ActionContext): Promise<ActionOutcome>;
  local?: boolean;
  redactInput?: { except: readonly string[] };
  codeInputs?: CodeInputs;
  okOf?: OkOf;
}

/** An HTTP action's success by its `status` output, as the http and curl adapters decide it. */
export const httpStatusOk: OkOf = (outputs) => {
  const status = outputs.status;
  if (typeof status !== 'number') return undefined;
  return status > 0 && status < 400 ? { ok: true } : { ok: false, error: `HTTP ${status}` };
};

export interface Adapter {
  name: string;
  summary: string;
  /** The binary this adapter shells out to, if any. */
  binary?: string;
  actions: Record<string, AnyAction>;
  /** Whether the adapter can work here (binary present, version). Never changes anything. */
  preflight(ctx: { env: Record<string, string | undefined> }): Promise<Preflight>;
}

/** Like defineAction, with the input schema built on first use: for an action that runs on every
 * start (shell.run), whose schema a run of `run:` steps never needs. */
export function defineLazyAction<S extends z.ZodType>(
  buildInput: () => S,
  action: Omit<Action<S>, 'input'>,
): AnyAction {
  const input = once(buildInput);
  return defineAction({
    ...action,
    get input() {
      return input();
    },
  });
}

/** Declares an action with a typed input, stored type-erased (its input is parsed by `input` first). */
export function defineAction<S extends z.ZodType>(action: Action<S>): AnyAction {
  return {
    summary: action.summary,
    // Read through, not copied: defineLazyAction's input is built on first use.
    get input() {
      return action.input;
    },
    effect: action.effect,
    outputs: action.outputs,
    describe: (input) => action.describe(input as z.output<S>),
    run: (input, ctx) => action.run(input as z.output<S>, ctx),
    ...(action.local === undefined ? {} : { local: action.local }),
    ...(action.redactInput === undefined ? {} : { redactInput: action.redactInput }),
    ...(action.codeInputs === undefined ? {} : { codeInputs: action.codeInputs }),
    ...(action.okOf === undefined ? {} : { okOf: action.okOf }),
  };
}
