import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin, runCli, tempDir } from '../../helpers/cli.js';

// Expressions are bounded: patterns run in linear time (RE2), comprehensions inside comprehensions
// run in a worker with a time and memory bound, and a signal still stops the run.

let dir: { path: string; remove: () => void };
const runbooks = (): string => join(dir.path, 'runbooks');

function runbook(id: string, body: string[]): void {
  writeFileSync(join(runbooks(), `${id}.yaml`), [`id: ${id}`, 'title: T', ...body, ''].join('\n'));
}

/** 1,000 numbers as a JSON list on stdout. */
const THOUSAND = `run: "seq 1 1000 | paste -sd, | sed 's/^/[/; s/$/]/'"`;

beforeAll(() => {
  dir = tempDir('runbook-expr-');
  mkdirSync(runbooks());
  runbook('backtrack', [
    'detection:',
    '  checks:',
    '    - id: words',
    '      run: echo "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"',
    '      effect: read',
    `      expect: ['outputs.stdout.matches("^(\\\\w+\\\\s?)*$")']`,
    '    - id: nested-plus',
    '      run: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab',
    '      effect: read',
    "      expect: { stdout: { matches: '^(a+)+$' } }",
  ]);
  runbook('cubic', [
    'detection:',
    '  checks:',
    '    - id: walk',
    `      ${THOUSAND}`,
    '      effect: read',
    '      capture: { n: "outputs.json.map(a, outputs.json.map(b, outputs.json.map(c, c))).size()" }',
  ]);
  runbook('square', [
    'diagnosis:',
    '  - id: walk',
    `    ${THOUSAND}`,
    '    effect: read',
    '    capture: { all: "outputs.json.map(a, outputs.json.map(b, outputs.json))" }',
  ]);
  runbook('plan', [
    'vars:',
    `  word: { default: "${'a'.repeat(5000)}b" }`,
    'diagnosis:',
    '  - id: check',
    `    when: 'vars.word.matches("^(a+)+$")'`,
    '    run: echo matched',
  ]);
});
afterAll(() => dir.remove());

const env = () => ({ RUNBOOK_STATE_DIR: join(dir.path, 'state') });

describe('patterns run in linear time', () => {
  it('a backtracking pattern in expect: answered, not hung (CRITICAL: no match)', async () => {
    const started = performance.now();
    const result = await runCli(['check', 'backtrack', '--dir', runbooks(), '--timeout', '60s'], {
      env: env(),
    });
    const [, words, nested] = result.stdout.split('\n');
    expect(words).toMatch(
      /^CRITICAL backtrack\/words \(\d+ms\): expected `outputs\.stdout\.matches/,
    );
    expect(nested).toMatch(
      /^CRITICAL backtrack\/nested-plus \(\d+ms\): stdout is "a{53}b", expected to match \/\^\(a\+\)\+\$\/$/,
    );
    expect(result.code).toBe(2);
    expect(result.stdout.split('\n')[0]).toBe(
      'RUNBOOK CRITICAL - 2 CRITICAL: backtrack/words: expected `outputs.stdout.matches("^(\\\\w+\\\\s?)*$")` (+1 more)',
    );
    // Linear matching: far from the minutes a backtracking engine takes on these.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('a dry run of a backtracking condition on 5,000 characters', async () => {
    const started = performance.now();
    const result = await runCli(['run', 'plan', '--dry-run', '--dir', runbooks()], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/− check\n {6}\$ echo matched\n/);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('validate refuses what RE2 cannot run, with the reason', async () => {
    runbook('lookaround', [
      'diagnosis:',
      '  - id: a',
      '    run: echo hi',
      '    effect: read',
      `    expect: ['outputs.stdout.matches("(a)\\\\1")']`,
      '  - id: b',
      '    run: echo hi',
      '    effect: read',
      "    expect: { stdout: { matches: '(?=x)' } }",
    ]);
    const result = await runCli(['validate', join(runbooks(), 'lookaround.yaml')], { env: env() });
    expect(result.code).toBe(2);
    const errors = result.stdout.split('\n').filter((line) => line.includes(': error: '));
    expect(errors).toEqual([
      expect.stringMatching(
        /lookaround\.yaml:7:14: error: `outputs\.stdout\.matches\("\(a\)\\\\1"\)`: not an RE2 regular expression: .*\\1/,
      ),
      expect.stringMatching(
        /lookaround\.yaml:11:34: error: not an RE2 regular expression: .*\(\?=/,
      ),
    ]);
    expect(result.stdout).toContain(
      'hint: patterns are RE2 (linear time): no backreferences (\\1) and no lookaround ((?=…), (?!…), (?<=…))',
    );
  });
});

describe('comprehensions are bounded in time and memory', () => {
  it('a walk that would take minutes is stopped at 2 s: UNKNOWN in check', async () => {
    const started = performance.now();
    const result = await runCli(['check', 'cubic', '--dir', runbooks(), '--timeout', '60s'], {
      env: env(),
    });
    expect(result.code).toBe(3);
    expect(result.stdout.split('\n')[1]).toMatch(
      /^UNKNOWN cubic\/walk \(\d+ms\): `outputs\.json\.map\(a, outputs\.json\.map\(b, outputs\.json\.map\(c, c\)\)\)\.size\(\)`: stopped: it ran past its bound \(2000 ms, 256 MB of memory\) \(an expression that walks lists inside lists/,
    );
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('a result of a million values fails the step with the bound, in bounded memory', async () => {
    // GNU time reports the peak resident memory of the whole process.
    const result = await runBin(['run', 'square', '--dir', runbooks(), '--format', 'json'], {
      env: env(),
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as {
      steps: Array<{ id: string; status: string; reason: string; hint: string }>;
    };
    expect(doc.steps[0]).toMatchObject({
      id: 'walk',
      status: 'failed',
      reason:
        '`outputs.json.map(a, outputs.json.map(b, outputs.json))`: stopped: its result is too large (more than 1000000 values)',
      hint: 'an expression that walks lists inside lists is bounded in time and memory; make it walk less (filter first), or capture in smaller steps',
    });
    const peak = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        '/usr/bin/time',
        ['-f', '%M', process.execPath, BIN, 'run', 'square', '--dir', runbooks()],
        { env: { PATH: process.env.PATH, ...env() }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(Number(stderr.trim().split('\n').at(-1))));
    });
    // The worker's heap is capped at 256 MB; without the bound this reached 3.9 GB.
    expect(peak).toBeLessThan(600 * 1024);
  });

  it('SIGINT during a bounded expression stops the run (exit 130)', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', 'cubic', '--dir', runbooks(), '--non-interactive'],
      { env: { PATH: process.env.PATH, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // The step's process has run once its command is shown; the capture is then being evaluated.
    await new Promise<void>((resolve) => {
      const watch = (): void => {
        if (out.includes('Detection')) {
          child.stdout.off('data', watch);
          resolve();
        }
      };
      child.stdout.on('data', watch);
    });
    const started = performance.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
