import { readdirSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LeftProcess } from './types.js';
import {
  commandOf,
  matchToken,
  readStat,
  StepProcesses,
  tokenOf,
  type StopReport,
} from './process-tree.js';
import { readOwnFile, secureDir, writeAtomic } from '../common/state-files.js';

// A run that is killed outright (SIGKILL, a crash) cannot stop its steps' processes. So while a
// run may start processes, `running/<run-id>.json` says so; the journal records each process as
// it starts (step.process: pid, process group, token), and every process of the run carries a
// RUNBOOK_STEP_TOKEN that starts with the run id (src/exec/process-tree.ts). The next run
// reads that small directory: a record whose runbook process is gone points at what it left.

/** `running/<run-id>.json`: a run whose steps may have processes running. */
interface RunningEntry {
  run_id: string;
  runbook: string;
  host: string;
  /** runbook's own process, and its start time (a reused pid is not taken for it). */
  pid: number;
  pid_start: string;
  /** What every RUNBOOK_STEP_TOKEN of its processes starts with. */
  token: string;
}

/** The record of a run in progress; removed when the run ends. */
export class RunningRecord {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Undefined where processes cannot be looked for (no /proc). Throws StateIoError. */
  static create(stateDir: string, runId: string, runbook: string): RunningRecord | undefined {
    const self = readStat(process.pid);
    if (!self) return undefined;
    const entry: RunningEntry = {
      run_id: runId,
      runbook,
      host: hostname(),
      pid: process.pid,
      pid_start: self.start,
      token: runId,
    };
    const path = join(secureDir(stateDir, 'running'), `${runId}.json`);
    writeAtomic(path, `${JSON.stringify(entry)}\n`);
    return new RunningRecord(path);
  }

  remove(): void {
    removeFile(this.path);
  }
}

/** Processes of one step of an earlier run that are still running with nothing to stop them. */
export interface Leftover {
  run_id: string;
  runbook: string;
  /** The step that started them; undefined when the journal does not say. */
  step: string | undefined;
  /** Process groups of the step with a process still in them. */
  groups: number[];
  processes: Array<LeftProcess & { start: string }>;
  /** The command that ends them: `kill -- -1234 1240` (its groups, and its processes outside them). */
  kill: string;
  /** The tokens of the step's processes, to find them again (and their children) to end them. */
  tokens: string[];
  /** When its run started (clock ticks): none of its processes started before. */
  since: string;
}

/**
 * Leftovers of runs that are not running any more, on this host. A record whose processes are all
 * gone is removed. Cheap when there is nothing to find: one directory listing.
 */
export function findLeftovers(stateDir: string): Leftover[] {
  const dir = join(stateDir, 'running');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  } catch {
    return [];
  }
  const leftovers: Leftover[] = [];
  for (const name of names) {
    const record = join(dir, name);
    const entry = parseEntry(readOwnFile(record));
    if (!entry || entry.host !== hostname()) continue;
    const runner = readStat(entry.pid);
    if (runner && runner.start === entry.pid_start && runner.state !== 'Z') continue;
    const found = leftoversOf(entry, stateDir);
    if (found.length === 0) removeFile(record);
    leftovers.push(...found);
  }
  return leftovers;
}

/** Ends a leftover as a step's timeout does: SIGTERM, then SIGKILL after the grace. Its records
 * are removed by the next findLeftovers() once nothing of theirs runs. */
export function endLeftover(leftover: Leftover, graceMs = 2000): Promise<StopReport> {
  const { groups, tokens, processes: known, since } = leftover;
  return new StepProcesses({ groups, tokens, known, since }).stop(graceMs);
}

interface Exec {
  step: string;
  pgid: number;
  /** Its step has not ended, or ended with processes it could not end. */
  open: boolean;
}

/** The processes a dead run left, by step. Those of a step that ended normally were meant to run
 * on (a daemon it started), and are not leftovers. */
function leftoversOf(entry: RunningEntry, stateDir: string): Leftover[] {
  const execs = readExecs(join(stateDir, 'runs', `${entry.run_id}.jsonl`));
  const byGroup = new Map([...execs].map(([token, exec]) => [exec.pgid, token]));
  const steps = new Map<string | undefined, Leftover>();
  const outside = new Map<Leftover, number[]>();
  const found = new StepProcesses({
    groups: [],
    tokens: [entry.token],
    since: entry.pid_start,
  }).find();
  const members = new Map(found.map((stat) => [stat.pid, stat]));
  // A process without the token (it cleared its environment) belongs to its nearest ancestor's.
  const tokenFor = (stat: (typeof found)[number]): string | undefined => {
    for (let each: typeof stat | undefined = stat; each; each = members.get(each.ppid)) {
      const token = matchToken(tokenOf(each.pid), entry.token);
      if (token !== undefined) return token;
    }
    return byGroup.get(stat.pgid);
  };
  for (const stat of found) {
    const token = tokenFor(stat);
    const exec = token === undefined ? undefined : execs.get(token);
    if (exec && !exec.open) continue;
    const step = exec?.step;
    let leftover = steps.get(step);
    if (!leftover) {
      leftover = {
        run_id: entry.run_id,
        runbook: entry.runbook,
        step,
        groups: [],
        processes: [],
        kill: '',
        tokens: [],
        since: entry.pid_start,
      };
      steps.set(step, leftover);
      outside.set(leftover, []);
    }
    leftover.processes.push({ pid: stat.pid, command: commandOf(stat.pid), start: stat.start });
    if (token !== undefined && !leftover.tokens.includes(token)) leftover.tokens.push(token);
    if (!byGroup.has(stat.pgid)) outside.get(leftover)?.push(stat.pid);
    else if (!leftover.groups.includes(stat.pgid)) leftover.groups.push(stat.pgid);
  }
  for (const leftover of steps.values()) {
    leftover.processes.sort((a, b) => a.pid - b.pid);
    leftover.groups.sort((a, b) => a - b);
    const pids = (outside.get(leftover) ?? []).sort((a, b) => a - b);
    leftover.kill = `kill -- ${[...leftover.groups.map((group) => `-${group}`), ...pids].join(' ')}`;
  }
  return [...steps.values()];
}

/** The run's processes from its journal (step.process events), and whether each step ended. */
function readExecs(journal: string): Map<string, Exec> {
  const execs = new Map<string, Exec>();
  for (const line of (readOwnFile(journal) ?? '').split('\n')) {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line
    }
    if (event.type === 'step.process' && typeof event.token === 'string')
      execs.set(event.token, { step: String(event.step), pgid: Number(event.pgid), open: true });
    // A step that ended with every process ended (or finished) closes its processes.
    // (A for_each: step's item ends as step.item: docs/format.md#loops-and-targets.)
    if (
      (event.type === 'step.end' || event.type === 'step.item') &&
      !Array.isArray(event.left_running)
    )
      for (const exec of execs.values()) if (exec.step === event.id) exec.open = false;
  }
  return execs;
}

function parseEntry(text: string | undefined): RunningEntry | undefined {
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as Partial<RunningEntry>;
    if (
      typeof entry.run_id === 'string' &&
      /^[\w.-]+$/.test(entry.run_id) &&
      typeof entry.runbook === 'string' &&
      typeof entry.host === 'string' &&
      typeof entry.pid === 'number' &&
      typeof entry.pid_start === 'string' &&
      typeof entry.token === 'string' &&
      entry.token.length > 0
    )
      return entry as RunningEntry;
  } catch {
    // Not a record of ours.
  }
  return undefined;
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Removed already (by another run's check).
  }
}
