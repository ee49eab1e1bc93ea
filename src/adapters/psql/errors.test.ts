import { describe, expect, it } from 'vitest';
import { psqlError } from './errors.js';

describe('psqlError', () => {
  it('is the ERROR line, on one line', () => {
    expect(
      psqlError(
        'ERROR:  relation "nowhere" does not exist\nLINE 1: select nope from nowhere\n                         ^\n',
      ),
    ).toBe('ERROR: relation "nowhere" does not exist');
  });

  it('is psql’s connection error', () => {
    expect(
      psqlError(
        'psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
      ),
    ).toBe('psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused');
  });

  it('skips notices before the error', () => {
    expect(
      psqlError('NOTICE:  hello\nFATAL:  terminating connection due to administrator command\n'),
    ).toBe('FATAL: terminating connection due to administrator command');
  });
});
