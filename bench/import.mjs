#!/usr/bin/env node
// Benchmarks `runbook import`: 100 Markdown files of about 20 KB each (the seeds and public runbooks
// of test/fixtures/import/, each page repeated under its own title until it is 20 KB) in one
// invocation of the CLI, as it runs by itself (on two threads, where there are two cores) and on one
// (RUNBOOK_IMPORT_THREADS=1), one after the other in turn, against a baseline in the same invocation
// of this script:
// `runbook validate --strict` of what the import wrote (what checking its output costs, which the
// import also does), and `node -e 0`. Prints the median wall and CPU (user + system, every thread)
// times, and the goal (≤ 2 s of wall time; docs/import.md#speed). On one thread, CPU time is what
// an idle machine's wall time comes to; wall time on a machine others load is mostly waiting for a
// core.
//
// Usage: npm run build && node bench/import.mjs [--json]
// Env:   BENCH_RUNS=N   timed runs of each (default 3; the median is reported)
// Exit:  0 whatever the figures (a measurement, not a test); 1 when a run fails; 2 bad usage.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const FILES = 100;
const FILE_BYTES = 20 * 1024;
const GOAL_MS = 2000;

const args = process.argv.slice(2);
const json = args.includes('--json');
if (args.some((a) => a !== '--json')) {
  process.stderr.write('usage: node bench/import.mjs [--json]   (env: BENCH_RUNS)\n');
  process.exit(2);
}
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);

const dir = mkdtempSync(join(tmpdir(), 'runbook-bench-import-'));
try {
  const fixtures = ['seeds', 'corpus'].flatMap((folder) =>
    readdirSync(join(ROOT, 'test/fixtures/import', folder))
      .filter((file) => file.endsWith('.md') && file !== 'SOURCES.md')
      .map((file) => readFileSync(join(ROOT, 'test/fixtures/import', folder, file), 'utf8')),
  );
  const pages = join(dir, 'pages');
  mkdirSync(pages);
  let bytes = 0;
  for (let n = 0; n < FILES; n++) {
    const source = fixtures[n % fixtures.length];
    let page = `# Service ${n} runbooks\n\n`;
    for (let part = 0; Buffer.byteLength(page) < FILE_BYTES; part++)
      page += source.replace(/^# (.*)$/gm, `## $1 (part ${part})`) + '\n';
    writeFileSync(join(pages, `service-${n}.md`), page);
    bytes += Buffer.byteLength(page);
  }
  const cpuFile = join(dir, 'cpu.json');
  const preload = join(dir, 'cpu-usage.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1000)); });\n`,
  );
  const env = { ...process.env, RUNBOOK_STATE_DIR: join(dir, 'state'), NO_COLOR: '1' };
  const time = (argv, extraEnv = {}) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', preload, ...argv], {
      env: { ...env, ...extraEnv },
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ms, cpu: Number(readFileSync(cpuFile, 'utf8')), result };
  };
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const series = {
    import: [],
    importCpu: [],
    one: [],
    oneCpu: [],
    validate: [],
    validateCpu: [],
    node: [],
    nodeCpu: [],
  };
  let runbooks = 0;
  for (let i = 0; i < runs; i++) {
    const out = join(dir, `out-${i}`);
    // As it runs by itself and on one thread, in turn first: a machine's speed drifts.
    const oneThread = () => {
      const oneOut = join(dir, `one-${i}`);
      const one = time([CLI, 'import', pages, '--out-dir', oneOut, '--format', 'json'], {
        RUNBOOK_IMPORT_THREADS: '1',
      });
      if (one.result.status !== 0)
        throw new Error(`import on one thread failed (exit ${one.result.status})`);
      series.one.push(one.ms);
      series.oneCpu.push(one.cpu);
      rmSync(oneOut, { recursive: true, force: true });
    };
    if (i % 2 === 1) oneThread();
    const imported = time([CLI, 'import', pages, '--out-dir', out, '--format', 'json']);
    if (i % 2 === 0) oneThread();
    if (imported.result.status !== 0)
      throw new Error(`import failed (exit ${imported.result.status}): ${imported.result.stderr}`);
    runbooks = JSON.parse(imported.result.stdout).totals.runbooks;
    series.import.push(imported.ms);
    series.importCpu.push(imported.cpu);
    const validated = time([CLI, 'validate', '--strict', out]);
    if (validated.result.status !== 0)
      throw new Error(`validate failed: ${validated.result.stdout}${validated.result.stderr}`);
    series.validate.push(validated.ms);
    series.validateCpu.push(validated.cpu);
    const bare = time(['-e', '0']);
    series.node.push(bare.ms);
    series.nodeCpu.push(bare.cpu);
    rmSync(out, { recursive: true, force: true });
  }
  const figures = {
    files: FILES,
    bytes,
    runbooks,
    runs,
    import_ms: Math.round(median(series.import)),
    import_cpu_ms: Math.round(median(series.importCpu)),
    one_thread_ms: Math.round(median(series.one)),
    one_thread_cpu_ms: Math.round(median(series.oneCpu)),
    baseline_validate_ms: Math.round(median(series.validate)),
    baseline_validate_cpu_ms: Math.round(median(series.validateCpu)),
    baseline_node_ms: Math.round(median(series.node)),
    goal_ms: GOAL_MS,
    within_goal: median(series.import) <= GOAL_MS,
    one_thread_within_goal: median(series.one) <= GOAL_MS,
    /** On one thread: what an idle machine's wall time comes to. */
    cpu_within_goal: median(series.oneCpu) <= GOAL_MS,
  };
  if (json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else
    process.stdout.write(
      [
        `runbook import: ${FILES} files, ${(bytes / 1024).toFixed(0)} KB, ${runbooks} runbooks written; median of ${runs}: ${figures.import_ms} ms wall, ${figures.import_cpu_ms} ms CPU`,
        `on one thread (RUNBOOK_IMPORT_THREADS=1): ${figures.one_thread_ms} ms wall, ${figures.one_thread_cpu_ms} ms CPU`,
        `baseline, runbook validate --strict of the output: ${figures.baseline_validate_ms} ms wall, ${figures.baseline_validate_cpu_ms} ms CPU; node -e 0: ${figures.baseline_node_ms} ms`,
        `goal ≤ ${GOAL_MS} ms of wall time: ${figures.within_goal ? 'met' : 'NOT met'}; on one thread, wall ${figures.one_thread_within_goal ? 'met' : 'NOT met'}, CPU ${figures.cpu_within_goal ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
} catch (error) {
  process.stderr.write(
    `bench/import.mjs: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
