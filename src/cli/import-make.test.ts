import { describe, expect, it } from 'vitest';
import { THREADS_FROM_FILES, workerCount } from './import-make.js';

/** How many threads `runbook import` runs on (docs/import.md#speed). */
describe('workerCount', () => {
  it('takes one thread unless RUNBOOK_IMPORT_THREADS asks for more', () => {
    expect(workerCount(100, {}, 8)).toBe(1);
    expect(workerCount(100, { RUNBOOK_IMPORT_THREADS: '' }, 8)).toBe(1);
  });
  it('takes what RUNBOOK_IMPORT_THREADS asks from 8 files', () => {
    expect(workerCount(THREADS_FROM_FILES, { RUNBOOK_IMPORT_THREADS: '2' }, 2)).toBe(2);
    expect(workerCount(23, { RUNBOOK_IMPORT_THREADS: '3' }, 2)).toBe(3);
    expect(workerCount(23, { RUNBOOK_IMPORT_THREADS: '1' }, 8)).toBe(1);
    expect(workerCount(23, { RUNBOOK_IMPORT_THREADS: 'auto' }, 4)).toBe(4);
    expect(workerCount(THREADS_FROM_FILES - 1, { RUNBOOK_IMPORT_THREADS: '4' }, 8)).toBe(1);
  });
  it('takes no more threads than files, nor than 16', () => {
    expect(workerCount(9, { RUNBOOK_IMPORT_THREADS: '12' }, 2)).toBe(9);
    expect(workerCount(100, { RUNBOOK_IMPORT_THREADS: 'auto' }, 64)).toBe(16);
  });
  it('takes one thread for a value that is not a count', () => {
    for (const asked of ['two', '2.5', '-2', '0'])
      expect(workerCount(100, { RUNBOOK_IMPORT_THREADS: asked }, 8)).toBe(1);
  });
});
