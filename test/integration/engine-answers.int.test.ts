import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processes } from '../../src/cli/processes.js';
import type { EngineEvent, RunResult } from '../../src/engine/events.js';
import type { FailureChoice, Prompter } from '../../src/engine/ports.js';
import { runRedactor } from '../../src/engine/redact.js';
import { runRunbook } from '../../src/engine/run.js';
import { tempDir } from '../helpers/cli.js';
import { engineRunbook, engineRunOptions } from '../helpers/engine.js';

/** Manual steps that ask (docs/format.md#answers) and the rollback offered after an abort, run by
 * the engine in-process with real processes and a prompter that answers for a person. */

const dir = tempDir();
afterAll(() => dir.remove());

async function run(
  yaml: string,
  ports: { prompter?: Prompter; answers?: Map<string, string>; env?: Record<string, string> },
): Promise<{ result: RunResult; events: EngineEvent[] }> {
  const found = await engineRunbook('asks.yaml', yaml, dir.path);
  const options = engineRunOptions(found, 'asks.yaml', dir.path, {
    cliVars: { out: dir.path },
    processEnv: ports.env ?? {},
  });
  const events: EngineEvent[] = [];
  const result = await runRunbook({
    ...options,
    redactor: runRedactor(options.vars, {}),
    ...(ports.answers ? { answers: ports.answers } : {}),
    ports: {
      processes,
      ...(ports.prompter ? { prompter: ports.prompter } : {}),
      events: { show: (event) => events.push(event) },
    },
  });
  return { result, events };
}

const ASKS = `id: asks
title: Asks
vars:
  out: { required: true }
  token: { env: ASK_TOKEN, secret: true }
diagnosis:
  - id: ticket
    manual: Open a ticket.
    input: { name: ticket, pattern: '^RHOSDFP-[0-9]+$' }
  - id: decide
    manual: Did the errors start before the deploy?
    choices: [rollback, investigate]
resolution:
  - id: roll-back
    when: steps.decide.outputs.answer == 'rollback'
    run: echo "\${{ steps.ticket.outputs.ticket }}" > \${{ vars.out }}/rolled-back
  - id: look
    when: steps.decide.outputs.answer == 'investigate'
    run: touch \${{ vars.out }}/looked
`;

const answerEvents = (events: EngineEvent[]) =>
  events.flatMap((e) =>
    e.type === 'step.answer' ? [[e.step, e.name, e.value, e.by, e.given_before]] : [],
  );

describe('a manual step that asks', () => {
  it('takes the answer at the prompt, refusing one that does not match, and later steps read it', async () => {
    const checked: Array<string | undefined> = [];
    const { result, events } = await run(ASKS, {
      prompter: {
        confirm: () => Promise.resolve(true),
        acknowledge: () => Promise.resolve({ by: 'ack' }),
        ask: ({ step, question, check }) => {
          if (step === 'ticket') {
            // A person types a wrong value first: told why, they type a right one.
            checked.push(check('rhosdfp-1'), check('RHOSDFP-77'));
            return Promise.resolve({ value: 'RHOSDFP-77', by: 'alice' });
          }
          expect(question).toEqual({
            kind: 'choices',
            name: 'answer',
            choices: [
              { value: 'rollback', description: undefined },
              { value: 'investigate', description: undefined },
            ],
          });
          return Promise.resolve({ value: 'rollback', by: 'bob' });
        },
      },
    });
    expect(checked).toEqual(['"rhosdfp-1" does not match ^RHOSDFP-[0-9]+$', undefined]);
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['ticket', 'succeeded'],
      ['decide', 'succeeded'],
      ['roll-back', 'succeeded'],
      ['look', 'skipped'],
    ]);
    expect(result.steps[0]?.outputs).toMatchObject({
      answer: 'RHOSDFP-77',
      ticket: 'RHOSDFP-77',
      acknowledged_by: 'alice',
    });
    expect(answerEvents(events)).toEqual([
      ['ticket', 'ticket', 'RHOSDFP-77', 'alice', false],
      ['decide', 'answer', 'rollback', 'bob', false],
    ]);
    expect(result.steps[2]?.command).toBe(`echo "RHOSDFP-77" > ${dir.path}/rolled-back`);
    expect(existsSync(join(dir.path, 'looked'))).toBe(false);
  });

  it('takes answers given with the run, without anyone to ask, recorded as given before', async () => {
    const { result, events } = await run(ASKS, {
      answers: new Map([
        ['ticket', 'RHOSDFP-9'],
        ['decide', 'investigate'],
      ]),
    });
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['ticket', 'succeeded'],
      ['decide', 'succeeded'],
      ['roll-back', 'skipped'],
      ['look', 'succeeded'],
    ]);
    expect(answerEvents(events).map((e) => [e[0], e[2], e[4]])).toEqual([
      ['ticket', 'RHOSDFP-9', true],
      ['decide', 'investigate', true],
    ]);
  });

  it('stays pending without a person or an answer, saying how to answer it', async () => {
    const { result } = await run(ASKS, {});
    expect(result.status).toBe('pending');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({
      id: 'ticket',
      status: 'pending',
      reason: 'manual step "ticket" needs an answer',
      asked: { kind: 'needs-answer', step: 'ticket' },
      outputs: { instruction: 'Open a ticket.', question: 'ticket matching ^RHOSDFP-[0-9]+$' },
    });
  });

  it('stops the run when the person gives no answer (declined)', async () => {
    const { result } = await run(ASKS, {
      prompter: {
        confirm: () => Promise.resolve(true),
        acknowledge: () => Promise.resolve({ by: 'ack' }),
        ask: () => Promise.resolve(false),
      },
    });
    expect(result.status).toBe('declined');
    expect(result.reason).toBe('manual step ticket was not answered');
  });

  it('redacts a secret in an answer, as in any value', async () => {
    const { events, result } = await run(
      `id: secret-answer
title: Secret answer
vars:
  out: { required: true }
  token: { env: ASK_TOKEN, secret: true }
diagnosis:
  - id: paste
    manual: Paste what the vendor said.
    input: {}
`,
      {
        answers: new Map([['paste', 'the key is s3cr3t-v4lue!']]),
        env: { ASK_TOKEN: 's3cr3t-v4lue!' },
      },
    );
    expect(answerEvents(events).map((e) => e[2])).toEqual(['the key is ***']);
    expect(result.steps[0]?.outputs.answer).toBe('the key is ***');
  });
});

describe('abort after a failed resolution step offers the rollback', () => {
  const YAML = `id: offer
title: Offer
vars:
  out: { required: true }
resolution:
  - id: fix
    run: exit 4
  - id: never
    run: touch \${{ vars.out }}/never
rollback:
  - id: undo
    run: touch \${{ vars.out }}/undone
`;
  const prompter = (accept: boolean, offers: string[]): Prompter => ({
    confirm: () => Promise.resolve(true),
    acknowledge: () => Promise.resolve({ by: 'ack' }),
    onFailure: (): Promise<FailureChoice> => Promise.resolve('abort'),
    offerRollback: ({ step, steps }) => {
      offers.push(`${step}: ${steps.join(',')}`);
      return Promise.resolve(accept);
    },
  });

  it('runs it when the person says yes, and journals the choice', async () => {
    const offers: string[] = [];
    const { result, events } = await run(YAML, { prompter: prompter(true, offers) });
    expect(offers).toEqual(['fix: undo']);
    expect(result.status).toBe('declined');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['fix', 'failed'],
      ['undo', 'succeeded'],
    ]);
    expect(existsSync(join(dir.path, 'undone'))).toBe(true);
    expect(existsSync(join(dir.path, 'never'))).toBe(false);
    const offer = events.find((e) => e.type === 'rollback.offer');
    expect(offer).toMatchObject({ type: 'rollback.offer', step: 'fix', accepted: true });
    // The choice comes after the abort, and before the rollback starts.
    expect(
      events
        .filter((e) => ['step.decision', 'rollback.offer', 'section.start'].includes(e.type))
        .map((e) => (e.type === 'section.start' ? e.section : e.type)),
    ).toEqual(['resolution', 'step.decision', 'rollback.offer', 'rollback']);
  });

  it('runs nothing more when the person says no', async () => {
    const offers: string[] = [];
    const { result, events } = await run(YAML.replace('undone', 'undone-2'), {
      prompter: prompter(false, offers),
    });
    expect(offers).toEqual(['fix: undo']);
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([['fix', 'failed']]);
    expect(existsSync(join(dir.path, 'undone-2'))).toBe(false);
    expect(events.find((e) => e.type === 'rollback.offer')).toMatchObject({ accepted: false });
  });
});
