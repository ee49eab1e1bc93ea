import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';

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

export function detail(entry: JlistEntry, summary: Pm2Process): Pm2ProcessDetail {
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
