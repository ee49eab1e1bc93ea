/**
 * The starting points of `runbook new --from-template` (docs/commands.md#new): a runbook and its
 * scenario file (`<id>.test.yaml`, the format of docs/testing.md), as text with `__ID__` where the
 * new runbook's id goes. Every default is safe on a workstation (127.0.0.1, a local app), every
 * value can come from the environment, and each `when:` has a scenario for either side, so
 * `runbook validate --strict` and `runbook test --coverage` pass on what `new` writes.
 * test/e2e/new.e2e.test.ts proves both for every template.
 */

import type { TemplateName } from './new.js';

export interface Template {
  runbook: string;
  scenarios: string;
}

const shell: Template = {
  runbook: `title: __ID__
severity: P3
tags: [disk]
summary: >
  A file system is filling up. Check how full it is, clear old temporary files past a threshold,
  and check again.
vars:
  mount:
    description: The mount point to watch
    env: RUNBOOK_MOUNT
    default: /
  tmp_dir:
    description: Where old temporary files may be deleted
    env: RUNBOOK_TMP_DIR
    default: /var/tmp
detection:
  symptoms:
    - Writes fail with "No space left on device"
  checks:
    - id: usage
      name: How full the file system is (percent)
      run: df --output=pcent -- \${{ vars.mount }} | tail -n 1 | tr -dc 0-9
      effect: read
      capture: { pct: int(outputs.stdout) }
      expect: { pct: { warn: 80, crit: 90 } }
resolution:
  - id: clean-tmp
    name: Delete temporary files older than a week
    when: steps.usage.outputs.pct >= 80
    run: find \${{ vars.tmp_dir }} -xdev -type f -mtime +7 -delete
    effect: destructive
verification:
  - id: usage-again
    name: The file system is below 80 % again
    run: df --output=pcent -- \${{ vars.mount }} | tail -n 1 | tr -dc 0-9
    effect: read
    expect: int(outputs.stdout) < 80
`,
  scenarios: `scenarios:
  - name: below the threshold, nothing is deleted
    steps:
      usage: { stdout: "42" }
      usage-again: { stdout: "42" }
    expect:
      ran: [usage, usage-again]
      skipped: [clean-tmp]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: above the threshold, old temporary files are deleted
    steps:
      usage: { stdout: "93" }
      usage-again: { stdout: "61" }
    answers:
      clean-tmp: yes
    expect:
      ran: [usage, clean-tmp, usage-again]
      skipped: []
      commands:
        clean-tmp: find /var/tmp -xdev -type f -mtime +7 -delete
      findings: [usage]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

const http: Template = {
  runbook: `title: __ID__
severity: P3
tags: [http]
summary: >
  The service does not answer 200 on its health endpoint. Ask it to restart, then check that it
  answers again.
vars:
  base_url:
    description: Where the service listens
    env: SERVICE_URL
    default: http://127.0.0.1:8080
detection:
  symptoms:
    - The health endpoint does not answer 200
  checks:
    - id: health
      name: Health endpoint answers 200
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health", timeout: 5s }
      expect: { status: 200, latency_ms: { warn: 500, crit: 2000 } }
resolution:
  - id: restart
    name: Ask the service to restart itself
    when: steps.health.outputs.status != 200
    uses: http.post
    with: { url: "\${{ vars.base_url }}/admin/restart", timeout: 10s }
    confirm: true
verification:
  - id: healthy-again
    name: Health endpoint answers 200 again
    uses: http.get
    with: { url: "\${{ vars.base_url }}/health", timeout: 5s }
    expect: { status: 200 }
    retry: { attempts: 5, delay: 2s }
`,
  scenarios: `scenarios:
  - name: the service is healthy, nothing is restarted
    steps:
      health: { outputs: { status: 200, latency_ms: 12 } }
      healthy-again: { outputs: { status: 200, latency_ms: 12 } }
    expect:
      ran: [health, healthy-again]
      skipped: [restart]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: the service answers 503 and a restart brings it back
    steps:
      health: { outputs: { status: 503, latency_ms: 12 } }
      restart: { outputs: { status: 202, latency_ms: 30 } }
      healthy-again:
        - { outputs: { status: 503, latency_ms: 12 } }
        - { outputs: { status: 200, latency_ms: 12 } }
    answers:
      restart: yes
    expect:
      ran: [health, restart, healthy-again]
      skipped: []
      commands:
        restart: POST http://127.0.0.1:8080/admin/restart
      findings: [health]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

const psql: Template = {
  runbook: `title: __ID__
severity: P3
tags: [postgres]
summary: >
  The database is short of connections. Look for queries that have run for too long, end them,
  and check that connections are free again.
vars:
  database_url:
    description: postgres://user@host:port/database (a password here travels as PGPASSWORD)
    env: DATABASE_URL
    default: postgres://postgres@127.0.0.1:5432/postgres
detection:
  symptoms:
    - Clients fail with "too many clients already" or time out waiting for a connection
  checks:
    - id: connections
      name: Share of max_connections in use
      uses: psql.connections
      with: { url: "\${{ vars.database_url }}" }
      expect: { usage_pct: { warn: 70, crit: 90 } }
diagnosis:
  - id: long-running
    name: Queries running for more than 5 minutes
    uses: psql.long_running
    with: { url: "\${{ vars.database_url }}", threshold: 5m }
resolution:
  - id: end-long-running
    name: End the queries running for more than 5 minutes
    when: steps.long_running.outputs.count > 0
    uses: psql.terminate
    with: { url: "\${{ vars.database_url }}", older_than: 5m }
verification:
  - id: connections-again
    name: Less than 90 % of max_connections in use
    uses: psql.connections
    with: { url: "\${{ vars.database_url }}" }
    expect: outputs.usage_pct < 90
`,
  scenarios: `scenarios:
  - name: no long-running query, nothing is ended
    steps:
      connections: { outputs: { total: 20, max_connections: 100, usage_pct: 20 } }
      long-running: { outputs: { queries: [], count: 0, pids: [], longest_s: 0 } }
      connections-again: { outputs: { total: 20, max_connections: 100, usage_pct: 20 } }
    expect:
      ran: [connections, long-running, connections-again]
      skipped: [end-long-running]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: long-running queries hold the connections and are ended
    steps:
      connections: { outputs: { total: 95, max_connections: 100, usage_pct: 95 } }
      long-running: { outputs: { queries: [], count: 3, pids: [101, 102, 103], longest_s: 900 } }
      end-long-running: { outputs: { terminated: [101, 102, 103], not_terminated: [], count: 3 } }
      connections-again: { outputs: { total: 30, max_connections: 100, usage_pct: 30 } }
    answers:
      end-long-running: yes
    expect:
      ran: [connections, long-running, end-long-running, connections-again]
      skipped: []
      findings: [connections]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

const pm2: Template = {
  runbook: `title: __ID__
severity: P3
tags: [pm2]
summary: >
  A pm2 app is not online. Read its last log lines, restart it, and check that it stays online.
vars:
  app:
    description: The pm2 app (name, pm_id or namespace)
    env: PM2_APP
    default: my-app
detection:
  symptoms:
    - The app's process is stopped, errored or restarting in a loop
  checks:
    - id: app-status
      name: The app is online
      uses: pm2.status
      with: { app: "\${{ vars.app }}" }
      expect: { status: online }
diagnosis:
  - id: recent-logs
    name: The app's last log lines
    uses: pm2.logs
    with: { app: "\${{ vars.app }}", lines: 100 }
resolution:
  - id: restart
    name: Restart the app
    when: steps.app_status.outputs.status != "online"
    uses: pm2.restart
    with: { app: "\${{ vars.app }}" }
    confirm: true
verification:
  - id: online-again
    name: The app is online again
    uses: pm2.status
    with: { app: "\${{ vars.app }}" }
    expect: { status: online }
    retry: { attempts: 5, delay: 2s }
`,
  scenarios: `scenarios:
  - name: the app is online, nothing is restarted
    steps:
      app-status: { outputs: { status: online, count: 1, online: 1 } }
      online-again: { outputs: { status: online, count: 1, online: 1 } }
    expect:
      ran: [app-status, recent-logs, online-again]
      skipped: [restart]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: the app is stopped and a restart brings it back
    steps:
      app-status: { outputs: { status: stopped, count: 1, online: 0 } }
      restart: { outputs: { status: online, count: 1, online: 1 } }
      online-again: { outputs: { status: online, count: 1, online: 1 } }
    answers:
      restart: yes
    expect:
      ran: [app-status, recent-logs, restart, online-again]
      skipped: []
      commands:
        restart: pm2 restart my-app
      findings: [app-status]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

const docker: Template = {
  runbook: `title: __ID__
severity: P3
tags: [docker]
summary: >
  A container is not running. Read its last log lines, restart it, and check that it runs.
vars:
  container:
    description: The container's name or id
    env: CONTAINER
    default: my-container
detection:
  symptoms:
    - The container exited or is restarting in a loop
  checks:
    - id: container-state
      name: The container is running
      uses: docker.inspect
      with: { container: "\${{ vars.container }}" }
      expect: { state.running: true }
diagnosis:
  - id: recent-logs
    name: The container's last log lines
    uses: docker.logs
    with: { container: "\${{ vars.container }}", tail: 200 }
resolution:
  - id: restart
    name: Restart the container
    when: "!steps.container_state.outputs.state.running"
    uses: docker.restart
    with: { container: "\${{ vars.container }}", timeout: 10s }
    confirm: true
verification:
  - id: running-again
    name: The container is running again
    uses: docker.inspect
    with: { container: "\${{ vars.container }}" }
    expect: { state.running: true }
    retry: { attempts: 5, delay: 2s }
`,
  scenarios: `scenarios:
  - name: the container runs, nothing is restarted
    steps:
      container-state: { outputs: { state: { status: running, running: true, exit_code: 0 } } }
      running-again: { outputs: { state: { status: running, running: true, exit_code: 0 } } }
    expect:
      ran: [container-state, recent-logs, running-again]
      skipped: [restart]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: the container exited and a restart brings it back
    steps:
      container-state: { outputs: { state: { status: exited, running: false, exit_code: 137 } } }
      running-again: { outputs: { state: { status: running, running: true, exit_code: 0 } } }
    answers:
      restart: yes
    expect:
      ran: [container-state, recent-logs, restart, running-again]
      skipped: []
      commands:
        restart: docker restart -t 10 my-container
      findings: [container-state]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

const wrangler: Template = {
  runbook: `title: __ID__
severity: P3
tags: [cloudflare]
summary: >
  A Worker answers errors after a deployment. Look at the recent deployments, roll back to the
  previous one, and check that it answers again.
vars:
  worker:
    description: The Worker's name
    env: WORKER_NAME
    default: my-worker
  url:
    description: Where the Worker answers (wrangler dev listens on 127.0.0.1:8787)
    env: WORKER_URL
    default: http://127.0.0.1:8787
detection:
  symptoms:
    - The Worker answers 5xx since the last deployment
  checks:
    - id: health
      name: The Worker answers below 500
      uses: http.get
      with: { url: "\${{ vars.url }}/", timeout: 5s }
      expect: outputs.status < 500
diagnosis:
  - id: deployments
    name: The recent deployments, newest first
    uses: wrangler.deployments
    with: { name: "\${{ vars.worker }}" }
resolution:
  - id: rollback
    name: Serve the previous deployment's Version again
    when: steps.health.outputs.status >= 500
    uses: wrangler.rollback
    with: { name: "\${{ vars.worker }}", message: "runbook: rollback after 5xx" }
verification:
  - id: healthy-again
    name: The Worker answers below 500 again
    uses: http.get
    with: { url: "\${{ vars.url }}/", timeout: 5s }
    expect: outputs.status < 500
    retry: { attempts: 5, delay: 3s }
`,
  scenarios: `scenarios:
  - name: the Worker answers, nothing is rolled back
    steps:
      health: { outputs: { status: 200, latency_ms: 20 } }
      deployments: { outputs: { deployments: [], current_version_id: v2, previous_version_id: v1 } }
      healthy-again: { outputs: { status: 200, latency_ms: 20 } }
    expect:
      ran: [health, deployments, healthy-again]
      skipped: [rollback]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: the Worker answers 500 and the rollback brings it back
    steps:
      health: { outputs: { status: 500, latency_ms: 20 } }
      deployments: { outputs: { deployments: [], current_version_id: v2, previous_version_id: v1 } }
      rollback: { outputs: { version_id: v1, active_version_id: v1 } }
      healthy-again: { outputs: { status: 200, latency_ms: 20 } }
    answers:
      rollback: yes
    expect:
      ran: [health, deployments, rollback, healthy-again]
      skipped: []
      commands:
        rollback: "wrangler rollback --name my-worker '--message=runbook: rollback after 5xx' -y"
      findings: [health]
      status: succeeded
      exit_code: 0
      rollback: false
`,
};

export const TEMPLATES: Record<TemplateName, Template> = {
  shell,
  http,
  psql,
  pm2,
  docker,
  wrangler,
};
