/**
 * Colour of the proxy (issue 13, "same colour"; decisions in docs/fidelity.md): primaries,
 * transfer, matrix and range tags equal the source's; HDR10 static metadata carried where
 * the encoder can write it.
 *
 * FFmpeg already passes the decoder's tags to the encoder, so a tagged progressive source
 * needs no options. What it gets wrong, measured on FFmpeg 5.1:
 *   - full range ("pc"): FFmpeg's conversion to the encoder's `-pix_fmt` (always given) also
 *     converts the range to limited, correctly (black: luma 0 in, 16 / 64 in 10 bit out), and
 *     the proxy says "tv" or nothing (which reads as limited). Proxies are limited range;
 *     verification refuses one that claims full range.
 *   - MXF has fewer labels than tags (SMPTE RP 224; MXF_SAME, MXF_LOST below):
 *     smpte170m comes back as matrix bt470bg and transfer bt709, identical in meaning (ITU-T
 *     H.273), so equal in MXF and only there; a tag MXF would turn into another meaning
 *     (PAL's gamma 2.8 transfer becomes gamma 2.2) is refused before encoding.
 *   - HDR10 mastering display and content light level of an HEVC source are SEI on its frames;
 *     FFmpeg 5.1 does not pass them to an encoder. x265 writes them when given
 *     (`master-display`, `max-cll`): H.265 proxies carry them. Other codecs drop them, with a
 *     warning (a proxy is for cutting, not grading).
 * Untagged sources get no tags added. DNxHD/DNxHR's decoder reports matrix bt709 for every
 * file and every decoder reports a limited range for ProRes and DNx; those are the codec's,
 * not tags proxx writes, and are accepted for untagged sources.
 */
import type { Codec, Container } from "./codecs.ts";
import { codecFacts } from "./codecs.ts";
import type { Hdr10, PictureFacts } from "./picture-facts.ts";

/** Encoders that write HDR10 static metadata here. */
const WRITES_HDR10 = new Set(["libx265"]);

/**
 * The encoder options with the source's HDR10 metadata added where the encoder writes it
 * (x265: joined to the one `-x265-params` value, since a second one would replace the first).
 */
export function withHdr10(plan: { codec: Codec }, source: PictureFacts, options: string[]): string[] {
  const hdr10 = source.hdr10;
  if (!hdr10 || !WRITES_HDR10.has(codecFacts(plan.codec).encoder)) return options;
  const extra = [
    hdr10.mastering_display ? `master-display=${hdr10.mastering_display}` : null,
    hdr10.content_light ? `max-cll=${hdr10.content_light}` : null,
  ].filter((v) => v != null).join(":");
  const at = options.indexOf("-x265-params");
  if (at < 0) return [...options, "-x265-params", extra];
  return options.map((v, i) => (i === at + 1 ? `${v}:${extra}` : v));
}

/** Whether the proxy carries HDR10 metadata (verification expects it then). */
export function carriesHdr10(plan: { codec: Codec }, source: PictureFacts): boolean {
  return source.hdr10 != null && WRITES_HDR10.has(codecFacts(plan.codec).encoder);
}

/** The warning for HDR10 metadata the proxy cannot carry; null when nothing is dropped. */
export function droppedHdr10(plan: { codec: Codec }, source: PictureFacts): string | null {
  if (!source.hdr10 || carriesHdr10(plan, source)) return null;
  return `HDR10 mastering display / content light metadata is not written by ${plan.codec} proxies and was left out ` +
    `(colour tags are kept); codec h265 carries it`;
}

/**
 * What FFmpeg 5.1's MXF muxer does to tags it has no label for (SMPTE RP 224), measured by
 * writing each tag and reading it back. `same`: another name for the same thing (ITU-T H.273
 * calls them functionally identical), accepted. `lost`: a different meaning or none, so the
 * clip is refused before encoding (colourRefusal).
 */
const MXF_SAME: Record<string, Record<string, string>> = {
  transfer: { smpte170m: "bt709", "bt2020-12": "bt2020-10" },
  primaries: { smpte240m: "smpte170m" },
  matrix: { smpte170m: "bt470bg" },
};
const MXF_LOST: Record<string, Record<string, string | null>> = {
  transfer: { bt470bg: "bt470m", log100: null, "iec61966-2-1": null },
  primaries: { bt470m: null, film: null },
  matrix: { fcc: "bt709", bt2020c: "bt709", ictcp: "bt709" },
};

/** Why the container cannot keep the source's colour tags, or null; refused before FFmpeg runs. */
export function colourRefusal(plan: { container: Container }, source: PictureFacts): string | null {
  if (plan.container !== "mxf" || !source.colour) return null;
  for (const [key, name] of KEYS) {
    const tag = source.colour[key];
    if (tag == null || !(tag in (MXF_LOST[key] ?? {}))) continue;
    const becomes = MXF_LOST[key]![tag];
    return `the source's ${name} is ${tag}, which FFmpeg's MXF muxer cannot label (it would read back as ${
      becomes ?? "untagged"
    }); use container mov, which keeps it`;
  }
  return null;
}

const KEYS = [
  ["primaries", "color_primaries"],
  ["transfer", "color_transfer"],
  ["matrix", "color_space"],
] as const;

/**
 * Verification: primaries, transfer and matrix as the source's (untagged stays untagged),
 * a limited range (no full-range claim), HDR10 metadata as the source's where carried. First problem or null.
 */
export function colourProblem(
  plan: { codec: Codec; container: Container },
  source: PictureFacts,
  output: PictureFacts & { codec_name: string | null },
): string | null {
  const want = source.colour;
  const got = output.colour;
  for (const [key, name] of KEYS) {
    const w = want?.[key] ?? null;
    const g = got?.[key] ?? null;
    if (w === g) continue;
    if (w == null && key === "matrix" && g === "bt709" && output.codec_name === "dnxhd") continue;
    if (w != null && plan.container === "mxf" && MXF_SAME[key]?.[w] === g) continue;
    return w == null
      ? `the source has no ${name} tag, the output says ${g}`
      : `expected ${name} ${w} (the source's), got ${g ?? "none"}`;
  }
  if (got?.range === "pc") {
    return `expected a limited-range proxy (color_range tv; the source's ${
      want?.range ?? "untagged"
    } range converted by FFmpeg), got color_range pc`;
  }
  if (carriesHdr10(plan, source)) return hdr10Problem(source.hdr10!, output.hdr10);
  return null;
}

function hdr10Problem(want: Hdr10, got: Hdr10 | undefined): string | null {
  if (got?.mastering_display !== want.mastering_display) {
    return `expected HDR10 mastering display ${want.mastering_display ?? "none"}, got ${
      got?.mastering_display ?? "none"
    }`;
  }
  if (got?.content_light !== want.content_light) {
    return `expected HDR10 content light level ${want.content_light ?? "none"}, got ${got?.content_light ?? "none"}`;
  }
  return null;
}
