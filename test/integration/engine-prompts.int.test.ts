import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processes } from '../../src/cli/processes.js';
import type { FailureChoice } from '../../src/engine/ports.js';
import { runRunbook } from '../../src/engine/run.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { tempDir } from '../helpers/cli.js';
import { engineRunbook, engineRunOptions } from '../helpers/engine.js';

/** The engine in-process with real processes and a prompter that answers for a person (one run at a
 * time, through the binary, is test/e2e/run-lock.e2e.test.ts). */

describe('a failure in an interactive run is the person’s call', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('retry runs the step again, skip goes on and is recorded, abort stops the run (exit 3)', async () => {
    const yaml = `id: flaky
title: Flaky
vars:
  out: { required: true }
resolution:
  - id: second-time-lucky
    run: test -f \${{ vars.out }}/tried || { touch \${{ vars.out }}/tried; exit 1; }
  - id: always-broken
    run: echo broken >&2; exit 2
  - id: after
    run: touch \${{ vars.out }}/after
  - id: broken-again
    run: exit 5
  - id: never
    run: touch \${{ vars.out }}/never
`;
    const found = await engineRunbook('flaky.yaml', yaml, dir.path);
    const choices: FailureChoice[] = ['retry', 'skip', 'abort'];
    const asked: string[] = [];
    const events: EngineEvent[] = [];
    const result = await runRunbook({
      ...engineRunOptions(found, 'flaky.yaml', dir.path, { cliVars: { out: dir.path } }),
      ports: {
        processes,
        prompter: {
          confirm: () => Promise.resolve(true),
          acknowledge: () => Promise.resolve({ by: 'test' }),
          onFailure: (request) => {
            asked.push(`${request.step}: ${request.reason}`);
            return Promise.resolve(choices.shift() ?? 'abort');
          },
        },
        events: { show: (event) => events.push(event) },
      },
    });
    expect(asked).toEqual([
      'second-time-lucky: exited with code 1',
      'always-broken: exited with code 2',
      'broken-again: exited with code 5',
    ]);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['second-time-lucky', 'succeeded'],
      ['always-broken', 'skipped'],
      ['after', 'succeeded'],
      ['broken-again', 'failed'],
    ]);
    expect(result.steps[1]?.reason).toMatch(/^skipped by .+ after it failed: exited with code 2$/);
    expect(result.status).toBe('declined');
    expect(existsSync(join(dir.path, 'after'))).toBe(true);
    expect(existsSync(join(dir.path, 'never'))).toBe(false);
    expect(
      events
        .filter((e) => e.type === 'step.decision')
        .map((e) => (e.type === 'step.decision' ? e.choice : '')),
    ).toEqual(['retry', 'skip', 'abort']);
    // Each failed attempt is in the timeline before the decision about it.
    const timeline = events
      .filter((e) => e.type === 'step.end' || e.type === 'step.decision')
      .map((e) =>
        e.type === 'step.end'
          ? `${e.id}:${e.status}`
          : `decision:${e.type === 'step.decision' ? e.choice : ''}`,
      );
    expect(timeline.slice(0, 4)).toEqual([
      'second-time-lucky:failed',
      'decision:retry',
      'second-time-lucky:succeeded',
      'always-broken:failed',
    ]);
  });
});
