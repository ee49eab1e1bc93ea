import { readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineAction, type Adapter } from '../adapter.js';
import { binaryPreflight } from '../support/preflight.js';
import {
  appInput,
  logsInput,
  restartInput,
  scaleInput,
  startInput,
  statusInput,
} from './inputs.js';
import { appCall, commandLine, logsArgs, restartCall, scaleCall, startCall } from './argv.js';
import { detail, matchesApp, parseLogs, processOutputs } from './parse.js';
import { PM2_OUTPUTS } from './outputs.js';
import { change, listProcesses, runPm2 } from './run.js';

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
      outputs: PM2_OUTPUTS.list,
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
      outputs: PM2_OUTPUTS.list,
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
      outputs: PM2_OUTPUTS.restart,
      describe: (input) => commandLine(restartCall('restart', input)),
      run: (input, ctx) =>
        change(ctx, restartCall('restart', input), input.app, { pidsBefore: true }),
    }),
    reload: defineAction({
      summary:
        'pm2 reload <app> (zero-downtime in cluster mode): outputs pids_before and, afterwards, processes, pids, count, online and status',
      input: restartInput,
      effect: 'write',
      outputs: PM2_OUTPUTS.restart,
      describe: (input) => commandLine(restartCall('reload', input)),
      run: (input, ctx) =>
        change(ctx, restartCall('reload', input), input.app, { pidsBefore: true }),
    }),
    scale: defineAction({
      summary:
        'pm2 scale <app> <instances>: outputs, afterwards, processes, pids, count, online and status',
      input: scaleInput,
      effect: 'write',
      outputs: PM2_OUTPUTS.change,
      describe: (input) => commandLine(scaleCall(input)),
      run: (input, ctx) => change(ctx, scaleCall(input), input.app),
    }),
    start: defineAction({
      summary:
        'pm2 start an ecosystem file or a script: outputs, afterwards, processes, pids, count, online and status (of name or only)',
      input: startInput,
      effect: 'write',
      outputs: PM2_OUTPUTS.change,
      describe: (input) => commandLine(startCall(input)),
      run: (input, ctx) => change(ctx, startCall(input), input.name ?? input.only),
    }),
    stop: defineAction({
      summary: 'pm2 stop <app>: outputs, afterwards, processes, count, online and status',
      input: appInput,
      effect: 'write',
      outputs: PM2_OUTPUTS.change,
      describe: (input) => commandLine(appCall('stop', input)),
      run: (input, ctx) => change(ctx, appCall('stop', input), input.app),
    }),
    delete: defineAction({
      summary:
        'pm2 delete <app>: stops it and removes it from pm2; outputs, afterwards, count and status ("missing")',
      input: appInput,
      effect: 'destructive',
      outputs: PM2_OUTPUTS.change,
      describe: (input) => commandLine(appCall('delete', input)),
      run: (input, ctx) => change(ctx, appCall('delete', input), input.app),
    }),
    logs: defineAction({
      summary:
        'pm2 logs <app> --nostream --lines N: outputs lines (text), entries (pm_id, app, file, text), files and stdout',
      input: logsInput,
      effect: 'read',
      outputs: PM2_OUTPUTS.logs,
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
