#!/usr/bin/env node
// Benchmarks `runbook history` over 10,000 runs: writes that many realistic journals (a mix of
// succeeded, failed and crashed runs, some crashed ones with a torn last line, as SIGKILL leaves
// them) into a temporary state directory, then times, in this one invocation, medians of:
//   - `node -e 0` (the floor any command pays),
//   - `runbook history` with its index present (the newest 50 runs, as a person asks),
//   - `runbook history --limit 0 --json` (all 10,000),
//   - the index rebuild: `runbook history` with the index deleted before each run.
// The goal (docs/performance.md#history): listing 10,000 runs in ≤ 0.5 s.
//
// Usage: npm run build && node bench/history.mjs [--json]
// Env:   BENCH_RUNS=N   timed runs of each (default 7); BENCH_JOURNALS=N (default 10000)
// Exit:  0 whatever the figures (a measurement, not a test); 1 when a run fails; 2 bad usage.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, positiveInt } from './common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const GOAL_MS = 500;

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.some((a) => a !== '--json')) {
  process.stderr.write(
    'usage: node bench/history.mjs [--json]   (env: BENCH_RUNS, BENCH_JOURNALS)\n',
  );
  process.exit(2);
}
const runs = positiveInt('BENCH_RUNS', 7);
const journals = positiveInt('BENCH_JOURNALS', 10_000);

const work = mkdtempSync(join(tmpdir(), 'runbook-bench-history-'));
const stateDir = join(work, 'state');
const runsDir = join(stateDir, 'runs');
mkdirSync(runsDir, { recursive: true, mode: 0o700 });
const env = { PATH: process.env.PATH, HOME: work, RUNBOOK_STATE_DIR: stateDir, NO_COLOR: '1' };

// A pid that no process has now: one of a process that has exited.
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
const host = hostname();
const RUNBOOKS = ['api-down', 'disk-full', 'db-pool-exhausted', 'cert-expiry', 'queue-backlog'];
const STEPS = ['health', 'status', 'logs', 'restart', 'verify', 'notify-done'];

function journal(n) {
  const start = Date.UTC(2026, 0, 1) + n * 60_000;
  const iso = (ms) => new Date(ms).toISOString();
  const runId = `${iso(start)
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${n.toString(16).padStart(6, '0')}`;
  const runbook = RUNBOOKS[n % RUNBOOKS.length];
  // 70 % succeed, 20 % fail at a step, 10 % crash (half of them mid-line).
  const kind = n % 10 < 7 ? 'succeeded' : n % 10 < 9 ? 'failed' : 'crashed';
  const events = [
    {
      type: 'run.start',
      ts: iso(start),
      run_id: runId,
      runbook: {
        id: runbook,
        title: `Runbook ${runbook}`,
        severity: `P${(n % 3) + 1}`,
        service: 'api',
        file: `runbooks/${runbook}.yaml`,
      },
      mode: n % 13 === 0 ? 'dry-run' : 'execute',
      vars: { base_url: 'http://127.0.0.1:8080', service: 'api' },
      user: ['alice', 'bob', 'carol'][n % 3],
      host,
      pid: deadPid,
      journal: join(runsDir, `${runId}.jsonl`),
    },
  ];
  let t = start + 5;
  const last = kind === 'succeeded' ? STEPS.length : 3 + (n % 3);
  for (let i = 0; i < last; i++) {
    const id = STEPS[i];
    const section =
      i === 0 ? 'detection' : i < 3 ? 'diagnosis' : i < 5 ? 'resolution' : 'verification';
    events.push({
      type: 'step.start',
      ts: iso(t),
      section,
      step: id,
      name: `Step ${id}`,
      effect: 'read',
      command: `curl -fsS http://127.0.0.1:8080/${id}`,
    });
    if (kind === 'crashed' && i === last - 1) break;
    const failed = kind === 'failed' && i === last - 1;
    t += 40 + (n % 50);
    events.push({
      type: 'step.end',
      ts: iso(t),
      id,
      name: `Step ${id}`,
      section,
      status: failed ? 'failed' : 'succeeded',
      effect: 'read',
      command: `curl -fsS http://127.0.0.1:8080/${id}`,
      exit_code: failed ? 1 : 0,
      duration_ms: 40 + (n % 50),
      outputs: { stdout: `{"status":"ok","step":"${id}","detail":"${'x'.repeat(120)}"}` },
      attempts: 1,
      ...(i === 0 && n % 4 === 0 ? { finding: true } : {}),
    });
  }
  if (kind !== 'crashed')
    events.push({
      type: 'run.end',
      ts: iso(t + 2),
      run_id: runId,
      status: kind,
      duration_ms: t + 2 - start,
      findings: n % 4 === 0 ? ['health'] : [],
    });
  let text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
  if (kind === 'crashed' && n % 20 === 9) text += '{"type":"step.process","ts":"2026-01-0';
  writeFileSync(join(runsDir, `${runId}.jsonl`), text, { mode: 0o600 });
}

/** CPU time of the children waited for so far (cutime + cstime of /proc/self/stat), in ms. */
function childCpuMs() {
  try {
    const text = readFileSync('/proc/self/stat', 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

const cpu = new Map();

function time(command, commandArgs, before) {
  const samples = [];
  const cpuSamples = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    const cpuBefore = childCpuMs();
    const started = process.hrtime.bigint();
    const result = spawnSync(command, commandArgs, {
      env,
      cwd: work,
      maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
      process.stderr.write(
        `bench: ${commandArgs.join(' ')} exited ${result.status}\n${result.stderr}\n`,
      );
      process.exit(1);
    }
    samples.push(ms);
    cpuSamples.push(childCpuMs() - cpuBefore);
  }
  const wall = median(samples.sort((a, b) => a - b));
  cpu.set(wall, median(cpuSamples.sort((a, b) => a - b)));
  return wall;
}

try {
  for (let n = 0; n < journals; n++) journal(n);
  const index = join(runsDir, '..', 'runs-index.jsonl');
  // The first listing builds the index; every timed listing below then finds it.
  const first = spawnSync(process.execPath, [CLI, 'history', '--limit', '0', '--json'], {
    env,
    cwd: work,
    maxBuffer: 256 * 1024 * 1024,
  });
  const listed = JSON.parse(first.stdout.toString()).length;
  if (listed !== journals) {
    process.stderr.write(`bench: history listed ${listed} runs of ${journals}\n${first.stderr}\n`);
    process.exit(1);
  }
  const node = time(process.execPath, ['-e', '0']);
  const history = time(process.execPath, [CLI, 'history']);
  const all = time(process.execPath, [CLI, 'history', '--limit', '0', '--json']);
  const rebuild = time(process.execPath, [CLI, 'history'], () => rmSync(index, { force: true }));
  const loadAverage = readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
  const figures = {
    load_average: loadAverage,
    node_cpu_ms: cpu.get(node),
    history_cpu_ms: cpu.get(history),
    history_all_json_cpu_ms: cpu.get(all),
    rebuild_cpu_ms: cpu.get(rebuild),
    journals,
    runs,
    node_ms: node,
    history_ms: history,
    history_all_json_ms: all,
    rebuild_ms: rebuild,
    goal_ms: GOAL_MS,
  };
  if (json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else {
    const row = (label, ms) =>
      `${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms  (${(ms / node).toFixed(1)}× node -e 0; CPU ${cpu.get(ms)} ms)\n`;
    process.stdout.write(
      `runbook history over ${journals} journals, median of ${runs} (goal ≤ ${GOAL_MS} ms)\n`,
    );
    process.stdout.write(`load average ${figures.load_average}\n`);
    process.stdout.write(row('node -e 0', node));
    process.stdout.write(row('history (index present, newest 50)', history));
    process.stdout.write(row('history --limit 0 --json (all)', all));
    process.stdout.write(row('history, index deleted (rebuild)', rebuild));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
