import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJournal, runBin, tempDir } from '../helpers/cli.js';

/** `run --answer step=value` without a terminal (docs/commands.md): checked before anything runs,
 * journaled, read by later steps; without it the step stays pending. */
const RUNBOOK = `
id: answers
title: Answers without a terminal
vars:
  out: { required: true }
diagnosis:
  - id: first
    run: touch \${{ vars.out }}/first-ran
  - id: ticket
    manual: Open a ticket for this incident.
    input: { name: ticket, pattern: '^RHOSDFP-[0-9]+$' }
  - id: decide
    manual: Did the errors start before the deploy?
    choices: [rollback, investigate]
resolution:
  - id: roll-back
    when: steps.decide.outputs.answer == 'rollback'
    run: echo "\${{ steps.ticket.outputs.ticket }}" > \${{ vars.out }}/rolled-back
`;

describe('answers given with the run', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());
  mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
  writeFileSync(join(dir.path, 'runbooks', 'answers.yaml'), RUNBOOK);
  const state = join(dir.path, 'state');
  const run = (...args: string[]) =>
    runBin(['run', 'answers', '--var', `out=${dir.path}`, ...args], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state },
    });
  const journals = () =>
    readdirSync(join(state, 'runs'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => parseJournal(readFileSync(join(state, 'runs', f), 'utf8')));

  it('answers each question, journaled, and the later steps read the answers (JSON through a pipe)', async () => {
    const result = await run(
      '--answer',
      'ticket=RHOSDFP-42',
      '--answer',
      'decide=rollback',
      '--format',
      'json',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }>;
    };
    expect(json.status).toBe('succeeded');
    expect(json.steps.map((s) => [s.id, s.status])).toEqual([
      ['first', 'succeeded'],
      ['ticket', 'succeeded'],
      ['decide', 'succeeded'],
      ['roll-back', 'succeeded'],
    ]);
    expect(json.steps[1]?.outputs).toMatchObject({ answer: 'RHOSDFP-42', ticket: 'RHOSDFP-42' });
    expect(readFileSync(join(dir.path, 'rolled-back'), 'utf8')).toBe('RHOSDFP-42\n');
    const [journal] = journals();
    expect(
      journal
        ?.filter((e) => e.type === 'step.answer')
        .map((e) => [e.step, e.name, e.value, e.given_before]),
    ).toEqual([
      ['ticket', 'ticket', 'RHOSDFP-42', true],
      ['decide', 'answer', 'rollback', true],
    ]);
  });

  it('refuses a bad answer, an unknown step and a step that asks nothing before anything runs (exit 2)', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['--answer', 'ticket=RHOSDFP-x'],
        'runbook: --answer ticket: "RHOSDFP-x" does not match ^RHOSDFP-[0-9]+$\nhint: ticket asks for ticket matching ^RHOSDFP-[0-9]+$\n',
      ],
      [
        ['--answer', 'decide=maybe\nnot'],
        'runbook: --answer decide: "maybe\\nnot" is not one of rollback, investigate\nhint: decide asks for one of rollback, investigate\n',
      ],
      [
        ['--answer', 'decied=rollback'],
        'runbook: --answer decied: runbook answers has no such step\nhint: its steps that ask: ticket, decide\n',
      ],
      [
        ['--answer', 'first=yes'],
        'runbook: --answer first: step first asks no question\nhint: its steps that ask: ticket, decide\n',
      ],
      [
        ['--answer', 'rollback'],
        'runbook: --answer "rollback": expected <step>=<value>\nhint: e.g. --answer decide=rollback\n',
      ],
    ];
    const before = existsSync(join(state, 'runs')) ? journals().length : 0;
    for (const [args, stderr] of cases) {
      const result = await run(...args);
      expect([result.code, result.stderr, result.stdout]).toEqual([2, stderr, '']);
    }
    expect(journals()).toHaveLength(before);
  });

  it('leaves the step pending without an answer (exit 3), saying how to give one', async () => {
    const result = await run('--answer', 'ticket=RHOSDFP-1');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(
      '  ⏸ decide [manual]\n      Did the errors start before the deploy?\n      ? asks for one of rollback, investigate\n      manual step "decide" needs an answer: pass --answer decide=<value> to answer it non-interactively\n',
    );
    expect(result.stdout).toContain('⏸ Waiting for a person: manual step "decide" needs an answer');
  });

  it('plans with an answer given, and shows a question without one as undecided', async () => {
    const plan = async (...args: string[]) => {
      const result = await run('--dry-run', '--format', 'json', ...args);
      const json = JSON.parse(result.stdout) as {
        steps: Array<{ id: string; status: string; reason?: string }>;
      };
      return json.steps.map((s) => [s.id, s.status, s.reason ?? null]);
    };
    expect(await plan('--answer', 'decide=investigate')).toEqual([
      ['first', 'planned', null],
      ['ticket', 'planned', null],
      ['decide', 'planned', null],
      ['roll-back', 'skipped', "when: steps.decide.outputs.answer == 'rollback' is false"],
    ]);
    expect((await plan()).at(-1)).toEqual([
      'roll-back',
      'planned',
      "condition not decided in a dry run: `steps.decide.outputs.answer == 'rollback'`: No such key: answer",
    ]);
  });
});
