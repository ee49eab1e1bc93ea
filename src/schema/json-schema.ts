import { z } from 'zod';
import type { LoadedAdapters } from '../adapters/registry.js';
import { runbookSchema } from './runbook.js';

type JsonObject = Record<string, unknown>;

/** The JSON Schema of the runbook file: the zod schema, plus each action's own `with:` schema
 * attached to steps by their `uses:` value (the actions of `adapters`: give them all). */
export function runbookJsonSchema(adapters: LoadedAdapters): JsonObject {
  const schema = z.toJSONSchema(runbookSchema(), {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonObject;
  const defs = (schema.$defs ?? {}) as Record<string, JsonObject>;
  const step = defs.Step;
  if (step) {
    const names = adapters.actionNames();
    const properties = step.properties as Record<string, JsonObject>;
    properties.uses = { ...properties.uses, enum: names };
    step.allOf = names.map((name) => {
      const action = adapters.action(name);
      const input = action ? actionInputSchema(action.input) : {};
      delete input.$schema;
      // Its outputs, described for editors (dry_run.outputs may also name the step's captures).
      const outputs = Object.fromEntries(
        Object.entries(action?.outputs ?? {}).map(([output, spec]) => [
          output,
          { description: `${spec.type}${spec.nullable ? ' or null' : ''}: ${spec.description}` },
        ]),
      );
      return {
        if: { properties: { uses: { const: name } }, required: ['uses'] },
        then: {
          properties: {
            with: allowTemplates(input),
            ...(Object.keys(outputs).length === 0
              ? {}
              : { dry_run: { properties: { outputs: { properties: outputs } } } }),
          },
        },
      };
    });
  }
  // A file may also be a catalog: a document holding only `runbooks:`, a list of runbooks
  // (docs/format.md#catalogs). Told apart as the loader does (src/schema/load.ts): `runbooks:`
  // and no `id:`; each entry is then checked as a runbook, so an editor points into the entry.
  defs.Catalog = {
    type: 'object',
    description: 'A catalog: several runbooks in one file, each addressable by its id',
    required: ['runbooks'],
    additionalProperties: false,
    properties: {
      runbooks: {
        type: 'array',
        description: 'The runbooks of this catalog, each with its own id',
        items: { $ref: '#/$defs/Runbook' },
      },
    },
  };
  const single = schema.$ref;
  delete schema.$ref;
  schema.if = { type: 'object', required: ['runbooks'], not: { required: ['id'] } };
  schema.then = { $ref: '#/$defs/Catalog' };
  schema.else = { $ref: single };
  schema.$id = 'https://runbook.dev/schema/runbook.schema.json';
  schema.title = 'runbook';
  return schema;
}

/** An action's `with:` schema; an adapter whose schema cannot be expressed (say, made with another
 * zod major) accepts any object rather than breaking `runbook schema`. */
function actionInputSchema(input: z.ZodType): JsonObject {
  try {
    return z.toJSONSchema(input, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }) as JsonObject;
  } catch {
    return { type: 'object' };
  }
}

/** Any value of an action input may be a `${{ }}` template, resolved at run time. */
function allowTemplates(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object') {
      const properties: JsonObject = {};
      for (const [name, inner] of Object.entries(value as JsonObject))
        properties[name] = templatable(allowTemplates(inner as JsonObject));
      out[key] = properties;
    } else out[key] = value;
  }
  return out;
}

function templatable(schema: JsonObject): JsonObject {
  const constrained = ['pattern', 'format', 'enum', 'const', 'allOf', 'anyOf', 'oneOf'].some(
    (key) => key in schema,
  );
  if (schema.type === 'string' && !constrained) return schema;
  return { anyOf: [schema, { type: 'string', pattern: '\\$\\{\\{' }] };
}
