import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadRunbookFile, type LoadOptions } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

// Loading a file loads what validating it needs, read from the file itself: these tests load each
// language afresh (a test file has its own modules), so a need left out would show.

const dir = mkdtempSync(join(tmpdir(), 'runbook-load-needs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS: LoadOptions = {
  registry: createRegistry(),
  config: TEST_CONFIG,
};

async function problems(name: string, steps: string): Promise<string[]> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `id: ${name}\ntitle: T\ndiagnosis:\n${steps}`);
  const loaded = await loadRunbookFile(file, OPTIONS);
  return loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
}

describe('loadRunbookFile loads what the file needs', () => {
  it('checks a pattern spelled with a YAML escape, which its text does not show', async () => {
    expect(
      await problems(
        'escaped-call',
        `  - id: a\n    run: "true"\n    expect: ["outputs.stdout.m\\x61tches(\\"(b\\")"]\n`,
      ),
    ).toEqual([
      expect.stringMatching(
        /^6:14 `outputs.stdout.matches\("\(b"\)`: not an RE2 regular expression: /,
      ),
    ]);
    expect(
      await problems(
        'escaped-matcher',
        `  - id: a\n    run: "true"\n    expect: { stdout: { "m\\u0061tches": "(b" } }\n`,
      ),
    ).toEqual([expect.stringMatching(/^6:\d+ not an RE2 regular expression/)]);
  });

  it('checks the adapters a file names, and suggests among all of them', async () => {
    expect(
      await problems(
        'adapters',
        '  - id: a\n    uses: nginx.reload\n  - id: b\n    uses: ngnix.reload\n',
      ),
    ).toEqual(['7:11 unknown adapter "ngnix"']);
  });
});
