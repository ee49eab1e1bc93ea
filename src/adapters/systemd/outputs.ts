import { o, PROCESS_OUTPUTS, PROCESS_STATUS } from '../outputs.js';

/** What each systemd action gives (index.ts). */
export const SYSTEMD_OUTPUTS = {
  status: {
    ...PROCESS_OUTPUTS,
    unit: o('string?', 'the unit id'),
    description: o('string?', 'its description'),
    load_state: o('string?', 'LoadState (loaded, not-found, …)'),
    active_state: o('string?', 'ActiveState (active, inactive, failed, …)'),
    sub_state: o('string?', 'SubState (running, dead, …)'),
    unit_file_state: o('string?', 'UnitFileState (enabled, disabled, …)'),
    fragment_path: o('string?', 'the unit file'),
    result: o('string?', 'Result of the last run (success, exit-code, …)'),
    active: o('bool', 'active or reloading'),
    main_pid: o('int', 'the main process (0 when none)'),
    started_at: o('string?', 'when the main process started'),
    exit_status: o('int?', 'the main process exit status'),
    restarts: o('int?', 'NRestarts'),
    memory_bytes: o('int?', 'MemoryCurrent'),
    state_changed_at: o('string?', 'when the state last changed'),
    properties: o('map', 'every property systemctl show printed'),
  },
  is_active: {
    ...PROCESS_OUTPUTS,
    active: o('bool', 'the unit is active'),
    state: o('string', 'what systemctl is-active said (active, inactive, failed, …)'),
  },
  control: PROCESS_OUTPUTS,
  journal: {
    ...PROCESS_STATUS,
    entries: o('list', 'entries: timestamp, message, priority, level, pid, identifier, unit'),
    count: o('int', 'how many entries'),
    errors: o('int', 'entries of priority err or worse'),
    warnings: o('int', 'entries of priority warning'),
    text: o('string', 'the messages, one a line'),
    last_at: o('string?', 'the last entry'),
  },
};
