import type { z } from 'zod';
import type { Diagnostic } from '../common/errors.js';
import { suggest } from './suggest.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/**
 * The issues of a failed parse. zod builds its error on first read, an Error with a stack trace
 * that nobody reads: that trace was most of the cost of a step input that fails only because it
 * is templated, which validation checks for every such step.
 */
export function zodIssues(failed: { readonly error: z.ZodError }): Issue[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return failed.error.issues;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Turns zod issues into diagnostics at file:line:col, one per problem (one per unknown key). */
export function diagnosticsFromZod(
  source: YamlSource,
  issues: readonly Issue[],
  schema: z.ZodType,
  prefix: readonly PathSegment[] = [],
  /** Where in `schema` the issues are: inside a union's branch, the path to that union. */
  within: readonly PathSegment[] = [],
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    const branch = issue.code === 'invalid_union' ? likeliestBranch(issue.errors) : undefined;
    if (branch) {
      diagnostics.push(
        ...diagnosticsFromZod(source, branch, schema, path, [
          ...within,
          ...(issue.path as PathSegment[]),
        ]),
      );
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, [...within, ...(issue.path as PathSegment[])]);
      // A `__proto__` key is reported once, wherever it is, by semantics.ts.
      for (const key of issue.keys.filter((name) => name !== '__proto__')) {
        const guess = suggest(key, known);
        diagnostics.push(
          source.diagnosticAtPath(path, `unknown key "${key}"`, {
            key,
            path: formatKeyPath(path, key),
            hint: guess
              ? `did you mean "${guess}"?`
              : known.length
                ? `known keys: ${known.join(', ')}`
                : '',
          }),
        );
      }
      continue;
    }
    if (!source.has(path) && issue.code === 'invalid_type') {
      const key = path[path.length - 1];
      diagnostics.push(
        source.diagnosticAtPath(path.slice(0, -1), `missing required key "${String(key)}"`, {
          path: formatKeyPath(path.slice(0, -1), String(key)),
        }),
      );
      continue;
    }
    const where = formatKeyPath(path.slice(0, -1), String(path[path.length - 1] ?? ''));
    if (issue.code === 'invalid_key') {
      // The schema's own word on the key ("capture names are identifiers"), at the key itself.
      const inner = issue.issues[0];
      diagnostics.push(
        source.diagnosticAtPath(
          path.slice(0, -1),
          `${where}: ${inner ? cleanMessage(inner) : cleanMessage(issue)}`,
          { key: String(path[path.length - 1] ?? ''), path: where },
        ),
      );
      continue;
    }
    diagnostics.push(
      source.diagnosticAtPath(
        path,
        path.length ? `${where}: ${cleanMessage(issue)}` : cleanMessage(issue),
      ),
    );
  }
  return diagnostics.map((d) => (d.hint === '' ? withoutHint(d) : d));
}

/**
 * Of a union's failed alternatives, the one that got furthest into the data (`lt: one` fails the
 * matcher at `lt`, but a string at once): its issues say what is wrong. None when all failed at the
 * value itself; then the union's own message does.
 */
function likeliestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  let best: readonly Issue[] | undefined;
  let bestDepth = 0;
  for (const branch of branches) {
    const depth = Math.max(0, ...branch.map(issueDepth));
    if (depth > bestDepth) {
      best = branch;
      bestDepth = depth;
    }
  }
  return best;
}

function issueDepth(issue: Issue): number {
  const inner =
    issue.code === 'invalid_union'
      ? Math.max(0, ...issue.errors.map((branch) => Math.max(0, ...branch.map(issueDepth))))
      : 0;
  return issue.path.length + inner;
}

function withoutHint(diagnostic: Diagnostic): Diagnostic {
  const { hint: _hint, ...rest } = diagnostic;
  return rest;
}

function formatKeyPath(path: readonly PathSegment[], key: string): string {
  const parts = path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`))
    .join('');
  return `${parts}.${key}`.replace(/^\./, '');
}

function cleanMessage(issue: Issue): string {
  const message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid string: /, '');
  switch (issue.code) {
    case 'invalid_type':
      return message.replace('received', 'got');
    case 'too_small':
      if (issue.origin === 'array')
        return `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return message;
    default:
      return message;
  }
}

/** The keys an object accepts at a path of a zod schema (for "did you mean" hints). */
export function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current: unknown = schema;
  for (const segment of path) {
    current = unwrap(current, typeof segment === 'number' ? ['array'] : ['object', 'record']);
    const def = defOf(current);
    if (!def) return [];
    if (def.type === 'object' && typeof segment === 'string')
      current = (def.shape as Record<string, unknown>)[segment];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return [];
  }
  const def = defOf(unwrap(current, ['object']));
  return def?.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : [];
}

interface Def {
  type: string;
  shape?: unknown;
  element?: unknown;
  valueType?: unknown;
  innerType?: unknown;
  options?: unknown[];
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** The schema under optional and the like; of a union, the alternative of one of `kinds` (an
 * object or record for a key, an array for an index). */
function unwrap(schema: unknown, kinds: readonly string[]): unknown {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (!def) return current;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')
      current = def.innerType;
    else if (def.type === 'union') {
      const object = def.options?.find((option) =>
        kinds.includes(defOf(unwrap(option, kinds))?.type ?? ''),
      );
      if (!object) return current;
      current = object;
    } else return current;
  }
}
