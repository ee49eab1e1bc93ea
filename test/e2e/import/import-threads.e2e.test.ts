import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../../helpers/cli.js';

/**
 * `runbook import` on worker threads (RUNBOOK_IMPORT_THREADS, src/cli/import-pool.ts) writes the
 * same files, byte for byte, and the same summary as on one thread: ids assigned in file order,
 * files whose ids clash with earlier files' imported again with theirs (docs/import.md#speed).
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
  threads: string,
  out: string,
): Promise<{ summary: string; files: Record<string, string> }> {
  const result = await runBin(['import', 'pages', '--out-dir', out, '--format', 'json'], {
    cwd: dir.path,
    env: { RUNBOOK_IMPORT_THREADS: threads, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
  });
  expect(result.stderr).toBe('');
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
});
