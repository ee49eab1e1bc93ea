#!/usr/bin/env node
// Benchmarks runbook against the floor any Node CLI pays, in one invocation:
//   1. cold start:  `node bin/runbook.js --version`  vs  `node -e 0`                  (goal ≤ 1.3×)
//   2. 50 steps:    `runbook run bench-50` (50 × `run: "true"`)  vs  a Node script that
//                   spawnSync('sh', ['-c', 'true']) × 50, its default options collecting the
//                   output as runbook does                                              (goal ≤ 1.25×)
//                   for reference: the same with the output ignored (stdio: 'ignore'),
//                   an async spawner reading the output,
//                   bash running the same 50 commands, and ansible-playbook
//                   (50 `command: sh -c true` tasks, connection: local) when it is installed.
//   3. validate:    `runbook validate` of 1,000 runbook files (the shipped ones, copied under
//                   their own ids), cold: validate never uses the parse cache  (goal ≤ 1500 ms)
// Contenders alternate run by run (and the order rotates every round) so that drift — thermal,
// cache, noisy neighbours — lands on all of them alike; warm-up runs are discarded.
//
// Usage: npm run bench            (builds dist/ first)
//        node bench/run.mjs [--json]
// Env:   BENCH_RUNS=N             timed runs per contender (default 20, for start-up and for the 50 steps)
//        BENCH_ANSIBLE_RUNS=N     timed ansible runs (default 3: it is ~200× slower)
// Exit:  0 whatever the ratios (a measurement, not a test); 1 when any command fails; 2 bad usage.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, positiveInt, trivialStepsRunbook } from './common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'runbook.js');
const NODE = process.execPath;
const STEPS = 50;
const FILES = 1000;

const args = process.argv.slice(2);
const json = args.includes('--json');
const unknown = args.filter((a) => a !== '--json');
if (unknown.length > 0 || args.includes('--help')) {
  process.stderr.write(
    `usage: node bench/run.mjs [--json]   (env: BENCH_RUNS, BENCH_ANSIBLE_RUNS)\n`,
  );
  process.exit(unknown.length > 0 ? 2 : 0);
}

const startupRuns = positiveInt('BENCH_RUNS', 20);
const stepRuns = positiveInt('BENCH_RUNS', 20);
const ansibleRuns = positiveInt('BENCH_ANSIBLE_RUNS', 3);

if (!existsSync(join(ROOT, 'dist', 'runbook.cjs'))) {
  process.stderr.write('bench: dist/ is missing — run `npm run bench` (it builds first)\n');
  process.exit(1);
}

const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Fixtures, all in one temp dir.
const tmp = mkdtempSync(join(tmpdir(), 'runbook-bench-'));
const stateDir = join(tmp, 'state');
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const runbookYaml = trivialStepsRunbook(STEPS);
// The runbook has a directory of its own, as runbooks do; the state directory is beside it.
const runbookDir = join(tmp, 'runbooks');
mkdirSync(runbookDir);
writeFileSync(join(runbookDir, 'bench-50.yaml'), runbookYaml);

// 1,000 runbook files: the shipped ones, copied under ids of their own.
const validateDir = join(tmp, 'validate');
mkdirSync(validateDir);
{
  const shipped = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      // Runbooks, not their scenario files (docs/testing.md).
      else if (entry.name.endsWith('.yaml') && !entry.name.endsWith('.test.yaml'))
        shipped.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(ROOT, 'runbooks'));
  const ids = shipped.map((text) => /^id: (\S+)$/m.exec(text)?.[1] ?? 'x');
  for (let i = 0; i < FILES; i++) {
    const text = shipped[i % shipped.length];
    const copy = `${ids[i % shipped.length]}-${i}`;
    // A call names the copy of the called runbook in the same round, or the first round's.
    const round = i - (i % shipped.length);
    const called = (id) => {
      const index = ids.indexOf(id);
      if (index < 0) return id;
      return `${id}-${round + index < FILES ? round + index : index}`;
    };
    writeFileSync(
      join(validateDir, `${copy}.yaml`),
      text
        .replace(/^id: \S+$/m, `id: ${copy}`)
        .replace(/^(\s+call: )([a-z0-9-]+)/gm, (_all, key, id) => `${key}${called(id)}`),
    );
  }
}

// The plain Node spawner: spawnSync with its default options, which collect each command's
// stdout and stderr, as a step runner must (runbook shows, records and captures them).
const floorScript = join(tmp, 'floor-50.mjs');
writeFileSync(
  floorScript,
  `import { spawnSync } from 'node:child_process';
for (let i = 0; i < ${STEPS}; i++) {
  const r = spawnSync('sh', ['-c', 'true']);
  if (r.status !== 0) process.exit(1);
}
`,
);

// The same with the output thrown away: the floor of spawning itself (a reference).
const ignoreScript = join(tmp, 'floor-ignore-50.mjs');
writeFileSync(
  ignoreScript,
  `import { spawnSync } from 'node:child_process';
for (let i = 0; i < ${STEPS}; i++) {
  const r = spawnSync('sh', ['-c', 'true'], { stdio: 'ignore' });
  if (r.status !== 0) process.exit(1);
}
`,
);

// The same, as a tool that must stay responsive (timeouts, Ctrl-C) has to: async spawn, its
// output read, awaited.
const asyncFloorScript = join(tmp, 'floor-async-50.mjs');
writeFileSync(
  asyncFloorScript,
  `import { spawn } from 'node:child_process';
for (let i = 0; i < ${STEPS}; i++) {
  const child = spawn('sh', ['-c', 'true']);
  child.stdout.resume();
  child.stderr.resume();
  const code = await new Promise((done) => child.on('close', done));
  if (code !== 0) process.exit(1);
}
`,
);

const bashScript = join(tmp, 'bash-50.sh');
writeFileSync(bashScript, `set -e\n${'sh -c true\n'.repeat(STEPS)}`);

const ansibleInventory = join(tmp, 'inventory.ini');
const ansiblePlaybook = join(tmp, 'bench-50.yml');
writeFileSync(
  ansibleInventory,
  'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n',
);
writeFileSync(
  ansiblePlaybook,
  [
    '- hosts: localhost',
    '  connection: local',
    '  gather_facts: false',
    '  tasks:',
    ...Array.from({ length: STEPS }, (_, i) => [
      `    - name: step ${i + 1}`,
      '      command: sh -c true',
    ]).flat(),
    '',
  ].join('\n'),
);

function onPath(binary) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

// ---------------------------------------------------------------------------------------------
// Contenders. `check` (optional) validates one run's output beyond its exit code.
const baseEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
delete baseEnv.RUNBOOK_DIR;
const runbookEnv = { ...baseEnv, RUNBOOK_STATE_DIR: stateDir };
const ansibleEnv = {
  ...baseEnv,
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_LOCAL_TEMP: join(tmp, 'ansible-local'),
  ANSIBLE_REMOTE_TEMP: join(tmp, 'ansible-remote'),
  ANSIBLE_RETRY_FILES_ENABLED: '0',
  ANSIBLE_LOCALHOST_WARNING: '0',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
};
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

const startup = {
  title: 'Cold start',
  runs: startupRuns,
  warmup: 3,
  contenders: [
    { name: 'node -e 0', role: 'baseline', file: NODE, args: ['-e', '0'] },
    {
      name: 'runbook --version',
      role: 'goal',
      goal: 1.3,
      file: NODE,
      args: [CLI, '--version'],
      check: (out) =>
        out.startsWith(`runbook ${version} `) ||
        `printed "${out.trim()}", expected runbook ${version} (…)`,
    },
  ],
};

const ansibleAvailable = onPath('ansible-playbook');
const ansibleNote = ansibleAvailable
  ? null
  : 'ansible-playbook is not on PATH: skipped (install it with `apt-get install -y ansible-core`)';
const steps = {
  title: `${STEPS} shell steps`,
  runs: stepRuns,
  warmup: 2,
  contenders: [
    {
      name: `node spawnSync ×${STEPS}`,
      role: 'baseline',
      file: NODE,
      args: [floorScript],
    },
    {
      name: 'runbook run bench-50',
      role: 'goal',
      goal: 1.25,
      file: NODE,
      args: [CLI, 'run', 'bench-50', '--dir', runbookDir, '--non-interactive'],
      env: runbookEnv,
    },
    {
      name: `node async spawn ×${STEPS}`,
      role: 'reference',
      file: NODE,
      args: [asyncFloorScript],
    },
    {
      name: `node spawnSync ×${STEPS}, output ignored`,
      role: 'reference',
      file: NODE,
      args: [ignoreScript],
    },
    { name: `bash ×${STEPS}`, role: 'reference', file: 'bash', args: [bashScript] },
    ...(ansibleAvailable
      ? [
          {
            name: 'ansible-playbook',
            role: 'reference',
            file: 'ansible-playbook',
            args: ['-i', ansibleInventory, ansiblePlaybook],
            env: ansibleEnv,
            runs: ansibleRuns,
            warmup: 1,
            timeoutMs: 600_000,
            check: (out) =>
              /ok=50\b.*\bfailed=0\b/.test(out) || 'the play did not report ok=50 failed=0',
          },
        ]
      : []),
  ],
};

const validate = {
  title: `validate ${FILES} files`,
  runs: Math.min(stepRuns, 10),
  warmup: 1,
  contenders: [
    { name: 'node -e 0', role: 'baseline', file: NODE, args: ['-e', '0'] },
    {
      name: `runbook validate (${FILES})`,
      role: 'goal',
      goalMs: 1500,
      file: NODE,
      args: [CLI, 'validate', validateDir],
      env: { ...runbookEnv, RUNBOOK_NO_CACHE: '1' },
      check: (out) =>
        out.includes(`${FILES} runbooks valid`) || `did not say ${FILES} runbooks valid: ${out}`,
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// Running and timing.
function runOnce(c) {
  const start = process.hrtime.bigint();
  const r = spawnSync(c.file, c.args, {
    cwd: tmp,
    env: c.env ?? baseEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: c.timeoutMs ?? 120_000,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stdout = r.stdout?.toString() ?? '';
  const stderr = r.stderr?.toString() ?? '';
  let problem = null;
  if (r.error) problem = r.error.message;
  else if (r.status !== 0) problem = `exit ${r.status ?? `signal ${r.signal}`}`;
  else if (c.check) {
    const ok = c.check(stdout);
    if (ok !== true) problem = ok;
  }
  if (problem) {
    log(`bench: "${c.name}" failed: ${problem}`);
    log(`  command: ${[c.file, ...c.args].join(' ')}`);
    const tail = (text) => text.trimEnd().split('\n').slice(-15).join('\n    ');
    if (stdout.trim()) log(`  stdout (tail):\n    ${tail(stdout)}`);
    if (stderr.trim()) log(`  stderr (tail):\n    ${tail(stderr)}`);
    process.exit(1);
  }
  return ms;
}

/** Warm-up, then rounds in which every contender still owed runs goes once, in an order that
 * rotates each round. */
function measure(group) {
  const cs = group.contenders.map((c) => ({
    ...c,
    want: c.runs ?? group.runs,
    warm: c.warmup ?? group.warmup,
    samples: [],
  }));
  const maxWarm = Math.max(...cs.map((c) => c.warm));
  for (let w = 0; w < maxWarm; w++) for (const c of cs) if (w < c.warm) runOnce(c);
  const rounds = Math.max(...cs.map((c) => c.want));
  for (let round = 0; round < rounds; round++) {
    const order = cs.map((_, i) => cs[(i + round) % cs.length]);
    for (const c of order) if (c.samples.length < c.want) c.samples.push(runOnce(c));
    if (!json && process.stderr.isTTY)
      process.stderr.write(`\r  ${group.title}: round ${round + 1}/${rounds}   `);
  }
  if (!json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return cs;
}

const p90 = (sorted) => sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)];
const round1 = (n) => Math.round(n * 10) / 10;
const round2 = (n) => Math.round(n * 100) / 100;

function summarize(group, measured) {
  const stats = measured.map((c) => {
    const sorted = [...c.samples].sort((a, b) => a - b);
    return { c, sorted, median: median(sorted), p90: p90(sorted) };
  });
  const base = stats.find((s) => s.c.role === 'baseline');
  return {
    group: group.title,
    baseline: base.c.name,
    results: stats.map(({ c, sorted, median: med, p90: p }) => {
      const ratio = med / base.median;
      return {
        contender: c.name,
        role: c.role,
        command: [c.file === NODE ? 'node' : c.file, ...c.args].join(' '),
        runs: sorted.length,
        median_ms: round1(med),
        p90_ms: round1(p),
        min_ms: round1(sorted[0]),
        max_ms: round1(sorted[sorted.length - 1]),
        ratio: round2(ratio),
        p90_ratio: round2(p / base.p90),
        goal: c.goal ?? null,
        goal_ms: c.goalMs ?? null,
        status:
          c.role === 'baseline'
            ? 'baseline'
            : c.role === 'goal'
              ? (c.goalMs !== undefined ? med <= c.goalMs : round2(ratio) <= c.goal)
                ? 'PASS'
                : 'MISS'
              : 'ref',
        samples_ms: c.samples.map(round1),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Sanity check (untimed): the generated runbook really runs 50 steps, all succeeded.
{
  const r = spawnSync(
    NODE,
    [CLI, 'run', 'bench-50', '--dir', runbookDir, '--non-interactive', '--format', 'json'],
    { cwd: tmp, env: runbookEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  let doc = null;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    /* reported below */
  }
  const ok =
    r.status === 0 &&
    doc?.steps?.length === STEPS &&
    doc.steps.every((s) => s.status === 'succeeded');
  if (!ok) {
    log(`bench: the generated runbook did not run ${STEPS} succeeded steps (exit ${r.status})`);
    if (r.stderr.trim()) log(r.stderr.trimEnd());
    if (!doc && r.stdout.trim()) log(r.stdout.trimEnd().slice(0, 2000));
    process.exit(1);
  }
}

if (!json) {
  process.stdout.write(
    `runbook ${version} · node ${process.version} · ${process.platform}/${process.arch} · ` +
      `${cpus().length}× ${cpus()[0]?.model?.trim() ?? 'cpu'} · ` +
      `runs: ${startupRuns} startup, ${stepRuns} steps${ansibleAvailable ? `, ${ansibleRuns} ansible` : ''}\n`,
  );
  if (ansibleNote) process.stdout.write(`${ansibleNote}\n`);
}

const groups = [startup, steps, validate].map((g) => summarize(g, measure(g)));

if (json) {
  process.stdout.write(
    `${JSON.stringify(
      {
        runbook_version: version,
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
        cpus: cpus().length,
        date: new Date().toISOString(),
        ansible: { available: ansibleAvailable, note: ansibleNote },
        groups,
      },
      null,
      2,
    )}\n`,
  );
} else {
  const header = ['contender', 'runs', 'median ms', 'p90 ms', 'ratio', 'goal', 'result'];
  const rows = groups.flatMap((g) => [
    { section: `${g.group} (baseline: ${g.baseline})` },
    ...g.results.map((r) => [
      r.contender,
      String(r.runs),
      r.median_ms.toFixed(1),
      r.p90_ms.toFixed(1),
      `${r.ratio.toFixed(2)}×`,
      r.goal_ms !== null ? `≤ ${r.goal_ms} ms` : r.goal === null ? '—' : `≤ ${r.goal}×`,
      r.status === 'baseline' ? '(baseline)' : r.status,
    ]),
  ]);
  const cells = [header, ...rows.filter(Array.isArray)];
  const width = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const right = [false, true, true, true, true, false, false];
  const fmt = (row) =>
    row
      .map((cell, i) => (right[i] ? cell.padStart(width[i]) : cell.padEnd(width[i])))
      .join('  ')
      .trimEnd();
  const rule = width.map((w) => '─'.repeat(w)).join('  ');
  const out = [fmt(header), rule];
  for (const row of rows) out.push(Array.isArray(row) ? fmt(row) : `${row.section}:`);
  process.stdout.write(`${out.join('\n')}\n`);
}
process.exit(0);
