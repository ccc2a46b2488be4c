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
   * Display rotation in degrees (90, 180, 270), as a phone writes it: a display matrix on
   * the stored landscape picture. Written by a stream copy with `-metadata:s:v:0 rotate=N`,
   * which FFmpeg 5.1 turns into the matrix (when encoding it drops the tag; its
   * `-display_rotation` option arrived in 6.0: 5.1 says "Unrecognized option").
   */
  rotation?: number;
  /** One entry per audio stream: its channel count. Default one stereo stream. */
  audio?: number[];
}

export function makeSource(dir: string, spec: SourceSpec): string {
  const container = spec.container ?? "mov";
  const out = join(dir, `${spec.name}.${container}`);
  const audio = spec.audio ?? [2];
  // testsrc2 and 4:2:0 round a size down to even (1921x1081 came out 1920x1080): an odd size
  // is cropped from the next even one, in RGB, and stored 4:4:4, which keeps it.
  const [w, h] = (spec.size ?? "160x90").split("x").map(Number) as [number, number];
  const oddSize = w % 2 === 1 || h % 2 === 1;
  const size = oddSize ? `${w + (w % 2)}x${h + (h % 2)}` : `${w}x${h}`;
  const picture = `testsrc2=size=${size}:rate=${spec.fps ?? "25"}${oddSize ? `,format=rgb24,crop=${w}:${h}:0:0` : ""}${
    spec.sar ? `,setsar=${spec.sar}` : ""
  }`;
  const args = ["-hide_banner", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", picture];
  audio.forEach((channels, i) => {
    const layout = channels === 1 ? "mono" : channels === 2 ? "stereo" : `${channels}c`;
    args.push(
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${440 + 110 * i}:sample_rate=48000,aformat=channel_layouts=${layout}`,
    );
  });
  args.push("-t", String(spec.seconds ?? 2), "-map", "0:v");
  audio.forEach((_, i) => args.push("-map", `${i + 1}:a`));
  if (container === "mxf") args.push("-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-q:v", "4");
  else args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", oddSize ? "yuv444p" : "yuv420p", "-g", "12");
  args.push("-c:a", container === "mov" || container === "mxf" ? "pcm_s16le" : container === "ts" ? "mp2" : "aac");
  if (spec.timecode) args.push("-timecode", spec.timecode);
  if (spec.startSeconds) args.push("-output_ts_offset", String(spec.startSeconds));
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
