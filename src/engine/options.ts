import type { AdapterRegistry } from '../adapters/registry.js';
import type { HostConfig } from '../schema/config.js';
import type { Runbook, Section } from '../schema/runbook.js';
import type { RunMode, RunOrigin, StepRecord } from './events.js';
import type { ActionResults, EventSink, ProcessPort, Prompter } from './ports.js';
import type { Redactor } from './redact.js';
import type { ResolvedVars } from './vars.js';
import type { Alert } from '../schema/alert-payload.js';

/** What every step of a run sees: the runbook, its values, and where its processes run. */
export interface RunContext {
  runbook: Runbook;
  /** The runbook's file, as reported. */
  file: string;
  runId: string;
  vars: ResolvedVars;
  /** Hides the run's secrets in every event, record and command (redact.ts). */
  redactor: Redactor;
  registry: AdapterRegistry;
  /** Hosts for `on:`, from runbook.config.yaml (and the inventory's, which it does not name). */
  hosts: Record<string, HostConfig>;
  /** The inventory's groups, host names by group name (`for_each: { group }`); absent without
   * an inventory. */
  groups?: Readonly<Record<string, readonly string[]>>;
  /** The environment of the steps' processes. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Stops the run: running steps are ended, and no other starts. */
  signal: AbortSignal;
  /** The alert the run answers (`run --alert`, docs/format.md#alert-payloads). */
  alert?: Alert;
}

/** What the engine is handed to reach the world (ports.ts). */
export interface Ports {
  processes: ProcessPort;
  /** Asks a person; absent when no one can answer. */
  prompter?: Prompter;
  /** Where events go: the journal and the view. */
  events?: EventSink;
  /** Gives each action's result instead of running it (`runbook test`); absent in real runs. */
  results?: ActionResults;
  /** Waits for another person's approval of a step with `approval:`; absent: it is declined. */
  approver?: Approver;
}

/**
 * Waits until another person approves a step (`approval: { by }`): who did, or why it will not be
 * (no one can approve it here, the run was interrupted).
 */
export type Approver = (
  request: { step: string; by: string; runner: string },
  signal: AbortSignal,
) => Promise<{ by: string } | { refused: string }>;

/** Which steps a run runs, and whether for real. */
export interface Plan {
  mode: RunMode;
  /** The sections to run; all when absent. */
  only?: ReadonlySet<Section>;
  /** Skip every step before this one. */
  from?: string;
  /** Continue a stopped run (its next part) rather than start one. */
  resume?: Resume;
}

/** A stopped run continued: what its first parts completed is taken as it was, not run again. */
export interface Resume {
  /** The part this is (2 for the first continuation). */
  part: number;
  /** The records of the steps that completed, from the journal: their status and outputs are
   * restored (`steps.<id>.outputs.<name>`, `when:`), and they do not run again. */
  completed: readonly StepRecord[];
  /** The first step this part runs. */
  from: string | undefined;
  /** The items of `for_each:` steps that did not complete, that succeeded in an earlier part:
   * by step id. An item the list gives again at the same place (index and label) is taken as it
   * was, not run again (docs/commands.md#resume). */
  items?: ReadonlyMap<string, readonly StepRecord[]>;
  /** Manual steps the person continuing has acknowledged already. */
  acknowledged: ReadonlySet<string>;
  /** What the person continuing chose to go on despite (recorded in run.resume). */
  overridden?: { changed_steps: string[]; unavailable_outputs: string[] };
  /** The escalation rules of `when:` that fired in the first parts: a rule fires once a run. */
  escalated?: ReadonlySet<string>;
}

/** Approvals given before the run, for the steps that ask (destructive, or `confirm: true`). */
export interface Approvals {
  /** Steps approved by id. */
  steps: ReadonlySet<string>;
  /** Every step that asks is approved (but see `allCoversDestructive`). */
  all: boolean;
  /** False when the runbook's severity policy says `all` does not approve destructive steps. */
  allCoversDestructive: boolean;
  /** Steps the person continuing a run approved as they did (recorded as theirs). */
  byPerson?: ReadonlySet<string>;
  /** for_each: steps approved once for all their items (loop.ts): their items do not ask. */
  forEach?: ReadonlySet<string>;
}

/** What the severity policy tells the team, as facts (redacted): the CLI words and sends it. */
export type TeamNews = { runbook: { id: string; title: string }; run: string } & (
  | {
      purpose: 'start';
      user: string;
      /** The runbook's own `communication.initial`, rendered, when it has one. */
      text: string | undefined;
    }
  | ({ purpose: 'escalation'; to: string; via: string | undefined } & (
      | { after: string }
      /** A rule of `when:` (docs/format.md#escalation): what happened, and the rule's name. */
      | { reason: string; rule: string }
    ))
);

/** Tells the team. */
export type Notify = (news: TeamNews) => Promise<{ ok: boolean; error?: string }>;

/** What the runbook's severity policy asks of a real run. */
export interface RunPolicy {
  /** Remind (and notify) when the runbook's escalation thresholds pass during the run. */
  escalationTimers: boolean;
  /** Tells the team, at the start and when an escalation is due; absent when it asks not to. */
  notify?: Notify;
}

/** Running single steps (`runbook check`): the run's context and ports, no plan, no policy. */
export interface StepOptions extends RunContext {
  ports: Ports;
  /** None when absent: a step that asks is asked of the prompter, or else declined. */
  approvals?: Approvals;
  /** Answers to manual steps' questions given with the run, by step id (already checked against
   * their patterns and choices); the others are asked of the prompter, or else stay pending. */
  answers?: ReadonlyMap<string, string>;
  /** Retry delays are not waited (`runbook test`, whose results are given, not awaited). */
  noDelays?: boolean;
  /** The time as expressions see it, standing still (`runbook test`, docs/testing.md): the run's
   * `run.started_at` and a manual step's `acknowledged_at`, as an ISO 8601 UTC time. The real
   * time when absent. */
  fixedTime?: string;
}

/** A runbook a `call:` step may reach, loaded before the run (src/schema/load-calls.ts). */
export interface CallableRunbook {
  /** Its file, as reported. */
  file: string;
  runbook: Runbook;
}

/** A whole run (`runbook run`). */
export interface EngineOptions extends StepOptions {
  /** The runbooks its `call:` steps reach, by id (docs/format.md#sub-runbooks); none when absent. */
  calls?: ReadonlyMap<string, CallableRunbook>;
  plan: Plan;
  /** The severity policy; none when absent. */
  policy?: RunPolicy;
  /** What continuing the run later needs (recorded in run.start). */
  origin?: RunOrigin;
  /** The incident the run belongs to (recorded in run.start). */
  incident?: string;
  /** The start time of this process (/proc), recorded with its pid. */
  pidStart?: string;
}
