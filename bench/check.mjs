#!/usr/bin/env node
// Benchmarks `runbook check` at monitoring scale: 200 HTTP checks (20 runbooks × 10 detection
// checks) against a local HTTP server running in a child process, in one invocation of the CLI.
// Prints the wall time and the peak RSS (VmHWM of the runbook process, read from /proc as it
// exits) against the goals: ≤ 2 s wall, ≤ 150 MB peak RSS.
//
// Usage: npm run build && node bench/check.mjs [--json]
// Env:   BENCH_RUNS=N   timed runs (default 5; the median is reported, the worst RSS)
// Exit:  0 whatever the figures (a measurement, not a test); 1 when a run fails; 2 bad usage.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const RUNBOOKS = 20;
const CHECKS_PER_RUNBOOK = 10;
const GOAL_WALL_MS = 2000;
const GOAL_RSS_MB = 150;

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.some((a) => a !== '--json')) {
  process.stderr.write('usage: node bench/check.mjs [--json]   (env: BENCH_RUNS)\n');
  process.exit(2);
}
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);

const work = mkdtempSync(join(tmpdir(), 'runbook-bench-check-'));
const dir = join(work, 'runbooks');
mkdirSync(dir);

// The server: a child process, so that its work is not counted in the CLI's figures.
const server = spawn(
  process.execPath,
  [
    '-e',
    `const http = require('node:http');
     const server = http.createServer((req, res) => {
       res.writeHead(200, { 'content-type': 'application/json' });
       res.end('{"status":"ok","queue":3}');
     });
     server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  server.once('exit', () => reject(new Error('the bench server did not start')));
});

for (let r = 0; r < RUNBOOKS; r++) {
  const checks = Array.from(
    { length: CHECKS_PER_RUNBOOK },
    (_, c) => `    - id: endpoint-${c}
      uses: http.get
      with: { url: "http://127.0.0.1:${port}/r${r}/c${c}", timeout: 5s }
      expect: { status: 200, json.status: ok, latency_ms: { warn: 1000, crit: 3000 } }`,
  );
  writeFileSync(
    join(dir, `bench-${r}.yaml`),
    `id: bench-${r}\ntitle: Bench ${r}\nservice: bench\ndetection:\n  checks:\n${checks.join('\n')}\n`,
  );
}

// Reads the CLI's own peak RSS as it exits: exact, however short the run.
const probe = join(work, 'hwm.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => {
     const line = require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+) kB/);
     if (line && process.env.BENCH_HWM_FILE) require('node:fs').writeFileSync(process.env.BENCH_HWM_FILE, line[1]);
   });`,
);

function once(index) {
  const hwmFile = join(work, `hwm-${index}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [CLI, 'check', '--all', '--dir', dir, '--format', 'json'],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          RUNBOOK_STATE_DIR: join(work, 'state'),
          NODE_OPTIONS: `--require ${probe}`,
          BENCH_HWM_FILE: hwmFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`runbook check exited ${code}\n${stdout}${stderr}`));
      const document = JSON.parse(stdout);
      const checks = document.checks.length;
      if (checks !== RUNBOOKS * CHECKS_PER_RUNBOOK || document.state !== 'OK')
        return reject(new Error(`expected ${RUNBOOKS * CHECKS_PER_RUNBOOK} OK checks\n${stdout}`));
      resolve({ wallMs, rssMb: Number(readFileSync(hwmFile, 'utf8')) / 1024, checks });
    });
  });
}

let exitCode = 0;
try {
  await once('warm-up');
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(i));
  const walls = results.map((r) => r.wallMs).sort((a, b) => a - b);
  const median = walls[Math.floor(walls.length / 2)];
  const rss = Math.max(...results.map((r) => r.rssMb));
  const summary = {
    checks: RUNBOOKS * CHECKS_PER_RUNBOOK,
    runbooks: RUNBOOKS,
    concurrency: 8,
    runs,
    wall_ms: {
      median: Math.round(median),
      min: Math.round(walls[0]),
      max: Math.round(walls.at(-1)),
    },
    peak_rss_mb: Math.round(rss * 10) / 10,
    goals: { wall_ms: GOAL_WALL_MS, peak_rss_mb: GOAL_RSS_MB },
    met: median <= GOAL_WALL_MS && rss <= GOAL_RSS_MB,
  };
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      `runbook check --all: ${summary.checks} HTTP checks (${RUNBOOKS} runbooks × ${CHECKS_PER_RUNBOOK}), concurrency 8, ${runs} runs\n` +
        `  wall time  median ${summary.wall_ms.median} ms (min ${summary.wall_ms.min}, max ${summary.wall_ms.max})   goal ≤ ${GOAL_WALL_MS} ms   ${median <= GOAL_WALL_MS ? 'met' : 'MISSED'}\n` +
        `  peak RSS   ${summary.peak_rss_mb} MB (VmHWM, worst run)   goal ≤ ${GOAL_RSS_MB} MB   ${rss <= GOAL_RSS_MB ? 'met' : 'MISSED'}\n`,
    );
  }
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  exitCode = 1;
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
