// The words of a command line as the program receives them, and what a word can be to it.
/** One word of a simple command, as the program will receive it (quotes removed). */
export interface ShellWord {
  /** The word's text; each value inserted into it stands as one VALUE_MARK. */
  text: string;
  /** An expansion (`$name`, `$(…)`, backticks) is part of it: its text is known only when it runs. */
  dynamic: boolean;
}

/** Stands for an inserted value in a word's text. */
export const VALUE_MARK = '\u0000';

/** The languages whose code a command line can carry, and how each reads an environment variable. */
export type Language = 'sh' | 'python' | 'node' | 'perl' | 'ruby' | 'php' | 'awk';

const READ_ENV: Record<Language, (name: string) => string> = {
  sh: (name) => `"$${name}"`,
  python: (name) => `os.environ["${name}"]`,
  node: (name) => `process.env.${name}`,
  perl: (name) => `$ENV{${name}}`,
  ruby: (name) => `ENV["${name}"]`,
  php: (name) => `getenv("${name}")`,
  awk: (name) => `ENVIRON["${name}"]`,
};

/** How code in a language refers to the environment variable `name`. */
export function readEnv(language: Language, name: string): string {
  return READ_ENV[language](name);
}

/** A program between the step's shell and the code, that does not hand the step's environment on. */
export interface EnvBarrier {
  /** `sudo`, `ssh`, `docker exec`… */
  via: string;
  /** Why the environment does not get through. */
  why: string;
  /** Where to put the value instead, when not in the step's `env:`. */
  env?: string;
  /** How to hand the variable `name` through it to code that reads it with `read`. */
  pass: (name: string, read: string) => string;
}

/** What a word of a command line is to the program that receives it. */
export type WordRole =
  | { kind: 'data' }
  | {
      kind: 'code';
      language: Language;
      /** How the code is given: `sh -c`, `eval`, `python3 -c`, `awk`, `ssh`… */
      runner: string;
      /** `eval` and `ssh` join their arguments, with spaces, into one script. */
      joined: boolean;
      /** The index of the code's (first) word. */
      start: number;
      barrier: EnvBarrier | undefined;
    };

export const DATA: WordRole = { kind: 'data' };
export function literal(word: ShellWord | undefined): string | undefined {
  return word && !word.dynamic && !word.text.includes(VALUE_MARK) ? word.text : undefined;
}

/** A word read as a possible option: a value inside `-x…` leaves it an option; a word that
 * starts with a value or an expansion may be anything, and is taken for an operand. */
export function optionText(word: ShellWord | undefined): string | undefined {
  if (!word || word.dynamic || word.text.startsWith(VALUE_MARK)) return undefined;
  return word.text;
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Index of the first word after the options of a program (options taking an argument skip it). */
export function skipOptions(
  words: readonly ShellWord[],
  from: number,
  withArgument: RegExp,
  stopAtEnd = true,
): number {
  let i = from;
  while (i < words.length) {
    const text = literal(words[i]);
    if (text === undefined || !text.startsWith('-') || text === '-') return i;
    if (text === '--' && stopAtEnd) return i + 1;
    i += withArgument.test(text) ? 2 : 1;
  }
  return i;
}
