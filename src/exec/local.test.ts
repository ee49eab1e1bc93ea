import { describe, expect, it } from 'vitest';
import { execute } from './local.js';

describe('execute', () => {
  it('fails without starting anything when an argument or environment value holds NUL', async () => {
    const failed = {
      exitCode: null,
      signal: undefined,
      stdout: '',
      stderr: '',
      durationMs: 0,
      timedOut: false,
      interrupted: false,
      error: 'printf: could not start: an argument or environment value holds a NUL character',
    };
    expect(await execute({ file: 'printf', args: ['%s', 'secret\0--help'] })).toEqual(failed);
    expect(
      await execute({ file: 'printf', args: ['x'], env: { PATH: '/usr/bin:/bin', V: 'a\0b' } }),
    ).toEqual(failed);
  });

  it('passes each argument as it is, one word each', async () => {
    const result = await execute({
      file: 'printf',
      args: ['[%s]', '--help', '$(touch /tmp/x)', 'two\nlines'],
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(result.stdout).toBe('[--help][$(touch /tmp/x)][two\nlines]');
  });
});
