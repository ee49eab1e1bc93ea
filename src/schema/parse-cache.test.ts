import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ENTRIES, openParseCache } from './parse-cache.js';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'runbook-parse-cache-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

describe('the parse cache', () => {
  it('keeps at most MAX_ENTRIES entries: writing one removes the least recently written', () => {
    const dir = join(stateDir, 'cache', 'runbooks');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const base = Date.now() / 1000 - 86_400;
    for (let i = 0; i < MAX_ENTRIES + 5; i++) {
      const path = join(dir, `old-${String(i).padStart(4, '0')}.json`);
      writeFileSync(path, '{}', { mode: 0o600 });
      utimesSync(path, base + i, base + i);
    }
    const cache = openParseCache(stateDir, {}, 'build-1');
    cache?.set('/runbooks/new.yaml', 'id: new\n', 'fingerprint', { id: 'new' });
    const left = readdirSync(dir).sort();
    // The six oldest went (five too many, and one for the new entry); the new one stayed.
    expect(left.filter((name) => name.startsWith('old-'))).toEqual(
      Array.from(
        { length: MAX_ENTRIES - 1 },
        (_, i) => `old-${String(i + 6).padStart(4, '0')}.json`,
      ),
    );
    expect(left.filter((name) => !name.startsWith('old-'))).toEqual([
      expect.stringMatching(/^new\.yaml-[0-9a-f]{14}\.json$/),
    ]);
    expect(cache?.get('/runbooks/new.yaml', 'id: new\n', 'fingerprint')).toEqual({ id: 'new' });
  });
});
