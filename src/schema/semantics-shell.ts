import type { Diagnostic } from '../common/errors.js';
import { hasTemplate, referencedNames, templateExpressions } from './expressions.js';
import type { EnvBarrier } from './shell-words.js';
import {
  describeRefusal,
  placeArgvValues,
  placeShellValues,
  refusals,
  type PlacedPart,
} from './shell-values.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/** docker.exec runs its command in the container, which gets `with.env` and nothing else. */
const DOCKER_EXEC: EnvBarrier = {
  via: 'docker.exec',
  why: "the container gets only the action's with.env",
  env: 'with.env',
  pass: (_name, read) => `refer to ${read}`,
};

/**
 * `${{ }}` values whose text would be code: in code for an interpreter, or for a shell that
 * rendering cannot keep them data in (see shell-values.ts). Reported at the expression itself.
 */
export function checkShellValues(
  source: YamlSource,
  path: PathSegment[],
  step: Record<string, unknown>,
  secretVars: readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  // An argv item is a process's argument as it is: any user sees it in ps.
  const secretInArgv = (at: PathSegment[], item: string): void => {
    if (secretVars.length === 0) return;
    templateExpressions(item).forEach((expression, index) => {
      const secret = referencedNames(expression, 'vars').find((name) => secretVars.includes(name));
      if (secret)
        out.push(
          source.diagnosticAtTemplate(
            at,
            index,
            `vars.${secret} is secret, and an argv item is visible to every user of the machine (ps)`,
            {
              severity: 'warning',
              hint: `give it to the program through the step's env: (env: { ${secret.toUpperCase()}: "\${{ vars.${secret} }}" }) or on its stdin, not as an argument`,
            },
          ),
        );
    });
  };
  const report = (at: PathSegment[], parts: () => PlacedPart[]): void => {
    let placed: PlacedPart[];
    try {
      placed = parts();
    } catch {
      return; // A template that does not parse is reported with the expression checks.
    }
    for (const { index, source: expression, refusal } of refusals(placed)) {
      const { message, hint } = describeRefusal(refusal, expression);
      out.push(source.diagnosticAtTemplate(at, index, message, { hint }));
    }
  };
  const command = (at: PathSegment[], value: unknown, barrier?: EnvBarrier): void => {
    if (typeof value === 'string') {
      if (hasTemplate(value)) report(at, () => placeShellValues(value));
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      if (!value.some(hasTemplate)) return;
      const argv = value as string[];
      let placed: ReturnType<typeof placeArgvValues>;
      try {
        placed = placeArgvValues(argv, barrier);
      } catch {
        return;
      }
      placed.forEach((argument, index) => {
        report([...at, index], () => argument.parts);
        if (!argument.script) secretInArgv([...at, index], argv[index] ?? '');
      });
    }
  };
  const input = step.with;
  const withCommand =
    input !== null && typeof input === 'object' && 'command' in input ? input.command : undefined;
  if (step.run !== undefined) command([...path, 'run'], step.run);
  else if (step.uses === 'shell.run') command([...path, 'with', 'command'], withCommand);
  else if (step.uses === 'docker.exec' && Array.isArray(withCommand))
    command([...path, 'with', 'command'], withCommand, DOCKER_EXEC);
  return out;
}
