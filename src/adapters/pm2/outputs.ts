import { o, PROCESS_OUTPUTS, PROCESS_STATUS } from '../outputs.js';

const processes = {
  processes: o(
    'list',
    'processes: name, pm_id, namespace, status, pid, cpu, memory, restarts, unstable_restarts, uptime_s, exec_mode, instances',
  ),
  count: o('int', 'how many processes'),
  online: o('int', 'how many are online'),
  pids: o('list', 'their pids (running ones)'),
  status: o('string', 'with an app: its status ("missing" when pm2 has no such app)'),
};

/** What each pm2 action gives (index.ts, run.ts). `pm2 jlist` output is never an output. */
export const PM2_OUTPUTS = {
  list: { ...PROCESS_STATUS, ...processes },
  change: { ...PROCESS_OUTPUTS, ...processes },
  restart: {
    ...PROCESS_OUTPUTS,
    ...processes,
    pids_before: o('list', "the app's pids before"),
  },
  logs: {
    ...PROCESS_OUTPUTS,
    lines: o('list', 'the log lines (text)'),
    entries: o('list', 'the lines: pm_id, app, file, text'),
    files: o('list', 'the log files read'),
  },
};
