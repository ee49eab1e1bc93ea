#!/usr/bin/env node
// Benchmarks `runbook test`: 500 scenarios (50 copies of the shipped demo-api-down runbook, each
// with its 3 scenarios repeated to 10) in one invocation of the CLI, against a baseline in the
// same invocation of this script: `runbook validate` of the same 50 runbooks (what loading them
// costs without running any scenario). Prints the median wall and CPU (user + system) times of
// each, the ratio of test to its baseline, and the goal (≤ 2 s for 500 scenarios;
// docs/testing.md#speed). CPU time is what an idle machine's wall time comes to; wall time on a
// machine others load is mostly waiting for a core.
//
// Usage: npm run build && node bench/test.mjs [--json]
// Env:   BENCH_RUNS=N   timed runs of each (default 5; the median is reported)
// Exit:  0 whatever the figures (a measurement, not a test); 1 when a run fails; 2 bad usage.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const RUNBOOKS = 50;
const SCENARIOS_PER_RUNBOOK = 10;
const GOAL_MS = 2000;

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.some((a) => a !== '--json')) {
  process.stderr.write('usage: node bench/test.mjs [--json]   (env: BENCH_RUNS)\n');
  process.exit(2);
}
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);

const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-test-'));
try {
  const runbook = readFileSync(join(ROOT, 'runbooks/demo/demo-api-down.yaml'), 'utf8');
  const scenarios = parse(
    readFileSync(join(ROOT, 'runbooks/demo/demo-api-down.test.yaml'), 'utf8'),
  );
  const books = join(dir, 'runbooks');
  mkdirSync(books);
  for (let n = 0; n < RUNBOOKS; n++) {
    const id = `demo-api-down-${n}`;
    writeFileSync(join(books, `${id}.yaml`), runbook.replace(/^id: demo-api-down$/m, `id: ${id}`));
    const list = Array.from({ length: SCENARIOS_PER_RUNBOOK }, (_, i) => {
      const scenario = scenarios.scenarios[i % scenarios.scenarios.length];
      return { ...scenario, name: `${scenario.name} (${i + 1})` };
    });
    // As a person writes them: no anchors and aliases for the repeated parts.
    writeFileSync(
      join(books, `${id}.test.yaml`),
      stringify({ runbook: id, scenarios: list }, { aliasDuplicateObjects: false }),
    );
  }
  // Each timed process writes its own CPU time (user + system) when it exits.
  const cpuFile = join(dir, 'cpu.json');
  const preload = join(dir, 'cpu-usage.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1000)); });\n`,
  );
  const env = { ...process.env, RUNBOOK_STATE_DIR: join(dir, 'state'), NO_COLOR: '1' };
  const time = (argv) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', preload, CLI, ...argv], {
      env,
      cwd: dir,
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, cpu: Number(readFileSync(cpuFile, 'utf8')), result };
  };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const testMs = [];
  const baseMs = [];
  const testCpu = [];
  const baseCpu = [];
  let summary = '';
  for (let i = 0; i < runs; i++) {
    const base = time(['validate', books]);
    if (base.result.status !== 0)
      throw new Error(`validate failed: ${base.result.stdout}${base.result.stderr}`);
    baseMs.push(base.ms);
    baseCpu.push(base.cpu);
    const test = time(['test', books, '--format', 'json']);
    const document = JSON.parse(test.result.stdout || '{}');
    if (test.result.status !== 0 || document.passed !== RUNBOOKS * SCENARIOS_PER_RUNBOOK)
      throw new Error(`runbook test failed (exit ${test.result.status}): ${test.result.stderr}`);
    testMs.push(test.ms);
    testCpu.push(test.cpu);
    summary = `${document.passed} scenarios passed`;
  }
  const test = median(testMs);
  const base = median(baseMs);
  const cpu = median(testCpu);
  const baseCpuMs = median(baseCpu);
  const figures = {
    scenarios: RUNBOOKS * SCENARIOS_PER_RUNBOOK,
    runs,
    test_ms: Math.round(test),
    test_cpu_ms: Math.round(cpu),
    baseline_validate_ms: Math.round(base),
    baseline_validate_cpu_ms: Math.round(baseCpuMs),
    ratio: Number((test / base).toFixed(2)),
    cpu_ratio: Number((cpu / baseCpuMs).toFixed(2)),
    goal_ms: GOAL_MS,
    within_goal: test <= GOAL_MS,
    cpu_within_goal: cpu <= GOAL_MS,
  };
  if (json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else
    process.stdout.write(
      [
        `runbook test: ${figures.scenarios} scenarios (${RUNBOOKS} runbooks × ${SCENARIOS_PER_RUNBOOK}), median of ${runs}: ${figures.test_ms} ms wall, ${figures.test_cpu_ms} ms CPU (${summary})`,
        `baseline, runbook validate of the same ${RUNBOOKS} runbooks: ${figures.baseline_validate_ms} ms wall, ${figures.baseline_validate_cpu_ms} ms CPU`,
        `ratio to the baseline: ${figures.ratio}× wall, ${figures.cpu_ratio}× CPU`,
        `goal ≤ ${GOAL_MS} ms: wall ${figures.within_goal ? 'met' : 'NOT met'}, CPU ${figures.cpu_within_goal ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
} catch (error) {
  process.stderr.write(
    `bench/test.mjs: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
