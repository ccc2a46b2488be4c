/**
 * Sources for the fidelity matrix, generated with FFmpeg's lavfi (testsrc2 picture, one sine
 * per audio stream): small and short, so the matrix runs in CI, and each one made to carry
 * exactly the property a case is about (a rate, a start offset, a timecode, a pixel aspect,
 * a channel count).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface SourceSpec {
  /** File name without extension. */
  name: string;
  container?: "mov" | "mp4" | "mkv" | "webm" | "mxf" | "ts";
  /** Stored frame size. Default 160x90. */
  size?: string;
  /** Frame rate as FFmpeg writes it ("25", "30000/1001"). Default 25. */
  fps?: string;
  /** Default 2. */
  seconds?: number;
  /** Presentation time of the first frame (`-output_ts_offset`), seconds. */
  startSeconds?: number;
  /** Start timecode, "HH:MM:SS:FF" or drop-frame "HH:MM:SS;FF". */
  timecode?: string;
  /**
   * Reel name, written as the video stream's `reel_name` (MOV puts it on the timecode track,
   * so only with a timecode; Matroska as the stream's REEL_NAME tag).
   */
  reel?: string;
  /** Sample aspect ratio ("4/3"); default square. */
  sar?: string;
  /**
   * Display rotation in degrees (90, 180, 270), as a phone writes it: a display matrix on
   * the stored landscape picture. Written by a stream copy with `-metadata:s:v:0 rotate=N`,
   * which FFmpeg 5.1 turns into the matrix (when encoding it drops the tag; its
   * `-display_rotation` option arrived in 6.0: 5.1 says "Unrecognized option").
   */
  rotation?: number;
  /**
   * One entry per audio stream: its channel count (FFmpeg's default layout for it), a named
   * layout ("5.1(side)"), or `{ unlabelled: n }` channels with no layout. Default one stereo stream.
   */
  audio?: AudioSpec[];
  /** Audio sample rate. Default 48000. */
  sampleRate?: number;
  /** The picture starts this much after the audio (`-itsoffset`), seconds; the audio lasts both. */
  videoDelaySeconds?: number;
  /** Audio starts this much after the picture (`-itsoffset`), seconds. */
  audioDelaySeconds?: number;
  /** Audio length when it differs from the picture's, seconds. */
  audioSeconds?: number;
  /**
   * Variable frame rate, kept in the file (`-fps_mode passthrough`): "steps" is 1 s at 30 fps
   * then 1 s at 24 fps (54 frames, a phone changing rate); "jitter" is 30 fps with every
   * third frame 10 ms late.
   */
  vfr?: "steps" | "jitter";
  /**
   * With `vfr: "steps"`, how long the 30 fps part lasts before the 24 fps second (default 1 s):
   * a change after the first 120 packets (~2 s with audio) is what the header probe missed
   * in Matroska, WebM and MPEG-TS (issue 13).
   */
  stepSeconds?: number;
}

/** Odd sizes need care: testsrc2 and 4:2:0 round a size down to even (1921x1081 came out 1920x1080). */
function isOddSize(spec: SourceSpec): boolean {
  const [w, h] = (spec.size ?? "160x90").split("x").map(Number) as [number, number];
  return w % 2 === 1 || h % 2 === 1;
}

function pictureGraph(spec: SourceSpec): string {
  // An odd size is cropped from the next even one, in RGB, and stored 4:4:4, which keeps it.
  const [w, h] = (spec.size ?? "160x90").split("x").map(Number) as [number, number];
  const odd = isOddSize(spec);
  const size = odd ? `${w + (w % 2)}x${h + (h % 2)}` : `${w}x${h}`;
  const crop = odd ? `,format=rgb24,crop=${w}:${h}:0:0` : "";
  const sar = spec.sar ? `,setsar=${spec.sar}` : "";
  if (spec.vfr === "steps") {
    return `testsrc2=size=${size}:rate=30:duration=${
      spec.stepSeconds ?? 1
    }[a];testsrc2=size=${size}:rate=24:duration=1[b];` +
      `[a][b]concat=n=2:v=1:a=0${sar}`;
  }
  if (spec.vfr === "jitter") {
    return `testsrc2=size=${size}:rate=30,settb=1/30000,setpts='PTS+if(eq(mod(N,3),1),0.3,0)*(1/30)/TB'${sar}`;
  }
  return `testsrc2=size=${size}:rate=${spec.fps ?? "25"}${crop}${sar}`;
}

export type AudioSpec = number | string | { unlabelled: number };

/** The lavfi source of one audio stream (one sine per channel when unlabelled: aevalsrc leaves the layout unset). */
function audioSource(spec: AudioSpec, i: number, rate: number, seconds: number | null): string {
  if (typeof spec === "object") {
    const exprs = Array.from({ length: spec.unlabelled }, (_, c) => `sin(${300 + 50 * c}*2*PI*t)`).join("|");
    return `aevalsrc=exprs=${exprs}:s=${rate}${seconds != null ? `:d=${seconds}` : ""}`;
  }
  const layout = typeof spec === "string" ? spec : spec === 1 ? "mono" : spec === 2 ? "stereo" : `${spec}c`;
  return `sine=frequency=${440 + 110 * i}:sample_rate=${rate}${
    seconds != null ? `:duration=${seconds}` : ""
  },aformat=channel_layouts=${layout}`;
}

export function makeSource(dir: string, spec: SourceSpec): string {
  const container = spec.container ?? "mov";
  const out = join(dir, `${spec.name}.${container}`);
  const audio = spec.audio ?? [2];
  const oddSize = isOddSize(spec);
  const seconds = spec.vfr === "steps" ? (spec.stepSeconds ?? 1) + 1 : spec.seconds ?? 2;
  const picture = `${pictureGraph(spec)}${
    spec.audioSeconds != null || spec.audioDelaySeconds ? `,trim=duration=${seconds}` : ""
  }`;
  const args = ["-hide_banner", "-v", "error", "-nostdin", "-y"];
  if (spec.videoDelaySeconds) args.push("-itsoffset", String(spec.videoDelaySeconds));
  args.push("-f", "lavfi", "-i", spec.videoDelaySeconds ? `${picture},trim=duration=${seconds}` : picture);
  audio.forEach((a, i) => {
    const length = spec.audioSeconds ?? (spec.audioDelaySeconds ? seconds - spec.audioDelaySeconds : null);
    if (spec.audioDelaySeconds) args.push("-itsoffset", String(spec.audioDelaySeconds));
    args.push("-f", "lavfi", "-i", audioSource(a, i, spec.sampleRate ?? 48000, length));
  });
  const total = Math.max(
    seconds + (spec.videoDelaySeconds ?? 0),
    (spec.audioDelaySeconds ?? 0) + (spec.audioSeconds ?? 0),
  );
  args.push("-t", String(total), "-map", "0:v");
  audio.forEach((_, i) => args.push("-map", `${i + 1}:a`));
  if (container === "mxf") args.push("-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-q:v", "4");
  else if (container === "webm") {
    args.push("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k");
  } else args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", oddSize ? "yuv444p" : "yuv420p", "-g", "12");
  const audioCodec = container === "mov" || container === "mxf"
    ? "pcm_s16le"
    : container === "ts"
    ? "mp2"
    : container === "webm"
    ? "libopus"
    : "aac";
  args.push("-c:a", audioCodec);
  if (spec.timecode) args.push("-timecode", spec.timecode);
  if (spec.reel) args.push("-metadata:s:v:0", `reel_name=${spec.reel}`);
  if (spec.startSeconds) args.push("-output_ts_offset", String(spec.startSeconds));
  if (spec.vfr) args.push("-fps_mode:v", "passthrough", "-enc_time_base:v", "-1");
  else if (spec.videoDelaySeconds) args.push("-fps_mode:v", "passthrough");
  const encoded = spec.rotation ? join(dir, `${spec.name}.unrotated.${container}`) : out;
  args.push(encoded);
  ffmpeg(spec.name, args);
  if (spec.rotation) {
    const copy = ["-hide_banner", "-v", "error", "-nostdin", "-y", "-i", encoded, "-map", "0", "-c", "copy"];
    ffmpeg(spec.name, [...copy, "-metadata:s:v:0", `rotate=${spec.rotation}`, out]);
  }
  return out;
}

function ffmpeg(name: string, args: string[]): void {
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`makeSource ${name} failed: ${r.stderr}`);
}
