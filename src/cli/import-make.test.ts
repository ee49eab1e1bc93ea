import { describe, expect, it } from 'vitest';
import { THREADS_FROM_BYTES, THREADS_FROM_FILES, workerCount } from './import-make.js';

/** How many threads `runbook import` runs on (docs/import.md#speed). */
describe('workerCount', () => {
  const big = THREADS_FROM_BYTES;
  it('takes two threads by itself for a large import on two cores or more', () => {
    expect(workerCount(100, 2_600_000, {}, 2)).toBe(2);
    expect(workerCount(THREADS_FROM_FILES, big, {}, 8)).toBe(2);
  });
  it('takes one thread for a small import, a few files or one core', () => {
    expect(workerCount(100, big - 1, {}, 8)).toBe(1);
    expect(workerCount(THREADS_FROM_FILES - 1, 10 * big, {}, 8)).toBe(1);
    expect(workerCount(100, 10 * big, {}, 1)).toBe(1);
  });
  it('takes what RUNBOOK_IMPORT_THREADS asks from 8 files, whatever their size', () => {
    expect(workerCount(23, 1000, { RUNBOOK_IMPORT_THREADS: '3' }, 2)).toBe(3);
    expect(workerCount(23, 10 * big, { RUNBOOK_IMPORT_THREADS: '1' }, 8)).toBe(1);
    expect(workerCount(23, 1000, { RUNBOOK_IMPORT_THREADS: 'auto' }, 4)).toBe(4);
    expect(workerCount(7, 10 * big, { RUNBOOK_IMPORT_THREADS: '4' }, 8)).toBe(1);
  });
  it('takes no more threads than files, nor than 16', () => {
    expect(workerCount(9, 1000, { RUNBOOK_IMPORT_THREADS: '12' }, 2)).toBe(9);
    expect(workerCount(100, 1000, { RUNBOOK_IMPORT_THREADS: 'auto' }, 64)).toBe(16);
  });
  it('takes one thread for a value that is not a count', () => {
    for (const asked of ['two', '2.5', '-2', '0'])
      expect(workerCount(100, 10 * big, { RUNBOOK_IMPORT_THREADS: asked }, 8)).toBe(1);
  });
});
