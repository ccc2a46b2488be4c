/**
 * Result formats: one clip, one job. The seed's fields plus what the original added and
 * what operators need to debug without re-running (stderr tail, probe facts).
 *
 * The zod schemas are the single source of truth: types come from `z.infer`, and tests
 * and `proxx schema --result` can check a file against them.
 */
import { z } from "zod";
import { PICTURE_FACTS } from "../ffmpeg/picture-facts.ts";

export const FinalStatus = z.enum(["COMPLETED", "FAILED", "PARTIAL", "SKIPPED", "INTERRUPTED"]);
export type FinalStatus = z.infer<typeof FinalStatus>;

export const ClipStatus = z.enum(["COMPLETED", "FAILED"]);

/**
 * The step of a clip that failed, so a script can tell a refused source from an FFmpeg
 * crash from a proxy that did not match, without parsing `failure_reason`.
 */
export const FailureStage = z.enum(["validate", "probe", "encode", "verify", "finalize"]).nullable().meta({
  description: "Which step failed, null when COMPLETED: " +
    "validate (the job cannot run here: FFmpeg or ffprobe missing, or the clip's LUT unreadable or invalid when it ran), " +
    "probe (the source could not be read, or the proxy asked for cannot be made from it: refused before FFmpeg ran), " +
    "encode (FFmpeg failed, timed out or was killed, or its temp file could not be prepared), " +
    "verify (FFmpeg finished but ffprobe shows the proxy does not match its source or the JobSpec), " +
    "finalize (the verified proxy could not be moved into place).",
});
export type FailureStage = z.infer<typeof FailureStage>;

/** One finding of validation, addressed by its field path (`sources[2]`). */
export const ValidationIssue = z.object({
  path: z.string(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** Facts ffprobe reported about a file, kept in the result so a relink problem can be seen. */
export const MediaFacts = z.object({
  format_name: z.string().nullable(),
  duration_seconds: z.number().nullable().meta({
    description:
      "Length of the media, first sample to last (a start offset, such as a first frame at 10 s, not counted).",
  }),
  video: z
    .object({
      codec_name: z.string().nullable(),
      profile: z.string().nullable(),
      width: z.number(),
      height: z.number(),
      // null in a source_probe when learning it would have meant decoding a picture (probeSource).
      pix_fmt: z.string().nullable(),
      frame_rate: z.string().nullable(),
      nb_frames: z.number().nullable().meta({
        description: "Frames shown: the header's count (MOV/MP4), or the packets counted the whole file " +
          "through (Matroska, WebM, MPEG-TS; a MOV/MP4 whose edit list trims frames); null: not known.",
      }),
      sample_aspect_ratio: z.string().nullable().optional().meta({
        description: 'Pixel aspect as ffprobe reports it ("4:3"); null or absent: square.',
      }),
      rotation: z.number().optional().meta({
        description: "Display rotation in degrees, 0, 90, 180 or 270 (the display matrix of a phone clip); absent: 0.",
      }),
      ...PICTURE_FACTS,
      // Timing (issue 13): optional so results written before it still parse.
      start_seconds: z.number().nullable().optional().meta({
        description: "When the first frame is shown, seconds after the file's start (its earliest stream).",
      }),
      duration_seconds: z.number().nullable().optional(),
      variable_frame_rate: z.boolean().optional().meta({
        description: "The frames are not evenly spaced (a phone's variable rate, timing jitter): " +
          "the headers' average rate differs from the base rate, or the frame times differ in spacing " +
          "(the first packets; the whole file through in Matroska, WebM and MPEG-TS).",
      }),
    })
    .nullable(),
  audio: z.array(
    z.object({
      codec_name: z.string().nullable(),
      channels: z.number(),
      sample_rate: z.number(),
      start_seconds: z.number().nullable().optional().meta({
        description: "When the stream's first sample plays, seconds after the file's start.",
      }),
      duration_seconds: z.number().nullable().optional(),
      channel_layout: z.string().nullable().optional().meta({
        description: "The stream's channel layout as ffprobe names it (5.1(side)); null when the file records none " +
          "(MXF never does); absent in results written before proxx read it.",
      }),
    }),
  ),
  timecode: z.string().nullable(),
  reel_name: z.string().nullable(),
  camera_make: z.string().nullable().optional().meta({
    description:
      "The camera maker from the file's tags (QuickTime make, MXF company_name...), for lut_rules; absent in results written before proxx read it.",
  }),
  camera_model: z.string().nullable().optional().meta({
    description: "The camera model from the file's tags (QuickTime model, MXF product_name...), for lut_rules.",
  }),
});
export type MediaFacts = z.infer<typeof MediaFacts>;

/** Where the proxy's timecode came from, so a forced one is never taken for the source's (audio-layouts.ts). */
export const TimecodeOrigin = z.enum(["source", "container_default", "none"]).nullable().meta({
  description:
    "Where the proxy's timecode came from, null when no proxy was probed (the clip failed before verification): " +
    "source (the source's timecode, at the output rate when fps_explicit changed it), " +
    "container_default (the source has none, but the container always writes one: MXF writes 00:00:00:00; " +
    "it is not the source's), none (the proxy carries no timecode).",
});

export const ReelOrigin = z.enum(["source", "not_carried", "changed", "none"]).nullable().meta({
  description: "What became of the source's reel name, null when no proxy was probed: " +
    "source (the proxy carries the source's reel name), not_carried (the source has one, the proxy does not: " +
    "MP4, MXF, Matroska and WebM proxies carry no reel name, and MOV keeps it only on a timecode track, " +
    "so a source with a reel name but no timecode loses it), changed (the proxy's differs: verification fails it), " +
    "none (the source has no reel name).",
});

/** Per audio stream, what became of the source's channel layout. */
export const ChannelLayouts = z.array(z.enum(["kept", "not_carried", "source_unlabelled", "changed"])).nullable()
  .meta({
    description: "One entry per proxy audio stream, null when no proxy was probed: " +
      "kept (the proxy records the source's layout), " +
      "not_carried (the container records only the channel count: MXF always, AAC in mp4/mkv beyond its " +
      "channel configurations, such as 5.1(side)), " +
      "source_unlabelled (the source records no layout either), " +
      "changed (a different layout: verification fails such a proxy).",
  });

export const ClipResult = z.object({
  source_path: z.string(),
  resolved_output_path: z.string(),
  status: ClipStatus,
  exit_code: z.number().nullable(),
  output_exists: z.boolean(),
  output_size_bytes: z.number(),
  ffmpeg_command: z.array(z.string()),
  failure_reason: z.string().nullable(),
  failure_stage: FailureStage,
  timecode_origin: TimecodeOrigin,
  reel_origin: ReelOrigin.optional(),
  channel_layouts: ChannelLayouts,
  lut_applied: z.boolean().optional().meta({
    description:
      "Whether a LUT was applied to this clip's proxy (issue 16); false without one, or with lut_applied false in the JobSpec. Absent in results written before LUTs.",
  }),
  lut: z.string().nullable().optional().meta({
    description: "The LUT chosen for the clip as the JobSpec names it (a .cube path or a built-in's name); null: none.",
  }),
  lut_sha256: z.string().nullable().optional().meta({
    description:
      "SHA-256 of the LUT file's bytes (for a built-in, of the file shipped with proxx), as read for this clip; null: no LUT.",
  }),
  stderr_tail: z.array(z.string()),
  source_probe: MediaFacts.nullable(),
  output_probe: MediaFacts.nullable(),
  started_at: z.string(),
  completed_at: z.string(),
  duration_seconds: z.number(),
});
export type ClipResult = z.infer<typeof ClipResult>;

export const JobResult = z.object({
  job_id: z.string(),
  final_status: FinalStatus,
  clips: z.array(ClipResult),
  total_clips: z.number(),
  completed_clips: z.number(),
  failed_clips: z.number(),
  failure_reason: z.string().nullable(),
  validation_error: z
    .object({ message: z.string(), errors: z.array(ValidationIssue) })
    .nullable(),
  started_at: z.string(),
  completed_at: z.string(),
  duration_seconds: z.number(),
  _metadata: z.object({
    jobspec_path: z.string().nullable(),
    result_written_at: z.string().nullable(),
    trace_path: z.null(),
    proxx_version: z.string(),
  }),
});
export type JobResult = z.infer<typeof JobResult>;

/** ISO-8601 UTC with offset and microseconds, as the original wrote them: 2025-12-28T12:00:05.123000+00:00 */
export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/** Seconds rounded to milliseconds, so results stay readable and stable. */
export function roundSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}
