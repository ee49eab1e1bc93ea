import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../common/errors.js';
import { validationJson } from './json.js';

const at = (severity: Diagnostic['severity'], message: string): Diagnostic => ({
  file: 'a.yaml',
  line: 3,
  col: 5,
  severity,
  message,
  sourceLine: '    run: x',
});

describe('validationJson', () => {
  it('lists each file with its errors and warnings (without the source line) and the counts', () => {
    const text = validationJson([
      { file: 'a.yaml', id: 'a', diagnostics: [at('error', 'bad'), at('warning', 'meh')] },
      { file: 'b.yaml', id: undefined, diagnostics: [] },
    ]);
    const plain = { file: 'a.yaml', line: 3, col: 5 };
    expect(JSON.parse(text)).toEqual({
      valid: false,
      files: [
        {
          file: 'a.yaml',
          id: 'a',
          valid: false,
          errors: [{ ...plain, severity: 'error', message: 'bad' }],
          warnings: [{ ...plain, severity: 'warning', message: 'meh' }],
        },
        { file: 'b.yaml', id: null, valid: true, errors: [], warnings: [] },
      ],
      error_count: 1,
      warning_count: 1,
    });
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('is not valid when there is no file', () => {
    expect(JSON.parse(validationJson([]))).toEqual({
      valid: false,
      files: [],
      error_count: 0,
      warning_count: 0,
    });
  });
});
