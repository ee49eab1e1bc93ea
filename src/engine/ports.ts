import type {
  ActionOutcome,
  AnyAction,
  Effect,
  ProcessRunner,
  ProcessScope,
  ProcessWatch,
  SshHost,
} from '../adapters/adapter.js';
import type { Question } from '../schema/answers.js';
import type { Section, Step } from '../schema/runbook.js';
import type { EngineEvent } from './events.js';

// The engine's ports: what the CLI hands it to reach processes and people (docs/architecture.md).

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

/**
 * Where each action's result comes from instead of running the action (`runbook test`,
 * docs/testing.md): the engine asks it once per try, with the step's rendered command, and judges
 * what it returns by `capture:`, `expect:` and `retry.until` as it would a real result.
 */
export type ActionResults = (request: {
  section: Section;
  step: Step;
  /** The step's action (for `run:` steps, shell.run). */
  action: AnyAction;
  /** The try, from 1 (a step's `retry:` tries again). */
  attempt: number;
  /** The exact command or request, redacted, as the step would have run it. */
  command: string;
  /** The step's timeout, when it has one. */
  timeoutMs: number | undefined;
}) => GivenOutcome;

/** A result given by the `results` port. */
export interface GivenOutcome extends ActionOutcome {
  /** Taken as it is, not judged: no `capture:`, `expect:` or `retry.until` applies to it (a step
   * a scenario does not list runs as its dry run shows it, docs/testing.md). */
  asShown?: boolean;
}

/** What a person chose for a failed step. */
export type FailureChoice = 'retry' | 'skip' | 'abort';

/** How the engine asks a person. Supplied by the CLI in interactive runs; absent otherwise. */
export interface Prompter {
  /** A confirmation before a step; `typed` asks the person to type the step id (destructive steps). */
  confirm(request: {
    step: string;
    name: string | undefined;
    command: string | undefined;
    effect: Effect;
    typed: boolean;
  }): Promise<boolean>;
  /** A step failed in an interactive run: retry it, skip it (recorded), or stop the run. */
  onFailure?(request: {
    step: string;
    name: string | undefined;
    section: Section;
    reason: string;
    command: string | undefined;
    stderrTail: string | undefined;
  }): Promise<FailureChoice>;
  /**
   * A manual step that asks a question (docs/format.md#answers): its instruction, then the
   * question. `check` says why an answer is not accepted (it does not match the pattern), or
   * undefined. Resolves with the answer and who gave it, or false to stop the run.
   */
  ask?(request: {
    step: string;
    name: string | undefined;
    text: string;
    question: Question;
    check: (value: string) => string | undefined;
  }): Promise<{ value: string; by: string } | false>;
  /** The person stopped the run at a failed resolution or verification step: run the rollback
   * (these steps) now? Defaults to no. */
  offerRollback?(request: { step: string; steps: string[] }): Promise<boolean>;
  /** A manual instruction; resolves with who acknowledged it, or false to stop. */
  acknowledge(request: {
    step: string;
    name: string | undefined;
    text: string;
  }): Promise<{ by: string } | false>;
}

/** Where the engine's events go, each redacted: the run's journal first, then the view. */
export interface EventSink {
  /** The run's journal, when it has one. */
  journal?: JournalPort;
  /** Shows an event, journaled or not. */
  show(event: EngineEvent): void;
}

/** An append-only record of the run's events (journal.ts). */
export interface JournalPort {
  readonly path: string;
  /** Throws StateIoError when the event could not be written: a real run then starts no step. */
  write(event: EngineEvent): void;
}
