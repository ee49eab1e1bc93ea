import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type LoadedAdapters } from '../adapters/registry.js';
import type { AnyAction } from '../adapters/adapter.js';
import { runbookSchema } from './runbook.js';
import { collectSteps } from './semantics.js';
import { readYamlFast } from './yaml-fast.js';
import { accepts } from './zod-accept.js';

// The quick acceptor may say "not sure" of anything, but never "yes" to a value zod rejects: on
// the runbooks of the repository, on every action input they hold, and on those values changed
// at random (a value replaced or removed anywhere in them). fast-check prints the seed and the
// smallest counterexample when a property fails.

const ROOT = join(import.meta.dirname, '../..');
const RUNS = 3000;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

const RUNBOOKS = ['runbooks', 'test/fixtures']
  .flatMap((dir) => yamlFiles(join(ROOT, dir)))
  .flatMap((file) => {
    const data = readYamlFast(readFileSync(file, 'utf8'));
    return data ? [data] : [];
  });

let adapters: LoadedAdapters;
beforeAll(async () => {
  adapters = await createRegistry().load();
});

/** Every `uses:` of the runbooks with its action and its `with:`. */
function inputs(): Array<{ action: AnyAction; input: unknown }> {
  return RUNBOOKS.flatMap((data) =>
    collectSteps(data).flatMap(({ step }) => {
      if (typeof step.uses !== 'string') return [];
      const [adapter = '', name = ''] = step.uses.split('.');
      const actions = adapters.adapter(adapter)?.actions;
      const action = actions && Object.hasOwn(actions, name) ? actions[name] : undefined;
      return action ? [{ action, input: step.with ?? {} }] : [];
    }),
  );
}

/** The value with one place in it (found by following `path`) replaced, or removed. */
function changed(root: unknown, path: readonly number[], value: unknown, remove: boolean): unknown {
  const copy: unknown = structuredClone(root);
  let node = copy;
  let parent: Record<string | number, unknown> | undefined;
  let key: string | number | undefined;
  for (const step of path) {
    if (node === null || typeof node !== 'object') break;
    const keys = Array.isArray(node) ? node.map((_, index) => index) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string | number, unknown>;
    key = keys[step % keys.length] as string | number;
    node = parent[key];
  }
  if (!parent || key === undefined) return copy;
  if (!remove) parent[key] = value;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
  return copy;
}

const replacement = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', '0s', '30s', '8d', 'P1', 'http.get', 'a-b', 'A', '${{ x }}', 'destructive'),
  fc.integer({ min: -2, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, undefined, [], {}, ['a'], { a: 1 }),
);

describe('the quick zod acceptor', () => {
  it('accepts every valid runbook of the repository', () => {
    const schema = runbookSchema();
    const valid = RUNBOOKS.filter((data) => schema.safeParse(data).success);
    expect(valid.length).toBeGreaterThan(40);
    for (const data of valid) expect(accepts(schema, data)).toBe(true);
  });

  it('never accepts a runbook zod rejects', () => {
    const schema = runbookSchema();
    fc.assert(
      fc.property(
        fc.nat(RUNBOOKS.length - 1),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 7 }),
        replacement,
        fc.boolean(),
        (index, path, value, remove) => {
          const data = changed(RUNBOOKS[index], path, value, remove);
          return !accepts(schema, data) || schema.safeParse(data).success;
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('never accepts an action input zod rejects', () => {
    const all = inputs();
    expect(all.length).toBeGreaterThan(100);
    for (const { action, input } of all)
      expect(!accepts(action.input, input) || action.input.safeParse(input).success).toBe(true);
    fc.assert(
      fc.property(
        fc.nat(all.length - 1),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 4 }),
        replacement,
        fc.boolean(),
        (index, path, value, remove) => {
          const { action, input } = all[index] as (typeof all)[number];
          const { root } = changed({ root: input }, [0, ...path], value, remove) as {
            root: unknown;
          };
          return !accepts(action.input, root) || action.input.safeParse(root).success;
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('with templated values taken as accepted, accepts only inputs whose issues are all at them', () => {
    const templated = (value: unknown): boolean =>
      typeof value === 'string' && value.includes('${{');
    /** As semantics.ts drops them: an issue at, or inside, a templated value. */
    const atTemplated = (root: unknown, path: readonly PropertyKey[]): boolean => {
      let value = root;
      for (const segment of path) {
        if (value === null || typeof value !== 'object') return false;
        value = (value as Record<PropertyKey, unknown>)[segment];
        if (templated(value)) return true;
      }
      return templated(value);
    };
    const all = inputs();
    const template = fc.constantFrom('${{ vars.x }}', 'a ${{ x }} b', '${{ steps.a.outputs.b }}');
    fc.assert(
      fc.property(
        fc.nat(all.length - 1),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 4 }),
        fc.oneof(template, replacement),
        fc.boolean(),
        (index, path, value, remove) => {
          const { action, input } = all[index] as (typeof all)[number];
          const { root } = changed({ root: input }, [0, ...path], value, remove) as {
            root: unknown;
          };
          if (!accepts(action.input, root, templated)) return true;
          const result = action.input.safeParse(root);
          return result.success || result.error.issues.every((i) => atTemplated(root, i.path));
        },
      ),
      { numRuns: RUNS },
    );
    const union = z.strictObject({
      a: z.union([
        z.strictObject({ n: z.number() }),
        z.strictObject({ n: z.number(), m: z.string() }),
      ]),
    });
    // zod says the union failed, at `a`, which is not templated
    expect(accepts(union, { a: { n: '${{ x }}' } }, templated)).toBe(false);
    expect(accepts(union, { a: '${{ x }}' }, templated)).toBe(true);
  });

  it('leaves to zod what changes or replaces a value, and what it does not know', () => {
    const notSure = [
      [z.string().trim().min(1), ' '],
      [z.string().transform((s) => s.length), 'a'],
      [z.string().default('a'), undefined],
      [z.object({ a: z.string() }).refine(() => true), { a: 'b' }],
      [z.lazy(() => z.string()), 'a'],
      [z.coerce.number(), 1],
      [z.tuple([z.string()]), ['a']],
    ] as const;
    for (const [schema, value] of notSure) expect(accepts(schema, value)).toBe(false);
  });

  it('answers as zod does for what it knows', () => {
    const schema = z.strictObject({
      id: z.string().regex(/^[a-z]+$/),
      n: z.int().min(1).max(3).optional(),
      tags: z.array(z.string()).min(1).optional(),
      kind: z.union([z.string(), z.strictObject({ name: z.string() })]).optional(),
      extra: z.record(z.string().regex(/^[A-Z_]+$/), z.string()).optional(),
      when: z
        .string()
        .refine((s) => s !== 'never')
        .optional(),
    });
    const values: unknown[] = [
      { id: 'a' },
      { id: 'A' },
      { id: 'a', n: 2 },
      { id: 'a', n: 2.5 },
      { id: 'a', n: 4 },
      { id: 'a', tags: [] },
      { id: 'a', tags: ['x'] },
      { id: 'a', kind: { name: 'x' } },
      { id: 'a', kind: { name: 'x', other: 1 } },
      { id: 'a', extra: { A_B: 'x' } },
      { id: 'a', extra: { a: 'x' } },
      { id: 'a', when: 'never' },
      { id: 'a', unknown: 1 },
      { n: 1 },
      null,
      [],
    ];
    for (const value of values)
      expect(accepts(schema, value)).toBe(schema.safeParse(value).success);
  });
});
