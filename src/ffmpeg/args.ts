/**
 * The FFmpeg argv for one clip. Pure: (plan, probed source) → argv, so every rule here is
 * unit-tested without FFmpeg.
 *
 * ENCODER CHOICE — measured, not habit (also in docs/encoders.md).
 * Debian FFmpeg 5.1.9, 2 cores. Source: 4 s UHD 3840x2160 25 fps H.264 (testsrc2), output
 * half size (1920x1080), video only, wall time:
 *   decode only                     1.62 s   decode + scale bicubic 1.92 s, fast_bilinear 1.69 s
 *   ProRes Proxy  prores_ks        10.33 s   prores_aw  3.32 s  (both: ffprobe profile "Proxy")
 *   ProRes HQ     prores_ks        11.95 s   prores_aw  3.62 s
 *   ProRes 4444   prores_ks        15.92 s   prores_aw  5.02 s
 *   H.264 libx264 -crf 23 -g 12  ultrafast 2.29 s (5.3 MB)  superfast 2.77 s (2.9 MB)  veryfast 2.99 s (1.1 MB)
 *   H.265 libx265 -g 12  ultrafast  4.58 s (0.7 MB)  superfast 6.45 s
 *   DNxHR LB      dnxhd             2.70 s
 *   VP9  libvpx-vp9 realtime cpu-used 8 row-mt   3.25 s
 *   AV1  libsvtav1 preset 12        3.77 s   libaom-av1 cpu-used 8 realtime  5.89 s
 *   prores_aw threads: auto 3.32 s, 2 3.26 s, 1 4.01 s
 * The prores_ks figures above are its default rate control, whose per-slice quantiser search
 * is the slow part. With a fixed quantiser (`-q:v`) it skips that search. Encoding 50 noisy
 * 1080p 10-bit frames, CPU seconds / MB / PSNR against the source:
 *   Proxy     prores_aw 1.95 / 6 / 39.9    prores_ks -q:v 8  1.43 / 7 / 40.8
 *   LT        prores_aw 3.03 / 24 / 45.6   prores_ks -q:v 6  1.68 / 16 / 45.6
 *   Standard  prores_aw 3.62 / 45 / 50.3   prores_ks -q:v 4  2.28 / 36 / 50.1
 *   HQ        prores_aw 5.76 / 72 / 55.0   prores_ks -q:v 3  3.39 / 68 / 56.4
 *   4444      prores_aw 6.91 / 95 / 56.6   prores_ks -q:v 3  4.42 / 84 / 57.2
 * On clean content (testsrc2) the same settings gave 1.4 to 4.7 dB more than prores_aw at
 * about the same size. UHD H.264 to ProRes Proxy half, whole command: 19.2 to 17.6 CPU s.
 * Decisions:
 *   - ProRes: prores_ks with a fixed quantiser per profile (PRORES_QUANT): prores_aw's
 *     quality or better (within 0.2 dB on noise), 25-45 % less CPU, and ffprobe reports
 *     the asked-for profile. `-vendor apl0` so editors that check the vendor treat it like
 *     Apple's.
 *   - H.264: libx264 veryfast, GOP 12 (short GOP scrubs well): +30 % time over ultrafast for
 *     a fifth of the size, and only +8 % over superfast for a third of its size.
 *   - H.265: libx265 ultrafast (superfast costs +40 % time for a proxy nobody grades).
 *   - VP9: libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1; AV1: libsvtav1 preset 12
 *     (libaom-av1 is 56 % slower).
 *   - Scaler: default bicubic. fast_bilinear saves 0.23 s of 3.3 s (7 %) and aliases fine
 *     detail; the scaler is not the bottleneck, decode and encode are.
 *   - Threads: FFmpeg's automatic choice; forcing 2 was within noise.
 * Apple considers every FFmpeg ProRes encoder an unauthorised implementation (README).
 */

export type Codec =
  | "prores_proxy"
  | "prores_lt"
  | "prores_standard"
  | "prores_hq"
  | "prores_4444"
  | "h264"
  | "h265"
  | "hevc"
  | "dnxhd"
  | "dnxhr"
  | "vp9"
  | "av1";
export type Container = "mov" | "mp4" | "mkv" | "webm" | "mxf";
export type Resolution = "same" | "half" | "quarter" | { width: number; height: number };

/** What to make of one source; `output` is the temp path FFmpeg writes, renamed after verification. */
export interface EncodePlan {
  input: string;
  output: string;
  codec: Codec;
  container: Container;
  resolution: Resolution;
  /** null = keep the source rate. */
  fps: number | null;
}

/** The facts args needs from the probe (a MediaFacts satisfies it). */
export interface SourceFacts {
  video: { width: number; height: number; pix_fmt: string | null; frame_rate: string | null } | null;
  audio: { channels: number; sample_rate: number }[];
  timecode: string | null;
  reel_name: string | null;
}

const MUXER: Record<Container, string> = { mov: "mov", mp4: "mp4", mkv: "matroska", webm: "webm", mxf: "mxf" };

const PRORES_PROFILE: Partial<Record<Codec, number>> = {
  prores_proxy: 0,
  prores_lt: 1,
  prores_standard: 2,
  prores_hq: 3,
  prores_4444: 4,
};

/** The codec_name ffprobe must report for the output of each codec (verification). */
export const EXPECTED_CODEC_NAME: Record<Codec, string> = {
  prores_proxy: "prores",
  prores_lt: "prores",
  prores_standard: "prores",
  prores_hq: "prores",
  prores_4444: "prores",
  h264: "h264",
  h265: "hevc",
  hevc: "hevc",
  dnxhd: "dnxhd",
  dnxhr: "dnxhd",
  vp9: "vp9",
  av1: "av1",
};

/** The ffprobe `profile` each ProRes codec must report (the encoder's header is checked, not trusted). */
export const EXPECTED_PRORES_PROFILE: Partial<Record<Codec, string>> = {
  prores_proxy: "Proxy",
  prores_lt: "LT",
  prores_standard: "Standard",
  prores_hq: "HQ",
  prores_4444: "4444",
};

const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/**
 * Output frame size for a resolution choice: always even (4:2:0 and 4:2:2 need it), and
 * computed the same way as the scale filter below (`trunc(iw/4)*2` = floor(w/4)*2: half of
 * 1918 is 958, not 959). The single place for this rule: args and verification share it.
 */
export function expectedDimensions(
  resolution: Resolution,
  srcW: number,
  srcH: number,
): { width: number; height: number } {
  if (resolution === "same") return { width: even(srcW), height: even(srcH) };
  if (resolution === "half") return { width: even(srcW / 2), height: even(srcH / 2) };
  if (resolution === "quarter") return { width: even(srcW / 4), height: even(srcH / 4) };
  return {
    width: Math.max(2, Math.round(resolution.width / 2) * 2),
    height: Math.max(2, Math.round(resolution.height / 2) * 2),
  };
}

function scaleFilter(resolution: Resolution, srcW: number, srcH: number): string | null {
  if (resolution === "same") {
    return srcW % 2 === 0 && srcH % 2 === 0 ? null : "scale=trunc(iw/2)*2:trunc(ih/2)*2";
  }
  if (resolution === "half") return "scale=trunc(iw/4)*2:trunc(ih/4)*2";
  if (resolution === "quarter") return "scale=trunc(iw/8)*2:trunc(ih/8)*2";
  const { width, height } = expectedDimensions(resolution, srcW, srcH);
  return `scale=${width}:${height}`;
}

/**
 * Classic DNxHD only exists in fixed size × rate × bitrate sets (Avid's table; FFmpeg itself
 * checks only size and bitrate). Progressive, 8-bit. The proxy uses the lowest bitrate.
 * Rates are matched within 0.01 fps so 23.976 and 24000/1001 agree.
 */
export const DNXHD_COMBOS: { width: number; height: number; fps: number; bitratesMbps: number[] }[] = [
  { width: 1920, height: 1080, fps: 24000 / 1001, bitratesMbps: [36, 115, 175] },
  { width: 1920, height: 1080, fps: 24, bitratesMbps: [36, 115, 175] },
  { width: 1920, height: 1080, fps: 25, bitratesMbps: [36, 120, 185] },
  { width: 1920, height: 1080, fps: 30000 / 1001, bitratesMbps: [45, 145, 220] },
  { width: 1920, height: 1080, fps: 50, bitratesMbps: [75, 240, 365] },
  { width: 1920, height: 1080, fps: 60000 / 1001, bitratesMbps: [90, 290, 440] },
  { width: 1280, height: 720, fps: 24000 / 1001, bitratesMbps: [60, 90] },
  { width: 1280, height: 720, fps: 25, bitratesMbps: [60, 90] },
  { width: 1280, height: 720, fps: 30000 / 1001, bitratesMbps: [75, 110] },
  { width: 1280, height: 720, fps: 50, bitratesMbps: [120, 180] },
  { width: 1280, height: 720, fps: 60000 / 1001, bitratesMbps: [145, 220] },
];

function findDnxhdCombo(width: number, height: number, fps: number) {
  return DNXHD_COMBOS.find((c) => c.width === width && c.height === height && Math.abs(c.fps - fps) < 0.01);
}

/** null when DNxHD can encode this frame size and rate; otherwise a message that points to dnxhr. */
export function checkDnxhdCombo(width: number, height: number, fps: number): string | null {
  if (findDnxhdCombo(width, height, fps)) return null;
  const sizes = [...new Set(DNXHD_COMBOS.map((c) => `${c.width}x${c.height}`))].join(", ");
  return `DNxHD cannot encode ${width}x${height} at ${Math.round(fps * 1000) / 1000} fps ` +
    `(only ${sizes} at 23.976, 24, 25, 29.97, 50 or 59.94 fps); use codec dnxhr, which takes any size and rate`;
}

/**
 * prores_ks's fixed quantiser per profile (0 Proxy … 4 4444): chosen so each profile matches
 * or beats the quality of prores_aw's rate-controlled output (measurements at the top).
 */
const PRORES_QUANT: Record<number, number> = { 0: 8, 1: 6, 2: 4, 3: 3, 4: 3 };

function hasAlpha(pixFmt: string | null): boolean {
  return pixFmt != null && /^(yuva|rgba|bgra|argb|abgr|gbrap|ya)/.test(pixFmt);
}

function videoArgs(plan: EncodePlan, source: SourceFacts, outW: number, outH: number, fps: number | null): string[] {
  const profile = PRORES_PROFILE[plan.codec];
  if (profile !== undefined) {
    const pix = profile === 4
      ? (hasAlpha(source.video?.pix_fmt ?? null) ? "yuva444p10le" : "yuv444p10le")
      : "yuv422p10le";
    return [
      "-c:v",
      "prores_ks",
      "-profile:v",
      String(profile),
      "-q:v",
      String(PRORES_QUANT[profile]),
      "-vendor",
      "apl0",
      "-pix_fmt",
      pix,
    ];
  }
  switch (plan.codec) {
    case "h264":
      return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "12", "-pix_fmt", "yuv420p"];
    case "h265":
    case "hevc": {
      const tag = plan.container === "mov" || plan.container === "mp4" ? ["-tag:v", "hvc1"] : [];
      return [
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-crf",
        "28",
        "-g",
        "12",
        "-x265-params",
        "log-level=error",
        ...tag,
        "-pix_fmt",
        "yuv420p",
      ];
    }
    case "dnxhr":
      // FFmpeg's DNxHR encoder refuses frames under 256x120; say so before running it.
      if (outW < 256 || outH < 120) {
        throw new Error(
          `DNxHR needs a frame of at least 256x120, this output would be ${outW}x${outH}; use a larger resolution`,
        );
      }
      // A proxy: the lowest DNxHR profile. DNxHR ignores -b:v.
      return ["-c:v", "dnxhd", "-profile:v", "dnxhr_lb", "-pix_fmt", "yuv422p"];
    case "dnxhd": {
      const combo = fps == null ? undefined : findDnxhdCombo(outW, outH, fps);
      if (!combo) throw new Error(checkDnxhdCombo(outW, outH, fps ?? 0)!);
      return ["-c:v", "dnxhd", "-b:v", `${combo.bitratesMbps[0]}M`, "-pix_fmt", "yuv422p"];
    }
    case "vp9":
      return [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-row-mt",
        "1",
        "-b:v",
        "0",
        "-crf",
        "35",
        "-g",
        "12",
        "-pix_fmt",
        "yuv420p",
      ];
    case "av1":
      return ["-c:v", "libsvtav1", "-preset", "12", "-crf", "35", "-g", "12", "-pix_fmt", "yuv420p"];
  }
  throw new Error(`unknown codec ${plan.codec}`);
}

/**
 * Audio per container, keeping every stream's channel count (Premiere refuses a mismatch):
 * PCM in MOV/MXF (what editors expect there), AAC in MP4/MKV, Opus in WebM. The sample
 * rate is kept, except where the format cannot carry it: FFmpeg's MXF muxer writes only
 * 48 kHz, and Opus runs at 48 kHz; verification knows these two exceptions.
 */
function audioArgs(container: Container, source: SourceFacts): string[] {
  if (source.audio.length === 0) return [];
  switch (container) {
    case "mov":
      return ["-c:a", "pcm_s16le"];
    case "mxf":
      return ["-c:a", "pcm_s16le", "-ar", "48000"];
    case "mp4":
    case "mkv":
      return ["-c:a", "aac", "-b:a", "192k"];
    case "webm":
      return ["-c:a", "libopus", "-b:a", "128k"];
  }
}

/** Whether the output keeps the source's audio sample rate (see audioArgs). */
export function keepsSampleRate(container: Container): boolean {
  return container !== "mxf" && container !== "webm";
}

/** `file:` so a name starting with "-" is never an option and one with ":" never a protocol. No shell is involved. */
export function fileArg(path: string): string {
  return `file:${path}`;
}

/**
 * argv for ffmpeg (without the binary).
 *
 * stdin: we do NOT pass `-nostdin`. The executor stops FFmpeg cleanly by writing `q` to
 * its stdin pipe (it then finalises the file); `-nostdin` would disable that. The pipe is
 * ours and never written otherwise, so FFmpeg cannot block on or eat a terminal.
 * `-y`: the output is our own deterministic temp name (`.name.proxx-partial`), never the
 * operator's file; the final name is replaced only by a rename after verification.
 * `-map_metadata`: not passed. FFmpeg already copies global and per-stream metadata from
 * the first input by default; timecode and reel name are set explicitly below, because
 * relinking must not depend on which tags a muxer happens to carry over.
 * `-f`: explicit, since the temp name has no media extension to guess from.
 * Throws only for an impossible DNxHD combination (the JobSpec checker should have caught it).
 */
export function buildFfmpegArgs(plan: EncodePlan, source: SourceFacts): string[] {
  const srcW = source.video?.width ?? 0;
  const srcH = source.video?.height ?? 0;
  const { width, height } = expectedDimensions(plan.resolution, srcW, srcH);
  const sourceFps = frameRate(source.video?.frame_rate ?? null);
  const fps = plan.fps ?? sourceFps;

  const args = ["-hide_banner", "-nostats", "-loglevel", "level+warning", "-progress", "pipe:1", "-y"];
  args.push("-i", fileArg(plan.input));
  args.push("-map", "0:v:0", "-map", "0:a?");
  const filter = scaleFilter(plan.resolution, srcW, srcH);
  if (filter) args.push("-vf", filter);
  if (plan.fps != null) args.push("-r", String(plan.fps));
  args.push(...videoArgs(plan, source, width, height, fps));
  args.push(...audioArgs(plan.container, source));
  if (source.timecode && (plan.container === "mov" || plan.container === "mxf")) {
    args.push("-timecode", source.timecode);
  }
  if (source.reel_name && plan.container === "mov") {
    args.push("-metadata:s:v:0", `reel_name=${source.reel_name}`);
  }
  if (plan.container === "mp4") args.push("-movflags", "+faststart");
  args.push("-f", MUXER[plan.container], fileArg(plan.output));
  return args;
}

function frameRate(rate: string | null): number | null {
  if (!rate) return null;
  const [n, d] = rate.split("/").map(Number);
  const v = d === undefined ? n! : n! / d;
  return Number.isFinite(v) && v > 0 ? v : null;
}
