import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

// Output through a pipe must be whole: a full pipe takes the rest of the output asynchronously, and
// a CLI that exits right after writing loses everything past the first 64 KiB.

let dir: { path: string; remove: () => void };
const env = (): Record<string, string | undefined> => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  RUNBOOK_STATE_DIR: join(dir.path, 'state'),
});

/**
 * Runs the CLI with stdout into a real OS pipe that nobody reads until the CLI has exited, or
 * until `holdMs` have passed while it still waits for a reader. A CLI that exits with output still
 * queued has lost it: the reader then finds only what fitted in the pipe (64 KiB).
 */
function throughSlowPipe(
  args: string[],
  holdMs = 1500,
): Promise<{ code: number | null; stdout: Buffer }> {
  const exitFile = join(dir.path, `exit-${++pipes}`);
  const release = join(dir.path, `release-${pipes}`);
  const script = [
    '{ "$NODE" "$BIN" "$@"; echo $? > "$EXIT_FILE"; } |',
    '{ while [ ! -s "$EXIT_FILE" ] && [ ! -e "$RELEASE" ]; do sleep 0.02; done; cat; }',
  ].join(' ');
  return new Promise((done, fail) => {
    const child = spawn('sh', ['-c', script, 'sh', ...args], {
      cwd: dir.path,
      env: {
        ...env(),
        NODE: process.execPath,
        BIN,
        EXIT_FILE: exitFile,
        RELEASE: release,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const hold = setTimeout(() => writeFileSync(release, ''), holdMs);
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(hold);
      done({ code: Number(readFileSync(exitFile, 'utf8')), stdout: Buffer.concat(chunks) });
    });
  });
}
let pipes = 0;

/** The same command with stdout sent to a file. */
function intoFile(args: string[], file: string): Promise<number | null> {
  const fd = openSync(file, 'w');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir.path,
      env: env(),
      stdio: ['ignore', fd, 'ignore'],
    });
    child.on('error', fail);
    child.on('close', (code) => {
      closeSync(fd);
      done(code);
    });
  });
}

beforeAll(() => {
  dir = tempDir('runbook-pipe-');
  const runbooks = join(dir.path, 'runbooks');
  mkdirSync(runbooks);
  // One step printing exactly 1 MiB.
  writeFileSync(
    join(runbooks, 'big.yaml'),
    [
      'id: big',
      'title: A step that prints 1 MiB',
      'diagnosis:',
      '  - id: print',
      '    run: "yes 0123456789abcdef | head -c 1048576"',
      '    effect: read',
      '',
    ].join('\n'),
  );
  // 200 checks with long names: about 150 KB of Prometheus text.
  const checks = Array.from({ length: 200 }, (_, i) =>
    [
      `    - id: check-${String(i).padStart(3, '0')}-${'x'.repeat(120)}`,
      `      run: "echo ${i}"`,
      '      effect: read',
      '      expect: { exit_code: 0 }',
    ].join('\n'),
  );
  writeFileSync(
    join(runbooks, 'many-checks.yaml'),
    [
      'id: many-checks',
      'title: Many checks',
      'service: pipes',
      'detection:',
      '  checks:',
      ...checks,
      '',
    ].join('\n'),
  );
  // 300 invalid files for validate's JUnit.
  const invalid = join(dir.path, 'invalid');
  mkdirSync(invalid);
  for (let i = 0; i < 300; i++)
    writeFileSync(
      join(invalid, `file-${String(i).padStart(3, '0')}.yaml`),
      `id: file-${i}\ntitle: T\ndiagnosis:\n  - id: a\n    run: "true"\n    timout: 5s\n`,
    );
});
afterAll(() => dir.remove());

describe('output through a slow pipe is whole, and equals what goes to a file', () => {
  it('runbook schema', async () => {
    const piped = await throughSlowPipe(['schema']);
    const file = join(dir.path, 'schema.json');
    expect(await intoFile(['schema'], file)).toBe(0);
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBe(readFileSync(file).length);
    expect(piped.stdout.equals(readFileSync(file))).toBe(true);
    const schema = JSON.parse(piped.stdout.toString('utf8')) as Record<string, { $ref?: string }>;
    expect([schema.then?.$ref, schema.else?.$ref]).toEqual(['#/$defs/Catalog', '#/$defs/Runbook']);
  });

  it('run --format json of a step printing 1 MiB', async () => {
    const args = ['run', 'big', '--format', 'json', '--dir', 'runbooks'];
    const piped = await throughSlowPipe(args);
    expect(piped.code).toBe(0);
    const doc = JSON.parse(piped.stdout.toString('utf8')) as {
      status: string;
      steps: Array<{ id: string; outputs: { stdout: string } }>;
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.map((step) => step.id)).toEqual(['print']);
    expect(doc.steps[0]?.outputs.stdout).toBe('0123456789abcdef\n'.repeat(61681).slice(0, 1048576));
    // A second run differs only in its run id, times and journal path.
    const file = join(dir.path, 'big.json');
    expect(await intoFile(args, file)).toBe(0);
    const stable = (text: string): string =>
      text
        .replace(/"run_id": "[^"]+"/g, '"run_id": ""')
        .replace(/"journal": "[^"]+"/g, '"journal": ""')
        .replace(/"duration_ms": \d+/g, '"duration_ms": 0');
    expect(stable(piped.stdout.toString('utf8'))).toBe(stable(readFileSync(file, 'utf8')));
  });

  it('check --format prometheus over 200 checks', async () => {
    const args = ['check', 'many-checks', '--format', 'prometheus', '--dir', 'runbooks'];
    const piped = await throughSlowPipe(args);
    expect(piped.code).toBe(0);
    const text = piped.stdout.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const states = text.split('\n').filter((line) => line.startsWith('runbook_check_state{'));
    expect(states).toHaveLength(200);
    expect(states[199]).toBe(
      `runbook_check_state{runbook="many-checks",check="check-199-${'x'.repeat(120)}",service="pipes",severity=""} 0`,
    );
    const file = join(dir.path, 'checks.prom');
    expect(await intoFile(args, file)).toBe(0);
    const stable = (body: string): string =>
      body.replace(/^(runbook_check_duration_seconds\{[^}]*\}) .*$/gm, '$1');
    expect(stable(text)).toBe(stable(readFileSync(file, 'utf8')));
  });

  it('validate --format junit over 300 files', async () => {
    const args = ['validate', 'invalid', '--format', 'junit'];
    const piped = await throughSlowPipe(args);
    const file = join(dir.path, 'validate.xml');
    expect(await intoFile(args, file)).toBe(2);
    expect(piped.code).toBe(2);
    expect(piped.stdout.equals(readFileSync(file))).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(piped.stdout.toString('utf8')) as {
      testsuites: { testsuite: { testcase: Array<{ '@_name': string }> } };
    };
    const cases = doc.testsuites.testsuite.testcase;
    expect(cases).toHaveLength(300);
    expect(cases[299]?.['@_name']).toBe('invalid/file-299.yaml');
  });
});
