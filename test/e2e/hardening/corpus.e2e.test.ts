import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../../helpers/cli.js';

// A corpus of bad runbook files, each with what `runbook validate` says of it (exit code,
// file:line:col, message), within a time and a memory bound. The files that can be committed are in
// corpus/cases/ with their expectations in corpus/expected.yaml; those that cannot (special files,
// huge or unreadable ones, bytes that are not text) are made here.

const CORPUS = join(ROOT, 'test/fixtures/corpus');
const CASES = join(CORPUS, 'cases');

interface Expected {
  exit: number;
  args?: string[];
  errors: string[];
  warnings?: string[];
}

const EXPECTED = parse(readFileSync(join(CORPUS, 'expected.yaml'), 'utf8')) as Record<
  string,
  Expected
>;
const FILES = readdirSync(CASES)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

/** In-process validate of one file: the time bound of each case (the first one loads the
 * expression language and the adapters). A hostile file that is not bounded takes minutes; a
 * bounded one takes milliseconds, and up to ~2 s on a machine at full load: 10 s tells the two
 * apart on any machine. */
const CASE_MS = 10_000;
/** Through the real binary: peak memory and wall time of one process. */
const PEAK_KB = 300 * 1024;
const WALL_MS = 10_000;

interface JsonReport {
  files: Array<{
    file: string;
    errors: Array<{ file: string; line: number; col: number; message: string }>;
    warnings: Array<{ file: string; line: number; col: number; message: string }>;
  }>;
}

/** `file:line:col: message` of each error and warning of each file of a `--format json` report. */
function located(stdout: string): Record<string, { errors: string[]; warnings: string[] }> {
  const report = JSON.parse(stdout) as JsonReport;
  const line = (d: { file: string; line: number; col: number; message: string }) =>
    `${d.file}:${d.line}:${d.col}: ${d.message}`;
  return Object.fromEntries(
    report.files.map((f) => [
      f.file,
      { errors: f.errors.map(line), warnings: f.warnings.map(line) },
    ]),
  );
}

interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  peakKb: number;
  ms: number;
}

/**
 * Runs bin/runbook.js under /usr/bin/time (its peak resident memory), as root or as `nobody`, and
 * kills it past the wall-clock bound: a hang ends the test with a signal, never a stuck suite.
 */
function measured(
  args: string[],
  options: { cwd: string; user?: 'nobody'; env?: Record<string, string> },
): Promise<Measured> {
  const timed = ['/usr/bin/time', '-f', 'peak-kb=%M', process.execPath, BIN, ...args];
  const [command = '', ...rest] = options.user
    ? ['runuser', '-u', options.user, '--', ...timed]
    : timed;
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, rest, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), WALL_MS);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const peak = /(?:Command exited with non-zero status \d+\n)?peak-kb=(\d+)\n$/.exec(stderr);
      done({
        code,
        signal,
        stdout,
        stderr: peak ? stderr.slice(0, peak.index) : stderr,
        peakKb: Number(peak?.[1] ?? Number.NaN),
        ms,
      });
    });
  });
}

describe('the committed corpus: each file as validate reports it', () => {
  it('has one expectation for each file, and a file for each expectation', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(FILES);
    expect(FILES.length).toBe(184);
  });

  it.each(FILES)('%s', async (file) => {
    const expected = EXPECTED[file];
    if (!expected) throw new Error(`${file} has no entry in corpus/expected.yaml`);
    const started = performance.now();
    const result = await runCli(['validate', '--format', 'json', ...(expected.args ?? []), file], {
      cwd: CASES,
    });
    const ms = performance.now() - started;
    expect({ code: result.code, ...located(result.stdout)[file], stderr: result.stderr }).toEqual({
      code: expected.exit,
      errors: expected.errors,
      warnings: expected.warnings ?? [],
      stderr: '',
    });
    expect(ms).toBeLessThan(CASE_MS);
  });

  it('all at once through the real binary: the same reports, in bounded time and memory', async () => {
    const result = await measured(['validate', '--format', 'json', '.'], { cwd: CASES });
    expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({
      code: 2,
      signal: null,
      stderr: '',
    });
    const reports = located(result.stdout);
    for (const file of FILES.filter((name) => !EXPECTED[name]?.args))
      expect(reports[file], file).toEqual({
        errors: EXPECTED[file]?.errors,
        warnings: EXPECTED[file]?.warnings ?? [],
      });
    expect(result.peakKb).toBeLessThan(PEAK_KB);
    expect(result.ms).toBeLessThan(WALL_MS);
  });
});

/** A case made at test time: what to make in `dir`, what to validate, and what is reported. */
interface Made {
  name: string;
  make: (dir: string) => void | Promise<void>;
  /** The path given to validate (relative to the case's directory); default `x.yaml`. */
  target?: string;
  user?: 'nobody';
  code: number;
  /** The errors of the target in the `--format json` report. */
  errors?: string[];
  /** The whole report, by file, when it is not one file's errors. */
  report?: Record<string, { errors: string[]; warnings: string[] }>;
  /** What is said on stderr; `{dir}` stands for the case's directory. */
  stderr?: string;
}

const STEP = 'diagnosis:\n  - id: a\n    run: echo hi\n';
const NOT_REGULAR =
  'not a regular file (a FIFO, socket or device is never read as a runbook)\nhint: move it out of the runbook directory\n';
const DEEP_PARENS = `${'('.repeat(3000)}1${')'.repeat(3000)} == 1`;
const LONG_SUM = `${'1 + '.repeat(20_000)}1 == 2`;
const DEEP_LIST = `size(${'['.repeat(900)}${']'.repeat(900)}) == 1`;
const withWhen = (when: string) =>
  `id: x\ntitle: T\ndiagnosis:\n  - id: a\n    when: "${when}"\n    run: echo hi\n`;

const sockets: Server[] = [];

const MADE: Made[] = [
  {
    name: 'a FIFO named zz.yaml (opening it to read would wait for a writer forever)',
    make: (dir) => mkfifo(join(dir, 'zz.yaml')),
    target: 'zz.yaml',
    code: 2,
    stderr: `runbook: {dir}/zz.yaml: ${NOT_REGULAR}`,
  },
  {
    name: 'x.yaml -> /dev/zero (an endless file)',
    make: (dir) => symlinkSync('/dev/zero', join(dir, 'x.yaml')),
    code: 2,
    stderr: `runbook: {dir}/x.yaml: ${NOT_REGULAR}`,
  },
  {
    name: 'x.yaml -> /dev/null (a device)',
    make: (dir) => symlinkSync('/dev/null', join(dir, 'x.yaml')),
    code: 2,
    stderr: `runbook: {dir}/x.yaml: ${NOT_REGULAR}`,
  },
  {
    name: 'a socket named x.yaml',
    make: (dir) =>
      new Promise<void>((listening) => {
        const server = createServer();
        sockets.push(server);
        server.listen(join(dir, 'x.yaml'), listening);
      }),
    code: 2,
    stderr: `runbook: {dir}/x.yaml: ${NOT_REGULAR}`,
  },
  {
    name: 'a 1.9 GB sparse file (its size is looked at, it is never read)',
    make: (dir) => truncate(join(dir, 'x.yaml'), 1900 * 1024 * 1024),
    code: 2,
    errors: ['x.yaml:1:1: file is too large: 1992294400 bytes (the limit is 4.0 MiB)'],
  },
  {
    name: 'a 5 MiB file',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), `# ${'a'.repeat(5 * 1024 * 1024 - 2)}`),
    code: 2,
    errors: ['x.yaml:1:1: file is too large: 5242880 bytes (the limit is 4.0 MiB)'],
  },
  {
    name: '500,000 unclosed [ (refused before the parser sees them)',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), `a: ${'['.repeat(500_000)}`),
    code: 2,
    errors: ['x.yaml:1:1004: nesting deeper than 1000 levels of [ ] or { }: refusing to parse it'],
  },
  {
    name: 'a symbolic link loop',
    make: (dir) => {
      symlinkSync('y.yaml', join(dir, 'x.yaml'));
      symlinkSync('x.yaml', join(dir, 'y.yaml'));
    },
    code: 2,
    stderr: 'runbook: {dir}/x.yaml: too many levels of symbolic links\n',
  },
  {
    name: 'a link to nothing',
    make: (dir) => symlinkSync('gone.yaml', join(dir, 'x.yaml')),
    code: 2,
    stderr:
      'runbook: {dir}/x.yaml: no such file or directory\nhint: give the runbook directory with --dir or RUNBOOK_DIR, or list it under dirs: in runbook.config.yaml\n',
  },
  {
    name: 'a directory named x.yaml (nothing to validate is not a pass)',
    make: (dir) => mkdirSync(join(dir, 'x.yaml')),
    code: 2,
    report: {},
  },
  {
    name: 'a file nobody may read, validated as nobody',
    make: (dir) => {
      writeFileSync(join(dir, 'x.yaml'), `id: x\ntitle: T\n${STEP}`);
      chmodSync(join(dir, 'x.yaml'), 0o000);
    },
    user: 'nobody',
    code: 2,
    errors: ['x.yaml:1:1: cannot read: permission denied'],
  },
  {
    name: 'a subdirectory nobody may list, validated as nobody',
    make: (dir) => {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub/x.yaml'), `id: x\ntitle: T\n${STEP}`);
      chmodSync(join(dir, 'sub'), 0o000);
    },
    target: '.',
    user: 'nobody',
    code: 2,
    stderr: 'runbook: {dir}/sub: permission denied\n',
  },
  {
    name: 'NUL bytes',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), `id: x\ntitle: T\0\0\n${STEP}`),
    code: 2,
    errors: ['x.yaml:1:1: not a text file: binary data (a NUL byte at offset 14)'],
  },
  {
    name: 'bytes that are not UTF-8',
    make: (dir) =>
      writeFileSync(
        join(dir, 'x.yaml'),
        Buffer.concat([
          Buffer.from('id: x\ntitle: '),
          Buffer.from([0xff, 0xc0, 0x80]),
          Buffer.from(`\n${STEP}`),
        ]),
      ),
    code: 2,
    errors: ['x.yaml:1:1: not a text file: the bytes are not valid UTF-8'],
  },
  {
    name: 'UTF-16 (a BOM, then NUL bytes)',
    make: (dir) =>
      writeFileSync(join(dir, 'x.yaml'), Buffer.from(`\ufeffid: x\ntitle: T\n${STEP}`, 'utf16le')),
    code: 2,
    errors: ['x.yaml:1:1: not a text file: binary data (a NUL byte at offset 3)'],
  },
  {
    name: 'an alias bomb (9 levels of 9 aliases: 387 million values if expanded)',
    make: (dir) => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (const [previous, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'].map((p) =>
        p.split(''),
      ))
        levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
      writeFileSync(join(dir, 'x.yaml'), `${levels.join('\n')}\n`);
    },
    code: 2,
    errors: [
      'x.yaml:1:1: too many YAML alias expansions (more than 100): refusing a possible alias bomb',
    ],
  },
  {
    name: '3,000 nested parentheses in an expression',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), withWhen(DEEP_PARENS)),
    code: 2,
    errors: [`x.yaml:5:11: invalid expression \`${DEEP_PARENS}\`: Exceeded maxDepth (250)`],
  },
  {
    name: 'a sum of 20,001 terms in an expression',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), withWhen(LONG_SUM)),
    code: 2,
    errors: [`x.yaml:5:11: invalid expression \`${LONG_SUM}\`: Maximum call stack size exceeded`],
  },
  {
    name: '900 nested list literals in an expression',
    make: (dir) => writeFileSync(join(dir, 'x.yaml'), withWhen(DEEP_LIST)),
    code: 2,
    errors: [`x.yaml:5:11: invalid expression \`${DEEP_LIST}\`: Exceeded maxDepth (250)`],
  },
];

function mkfifo(path: string): void {
  tool('mkfifo', [path]);
}

function truncate(path: string, bytes: number): void {
  tool('truncate', ['-s', String(bytes), path]);
}

function tool(file: string, args: string[]): void {
  const { status } = spawnSync(file, args, { stdio: 'inherit' });
  if (status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${String(status)}`);
}

let root: { path: string; remove: () => void };
beforeAll(() => {
  root = tempDir('runbook-corpus-');
  // nobody must reach the cases' directories (mkdtemp makes it 0700).
  chmodSync(root.path, 0o755);
});
afterAll(async () => {
  await Promise.all(sockets.map((server) => new Promise((closed) => server.close(closed))));
  // What nobody could not read, root may still remove once it is writable.
  tool('chmod', ['-R', 'u+rwx', root.path]);
  root.remove();
});

describe('files that cannot be committed, through the real binary (time and memory bounded)', () => {
  it.each(MADE.map((made, index) => [index, made.name] as const))('%i: %s', async (index) => {
    const made = MADE[index];
    if (!made) throw new Error(`no case ${index}`);
    const dir = join(root.path, `case-${index}`);
    mkdirSync(dir, { mode: 0o755 });
    await made.make(dir);
    const target = made.target ?? 'x.yaml';
    const result = await measured(['validate', '--format', 'json', target], {
      cwd: dir,
      ...(made.user ? { user: made.user } : {}),
    });
    expect({
      code: result.code,
      signal: result.signal,
      report: result.stdout ? located(result.stdout) : undefined,
      stderr: result.stderr,
    }).toEqual({
      code: made.code,
      signal: null,
      report:
        made.report ??
        (made.errors ? { [target]: { errors: made.errors, warnings: [] } } : undefined),
      stderr: (made.stderr ?? '').replaceAll('{dir}', dir),
    });
    // None of them is valid, nor is a path that holds no runbook file.
    if (result.stdout) expect((JSON.parse(result.stdout) as { valid: boolean }).valid).toBe(false);
    expect(result.peakKb).toBeLessThan(PEAK_KB);
    expect(result.ms).toBeLessThan(WALL_MS);
  });
});

/** Committed cases, one of each kind, and made ones, side by side in one runbook directory. */
const SUBSET = [
  'duration-http-timeout-600h.yaml',
  'expr-constant-overflow.yaml',
  'expr-when-not-bool.yaml',
  'limit-101-aliases.yaml',
  'proto-expect-key.yaml',
  'schema-step-timeout-word.yaml',
  'semantic-later-step.yaml',
  'semantic-process-env.yaml',
  'yaml-unclosed-flow-seq.yaml',
  'yaml-unknown-alias.yaml',
];
/** Made files of the subset, with the first problem validate reports in each. */
const SUBSET_MADE: Record<string, { bytes: () => Buffer | string; first: string; size?: number }> =
  {
    'made-binary.yaml': {
      bytes: () => `id: made-binary\ntitle: T\0\n${STEP}`,
      first: '1:1: not a text file: binary data (a NUL byte at offset 24)',
    },
    'made-bomb.yaml': {
      bytes: () =>
        ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]']
          .concat([
            'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
            'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
          ])
          .join('\n'),
      first: '1:1: too many YAML alias expansions (more than 100): refusing a possible alias bomb',
    },
    'made-deep.yaml': {
      bytes: () => `a: ${'['.repeat(500_000)}`,
      first: '1:1004: nesting deeper than 1000 levels of [ ] or { }: refusing to parse it',
    },
    'made-large.yaml': {
      bytes: () => `# ${'a'.repeat(5 * 1024 * 1024 - 2)}`,
      first: '1:1: file is too large: 5242880 bytes (the limit is 4.0 MiB)',
    },
    'made-not-utf8.yaml': {
      bytes: () => Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xc3, 0x28, 0x0a]),
      first: '1:1: not a text file: the bytes are not valid UTF-8',
    },
    'made-sparse.yaml': {
      bytes: () => '',
      size: 1900 * 1024 * 1024,
      first: '1:1: file is too large: 1992294400 bytes (the limit is 4.0 MiB)',
    },
  };

describe('a directory of bad runbooks through list, run --dry-run and check', () => {
  let runbooks: string;
  let state: string;
  const files = [...SUBSET, ...Object.keys(SUBSET_MADE)].sort();
  /** `file:line:col: message` of the first problem of each file, the file as an absolute path. */
  const firstProblem = (file: string): string => {
    const made = SUBSET_MADE[file];
    const first = made ? `${file}:${made.first}` : (EXPECTED[file]?.errors[0] ?? '');
    return join(runbooks, first);
  };
  const firstMessage = (file: string): string => firstProblem(file).replace(/^[^:]*:\d+:\d+: /, '');

  beforeAll(() => {
    runbooks = join(root.path, 'subset');
    state = join(root.path, 'subset-state');
    mkdirSync(runbooks);
    for (const file of SUBSET) copyFileSync(join(CASES, file), join(runbooks, file));
    for (const [file, made] of Object.entries(SUBSET_MADE)) {
      writeFileSync(join(runbooks, file), made.bytes());
      if (made.size) truncate(join(runbooks, file), made.size);
    }
  });

  it('list: lists none, and names each invalid file (exit 2: none is valid)', async () => {
    const result = await runCli(['list', '--dir', runbooks], { env: { RUNBOOK_STATE_DIR: state } });
    expect(result).toEqual({
      code: 2,
      stdout: 'no runbooks found\n',
      stderr: files
        .map(
          (file) =>
            `warning: ${join(runbooks, file)} is not a valid runbook and is not listed; see: runbook validate ${join(runbooks, file)}\n`,
        )
        .join(''),
    });
  });

  it.each(files)(
    'run %s --dry-run: refused with its first problem at file:line:col (exit 2)',
    async (file) => {
      const id = file.replace(/\.yaml$/, '');
      const result = await runCli(['run', id, '--dry-run', '--dir', runbooks], {
        env: { RUNBOOK_STATE_DIR: state },
      });
      expect({
        code: result.code,
        stdout: result.stdout,
        first: result.stderr.split('\n')[0],
        last: result.stderr.trimEnd().split('\n').pop(),
      }).toEqual({
        code: 2,
        stdout: '',
        first: firstProblem(file).replace(/^(.*?:\d+:\d+): /, '$1: error: '),
        last: expect.stringMatching(
          new RegExp(
            `error(s)? — fix it, then check with: runbook validate ${join(runbooks, file)}$`,
          ),
        ),
      });
    },
  );

  it('check --all --timeout 3s: each file UNKNOWN with its problem (exit 3), in bounded time and memory', async () => {
    const result = await measured(['check', '--all', '--dir', runbooks, '--timeout', '3s'], {
      cwd: root.path,
      env: { RUNBOOK_STATE_DIR: state },
    });
    const [summary, ...lines] = result.stdout.trimEnd().split('\n');
    // Run in the directory above: files are shown relative to it.
    const shown = (file: string) => `subset/${file}`;
    expect({
      code: result.code,
      signal: result.signal,
      stderr: result.stderr,
      summary,
      lines: lines.map((line) => line.replace(/ \(\d+ms\): /, ' (…ms): ')),
    }).toEqual({
      code: 3,
      signal: null,
      stderr: '',
      summary: `RUNBOOK UNKNOWN - ${files.length} UNKNOWN: ${shown(files[0] ?? '')}/-: invalid runbook: ${firstMessage(files[0] ?? '')} (runbook validate ${shown(files[0] ?? '')}) (+${files.length - 1} more)`,
      lines: files.map(
        (file) =>
          `UNKNOWN ${shown(file)}/- (…ms): invalid runbook: ${firstMessage(file)} (runbook validate ${shown(file)})`,
      ),
    });
    expect(result.peakKb).toBeLessThan(PEAK_KB);
    expect(result.ms).toBeLessThan(WALL_MS);
  });

  it('a FIFO among them: list and run refuse the directory (exit 2), check is UNKNOWN (exit 3)', async () => {
    const withFifo = join(root.path, 'with-fifo');
    mkdirSync(withFifo);
    copyFileSync(join(CASES, SUBSET[0] ?? ''), join(withFifo, SUBSET[0] ?? ''));
    mkfifo(join(withFifo, 'zz.yaml'));
    const env = { RUNBOOK_STATE_DIR: state };
    const refusal = `${join(withFifo, 'zz.yaml')}: ${NOT_REGULAR}`;
    expect(await runCli(['list', '--dir', withFifo], { env })).toEqual({
      code: 2,
      stdout: '',
      stderr: `runbook: ${refusal}`,
    });
    expect(await runCli(['run', 'zz', '--dry-run', '--dir', withFifo], { env })).toEqual({
      code: 2,
      stdout: '',
      stderr: `runbook: ${refusal}`,
    });
    const check = await measured(['check', '--all', '--dir', withFifo, '--timeout', '3s'], {
      cwd: root.path,
      env,
    });
    expect({ code: check.code, signal: check.signal, stdout: check.stdout }).toEqual({
      code: 3,
      signal: null,
      stdout: `RUNBOOK UNKNOWN - ${refusal.replace('\nhint: ', ' (').replace(/\n$/, ')')}\n`,
    });
  });
});
