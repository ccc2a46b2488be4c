/**
 * Fielding of the proxy (issue 13, "same fielding"; the decision is in docs/fidelity.md).
 *
 * An interlaced source gives an interlaced proxy with the same field order when the proxy
 * keeps the source's lines (`same`) and the encoder codes fields (ProRes: prores_ks with
 * interlaced DCT; H.264: x264 with interlaced coding). Everywhere else the proxy is
 * progressive, deinterlaced first (bwdif, one frame out per frame in: same frames, same
 * rate), so the scaler never blends lines of two fields:
 *   - a resized picture: half of 1080i is 540 lines of 270-line fields, which no NLE format
 *     has, and prores_ks corrupts its heap on odd field heights (1080/4: 135-line fields,
 *     FFmpeg 5.1: "corrupted size vs. prev_size");
 *   - encoders that cannot code fields in FFmpeg: DNxHR ("Interlaced encoding is not
 *     supported for DNxHR profiles"), DNxHD outside its 1080i bitrate set, libx265, VP9, AV1.
 * The field order is written explicitly (`-field_order tt|bb`): FFmpeg 5.1 labels interlaced
 * output "tb"/"bt" on its own, which MOV and Matroska readers take as the other field first.
 */
import type { Codec, Resolution } from "../jobspec/schema.ts";
import { codecFacts } from "./codecs.ts";
import type { Fields, PictureFacts } from "./picture-facts.ts";

/** Encoder flags that make it code fields; absent: the encoder cannot (progressive proxy). */
const FIELD_CODING: Record<string, string> = { prores_ks: "+ildct", libx264: "+ildct+ilme" };

/** What the proxy's fielding must be for this source and plan. */
export function outputFields(plan: { codec: Codec; resolution: Resolution }, source: PictureFacts): Fields | null {
  const fields = source.fields;
  if (fields !== "tff" && fields !== "bff") return fields === "progressive" ? "progressive" : null;
  return keepsFields(plan) ? fields : "progressive";
}

function keepsFields(plan: { codec: Codec; resolution: Resolution }): boolean {
  return plan.resolution === "same" && FIELD_CODING[codecFacts(plan.codec).encoder] !== undefined;
}

const interlaced = (source: PictureFacts) => source.fields === "tff" || source.fields === "bff";

/**
 * The filter chain with fielding applied: for an interlaced source, fields kept apart when
 * the proxy is interlaced (a scale to even dimensions scales each field alone) or the
 * picture deinterlaced before anything else touches it.
 */
export function fieldFilters(
  plan: { codec: Codec; resolution: Resolution },
  source: PictureFacts,
  filters: string[],
): string[] {
  if (!interlaced(source)) return filters;
  if (keepsFields(plan)) {
    // A filter may be a chain ("scale=…,setsar=1"): each scale in it keeps the fields apart.
    const perField = (f: string) => (f.startsWith("scale=") ? `${f}:interl=1` : f);
    return filters.map((chain) => chain.split(",").map(perField).join(","));
  }
  return ["bwdif=mode=send_frame:parity=auto:deint=all", ...filters];
}

/** Encoder options for an interlaced proxy; [] otherwise. */
export function fieldOptions(plan: { codec: Codec; resolution: Resolution }, source: PictureFacts): string[] {
  const fields = outputFields(plan, source);
  if (fields !== "tff" && fields !== "bff") return [];
  const flags = FIELD_CODING[codecFacts(plan.codec).encoder]!;
  return ["-flags", flags, "-field_order", fields === "tff" ? "tt" : "bb"];
}

const ORDER_TEXT: Record<Fields, string> = {
  progressive: "progressive",
  tff: "interlaced top field first",
  bff: "interlaced bottom field first",
};

/**
 * Verification: the proxy's fields as decoded, and the field order its container states,
 * match the plan. ffprobe's H.264 field_order in MOV/MP4 is its parser's guess, not a stored
 * label, so there only the decoded frames count.
 */
export function fieldingProblem(
  plan: { codec: Codec; resolution: Resolution },
  source: PictureFacts,
  output: PictureFacts & { codec_name: string | null },
  formatName: string | null,
): string | null {
  const want = outputFields(plan, source);
  if (want == null) return null;
  const got = output.fields ?? "progressive";
  const why = want === "progressive" && interlaced(source)
    ? ` (the source is ${ORDER_TEXT[source.fields!]}; proxies that resize or use ${plan.codec} are progressive)`
    : "";
  if (got !== want) return `expected ${ORDER_TEXT[want]} pictures${why}, got ${ORDER_TEXT[got]}`;
  const label = output.field_order;
  const parserGuess = output.codec_name === "h264" && formatName != null && formatName.startsWith("mov,mp4");
  if (!label || parserGuess) return null;
  const wantLabel = want === "progressive" ? "progressive" : want === "tff" ? "tt" : "bb";
  if (label !== wantLabel) return `expected field_order ${wantLabel} (${ORDER_TEXT[want]}), the output says ${label}`;
  return null;
}
