/**
 * The JobSpec JSON Schema, generated from the zod schema (`schema.ts`) with
 * `z.toJSONSchema`: types, enums, patterns, required fields, `additionalProperties: false`
 * and each field's description, examples and deprecation (its `.meta()`) all come from zod,
 * so the schema cannot drift from what `proxx validate` accepts. The one addition here:
 * `container` also accepts the case/dot variants the loader tolerates (".MOV"), which a
 * zod preprocess step cannot express in JSON Schema.
 *
 * Cross-field rules (codec/container matrix, naming tokens, paths) are not in the schema:
 * `proxx validate` checks them.
 *
 * `proxx schema` prints it; a copy lives in docs/jobspec.schema.json (a test keeps it
 * current).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const schema = JSON.parse(jobSpecJsonSchemaText());
 * assert.equal(schema.title, SCHEMA_TITLE);
 * assert.equal(schema.additionalProperties, false);
 * assert.ok(schema.properties.codec.enum.includes("prores_proxy"));
 * ```
 */
import { z } from "zod";
import { Container, CONTAINERS, JobSpecSchema } from "./schema.ts";

type Json = Record<string, unknown>;

export const SCHEMA_TITLE = "proxx JobSpec 2.1";

/** `mov` → `[Mm][Oo][Vv]`: JSON Schema patterns have no case-insensitive flag. */
function caseInsensitive(word: string): string {
  return [...word].map((c) => (/[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : c)).join("");
}

export function jobSpecJsonSchema(): Json {
  const generated = z.toJSONSchema(JobSpecSchema, {
    // What a person writes (defaults are optional, resolution is a string), not what the loader returns.
    io: "input",
    target: "draft-2020-12",
    override(ctx) {
      if (ctx.zodSchema !== Container) return;
      // The loader lowercases, trims and drops a leading dot: ".MOV" is valid, so the schema must say so.
      const strict = { ...ctx.jsonSchema };
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Json)[key];
      Object.assign(ctx.jsonSchema, {
        anyOf: [
          strict,
          { type: "string", pattern: `^\\s*\\.?(${CONTAINERS.map(caseInsensitive).join("|")})\\s*$` },
        ],
      });
    },
  }) as Json;

  const properties = generated.properties as Record<string, Json>;
  for (const [name, property] of Object.entries(properties)) properties[name] = readingOrder(property);
  // Key order: the meta keys first, then what zod produced.
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: SCHEMA_TITLE,
    description:
      "A proxx JobSpec: which source clips to turn into which proxies. Cross-field rules (codec/container, naming, paths) are checked by `proxx validate`.",
    ...rest,
  };
}

/**
 * A property's keys with its description first and `deprecated`/`examples` last: zod writes
 * `.meta()` keys before or after the type depending on the wrapper (optional, default), and
 * the printed schema reads best, and stays byte-stable, in one order.
 */
function readingOrder(property: Json): Json {
  const { description, deprecated, examples, ...rest } = property;
  return {
    description,
    ...rest,
    ...(deprecated === undefined ? {} : { deprecated }),
    ...(examples === undefined ? {} : { examples }),
  };
}

/** The schema as `proxx schema` prints it and docs/jobspec.schema.json stores it. */
export function jobSpecJsonSchemaText(): string {
  return `${JSON.stringify(jobSpecJsonSchema(), null, 2)}\n`;
}
