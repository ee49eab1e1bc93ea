import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPage } from '../../../src/import/build.js';
import { libraryYaml, runbookDocument } from '../../../src/import/emit.js';
import { parseMarkdown } from '../../../src/import/markdown.js';
import { writeYaml } from '../../../src/import/yaml-write.js';
import { benchPages, importFixtures } from '../../helpers/import-pages.js';
import { ROOT } from '../../helpers/cli.js';

/**
 * The importer's YAML writer (src/import/yaml-write.ts) writes what the yaml library writes, byte
 * for byte, for every runbook imported from the fixtures (test/fixtures/import/) and from the
 * pages of bench/import.mjs; and it writes them all itself, leaving none to the library.
 */

function compare(pages: Array<{ source: string; text: string }>): { runbooks: number } {
  const taken = new Set<string>();
  let runbooks = 0;
  for (const { source, text } of pages) {
    const page = buildPage(parseMarkdown(text), { source, taken });
    for (const draft of page.runbooks) {
      const { data, layout } = runbookDocument(draft, page.page, {
        schema: '../schema/runbook.schema.json',
        severityScheme: undefined,
        source,
      });
      const written = writeYaml(data, layout);
      expect({ id: draft.id, yaml: written }).toEqual({
        id: draft.id,
        yaml: libraryYaml(data, layout),
      });
      runbooks++;
    }
  }
  return { runbooks };
}

describe('the import YAML writer against the yaml library', () => {
  it('writes every fixture runbook as the library does', () => {
    const fixtures = importFixtures(ROOT);
    expect(fixtures.map((f) => f.source)).toEqual(
      ['seeds', 'corpus'].flatMap((folder) =>
        readdirSync(join(ROOT, 'test/fixtures/import', folder))
          .filter((file) => file.endsWith('.md') && file !== 'SOURCES.md')
          .sort()
          .map((file) => `${folder}/${file}`),
      ),
    );
    expect(fixtures[0]?.text).toBe(
      readFileSync(join(ROOT, 'test/fixtures/import', fixtures[0]?.source ?? ''), 'utf8'),
    );
    expect(compare(fixtures).runbooks).toBe(EXPECTED_FIXTURE_RUNBOOKS);
  });

  it("writes the bench's 100 pages' runbooks as the library does", () => {
    expect(compare(benchPages(ROOT)).runbooks).toBe(814);
  });
});

// Runbooks the 11 fixtures import into (as import-fixtures.int.test.ts counts them).
const EXPECTED_FIXTURE_RUNBOOKS = 42;
