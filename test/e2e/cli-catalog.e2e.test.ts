import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';

/** Finding runbooks through bin/runbook.js, where reading what is not a file would hang the process
 * (test/integration/cli-catalog.int.test.ts finds them in-process). */

/** A directory outside the repository: no runbook.config.yaml applies there. */
let outside: { path: string; remove: () => void };

beforeAll(() => {
  outside = tempDir('runbook-catalog-');
});
afterAll(() => outside.remove());

const RUNBOOKS = join(ROOT, 'runbooks');

describe('finding runbooks, as a process', () => {
  it('a FIFO in a runbook directory is reported, never read (it would hang)', async () => {
    const dir = join(outside.path, 'fifo');
    mkdirSync(dir);
    copyFileSync(join(RUNBOOKS, 'demo/demo-api-down.yaml'), join(dir, 'demo-api-down.yaml'));
    execFileSync('mkfifo', [join(dir, 'zz.yaml')]);
    symlinkSync('/dev/zero', join(dir, 'x.yaml'));
    for (const command of [['list'], ['validate', dir], ['run', 'demo-api-down', '--dry-run']]) {
      const result = await runBin([...command, '--dir', dir], {
        cwd: outside.path,
        timeoutMs: 10_000,
      });
      expect(result.signal).toBe(null);
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).toMatch(
        /fifo\/x\.yaml: not a regular file \(a FIFO, socket or device is never read as a runbook\)/,
      );
    }
  });
});
