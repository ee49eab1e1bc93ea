import type { Step } from './runbook.js';

/**
 * A manual step may ask the person for a value (`input:`) or to pick one of `choices:`
 * (docs/format.md#answers). One rule for where the answer goes: it is always the step's output
 * `answer`, and an `input:` with a `name:` keeps it under that name too, so that later steps read
 * `steps.<id>.outputs.answer` or `steps.<id>.outputs.<name>`. Validation, the engine and the CLI
 * (`--answer step=value`) share what is here.
 */

/** The output an answered step keeps its answer in. */
export const ANSWER_OUTPUT = 'answer';

/** The outputs every manual step has, asking or not. */
export const MANUAL_OUTPUTS = ['instruction', 'acknowledged_by', 'acknowledged_at'] as const;

export interface ChoiceOption {
  value: string;
  description: string | undefined;
}

/** What a manual step asks. `name`: what the answer is called (the input's name, or `answer`). */
export type Question =
  | {
      kind: 'input';
      name: string;
      pattern: string | undefined;
      description: string | undefined;
    }
  | { kind: 'choices'; name: string; choices: readonly ChoiceOption[] };

/** What a manual step asks, if anything. */
export function questionOf(step: Step): Question | undefined {
  if (step.choices !== undefined)
    return {
      kind: 'choices',
      name: ANSWER_OUTPUT,
      choices: step.choices.map((choice) =>
        typeof choice === 'string'
          ? { value: choice, description: undefined }
          : { value: choice.value, description: choice.description },
      ),
    };
  if (step.input !== undefined)
    return {
      kind: 'input',
      name: step.input.name ?? ANSWER_OUTPUT,
      pattern: step.input.pattern,
      description: step.input.description,
    };
  return undefined;
}

/** The outputs an answer gives its step: `answer`, and the input's own name. */
export function answerOutputs(question: Question, value: string): Record<string, string> {
  return { [ANSWER_OUTPUT]: value, [question.name]: value };
}

/** The question in one line, as a plan shows it: `ticket (^INC-[0-9]+$)` or
 * `one of rollback, investigate`. */
export function questionText(question: Question): string {
  if (question.kind === 'choices')
    return `one of ${question.choices.map((choice) => choice.value).join(', ')}`;
  return question.pattern === undefined
    ? question.name
    : `${question.name} matching ${question.pattern}`;
}

/** Why an answer is not accepted, or undefined when it is. `test`: whether an RE2 pattern
 * matches a text (src/schema/regex.ts). */
export function answerProblem(
  question: Question,
  value: string,
  test: (pattern: string, text: string) => boolean,
): string | undefined {
  if (question.kind === 'choices') {
    const values = question.choices.map((choice) => choice.value);
    return values.includes(value)
      ? undefined
      : `${JSON.stringify(value)} is not one of ${values.join(', ')}`;
  }
  if (value.trim() === '') return 'the answer is empty';
  if (question.pattern !== undefined && !test(question.pattern, value))
    return `${JSON.stringify(value)} does not match ${question.pattern}`;
  return undefined;
}
