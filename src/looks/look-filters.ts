/**
 * The "look" part of the proxy's video filters (issue 16): the LUT, then the burn-ins and
 * watermark, then the pixel format pinned. args.ts calls lookFilters with the filters it
 * already has (timing, fields, scale), so the LUT always runs on the reduced picture.
 *
 * Measured on FFmpeg 5.1, 2 cores (docs/performance.md, "Looks"):
 *   - after scaling, not before: a 1080p LUT then scale cost 5× the plain proxy, scale then LUT
 *     2.6× with FFmpeg's own choice of formats;
 *   - the LUT itself is most of the rest: lut3d costs ~35 ms of CPU per 1080p frame on 8- or
 *     16-bit RGB, but FFmpeg 5.1 has SIMD (AVX2) for tetrahedral interpolation on planar float
 *     RGB only, where it costs ~9 ms: so the picture goes to `gbrpf32le` in the same swscale pass
 *     as the scale, and back once (a 1080p round trip with the LUT: 0.81 s of CPU per 48 frames
 *     against 2.04 s through 8-bit `gbrp`; without SIMD both are ~4 s). Float also keeps the
 *     10-bit source's steps (8-bit RGB made 179 distinct levels of a 10-bit ramp's 612);
 * Correctness, each with a test that fails without it (tests/integration/looks.test.ts):
 *   - the input matrix is set from the probe (untagged: BT.601 for SD, BT.709 for HD and
 *     larger, as editors do); FFmpeg alone converts untagged YUV with BT.601 (0xC03020 came
 *     back b02020 instead of bd2e1f);
 *   - the RGB result goes back to YUV with BT.709 and limited range, and the frames are
 *     tagged BT.709: a LUT's output is a Rec.709 picture, whatever the source was;
 *   - the encoder's pixel format is pinned after the last filter: after lut3d, prores_ks got
 *     4:4:4 frames and wrote "Proxy" with 4:4:4 chroma.
 */
import type { PictureFacts } from "../ffmpeg/picture-facts.ts";
import { filterValue } from "./filter-escape.ts";

/** The files FFmpeg reads for the clip's LUT (lut.ts, prepareLook); both null means none. */
export interface LookFiles {
  lut1d: string | null;
  lut3d: string | null;
}

/** The picture facts the look needs. */
export interface LookSource extends PictureFacts {
  width: number;
  height: number;
  pix_fmt: string | null;
}

/** swscale's names for ffprobe's color_space tags. */
const SWS_MATRIX: Record<string, string> = {
  bt709: "bt709",
  smpte170m: "bt601",
  bt470bg: "bt601",
  fcc: "fcc",
  smpte240m: "smpte240m",
  bt2020nc: "bt2020",
  bt2020c: "bt2020",
};

/**
 * The matrix the source's YUV is read with: its tag, or, untagged, what editors assume from
 * the frame size: BT.601 for standard definition (up to 576 lines and 720 wide), BT.709 above.
 */
export function inputMatrix(source: LookSource): { matrix: string; range: "tv" | "pc"; tagged: boolean } {
  const tag = source.colour?.matrix ?? null;
  const range = source.colour?.range === "pc" ? "pc" : "tv";
  if (tag && SWS_MATRIX[tag]) return { matrix: SWS_MATRIX[tag]!, range, tagged: true };
  const sd = source.height <= 576 && source.width <= 1024;
  return { matrix: sd ? "bt601" : "bt709", range, tagged: false };
}

const ALPHA = /^(yuva|rgba|bgra|argb|abgr|gbrap|ya)/;

/** The RGB format the LUT runs in: planar float (FFmpeg's SIMD path for lut3d), with alpha when the source has it. */
export function lutPixelFormat(source: LookSource): string {
  return source.pix_fmt && ALPHA.test(source.pix_fmt) ? "gbrapf32le" : "gbrpf32le";
}

/** The LUT filters themselves (lut1d for a shaper or a 1D LUT, then lut3d). */
function lutFilters(look: LookFiles): string[] {
  const out: string[] = [];
  if (look.lut1d) out.push(`lut1d=file=${filterValue(look.lut1d)}:interp=linear`);
  if (look.lut3d) out.push(`lut3d=file=${filterValue(look.lut3d)}:interp=tetrahedral`);
  return out;
}

/**
 * The scale filter that already is in the chain, with the input matrix added, so the
 * conversion to RGB happens in the same swscale pass as the resize; or null when the chain
 * has no final scale (resolution "same"), and a conversion step is added instead.
 * A scale is usable when only setsar and fps come after it (neither touches the pixels).
 */
function foldMatrix(filters: string[], options: string): string[] | null {
  const steps = filters.flatMap((f) => f.split(","));
  const last = steps.findLastIndex((s) => s.startsWith("scale="));
  if (last < 0 || !steps.slice(last + 1).every((s) => s.startsWith("setsar=") || s.startsWith("fps="))) return null;
  return steps.map((s, i) => (i === last ? `${s}:${options}` : s));
}

/**
 * The whole video filter list for a clip with a look: `filters` (timing, fields, scale), then
 * the LUT, then `overlays` (burn-ins and watermark, issue 16's other half: they go here, on
 * the converted picture), then the encoder's pixel format pinned. Without a LUT and without
 * overlays, `filters` unchanged (the argv of a plain proxy stays as it was).
 */
export function lookFilters(
  filters: string[],
  look: LookFiles | null | undefined,
  source: LookSource,
  pixFmt: string,
  overlays: string[] = [],
): string[] {
  const hasLut = look != null && (look.lut1d != null || look.lut3d != null);
  if (!hasLut && overlays.length === 0) return filters;
  const chain = [...filters];
  if (hasLut) {
    const { matrix, range } = inputMatrix(source);
    const options = `in_color_matrix=${matrix}:in_range=${range}`;
    const folded = foldMatrix(chain, options);
    const rgb = lutPixelFormat(source);
    const toRgb = folded ? [...folded, `format=${rgb}`] : [...chain, `scale=${options}`, `format=${rgb}`];
    chain.splice(0, chain.length, ...toRgb, ...lutFilters(look!));
    // Back to YUV as Rec.709, limited range, and say so on the frames (the encoder writes the tags).
    chain.push(
      "scale=out_color_matrix=bt709:out_range=tv",
      `format=${pixFmt}`,
      "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709",
    );
  }
  chain.push(...overlays, `format=${pixFmt}`);
  return chain;
}

/** The colour tags a proxy with a LUT applied carries (verification expects them instead of the source's). */
export const LOOK_COLOUR = { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" } as const;
