import { EFFECT_RANK, type AnyAction, type Effect } from '../adapters/adapter.js';
import type { HostConfig } from '../schema/config.js';
import { hasTemplate, stringifyValue, type Expressions } from '../schema/expressions.js';
import type { Step } from '../schema/runbook.js';
import type { ExpressionContext } from './context.js';
import type { StepRecord } from './events.js';
import type { StepOptions } from './options.js';
import type { Redactor } from './redact.js';
import { z } from 'zod';
import { holdsPlaceholder } from './plan-values.js';
import { resolveTarget } from './targets.js';
import { renderArgv, renderShellCommand, renderText, renderValue } from './render.js';

/** A step ready to run: its action and rendered input, and the command people are shown. */
export interface PreparedAction {
  kind: 'action';
  action: AnyAction;
  input: unknown;
  effect: Effect;
  /** The exact command or request, redacted. */
  command: string;
  /** The step's own `env:`, rendered. */
  env: Record<string, string>;
  /** The `on:` host it runs on, or undefined when it runs here. */
  host: HostConfig | undefined;
}

export type Prepared =
  PreparedAction | { kind: 'manual'; effect: 'manual'; command: undefined; text: string };

/** A step that cannot be prepared (an unknown action or host, an input its action refuses). */
export class PrepareError extends Error {}

/** What preparing a step needs of the run. */
export type PrepareScope = Pick<StepOptions, 'hosts' | 'registry' | 'redactor' | 'ports'>;

/** Renders the step's inputs and describes it: the same path for a dry run and a real one.
 * Throws PrepareError, or ExpressionError for a template that cannot be evaluated. */
export async function prepareStep(
  step: Step,
  context: ExpressionContext,
  scope: PrepareScope,
): Promise<Prepared> {
  if (step.manual !== undefined)
    return {
      kind: 'manual',
      effect: 'manual',
      command: undefined,
      text: renderText(step.manual, context.get(), context.rendering),
    };
  const host = step.on === undefined ? undefined : targetOf(step.on, context, scope);
  const { uses, input, env } = renderInput(step, context.get(), context.rendering);
  const action = await scope.registry.action(uses);
  if (!action) throw new PrepareError(`unknown action ${uses}`);
  const parsed = parseInput(step, uses, action, input, context.shown);
  if (host && action.local) throw new PrepareError(`${uses} runs here: on: does not apply to it`);
  let described: string;
  try {
    described = action.describe(parsed);
  } catch (error) {
    // A plan's placeholder (`<threshold>`) passes an input's check but not every describe():
    // the step is planned without its command, never an internal error.
    if (!(error instanceof Error) || error instanceof PrepareError) throw error;
    throw new PrepareError(`${uses}: ${error.message}`);
  }
  return {
    kind: 'action',
    action,
    input: action.redactInput
      ? redactExcept(scope.redactor, parsed, action.redactInput.except)
      : parsed,
    effect: stepEffect(step, action.effect) as Effect,
    command: scope.redactor.redact(
      host ? scope.ports.processes.describeRemote(host, described) : described,
    ),
    env,
    host,
  };
}

/** The host `on:` names, or gives as an expression (targets.ts). */
function targetOf(on: string, context: ExpressionContext, scope: PrepareScope): HostConfig {
  if (!hasTemplate(on)) {
    if (Object.hasOwn(scope.hosts, on)) return scope.hosts[on] as HostConfig;
    throw new PrepareError(
      `on: ${on}: no such host under hosts: in runbook.config.yaml or in the inventory`,
    );
  }
  const target = stringifyValue(renderValue(on, context.get(), context.expressions)).trim();
  const resolved = resolveTarget(target, scope.hosts, on);
  if ('problem' in resolved) throw new PrepareError(resolved.problem);
  return resolved.host;
}

/** A step's effect: its action's, raised (never lowered) by its own `effect:`; `run:` defaults to write. */
export function stepEffect(step: Step, actionEffect: Effect | undefined): StepRecord['effect'] {
  if (step.manual !== undefined) return 'manual';
  const base = actionEffect ?? (step.run !== undefined ? 'write' : 'read');
  if (!step.effect) return base;
  if (step.uses !== undefined && EFFECT_RANK[step.effect] < EFFECT_RANK[base]) return base;
  return step.effect;
}

/** The action a step names and its input, rendered, with the step's own environment. */
function renderInput(
  step: Step,
  context: Record<string, unknown>,
  expressions: Expressions,
): { uses: string; input: unknown; env: Record<string, string> } {
  // Environment values are text: a whole-value expression (`${{ vars.port }}`) gives its text.
  const env: Record<string, string> = {};
  if (step.env)
    for (const [name, value] of Object.entries(
      renderValue(step.env, context, expressions) as object,
    ))
      env[name] = stringifyValue(value);
  refuseNul(env, 'env');
  if (step.run !== undefined) {
    const rendered = renderCommand(step.run, env, context, expressions);
    // The values: the argv's items, or what the command refers to in its environment.
    refuseNul(commandValues(rendered), 'run');
    return { uses: 'shell.run', input: rendered, env };
  }
  if (step.uses === 'shell.run' && isShellInput(step.with)) {
    // The same rendering as run:, so that values are never pasted into the command as code.
    const { command, env: values, ...rest } = step.with;
    const others = renderValue(rest, context, expressions) as object;
    refuseNul(others, 'with');
    const rendered = renderValue(values ?? {}, context, expressions) as Record<string, unknown>;
    refuseNul(rendered, 'with.env');
    const shell = renderCommand(command, rendered, context, expressions);
    refuseNul(commandValues(shell), 'with.command');
    return { uses: step.uses, input: { ...others, ...shell }, env };
  }
  if (step.uses !== undefined) {
    const input = renderValue(step.with ?? {}, context, expressions);
    refuseNul(input, 'with');
    return { uses: step.uses, input, env };
  }
  throw new PrepareError('a step needs one of run:, uses: or manual:');
}

/** The input as its action takes it. A `run:` step's input is built by renderInput, all text, from
 * the validated runbook (the command's values go by environment, so its text is never empty);
 * `uses:` inputs are parsed. */
function parseInput(
  step: Step,
  uses: string,
  action: AnyAction,
  input: unknown,
  shown: ReadonlySet<string> | undefined,
): unknown {
  if (step.run !== undefined) return input;
  let parsed = action.input.safeParse(input);
  if (parsed.success) return parsed.data;
  // In a plan, an input that holds a placeholder where the action wants a value of a form
  // (`<database_url>` for a postgres:// URL) is taken as text, so that the plan shows it.
  const lenient = shown && planInput(action.input, input, parsed.error.issues, shown);
  if (lenient) parsed = lenient.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `with.${issue.path.join('.')}: ` : '';
  throw new PrepareError(
    `${uses}: ${where}${issue?.message ?? 'invalid input'} (after templating)`,
  );
}

/** An action's input schema with each field whose value holds a placeholder, and that its own
 * schema refuses, taken as text; undefined when some refused field holds none. */
function planInput(
  schema: z.ZodType,
  input: unknown,
  issues: readonly z.core.$ZodIssue[],
  shown: ReadonlySet<string>,
): z.ZodType | undefined {
  if (!(schema instanceof z.ZodObject) || input === null || typeof input !== 'object')
    return undefined;
  const fields: Record<string, z.ZodType> = {};
  for (const issue of issues) {
    const key = issue.path[0];
    if (typeof key !== 'string' || !Object.hasOwn(input, key)) return undefined;
    const value = (input as Record<string, unknown>)[key];
    if (typeof value !== 'string' || !holdsPlaceholder(value, shown)) return undefined;
    fields[key] = z.string();
  }
  try {
    return schema.safeExtend(fields);
  } catch {
    return undefined; // An object schema with refinements of its own cannot be extended.
  }
}

/** The input of shell.run for a command: values by environment, the display with them inlined. */
function renderCommand(
  command: string | readonly string[],
  env: Record<string, unknown>,
  context: Record<string, unknown>,
  expressions: Expressions,
): { command: string | string[]; display: string; env: Record<string, unknown> } {
  const rendered =
    typeof command === 'string'
      ? renderShellCommand(command, context, expressions)
      : renderArgv(command, context, expressions);
  return { command: rendered.command, display: rendered.display, env: { ...env, ...rendered.env } };
}

/** What a rendered command carries as values: an argv's items, or a shell command's environment. */
function commandValues(rendered: ReturnType<typeof renderCommand>): unknown {
  return typeof rendered.command === 'string'
    ? Object.values(rendered.env).join('')
    : rendered.command;
}

function isShellInput(
  value: unknown,
): value is { command: string | string[]; env?: unknown } & Record<string, unknown> {
  if (value === null || typeof value !== 'object' || !('command' in value)) return false;
  const { command } = value;
  return (
    typeof command === 'string' ||
    (Array.isArray(command) && command.every((item) => typeof item === 'string'))
  );
}

/** No process or request can carry a NUL character: a rendered value holding one fails the step
 * here, saying where (`with.app`, `run[2]`, `env.NAME`), before any tool sees it. */
function refuseNul(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\0'))
      throw new PrepareError(
        `${path}: a value holds a NUL character, which no command or request can take (after templating)`,
      );
  } else if (Array.isArray(value))
    value.forEach((item, index) => refuseNul(item, `${path}[${index}]`));
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) refuseNul(item, `${path}.${key}`);
}

/** An action's input with known secrets replaced, except in the keys it needs as they are. */
function redactExcept(redactor: Redactor, input: unknown, except: readonly string[]): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return redactor.redactDeep(input);
  return Object.fromEntries(
    Object.entries(input).map(([key, value]) => [
      key,
      except.includes(key) ? value : redactor.redactDeep(value),
    ]),
  );
}
