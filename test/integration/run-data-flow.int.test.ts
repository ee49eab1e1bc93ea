import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJournal, runCli, tempDir, type TestServer } from '../helpers/cli.js';
import { DATA_FLOW_RUNBOOK, startOrdersApi } from '../helpers/data-flow.js';

/** Steps that pass data to each other (capture → when → a templated command), with shell and
 * http steps against a real local HTTP server, and the journal that records them. */

describe('a run where steps pass data to each other', () => {
  let server: TestServer;
  const dir = tempDir();
  let depth = 250;

  beforeAll(async () => {
    server = await startOrdersApi(() => depth);
    mkdirSync(join(dir.path, 'runbooks/orders'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/orders/data-flow.yaml'), DATA_FLOW_RUNBOOK);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('captures, branches on captures, templates them into commands and requests, and journals every step', async () => {
    const state = join(dir.path, 'state');
    const result = await runCli(
      [
        'run',
        'data-flow',
        '--var',
        `base_url=${server.url}`,
        '--var',
        `out_dir=${dir.path}`,
        '--format',
        'json',
      ],
      {
        cwd: dir.path,
        env: { RUNBOOK_STATE_DIR: state },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      run_id: string;
      status: string;
      exit_code: number;
      steps: Array<{
        id: string;
        section: string;
        status: string;
        command: string | null;
        outputs: Record<string, unknown>;
      }>;
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.exit_code).toBe(0);
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['health', 'failed'],
      ['queue', 'succeeded'],
      ['count-lines', 'succeeded'],
      ['drain', 'succeeded'],
      ['never', 'skipped'],
      ['notify', 'succeeded'],
      ['drained', 'succeeded'],
    ]);
    const step = (id: string) => doc.steps.find((s) => s.id === id);
    expect(step('queue')?.outputs).toMatchObject({
      status: 200,
      depth: 250,
      worker: 'worker-7; rm -rf /',
    });
    expect(step('count-lines')?.outputs.lines).toBe(3);
    // The hostile worker name arrives as one quoted word, never as code.
    expect(step('drain')?.command).toBe(
      `echo "draining worker-7; rm -rf /" > ${dir.path}/drained.txt`,
    );
    expect(readFileSync(join(dir.path, 'drained.txt'), 'utf8')).toBe(
      'draining worker-7; rm -rf /\n',
    );
    const event = server.requests.find((r) => r.url === '/events');
    expect(JSON.parse(event?.body ?? '{}')).toEqual({
      worker: 'worker-7; rm -rf /',
      depth: 250,
      lines: 3,
    });
    expect(event?.headers['content-type']).toBe('application/json');

    const journal = parseJournal(readFileSync(join(state, 'runs', `${doc.run_id}.jsonl`), 'utf8'));
    expect(journal[0]).toMatchObject({
      type: 'run.start',
      run_id: doc.run_id,
      runbook: { id: 'data-flow' },
    });
    expect(journal.at(-1)).toMatchObject({ type: 'run.end', status: 'succeeded' });
    // Each step that ran started once, and every step ended once, with its exit code and duration.
    expect(journal.filter((e) => e.type === 'step.start').map((e) => e.step)).toEqual([
      'health',
      'queue',
      'count-lines',
      'drain',
      'notify',
      'drained',
    ]);
    const ends = journal.filter((e) => e.type === 'step.end');
    expect(ends.map((e) => [e.id, e.status, e.exit_code, typeof e.duration_ms])).toEqual([
      ['health', 'failed', null, 'number'],
      ['queue', 'succeeded', null, 'number'],
      ['count-lines', 'succeeded', 0, 'number'],
      ['drain', 'succeeded', 0, 'number'],
      ['never', 'skipped', null, 'number'],
      ['notify', 'succeeded', null, 'number'],
      ['drained', 'succeeded', 0, 'number'],
    ]);
    expect(journal.find((e) => e.type === 'step.end' && e.id === 'drain')).toMatchObject({
      command: step('drain')?.command,
      exit_code: 0,
    });
  });

  it('skips the branch when the captured value says so', async () => {
    depth = 3;
    const result = await runCli(
      [
        'run',
        'data-flow',
        '--var',
        `base_url=${server.url}`,
        '--var',
        `out_dir=${join(dir.path, 'elsewhere')}`,
        '--format',
        'json',
      ],
      {
        cwd: dir.path,
        env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      },
    );
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string }>;
    };
    expect(doc.steps.find((s) => s.id === 'drain')?.status).toBe('skipped');
    // Verification then fails (nothing was drained), and the run says so with exit 1.
    expect(doc.steps.find((s) => s.id === 'drained')?.status).toBe('failed');
    expect(doc.status).toBe('failed');
    expect(result.code).toBe(1);
    depth = 250;
  });
});

describe('values a step gives its command through env:', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('are text, whatever the expression gave', async () => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(
      join(dir.path, 'runbooks', 'env-values.yaml'),
      `id: env-values
title: Env values are text
vars:
  port: { default: 8080 }
diagnosis:
  - id: show
    run: echo "port=$PORT ok=$OK list=$LIST"
    env: { PORT: "\${{ vars.port }}", OK: "\${{ vars.port > 1 }}", LIST: "\${{ [1, 2] }}" }
`,
    );
    const result = await runCli(['run', 'env-values', '--format', 'json'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
    const doc = JSON.parse(result.stdout) as {
      steps: Array<{ id: string; status: string; outputs: { stdout?: string } }>;
    };
    expect(doc.steps[0]?.outputs.stdout).toBe('port=8080 ok=true list=[1,2]');
  });
});
