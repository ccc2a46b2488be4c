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
  container?: "mov" | "mp4" | "mkv" | "mxf" | "ts";
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
  /** Sample aspect ratio ("4/3"); default square. */
  sar?: string;
  /**
   * One entry per audio stream: its channel count (FFmpeg's default layout for it), a named
   * layout ("5.1(side)"), or `{ unlabelled: n }` channels with no layout. Default one stereo stream.
   */
  audio?: AudioSpec[];
  /** Audio sample rate. Default 48000. */
  sampleRate?: number;
}

export type AudioSpec = number | string | { unlabelled: number };

/** The lavfi source of one audio stream (one sine per channel when unlabelled: aevalsrc leaves the layout unset). */
function audioSource(spec: AudioSpec, i: number, rate: number): string {
  if (typeof spec === "object") {
    const exprs = Array.from({ length: spec.unlabelled }, (_, c) => `sin(${300 + 50 * c}*2*PI*t)`).join("|");
    return `aevalsrc=exprs=${exprs}:s=${rate}`;
  }
  const layout = typeof spec === "string" ? spec : spec === 1 ? "mono" : spec === 2 ? "stereo" : `${spec}c`;
  return `sine=frequency=${440 + 110 * i}:sample_rate=${rate},aformat=channel_layouts=${layout}`;
}

export function makeSource(dir: string, spec: SourceSpec): string {
  const container = spec.container ?? "mov";
  const out = join(dir, `${spec.name}.${container}`);
  const audio = spec.audio ?? [2];
  const picture = `testsrc2=size=${spec.size ?? "160x90"}:rate=${spec.fps ?? "25"}${
    spec.sar ? `,setsar=${spec.sar}` : ""
  }`;
  const args = ["-hide_banner", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", picture];
  audio.forEach((a, i) => args.push("-f", "lavfi", "-i", audioSource(a, i, spec.sampleRate ?? 48000)));
  args.push("-t", String(spec.seconds ?? 2), "-map", "0:v");
  audio.forEach((_, i) => args.push("-map", `${i + 1}:a`));
  if (container === "mxf") args.push("-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-q:v", "4");
  else args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "12");
  args.push("-c:a", container === "mov" || container === "mxf" ? "pcm_s16le" : container === "ts" ? "mp2" : "aac");
  if (spec.timecode) args.push("-timecode", spec.timecode);
  if (spec.startSeconds) args.push("-output_ts_offset", String(spec.startSeconds));
  args.push(out);
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`makeSource ${spec.name} failed: ${r.stderr}`);
  return out;
}
