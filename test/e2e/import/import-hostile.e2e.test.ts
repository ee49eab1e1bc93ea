import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../../helpers/cli.js';

/**
 * Hostile Markdown given to `runbook import` as a process: one clear message at file:line, exit 2,
 * nothing written, never a stack trace (docs/import.md#limits).
 */

const dir = tempDir('runbook-import-hostile-');
afterAll(() => dir.remove());

const write = (name: string, content: string | Buffer): string => {
  writeFileSync(join(dir.path, name), content);
  return name;
};

async function refused(name: string): Promise<string> {
  const out = join(dir.path, `out-${name}`);
  const result = await runBin(['import', name, '--out-dir', out], { cwd: dir.path });
  expect(result.stdout).toBe('');
  expect(result.code).toBe(2);
  expect(existsSync(out)).toBe(false);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return result.stderr;
}

describe('runbook import of hostile Markdown', () => {
  it('refuses a 10 MB file before reading it', async () => {
    write('big.md', `# Big\n\n${'x'.repeat(99)}\n`.repeat(100_000));
    expect(await refused('big.md')).toBe(
      'runbook: big.md: is 10.2 MB; the importer reads Markdown files of up to 2.0 MB\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
  });

  it('refuses a binary file, and a file that is not UTF-8', async () => {
    write('binary.md', Buffer.from([0x23, 0x20, 0x41, 0x0a, 0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]));
    expect(await refused('binary.md')).toBe(
      'runbook: binary.md:2: is not text: it holds a NUL byte (at byte 8); is it a binary file?\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
    write('latin1.md', Buffer.from('# Caf\xe9\n', 'latin1'));
    expect(await refused('latin1.md')).toBe(
      'runbook: latin1.md: is not UTF-8 text; convert it to UTF-8 first (iconv -t UTF-8)\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
  });

  it('refuses a list 10,000 deep, on one line or indented, and quotes as deep', async () => {
    write('deep.md', `# Deep\n\n${'- '.repeat(10_000)}x\n`);
    expect(await refused('deep.md')).toBe(
      'runbook: deep.md:3: nests lists or block quotes deeper than 64 levels; flatten it first\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
    const indented = Array.from({ length: 10_000 }, (_, i) => `${' '.repeat(2 * i)}- x`)
      .slice(0, 300)
      .join('\n');
    write('indented.md', `# Deep\n\n${indented}\n`);
    expect(await refused('indented.md')).toBe(
      'runbook: indented.md:67: nests lists or block quotes deeper than 64 levels; flatten it first\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
    write('quotes.md', `${'> '.repeat(10_000)}x\n`);
    expect(await refused('quotes.md')).toBe(
      'runbook: quotes.md:1: nests lists or block quotes deeper than 64 levels; flatten it first\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
    // `>>>` is three quotes: no space is needed between them.
    write('tight.md', `# Deep\n\n${'>'.repeat(10_000)} x\n`);
    expect(await refused('tight.md')).toBe(
      'runbook: tight.md:3: nests lists or block quotes deeper than 64 levels; flatten it first\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
  });

  it('imports emphasis and brackets 10,000 deep as text', async () => {
    write(
      'marks.md',
      `# Marks\n\n${'*'.repeat(10_000)}x${'*'.repeat(10_000)} ${'['.repeat(10_000)}\n`,
    );
    const result = await runBin(['import', 'marks.md', '--dry-run', '--format', 'json'], {
      cwd: dir.path,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      files: Array<{ runbooks: Array<{ id: string; step_list: Array<{ id: string }> }> }>;
    };
    expect(summary.files[0]?.runbooks.map((r) => [r.id, r.step_list.map((s) => s.id)])).toEqual([
      ['marks', ['follow-the-page']],
    ]);
  });

  it('refuses a fence that is never closed', async () => {
    write('fence.md', '# Fix\n\n```bash\nsystemctl restart api\n\n## Verify\n\ncurl localhost\n');
    expect(await refused('fence.md')).toBe(
      'runbook: fence.md:3: has a code fence (```) opened at line 3 that is never closed\n' +
        'nothing was written: 1 of 1 file cannot be imported\n',
    );
  });

  it('writes nothing when one file of several is refused, and names each', async () => {
    write('good.md', '# Good\n\n## Fix\n\n```bash\nls /tmp\n```\n');
    const out = join(dir.path, 'out-several');
    const result = await runBin(['import', 'good.md', 'fence.md', 'missing.md', '--out-dir', out], {
      cwd: dir.path,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('runbook: missing.md: no such file or directory\n');
    const two = await runBin(['import', 'good.md', 'fence.md', 'binary.md', '--out-dir', out], {
      cwd: dir.path,
    });
    expect(two.stderr).toBe(
      'runbook: fence.md:3: has a code fence (```) opened at line 3 that is never closed\n' +
        'runbook: binary.md:2: is not text: it holds a NUL byte (at byte 8); is it a binary file?\n' +
        'nothing was written: 2 of 3 files cannot be imported\n',
    );
    expect(two.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses flags without values, and an unknown severity scheme', async () => {
    const help = await runBin(['import', 'good.md', '--out-dir', '--help'], { cwd: dir.path });
    expect(help.stderr).toBe(
      'error: --out-dir needs a value, and got the option --help\nhint: put its value right after --out-dir\n',
    );
    expect(help.code).toBe(2);
    const scheme = await runBin(['import', 'good.md', '--severity-scheme', 'nope'], {
      cwd: dir.path,
    });
    expect(scheme.stderr).toBe(
      'runbook: unknown severity scheme "nope"\n' +
        'hint: known: default, p0-p3, p1-p4, sev1-sev5, critical-warning-info (runbook.config.yaml may add more)\n',
    );
    expect(scheme.code).toBe(2);
  });

  it('never writes nor prints a credential the Markdown holds', async () => {
    const token = `ghp_${'a1B2c3D4e5F6g7H8i9J0'}k1L2m3N4o5P6q7R8`;
    write(
      'secret.md',
      `# Deploy\n\n## Fix\n\n\`\`\`bash\ncurl -H "Authorization: token ${token}" https://api.example.test/redeploy\nssh -i ${token} host\n\`\`\`\n`,
    );
    const out = join(dir.path, 'out-secret');
    const result = await runBin(['import', 'secret.md', '--out-dir', out, '--format', 'json'], {
      cwd: dir.path,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(token);
    const written = readFileSync(join(out, 'deploy.yaml'), 'utf8');
    expect(written).not.toContain(token);
    expect(written).toContain(
      '  secret_7:\n    description: a GitHub token (ghp_…) in secret.md:7\n',
    );
    const validate = await runBin(['validate', '--strict', out], { cwd: dir.path });
    expect(validate.stdout).toBe('✓ 1 runbook valid\n');
  });
});
