/**
 * Rules that span JobSpec fields: proxy profiles, the codec/container matrix (from the codec
 * table, `src/ffmpeg/codecs.ts`), frame rate, the features that need DaVinci Resolve, the
 * naming template, and the placement tokens of output_directory with source_root
 * (placement.ts). Each finding carries the field it is about, so an operator can fix the
 * file in one go.
 */
import type { ValidationIssue } from "../engine/result.ts";
import { carriesTimecode, codecFacts } from "../ffmpeg/codecs.ts";
import { exactFrameRate } from "../ffmpeg/syntax.ts";
import type { Codec, Container, JobSpec, Resolution } from "./schema.ts";
import {
  type EncoderOptions,
  encoderOptionsOf,
  PROXY_PROFILES,
  type ProxyProfileName,
  resolutionText,
} from "./schema.ts";
import { templateProblems } from "./naming.ts";
import { parsePlacement, placementProblems } from "./placement.ts";
import { didYouMean } from "./suggest.ts";
import { sourcePath } from "./schema.ts";
import { lutFieldProblems } from "../looks/lut.ts";

/** Camera RAW needs the vendor SDKs inside DaVinci Resolve; FFmpeg cannot decode it. */
export const CAMERA_RAW_EXTENSIONS = ["r3d", "braw", "ari", "arx", "crm", "nev", "dng"];
const IMAGE_EXTENSIONS = ["dpx", "exr", "tif", "tiff", "png", "jpg", "jpeg", "tga", "cin"];

/** What the job encodes with: the profile applied, fps decided, and the encoder options as written. */
export interface EffectiveSettings extends EncoderOptions {
  codec: Codec;
  container: Container;
  resolution: Resolution;
  fps: number | null;
}

export interface RuleOptions {
  /**
   * Some fields already failed the schema and were left out (the loader still checks the
   * rest). Then a missing codec, container or resolution is not reported: it may only be
   * missing because proxy_profile was one of the failed fields.
   */
  schemaFailed?: boolean;
}

/** Apply the profile, check every cross-field rule; settings are null when anything failed. */
export function checkRules(
  spec: JobSpec,
  options: RuleOptions = {},
): { issues: ValidationIssue[]; settings: EffectiveSettings | null } {
  const issues: ValidationIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  let { codec, container, resolution } = spec;

  if (spec.proxy_profile != null) {
    const name = spec.proxy_profile;
    if (name.endsWith("_resolve")) {
      add(
        "proxy_profile",
        `'${name}' needs DaVinci Resolve, which proxx does not drive; use an FFmpeg profile: ${
          Object.keys(PROXY_PROFILES).join(", ")
        }`,
      );
    } else if (!(name in PROXY_PROFILES)) {
      add(
        "proxy_profile",
        `'${name}' is not a known profile; known: ${Object.keys(PROXY_PROFILES).join(", ")}${
          didYouMean(name, Object.keys(PROXY_PROFILES))
        }`,
      );
    } else {
      const profile = PROXY_PROFILES[name as ProxyProfileName];
      for (const field of ["codec", "container", "resolution"] as const) {
        const value = spec[field];
        const given = field === "resolution" && value != null ? resolutionText(value as Resolution) : value;
        if (given != null && given !== profile[field]) {
          add(
            field,
            `'${given}' contradicts proxy_profile '${name}', which sets ${field} '${
              profile[field]
            }'; remove one of them`,
          );
        }
      }
      codec ??= profile.codec;
      container ??= profile.container;
      resolution ??= profile.resolution;
    }
  } else if (!options.schemaFailed) {
    if (codec == null) add("codec", "is required (or set proxy_profile)");
    if (container == null) add("container", "is required (or set proxy_profile)");
    if (resolution == null) add("resolution", "is required (or set proxy_profile)");
  }

  const facts = codec && codecFacts(codec);
  if (facts && container && !facts.containers.includes(container)) {
    const hint = facts.containerHint ? ` ${facts.containerHint}` : "";
    add("container", `'${container}' cannot carry ${codec}; use one of: ${facts.containers.join(", ")}.${hint}`);
  }

  if (spec.resolve_preset != null) {
    add("resolve_preset", "needs DaVinci Resolve, which proxx does not drive; remove it");
  }
  if (spec.requires_resolve_edition != null) {
    add("requires_resolve_edition", "needs DaVinci Resolve, which proxx does not drive; remove it or set null");
  }
  // lut, lut_id, lut_engine, lut_applied, lut_rules and each source's lut (src/looks/lut.ts).
  issues.push(...lutFieldProblems(spec));

  let fps: number | null = null;
  if (spec.fps_mode === "explicit") {
    if (spec.fps_explicit == null) add("fps_explicit", "is required when fps_mode is 'explicit'");
    // 29.97 means 30000/1001 (syntax.ts): written as given, FFmpeg would make it 2997/100.
    else fps = exactFrameRate(spec.fps_explicit);
    if (fps != null && fps > 255 && container && carriesTimecode(container)) {
      add("fps_explicit", `${spec.fps_explicit} fps is above 255, which ${container} cannot carry with timecode`);
    }
  } else if (spec.fps_explicit != null) {
    add("fps_explicit", "is only used with fps_mode 'explicit'; remove it or set fps_mode to 'explicit'");
  }

  spec.sources.map(sourcePath).forEach((source, i) => {
    const ext = source.split(".").pop()?.toLowerCase() ?? "";
    if (source.includes(".") && CAMERA_RAW_EXTENSIONS.includes(ext)) {
      add(`sources[${i}]`, `.${ext} is camera RAW and needs DaVinci Resolve, which proxx does not drive`);
    } else if (/%0?\d*d|#{2,}/.test(source) || (source.includes(".") && IMAGE_EXTENSIONS.includes(ext))) {
      add(`sources[${i}]`, "image sequences are not supported; give a movie file");
    }
  });

  for (const problem of templateProblems(spec.naming_template, spec.sources.length)) add("naming_template", problem);

  // The lenient re-check of a file whose output_directory failed the schema has none.
  if (typeof spec.output_directory === "string") {
    for (const problem of placementProblems(spec.output_directory)) add("output_directory", problem);
    if (spec.source_root != null && parsePlacement(spec.output_directory)?.token !== "source_rel_dir") {
      add("source_root", "is only used by {source_rel_dir} in output_directory; remove it or use that token");
    }
  }

  const ok = issues.length === 0 && codec && container && resolution;
  return {
    issues,
    settings: ok
      ? { codec: codec!, container: container!, resolution: resolution!, fps, ...encoderOptionsOf(spec) }
      : null,
  };
}
