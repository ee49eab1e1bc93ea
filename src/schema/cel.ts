import { Environment } from '@marcbachmann/cel-js';

/** The CEL environment of runbook expressions (loaded on first need: see expressions.ts). */
export function createEnvironment(declared?: readonly string[]): Environment {
  const environment = new Environment({
    // Validation declares what an expression may refer to, so an unknown root is an error there.
    unlistedVariablesAreDyn: declared === undefined,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
  });
  // Whole numbers in data are CEL ints (see toCel), so `ratio * 2` or `error_rate * 100` must not
  // depend on whether a JSON number happened to be written 3 or 3.5: mixed int/double arithmetic
  // is done in double, as a reader expects.
  for (const [operator, apply] of Object.entries(ARITHMETIC)) {
    environment.registerOperator(`double ${operator} int`, (a: number, b: bigint) =>
      apply(a, Number(b)),
    );
    environment.registerOperator(`int ${operator} double`, (a: bigint, b: number) =>
      apply(Number(a), b),
    );
  }
  for (const name of declared ?? []) environment.registerVariable(name, 'dyn');
  return environment;
}

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};
