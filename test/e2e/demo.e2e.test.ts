import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';

describe('npm run demo', () => {
  it('detects, diagnoses and repairs the demo service, from a failing detection to a passing verification', () => {
    const state = tempDir();
    const result = spawnSync(process.execPath, [join(ROOT, 'demo/run-demo.mjs')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNBOOK_STATE_DIR: state.path },
      timeout: 30_000,
    });
    state.remove();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('[demo-api] state: degraded (stale-lock)');
    expect(out).toMatch(/! health .*\n.*\n\s+finding: status is 503, expected 200/);
    expect(out).toContain('→ reason = "stale-lock"');
    expect(out).toMatch(/✓ remove-stale-lock .*\[destructive\]/);
    expect(out).toContain('[demo-api] state: ok');
    expect(out).toMatch(/✓ healthy-again/);
    expect(out).toMatch(/✔ Succeeded in .* 1 finding \(health\)/);
  });
});
