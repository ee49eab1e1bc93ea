/**
 * What an action's outputs are called and hold: declared once, on the action (`outputs:` of
 * defineAction), and used by validation (an expression may read only these names), `runbook show`,
 * `runbook adapters` and the JSON Schema (docs/adapters.md#outputs).
 */

/** The kind of value an output holds, in CEL's words; `dyn` is any JSON value. */
export type OutputType = 'string' | 'int' | 'double' | 'bool' | 'list' | 'map' | 'dyn';

export interface OutputSpec {
  type: OutputType;
  /** It may be null (a value that was not there). */
  nullable?: boolean;
  /** One line, for people. */
  description: string;
}

export type OutputSpecs = Readonly<Record<string, OutputSpec>>;

/** `type` and description, shortly: `o('int', 'HTTP status')`, `o('string?', …)` for nullable. */
export function o(type: OutputType | `${OutputType}?`, description: string): OutputSpec {
  return type.endsWith('?')
    ? { type: type.slice(0, -1) as OutputType, nullable: true, description }
    : { type: type as OutputType, description };
}

/** The outputs of any step that runs a process (support/process-outcome.ts). */
export const PROCESS_OUTPUTS = {
  stdout: o('string', 'standard output, its final newline trimmed'),
  stderr: o('string', 'standard error, its final newline trimmed'),
  exit_code: o('int?', 'exit code (null when it was killed or never started)'),
  json: o('dyn', 'stdout parsed as JSON, when it parses'),
} satisfies OutputSpecs;

/** The process outputs without the raw stdout and its JSON, for actions that parse stdout. */
export const PROCESS_STATUS = {
  stderr: PROCESS_OUTPUTS.stderr,
  exit_code: PROCESS_OUTPUTS.exit_code,
} satisfies OutputSpecs;

/** How an action's outputs read in one line: `status (int), body (string), …`. */
export function formatOutputs(outputs: OutputSpecs): string {
  return Object.entries(outputs)
    .map(([name, spec]) => `${name} (${spec.type}${spec.nullable ? '?' : ''})`)
    .join(', ');
}
