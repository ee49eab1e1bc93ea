#!/usr/bin/env node
// What each start-up trick of the build (scripts/build/*.mjs) is worth: builds the CLI once with
// every trick and once without each, then times three commands with each build, runs alternating
// (the order rotating every round) so that drift lands on all builds alike:
//   --version                       the cold start;
//   run bench-50 --non-interactive  50 trivial shell steps (the runbook's parse cached, as in use);
//   validate <one shipped runbook>  YAML, the schema and the semantic checks, nothing cached.
// A trick's worth is the median of the build without it minus the median of the full build.
// The builds go to node_modules/.cache/runbook-tricks/ (module resolution finds the project's
// packages from there), each with its own copy of the launcher; the build without `ascii` gets a
// launcher that reads the bundles as UTF-8, as it would have to.
//
// Usage: node bench/tricks.mjs [--json]     Env: BENCH_RUNS=N (default 15)
// Exit:  0 whatever the numbers (a measurement); 1 when a build or a command fails.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, positiveInt, trivialStepsRunbook } from './common.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const TRICKS = ['split-commands', 'english-zod', 'minify', 'ascii', 'code-cache'];
const json = process.argv.includes('--json');
const runs = positiveInt('BENCH_RUNS', 15);
const log = (line) => process.stderr.write(`${line}\n`);

const base = join(ROOT, 'node_modules', '.cache', 'runbook-tricks');
const tmp = mkdtempSync(join(tmpdir(), 'runbook-tricks-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// The builds: the full one, and one without each trick.
const builds = [{ name: 'all tricks', without: undefined }].concat(
  TRICKS.map((trick) => ({ name: `without ${trick}`, without: trick })),
);
for (const variant of builds) {
  const dir = join(base, variant.without ?? 'all');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  let launcher = readFileSync(join(ROOT, 'bin', 'runbook.js'), 'utf8');
  if (variant.without === 'ascii') {
    const utf8 = launcher.replace("readFileSync(file, 'latin1')", "readFileSync(file, 'utf8')");
    if (utf8 === launcher) throw new Error('the launcher no longer reads its bundles as latin1');
    launcher = utf8;
  }
  writeFileSync(join(dir, 'bin', 'runbook.js'), launcher);
  variant.cli = join(dir, 'bin', 'runbook.js');
  log(`building ${variant.name}…`);
  const built = spawnSync(
    NODE,
    [
      join(ROOT, 'scripts', 'build.mjs'),
      '--out',
      join(dir, 'dist'),
      '--launcher',
      variant.cli,
      ...(variant.without ? ['--without', variant.without] : []),
    ],
    { encoding: 'utf8' },
  );
  if (built.status !== 0) {
    log(`bench: the build ${variant.name} failed:\n${built.stderr}`);
    process.exit(1);
  }
}

// The fixtures.
const runbooks = join(tmp, 'runbooks');
mkdirSync(runbooks);
writeFileSync(join(runbooks, 'bench-50.yaml'), trivialStepsRunbook(50));
const shipped = join(ROOT, 'runbooks', 'cookcam', 'cookcam-api-down.yaml');

const commands = [
  { name: '--version', args: () => ['--version'] },
  { name: 'run 50 steps', args: () => ['run', 'bench-50', '--dir', runbooks, '--non-interactive'] },
  { name: 'validate 1 file', args: () => ['validate', shipped] },
];

function time(cli, args, state) {
  const started = process.hrtime.bigint();
  const result = spawnSync(NODE, [cli, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUNBOOK_STATE_DIR: state,
      NO_COLOR: '1',
    },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    log(`bench: ${cli} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
    process.exit(1);
  }
  return ms;
}

const results = [];
for (const command of commands) {
  log(`timing ${command.name}…`);
  const samples = builds.map(() => []);
  const states = builds.map((_, i) => join(tmp, `state-${command.name.replace(/\W+/g, '-')}-${i}`));
  // One discarded warm-up round (it also fills the parse cache of the run).
  builds.forEach((variant, i) => time(variant.cli, command.args(), states[i]));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < builds.length; k++) {
      const i = (k + round) % builds.length;
      samples[i].push(time(builds[i].cli, command.args(), states[i]));
    }
  }
  for (const list of samples) list.sort((x, y) => x - y);
  const full = median(samples[0]);
  builds.forEach((variant, i) => {
    const value = median(samples[i]);
    results.push({
      command: command.name,
      build: variant.name,
      median_ms: Math.round(value * 10) / 10,
      worth_ms: i === 0 ? null : Math.round((value - full) * 10) / 10,
    });
  });
}

if (json) process.stdout.write(`${JSON.stringify({ runs, results }, null, 2)}\n`);
else {
  const lines = [
    `${'command'.padEnd(16)} ${'build'.padEnd(24)} ${'median ms'.padStart(10)} ${'worth ms'.padStart(9)}`,
  ];
  for (const r of results)
    lines.push(
      `${r.command.padEnd(16)} ${r.build.padEnd(24)} ${r.median_ms.toFixed(1).padStart(10)} ${
        r.worth_ms === null ? '—'.padStart(9) : r.worth_ms.toFixed(1).padStart(9)
      }`,
    );
  process.stdout.write(
    `${lines.join('\n')}\n(${runs} runs each; worth = without it − all tricks)\n`,
  );
}
