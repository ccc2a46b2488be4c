/**
 * Tiny synthetic clips for integration tests, made with FFmpeg's lavfi sources (testsrc2
 * picture, one sine per audio stream) so no media is checked into the repo.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface ClipOptions {
  width?: number;
  height?: number;
  fps?: number | string;
  seconds?: number;
  timecode?: string;
  reelName?: string;
  /** One entry per audio stream: its channel count. Default [2, 1] (stereo + mono). */
  audioChannels?: number[];
  sampleRate?: number;
  container?: "mov" | "mp4" | "mkv" | "mxf";
}

export function makeClip(dir: string, name: string, options: ClipOptions = {}): string {
  const { width = 320, height = 240, fps = 25, seconds = 0.5, audioChannels = [2, 1], sampleRate = 48000 } = options;
  const container = options.container ?? "mov";
  const out = join(dir, name);
  const args = [
    "-hide_banner",
    "-v",
    "error",
    "-nostdin",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${width}x${height}:rate=${fps}`,
  ];
  audioChannels.forEach((channels, i) => {
    const layout = channels === 1 ? "mono" : channels === 2 ? "stereo" : `${channels}c`;
    args.push(
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${440 + 110 * i}:sample_rate=${sampleRate},aformat=channel_layouts=${layout}`,
    );
  });
  args.push("-t", String(seconds), "-map", "0:v");
  audioChannels.forEach((_, i) => args.push("-map", `${i + 1}:a`));
  if (container === "mxf") args.push("-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-q:v", "4");
  else args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
  args.push("-c:a", container === "mp4" || container === "mkv" ? "aac" : "pcm_s16le");
  if (options.timecode) args.push("-timecode", options.timecode);
  if (options.reelName) args.push("-metadata:s:v:0", `reel_name=${options.reelName}`);
  args.push(out);
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`makeClip ${name} failed: ${r.stderr}`);
  return out;
}

/**
 * The smallest real clip (64x48, 12 fps, 0.25 s, no audio): what the replaying FFmpeg
 * stand-ins of the soak, the scaling bench and the coordinated tests copy from.
 */
export function makeTinyClip(dir: string, name: string): string {
  return makeClip(dir, name, { width: 64, height: 48, fps: 12, seconds: 0.25, audioChannels: [] });
}

/** The fields of ffprobe's `-show_streams` JSON that tests read (ffprobe prints many more). */
export interface FfprobeStream {
  codec_type: string;
  codec_name: string;
  codec_tag_string: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  channels?: number;
}

/** ffprobe as JSON, for assertions independent of the code under test. */
export function ffprobeJson(file: string): { streams: FfprobeStream[]; format: Record<string, unknown> } {
  const r = spawnSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
