import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

// Where each kind of test lives (docs/architecture.md, Tests), so that vitest.config.ts finds them
// all and nobody has to guess what a file starts: unit tests beside their code in src/, as
// `*.test.ts`; integration tests in test/integration/, as `*.int.test.ts`, in-process; end-to-end
// tests in test/e2e/, as `*.e2e.test.ts`, each starting bin/runbook.js (or a packed install) as a
// process.

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

const TESTS = /\.test\.[cm]?[jt]s$/;
/** What starts the built CLI (or a script that does) as a process. */
const STARTS_A_PROCESS = /\brunBin\(|\bBIN\b|from 'node:child_process'/;

describe('the tests’ layout', () => {
  it('unit tests sit beside their code, named *.test.ts and never like the other kinds', () => {
    const misnamed = files('src').filter(
      (file) =>
        TESTS.test(file) && (!file.endsWith('.test.ts') || /\.(int|e2e)\.test\.ts$/.test(file)),
    );
    expect(misnamed).toEqual([]);
  });

  it('every test under test/ is an integration test in test/integration or an end-to-end test in test/e2e', () => {
    const misplaced = files('test').filter(
      (file) =>
        TESTS.test(file) &&
        !/^test\/integration\/.+\.int\.test\.ts$/.test(file) &&
        !/^test\/e2e\/.+\.e2e\.test\.ts$/.test(file),
    );
    expect(misplaced).toEqual([]);
    const elsewhere = [...files('test/integration'), ...files('test/e2e')].filter(
      (file) => !TESTS.test(file),
    );
    expect(elsewhere).toEqual([]);
  });

  it('integration tests never start the binary; each end-to-end test file does', () => {
    const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
    expect(
      files('test/integration').filter((file) => /\brunBin\b|\bBIN\b/.test(read(file))),
    ).toEqual([]);
    expect(files('test/e2e').filter((file) => !STARTS_A_PROCESS.test(read(file)))).toEqual([]);
  });
});
