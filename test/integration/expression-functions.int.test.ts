import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  json,
  parseJournal,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from '../helpers/cli.js';

/** A run whose captures use the expression functions (src/schema/cel-library.ts) and read each
 * other, over what a real local HTTP server returns, and a later step's command built from them. */
const RUNBOOK = `
id: latency-report
title: Latency report from captured metrics
service: api
severity: P2
vars:
  base_url: { required: true }
diagnosis:
  - id: metrics
    uses: http.get
    with: { url: "\${{ vars.base_url }}/metrics" }
    capture:
      lat: outputs.json.latencies_ms
      worst: max(outputs.lat)
      mean: format("%.2f", avg(outputs.lat))
      codes: count_by(sort(outputs.json.statuses))
      fastest: sort(outputs.lat.distinct())[0]
      total: sum(outputs.json.requests)
      size: humanize_bytes(outputs.json.bytes)
      errors: humanize_percent(outputs.codes["500"] / double(size(outputs.json.statuses)))
      up: humanize_duration(outputs.json.uptime_s)
resolution:
  - id: report
    when: steps.metrics.outputs.codes["500"] >= 2
    run: echo "\${{ format("%d of %d failed; worst %.1f ms, mean %s ms", steps.metrics.outputs.codes["500"], steps.metrics.outputs.total, steps.metrics.outputs.worst, steps.metrics.outputs.mean) }}; \${{ steps.metrics.outputs.size }}, up \${{ steps.metrics.outputs.up }}"
`;

describe('a run whose captures use the expression functions', () => {
  let server: TestServer;
  const dir = tempDir();

  beforeAll(async () => {
    server = await startServer((request, response) => {
      if (request.url === '/metrics')
        return json(response, 200, {
          latencies_ms: [120, 80, 310.5, 80],
          statuses: ['500', '404', '500', '200'],
          requests: [1, 3],
          bytes: 1536,
          uptime_s: 93784,
        });
      json(response, 404, {});
    });
    mkdirSync(join(dir.path, 'runbooks/api'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/api/latency-report.yaml'), RUNBOOK);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('validates, then captures in order, each capture seeing those above it', async () => {
    const validated = await runCli(['validate', 'runbooks/api/latency-report.yaml'], {
      cwd: dir.path,
    });
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);

    const state = join(dir.path, 'state');
    const result = await runCli(
      ['run', 'latency-report', '--var', `base_url=${server.url}`, '--format', 'json'],
      { cwd: dir.path, env: { RUNBOOK_STATE_DIR: state } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      run_id: string;
      steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }>;
    };
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['metrics', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    const metrics = doc.steps[0]?.outputs;
    expect(metrics).toMatchObject({
      lat: [120, 80, 310.5, 80],
      worst: 310.5,
      mean: '147.63',
      codes: { '200': 1, '404': 1, '500': 2 },
      fastest: 80,
      total: 4,
      size: '1.5KiB',
      errors: '50%',
      up: '1d 2h 3m 4s',
    });
    expect(doc.steps[1]?.outputs.stdout).toBe(
      '2 of 4 failed; worst 310.5 ms, mean 147.63 ms; 1.5KiB, up 1d 2h 3m 4s',
    );
    // The journal keeps the captures as the run saw them.
    const journal = parseJournal(readFileSync(join(state, 'runs', `${doc.run_id}.jsonl`), 'utf8'));
    const end = journal.find((e) => e.type === 'step.end' && e.id === 'metrics') as {
      outputs?: Record<string, unknown>;
    };
    expect(end.outputs).toMatchObject({ mean: '147.63', codes: { '500': 2 }, up: '1d 2h 3m 4s' });
  });
});
