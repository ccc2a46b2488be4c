/**
 * The JobSpec JSON Schema, generated from the zod schema (`schema.ts`) with
 * `z.toJSONSchema`: types, enums, patterns, required fields and `additionalProperties:
 * false` all come from zod, so the schema cannot drift from what `proxx validate` accepts.
 * Added here on top, never replacing zod's output:
 * - a description per field (a test checks every field has one),
 * - `container`: also accepts the case/dot variants the loader tolerates (".MOV"),
 * - `proxy_profile`: the profile names as `examples` (editors offer them as completions),
 * - `deprecated` on fields proxx keeps only for compatibility (editors strike them out).
 *
 * Cross-field rules (codec/container matrix, naming tokens, paths) are not in the schema:
 * `proxx validate` checks them.
 *
 * `proxx schema` prints it; a copy lives in docs/jobspec.schema.json (a test keeps it
 * current).
 *
 * @example
 * ```ts
 * platform.writeStdout(jobSpecJsonSchemaText());
 * ```
 */
import { z } from "zod";
import { Container, CONTAINERS, JobSpecSchema, PROXY_PROFILES } from "./schema.ts";
import { TOKENS } from "./naming.ts";

type Json = Record<string, unknown>;

export const SCHEMA_TITLE = "proxx JobSpec 2.1";

/** One line per field, shown by editors on hover. */
export const FIELD_DESCRIPTIONS: Record<string, string> = {
  $schema: "Where editors find this schema (a path or URL); ignored by proxx.",
  jobspec_version: 'JobSpec format version: "2.1" (may be left out).',
  job_id:
    "Names the job in logs, results and the {job_id} token. Left out: the first 8 hex digits of the file's SHA-256.",
  sources:
    "Source clips, in the order they are processed. Relative paths resolve against the folder of the JobSpec file.",
  output_directory:
    "Folder the proxies are written to; must exist. A relative path resolves against the folder of the JobSpec file.",
  codec: "Proxy codec. Required unless proxy_profile sets it.",
  container:
    "Proxy container (case-insensitive, a leading dot is ignored). Required unless proxy_profile sets it; must be able to carry the codec.",
  resolution: "Proxy frame size: same, half, quarter or WIDTHxHEIGHT. Required unless proxy_profile sets it.",
  naming_template: `Proxy file name without extension. Tokens: ${
    TOKENS.map((t) => `{${t}}`).join(" ")
  }. With several sources it must contain {index} or {source_name}.`,
  fps_mode: "same-as-source keeps the source frame rate; explicit uses fps_explicit.",
  fps_explicit: "Output frame rate when fps_mode is explicit.",
  created_at: "When the JobSpec was made, ISO-8601 (2025-12-28T12:00:00Z). Informational.",
  resolved_tokens: "Reserved by the original format and never filled; ignored.",
  proxy_profile: `A named FFmpeg profile that sets codec, container and resolution: ${
    Object.keys(PROXY_PROFILES).join(", ")
  }.`,
  resolve_preset: "DaVinci Resolve only; proxx refuses a JobSpec that sets it. Leave out or null.",
  requires_resolve_edition: "DaVinci Resolve only; proxx refuses a JobSpec that sets it. Leave out or null.",
  lut_id: "LUTs are not supported yet; proxx refuses a JobSpec that sets it. Leave out or null.",
  lut_applied: "LUTs are not supported yet; only false or null are accepted.",
  lut_engine: "LUTs are not supported yet; proxx refuses a JobSpec that sets it. Leave out or null.",
  execution_requested: "Ignored: `proxx run` always executes, `proxx validate` never does.",
};

const DEPRECATED = new Set([
  "resolved_tokens",
  "resolve_preset",
  "requires_resolve_edition",
  "lut_id",
  "lut_applied",
  "lut_engine",
  "execution_requested",
]);

/** `mov` → `[Mm][Oo][Vv]`: JSON Schema patterns have no case-insensitive flag. */
function caseInsensitive(word: string): string {
  return [...word].map((c) => (/[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : c)).join("");
}

export function jobSpecJsonSchema(): Json {
  const generated = z.toJSONSchema(JobSpecSchema, {
    // What a person writes (defaults are optional), not what the loader returns.
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
  for (const [name, property] of Object.entries(properties)) {
    const description = FIELD_DESCRIPTIONS[name];
    if (description === undefined) throw new Error(`json-schema.ts: no description for JobSpec field '${name}'`);
    properties[name] = { description, ...property, ...(DEPRECATED.has(name) ? { deprecated: true } : {}) };
  }
  properties.proxy_profile = { ...properties.proxy_profile, examples: Object.keys(PROXY_PROFILES) };

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

/** The schema as `proxx schema` prints it and docs/jobspec.schema.json stores it. */
export function jobSpecJsonSchemaText(): string {
  return `${JSON.stringify(jobSpecJsonSchema(), null, 2)}\n`;
}
