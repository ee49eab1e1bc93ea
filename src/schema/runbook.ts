import { z } from 'zod';
import { once } from '../common/once.js';
import { durationInput } from '../common/duration.js';

// Each runbook is validated once per process, so compiling zod's fast path (JIT, with `new Function`)
// costs more than it saves: measured ~8 ms per run on a 50-step runbook.
z.config({ jitless: true });

/** The runbook file format (docs/format.md). Structural rules live here; rules that need the adapter
 * registry or the whole document (action inputs, unique ids, references) live in semantics.ts. */

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const USES_PATTERN = /^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*$/;

export const SECTIONS = [
  'detection',
  'diagnosis',
  'resolution',
  'verification',
  'rollback',
] as const;
export type Section = (typeof SECTIONS)[number];

/** Built on first use: a run whose runbook comes from the parse cache never needs them. */
function buildSchemas() {
  const id = z
    .string()
    .regex(ID_PATTERN, { error: 'must be kebab-case: lowercase letters, digits and hyphens' });

  const DURATION_ERROR = 'expected a duration such as 500ms, 30s, 5m or 1h';
  const duration = durationInput({ error: DURATION_ERROR });

  const expression = z.string().min(1, { error: 'expected an expression' });

  const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
    error: 'expected a string, a number, true or false, or null',
  });

  const effectSchema = z.enum(['read', 'write', 'destructive'], {
    error: 'expected read, write or destructive',
  });

  const matcher = z
    .strictObject({
      equals: scalar.optional(),
      not: scalar.optional(),
      in: z.array(scalar).optional(),
      matches: z
        .string()
        .optional()
        .describe('A regular expression the value (as text) must match'),
      contains: z.string().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      warn: z.number().optional().describe('WARNING when the value is past this'),
      crit: z.number().optional().describe('CRITICAL (a failed expectation) when past this'),
      below: z
        .boolean()
        .optional()
        .describe('Lower is worse: the state is raised when the value is below the levels'),
    })
    .describe('Assertions on one output, and numeric levels (warn, crit, below)');

  /** `expect:` — an expression, a list of them, or assertions keyed by output path (`status`, `json.ok`). */
  const expectSchema = z.union(
    [expression, z.array(expression).min(1), z.record(z.string(), z.union([scalar, matcher]))],
    { error: 'expected an expression, a list of expressions, or a map of output → expected value' },
  );

  const stepSchema = z
    .strictObject({
      id: id.describe('Unique within the runbook'),
      name: z.string().optional(),
      description: z.string().optional(),
      run: z
        .union([z.string().min(1), z.array(z.string()).min(1)], {
          error: 'expected a command string (run through sh -c) or an argv list',
        })
        .optional(),
      uses: z
        .string()
        .regex(USES_PATTERN, { error: 'expected <adapter>.<action>, e.g. http.get' })
        .optional(),
      with: z.record(z.string(), z.unknown()).optional(),
      manual: z.string().min(1).optional().describe('An instruction for a human'),
      input: z
        .strictObject({
          name: z
            .string()
            .regex(VAR_NAME_PATTERN, {
              error: 'an answer’s name is an identifier: letters, digits, _',
            })
            .optional()
            .describe('Also keep the answer as outputs.<name> (it is always outputs.answer)'),
          pattern: z
            .string()
            .min(1, { error: 'expected an RE2 pattern' })
            .optional()
            .describe('An RE2 pattern the answer must match, e.g. ^INC-[0-9]+$'),
          description: z.string().optional().describe('What to answer, shown with the question'),
        })
        .optional()
        .describe('A manual step asks the person for a value: their answer is outputs.answer'),
      choices: z
        .array(
          z.union(
            [
              z.string().min(1, { error: 'a choice is a non-empty word' }),
              z.strictObject({
                value: z.string().min(1, { error: 'a choice is a non-empty word' }),
                description: z.string().optional(),
              }),
            ],
            { error: 'expected a choice, or { value, description }' },
          ),
        )
        .min(1, { error: 'give at least one choice' })
        .optional()
        .describe('A manual step asks the person to pick one: their choice is outputs.answer'),
      when: expression.optional().describe('Skip the step unless this expression is true'),
      timeout: durationInput({
        error: DURATION_ERROR,
        zero: 'a timeout of 0 ends the step at once: give at least 1ms, or no timeout',
      }).optional(),
      retry: z
        .strictObject({
          attempts: z.int().min(1).max(100),
          delay: duration.optional(),
          until: expression.optional(),
        })
        .optional(),
      continue_on_error: z.boolean().optional(),
      effect: effectSchema.optional(),
      confirm: z.boolean().optional(),
      capture: z
        .record(
          z.string().regex(VAR_NAME_PATTERN, { error: 'capture names are identifiers' }),
          expression,
        )
        .optional(),
      expect: expectSchema.optional(),
      parallel: z.boolean().optional(),
      on: z.string().min(1).optional().describe('A host from runbook.config.yaml: run over ssh'),
      env: z
        .record(
          z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
            error:
              'environment variable names are letters, digits and _, not starting with a digit',
          }),
          z.string(),
        )
        .optional()
        .describe('Environment variables for the step (the way to pass secrets to a command)'),
      check: z.boolean().optional().describe('Also run this step in `runbook check`'),
      dry_run: z
        .strictObject({ outputs: z.record(z.string(), z.unknown()) })
        .optional()
        .describe('What a dry run assumes this step returned'),
      source: z
        .string()
        .min(1)
        .optional()
        .describe('Where the step came from, as file:line (written by runbook import)'),
    })
    .meta({ id: 'Step' });

  const varDefinition = z.strictObject({
    description: z.string().optional(),
    default: scalar.optional(),
    env: z.string().min(1).optional().describe('Read from this environment variable'),
    secret: z
      .boolean()
      .optional()
      .describe('Redacted everywhere; passed to commands by environment'),
    required: z.boolean().optional(),
    choices: z.array(scalar).optional(),
  });

  const severity = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'expected a severity level such as P1, a range such as P2/P3, or a list of levels',
  });

  const runbookSchema = z
    .strictObject({
      id: id.describe('Unique, kebab-case; the file is runbooks/<area>/<id>.yaml'),
      title: z.string().min(1),
      service: z.string().optional(),
      severity: severity.optional(),
      severity_scheme: z
        .union(
          [
            z.string().min(1),
            z.strictObject({
              levels: z.array(z.string().min(1)).min(1).describe('The levels, most severe first'),
              warn_from: z
                .string()
                .min(1)
                .optional()
                .describe('From this level on, check grades a failed expectation WARNING'),
            }),
          ],
          {
            error:
              'expected a scheme name such as p1-p4, or a scheme of its own: { levels: [SEV1, SEV2, SEV3] }',
          },
        )
        .optional()
        .describe(
          'A severity scheme: built in (default, p0-p3, p1-p4, sev1-sev5, critical-warning-info), named in runbook.config.yaml, or its own { levels, warn_from }',
        ),
      owner: z.string().optional(),
      tags: z.array(z.string()).optional(),
      summary: z.string().optional(),
      description: z.string().optional(),
      references: z
        .array(
          z.union([z.string(), z.strictObject({ title: z.string(), url: z.string() })], {
            error: 'expected a link, or { title, url }',
          }),
        )
        .optional(),
      vars: z
        .record(
          z.string().regex(VAR_NAME_PATTERN, {
            error: 'variable names are identifiers: letters, digits, _',
          }),
          z.union([scalar, varDefinition]),
        )
        .optional(),
      environments: z
        .record(z.string(), z.strictObject({ vars: z.record(z.string(), scalar) }))
        .optional(),
      detection: z
        .strictObject({
          symptoms: z.array(z.string()).optional(),
          checks: z.array(stepSchema).optional(),
        })
        .optional(),
      diagnosis: z.array(stepSchema).optional(),
      resolution: z.array(stepSchema).optional(),
      verification: z.array(stepSchema).optional(),
      rollback: z.array(stepSchema).optional(),
      escalation: z
        .array(
          z.strictObject({
            after: duration,
            severity: severity.optional(),
            to: z.string().min(1),
            via: z.string().optional(),
            contact: z.string().optional(),
          }),
        )
        .optional(),
      communication: z
        .record(
          z.string(),
          z.union(
            [z.string(), z.strictObject({ channel: z.string().optional(), template: z.string() })],
            { error: 'expected a message, or { template, channel }' },
          ),
        )
        .optional(),
      postmortem: z
        .strictObject({
          checklist: z.array(z.string()).optional(),
          template: z.string().optional(),
        })
        .optional(),
      lint: z
        .strictObject({
          ignore: z
            .record(z.string(), z.string())
            .optional()
            .describe('Lint rules switched off for this runbook, each with the reason why'),
        })
        .optional()
        .describe('The lint rules of validate --strict (docs/lint.md)'),
    })
    .meta({ id: 'Runbook', title: 'runbook' });
  return { stepSchema, varDefinition, runbookSchema };
}

const schemas = once(buildSchemas);

/** The zod schema of a runbook file. */
export const runbookSchema = (): ReturnType<typeof buildSchemas>['runbookSchema'] =>
  schemas().runbookSchema;

/** A choice of a manual step's `choices:`, as written. */
export type Choice = string | { value: string; description?: string | undefined };

export type Step = z.output<ReturnType<typeof buildSchemas>['stepSchema']>;
export type VarDefinition = z.output<ReturnType<typeof buildSchemas>['varDefinition']>;
export type Runbook = z.output<ReturnType<typeof buildSchemas>['runbookSchema']>;

/** Every step of a runbook in run order, with its section. */
export function stepsOf(runbook: Runbook): Array<{ section: Section; step: Step }> {
  const all: Array<{ section: Section; step: Step }> = [];
  for (const section of SECTIONS) {
    const steps = section === 'detection' ? runbook.detection?.checks : runbook[section];
    for (const step of steps ?? []) all.push({ section, step });
  }
  return all;
}
