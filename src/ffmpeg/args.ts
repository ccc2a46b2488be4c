/**
 * The FFmpeg argv for one clip. Pure: (plan, probed source) → argv, so every rule here is
 * unit-tested without FFmpeg. What each codec and container asks of FFmpeg (encoder,
 * options, pixel format, audio, timecode, reel name, muxer) is read from the codec table,
 * `codecs.ts`, where the measured encoder choices are recorded too (docs/encoders.md).
 *
 * Scaler: default bicubic. fast_bilinear saves 0.23 s of 3.3 s (7 %) and aliases fine
 * detail; the scaler is not the bottleneck, decode and encode are.
 */
import { type Codec, codecFacts, type Container, containerFacts } from "./codecs.ts";
import { fileArg, frameRateValue } from "./syntax.ts";
import type { EncoderOptions, Resolution } from "../jobspec/schema.ts";

export type { Codec, Container, Resolution };

/**
 * What to make of one source; `output` is the temp path FFmpeg writes, renamed after
 * verification. The JobSpec's encoder options arrive here as written.
 */
export interface EncodePlan extends EncoderOptions {
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

/** Whether the output keeps the source's audio sample rate (from the codec table). */
export function keepsSampleRate(container: Container): boolean {
  return containerFacts(container).keepsSampleRate;
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
 * Throws, with a message for the operator, for an output the encoder cannot make (a DNxHD
 * size and rate outside Avid's sets, a DNxHR frame under 256x120).
 */
export function buildFfmpegArgs(plan: EncodePlan, source: SourceFacts): string[] {
  const srcW = source.video?.width ?? 0;
  const srcH = source.video?.height ?? 0;
  const { width, height } = expectedDimensions(plan.resolution, srcW, srcH);
  const fps = plan.fps ?? frameRateValue(source.video?.frame_rate);
  const codec = codecFacts(plan.codec);
  const container = containerFacts(plan.container);
  const out = { container: plan.container, width, height, fps, sourcePixFmt: source.video?.pix_fmt ?? null };

  const args = ["-hide_banner", "-nostats", "-loglevel", "level+warning", "-progress", "pipe:1", "-y"];
  args.push("-i", fileArg(plan.input));
  args.push("-map", "0:v:0", "-map", "0:a?");
  const filter = scaleFilter(plan.resolution, srcW, srcH);
  if (filter) args.push("-vf", filter);
  if (plan.fps != null) args.push("-r", String(plan.fps));
  args.push("-c:v", codec.encoder, ...codec.options(out), "-pix_fmt", codec.pixFmt(out));
  if (source.audio.length > 0) args.push(...container.audio);
  if (source.timecode && container.timecode) args.push("-timecode", source.timecode);
  if (source.reel_name && container.reelName) args.push("-metadata:s:v:0", `reel_name=${source.reel_name}`);
  args.push(...container.muxerOptions);
  args.push("-f", container.muxer, fileArg(plan.output));
  return args;
}
