import { readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type ProcessRequest,
} from './adapter.js';
import { argvWord } from './support/argv-word.js';
import { formatArgv, shellQuote } from '../common/quote.js';
import { binaryPreflight } from './support/preflight.js';
import { lineMatching } from './support/lines.js';
import { runTool, type Unavailable } from './support/run-tool.js';

const DEFAULT_LOG_LINES = 100;
const MAX_LOG_LINES = 10_000;

const pm2Home = z
  .string()
  .min(1)
  .optional()
  .describe("PM2_HOME for this call (default: the step environment's PM2_HOME, else ~/.pm2)");

// pm2 reads `pm2 restart -- <app>` as no app at all (checked with pm2 7): values that start with
// "-" are refused instead.
const app = z
  .union([argvWord('an app'), z.int().nonnegative()])
  .transform(String)
  .describe('App name, pm_id, namespace, or "all", as pm2 accepts them');

const path = argvWord('a path');

const appInput = z.strictObject({ app, pm2_home: pm2Home });

const restartInput = z.strictObject({
  app,
  update_env: z
    .boolean()
    .optional()
    .describe('Pass --update-env: the app takes the environment of this step'),
  pm2_home: pm2Home,
});

const statusInput = z.strictObject({
  app: app.optional().describe('Only this app (name, pm_id or namespace); default: every process'),
  pm2_home: pm2Home,
});

const scaleInput = z.strictObject({
  app,
  instances: z
    .union([z.int().min(1), z.string().regex(/^[+-]?[1-9]\d*$/)])
    .transform(String)
    .describe('How many instances to run, or +N / -N relative to now'),
  pm2_home: pm2Home,
});

const startInput = z
  .strictObject({
    ecosystem: path
      .optional()
      .describe('An ecosystem file (ecosystem.config.js, .json or .yaml) to start'),
    only: app.optional().describe('With ecosystem: start only this app of the file (--only)'),
    script: path.optional().describe('The script to start; needs name'),
    name: argvWord('a name').optional().describe('Name of the app started from script'),
    instances: z
      .union([z.int().min(1), z.literal('max'), z.string().regex(/^[1-9]\d*$/)])
      .transform(String)
      .optional()
      .describe('Run in cluster mode with this many instances ("max": one per CPU)'),
    max_memory_restart: z
      .union([z.int().min(1), z.string().regex(/^\d+[KMG]?$/i)])
      .transform(String)
      .optional()
      .describe('Restart when memory passes this, e.g. 300M (bytes when a number)'),
    max_restarts: z
      .union([z.int().nonnegative(), z.string().regex(/^\d+$/)])
      .transform(Number)
      .optional()
      .describe('Unstable restarts before pm2 gives up and marks the app errored'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .optional()
      .describe('Environment variables for the app, passed through the environment of pm2 start'),
    pm2_home: pm2Home,
  })
  .superRefine((input, ctx) => {
    if ((input.ecosystem === undefined) === (input.script === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either ecosystem or script (with name)' });
    if (input.script !== undefined && input.name === undefined)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'script needs a name' });
    if (input.only !== undefined && input.ecosystem === undefined)
      ctx.addIssue({ code: 'custom', path: ['only'], message: 'only goes with ecosystem' });
  });

const logsInput = z.strictObject({
  app,
  lines: z
    .union([z.int().min(1).max(MAX_LOG_LINES), z.string().regex(/^[1-9]\d{0,4}$/)])
    .transform(Number)
    .optional()
    .describe(`Last lines of each log file (default ${DEFAULT_LOG_LINES})`),
  stream: z.enum(['out', 'err']).optional().describe('Only stdout (out) or stderr (err) logs'),
  pm2_home: pm2Home,
});

type StartInput = z.output<typeof startInput>;
type LogsInput = z.output<typeof logsInput>;

const count = z.number().catch(0);
const optionalNumber = z.number().optional().catch(undefined);
const optionalString = z.string().optional().catch(undefined);

/** The fields read from one `pm2 jlist` entry. Unknown keys are dropped: `pm2_env` carries the
 * app's whole environment (its secrets too), and none of it may reach outputs or logs. */
const jlistEntry = z.object({
  pid: count,
  name: z.string(),
  pm_id: z.number(),
  monit: z.object({ memory: count, cpu: count }).catch({ memory: 0, cpu: 0 }),
  pm2_env: z.object({
    status: z.string().catch('unknown'),
    namespace: z.string().catch('default'),
    exec_mode: z.string().catch('fork_mode'),
    restart_time: count,
    unstable_restarts: count,
    pm_uptime: optionalNumber,
    created_at: optionalNumber,
    exit_code: optionalNumber,
    pm_exec_path: optionalString,
    pm_cwd: optionalString,
    exec_interpreter: optionalString,
    node_version: optionalString,
    version: optionalString,
    pm_out_log_path: optionalString,
    pm_err_log_path: optionalString,
    autorestart: z.boolean().optional().catch(undefined),
    max_memory_restart: optionalNumber,
    max_restarts: optionalNumber,
  }),
});

export type JlistEntry = z.output<typeof jlistEntry>;

/** One pm2 process as actions report it: state and resource use, never its environment. */
export interface Pm2Process {
  name: string;
  pm_id: number;
  namespace: string;
  /** online | stopping | stopped | launching | errored | waiting restart | one-launch-status */
  status: string;
  /** 0 when not running. */
  pid: number;
  /** Percent of one CPU. */
  cpu: number;
  /** Resident memory in bytes. */
  memory: number;
  restarts: number;
  unstable_restarts: number;
  /** Seconds since it was last started; 0 when not online. */
  uptime_s: number;
  /** cluster_mode | fork_mode */
  exec_mode: string;
  /** How many processes run under this name (cluster instances, or scaled fork processes). */
  instances: number;
}

/** What `pm2.describe` adds to a process: where it runs from and how pm2 restarts it. */
export interface Pm2ProcessDetail extends Pm2Process {
  script: string | null;
  cwd: string | null;
  interpreter: string | null;
  node_version: string | null;
  version: string | null;
  out_log: string | null;
  err_log: string | null;
  created_at: string | null;
  started_at: string | null;
  exit_code: number | null;
  autorestart: boolean | null;
  max_memory_restart: number | null;
  max_restarts: number | null;
}

/**
 * The process list from `pm2 jlist` output. A pm2 call that has to start the daemon first prints a
 * banner and "Spawning PM2 daemon" lines on stdout before the JSON, so only the last JSON line counts.
 */
export function parseJlist(stdout: string): JlistEntry[] {
  const line = stdout
    .split('\n')
    .map((text) => text.trim())
    .reverse()
    .find((text) => /^\[\s*[{\]]/.test(text));
  if (line === undefined) throw new Error('pm2 jlist printed no process list');
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    // JSON.parse quotes the text it chokes on, and this text holds every app's environment.
    throw new Error('pm2 jlist printed a process list that is not valid JSON');
  }
  const parsed = z.array(jlistEntry).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `unexpected pm2 jlist entry: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** The reported shape of every process; `now` (ms epoch) dates the uptimes. */
export function summarize(entries: readonly JlistEntry[], now: number): Pm2Process[] {
  const perName = new Map<string, number>();
  for (const entry of entries) perName.set(entry.name, (perName.get(entry.name) ?? 0) + 1);
  return entries.map((entry) => {
    const env = entry.pm2_env;
    const online = env.status === 'online' && env.pm_uptime !== undefined;
    return {
      name: entry.name,
      pm_id: entry.pm_id,
      namespace: env.namespace,
      status: env.status,
      pid: entry.pid,
      cpu: entry.monit.cpu,
      memory: entry.monit.memory,
      restarts: env.restart_time,
      unstable_restarts: env.unstable_restarts,
      uptime_s: online ? Math.max(0, Math.floor((now - (env.pm_uptime ?? now)) / 1000)) : 0,
      exec_mode: env.exec_mode,
      instances: perName.get(entry.name) ?? 1,
    };
  });
}

function detail(entry: JlistEntry, summary: Pm2Process): Pm2ProcessDetail {
  const env = entry.pm2_env;
  return {
    ...summary,
    script: env.pm_exec_path ?? null,
    cwd: env.pm_cwd ?? null,
    interpreter: env.exec_interpreter ?? null,
    node_version: env.node_version ?? null,
    version: env.version ?? null,
    out_log: env.pm_out_log_path ?? null,
    err_log: env.pm_err_log_path ?? null,
    created_at: isoDate(env.created_at),
    started_at: isoDate(env.pm_uptime),
    exit_code: env.exit_code ?? null,
    autorestart: env.autorestart ?? null,
    max_memory_restart: env.max_memory_restart ?? null,
    max_restarts: env.max_restarts ?? null,
  };
}

function isoDate(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** Whether a process is what `app` names, the way pm2 reads it: name, pm_id, namespace or "all". */
export function matchesApp(process: Pm2Process, app: string): boolean {
  return (
    app === 'all' ||
    process.name === app ||
    process.namespace === app ||
    String(process.pm_id) === app
  );
}

/** The status of an app: "online" when every process is, else the first that is not; "missing"
 * when pm2 has no such process. */
export function appStatus(processes: readonly Pm2Process[]): string {
  if (processes.length === 0) return 'missing';
  return processes.find((process) => process.status !== 'online')?.status ?? 'online';
}

/** The outputs that describe a set of processes. */
export function processOutputs(
  processes: readonly Pm2Process[],
  app: string | undefined,
): Record<string, unknown> {
  const outputs: Record<string, unknown> = {
    processes,
    count: processes.length,
    online: processes.filter((process) => process.status === 'online').length,
    pids: processes.map((process) => process.pid).filter((pid) => pid > 0),
  };
  if (app !== undefined) outputs.status = appStatus(processes);
  return outputs;
}

/** pm2's own explanation of a failure: its last `[PM2][ERROR]` (else `[PM2][WARN]`) line. */
export function pm2Message(stderr: string, stdout: string): string | undefined {
  const lines = stripVTControlCharacters(`${stdout}\n${stderr}`).split('\n');
  for (const tag of ['ERROR', 'WARN']) {
    const pattern = new RegExp(`\\[PM2\\]\\[${tag}\\]\\s*(.+)$`);
    const found = lines
      .map((line) => pattern.exec(line.trim())?.[1]?.trim())
      .filter((message): message is string => Boolean(message))
      .at(-1);
    if (found) return found;
  }
  return undefined;
}

/** One line of `pm2 logs --nostream` output, with the file it came from. */
export interface Pm2LogEntry {
  pm_id: number;
  app: string;
  file: string;
  text: string;
}

/**
 * The lines of `pm2 logs <app> --nostream`: each file's section starts with "<path> last N lines:"
 * and each line is "<pm_id>|<name padded> | <text>". `files` lists every section, even empty ones.
 */
export function parseLogs(stdout: string): { files: string[]; entries: Pm2LogEntry[] } {
  const files: string[] = [];
  const entries: Pm2LogEntry[] = [];
  let file: string | undefined;
  for (const line of stripVTControlCharacters(stdout).split('\n')) {
    const header = /^(.+) last \d+ lines:$/.exec(line);
    if (header?.[1] !== undefined) {
      file = header[1];
      files.push(file);
      continue;
    }
    const logged = /^(\d+)\|(.+?) *\| (.*)$/.exec(line);
    if (file === undefined || !logged) continue;
    entries.push({
      pm_id: Number(logged[1]),
      app: logged[2] ?? '',
      file,
      text: logged[3] ?? '',
    });
  }
  return { files, entries };
}

/** `pm2 start` argv: an ecosystem file (optionally --only one app) or a named script. */
export function startArgs(input: StartInput): string[] {
  const args =
    input.ecosystem !== undefined
      ? ['start', input.ecosystem, ...(input.only === undefined ? [] : ['--only', input.only])]
      : ['start', input.script ?? '', '--name', input.name ?? ''];
  if (input.instances !== undefined) args.push('--instances', input.instances);
  if (input.max_memory_restart !== undefined)
    args.push('--max-memory-restart', input.max_memory_restart);
  if (input.max_restarts !== undefined) args.push('--max-restarts', String(input.max_restarts));
  return args;
}

/** `pm2 logs` argv: the tail of the app's log files, printed once (--nostream). */
export function logsArgs(input: LogsInput): string[] {
  const args = [
    'logs',
    input.app,
    '--nostream',
    '--lines',
    String(input.lines ?? DEFAULT_LOG_LINES),
  ];
  if (input.stream !== undefined) args.push(`--${input.stream}`);
  return args;
}

interface Call {
  args: string[];
  pm2_home?: string | undefined;
  env?: Record<string, string> | undefined;
}

function callEnv(call: Call): Record<string, string> {
  return {
    ...call.env,
    ...(call.pm2_home === undefined ? {} : { PM2_HOME: call.pm2_home }),
  };
}

function processRequest(call: Call): ProcessRequest {
  const env = callEnv(call);
  return Object.keys(env).length > 0
    ? { file: 'pm2', args: call.args, env }
    : { file: 'pm2', args: call.args };
}

/** The command line a person would type, environment assignments first. Only PM2_HOME shows its
 * value: the app's own variables may be credentials, so they show as NAME=… */
export function commandLine(call: Call): string {
  const assignments = Object.entries(callEnv(call)).map(([name, value]) =>
    name === 'PM2_HOME' ? `${name}=${shellQuote(value)}` : `${name}=…`,
  );
  return [...assignments, formatArgv(['pm2', ...call.args])].join(' ');
}

/** pm2 starts its daemon when none runs; this is when it could neither reach one nor start one. */
const daemonDown: Unavailable = (result) => {
  const text = stripVTControlCharacters(result.stderr);
  const message =
    lineMatching(text, /^connect E[A-Z]+ .*rpc\.sock$/) ??
    lineMatching(text, /Daemon not launched|could not start the daemon/i);
  if (message === undefined) return undefined;
  return {
    message: `the pm2 daemon cannot be reached or started: ${message}`,
    hint: 'check PM2_HOME (the pm2_home: of the step, or ~/.pm2): it must be a directory this user can write',
  };
};

/** Runs pm2 and returns its outcome without colour codes, failures in pm2's own words. */
async function runPm2(ctx: ActionContext, call: Call): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, processRequest(call), undefined, daemonDown);
  for (const stream of ['stdout', 'stderr'] as const) {
    const value = outcome.outputs[stream];
    if (typeof value === 'string') outcome.outputs[stream] = stripVTControlCharacters(value);
    if (outcome[stream] !== undefined) outcome[stream] = stripVTControlCharacters(outcome[stream]);
  }
  const ranToAnExit =
    !outcome.ok &&
    !outcome.unavailable &&
    outcome.exitCode !== null &&
    !outcome.timedOut &&
    !outcome.interrupted;
  const message = ranToAnExit ? pm2Message(outcome.stderr ?? '', outcome.stdout ?? '') : undefined;
  if (message !== undefined) outcome.error = `pm2 ${call.args[0] ?? ''}: ${message}`;
  return outcome;
}

/** `pm2 jlist`, with its raw output withheld: it holds every app's environment. */
async function listProcesses(
  ctx: ActionContext,
  pm2_home: string | undefined,
): Promise<{ outcome: ActionOutcome; processes?: Pm2Process[]; entries?: JlistEntry[] }> {
  let entries: JlistEntry[] | undefined;
  const outcome = await runTool(
    ctx,
    processRequest({ args: ['jlist'], pm2_home }),
    (result) => {
      entries = parseJlist(result.stdout);
      return {};
    },
    daemonDown,
  );
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  delete outcome.stdout;
  if (
    !outcome.ok &&
    !outcome.unavailable &&
    outcome.exitCode !== null &&
    outcome.stderr !== undefined
  ) {
    const message = pm2Message(outcome.stderr, '');
    if (message !== undefined) outcome.error = `pm2 jlist: ${message}`;
  }
  if (!outcome.ok || entries === undefined) return { outcome };
  return { outcome, entries, processes: summarize(entries, Date.now()) };
}

/**
 * Runs a command that changes processes, then reports them as `pm2 jlist` sees them afterwards
 * (and before, with `pidsBefore`, so that a restart shows its new pids).
 */
async function change(
  ctx: ActionContext,
  call: Call,
  app: string | undefined,
  options: { pidsBefore?: boolean } = {},
): Promise<ActionOutcome> {
  let pidsBefore: number[] | undefined;
  if (options.pidsBefore && app !== undefined) {
    const before = await listProcesses(ctx, call.pm2_home);
    if (ctx.signal.aborted) return before.outcome;
    if (before.processes)
      pidsBefore = before.processes
        .filter((process) => matchesApp(process, app))
        .map((process) => process.pid)
        .filter((pid) => pid > 0);
  }
  const outcome = await runPm2(ctx, call);
  if (!outcome.ok) return outcome;
  const after = await listProcesses(ctx, call.pm2_home);
  if (after.processes) {
    const selected =
      app === undefined
        ? after.processes
        : after.processes.filter((process) => matchesApp(process, app));
    Object.assign(outcome.outputs, processOutputs(selected, app));
  }
  if (pidsBefore) outcome.outputs.pids_before = pidsBefore;
  return outcome;
}

/** Version of the pm2 package the binary belongs to, read from its package.json: running
 * `pm2 --version` would start a pm2 daemon when none runs, and preflight must change nothing. */
async function installedVersion(binary: string): Promise<string | undefined> {
  try {
    let dir = dirname(await realpath(binary));
    for (let depth = 0; depth < 3; depth += 1) {
      const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
      const manifest = text === undefined ? undefined : (JSON.parse(text) as unknown);
      if (
        typeof manifest === 'object' &&
        manifest !== null &&
        'name' in manifest &&
        manifest.name === 'pm2' &&
        'version' in manifest &&
        typeof manifest.version === 'string'
      )
        return manifest.version;
      dir = dirname(dir);
    }
  } catch {
    // Not an npm install (a wrapper script, a distribution package): no version to report.
  }
  return undefined;
}

export const pm2 = {
  name: 'pm2',
  summary: 'Node.js process manager: status, restart, reload, scale, start, stop, delete, logs',
  binary: 'pm2',
  actions: {
    status: defineAction({
      summary:
        'Processes from pm2 jlist: processes (name, pm_id, status, pid, cpu, memory bytes, restarts, unstable_restarts, uptime_s, exec_mode, instances), count, online, pids, and with app its status ("missing" when pm2 has no such app)',
      input: statusInput,
      effect: 'read',
      describe: (input) => commandLine({ args: ['jlist'], pm2_home: input.pm2_home }),
      run: async (input, ctx) => {
        const { outcome, processes } = await listProcesses(ctx, input.pm2_home);
        if (!processes) return outcome;
        const { app } = input;
        const selected =
          app === undefined ? processes : processes.filter((process) => matchesApp(process, app));
        Object.assign(outcome.outputs, processOutputs(selected, app));
        return outcome;
      },
    }),
    describe: defineAction({
      summary:
        "One app's processes from pm2 jlist with where they run from (script, cwd, interpreter, log files, dates, exit_code, restart limits); fails when pm2 has no such app",
      input: appInput,
      effect: 'read',
      describe: (input) => commandLine({ args: ['jlist'], pm2_home: input.pm2_home }),
      run: async (input, ctx) => {
        const { outcome, processes, entries } = await listProcesses(ctx, input.pm2_home);
        if (!processes || !entries) return outcome;
        const selected = processes.flatMap((process, index) => {
          const entry = entries[index];
          return entry && matchesApp(process, input.app) ? [detail(entry, process)] : [];
        });
        Object.assign(outcome.outputs, processOutputs(selected, input.app));
        if (selected.length === 0)
          return { ...outcome, ok: false, error: `pm2 has no process named ${input.app}` };
        return outcome;
      },
    }),
    restart: defineAction({
      summary:
        'pm2 restart <app>: outputs pids_before and, afterwards, processes, pids, count, online and status',
      input: restartInput,
      effect: 'write',
      describe: (input) => commandLine(restartCall('restart', input)),
      run: (input, ctx) =>
        change(ctx, restartCall('restart', input), input.app, { pidsBefore: true }),
    }),
    reload: defineAction({
      summary:
        'pm2 reload <app> (zero-downtime in cluster mode): outputs pids_before and, afterwards, processes, pids, count, online and status',
      input: restartInput,
      effect: 'write',
      describe: (input) => commandLine(restartCall('reload', input)),
      run: (input, ctx) =>
        change(ctx, restartCall('reload', input), input.app, { pidsBefore: true }),
    }),
    scale: defineAction({
      summary:
        'pm2 scale <app> <instances>: outputs, afterwards, processes, pids, count, online and status',
      input: scaleInput,
      effect: 'write',
      describe: (input) => commandLine(scaleCall(input)),
      run: (input, ctx) => change(ctx, scaleCall(input), input.app),
    }),
    start: defineAction({
      summary:
        'pm2 start an ecosystem file or a script: outputs, afterwards, processes, pids, count, online and status (of name or only)',
      input: startInput,
      effect: 'write',
      describe: (input) => commandLine(startCall(input)),
      run: (input, ctx) => change(ctx, startCall(input), input.name ?? input.only),
    }),
    stop: defineAction({
      summary: 'pm2 stop <app>: outputs, afterwards, processes, count, online and status',
      input: appInput,
      effect: 'write',
      describe: (input) => commandLine(appCall('stop', input)),
      run: (input, ctx) => change(ctx, appCall('stop', input), input.app),
    }),
    delete: defineAction({
      summary:
        'pm2 delete <app>: stops it and removes it from pm2; outputs, afterwards, count and status ("missing")',
      input: appInput,
      effect: 'destructive',
      describe: (input) => commandLine(appCall('delete', input)),
      run: (input, ctx) => change(ctx, appCall('delete', input), input.app),
    }),
    logs: defineAction({
      summary:
        'pm2 logs <app> --nostream --lines N: outputs lines (text), entries (pm_id, app, file, text), files and stdout',
      input: logsInput,
      effect: 'read',
      describe: (input) => commandLine({ args: logsArgs(input), pm2_home: input.pm2_home }),
      run: async (input, ctx) => {
        const outcome = await runPm2(ctx, { args: logsArgs(input), pm2_home: input.pm2_home });
        if (!outcome.ok) return outcome;
        const { files, entries } = parseLogs(String(outcome.outputs.stdout ?? ''));
        Object.assign(outcome.outputs, {
          lines: entries.map((entry) => entry.text),
          entries,
          files,
        });
        // pm2 exits 0 for an app it does not know; it then has no log file to show.
        if (files.length === 0)
          return {
            ...outcome,
            ok: false,
            error: `pm2 logs: no log files for ${input.app} (no such app, or its logs go to /dev/null)`,
          };
        return outcome;
      },
    }),
  },
  preflight: async ({ env }) => {
    const found = await binaryPreflight('pm2', env, { hint: 'install pm2: npm install -g pm2' });
    if (!found.ok || found.path === undefined) return found;
    const version = await installedVersion(found.path);
    return version === undefined ? found : { ...found, version };
  },
} satisfies Adapter;

function restartCall(verb: 'restart' | 'reload', input: z.output<typeof restartInput>): Call {
  return {
    args: [verb, input.app, ...(input.update_env ? ['--update-env'] : [])],
    pm2_home: input.pm2_home,
  };
}

function scaleCall(input: z.output<typeof scaleInput>): Call {
  return { args: ['scale', input.app, input.instances], pm2_home: input.pm2_home };
}

function startCall(input: StartInput): Call {
  return { args: startArgs(input), pm2_home: input.pm2_home, env: input.env };
}

function appCall(verb: 'stop' | 'delete', input: z.output<typeof appInput>): Call {
  return { args: [verb, input.app], pm2_home: input.pm2_home };
}
