import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Code, Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';

/**
 * `runbook import` of the five seed runbooks and the six public ones (test/fixtures/import/, see
 * its corpus/SOURCES.md): each imports into strict-valid runbooks, with the counts below, and every
 * command line of every shell or SQL fence is a step's or is listed as left for a person, with its
 * line (docs/import.md).
 */

const SEEDS = join(ROOT, 'test/fixtures/import/seeds');
const CORPUS = join(ROOT, 'test/fixtures/import/corpus');
const CORPUS_FILES = readdirSync(CORPUS)
  .filter((file) => file !== 'SOURCES.md')
  .sort();

interface Summary {
  written: boolean;
  files: Array<{
    file: string;
    runbooks: Array<{
      id: string;
      file: string;
      steps: number;
      adapter_actions: number;
      run_steps: number;
      manual_steps: number;
      vars: number;
      step_list: Array<{ id: string; kind: string; lines: number[] }>;
    }>;
    command_lines: number;
    left_for_person: Array<{ line: number; text: string; why: string }>;
    repaired: Array<{ line: number; from: string; to: string; encoding: string }>;
  }>;
}

const dir = tempDir('runbook-import-');
afterAll(() => dir.remove());

async function importInto(out: string, paths: string[]): Promise<Summary> {
  const result = await runCli(['import', ...paths, '--out-dir', out, '--format', 'json'], {
    cwd: dir.path,
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Summary;
}

/** The lines of a fence a person would run: in a bash, sh, shell, zsh or console fence, every
 * line that is not blank nor a `#` comment (in a transcript, only the lines after a prompt and
 * their continuations); in a SQL fence, every line that is not blank nor a `--` comment. */
function commandLines(markdown: string): number[] {
  const lines: number[] = [];
  const visit = (node: Nodes): void => {
    if (node.type === 'code') fenceLines(node, lines);
    if ('children' in node) for (const child of node.children) visit(child as Nodes);
  };
  visit(fromMarkdown(markdown));
  return lines;
}

function fenceLines(code: Code, out: number[]): void {
  const lang = (code.lang ?? '').toLowerCase();
  const first = (code.position?.start.line ?? 0) + 1;
  const body = code.value.split('\n');
  const transcript = lang === 'console' || body.some((line) => line.startsWith('$ '));
  body.forEach((line, at) => {
    const text = line.trim();
    if (text === '') return;
    if (['bash', 'sh', 'shell', 'zsh'].includes(lang) && !transcript) {
      if (!text.startsWith('#') || text.startsWith('#!')) out.push(first + at);
    } else if (transcript && ['bash', 'sh', 'shell', 'zsh', 'console'].includes(lang)) {
      if (line.startsWith('$ ')) out.push(first + at);
    } else if (lang === 'sql' && !text.startsWith('--')) out.push(first + at);
  });
}

function unaccounted(summary: Summary['files'][number], markdown: string): number[] {
  const taken = new Set<number>([
    ...summary.runbooks.flatMap((runbook) => runbook.step_list.flatMap((step) => step.lines)),
    ...summary.left_for_person.map((left) => left.line),
  ]);
  return commandLines(markdown).filter((line) => !taken.has(line));
}

describe('runbook import of the five seeds', () => {
  const out = join(dir.path, 'seeds');
  let summary: Summary;

  it('imports each into strict-valid runbooks', async () => {
    summary = await importInto(out, [SEEDS]);
    expect(summary.written).toBe(true);
    const validate = await runCli(['validate', '--strict', out], { cwd: dir.path });
    expect(validate.stdout).toBe('✓ 36 runbooks valid\n');
    expect(validate.code).toBe(0);
  });

  it('gives these counts: runbooks, steps, adapter actions, run steps, manual steps, vars', () => {
    const counts = Object.fromEntries(
      summary.files.map((file) => {
        const sum = (key: 'steps' | 'adapter_actions' | 'run_steps' | 'manual_steps' | 'vars') =>
          file.runbooks.reduce((n, runbook) => n + runbook[key], 0);
        return [
          file.file.replace(/^.*\//, ''),
          [
            file.runbooks.length,
            sum('steps'),
            sum('adapter_actions'),
            sum('run_steps'),
            sum('manual_steps'),
            sum('vars'),
          ],
        ];
      }),
    );
    expect(counts).toEqual({
      '000_a83f1b571fedbb7a.md': [8, 59, 6, 21, 32, 3],
      '001_82effae9ace4f937.md': [8, 101, 27, 50, 24, 3],
      '002_046076ace64c8c33.md': [7, 79, 32, 26, 21, 7],
      '003_8186bbeac4a6a921.md': [8, 87, 29, 36, 22, 1],
      '004_3b084d5fecd99b18.md': [5, 78, 2, 7, 69, 2],
    });
  });

  it('accounts for every command line of every fence', () => {
    for (const file of summary.files) {
      const markdown = readFileSync(join(SEEDS, file.file.replace(/^.*\//, '')), 'utf8');
      expect(unaccounted(file, markdown), file.file).toEqual([]);
    }
  });

  it('splits a page by its incidents, and names runbooks from its title and headings', () => {
    expect(summary.files[0]?.runbooks.map((runbook) => runbook.id)).toEqual([
      'cloud-code-complete-outage',
      'cloud-code-github-webhooks-failing',
      'cloud-code-container-failures',
      'cloud-code-high-error-rate',
      'cloud-code-performance-degradation',
      'cloud-code-security-incident',
      'cloud-code-rollback-procedure',
      'cloud-code-general',
    ]);
  });

  it('repairs the mojibake of two seeds, and says where', () => {
    expect(summary.files[0]?.repaired).toEqual([
      { line: 261, from: '\uf8ffüö®', to: '🚨', encoding: 'macintosh' },
      { line: 273, from: '‚ö†Ô\u220f\u00e8', to: '⚠️', encoding: 'macintosh' },
      { line: 281, from: '‚úÖ', to: '✅', encoding: 'macintosh' },
    ]);
    expect(summary.files[4]?.repaired.map((r) => `${r.line} ${r.from} ${r.to}`)).toEqual([
      '25 â†’ →',
      '25 â†’ →',
      '440 ðŸš¨ 🚨',
      '463 ðŸ“Š 📊',
      '479 âœ… ✅',
    ]);
    const written = readFileSync(join(out, '000_a83f1b571fedbb7a.yaml'), 'utf8');
    expect(written).toContain(
      "    🚨 We're currently experiencing an outage affecting [service].\n",
    );
  });

  it('writes the runbooks of a page as one catalog of --- documents, named after the page', () => {
    expect(readdirSync(out).sort()).toEqual([
      '000_a83f1b571fedbb7a.yaml',
      '001_82effae9ace4f937.yaml',
      '002_046076ace64c8c33.yaml',
      '003_8186bbeac4a6a921.yaml',
      '004_3b084d5fecd99b18.yaml',
    ]);
    expect(
      summary.files.map((file) => [
        file.file.replace(/^.*\//, ''),
        [...new Set(file.runbooks.map((runbook) => runbook.file))],
      ]),
    ).toEqual(
      [0, 1, 2, 3, 4].map((n) => {
        const page = readdirSync(SEEDS).sort()[n] ?? '';
        return [page, [`seeds/${page.replace(/\.md$/, '.yaml')}`]];
      }),
    );
    const catalog = readFileSync(join(out, '000_a83f1b571fedbb7a.yaml'), 'utf8');
    expect(catalog.split('\n---\n').map((document) => /^id: (.*)$/m.exec(document)?.[1])).toEqual([
      undefined,
      ...(summary.files[0]?.runbooks.map((runbook) => runbook.id) ?? []),
    ]);
  });

  it('writes a step as the shipped runbooks do, with where it came from', () => {
    const written = readFileSync(join(out, '000_a83f1b571fedbb7a.yaml'), 'utf8');
    expect(written.split('\n').slice(0, 13).join('\n')).toBe(
      [
        `# yaml-language-server: $schema=${relative(out, join(ROOT, 'schema/runbook.schema.json'))}`,
        '# Imported from 000_a83f1b571fedbb7a.md by runbook import: 8 runbooks, one a document; review the steps marked in comments.',
        '---',
        'id: cloud-code-complete-outage',
        'title: Complete Outage',
        'severity_scheme: p0-p3',
        'summary: Imported from 000_a83f1b571fedbb7a.md ("Complete Outage", line 18).',
        'vars:',
        '  version_id:',
        '    description: <version-id> in 000_a83f1b571fedbb7a.md:44',
        '    required: true',
        'detection:',
        '  symptoms:',
      ].join('\n'),
    );
    expect(written).toContain(
      [
        '  # with.timeout: the Markdown gave none (10s is a guess)',
        '  - id: check-worker-status',
        '    name: Check worker status',
        '    uses: curl.get',
        '    with: { url: https://cloud-code.finhub.workers.dev/health, timeout: 10s }',
        '    source: 000_a83f1b571fedbb7a.md:28',
      ].join('\n'),
    );
    expect(written).toContain(
      [
        '    run: npx wrangler versions rollback ${{ vars.version_id }}',
        '    effect: destructive',
        '    confirm: true',
        '    source: 000_a83f1b571fedbb7a.md:44',
      ].join('\n'),
    );
  });
});

describe('runbook import of the six public runbooks', () => {
  const out = join(dir.path, 'corpus');
  let summary: Summary;

  it('imports each into a strict-valid runbook', async () => {
    summary = await importInto(
      out,
      CORPUS_FILES.map((file) => join(CORPUS, file)),
    );
    expect(summary.files.map((file) => file.runbooks.map((runbook) => runbook.id))).toEqual([
      ['sidekiq-or-web-api-is-using-most-of-its-pgbouncer-connection'],
      ['kube-persistent-volume-filling-up'],
      ['collectornodedown'],
      ['data-gov-uk-high-traffic-rate-alert'],
      ['11-pagerduty-during-an-incident'],
      ['devops-handbook'],
    ]);
    const validate = await runCli(['validate', '--strict', out], { cwd: dir.path });
    expect(validate.stdout).toBe('✓ 6 runbooks valid\n');
  });

  it('accounts for every command line of every fence', () => {
    summary.files.forEach((file, index) => {
      const markdown = readFileSync(join(CORPUS, CORPUS_FILES[index] ?? ''), 'utf8');
      expect(unaccounted(file, markdown), file.file).toEqual([]);
    });
  });
});
