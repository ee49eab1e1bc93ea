import type { Effect, LeftProcess } from '../adapters/adapter.js';
import type { Section } from '../schema/runbook.js';
import type { Alert } from '../schema/alert-payload.js';

/** The outcome of one step, as reported in events, the journal and `run --format json`. */
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'planned' | 'pending' | 'interrupted';

/** The outcome of a run. `declined`: a confirmation was refused; `pending`: a manual step awaits a person. */
export type RunStatus = 'succeeded' | 'failed' | 'declined' | 'pending' | 'interrupted';

export type RunMode = 'execute' | 'dry-run' | 'read-only';

/**
 * How the run was asked for (its plan, its approvals), where that is why the engine did something:
 * facts, which the CLI words in its own flags (src/report/engine-words.ts). The engine names none.
 */
export type Asked =
  /** The step comes before the one the plan starts from: it is skipped. */
  | { kind: 'before-from'; from: string }
  /** A read-only plan runs only read steps: this one is planned. */
  | { kind: 'read-only'; effect: Effect | 'manual' }
  /** The step asks for an approval nobody gave. `all_would_do`: approving every step would do. */
  | { kind: 'needs-approval'; step: string; all_would_do: boolean; severity: string | undefined }
  /** The plan asked for this section alone (the rollback, which otherwise runs on a failure). */
  | { kind: 'only'; section: Section }
  /** The step was approved before the run: by its id, or with every step. */
  | { kind: 'approved'; all: boolean }
  /** A manual step asks a question nobody was there to answer, and no answer was given with the
   * run (docs/format.md#answers). */
  | { kind: 'needs-answer'; step: string };

export interface StepRecord {
  id: string;
  name: string | undefined;
  section: Section;
  status: StepStatus;
  effect: Effect | 'manual';
  /** The exact command or request, redacted; undefined for manual steps. */
  command: string | undefined;
  exit_code: number | null;
  duration_ms: number;
  outputs: Record<string, unknown>;
  attempts: number;
  /** Why it failed, was skipped or is pending, in one line. */
  reason?: string;
  /** How the run was asked for, when that is why: worded after the reason (see Asked). */
  asked?: Asked;
  /** A plan's step whose `when:` it could not decide (it reads a value the plan does not have):
   * planned as if it held, on this condition. */
  condition?: string;
  /** A detection check whose expectation failed: the symptom is present. */
  finding?: boolean;
  /** A confirmation was refused or a manual step not acknowledged: the run stops (exit 3). */
  declined?: boolean;
  warnings?: string[];
  /** The names of outputs set by `capture:`. */
  captured?: string[];
  /** The last lines of stderr when the step failed, redacted. */
  stderr_tail?: string;
  /** It could not run at all: its program is missing, or its daemon or server did not answer. */
  unavailable?: boolean;
  /** How to fix what stopped it, when known. */
  hint?: string;
  /** Processes it started that were to be killed (a timeout, an interruption) but could not be. */
  left_running?: LeftProcess[];
  /** A `call:` step: the runbook it called, `id` or `id#section` (docs/format.md#sub-runbooks). */
  call?: string;
  /** A `for_each:` step (docs/format.md#loops-and-targets): its loop in words, e.g.
   * `for each of 3 items, 2 at once`, or `for each ${{ … }}` when a plan cannot know the list. */
  loop?: string;
  /** A `for_each:` step's record of each item, in the items' order. */
  items?: StepRecord[];
  /** An item a continued run took as it was: it completed in an earlier part (`runbook resume`),
   * so it did not run again. */
  restored?: boolean;
  /** One item of a `for_each:` step: which. */
  item?: ItemTag;
}

/** Which item of a `for_each:` step an event or record is about: its index from 0 and a short
 * label (a host's name, a text, or JSON cut short). */
export interface ItemTag {
  index: number;
  label: string;
}

/**
 * What continuing a run needs from its start (`runbook resume`): the file and steps it ran, and how
 * it was asked for, as facts. Secret values are never in it: secret variables are named only, and
 * read again from their environment variables when the run continues.
 */
export interface RunOrigin {
  /** SHA-256 of the runbook file's bytes, as the run read it (hex). */
  runbook_sha256: string;
  /** A hash of each step's definition, by step id: names the steps a changed file changed. */
  step_hashes: Record<string, string>;
  /** The directories the runbook was found in (absolute). */
  dirs: string[];
  /** The working directory the run's steps ran in. */
  cwd: string;
  /** The values given for non-secret variables, as given (strings, before coercion). */
  vars: Record<string, string>;
  /** Secret variables that had a value: their names only. */
  secret_vars: string[];
  /** The runbook environment whose values were used. */
  environment?: string;
  /** The sections asked for alone; all when absent. */
  only?: Section[];
  /** Steps approved by id before the run. */
  approved: string[];
  /** Every step that asks was approved before the run. */
  approve_all: boolean;
  /** The alert the run answers (`run --alert`), its labels and annotations bounded
   * (src/schema/alert-payload.ts, `journaledAlert`). */
  alert?: Alert;
  /** The variables whose values came from the alert, each to what it read (`labels.namespace`). */
  alert_vars?: Record<string, string>;
  /** Locks this run took from other runs: their holders, and whether they still ran (`--force`). */
  locks_taken_over?: Array<{
    name: string;
    run_id: string;
    user: string;
    host: string;
    since: string;
    still_running: boolean;
  }>;
}

export interface RunbookInfo {
  id: string;
  title: string;
  severity: string | undefined;
  service: string | undefined;
  file: string;
}

/** Everything the engine reports, in order. The engine never prints; the CLI renders these. */
export type EngineEvent =
  | {
      type: 'run.start';
      ts: string;
      run_id: string;
      runbook: RunbookInfo;
      mode: RunMode;
      vars: Record<string, unknown>;
      user: string;
      host: string;
      pid: number;
      /** The process's start time (clock ticks after boot, /proc): with the pid, names it. */
      pid_start?: string;
      journal: string | undefined;
      /** What `runbook resume` needs to continue the run; absent in older journals. */
      origin?: RunOrigin;
      /** The incident the run belongs to (`run --incident INC-123`). */
      incident?: string;
    }
  | {
      /**
       * A stopped run continued (`runbook resume`): the events after it are the run's next part,
       * in the same journal. `part` counts from 2 (the first part starts with run.start).
       */
      type: 'run.resume';
      ts: string;
      run_id: string;
      part: number;
      mode: RunMode;
      user: string;
      host: string;
      pid: number;
      pid_start?: string;
      /** The first step this part runs (the first that had not succeeded). */
      from_step: string | undefined;
      /** Steps of the first parts taken as they were, not run again. */
      restored?: string[];
      /** What the person continuing chose to go on despite (`--force`): completed steps whose
       * definition changed or went, and outputs later steps read that the journal does not hold. */
      overridden?: { changed_steps: string[]; unavailable_outputs: string[] };
    }
  | {
      type: 'section.start';
      ts: string;
      section: Section;
      /** Why the section runs, when that needs saying: in words, or as how the run was asked. */
      note?: string;
      asked?: Asked;
    }
  | {
      type: 'step.start';
      ts: string;
      section: Section;
      step: string;
      name: string | undefined;
      effect: Effect | 'manual';
      command: string | undefined;
      /** A for_each: step: its loop in words (StepRecord.loop). */
      loop?: string;
      /** One item of a for_each: step. */
      item?: ItemTag;
    }
  | {
      /** A process of the step has started: where to find it and its descendants should runbook
       * itself be killed meanwhile (src/exec/leftovers.ts reads these). */
      type: 'step.process';
      ts: string;
      section: Section;
      step: string;
      pid: number;
      pgid: number;
      /** The value of RUNBOOK_STEP_TOKEN in its environment and its descendants'. */
      token: string;
      /** One item of a for_each: step. */
      item?: ItemTag;
    }
  | {
      type: 'step.retry';
      ts: string;
      section: Section;
      step: string;
      attempt: number;
      of: number;
      reason: string;
      delay_ms: number;
      /** One item of a for_each: step. */
      item?: ItemTag;
    }
  | ({
      type: 'step.confirm';
      ts: string;
      step: string;
      approved: boolean;
      item?: ItemTag;
      /** A for_each: step asks once for all its items: their labels. */
      items?: string[];
    } & (
      | { by: string }
      /** Approved before the run: worded as the approval given. */
      | { asked: Asked }
    ))
  | {
      type: 'step.decision';
      ts: string;
      step: string;
      choice: 'retry' | 'skip' | 'abort';
      by: string;
    }
  | {
      /** The answer to a manual step's question (docs/format.md#answers): at the prompt, or given
       * with the run (`given_before`) by the person who started it. */
      type: 'step.answer';
      ts: string;
      step: string;
      /** What the answer is called: the input's name, or `answer`. */
      name: string;
      value: string;
      by: string;
      given_before: boolean;
      item?: ItemTag;
    }
  | {
      /** A person stopped the run at a failed resolution or verification step and was offered the
       * rollback: whether they had it run. */
      type: 'rollback.offer';
      ts: string;
      step: string;
      accepted: boolean;
      by: string;
    }
  | {
      type: 'escalation.due';
      ts: string;
      after: string;
      to: string;
      via?: string;
      contact?: string;
    }
  | { type: 'notify'; ts: string; purpose: 'start' | 'escalation'; ok: boolean; error?: string }
  | ({
      type: 'step.end';
      ts: string;
      /** Outputs whose value held a secret, hidden in the journal: not restorable on resume. */
      redacted_outputs?: string[];
      /** Outputs the journal cut short (past its bound): not restorable on resume. */
      cut_outputs?: string[];
    } & StepRecord)
  | { type: 'section.end'; ts: string; section: Section; status: 'succeeded' | 'failed' | 'halted' }
  | {
      type: 'run.end';
      ts: string;
      run_id: string;
      status: RunStatus;
      duration_ms: number;
      findings: string[];
      reason?: string;
      asked?: Asked;
    }
  | {
      /** A `call:` step starts the runbook it calls (docs/format.md#sub-runbooks): the steps until
       * its call.end are that runbook's, their ids `<step>/<called step id>`. */
      type: 'call.start';
      ts: string;
      /** The calling step's id (itself a path inside an outer call). */
      step: string;
      runbook: RunbookInfo;
      /** The one section called; the whole runbook when absent. */
      section?: Section;
      /** The called runbook's values (secrets redacted). */
      vars: Record<string, unknown>;
    }
  | {
      type: 'call.end';
      ts: string;
      step: string;
      status: 'succeeded' | 'failed' | 'halted';
      /** The called runbook's rollback ran, after one of its steps failed. */
      rolled_back?: boolean;
    }
  /** One item of a for_each: step ended (docs/format.md#loops-and-targets): its record, tagged
   * with the item. The step's own step.end follows its last item. */
  | ({ type: 'step.item'; ts: string; item: ItemTag } & StepRecord)
  | ({
      /** An escalation rule's event happened (docs/format.md#escalation): a step nobody
       * acknowledged in time, a step's failure, the rollback starting or failing. Once per rule
       * and run; a rule of `after:` is `escalation.due`. */
      type: 'escalation.triggered';
      ts: string;
    } & Omit<Escalated, 'at' | 'notified' | 'notify_error'>);

/** An escalation rule that fired during a run (`run --format json`'s `escalations`). */
export interface Escalated {
  /** The rule's `id:`, else its place: `escalation[2]`. */
  rule: string;
  /** When the rule fires, in words: `if nobody acknowledges fix within 15m`. */
  when: string;
  /** What happened, in words: `nobody acknowledged fix within 15m`. */
  reason: string;
  /** The step it is about, when there is one. */
  step?: string;
  to: string;
  via?: string;
  contact?: string;
  /** When it fired (ISO 8601). */
  at: string;
  /** Whether the team was told; absent when the severity policy sends nothing. */
  notified?: boolean;
  notify_error?: string;
}

export interface RunResult {
  run_id: string;
  runbook: RunbookInfo;
  mode: RunMode;
  status: RunStatus;
  reason: string | undefined;
  /** How the run was asked for, when that is why it stopped: worded after the reason. */
  asked?: Asked;
  steps: StepRecord[];
  findings: string[];
  duration_ms: number;
  journal: string | undefined;
  /** The journal could not be written (a full disk): why. A real run then starts no more steps. */
  journal_error?: string;
  /** The escalation rules that fired, in order (docs/format.md#escalation). */
  escalations?: Escalated[];
}
