import { splitTemplate } from './expressions.js';
import { wordRole } from './shell-commands.js';
import { readEnv, VALUE_MARK, type EnvBarrier, type ShellWord } from './shell-words.js';
import { ShellScanner, type Placement, type Refusal } from './shell-scanner.js';

/** A template's text, and each of its expressions with where its value lands. */
export type PlacedPart =
  { kind: 'text'; text: string } | { kind: 'expr'; source: string; placement: Placement };

/** Where each value of a `run:` string lands when `sh -c` runs it (see shell-scanner.ts). */
export function placeShellValues(text: string): PlacedPart[] {
  const scanner = new ShellScanner();
  return splitTemplate(text).map((part) => {
    if (part.kind === 'text') {
      scanner.feed(part.text);
      return part;
    }
    return { kind: 'expr', source: part.source, placement: scanner.place() };
  });
}

/** One element of an argv: given as it is, or a script for the nested shell it is code for. */
export interface PlacedArgument {
  parts: PlacedPart[];
  /** The element is a script for a nested shell (`["sh", "-c", "…"]`): its values are
   * references to environment variables, as in a `run:` string. */
  script: boolean;
}

/**
 * Where each value of an argv lands (`run: [argv…]`, `docker.exec`'s command): an argument as it
 * is, a script for a nested shell that gets the environment, or code that it cannot be made data
 * in. `barrier` is set when the argv runs where the step's environment does not reach.
 */
export function placeArgvValues(argv: readonly string[], barrier?: EnvBarrier): PlacedArgument[] {
  const split = argv.map((element) => splitTemplate(element));
  const words: ShellWord[] = split.map((parts) => ({
    text: parts.map((part) => (part.kind === 'text' ? part.text : VALUE_MARK)).join(''),
    dynamic: false,
  }));
  return split.map((parts, index) => {
    if (!parts.some((part) => part.kind === 'expr'))
      return { parts: parts.filter((part) => part.kind === 'text'), script: false };
    const role = wordRole(words, index, barrier);
    if (role.kind === 'data')
      return {
        parts: parts.map((part) =>
          part.kind === 'text'
            ? part
            : { ...part, placement: { kind: 'here', where: 'argv' } satisfies Placement },
        ),
        script: false,
      };
    if (role.language === 'sh' && !role.barrier && !role.joined)
      return { parts: placeShellValues(argv[index] ?? ''), script: true };
    const refusal: Refusal = {
      kind: role.barrier ? 'barrier' : role.language === 'sh' ? 'unquoted' : 'interpreter',
      language: role.language,
      runner: role.runner,
      barrier: role.barrier,
    };
    return {
      parts: parts.map((part) =>
        part.kind === 'text' ? part : { ...part, placement: { kind: 'refused', refusal } },
      ),
      script: false,
    };
  });
}

/** The refusals among placed parts, with their expression and its position in the template. */
export function refusals(
  parts: readonly PlacedPart[],
): Array<{ index: number; source: string; refusal: Refusal }> {
  const found: Array<{ index: number; source: string; refusal: Refusal }> = [];
  let index = 0;
  for (const part of parts) {
    if (part.kind !== 'expr') continue;
    if (part.placement.kind === 'refused')
      found.push({ index, source: part.source, refusal: part.placement.refusal });
    index++;
  }
  return found;
}

const LANGUAGE_NAMES: Record<Refusal['language'], string> = {
  sh: 'shell',
  python: 'Python',
  node: 'JavaScript',
  perl: 'Perl',
  ruby: 'Ruby',
  php: 'PHP',
  awk: 'awk',
};

/** What to tell people about a value that cannot be made data where it is: why, and what to
 * write instead. */
export function describeRefusal(
  refusal: Refusal,
  source: string,
): { message: string; hint: string } {
  const value = `\`\${{ ${source} }}\``;
  const name = envName(source);
  const viaEnv = `pass the value through ${refusal.barrier?.env ?? "the step's env:"} (env: { ${name}: "\${{ ${source} }}" })`;
  const read = readEnv(refusal.language, name);
  const runner = refusal.runner;
  const code = `${LANGUAGE_NAMES[refusal.language]} code`;
  switch (refusal.kind) {
    case 'double-quoted':
    case 'unquoted':
      return {
        message: `${value} is in ${refusal.kind} code for ${runner}: the outer shell expands it first, so ${runner} would read the value as code`,
        hint: `${viaEnv} and refer to ${read}, or single-quote the code (${runner} '… \${{ ${source} }} …')`,
      };
    case 'after-expansion':
      return {
        message: `${value} is in code for ${runner} after an expansion ($…, \`…\`), so where it lands in that code cannot be known`,
        hint: `${viaEnv} and refer to ${read} in single-quoted code`,
      };
    case 'barrier': {
      const barrier = refusal.barrier;
      const via = barrier?.via ?? 'another program';
      const where =
        runner === 'ssh'
          ? 'in the command that ssh runs on the remote host'
          : runner.startsWith(`${via} `)
            ? `in code for ${runner}`
            : `in code for ${runner} run through ${via}`;
      return {
        message: `${value} is ${where}, and ${barrier?.why ?? 'the environment does not reach it'}: the value would be ${code} there`,
        hint: `${viaEnv}, then ${barrier?.pass(name, read) ?? `refer to ${read}`}`,
      };
    }
    case 'interpreter':
      return {
        message: `${value} is in code for ${runner}: the value would be ${code} there, not data`,
        hint: `${viaEnv} and read it as ${read}${refusal.language === 'awk' ? ` (or awk -v ${name.toLowerCase()}="$${name}")` : ''}`,
      };
    case 'heredoc':
      return {
        message: `${value} is in a heredoc that ${runner} reads as code: the value would be ${code} there`,
        hint: `${viaEnv}, quote the heredoc's delimiter (<<'EOF') and refer to ${read}`,
      };
    default: {
      const unreachable: never = refusal.kind;
      return unreachable;
    }
  }
}

/** An environment variable name for the value of an expression: `vars.db_host` → DB_HOST. */
function envName(source: string): string {
  const last = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(source)?.[1];
  return last ? last.toUpperCase() : 'VALUE';
}
