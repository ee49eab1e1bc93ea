import { UsageError } from '../common/errors.js';
import { answerProblem, questionOf, questionText } from '../schema/answers.js';
import { loadRegex } from '../schema/regex.js';
import { stepsOf, type Runbook, type Step } from '../schema/runbook.js';

/**
 * `--answer step=value` (docs/commands.md): the answers to manual steps' questions given with a
 * run, read and checked against the runbook before any step runs. Every command that takes the
 * flag (`answerFlag` in define.ts) reads it here.
 */

/** The answers as given: step id → value. The value is everything after the first `=`. */
export function parseAnswerFlags(values: readonly string[]): Map<string, string> {
  const answers = new Map<string, string>();
  for (const given of values) {
    const at = given.indexOf('=');
    const step = at < 0 ? '' : given.slice(0, at).trim();
    if (step === '')
      throw new UsageError(
        `--answer ${JSON.stringify(given)}: expected <step>=<value>`,
        'e.g. --answer decide=rollback',
      );
    if (answers.has(step))
      throw new UsageError(`--answer ${step}: given twice`, 'answer each step once');
    answers.set(step, given.slice(at + 1));
  }
  return answers;
}

/** Checks each answer against its step: the runbook has the step, it asks a question, and the
 * answer is one of its choices or matches its pattern. */
export async function checkAnswers(
  runbook: Runbook,
  answers: ReadonlyMap<string, string>,
  /** Its steps with those of the runbooks it calls, under their ids in a run; its own when absent. */
  steps: ReadonlyArray<{ step: Step }> = stepsOf(runbook),
): Promise<void> {
  if (answers.size === 0) return;
  const asking = steps.flatMap(({ step }) => (questionOf(step) ? [step.id] : []));
  for (const [id, value] of answers) {
    const found = steps.find(({ step }) => step.id === id)?.step;
    if (!found)
      throw new UsageError(
        `--answer ${id}: runbook ${runbook.id} has no such step`,
        asking.length > 0 ? `its steps that ask: ${asking.join(', ')}` : 'none of its steps asks',
      );
    const question = questionOf(found);
    if (!question)
      throw new UsageError(
        `--answer ${id}: step ${id} asks no question`,
        asking.length > 0 ? `its steps that ask: ${asking.join(', ')}` : 'none of its steps asks',
      );
    const regex = question.kind === 'input' && question.pattern ? await loadRegex() : undefined;
    const problem = answerProblem(question, value, (pattern, text) =>
      regex ? regex.test(pattern, text) : true,
    );
    if (problem)
      throw new UsageError(
        `--answer ${id}: ${problem}`,
        `${id} asks for ${questionText(question)}`,
      );
  }
}
