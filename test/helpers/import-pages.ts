import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Markdown fixtures of `runbook import` (test/fixtures/import/{seeds,corpus}), in the order
 * bench/import.mjs reads them; `source` is the path under test/fixtures/import/. */
export function importFixtures(root: string): Array<{ source: string; text: string }> {
  return ['seeds', 'corpus'].flatMap((folder) =>
    readdirSync(join(root, 'test/fixtures/import', folder))
      .filter((file) => file.endsWith('.md') && file !== 'SOURCES.md')
      .sort()
      .map((file) => ({
        source: `${folder}/${file}`,
        text: readFileSync(join(root, 'test/fixtures/import', folder, file), 'utf8'),
      })),
  );
}

/** The 100 pages of about 20 KB that bench/import.mjs imports, made the same way: each fixture in
 * turn, repeated under its own title until the page is 20 KB. */
export function benchPages(root: string): Array<{ source: string; text: string }> {
  const fixtures = importFixtures(root);
  const pages: Array<{ source: string; text: string }> = [];
  for (let n = 0; n < 100; n++) {
    const source = fixtures[n % fixtures.length]?.text ?? '';
    let page = `# Service ${n} runbooks\n\n`;
    for (let part = 0; Buffer.byteLength(page) < 20 * 1024; part++)
      page += source.replace(/^# (.*)$/gm, `## $1 (part ${part})`) + '\n';
    pages.push({ source: `service-${n}.md`, text: page });
  }
  return pages;
}
