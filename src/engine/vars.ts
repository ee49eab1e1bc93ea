import { UsageError } from '../common/errors.js';
import type { Runbook, VarDefinition } from '../schema/runbook.js';
import { suggest } from '../schema/suggest.js';
import type { Alert } from '../schema/alert-payload.js';
import { fromAlert } from './alert-context.js';

export interface ResolvedVars {
  values: Record<string, unknown>;
  /** Names of variables marked `secret: true`. */
  secrets: Set<string>;
  /** The environment variables the runbook declares (through `vars.*.env`), for `env.NAME`. */
  declaredEnv: Record<string, string>;
  /** Where each value came from, for `show` and the journal. */
  sources: Record<string, 'var' | 'environment' | 'env' | 'default' | 'unset' | 'alert'>;
  /** Required variables that have no value, described with how to give one. */
  missing?: string[];
  /** The same, one by one: each name, whether it is secret, and how to give it. */
  missingVars?: MissingVar[];
  /** Required variables without a value that hold a placeholder (`<name>`) instead, for a plan
   * (docs/commands.md#dry-runs-and-read-only-runs); their `env:` names hold it too. Never secrets. */
  placeholders?: Placeholders;
}

/** A required variable without a value. */
export interface MissingVar {
  name: string;
  secret: boolean;
  /** How to give it: `--var name=…` or `--var name=… or $ENV`. */
  how: string;
}

/** The variables (and their `env:` names) that stand as placeholders in a plan. */
export interface Placeholders {
  vars: ReadonlySet<string>;
  /** The `env:` names of those variables, each to its variable's name. */
  env: ReadonlyMap<string, string>;
}

/** What a variable without a value shows as in a plan: `<name>`. */
export function placeholder(name: string): string {
  return `<${name}>`;
}

type Scalar = string | number | boolean | null;

function definitionOf(value: Scalar | VarDefinition): VarDefinition {
  return value !== null && typeof value === 'object' ? value : { default: value };
}

/** `--var k=v`, then the alert's (`from_alert:`), then `--env`'s values, then `env:`, then
 * `default` (docs/format.md). */
export function resolveVars(
  runbook: Runbook,
  input: {
    cliVars: Record<string, string>;
    envName: string | undefined;
    processEnv: Record<string, string | undefined>;
    /** Report required variables without a value in `missing` instead of refusing (doctor). */
    allowMissing?: boolean;
    /** Report them, and give each the value `<name>` (a plan: `run --dry-run`, doctor). */
    placeholders?: boolean;
    /** Only these variables are needed (`check`: those its checks read); the others may lack a
     * value even when required. All are when absent. */
    needed?: ReadonlySet<string>;
    /** The alert of `run --alert`, for the variables declared `from_alert:`. */
    alert?: Alert | undefined;
  },
): ResolvedVars {
  const declared = runbook.vars ?? {};
  const names = Object.keys(declared);
  for (const name of Object.keys(input.cliVars)) {
    if (!Object.hasOwn(declared, name)) {
      const guess = suggest(name, names);
      throw new UsageError(
        `unknown variable "${name}" for runbook ${runbook.id}`,
        `${
          guess
            ? `did you mean --var ${guess}=…?`
            : names.length
              ? `its variables: ${names.join(', ')}`
              : 'it declares no variables'
        }${
          answersAlerts(runbook) || ALERT_LABELS.has(name)
            ? `; an alert's labels come in with --alert FILE, as alert.labels.${name} (docs/format.md#alert-payloads)`
            : ''
        }`,
      );
    }
  }
  let environmentVars: Record<string, Scalar> = {};
  if (input.envName !== undefined) {
    const environments = runbook.environments ?? {};
    const environment = Object.hasOwn(environments, input.envName)
      ? environments[input.envName]
      : undefined;
    if (!environment) {
      const known = Object.keys(runbook.environments ?? {});
      throw new UsageError(
        `unknown environment "${input.envName}" for runbook ${runbook.id}`,
        known.length ? `its environments: ${known.join(', ')}` : 'it declares no environments:',
      );
    }
    environmentVars = environment.vars;
  }

  const resolved: ResolvedVars = { values: {}, secrets: new Set(), declaredEnv: {}, sources: {} };
  const missing: MissingVar[] = [];
  const placeholders = { vars: new Set<string>(), env: new Map<string, string>() };
  for (const [name, raw] of Object.entries(declared)) {
    const definition = definitionOf(raw);
    if (definition.secret) resolved.secrets.add(name);
    const fromEnv =
      definition.env === undefined ? undefined : own(input.processEnv, definition.env);
    if (definition.env !== undefined && fromEnv !== undefined)
      resolved.declaredEnv[definition.env] = fromEnv;
    let value: unknown;
    const cli = own(input.cliVars, name);
    const alerted =
      definition.from_alert === undefined
        ? undefined
        : fromAlert(input.alert, definition.from_alert);
    if (cli !== undefined) [value, resolved.sources[name]] = [coerce(cli, definition), 'var'];
    else if (alerted !== undefined)
      [value, resolved.sources[name]] = [coerce(alerted, definition), 'alert'];
    else if (Object.hasOwn(environmentVars, name))
      [value, resolved.sources[name]] = [environmentVars[name], 'environment'];
    else if (fromEnv !== undefined && fromEnv !== '')
      [value, resolved.sources[name]] = [coerce(fromEnv, definition), 'env'];
    else if (definition.default !== undefined)
      [value, resolved.sources[name]] = [definition.default, 'default'];
    else {
      resolved.sources[name] = 'unset';
      value = null;
      if (definition.required && (input.needed?.has(name) ?? true)) {
        missing.push({
          name,
          secret: definition.secret === true,
          how: [
            `--var ${name}=…`,
            ...(definition.env ? [`$${definition.env}`] : []),
            ...(definition.from_alert ? [`--alert FILE (${definition.from_alert})`] : []),
          ].join(' or '),
        });
        if (input.placeholders) {
          value = placeholder(name);
          placeholders.vars.add(name);
          if (
            definition.env !== undefined &&
            !Object.hasOwn(resolved.declaredEnv, definition.env)
          ) {
            resolved.declaredEnv[definition.env] = value as string;
            placeholders.env.set(definition.env, name);
          }
        }
      }
    }
    if (
      definition.choices &&
      value !== null &&
      !placeholders.vars.has(name) &&
      !definition.choices.includes(value as Scalar)
    ) {
      throw new UsageError(
        `variable ${name} is ${JSON.stringify(value)}, not one of ${definition.choices.map((c) => JSON.stringify(c)).join(', ')}`,
      );
    }
    resolved.values[name] = value;
  }
  resolved.missing = missing.map(({ name, how }) => `${name} (${how})`);
  resolved.missingVars = missing;
  if (input.placeholders) resolved.placeholders = placeholders;
  if (missing.length > 0 && !input.allowMissing && !input.placeholders)
    throw missingValuesError(runbook, resolved);
  return resolved;
}

/** The refusal of a run whose required variables lack values (`--require-vars` for a plan). */
export function missingValuesError(runbook: Runbook, resolved: ResolvedVars): UsageError {
  const missing = resolved.missing ?? [];
  return new UsageError(
    `runbook ${runbook.id} needs ${missing.length === 1 ? 'a value' : 'values'} for: ${missing.join(', ')}`,
    'pass them with --var name=value or set the environment variables',
  );
}

/** Label names that alerts often carry (Prometheus, Kubernetes): a `--var` of one that the runbook
 * does not declare was likely meant to come from the alert. */
const ALERT_LABELS = new Set([
  'alertname',
  'namespace',
  'pod',
  'instance',
  'job',
  'container',
  'node',
  'cluster',
  'service',
  'deployment',
  'severity',
]);

/** Whether a runbook answers alerts: it declares `alerts:`, or a variable `from_alert:`. */
function answersAlerts(runbook: Runbook): boolean {
  return (
    runbook.alerts !== undefined ||
    Object.values(runbook.vars ?? {}).some(
      (definition) =>
        definition !== null &&
        typeof definition === 'object' &&
        definition.from_alert !== undefined,
    )
  );
}

/** `record[key]` for the record's own keys only: a variable may be called `constructor`. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A value from the command line or the environment takes the type of the variable's default,
 * or of its choices. */
function coerce(text: string, definition: VarDefinition): unknown {
  const fallback = definition.default ?? definition.choices?.find((choice) => choice !== null);
  if (typeof fallback === 'number' && text.trim() !== '' && Number.isFinite(Number(text)))
    return Number(text);
  if (typeof fallback === 'boolean' && (text === 'true' || text === 'false'))
    return text === 'true';
  return text;
}

/** Parses `k=v` pairs from --var. */
export function parseVarFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--var expects name=value, got "${flag}"`,
        'e.g. --var api_url=https://staging.example.com',
      );
    out[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return out;
}
