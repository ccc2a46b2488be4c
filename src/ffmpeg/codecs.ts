/**
 * The codec table: every fact proxx has about an output codec and container, in one place.
 * The JobSpec enums (`codec`, `container`), the codec/container rule, the FFmpeg argv,
 * verification, `proxx new`'s default container, `proxx doctor`'s encoder check and the
 * shell completions all read it; docs/encoders.md explains the choices.
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
 *   - ProRes: prores_ks with a fixed quantiser per profile: prores_aw's quality or better
 *     (within 0.2 dB on noise), 25-45 % less CPU, and ffprobe reports the asked-for
 *     profile. `-vendor apl0` so editors that check the vendor treat it like Apple's.
 *   - H.264: libx264 veryfast, GOP 12 (short GOP scrubs well): +30 % time over ultrafast for
 *     a fifth of the size, and only +8 % over superfast for a third of its size.
 *   - H.265: libx265 ultrafast (superfast costs +40 % time for a proxy nobody grades).
 *   - VP9: libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1; AV1: libsvtav1 preset 12
 *     (libaom-av1 is 56 % slower).
 *   - Threads: FFmpeg's automatic choice; forcing 2 was within noise.
 * Apple considers every FFmpeg ProRes encoder an unauthorised implementation (README).
 */
import { z } from "zod";

/** What a container does with what goes into it. */
export interface ContainerFacts {
  /** FFmpeg's muxer name (`-f`): the temp name has no extension to guess it from. */
  muxer: string;
  /**
   * Audio encoder and options, keeping every stream's channel count (Premiere refuses a
   * mismatch): PCM in MOV/MXF (what editors expect there), AAC in MP4/MKV, Opus in WebM.
   */
  audio: readonly string[];
  /**
   * Whether the output keeps the source's audio sample rate. FFmpeg's MXF muxer writes only
   * 48 kHz (hence `-ar 48000`), and Opus runs at 48 kHz; verification knows these two.
   */
  keepsSampleRate: boolean;
  /**
   * The audio codec by name, and the most channels one audio stream may have: FFmpeg's
   * encoder for it refuses more, so the clip is refused before FFmpeg starts (args.ts,
   * audioProblem). Measured, FFmpeg 5.1: libopus maps at most 8 ("Opus mapping family
   * undefined for 9 channels" … 16); FFmpeg's AAC takes a list of layouts, the widest 16
   * channels (hexadecagonal; 22.2 with 24 is refused); PCM was written and read back with
   * 64 channels in MOV and MXF (64 is also the most FFmpeg's resampler takes, which MXF's
   * 48 kHz uses).
   * `layouts`: the channel layouts (as ffprobe names them) the encoder opens with; absent,
   * any layout. Measured, FFmpeg 5.1, every named layout and 1–16 unnamed channels: libopus
   * opens only the Vorbis-order layouts below ("Invalid channel layout 2.1 for specified
   * mapping family"); AAC refuses downmix, 22.2 and 9–15 channels, for which no named
   * layout exists ("Unsupported channel layout \"12 channels\""). audio-layouts.ts refuses
   * the clip before FFmpeg starts.
   */
  audioChannels: { audioCodec: string; maxChannels: number; layouts?: readonly string[] };
  /** Carries the source timecode (`-timecode`), so verification checks it. */
  timecode: boolean;
  /** Carries the reel name as video stream metadata (`reel_name`). */
  reelName: boolean;
  /**
   * Carries a non-square sample aspect ratio, so an anamorphic picture can stay anamorphic.
   * FFmpeg 5.1's MXF muxer writes square pixels for DNxHR whatever the frame says (even with
   * `-aspect`): 1440x1080 at SAR 4:3 came out 720x540 SAR 1:1, displaying 4:3 instead of
   * 16:9. There the picture is scaled to square pixels instead (args.ts, outputPicture).
   */
  carriesSar: boolean;
  /** Muxer options at the end of the argv. */
  muxerOptions: readonly string[];
  /**
   * Whether each frame keeps its own timestamp, so a variable-rate source and a picture
   * that starts after the audio are carried as they are (args.ts, timingPlan). MXF has one
   * constant edit rate and starts every track together: false.
   */
  keepsVfr: boolean;
}

const PCM = ["-c:a", "pcm_s16le"] as const;
const AAC = ["-c:a", "aac", "-b:a", "192k"] as const;
const PCM_CHANNELS = { audioCodec: "PCM", maxChannels: 64 } as const;
/** FFmpeg 5.1's AAC encoder: every named layout of 1–8 channels, and hexadecagonal. */
const AAC_LAYOUTS = [
  "mono",
  "stereo",
  "2.1",
  "3.0",
  "3.0(back)",
  "4.0",
  "quad",
  "quad(side)",
  "3.1",
  "5.0",
  "5.0(side)",
  "4.1",
  "5.1",
  "5.1(side)",
  "6.0",
  "6.0(front)",
  "hexagonal",
  "6.1",
  "6.1(back)",
  "6.1(front)",
  "7.0",
  "7.0(front)",
  "7.1",
  "7.1(wide)",
  "7.1(wide-side)",
  "octagonal",
  "hexadecagonal",
] as const;
const AAC_CHANNELS = { audioCodec: "AAC", maxChannels: 16, layouts: AAC_LAYOUTS } as const;
/** libopus (mapping family 0 and 1): the Vorbis channel orders only. */
const OPUS_LAYOUTS = ["mono", "stereo", "3.0", "quad", "5.0", "5.1", "6.1", "7.1"] as const;

const CONTAINER_TABLE = {
  mov: {
    muxer: "mov",
    audio: PCM,
    keepsSampleRate: true,
    audioChannels: PCM_CHANNELS,
    timecode: true,
    reelName: true,
    carriesSar: true,
    muxerOptions: [],
    keepsVfr: true,
  },
  mp4: {
    muxer: "mp4",
    audio: AAC,
    keepsSampleRate: true,
    audioChannels: AAC_CHANNELS,
    timecode: false,
    reelName: false,
    carriesSar: true,
    // The index at the front, so a proxy plays while it is still being copied.
    muxerOptions: ["-movflags", "+faststart"],
    keepsVfr: true,
  },
  mkv: {
    muxer: "matroska",
    audio: AAC,
    keepsSampleRate: true,
    audioChannels: AAC_CHANNELS,
    timecode: false,
    reelName: false,
    carriesSar: true,
    muxerOptions: [],
    keepsVfr: true,
  },
  webm: {
    muxer: "webm",
    audio: ["-c:a", "libopus", "-b:a", "128k"],
    keepsSampleRate: false,
    audioChannels: { audioCodec: "Opus", maxChannels: 8, layouts: OPUS_LAYOUTS },
    timecode: false,
    reelName: false,
    carriesSar: true,
    muxerOptions: [],
    keepsVfr: true,
  },
  mxf: {
    muxer: "mxf",
    audio: [...PCM, "-ar", "48000"],
    keepsSampleRate: false,
    audioChannels: PCM_CHANNELS,
    timecode: true,
    reelName: false,
    carriesSar: false,
    muxerOptions: [],
    keepsVfr: false,
  },
} as const satisfies Record<string, ContainerFacts>;

export const CONTAINERS = Object.keys(CONTAINER_TABLE) as [
  keyof typeof CONTAINER_TABLE,
  ...(keyof typeof CONTAINER_TABLE)[],
];
export const Container = z.enum(CONTAINERS);
export type Container = z.infer<typeof Container>;

export function containerFacts(container: Container): ContainerFacts {
  return CONTAINER_TABLE[container];
}

/** The one timecode rule: the argv sets it, verification checks it, rules.ts limits its frame rate. */
export function carriesTimecode(container: Container): boolean {
  return CONTAINER_TABLE[container].timecode;
}

/** Whether the container keeps a non-square pixel aspect (see ContainerFacts.carriesSar). */
export function carriesSar(container: Container): boolean {
  return CONTAINER_TABLE[container].carriesSar;
}

/** The output frame as the encoder sees it. */
export interface VideoOutput {
  container: Container;
  width: number;
  height: number;
  /** Output frames per second; null when neither the JobSpec nor the probe gave one. */
  fps: number | null;
  /** The source's pixel format, when the codec asked for it (`needsSourcePixFmt`). */
  sourcePixFmt: string | null;
}

export interface CodecFacts {
  /** How people name it; `proxx new --help` groups the default containers by it. */
  family: string;
  /** Containers that carry it in a way editors accept (reference page, "Codec/container matrix"). */
  containers: readonly Container[];
  /** The container `proxx new` picks when only `--codec` is given: the one editors expect. */
  defaultContainer: Container;
  /** Added to the "cannot carry" finding, where a common mistake deserves a pointer. */
  containerHint?: string;
  /** FFmpeg's video encoder (`-c:v`); `proxx doctor` checks the FFmpeg has it. */
  encoder: string;
  /**
   * The encoder's options, between `-c:v` and `-pix_fmt`. Throws, with a message for the
   * operator, for an output the encoder cannot make.
   */
  options(out: VideoOutput): string[];
  /** `-pix_fmt`. */
  pixFmt(out: VideoOutput): string;
  /** Whether the source's pixel format decides anything (alpha), so the probe must learn it. */
  needsSourcePixFmt: boolean;
  /**
   * What verification requires ffprobe to report for the output: `codec_name`, and the
   * `profile` where the encoder's header is checked rather than trusted (ProRes).
   */
  verify: { codecName: string; profile: string | null };
}

/**
 * prores_ks's fixed quantiser per profile (0 Proxy … 4 4444): chosen so each profile matches
 * or beats the quality of prores_aw's rate-controlled output (measurements at the top).
 */
function prores(profile: 0 | 1 | 2 | 3 | 4, probedProfile: string, quantiser: number): CodecFacts {
  return {
    family: "ProRes",
    containers: ["mov"],
    defaultContainer: "mov",
    encoder: "prores_ks",
    options: () => ["-profile:v", String(profile), "-q:v", String(quantiser), "-vendor", "apl0"],
    // 4444 keeps an alpha channel when the source has one.
    pixFmt: (out) => profile === 4 ? (hasAlpha(out.sourcePixFmt) ? "yuva444p10le" : "yuv444p10le") : "yuv422p10le",
    needsSourcePixFmt: profile === 4,
    verify: { codecName: "prores", profile: probedProfile },
  };
}

function hasAlpha(pixFmt: string | null): boolean {
  return pixFmt != null && /^(yuva|rgba|bgra|argb|abgr|gbrap|ya)/.test(pixFmt);
}

const YUV420 = () => "yuv420p";
const YUV422 = () => "yuv422p";

const H265: CodecFacts = {
  family: "H.265",
  containers: ["mp4", "mov", "mkv"],
  defaultContainer: "mp4",
  encoder: "libx265",
  options: (out) => [
    "-preset",
    "ultrafast",
    "-crf",
    "28",
    "-g",
    "12",
    "-x265-params",
    "log-level=error",
    // So Apple software plays it.
    ...(out.container === "mov" || out.container === "mp4" ? ["-tag:v", "hvc1"] : []),
  ],
  pixFmt: YUV420,
  needsSourcePixFmt: false,
  verify: { codecName: "hevc", profile: null },
};

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

const CODEC_TABLE = {
  prores_proxy: prores(0, "Proxy", 8),
  prores_lt: prores(1, "LT", 6),
  prores_standard: prores(2, "Standard", 4),
  prores_hq: prores(3, "HQ", 3),
  prores_4444: prores(4, "4444", 3),
  h264: {
    family: "H.264",
    containers: ["mp4", "mov", "mkv"],
    defaultContainer: "mp4",
    encoder: "libx264",
    options: () => ["-preset", "veryfast", "-crf", "23", "-g", "12"],
    pixFmt: YUV420,
    needsSourcePixFmt: false,
    verify: { codecName: "h264", profile: null },
  },
  h265: H265,
  hevc: H265,
  dnxhd: {
    family: "DNxHD",
    containers: ["mxf"],
    defaultContainer: "mxf",
    containerHint: "DNxHD in MOV is non-standard and editors handle it badly; use dnxhr for MOV.",
    encoder: "dnxhd",
    options: (out) => {
      const combo = out.fps == null ? undefined : findDnxhdCombo(out.width, out.height, out.fps);
      if (!combo) throw new Error(checkDnxhdCombo(out.width, out.height, out.fps ?? 0)!);
      return ["-b:v", `${combo.bitratesMbps[0]}M`];
    },
    pixFmt: YUV422,
    needsSourcePixFmt: false,
    verify: { codecName: "dnxhd", profile: null },
  },
  dnxhr: {
    family: "DNxHR",
    containers: ["mov", "mxf"],
    defaultContainer: "mxf",
    encoder: "dnxhd",
    options: (out) => {
      // FFmpeg's DNxHR encoder refuses frames under 256x120; say so before running it.
      if (out.width < 256 || out.height < 120) {
        throw new Error(
          `DNxHR needs a frame of at least 256x120, this output would be ${out.width}x${out.height}; use a larger resolution`,
        );
      }
      // A proxy: the lowest DNxHR profile. DNxHR ignores -b:v.
      return ["-profile:v", "dnxhr_lb"];
    },
    pixFmt: YUV422,
    needsSourcePixFmt: false,
    verify: { codecName: "dnxhd", profile: null },
  },
  vp9: {
    family: "VP9",
    containers: ["webm", "mkv"],
    defaultContainer: "webm",
    encoder: "libvpx-vp9",
    options: () => ["-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-b:v", "0", "-crf", "35", "-g", "12"],
    pixFmt: YUV420,
    needsSourcePixFmt: false,
    verify: { codecName: "vp9", profile: null },
  },
  av1: {
    family: "AV1",
    containers: ["mp4", "mkv", "webm"],
    defaultContainer: "mp4",
    encoder: "libsvtav1",
    options: () => ["-preset", "12", "-crf", "35", "-g", "12"],
    pixFmt: YUV420,
    needsSourcePixFmt: false,
    verify: { codecName: "av1", profile: null },
  },
} satisfies Record<string, CodecFacts>;

export const CODECS = Object.keys(CODEC_TABLE) as [keyof typeof CODEC_TABLE, ...(keyof typeof CODEC_TABLE)[]];
export const Codec = z.enum(CODECS);
export type Codec = z.infer<typeof Codec>;

export function codecFacts(codec: Codec): CodecFacts {
  return CODEC_TABLE[codec];
}
