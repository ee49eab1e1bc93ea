import { describe, expect, it } from 'vitest';
import type { Runbook } from '../schema/runbook.js';
import { usesExpressions } from './context.js';

// The expression language is loaded only for runbooks that use it; a miss here would make a run
// fail on its first expression, so every place an expression can be is checked.
const base: Runbook = { id: 'r', title: 'R', diagnosis: [{ id: 'a', run: 'true' }] };
const withStep = (step: Record<string, unknown>): Runbook =>
  ({ ...base, diagnosis: [{ id: 'a', ...step }] }) as Runbook;

describe('usesExpressions', () => {
  it('is false for a runbook with nothing to evaluate', () => {
    expect(usesExpressions(base)).toBe(false);
    expect(usesExpressions(withStep({ run: 'true', expect: { exit_code: 0 } }))).toBe(false);
  });

  it.each([
    ['when', { run: 'true', when: 'vars.x == 1' }],
    ['capture', { run: 'true', capture: { n: 'outputs.stdout' } }],
    ['retry.until', { run: 'true', retry: { attempts: 2, until: 'outputs.exit_code == 0' } }],
    ['expect as an expression', { run: 'true', expect: 'outputs.exit_code == 0' }],
    ['expect as a list', { run: 'true', expect: ['outputs.exit_code == 0'] }],
    ['a template in run', { run: 'echo ${{ vars.x }}' }],
    ['a template in argv', { run: ['echo', '${{ vars.x }}'] }],
    ['a template in with', { uses: 'http.get', with: { url: '${{ vars.url }}' } }],
    ['a template in env', { run: 'true', env: { X: '${{ vars.x }}' } }],
    ['a template in manual', { manual: 'Tell ${{ vars.team }}' }],
  ])('is true for %s', (_name, step) => {
    expect(usesExpressions(withStep(step))).toBe(true);
  });

  it('is true for templates outside steps, and for detection checks', () => {
    expect(
      usesExpressions({ ...base, communication: { initial: 'Down: ${{ runbook.id }}' } }),
    ).toBe(true);
    expect(
      usesExpressions({
        ...base,
        detection: { checks: [{ id: 'c', run: 'true', when: 'true' }] },
      } as Runbook),
    ).toBe(true);
  });
});
