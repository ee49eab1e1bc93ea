import { readdirSync, readFileSync } from 'node:fs';
import { monotonicMs } from '../common/clock.js';

// A step's processes are found in /proc by three marks, so that one that left the step's process
// group (setsid, a double fork, nohup) is found all the same:
// - its session or process group is the step's own (exec.ts spawns each process detached, the
//   leader of a new session);
// - its parent chain leads to one of the step's processes (while the chain lasts: an orphan is
//   reparented to init, and Node cannot make itself a subreaper, prctl being out of its reach);
// - its environment holds the step's token, RUNBOOK_STEP_TOKEN, which every descendant inherits
//   across setsid, double forks and reparenting, unless it clears its own environment.
// A scan reads every process's stat and environ: a few milliseconds, so it is done only when a
// step's processes must be stopped or a dead run's are looked for, never when a step ends normally.

/** The environment variable that marks every process started under one step. */
export const TOKEN_VARIABLE = 'RUNBOOK_STEP_TOKEN';

/** A process of a step, as reported to people. */
export interface FoundProcess {
  pid: number;
  /** Its command line, shortened. */
  command: string;
}

/** One line of /proc/<pid>/stat, the fields used here. */
interface Stat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Clock ticks after boot: with the pid, names one process even once the pid is reused. */
  start: string;
}

const PROC = '/proc';
const COMMAND_CHARS = 80;
const TOKEN_KEY = Buffer.from(`${TOKEN_VARIABLE}=`, 'latin1');

/** /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`${PROC}/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '',
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
    start: fields[19] ?? '',
  };
}

/** Alive: it exists, is the same process (start time) and is not a zombie waiting to be reaped. */
export function isAlive(pid: number, start: string): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.start === start && stat.state !== 'Z' && stat.state !== 'X';
}

/** Clock ticks per second of /proc's start times (USER_HZ: 100 on every Linux Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * When a live process started: its start time as /proc gives it (clock ticks after boot, which with
 * the pid names one process even once the pid is reused), and as a wall-clock time (milliseconds
 * since the epoch, to within a few ticks), to compare with a time a journal recorded. Undefined
 * when there is no such process or it is a zombie. Without /proc, a process that exists is
 * reported with neither (it cannot be told from a later one with its pid).
 */
export function processStart(pid: number): { ticks?: string; ms?: number } | undefined {
  const stat = readStat(pid);
  if (!stat) {
    if (readStat(process.pid)) return undefined;
    try {
      process.kill(pid, 0);
      return {};
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? {} : undefined;
    }
  }
  if (stat.state === 'Z' || stat.state === 'X') return undefined;
  let uptime = NaN;
  try {
    uptime = Number(readFileSync(`${PROC}/uptime`, 'latin1').split(' ')[0]);
  } catch {
    // The start time alone still names the process.
  }
  const ticks = stat.start;
  if (!Number.isFinite(uptime)) return { ticks };
  const bootMs = Date.now() - uptime * 1000;
  return { ticks, ms: bootMs + (Number(ticks) * 1000) / TICKS_PER_SECOND };
}

/** The value of RUNBOOK_STEP_TOKEN in a process's environment, when it has one and we may read it. */
export function tokenOf(pid: number): string | undefined {
  let environ: Buffer;
  try {
    environ = readFileSync(`${PROC}/${pid}/environ`);
  } catch {
    return undefined;
  }
  for (let at = environ.indexOf(TOKEN_KEY); at !== -1; at = environ.indexOf(TOKEN_KEY, at + 1)) {
    if (at > 0 && environ[at - 1] !== 0) continue;
    const end = environ.indexOf(0, at);
    return environ.toString('latin1', at + TOKEN_KEY.length, end === -1 ? environ.length : end);
  }
  return undefined;
}

/**
 * The token in `value` that `token` marks: the token itself, or one it starts (`<token>.<more>`).
 * A value lists the tokens of enclosing steps too (a runbook run by a step), comma-separated.
 */
export function matchToken(value: string | undefined, token: string): string | undefined {
  return value?.split(',').find((each) => each === token || each.startsWith(`${token}.`));
}

/** A process's command line, shortened, for messages. */
export function commandOf(pid: number): string {
  let text = '';
  try {
    text = readFileSync(`${PROC}/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
  } catch {
    // Gone meanwhile.
  }
  if (text === '') {
    try {
      const stat = readFileSync(`${PROC}/${pid}/stat`, 'utf8');
      text = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    } catch {
      text = '?';
    }
  }
  return text.length > COMMAND_CHARS ? `${text.slice(0, COMMAND_CHARS - 1)}…` : text;
}

/** Every live process but this one, or none when /proc cannot be read. */
function scanAll(): Stat[] {
  let names: string[];
  try {
    names = readdirSync(PROC);
  } catch {
    return [];
  }
  const stats: Stat[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') stats.push(stat);
  }
  return stats;
}

/** What stopping a step's processes came to. */
export interface StopReport {
  /** How many were ended. */
  ended: number;
  /** Those still alive after SIGKILL: another user's (EPERM), or stuck in the kernel. */
  survivors: FoundProcess[];
  /** The output stayed open after all were gone, held by a process that could not be found. */
  outputHeld?: boolean;
}

/** Where to look for a step's processes. */
export interface StepSelector {
  /** Each the pid of a process the step started, spawned as the leader of a session and group. */
  groups: readonly number[];
  /** RUNBOOK_STEP_TOKEN values (or what they start with) that mark the step's processes. */
  tokens: readonly string[];
  /** Processes found before (pid and start time), to be counted among them. */
  known?: ReadonlyArray<{ pid: number; start: string }>;
  /** A start time (clock ticks) before which none of them can have started. */
  since?: string;
}

/**
 * The processes of a step: those in the sessions and process groups of its `groups`, those
 * carrying one of its `tokens`, and their descendants. Remembers each one found, so that it can
 * tell later whether they are gone.
 */
export class StepProcesses {
  readonly #tokens: readonly string[];
  readonly #groups: ReadonlySet<number>;
  readonly #found = new Map<number, string>();
  #since = 0;

  constructor(selector: StepSelector) {
    this.#tokens = selector.tokens;
    this.#groups = new Set(selector.groups);
    for (const { pid, start } of selector.known ?? []) this.#found.set(pid, start);
    if (selector.since !== undefined) this.startedSince(selector.since);
  }

  /** Only processes started at `start` (clock ticks) or later can be the step's: the environment
   * of the others, the machine's long-lived processes, is never read. */
  startedSince(start: string | undefined): void {
    const ticks = Number(start);
    if (Number.isFinite(ticks)) this.#since = ticks;
  }

  #ours(stat: Stat): boolean {
    const groups = this.#groups;
    if (groups.has(stat.pid) || groups.has(stat.pgid) || groups.has(stat.sid)) return true;
    if (this.#found.get(stat.pid) === stat.start) return true;
    if (Number(stat.start) < this.#since) return false;
    const value = tokenOf(stat.pid);
    return value !== undefined && this.#tokens.some((token) => matchToken(value, token));
  }

  /** Scans /proc for the step's live processes. */
  find(): Stat[] {
    const all = scanAll();
    const members = new Map<number, Stat>();
    const children = new Map<number, Stat[]>();
    for (const stat of all) {
      const siblings = children.get(stat.ppid);
      if (siblings) siblings.push(stat);
      else children.set(stat.ppid, [stat]);
      if (this.#ours(stat)) members.set(stat.pid, stat);
    }
    const queue = [...members.values()];
    for (let next = queue.pop(); next; next = queue.pop()) {
      for (const child of children.get(next.pid) ?? []) {
        if (members.has(child.pid)) continue;
        members.set(child.pid, child);
        queue.push(child);
      }
    }
    for (const stat of members.values()) this.#found.set(stat.pid, stat.start);
    return [...members.values()];
  }

  /** Sends the signals to the root's group and to every live process of the step; how many there were. */
  signal(...signals: NodeJS.Signals[]): number {
    const found = this.find();
    for (const signal of signals) {
      for (const group of this.#groups) send(-group, signal);
      for (const stat of found) send(stat.pid, signal);
    }
    return found.length;
  }

  /** SIGKILLs the step's processes, scanning again until none is found (one may fork meanwhile). */
  kill(): void {
    for (let round = 0; round < KILL_ROUNDS; round++) if (this.signal('SIGKILL') === 0) return;
  }

  /** The processes found so far that are still alive. */
  alive(): FoundProcess[] {
    return [...this.#found]
      .filter(([pid, start]) => isAlive(pid, start))
      .map(([pid]) => ({ pid, command: commandOf(pid) }));
  }

  /** How many processes were found in all. */
  get count(): number {
    return this.#found.size;
  }

  /** SIGTERM, then SIGKILL for what is left after `graceMs`; reports who could not be ended. */
  async stop(graceMs: number): Promise<StopReport> {
    this.signal('SIGTERM', 'SIGCONT'); // a stopped process handles SIGTERM only once it runs
    await waitUntil(() => this.find().length === 0, graceMs);
    this.kill();
    return this.settle(SETTLE_MS);
  }

  /** After kill(): waits (up to `ms`) for the processes found to be gone; reports who is not. */
  async settle(ms: number): Promise<StopReport> {
    await waitUntil(() => this.alive().length === 0, ms);
    const survivors = this.alive();
    return { ended: this.count - survivors.length, survivors };
  }
}

const KILL_ROUNDS = 10;
/** After SIGKILL, how long the processes found may take to be gone before they are reported. */
export const SETTLE_MS = 1000;
const POLL_MS = 50;

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already, or not ours to signal (it is then reported as a survivor).
  }
}

/** Polls `condition` until it holds (true) or `ms` have passed (false). */
export async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = monotonicMs() + ms;
  for (;;) {
    if (condition()) return true;
    const left = deadline - monotonicMs();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/** `its process tree was killed (2 processes); 1 could not be ended: pid 1234 sleep 3001`. */
export function describeStop(report: StopReport | undefined): string {
  let text = 'its process tree was killed';
  if (report === undefined) return text;
  if (report.ended > 0) text += ` (${plural(report.ended, 'process', 'processes')})`;
  if (report.survivors.length > 0)
    text += `; ${report.survivors.length} could not be ended: ${report.survivors
      .map((survivor) => `pid ${survivor.pid} ${survivor.command}`)
      .join(', ')}`;
  if (report.outputHeld)
    text +=
      '; its output was still held open by a process it could not find (out of its session, without RUNBOOK_STEP_TOKEN)';
  return text;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
