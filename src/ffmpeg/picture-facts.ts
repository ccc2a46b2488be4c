/**
 * The picture facts fielding and colour need (issue 13, "same fielding", "same colour"):
 * ffprobe's field_order and colour tags from the stream, and, where the headers cannot be
 * trusted or do not say, from the first decoded frame.
 *
 * The stream's `field_order` alone is not the truth: for H.264 in MOV/MP4 it is ffprobe's
 * parser guess ("tt" for a bottom-field-first x264 stream, FFmpeg 5.1), and HDR10 mastering
 * and content-light metadata of HEVC live in SEI messages, seen only on decoded frames. So a
 * file whose stream says interlaced, or whose transfer is HDR (PQ, HLG), gets one more
 * ffprobe reading one frame. Progressive SDR files, the common case, pay nothing.
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import { ffprobeJson } from "./ffprobe-json.ts";

export const Fields = z.enum(["progressive", "tff", "bff"]);
export type Fields = z.infer<typeof Fields>;

export const Colour = z.object({
  primaries: z.string().nullable(),
  transfer: z.string().nullable(),
  matrix: z.string().nullable(),
  range: z.string().nullable(),
});
export type Colour = z.infer<typeof Colour>;

/** HDR10 static metadata in x265's syntax (`master-display`, `max-cll`), so it is passed on as read. */
export const Hdr10 = z.object({
  mastering_display: z.string().nullable(),
  content_light: z.string().nullable(),
});
export type Hdr10 = z.infer<typeof Hdr10>;

/** Spread into MediaFacts.video. Optional: absent when ffprobe said nothing (untagged, progressive). */
export const PICTURE_FACTS = {
  field_order: z.string().optional().meta({
    description: "ffprobe's stream field_order as read (tt, bb, tb, bt, progressive): what the container says.",
  }),
  fields: Fields.optional().meta({
    description: "How the pictures are coded, from the first decoded frame when the stream says interlaced.",
  }),
  colour: Colour.optional().meta({
    description: "Colour tags (ffprobe color_primaries, color_transfer, color_space, color_range); null: untagged.",
  }),
  hdr10: Hdr10.optional().meta({ description: "HDR10 mastering display and content light level, when present." }),
};

export interface PictureFacts {
  field_order?: string;
  fields?: Fields;
  colour?: Colour;
  hdr10?: Hdr10;
}

// deno-lint-ignore no-explicit-any
type Json = any;

const tagValue = (v: unknown): string | null =>
  typeof v === "string" && v !== "" && v !== "unknown" && v !== "unspecified" && v !== "reserved" ? v : null;

const INTERLACED_ORDERS: Record<string, Fields> = { tt: "tff", tb: "tff", bb: "bff", bt: "bff" };

/** The picture facts one ffprobe stream object gives. */
export function parsePictureFacts(stream: Json): PictureFacts {
  const facts: PictureFacts = {};
  const order = tagValue(stream?.field_order);
  if (order) {
    facts.field_order = order;
    // Provisional until a frame is read (probeFrameFacts): "tb" is what FFmpeg 5.1 writes for top-first frames.
    facts.fields = order === "progressive" ? "progressive" : INTERLACED_ORDERS[order];
  }
  const colour: Colour = {
    primaries: tagValue(stream?.color_primaries),
    transfer: tagValue(stream?.color_transfer),
    matrix: tagValue(stream?.color_space),
    range: tagValue(stream?.color_range),
  };
  if (Object.values(colour).some((v) => v != null)) facts.colour = colour;
  const hdr10 = parseHdr10(stream?.side_data_list);
  if (hdr10) facts.hdr10 = hdr10;
  return facts;
}

const rational = (v: unknown): number | null => {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return null;
  const [n, d] = v.split("/").map(Number);
  return Number.isFinite(n) && (d === undefined || (Number.isFinite(d) && d !== 0)) ? n! / (d ?? 1) : null;
};

/**
 * Mastering display and content light level side data (stream or frame) in x265's syntax:
 * chromaticities in 0.00002 units, luminance in 0.0001 cd/m² (x265 --master-display).
 */
export function parseHdr10(sideData: unknown): Hdr10 | null {
  if (!Array.isArray(sideData)) return null;
  let mastering: string | null = null;
  let light: string | null = null;
  for (const s of sideData as Json[]) {
    if (s?.side_data_type === "Mastering display metadata") {
      const xy = (k: string) => Math.round((rational(s[k]) ?? NaN) * 50000);
      const lum = (k: string) => Math.round((rational(s[k]) ?? NaN) * 10000);
      const values = [
        xy("green_x"),
        xy("green_y"),
        xy("blue_x"),
        xy("blue_y"),
        xy("red_x"),
        xy("red_y"),
        xy("white_point_x"),
        xy("white_point_y"),
        lum("max_luminance"),
        lum("min_luminance"),
      ];
      if (values.every(Number.isFinite)) {
        const [gx, gy, bx, by, rx, ry, wx, wy, max, min] = values;
        mastering = `G(${gx},${gy})B(${bx},${by})R(${rx},${ry})WP(${wx},${wy})L(${max},${min})`;
      }
    }
    if (s?.side_data_type === "Content light level metadata") {
      const cll = Number(s.max_content);
      const fall = Number(s.max_average);
      if (Number.isFinite(cll) && Number.isFinite(fall)) light = `${cll},${fall}`;
    }
  }
  return mastering || light ? { mastering_display: mastering, content_light: light } : null;
}

const HDR_TRANSFERS = new Set(["smpte2084", "arib-std-b67"]);

/**
 * Codecs that code fields, whose stream may say progressive (or nothing) over interlaced
 * frames: an interlaced ProRes MOV without a `fiel` atom, and x264 fields in Matroska, both
 * say "progressive" (FFmpeg 5.1) while every decoded frame is interlaced. H.265, VP9 and AV1
 * have no interlaced coding that FFmpeg decodes as such.
 */
const FIELD_CODECS = new Set(["h264", "mpeg2video", "prores", "dnxhd", "dvvideo", "mpeg4", "vc1"]);

/**
 * Whether the headers leave a picture fact only a decoded frame gives. `codec`: a source's
 * codec, whose progressive (or absent) field order is then not taken on trust when it can
 * code fields; a proxy's (no codec given) is what proxx wrote.
 */
export function needsFrameProbe(facts: PictureFacts, codec?: string | null): boolean {
  const interlaced = facts.fields === "tff" || facts.fields === "bff";
  const hdr = facts.colour?.transfer != null && HDR_TRANSFERS.has(facts.colour.transfer) && !facts.hdr10;
  const unsure = codec != null && FIELD_CODECS.has(codec) && !interlaced;
  return interlaced || hdr || unsure;
}

/** Keep only the end of ffprobe's stderr. */
/**
 * Read the first video frame of `file` and fold what it says into `facts`: whether it is
 * interlaced and which field comes first, and HDR10 side data. A frame that cannot be read
 * leaves the header facts as they were (the main probe already succeeded).
 */
export async function probeFrameFacts<T extends PictureFacts>(
  platform: Platform,
  ffprobePath: string,
  file: string,
  facts: T,
  timeoutMs: number,
  sourceCodec?: string | null,
): Promise<T> {
  if (!needsFrameProbe(facts, sourceCodec)) return facts;
  let frame: Json;
  try {
    const json = await ffprobeJson(
      platform,
      ffprobePath,
      [
        "-select_streams",
        "v:0",
        "-read_intervals",
        "%+#1",
        "-show_entries",
        "frame=interlaced_frame,top_field_first,color_range,color_space,color_primaries,color_transfer:frame_side_data",
      ],
      file,
      timeoutMs,
    );
    frame = (json as Json)?.frames?.[0];
  } catch {
    return facts; // the main probe already succeeded: the header facts stand
  }
  if (!frame) return facts;
  const out: T = { ...facts };
  if (frame.interlaced_frame === 1) out.fields = frame.top_field_first === 1 ? "tff" : "bff";
  else if (frame.interlaced_frame === 0) out.fields = "progressive";
  const hdr10 = parseHdr10(frame.side_data_list);
  if (hdr10 && !out.hdr10) out.hdr10 = hdr10;
  // Tags the headers left out (H.264 in MOV: the range lives in the coded stream, read only
  // by decoding), from the same decoder FFmpeg encodes from; header tags stand.
  const decoded = parsePictureFacts(frame).colour;
  if (decoded) {
    const colour = { ...(out.colour ?? { primaries: null, transfer: null, matrix: null, range: null }) };
    for (const key of ["primaries", "transfer", "matrix", "range"] as const) colour[key] ??= decoded[key];
    out.colour = colour;
  }
  return out;
}
