import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, tempDir, type TestServer } from '../helpers/cli.js';
import { DATA_FLOW_RUNBOOK, startOrdersApi } from '../helpers/data-flow.js';

/** The run of test/integration/run-data-flow.int.test.ts, as a person sees it from bin/runbook.js
 * writing to a pipe. */

describe('a run where steps pass data to each other, as a process', () => {
  let server: TestServer;
  const dir = tempDir();

  beforeAll(async () => {
    server = await startOrdersApi(() => 250);
    mkdirSync(join(dir.path, 'runbooks/orders'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/orders/data-flow.yaml'), DATA_FLOW_RUNBOOK);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('prints a readable timeline as a real subprocess', async () => {
    const result = await runBin(
      ['run', 'data-flow', '--var', `base_url=${server.url}`, '--var', `out_dir=${dir.path}`],
      {
        cwd: dir.path,
        env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [, runId = '', journal = ''] =
      /^ {2}run (\S+) · journal (\S+)$/m.exec(result.stdout) ?? [];
    expect(journal).toBe(join(dir.path, 'state/runs', `${runId}.jsonl`));
    const time = /(?<= )\d+(?:\.\d+)?m?s(?=$| —)/gm;
    expect(
      result.stdout
        .replaceAll(journal, '<journal>')
        .replaceAll(runId, '<run-id>')
        .replaceAll(server.url, '<api>')
        .replaceAll(dir.path, '<dir>')
        .replace(time, '<time>'),
    ).toBe(
      [
        '▶ Data flows between steps  data-flow  P2 · orders',
        '  run <run-id> · journal <journal>',
        '',
        'Detection',
        '  ! health <time>',
        '      $ GET <api>/health',
        '      finding: status is 503, expected 200',
        '',
        'Diagnosis',
        '  ✓ queue <time>',
        '      $ GET <api>/queue',
        '      → depth = 250',
        '      → worker = "worker-7; rm -rf /"',
        '  ✓ count-lines <time>',
        "      $ printf 'a\\nb\\nc\\n' | wc -l",
        '      │ 3',
        '      → lines = 3',
        '',
        'Resolution',
        '  ✓ drain <time>',
        '      $ echo "draining worker-7; rm -rf /" > <dir>/drained.txt',
        '  − never',
        '      when: steps.queue.outputs.depth < 0 is false',
        '  ✓ notify <time>',
        '      $ POST <api>/events --data {"worker":"worker-7; rm -rf /","depth":250,"lines":3}',
        '',
        'Verification',
        '  ✓ drained <time>',
        '      $ cat <dir>/drained.txt',
        '',
        '✔ Succeeded in <time> — 5 succeeded, 1 skipped · 1 finding (health)',
        '  journal: <journal>',
        '',
      ].join('\n'),
    );
    // No escape codes when stdout is not a terminal.
    expect(result.stdout).not.toContain(String.fromCharCode(27));
  });
});
