/**
 * The JobSpec: one JSON file that says which clips to turn into which proxies.
 *
 * The zod schema here is the single source of truth: the TypeScript type, the JSON Schema
 * printed by `proxx schema` and the field-level error messages all come from it. Rules that
 * span fields (codec/container matrix, proxy profiles, naming) live in `rules.ts`.
 *
 * @example
 * ```json
 * { "sources": ["clip_a.mov"], "output_directory": "out", "codec": "prores_proxy",
 *   "container": "mov", "resolution": "half", "naming_template": "{source_name}_proxy" }
 * ```
 */
import { z } from "zod";

export const CODECS = [
  "prores_proxy",
  "prores_lt",
  "prores_standard",
  "prores_hq",
  "prores_4444",
  "h264",
  "h265",
  "hevc",
  "dnxhd",
  "dnxhr",
  "vp9",
  "av1",
] as const;
export const CONTAINERS = ["mov", "mp4", "mkv", "webm", "mxf"] as const;
export const FPS_MODES = ["same-as-source", "explicit"] as const;

/** FFmpeg-engine proxy profiles of the original; each fixes codec, container, resolution and audio. */
export const PROXY_PROFILES = {
  proxy_h264_low: { codec: "h264", container: "mp4", resolution: "half", audio: "aac" },
  proxy_h264_quarter: { codec: "h264", container: "mp4", resolution: "quarter", audio: "aac" },
  proxy_prores_proxy: { codec: "prores_proxy", container: "mov", resolution: "same", audio: "copy" },
  proxy_prores_lt: { codec: "prores_lt", container: "mov", resolution: "same", audio: "copy" },
  proxy_dnxhr_lb: { codec: "dnxhr", container: "mxf", resolution: "same", audio: "pcm" },
} as const;
export type ProxyProfileName = keyof typeof PROXY_PROFILES;

export const Codec = z.enum(CODECS);
export type Codec = z.infer<typeof Codec>;

/** Containers are case-insensitive and tolerate a leading dot (".MOV"), as in the original. */
export const Container = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase().replace(/^\./, "") : v),
  z.enum(CONTAINERS),
);
export type Container = (typeof CONTAINERS)[number];

export const Resolution = z
  .string()
  .regex(/^(same|half|quarter|[1-9]\d{0,4}x[1-9]\d{0,4})$/, {
    message: "must be 'same', 'half', 'quarter' or WIDTHxHEIGHT such as '1280x720'",
  });

/** Paths are strings without NUL bytes; empty strings are errors, not "current directory". */
const PathString = z
  .string()
  .min(1, { message: "must not be empty" })
  .refine((s) => !s.includes("\0"), { message: "must not contain a NUL byte" });

export const JobSpecSchema = z
  .object({
    jobspec_version: z.literal("2.1", { message: 'must be the string "2.1" (or left out)' }).optional(),
    job_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
        message: "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
      })
      .optional(),
    sources: z.array(PathString).min(1, { message: "must list at least one source clip" }),
    output_directory: PathString,
    codec: Codec.optional(),
    container: Container.optional(),
    resolution: Resolution.optional(),
    naming_template: z.string().min(1, { message: "must not be empty" }),
    fps_mode: z.enum(FPS_MODES).default("same-as-source"),
    fps_explicit: z.number().positive().max(1000).nullable().optional(),
    created_at: z
      .string()
      .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
        message: "must be an ISO-8601 date-time such as 2025-12-28T12:00:00Z",
      })
      .nullable()
      .optional(),
    /** Documented no-op: the original reserved it and never filled it. */
    resolved_tokens: z.record(z.string(), z.string()).nullable().optional(),
    proxy_profile: z.string().nullable().optional(),
    resolve_preset: z.string().nullable().optional(),
    requires_resolve_edition: z.string().nullable().optional(),
    lut_id: z.string().nullable().optional(),
    lut_applied: z.boolean().nullable().optional(),
    lut_engine: z.string().nullable().optional(),
    /** Documented no-op: `proxx run` always executes and `proxx validate` never does. */
    execution_requested: z.boolean().nullable().optional(),
    /** Lets editors find the JSON Schema; ignored by proxx. */
    $schema: z.string().optional(),
  })
  .strict();

export type JobSpec = z.infer<typeof JobSpecSchema>;

export const KNOWN_FIELDS: readonly string[] = Object.keys(JobSpecSchema.shape).sort();
export const REQUIRED_FIELDS = ["naming_template", "output_directory", "sources"] as const;
