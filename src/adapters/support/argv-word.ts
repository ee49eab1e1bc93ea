import { z } from 'zod';

/**
 * A name or path that goes into a tool's argv where the tool would read a leading "-" as one of
 * its own options, and where `--` cannot stop that (the tool has no `--`, or its names never start
 * with "-"): such a value is refused, as are line breaks and NUL, which no name or path needs.
 * The engine parses a step's rendered `with:` through its action's schema, so a templated value
 * that does not fit fails the step with this message before any process starts.
 */
export function argvWord(what: string): z.ZodString {
  return z
    .string()
    .min(1)
    .regex(/^[^-]/, { error: `${what} cannot start with "-"` })
    .regex(/^[^\r\n\0]*$/, { error: `${what} cannot contain a line break or NUL character` });
}
