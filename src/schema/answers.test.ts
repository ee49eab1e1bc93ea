import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { answerOutputs, answerProblem, questionOf, questionText } from './answers.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { loadRegex } from './regex.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: false,
};

function problems(text: string): string[] {
  return parseRunbook('ask.yaml', Buffer.from(text), OPTIONS).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

const HEAD = 'id: ask\ntitle: Ask\ndiagnosis:\n';

describe('a manual step that asks, validated', () => {
  it('accepts an input with a name and an RE2 pattern, and choices with descriptions', () => {
    const text = `${HEAD}  - id: ticket
    manual: Open a ticket
    input: { name: ticket, pattern: '^RHOSDFP-[0-9]+$', description: 'the ticket id' }
  - id: decide
    manual: Did the errors start before the deploy?
    choices:
      - rollback
      - { value: investigate, description: they did }
resolution:
  - id: roll-back
    when: steps.decide.outputs.answer == 'rollback' && steps.ticket.outputs.ticket != ''
    run: echo \${{ steps.ticket.outputs.answer }} \${{ steps.decide.outputs.acknowledged_by }}
`;
    expect(problems(text)).toEqual([]);
    const { runbook } = parseRunbook('ask.yaml', Buffer.from(text), OPTIONS);
    const [ticket, decide] = runbook?.diagnosis ?? [];
    expect(ticket && questionOf(ticket)).toEqual({
      kind: 'input',
      name: 'ticket',
      pattern: '^RHOSDFP-[0-9]+$',
      description: 'the ticket id',
    });
    expect(decide && questionOf(decide)).toEqual({
      kind: 'choices',
      name: 'answer',
      choices: [
        { value: 'rollback', description: undefined },
        { value: 'investigate', description: 'they did' },
      ],
    });
  });

  it('says where a bad pattern, empty choices, both at once, a bad name, a non-manual step and a repeated choice are', () => {
    expect(
      problems(`${HEAD}  - id: bad-pattern
    manual: x
    input: { pattern: '^(a)\\1$' }
  - id: empty
    manual: x
    choices: []
  - id: both
    manual: x
    input: { name: ticket }
    choices: [a, b, a]
  - id: named
    manual: x
    input: { name: my-ticket }
  - id: taken
    manual: x
    input: { name: acknowledged_by }
  - id: shell
    run: echo
    choices: [a]
`),
    ).toEqual([
      '6:23 not an RE2 regular expression: error parsing regexp: invalid escape sequence: `\\1` (patterns are RE2 (linear time): no backreferences (\\1) and no lookaround ((?=…), (?!…), (?<=…)))',
      '9:5 diagnosis[1].choices: needs at least 1 item',
      '13:5 a step asks for input: or for choices:, not both (keep choices: for a pick from a list, input: for free text)',
      '13:21 choice "a" is given twice (each choice once)',
      '16:20 diagnosis[3].input.name: an answer’s name is an identifier: letters, digits, _',
      '19:20 "acknowledged_by" is already an output of every manual step: the answer needs a name of its own (its answer is outputs.answer without a name)',
      '22:5 choices: only goes with manual: (a person answers it at a manual step)',
    ]);
  });

  it('knows a manual step’s outputs: a misspelt answer is caught, with the right one suggested', () => {
    expect(
      problems(`${HEAD}  - id: decide
    manual: x
    choices: [rollback, investigate]
  - id: ack
    manual: y
resolution:
  - id: roll-back
    when: steps.decide.outputs.choice == 'rollback'
    run: echo \${{ steps.ack.outputs.answer }}
  - id: other
    when: steps["decide"].outputs["answr"] == 'investigate'
    run: echo
`),
    ).toEqual([
      '11:11 manual step "decide" has no output "choice" in `steps.decide.outputs.choice == \'rollback\'` (its outputs: instruction, acknowledged_by, acknowledged_at, answer)',
      '12:10 manual step "ack" has no output "answer" in `steps.ack.outputs.answer` (its outputs: instruction, acknowledged_by, acknowledged_at)',
      '14:11 manual step "decide" has no output "answr" in `steps["decide"].outputs["answr"] == \'investigate\'` (did you mean "answer"?)',
    ]);
  });
});

describe('an answer, checked', () => {
  it('against a pattern (RE2, as written) and against the choices', async () => {
    const regex = await loadRegex();
    const test = (pattern: string, text: string): boolean => regex.test(pattern, text);
    const input = {
      kind: 'input',
      name: 'ticket',
      pattern: '^RHOSDFP-[0-9]+$',
      description: undefined,
    } as const;
    expect(answerProblem(input, 'RHOSDFP-123', test)).toBeUndefined();
    expect(answerProblem(input, 'RHOSDFP-12x', test)).toBe(
      '"RHOSDFP-12x" does not match ^RHOSDFP-[0-9]+$',
    );
    expect(answerProblem(input, '  ', test)).toBe('the answer is empty');
    const choices = {
      kind: 'choices',
      name: 'answer',
      choices: [
        { value: 'rollback', description: undefined },
        { value: 'investigate', description: undefined },
      ],
    } as const;
    expect(answerProblem(choices, 'investigate', test)).toBeUndefined();
    expect(answerProblem(choices, 'Rollback', test)).toBe(
      '"Rollback" is not one of rollback, investigate',
    );
    expect(questionText(input)).toBe('ticket matching ^RHOSDFP-[0-9]+$');
    expect(questionText(choices)).toBe('one of rollback, investigate');
    expect(answerOutputs(input, 'RHOSDFP-1')).toEqual({
      answer: 'RHOSDFP-1',
      ticket: 'RHOSDFP-1',
    });
    expect(answerOutputs(choices, 'rollback')).toEqual({ answer: 'rollback' });
  });
});
