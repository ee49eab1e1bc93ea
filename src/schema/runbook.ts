import { z } from 'zod';
import { once } from '../common/once.js';
import { durationInput } from '../common/duration.js';
import { loopSchemaParts } from './loops.js';

// Each runbook is validated once per process, so compiling zod's fast path (JIT, with `new Function`)
// costs more than it saves: measured ~8 ms per run on a 50-step runbook.
z.config({ jitless: true });

/** The runbook file format (docs/format.md). Structural rules live here; rules that need the adapter
 * registry or the whole document (action inputs, unique ids, references) live in semantics.ts. */

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Where a variable's `from_alert:` reads the alert (docs/format.md#alert-payloads). */
export const FROM_ALERT_PATTERN = /^(?:(?:labels|annotations)\.[^\s.][^\s]*|status|starts_at)$/;
export const USES_PATTERN = /^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_-]*$/;
/** `call:` as a string: a runbook id, or `<id>#<section>` (docs/format.md#sub-runbooks). */
export const CALL_PATTERN = /^[a-z0-9][a-z0-9-]*(?:#[a-z]+)?$/;

export const SECTIONS = [
  'detection',
  'diagnosis',
  'resolution',
  'verification',
  'rollback',
] as const;
export type Section = (typeof SECTIONS)[number];

/** The events an escalation rule's `when:` names as a word (docs/format.md#escalation). */
export const ESCALATION_EVENTS = ['step_failed', 'rollback_started', 'rollback_failed'] as const;

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

  const stepFields = z.strictObject({
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
    call: z
      .union(
        [
          z.string().regex(CALL_PATTERN, {
            error: 'expected a runbook id, or <id>#<section>, e.g. pg-replication#resolution',
          }),
          z.strictObject({
            runbook: id,
            section: z
              .enum(SECTIONS, {
                error: `expected a section: ${SECTIONS.join(', ')}`,
              })
              .optional(),
          }),
        ],
        { error: 'expected a runbook id, <id>#<section>, or { runbook, section }' },
      )
      .optional()
      .describe(
        'Run another runbook (or one section of it) here, its with: giving its vars (docs/format.md#sub-runbooks)',
      ),
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
    parallel: loopSchemaParts().parallel,
    on: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A host from runbook.config.yaml or the inventory, or an expression that gives one: run over ssh',
      ),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
          error: 'environment variable names are letters, digits and _, not starting with a digit',
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
    approval: z
      .strictObject({
        by: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
            error: 'by: other, or the name of a group of approvers in runbook.config.yaml',
          })
          .describe(
            'other: anyone but the person running it; else a group of approvers: in runbook.config.yaml',
          ),
      })
      .optional()
      .describe(
        'Another person approves this step before it runs (runbook approve <run-id> <step>; docs/state.md#approvals)',
      ),
  });
  // A step of a `for_each:` group (docs/format.md#loops-and-targets): a step, without a loop.
  const innerStepSchema = stepFields.meta({ id: 'GroupStep' });
  const loop = loopSchemaParts();
  const stepSchema = stepFields
    .extend({
      for_each: loop.forEach.optional(),
      as: loop.as.optional(),
      steps: z
        .array(innerStepSchema)
        .min(1, { error: 'a group needs at least one step' })
        .optional()
        .describe('With for_each: the steps run in order for each item'),
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
    from_alert: z
      .string()
      .regex(FROM_ALERT_PATTERN, {
        error: 'expected labels.<name>, annotations.<name>, status or starts_at',
      })
      .optional()
      .describe('Take the value from the alert of run --alert, e.g. labels.namespace'),
  });

  const alertMatcher = z.string().min(1, { error: 'expected a label matcher such as team="db"' });
  const alertsSchema = z.union(
    [z.array(alertMatcher).min(1), z.array(z.array(alertMatcher).min(1)).min(1)],
    {
      error:
        'expected a list of label matchers (alertname="KubePodCrashLooping"), or a list of such lists',
    },
  );

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
      alerts: alertsSchema
        .optional()
        .describe(
          'The alerts it answers: label matchers as Alertmanager writes them (all must match), or lists of them (one must)',
        ),
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
            id: id
              .optional()
              .describe('Names the rule in the journal, and in scenarios (expect: escalated:)'),
            after: duration
              .optional()
              .describe('Escalate once the run has been open this long (or give when:)'),
            when: z
              .union(
                [
                  z.enum(ESCALATION_EVENTS),
                  z.strictObject({
                    failed: id.optional().describe('This step failed'),
                    unacknowledged: id
                      .optional()
                      .describe('This step waited for a person for `within` without an answer'),
                    within: duration.optional(),
                  }),
                ],
                {
                  error: `expected ${ESCALATION_EVENTS.join(', ')}, { failed: <step> } or { unacknowledged: <step>, within: <duration> }`,
                },
              )
              .optional()
              .describe(
                'Escalate when this happens in a run: a step failed, the rollback started or failed, a step not acknowledged in time (docs/format.md#escalation)',
              ),
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

/** A step of a `for_each:` group. */
export type GroupStep = NonNullable<Step['steps']>[number];

/** Every step of a runbook in run order, with its section. */
export function stepsOf(runbook: Runbook): Array<{ section: Section; step: Step }> {
  const all: Array<{ section: Section; step: Step }> = [];
  for (const section of SECTIONS) {
    const steps = section === 'detection' ? runbook.detection?.checks : runbook[section];
    for (const step of steps ?? []) all.push({ section, step });
  }
  return all;
}
