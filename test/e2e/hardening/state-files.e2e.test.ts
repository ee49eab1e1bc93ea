import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, runCli, tempDir } from '../../helpers/cli.js';

// The state directory holds what runbook trusts later (locks, journals, cached runbooks). It must
// be the user's own, nothing in it is reached through a symbolic link, and a full disk is an
// environment error that stops the run before a step it could not record.

let dir: { path: string; remove: () => void };
const isRoot = process.getuid?.() === 0;

beforeAll(() => {
  dir = tempDir('runbook-state-');
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(
    join(dir.path, 'runbooks/crash.yaml'),
    [
      'id: crash',
      'title: Writes a marker',
      'resolution:',
      '  - id: mark',
      '    run: echo ran >> "$MARKS"',
      '',
    ].join('\n'),
  );
});
afterAll(() => dir.remove());

const runCrash = (stateDir: string) =>
  runCli(['run', 'crash', '--yes', '--dir', join(dir.path, 'runbooks')], {
    cwd: dir.path,
    env: { RUNBOOK_STATE_DIR: stateDir, MARKS: join(dir.path, 'marks') },
  });

describe('a state directory someone else could change is refused (exit 2)', () => {
  it('a lock placed as a symbolic link is not followed: its target is untouched', async () => {
    const state = join(dir.path, 'linked-lock');
    mkdirSync(join(state, 'locks'), { recursive: true, mode: 0o700 });
    const victim = join(dir.path, 'victim.conf');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(state, 'locks/crash.lock'));
    const result = await runCrash(state);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `runbook: lock ${state}/locks/crash.lock is not a regular file (a symbolic link?): refusing to use it\n` +
        'hint: remove it if you trust nothing in that directory, then run again\n',
    );
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(join(dir.path, 'marks'))).toBe(false);
  });

  it('a state directory that is a symbolic link', async () => {
    const real = join(dir.path, 'real-state');
    mkdirSync(real, { mode: 0o700 });
    const link = join(dir.path, 'link-state');
    symlinkSync(real, link);
    const result = await runCrash(link);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      `runbook: state directory ${link} is a symbolic link: refusing to use it`,
    );
  });

  it('a runs/ directory that is a symbolic link', async () => {
    const state = join(dir.path, 'linked-runs');
    mkdirSync(state, { mode: 0o700 });
    mkdirSync(join(dir.path, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(dir.path, 'elsewhere'), join(state, 'runs'));
    const result = await runCrash(state);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      `runbook: state directory ${state}/runs is a symbolic link: refusing to use it`,
    );
    expect(readdirSync(join(dir.path, 'elsewhere'))).toEqual([]);
  });

  it('a state directory its group can write', async () => {
    const state = join(dir.path, 'group-writable');
    mkdirSync(state);
    chmodSync(state, 0o770);
    const result = await runCrash(state);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `runbook: state directory ${state} can be written by its group (mode 770): refusing to use it\n` +
        `hint: chmod go-w ${state}\n`,
    );
  });

  it('a state directory that belongs to another user', async () => {
    // As root: a directory given to nobody. Otherwise: / belongs to root.
    let state = '/';
    if (isRoot) {
      state = join(dir.path, 'nobodys');
      mkdirSync(state, { mode: 0o700 });
      chownSync(state, 65534, 65534);
    }
    const result = await runCrash(state);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(
      `runbook: state directory ${state} belongs to uid ${isRoot ? 65534 : 0}, not to this user (uid ${process.getuid?.() ?? ''}): refusing to use it`,
    );
    expect(existsSync(join(dir.path, 'marks'))).toBe(false);
  });
});

describe('a stale lock is taken over by exactly one of many', () => {
  const CONTENDERS = 10;
  const TRIALS = 50;
  let racers: Array<{ child: ChildProcessByStdio<Writable, Readable, null>; lines: Interface }> =
    [];

  beforeAll(async () => {
    const script = join(dir.path, 'lock-racer.mjs');
    await build({
      entryPoints: [join(ROOT, 'test/helpers/lock-racer.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: script,
      logLevel: 'warning',
    });
    racers = Array.from({ length: CONTENDERS }, () => {
      const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
      return { child, lines: createInterface({ input: child.stdout }) };
    });
  }, 60_000);
  afterAll(() => {
    for (const { child } of racers) child.kill();
  });

  const nextLine = (lines: Interface): Promise<string> =>
    new Promise((resolve) => lines.once('line', resolve));

  it(`${CONTENDERS} at once, ${TRIALS} times over`, async () => {
    // A process that has exited: its pid is free (and not reused so soon).
    const dead = Number(
      execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']),
    );
    const winners: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const state = join(dir.path, `race-${trial}`);
      mkdirSync(join(state, 'locks'), { recursive: true, mode: 0o700 });
      writeFileSync(
        join(state, 'locks/crash.lock'),
        `${JSON.stringify({ run_id: 'crashed', pid: dead, user: 'x', host: hostname(), started_at: '', runbook: 'crash' })}\n`,
        { mode: 0o600 },
      );
      const barrier = join(state, 'go');
      const answers = racers.map(({ lines }) => nextLine(lines));
      for (const { child } of racers) child.stdin.write(`go ${state} ${barrier}\n`);
      writeFileSync(barrier, '');
      const results = await Promise.all(answers);
      winners.push(results.filter((answer) => answer === 'won').length);
      expect(results.filter((answer) => answer !== 'won')).toEqual(
        Array.from({ length: CONTENDERS - 1 }, () => 'lost LockedError'),
      );
      const released = racers.map(({ lines }) => nextLine(lines));
      for (const { child } of racers) child.stdin.write('release\n');
      await Promise.all(released);
      expect(readdirSync(join(state, 'locks'))).toEqual([]);
      rmSync(state, { recursive: true });
    }
    expect(winners).toEqual(Array.from({ length: TRIALS }, () => 1));
  }, 300_000);
});

describe('a full disk', () => {
  let mount: string;
  beforeAll(() => {
    if (!isRoot) throw new Error('these tests mount a small tmpfs, which needs root');
    mount = join(dir.path, 'tmpfs');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mount]);
    writeFileSync(
      join(dir.path, 'runbooks/fill.yaml'),
      [
        'id: fill',
        'title: A run that outgrows the disk',
        'diagnosis:',
        '  - id: small',
        '    run: echo hello',
        '    effect: read',
        '  - id: big',
        '    run: head -c 6000 /dev/zero | tr "\\0" x',
        '    effect: read',
        'resolution:',
        '  - id: fix',
        '    run: echo fixed > "$FIXED"',
        'verification:',
        '  - id: verify',
        '    run: cat "$FIXED"',
        '    effect: read',
        'rollback:',
        '  - id: undo',
        '    run: rm -f "$FIXED"',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    if (mount) execFileSync('umount', [mount]);
  });

  /** Leaves `free` bytes on the tmpfs (give or take a page). */
  function fillUpTo(free: number): void {
    rmSync(join(mount, 'filler'), { force: true });
    const total = Number(
      execFileSync('df', ['--output=avail', '-B1', mount]).toString().split('\n')[1],
    );
    writeFileSync(join(mount, 'filler'), Buffer.alloc(Math.max(0, total - free)));
  }

  it('the run stops before a step it could not record; the journal stays whole; exit 74', async () => {
    const state = join(mount, 'state');
    mkdirSync(join(state, 'runs'), { mode: 0o700, recursive: true });
    mkdirSync(join(state, 'locks'), { mode: 0o700 });
    // Room for the lock and the running record (a page each) and the first events of the journal.
    fillUpTo(16384);
    const fixed = join(dir.path, 'fixed');
    const result = await runBin(['run', 'fill', '--yes', '--dir', join(dir.path, 'runbooks')], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state, FIXED: fixed, NO_COLOR: '1' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(74);
    expect(existsSync(fixed)).toBe(false);
    const [journal] = readdirSync(join(state, 'runs'));
    const text = readFileSync(join(state, 'runs', journal ?? ''), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; step?: string; id?: string });
    expect(events.map((event) => `${event.type} ${event.step ?? event.id ?? ''}`.trim())).toEqual([
      'run.start',
      'section.start',
      'step.start small',
      'step.process small',
      'step.end small',
      'step.start big',
      'step.process big',
    ]);
    expect(result.stdout).toContain(
      `no further step was started. Not run: fix, verify, undo (rollback)\n`,
    );
    expect(result.stdout).toMatch(/no space left on device \(ENOSPC\)/);
  });

  it('a dry run on a full disk still prints its plan, with a warning (exit 0)', async () => {
    const state = join(mount, 'state-dry');
    mkdirSync(state, { mode: 0o700, recursive: true });
    fillUpTo(0);
    const result = await runBin(['run', 'fill', '--dry-run', '--dir', join(dir.path, 'runbooks')], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state, NO_COLOR: '1' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✔ Planned in \d+ms — 5 planned/);
    expect(result.stderr).toMatch(/^warning: .*no space left on device \(ENOSPC\)/m);
  });
});
