import { z } from 'zod';
import type { Diagnostic } from '../common/errors.js';
import { once } from '../common/once.js';
import { questionOf } from './answers.js';
import { ruleName } from './escalation.js';
import { ID_PATTERN, SECTIONS, stepsOf, type Runbook, type Section, type Step } from './runbook.js';
import { suggest } from './suggest.js';
import { LIMITS, parseYaml, type PathSegment, type YamlSource } from './yaml-source.js';
import { accepts } from './zod-accept.js';
import { diagnosticsFromZod, zodIssues } from './zod-diagnostics.js';

/** The scenario file format of `runbook test` (docs/testing.md): `<id>.test.yaml` beside the
 * runbook `<id>.yaml`. Structure here; what needs the runbook (its step ids, vars, severities) in
 * checkScenarios. */

/** A scenario file's name ends so; the runbook loader skips such files (load.ts). */
export const SCENARIO_SUFFIX = /\.test\.ya?ml$/;

function buildSchemas() {
  const stepId = z.string().min(1, { error: 'expected a step id' });
  const scalar = z.union([z.string(), z.number(), z.boolean()], {
    error: 'expected a string, a number, true or false (as --var name=value)',
  });
  const stepResult = z
    .strictObject({
      outputs: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('The outputs the action returns, as if recorded'),
      exit_code: z.number().int().optional().describe('Its exit code (default 0)'),
      ok: z.boolean().optional().describe('Whether the action succeeded (default: exit_code is 0)'),
      stdout: z.string().optional(),
      stderr: z.string().optional(),
      timeout: z
        .literal(true, { error: 'expected true' })
        .optional()
        .describe('The step timed out'),
      unavailable: z
        .string()
        .min(1)
        .optional()
        .describe('The tool could not run: its message (psql: command not found)'),
      error: z.string().min(1).optional().describe('The action failed with this message'),
    })
    .describe('What one try of a step returns');
  const answer = z.union([z.string(), z.boolean(), z.number()], {
    error: 'expected yes or no (a confirmation), ack or no (a manual step), or an answer',
  });
  const expect = z.strictObject({
    ran: z.array(stepId).optional().describe('Exactly the steps that ran, in order'),
    skipped: z.array(stepId).optional().describe('Steps that did not run'),
    commands: z
      .record(stepId, z.string())
      .optional()
      .describe('The exact command or request of steps (redacted form)'),
    outputs: z
      .record(stepId, z.record(z.string(), z.unknown()))
      .optional()
      .describe('Outputs and captures of steps, exact'),
    findings: z.array(stepId).optional().describe('Exactly the findings'),
    status: z
      .enum(['succeeded', 'failed', 'declined', 'pending', 'interrupted'], {
        error: 'expected succeeded, failed, declined, pending or interrupted',
      })
      .optional(),
    exit_code: z.number().int().optional().describe('As `runbook run` would exit'),
    rollback: z.boolean().optional().describe('Whether any rollback step ran'),
    escalated: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Exactly the escalation rules that fired, in order: their id:, or escalation[<index>] (docs/format.md#escalation)',
      ),
  });
  const scenario = z.strictObject({
    name: z.string().min(1, { error: 'a scenario needs a name' }),
    description: z.string().optional(),
    vars: z.record(z.string(), scalar).optional().describe('As --var name=value'),
    env: z.string().min(1).optional().describe('As --env NAME'),
    alert: z
      .union([
        z.string().min(1, { error: 'expected a JSON file name, or the payload inline' }),
        z.record(z.string(), z.unknown()),
      ])
      .optional()
      .describe(
        'As --alert: the webhook payload the run answers (Alertmanager, Grafana or PagerDuty v3), inline or as a JSON file beside this one',
      ),
    severity: z
      .string()
      .min(1)
      .optional()
      .describe('The incident’s severity, one of the runbook’s'),
    only: z
      .array(z.enum(SECTIONS, { error: `expected one of ${SECTIONS.join(', ')}` }))
      .optional()
      .describe('As --only'),
    from: stepId.optional().describe('As --from'),
    at: z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 time, such as 2026-01-01T00:00:00Z' })
      .optional()
      .describe(
        'The time the run sees (run.started_at), standing still; 2026-01-01T00:00:00Z by default',
      ),
    interactive: z
      .boolean()
      .optional()
      .describe('false: runs as --non-interactive (an unanswered manual step is pending)'),
    steps: z
      .record(stepId, z.union([stepResult, z.array(stepResult).min(1)]))
      .optional()
      .describe('What each step returns; a list gives one result per try, the last repeats'),
    answers: z
      .record(stepId, answer)
      .optional()
      .describe('Confirmations (yes/no), manual steps (ack/no), questions (the answer)'),
    expect,
  });
  const file = z.strictObject({
    runbook: z
      .string()
      .regex(ID_PATTERN, { error: 'expected a runbook id' })
      .optional()
      .describe('The runbook these scenarios test; the file name without .test.yaml by default'),
    scenarios: z.array(scenario).min(1, { error: 'expected at least one scenario' }),
  });
  return { file, scenario, stepResult };
}

const schemas = once(buildSchemas);

/** The zod schema of a scenario file. */
export const scenarioFileSchema = (): ReturnType<typeof buildSchemas>['file'] => schemas().file;

export type ScenarioFile = z.output<ReturnType<typeof buildSchemas>['file']>;
export type Scenario = z.output<ReturnType<typeof buildSchemas>['scenario']>;
export type StepResult = z.output<ReturnType<typeof buildSchemas>['stepResult']>;

/** The JSON Schema of a scenario file (schema/scenario.schema.json). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioFileSchema(), {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  schema.$id = 'https://runbook.dev/schema/scenario.schema.json';
  schema.title = 'runbook scenarios';
  return schema;
}

export type ParsedScenarios =
  | { ok: true; source: YamlSource; file: ScenarioFile; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/** Parses scenario file bytes; every problem at file:line:col, nothing thrown for bad input. */
export function parseScenarioFile(shown: string, bytes: Uint8Array): ParsedScenarios {
  const parsed = parseYaml(shown, bytes, 'scenario file', LIMITS.maxBytes);
  if (!parsed.ok) return parsed;
  const { source, data } = parsed;
  const diagnostics = [...parsed.diagnostics];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    diagnostics.push(
      source.diagnosticAt(0, 'a scenario file is a mapping with scenarios:', {
        hint: 'see docs/testing.md',
      }),
    );
    return { ok: false, diagnostics };
  }
  const schema = scenarioFileSchema();
  // The schema has no defaults or transforms: data it surely accepts is what zod would give.
  if (accepts(schema, data) && !diagnostics.some((d) => d.severity === 'error'))
    return { ok: true, source, file: data as ScenarioFile, diagnostics };
  const result = schema.safeParse(data);
  if (!result.success) {
    diagnostics.push(...diagnosticsFromZod(source, zodIssues(result), schema));
    return { ok: false, diagnostics: sorted(diagnostics) };
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics };
  return { ok: true, source, file: result.data, diagnostics };
}

/** What checking scenarios against their runbook needs besides it. */
export interface ScenarioCheckOptions {
  /** The runbook's severity levels (semantics.ts runbookSeverityLevels). */
  severityLevels: readonly string[];
  /** Its steps with those of the runbooks it calls, under their ids in a run (`<call>/<step>`,
   * docs/format.md#sub-runbooks); its own when absent. */
  steps?: ReadonlyArray<{ section: Section; step: Step }>;
}

/**
 * Checks every name a scenario gives against the runbook: step ids (with a did-you-mean), vars,
 * environments, severities, and that each answer fits the step it answers. Errors at
 * file:line:col.
 */
export function checkScenarios(
  source: YamlSource,
  file: ScenarioFile,
  runbook: Runbook,
  options: ScenarioCheckOptions,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const steps = new Map<string, { section: Section; step: Step }>(
    (options.steps ?? stepsOf(runbook)).map((entry) => [entry.step.id, entry]),
  );
  const ids = [...steps.keys()];
  const unknownStep = (path: PathSegment[], id: string, key?: string): void => {
    const guess = suggest(id, ids);
    diagnostics.push(
      source.diagnosticAtPath(
        path,
        `unknown step "${id}": runbook ${runbook.id} has no such step`,
        {
          ...(key === undefined ? {} : { key }),
          hint: guess ? `did you mean "${guess}"?` : `its steps: ${ids.join(', ') || 'none'}`,
        },
      ),
    );
  };
  const keys = (path: PathSegment[], map: Record<string, unknown> | undefined): void => {
    for (const id of Object.keys(map ?? {})) if (!steps.has(id)) unknownStep(path, id, id);
  };
  const list = (path: PathSegment[], items: readonly string[] | undefined): void =>
    items?.forEach((id, index) => {
      if (!steps.has(id)) unknownStep([...path, index], id);
    });
  const names = new Map<string, number>();
  file.scenarios.forEach((scenario, index) => {
    const at: PathSegment[] = ['scenarios', index];
    const earlier = names.get(scenario.name);
    if (earlier !== undefined)
      diagnostics.push(
        source.diagnosticAtPath([...at, 'name'], `duplicate scenario name "${scenario.name}"`, {
          hint: `scenario ${earlier + 1} has it too; names are unique in a file`,
        }),
      );
    else names.set(scenario.name, index);
    const vars = Object.keys(runbook.vars ?? {});
    for (const name of Object.keys(scenario.vars ?? {}))
      if (!vars.includes(name)) {
        const guess = suggest(name, vars);
        diagnostics.push(
          source.diagnosticAtPath([...at, 'vars'], `unknown variable "${name}"`, {
            key: name,
            hint: guess
              ? `did you mean "${guess}"?`
              : vars.length
                ? `its variables: ${vars.join(', ')}`
                : `runbook ${runbook.id} declares no variables`,
          }),
        );
      }
    if (scenario.env !== undefined && !Object.hasOwn(runbook.environments ?? {}, scenario.env)) {
      const known = Object.keys(runbook.environments ?? {});
      diagnostics.push(
        source.diagnosticAtPath([...at, 'env'], `unknown environment "${scenario.env}"`, {
          hint: known.length ? `its environments: ${known.join(', ')}` : 'it declares none',
        }),
      );
    }
    if (
      scenario.severity !== undefined &&
      options.severityLevels.length > 0 &&
      !options.severityLevels.includes(scenario.severity)
    )
      diagnostics.push(
        source.diagnosticAtPath(
          [...at, 'severity'],
          `severity "${scenario.severity}" is not one of runbook ${runbook.id}'s`,
          { hint: `its levels: ${options.severityLevels.join(', ')}` },
        ),
      );
    if (scenario.from !== undefined && !steps.has(scenario.from))
      unknownStep([...at, 'from'], scenario.from);
    keys([...at, 'steps'], scenario.steps);
    for (const [id, entry] of Object.entries(scenario.steps ?? {})) {
      const step = steps.get(id)?.step;
      if (step?.manual !== undefined)
        diagnostics.push(
          source.diagnosticAtPath([...at, 'steps'], `step "${id}" is manual: it has no result`, {
            key: id,
            hint: `answer it instead: answers: { ${id}: ack }`,
          }),
        );
      const results = Array.isArray(entry) ? entry : [entry];
      results.forEach((result, n) => {
        const kinds = (['timeout', 'unavailable', 'error'] as const).filter(
          (kind) => result[kind] !== undefined,
        );
        if (kinds.length > 1)
          diagnostics.push(
            source.diagnosticAtPath(
              [...at, 'steps', id, ...(Array.isArray(entry) ? [n] : [])],
              `a result is one of timeout, unavailable or error, not ${kinds.join(' and ')}`,
            ),
          );
      });
    }
    keys([...at, 'answers'], scenario.answers);
    for (const [id, value] of Object.entries(scenario.answers ?? {})) {
      const step = steps.get(id)?.step;
      if (!step) continue;
      const problem =
        scenario.interactive === false && answerKind(step) === 'acknowledge' && yesNo(value)
          ? {
              message: `step "${id}" cannot be acknowledged in a scenario with interactive: false`,
              hint: 'a --non-interactive run leaves a manual step pending: expect status: pending, or drop interactive: false',
            }
          : answerProblemFor(step, value);
      if (problem)
        diagnostics.push(
          source.diagnosticAtPath([...at, 'answers', id], problem.message, { hint: problem.hint }),
        );
    }
    const expect = scenario.expect;
    list([...at, 'expect', 'ran'], expect.ran);
    list([...at, 'expect', 'skipped'], expect.skipped);
    list([...at, 'expect', 'findings'], expect.findings);
    keys([...at, 'expect', 'commands'], expect.commands);
    keys([...at, 'expect', 'outputs'], expect.outputs);
    const rules = (runbook.escalation ?? []).map(ruleName);
    expect.escalated?.forEach((name, index) => {
      if (rules.includes(name)) return;
      const guess = suggest(name, rules);
      diagnostics.push(
        source.diagnosticAtPath(
          [...at, 'expect', 'escalated', index],
          `unknown escalation rule "${name}": runbook ${runbook.id} has no such rule`,
          {
            hint: guess
              ? `did you mean "${guess}"?`
              : rules.length > 0
                ? `its rules: ${rules.join(', ')}`
                : 'the runbook has no escalation: rules',
          },
        ),
      );
    });
    for (const id of expect.skipped ?? [])
      if (expect.ran?.includes(id))
        diagnostics.push(
          source.diagnosticAtPath(
            [...at, 'expect', 'skipped', expect.skipped?.indexOf(id) ?? 0],
            `step "${id}" is expected both to run and to be skipped`,
          ),
        );
  });
  return sorted(diagnostics);
}

/** The kind of answer a step takes, and whether `value` is one. */
export function answerKind(step: Step): 'confirm' | 'acknowledge' | 'question' | undefined {
  if (step.manual !== undefined) return questionOf(step) ? 'question' : 'acknowledge';
  // Whether an action step is destructive is known only once its action is loaded; any action
  // step may be asked to confirm, and the prompter takes yes or no for it.
  return 'confirm';
}

/** yes/true or no/false, as a confirmation or acknowledgement reads it; undefined otherwise. */
export function yesNo(value: string | boolean | number): boolean | undefined {
  if (value === true || value === 'yes' || value === 'ack') return true;
  if (value === false || value === 'no') return false;
  return undefined;
}

function answerProblemFor(
  step: Step,
  value: string | boolean | number,
): { message: string; hint: string } | undefined {
  switch (answerKind(step)) {
    case 'question':
      return typeof value === 'boolean'
        ? {
            message: `step "${step.id}" asks a question: its answer is text, not ${String(value)}`,
            hint: 'quote it if you mean the word: "yes"',
          }
        : undefined;
    case 'acknowledge':
      return yesNo(value) === undefined
        ? {
            message: `step "${step.id}" is a manual step: answer ack (acknowledged) or no`,
            hint: `answers: { ${step.id}: ack }`,
          }
        : undefined;
    case 'confirm':
      return value === 'ack' || yesNo(value) === undefined
        ? {
            message: `step "${step.id}" can only be confirmed: answer yes (approve) or no (decline)`,
            hint: `answers: { ${step.id}: yes }`,
          }
        : undefined;
    default:
      return undefined;
  }
}

function sorted(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
}
