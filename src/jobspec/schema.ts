/**
 * The JobSpec: one JSON file that says which clips to turn into which proxies.
 *
 * The zod schema here is the single source of truth: the TypeScript type, the JSON Schema
 * printed by `proxx schema` (each field's description, examples and deprecation are its
 * `.meta()`) and the field-level error messages all come from it. The codec and container
 * names come from the codec table (`src/ffmpeg/codecs.ts`). Rules that span fields
 * (codec/container matrix, proxy profiles, naming) live in `rules.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const spec = JobSpecSchema.parse({
 *   sources: ["clip_a.mov"], output_directory: "out", codec: "prores_proxy",
 *   container: ".MOV", resolution: "half", naming_template: "{source_name}_proxy",
 * });
 * assert.equal(spec.container, "mov");
 * assert.equal(JobSpecSchema.safeParse({ ...spec, colour: "red" }).success, false); // unknown field
 * ```
 */
import { z } from "zod";
import { Codec, CODECS, Container as ContainerName, CONTAINERS } from "../ffmpeg/codecs.ts";
import { TOKENS } from "./naming.ts";
import { BurnInList } from "../looks/burn-in.ts";
import { Watermark } from "../looks/watermark.ts";
import { BUILTIN_LUT_NAMES } from "../looks/builtin-luts.ts";

export { Codec, CODECS, CONTAINERS };
export const FPS_MODES = ["same-as-source", "explicit"] as const;

/** FFmpeg-engine proxy profiles of the original; each fixes codec, container, resolution and audio. */
export const PROXY_PROFILES = {
  proxy_h264_low: { codec: "h264", container: "mp4", resolution: "half", audio: "aac" },
  proxy_h264_quarter: { codec: "h264", container: "mp4", resolution: "quarter", audio: "aac" },
  proxy_prores_proxy: { codec: "prores_proxy", container: "mov", resolution: "same", audio: "copy" },
  proxy_prores_lt: { codec: "prores_lt", container: "mov", resolution: "same", audio: "copy" },
  proxy_dnxhr_lb: { codec: "dnxhr", container: "mxf", resolution: "same", audio: "pcm" },
} as const satisfies Record<
  string,
  { codec: Codec; container: ContainerName; resolution: NamedResolution; audio: string }
>;
export type ProxyProfileName = keyof typeof PROXY_PROFILES;

/** Containers are case-insensitive and tolerate a leading dot (".MOV"), as in the original. */
export const Container = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase().replace(/^\./, "") : v),
  ContainerName,
);
export type Container = ContainerName;

export const NAMED_RESOLUTIONS = ["same", "half", "quarter"] as const;
export type NamedResolution = (typeof NAMED_RESOLUTIONS)[number];

/** Parsed once, here: downstream code gets `"half"` or `{ width: 1280, height: 720 }`. */
export const Resolution = z
  .string()
  .regex(/^(same|half|quarter|[1-9]\d{0,4}x[1-9]\d{0,4})$/, {
    message: "must be 'same', 'half', 'quarter' or WIDTHxHEIGHT such as '1280x720'",
  })
  .transform((value): NamedResolution | { width: number; height: number } => {
    if ((NAMED_RESOLUTIONS as readonly string[]).includes(value)) return value as NamedResolution;
    const [width, height] = value.split("x").map(Number);
    return { width: width!, height: height! };
  });
export type Resolution = z.output<typeof Resolution>;

/** A resolution as the JobSpec writes it (the pattern allows no leading zeros, so this is exact). */
export function resolutionText(resolution: Resolution): string {
  return typeof resolution === "string" ? resolution : `${resolution.width}x${resolution.height}`;
}

/** Paths are strings without NUL bytes; empty strings are errors, not "current directory". */
const PathString = z
  .string()
  .min(1, { message: "must not be empty" })
  .refine((s) => !s.includes("\0"), { message: "must not contain a NUL byte" });

/**
 * A look (issue 16): a `.cube` file (a path, relative like `sources`) or a built-in camera
 * transform's name. Which one, and whether the file is a good LUT, is checked by rules.ts
 * and resolve.ts (src/looks/lut.ts).
 */
export const LutValue = PathString.meta({
  description:
    `A .cube LUT file (1D, 3D, or Resolve's 1D shaper + 3D cube; a relative path resolves against the folder of the JobSpec file), or a built-in camera transform to Rec.709: ${
      BUILTIN_LUT_NAMES.join(", ")
    }.`,
  examples: ["looks/show_lut.cube", "sony_slog3_sgamut3cine_to_rec709"],
});

/** A source clip: its path, or an object with the path and that clip's own look. */
export const SourceEntry = z.union([
  PathString,
  z.object({
    path: PathString.meta({ description: "The source clip, as in the plain form." }),
    lut: LutValue.nullable().optional().meta({
      description: "This clip's LUT, overriding lut_rules and the job's lut; null: no LUT for this clip.",
    }),
  }).strict(),
]);
export type SourceEntry = z.output<typeof SourceEntry>;

/** The path of a source entry, either form. */
export function sourcePath(entry: SourceEntry): string {
  return typeof entry === "string" ? entry : entry.path;
}

/** What a lut_rules entry matches on: the clip's probed facts and its file name (all given must hold). */
export const LutMatch = z.object({
  color_transfer: z.string().min(1).optional().meta({
    description:
      'The source\'s color_transfer as ffprobe names it ("arib-std-b67", "smpte2084", "bt709"); ignoring case.',
  }),
  camera_make: z.string().min(1).optional().meta({
    description:
      'The camera maker from the file\'s tags (QuickTime make, MXF company_name...), ignoring case; * and ? are wildcards ("Sony", "ARRI*").',
  }),
  camera_model: z.string().min(1).optional().meta({
    description:
      'The camera model from the file\'s tags (QuickTime model, MXF product_name...), ignoring case; * and ? are wildcards ("ILME-FX6*").',
  }),
  reel_prefix: z.string().min(1).optional().meta({
    description: 'The start of the source\'s reel name (its reel_name tag), ignoring case ("A0" matches A001).',
  }),
  file_name: z.string().min(1).optional().meta({
    description: 'A glob over the source\'s file name (not its folders), ignoring case ("A*_C*.MXF", "*.{mov,mp4}").',
  }),
}).strict().refine((m) => Object.values(m).some((v) => v !== undefined), {
  message: "must give at least one of color_transfer, camera_make, camera_model, reel_prefix, file_name",
});
export type LutMatch = z.output<typeof LutMatch>;

export const LutRule = z.object({
  match: LutMatch,
  lut: LutValue.nullable().meta({ description: "The LUT for clips this rule matches; null: no LUT for them." }),
}).strict();
export type LutRule = z.output<typeof LutRule>;

/**
 * JobSpec fields that reach the FFmpeg argv as written: no profile sets them and no rule
 * spans them, so the checked settings, the resolved job and the executor carry them
 * without naming them, and args.ts reads them from its plan. A new encoder option is declared
 * here, with its `.meta()`, and used in args.ts. The look's text parts (src/looks/) are here;
 * the watermark image's path is made absolute and checked by resolve.ts.
 */
const ENCODER_OPTIONS = {
  burn_in: BurnInList.optional().meta({
    description:
      "Text burnt into every frame of the proxy, drawn with the bundled DejaVu Sans Mono (the same on every machine): a list of { text, position, size, box }.",
    examples: [[{ text: "{timecode}", position: "bottom-right" }, { text: "{source_name}", position: "bottom-left" }]],
  }),
  watermark: Watermark.nullable().optional().meta({
    description:
      'A watermark under the burn-ins: { "text": "CONFIDENTIAL" } or { "image": "logo.png" }, with opacity (0-1), position and size.',
  }),
} satisfies z.ZodRawShape;
export type EncoderOptions = { [K in keyof typeof ENCODER_OPTIONS]?: z.output<(typeof ENCODER_OPTIONS)[K]> };

export function encoderOptionsOf(spec: JobSpec): EncoderOptions {
  return Object.fromEntries(Object.keys(ENCODER_OPTIONS).map((k) => [k, spec[k as keyof JobSpec]]));
}

/** For the fields proxx keeps only for compatibility: editors strike them out. */
const compatibility = (description: string) => ({ description, deprecated: true });

export const JobSpecSchema = z
  .object({
    jobspec_version: z.literal("2.1", { message: 'must be the string "2.1" (or left out)' }).optional()
      .meta({ description: 'JobSpec format version: "2.1" (may be left out).' }),
    job_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
        message: "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
      })
      .optional()
      .meta({
        description:
          "Names the job in logs, results and the {job_id} token. Left out: the first 8 hex digits of the file's SHA-256.",
      }),
    sources: z.array(SourceEntry).min(1, { message: "must list at least one source clip" }).meta({
      description:
        'Source clips, in the order they are processed. Relative paths resolve against the folder of the JobSpec file. Each is a path, or {"path": "A001.mov", "lut": "…"} to give that clip its own LUT.',
    }),
    output_directory: PathString.meta({
      description:
        "Folder the proxies are written to. A relative path resolves against the folder of the JobSpec file. Without a token it must exist. With {source_dir} (the source's own folder, first) or {source_rel_dir} (the source's folder relative to source_root), each clip gets its own folder, which proxx creates below the folder that exists (the source's folder, or the part before {source_rel_dir}) and never outside it: no '..' after the token, no symbolic link leading out.",
      examples: ["proxies", "{source_dir}/Proxy", "/mnt/proxies/{source_rel_dir}"],
    }),
    source_root: PathString.optional().meta({
      description:
        "For {source_rel_dir} in output_directory: the folder source paths are taken relative to; every source must be inside it. Left out: the deepest folder that contains every source. A relative path resolves against the folder of the JobSpec file.",
      examples: ["/Volumes/CARD_01"],
    }),
    codec: Codec.optional().meta({ description: "Proxy codec. Required unless proxy_profile sets it." }),
    container: Container.optional().meta({
      description:
        "Proxy container (case-insensitive, a leading dot is ignored). Required unless proxy_profile sets it; must be able to carry the codec.",
    }),
    resolution: Resolution.optional().meta({
      description: "Proxy frame size: same, half, quarter or WIDTHxHEIGHT. Required unless proxy_profile sets it.",
    }),
    naming_template: z.string().min(1, { message: "must not be empty" }).meta({
      description: `Proxy file name without extension. Tokens: ${
        TOKENS.map((t) => `{${t}}`).join(" ")
      }. With several sources it must contain {index} or {source_name}.`,
    }),
    fps_mode: z.enum(FPS_MODES).default("same-as-source").meta({
      description: "same-as-source keeps the source frame rate; explicit uses fps_explicit.",
    }),
    fps_explicit: z.number().positive().max(1000).nullable().optional().meta({
      description:
        "Output frame rate when fps_mode is explicit. The NTSC rates written as decimals (23.976, 29.97, 59.94, 119.88) mean exactly 24000/1001, 30000/1001, 60000/1001, 120000/1001.",
    }),
    created_at: z
      .string()
      .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
        message: "must be an ISO-8601 date-time such as 2025-12-28T12:00:00Z",
      })
      .nullable()
      .optional()
      .meta({ description: "When the JobSpec was made, ISO-8601 (2025-12-28T12:00:00Z). Informational." }),
    resolved_tokens: z.record(z.string(), z.string()).nullable().optional().meta(
      compatibility("Reserved by the original format and never filled; ignored."),
    ),
    proxy_profile: z.string().nullable().optional().meta({
      description: `A named FFmpeg profile that sets codec, container and resolution: ${
        Object.keys(PROXY_PROFILES).join(", ")
      }.`,
      // Editors offer them as completions; a plain string so a Resolve name gets proxx's own message.
      examples: Object.keys(PROXY_PROFILES),
    }),
    resolve_preset: z.string().nullable().optional().meta(
      compatibility("DaVinci Resolve only; proxx refuses a JobSpec that sets it. Leave out or null."),
    ),
    requires_resolve_edition: z.string().nullable().optional().meta(
      compatibility("DaVinci Resolve only; proxx refuses a JobSpec that sets it. Leave out or null."),
    ),
    lut: LutValue.nullable().optional().meta({
      description:
        `The look applied to every clip (after scaling, before the proxy is encoded; the proxy is then Rec.709): a .cube file (1D, 3D, or Resolve's shaper + cube), relative to the JobSpec's folder, or a built-in camera transform: ${
          BUILTIN_LUT_NAMES.join(", ")
        }. A source's own lut and lut_rules come first. null or left out: no LUT.`,
      examples: ["looks/show_lut.cube", "arri_logc3_awg_to_rec709"],
    }),
    lut_id: LutValue.nullable().optional().meta({
      description:
        "The original format's name for lut, with the same meaning; give one of the two (or the same value in both).",
    }),
    lut_engine: z.string().nullable().optional().meta({
      description: 'What applies the LUT: "ffmpeg" (its lut3d/lut1d filters) or null; anything else is refused.',
      examples: ["ffmpeg"],
    }),
    lut_applied: z.boolean().nullable().optional().meta({
      description:
        "false: check the LUTs but make the proxies without them (each clip's result says lut_applied false); true: a LUT must be given (lut, lut_id, a source's lut or lut_rules); null or left out: apply the LUT wherever one is given.",
    }),
    lut_rules: z.array(LutRule).optional().meta({
      description:
        "Per-clip LUTs from the clip's own facts, for a card of mixed cameras: the first rule whose match holds (every condition it gives) picks the LUT; a source's own lut comes first, the job's lut applies when no rule matches.",
      examples: [[{ match: { camera_make: "Sony", color_transfer: "arib-std-b67" }, lut: null }, {
        match: { file_name: "A*.mxf" },
        lut: "arri_logc3_awg_to_rec709",
      }]],
    }),
    execution_requested: z.boolean().nullable().optional().meta(
      compatibility("Ignored: `proxx run` always executes, `proxx validate` never does."),
    ),
    $schema: z.string().optional().meta({
      description: "Where editors find this schema (a path or URL); ignored by proxx.",
    }),
    ...ENCODER_OPTIONS,
  })
  .strict();

export type JobSpec = z.infer<typeof JobSpecSchema>;

export const KNOWN_FIELDS: readonly string[] = Object.keys(JobSpecSchema.shape).sort();
