import type { z } from 'zod';

/**
 * A quick yes to "does this zod schema accept this value?", for the values that most files hold,
 * without what zod's parse costs: a payload and an issue list for every value, a copy of every
 * object and array, half of what validating a file allocated. It walks the schema's definition
 * as zod's parse does and runs zod's own checks (lengths, patterns, formats, refinements) on the
 * values they apply to; whatever it was not written for (transforms, defaults, pipes, coercion,
 * intersections, a check on an object, …) it answers "not sure", and so does any value it does not
 * accept: the caller then asks zod, which says what is wrong. It never accepts what zod rejects
 * (zod-accept.test.ts holds it to that on the runbook schema and on every action's inputs).
 */

/** What this module reads of a schema's internals (zod 4's `_zod`). */
interface Internals {
  def: {
    type: string;
    checks?: readonly Schema[];
    coerce?: boolean;
    innerType?: Schema;
    element?: Schema;
    shape?: Record<string, Schema>;
    catchall?: Schema;
    keyType?: Schema;
    valueType?: Schema;
    options?: readonly Schema[];
    discriminator?: unknown;
    inclusive?: unknown;
    mode?: unknown;
    check?: string;
  };
  traits: ReadonlySet<string>;
  values?: ReadonlySet<unknown>;
  optin?: string;
  optout?: string;
  check?: (payload: { value: unknown; issues: unknown[] }) => unknown;
}
interface Schema {
  _zod: Internals;
}

type Accept = (value: unknown) => boolean;

const NOT_SURE: Accept = () => false;
/** Acceptors by schema, for each `wild` (see `accepts`), and without one. */
const compiled = new WeakMap<object, WeakMap<object, Accept>>();
const NO_WILD = (): boolean => false;

/**
 * Whether zod surely accepts `value` (a parse of it would succeed); false when not sure. With
 * `wild`, the values it holds true of are taken as accepted wherever they are: then the answer is
 * whether every issue zod would raise is at such a value or inside one (what a caller that drops
 * those issues wants to know).
 */
export function accepts(
  schema: z.ZodType,
  value: unknown,
  wild: (value: unknown) => boolean = NO_WILD,
): boolean {
  return acceptorOf(schema as unknown as Schema, wild)(value);
}

function acceptorOf(schema: Schema, wild: Accept): Accept {
  let known = compiled.get(wild);
  if (!known) compiled.set(wild, (known = new WeakMap()));
  let accept = known.get(schema);
  if (!accept) {
    // Set first: a schema that contains itself (z.lazy) is not followed, and gets NOT_SURE.
    known.set(schema, NOT_SURE);
    const built = build(schema, wild);
    accept = wild === NO_WILD ? built : (value) => wild(value) || built(value);
    known.set(schema, accept);
  }
  return accept;
}

function build(schema: Schema, wild: Accept): Accept {
  const internals = schema._zod;
  const def = internals.def;
  if (def.coerce) return NOT_SURE;
  const type = typeTest(schema, wild);
  if (!type) return NOT_SURE;
  // The checks zod runs after the type: the schema's own when it is a check itself (z.int(),
  // z.url()), then those added to it (.min(), .regex(), .refine()).
  const checks = [...(internals.traits.has('$ZodCheck') ? [schema] : []), ...(def.checks ?? [])];
  if (checks.length === 0) return type;
  // A check that changes the value (.trim(), .overwrite()) is left to zod: it runs its checks in an
  // order, and on conditions (`when`), that this does not follow.
  if (checks.some((check) => check._zod.def.check === 'overwrite')) return NOT_SURE;
  // zod checks the value it parsed: the same value only for what is not copied (not an object;
  // an array only for its length).
  const onArrays = checks.every((check) => LENGTH_CHECKS.has(check._zod.def.check ?? ''));
  return (value) =>
    type(value) &&
    (value === null || typeof value !== 'object' || (onArrays && Array.isArray(value))) &&
    passes(checks, value);
}

const LENGTH_CHECKS = new Set(['min_length', 'max_length', 'length_equals']);

/** Whether zod's checks pass on a value, every one of them (whatever their `when`): no issue,
 * nothing asynchronous, nothing thrown. One payload serves every call (a check that validates in
 * turn gets its own). */
function passes(checks: readonly Schema[], value: unknown): boolean {
  const payload = spare ?? { value, issues: [] };
  spare = undefined;
  payload.value = value;
  payload.issues.length = 0;
  let ok = true;
  try {
    for (const check of checks) {
      const run = check._zod.check;
      if (!run || run(payload) instanceof Promise || payload.issues.length > 0) {
        ok = false;
        break;
      }
    }
  } catch {
    // A check zod would not have run (its `when` says no) may throw: zod will tell.
    ok = false;
  }
  payload.value = undefined;
  payload.issues.length = 0;
  spare = payload;
  return ok;
}

let spare: { value: unknown; issues: unknown[] } | undefined;

/** The test of a schema's own parse (before its checks), or undefined for a kind it leaves to
 * zod. */
function typeTest(schema: Schema, wild: Accept): Accept | undefined {
  const internals = schema._zod;
  const def = internals.def;
  switch (def.type) {
    case 'string':
      return (value) => typeof value === 'string';
    case 'number':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return (value) => typeof value === 'boolean';
    case 'null':
      return (value) => value === null;
    case 'unknown':
    case 'any':
      return () => true;
    case 'enum':
    case 'literal': {
      const values = internals.values;
      return values ? (value) => values.has(value) : undefined;
    }
    case 'optional': {
      // .optional() only: exactOptional refuses undefined, a default inside substitutes one.
      if (internals.traits.has('$ZodExactOptional') || !def.innerType) return undefined;
      if (def.innerType._zod.optin === 'defaulted') return undefined;
      const inner = acceptorOf(def.innerType, wild);
      return (value) => value === undefined || inner(value);
    }
    case 'nullable': {
      if (!def.innerType) return undefined;
      const inner = acceptorOf(def.innerType, wild);
      return (value) => value === null || inner(value);
    }
    case 'array': {
      if (!def.element) return undefined;
      const element = acceptorOf(def.element, wild);
      return (value) => {
        if (!Array.isArray(value)) return false;
        for (let index = 0; index < value.length; index++) if (!element(value[index])) return false;
        return true;
      };
    }
    case 'record':
      return recordTest(def, wild);
    case 'object':
      return objectTest(def, wild);
    case 'union': {
      if (def.discriminator !== undefined || def.inclusive === false || !def.options)
        return undefined;
      // Without `wild` inside: zod puts the issue of a union that no option accepts at the union,
      // not inside the value that made each option fail.
      const options = def.options.map((option) => acceptorOf(option, NO_WILD));
      return (value) => {
        for (const option of options) if (option(value)) return true;
        return false;
      };
    }
    default:
      return undefined;
  }
}

/** z.record with a key schema that is not a list of keys (z.string(), with checks or not). */
function recordTest(def: Internals['def'], wild: Accept): Accept | undefined {
  const { keyType, valueType } = def;
  if (!keyType || !valueType || keyType._zod.values || def.mode === 'loose') return undefined;
  // Keys are held to their schema without `wild`: stricter than needed, never wrong.
  const key = acceptorOf(keyType, NO_WILD);
  const item = acceptorOf(valueType, wild);
  return (value) => {
    if (!isPlainObject(value)) return false;
    for (const name of Reflect.ownKeys(value)) {
      if (name === '__proto__' || !Object.prototype.propertyIsEnumerable.call(value, name))
        continue;
      if (!key(name) || !item((value as Record<PropertyKey, unknown>)[name])) return false;
    }
    return true;
  };
}

/** z.object (unknown keys dropped), z.looseObject (kept) and z.strictObject (refused). */
function objectTest(def: Internals['def'], wild: Accept): Accept | undefined {
  const shape = def.shape;
  const rest = def.catchall?._zod.def.type;
  if (!shape || (rest !== undefined && rest !== 'never' && rest !== 'unknown')) return undefined;
  if (Object.getOwnPropertySymbols(shape).length > 0) return undefined;
  const keys = Object.keys(shape).filter((name) => name !== '__proto__');
  const known = new Set(Object.keys(shape));
  const fields = keys.map((name) => {
    const field = shape[name] as Schema;
    // An absent key is accepted only for .optional(): no default, no other kind of absence.
    const omittable = field._zod.optin === 'optional' && field._zod.optout === 'optional';
    return { name, omittable, accept: acceptorOf(field, wild) };
  });
  const strict = rest === 'never';
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const input = value as Record<string, unknown>;
    for (const field of fields) {
      const item = input[field.name];
      if (item === undefined && !(field.name in input)) {
        if (!field.omittable) return false;
      } else if (!field.accept(item)) return false;
    }
    if (strict) for (const name in input) if (!known.has(name)) return false;
    return true;
  };
}

/** zod's isPlainObject, for the objects it can be given here: a plain {} (JSON, YAML). */
function isPlainObject(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}
