import { Environment } from '@marcbachmann/cel-js';
import { registerLibrary } from './cel-library.js';

export { formatPatternProblem } from './cel-library.js';

/** The CEL environment of runbook expressions (loaded on first need: see expressions.ts), whose
 * `matches` runs `test` (RE2's, see regex.ts). */
export function createEnvironment(
  test: (pattern: string, text: string) => boolean,
  declared?: readonly string[],
): Environment {
  const environment = new Environment(environmentOptions(declared === undefined));
  configureEnvironment(environment, test);
  registerLibrary(environment);
  // Validation declares what an expression may refer to, so an unknown root is an error there.
  for (const name of declared ?? []) environment.registerVariable(name, 'dyn');
  return environment;
}

export function environmentOptions(dynamic: boolean): ConstructorParameters<typeof Environment>[0] {
  return {
    unlistedVariablesAreDyn: dynamic,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
  };
}

/**
 * What runbook adds to CEL. Self-contained (it uses only its arguments): the bounded evaluator
 * (expression-worker.ts) sends its source to a worker thread, which sets up its own copy.
 */
export function configureEnvironment(
  environment: Environment,
  test: (pattern: string, text: string) => boolean,
): void {
  // Whole numbers in data are CEL ints (see toCel), so `ratio * 2` or `error_rate * 100` must not
  // depend on whether a JSON number happened to be written 3 or 3.5: mixed int/double arithmetic
  // is done in double, as a reader expects.
  const arithmetic: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  };
  for (const [operator, apply] of Object.entries(arithmetic)) {
    environment.registerOperator(`double ${operator} int`, (a: number, b: bigint) =>
      apply(a, Number(b)),
    );
    environment.registerOperator(`int ${operator} double`, (a: bigint, b: number) =>
      apply(Number(a), b),
    );
  }
  // `matches` with RE2 semantics, in linear time (see regex.ts): expressions are compiled with
  // their `matches` calls turned into calls of this.
  environment.registerFunction(
    're2_matches(string, string): bool',
    (text: string, pattern: string) => test(pattern, text),
  );
  // CEL's global form `matches(text, pattern)`: cel-js knows only the method form, and the type
  // checker sees the source as written (evaluation rewrites both forms to re2_matches).
  environment.registerFunction('matches(string, string): bool', (text: string, pattern: string) =>
    test(pattern, text),
  );
}
