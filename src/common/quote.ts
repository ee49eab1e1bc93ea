const SAFE = /^[A-Za-z0-9_\-.,:/@%+=]+$/;

/** Quotes one value for POSIX sh so that it is always a single word and never code. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one copy-pasteable command line. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
