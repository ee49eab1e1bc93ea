import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { THREADS_FROM_BYTES, workerCount } from '../../../src/cli/import-make.js';
import { ROOT, runBin, tempDir } from '../../helpers/cli.js';

/**
 * `runbook import` on worker threads (src/cli/import-pool.ts: this thread drafts each file's
 * runbooks, in file order, the workers write and validate them) writes the same files, byte for
 * byte, and the same summary as on one thread, ids that clash across files included
 * (docs/import.md#speed).
 */

const dir = tempDir('runbook-import-threads-');
afterAll(() => dir.remove());

/** Every file under `root`: its path and text. */
function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(root).sort()) files[name] = readFileSync(join(root, name), 'utf8');
  return files;
}

async function importWith(
  threads: string | undefined,
  out: string,
  pages = 'pages',
  options: { bin?: string; stderr?: string } = {},
): Promise<{ summary: string; files: Record<string, string> }> {
  const result = await runBin(['import', pages, '--out-dir', out, '--format', 'json'], {
    cwd: dir.path,
    env: { RUNBOOK_IMPORT_THREADS: threads, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    ...(options.bin ? { bin: options.bin } : {}),
  });
  expect(result.stderr).toBe(options.stderr ?? '');
  expect(result.code).toBe(0);
  return { summary: result.stdout.replaceAll(out, 'OUT'), files: tree(join(dir.path, out)) };
}

describe('runbook import on worker threads', () => {
  it('writes what one thread writes, ids that clash across files included', async () => {
    // The seeds and public runbooks twice, under a/ and b/: b/'s pages have a/'s titles, so each
    // of their ids clashes with one taken by an earlier file and gets its -2.
    const pages = join(dir.path, 'pages');
    for (const sub of ['a', 'b']) {
      mkdirSync(join(pages, sub), { recursive: true });
      for (const folder of ['seeds', 'corpus'])
        cpSync(join(ROOT, 'test/fixtures/import', folder), join(pages, sub), {
          recursive: true,
          filter: (source) => !source.endsWith('SOURCES.md'),
        });
    }
    writeFileSync(join(pages, 'c.md'), '# Disk full\n\n## Resolution\n\n```bash\ndf -h\n```\n');
    const one = await importWith('1', 'out-1');
    const two = await importWith('2', 'out-2');
    const three = await importWith('3', 'out-3');
    // 23 pages: one file each, a catalog where a page gives several runbooks; 85 runbooks.
    expect(Object.keys(one.files)).toHaveLength(23);
    expect(two.files).toEqual(one.files);
    expect(three.files).toEqual(one.files);
    expect(two.summary).toBe(one.summary);
    expect(three.summary).toBe(one.summary);
    const summary = JSON.parse(one.summary) as {
      files: Array<{ file: string; runbooks: Array<{ id: string }> }>;
    };
    expect(summary.files.flatMap((file) => file.runbooks)).toHaveLength(85);
    const ids = (file: string): string[] =>
      summary.files.find((f) => f.file === file)?.runbooks.map((r) => r.id) ?? [];
    const first = ids('pages/a/' + (readdirSync(join(pages, 'a')).sort()[0] ?? ''));
    const again = ids('pages/b/' + (readdirSync(join(pages, 'b')).sort()[0] ?? ''));
    expect(again).toEqual(first.map((id) => `${id}-2`));
  });

  it('runs a large import on two threads by itself, and writes what one thread writes', async () => {
    // The seeds and public runbooks nine times over: more than THREADS_FROM_BYTES (1 MiB).
    const pages = join(dir.path, 'large');
    let bytes = 0;
    for (let copy = 0; copy < 9; copy++)
      for (const folder of ['seeds', 'corpus'])
        for (const file of readdirSync(join(ROOT, 'test/fixtures/import', folder))) {
          if (file === 'SOURCES.md') continue;
          const text = readFileSync(join(ROOT, 'test/fixtures/import', folder, file));
          mkdirSync(join(pages, `copy-${copy}`), { recursive: true });
          writeFileSync(join(pages, `copy-${copy}`, file), text);
          bytes += text.byteLength;
        }
    expect(bytes).toBeGreaterThanOrEqual(THREADS_FROM_BYTES);
    expect(workerCount(99, bytes, {}, 2)).toBe(2);
    const one = await importWith('1', 'large-1', 'large');
    const unset = await importWith(undefined, 'large-unset', 'large');
    expect(Object.keys(one.files)).toHaveLength(99);
    expect(unset.files).toEqual(one.files);
    expect(unset.summary.replaceAll('large-unset', 'large-1')).toBe(one.summary);
  });

  it('finishes on this thread the files of a worker that stops, and says so', async () => {
    // A copy of the package whose worker ends when it is sent its first file.
    const copy = join(dir.path, 'package');
    for (const part of ['bin', 'dist'])
      cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    for (const link of ['node_modules', 'schema']) symlinkSync(join(ROOT, link), join(copy, link));
    writeFileSync(
      join(copy, 'dist/import-worker.cjs'),
      "require('node:worker_threads').parentPort.once('message', () => process.exit(3));\n",
    );
    const pages = join(dir.path, 'stopping');
    for (const folder of ['seeds', 'corpus'])
      cpSync(join(ROOT, 'test/fixtures/import', folder), pages, {
        recursive: true,
        filter: (source) => !source.endsWith('SOURCES.md'),
      });
    const bin = join(copy, 'bin/runbook.js');
    const one = await importWith('1', 'stopping-1', 'stopping', { bin });
    const stopped = await importWith('2', 'stopping-2', 'stopping', {
      bin,
      stderr: 'runbook: an import worker stopped (exit 3); its files are finished on this thread\n',
    });
    expect(Object.keys(one.files)).toHaveLength(11);
    expect(stopped.files).toEqual(one.files);
    expect(stopped.summary.replaceAll('stopping-2', 'stopping-1')).toBe(one.summary);
  });
});
