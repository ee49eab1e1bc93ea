export interface PlannedStep {
  id: string;
  section: string;
  status: string;
  effect: string;
  command: string | null;
  /** A manual step's instruction, the values `dry_run:` assumes; absent when there are none. */
  outputs?: Record<string, unknown>;
  /** The `when:` it is planned on, when the plan could not decide it. */
  condition?: string;
  reason?: string;
}

export interface RunClock {
  id: string;
  startedAt: string;
}

export function runClock(doc: { run_id: string; journal: string | null }): RunClock;
export function clockWords(text: string, clock: RunClock): string;
export function plannedStep(
  step: {
    id: string;
    section: string;
    status: string;
    effect: string;
    command: string | null;
    outputs?: Record<string, unknown>;
    condition?: string;
    reason?: string;
  },
  clock: RunClock,
): PlannedStep;
