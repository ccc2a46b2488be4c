/**
 * The FFmpeg argv for one clip. Pure: (plan, probed source) → argv, so every rule here is
 * unit-tested without FFmpeg. What each codec and container asks of FFmpeg (encoder,
 * options, pixel format, audio, timecode, reel name, muxer) is read from the codec table,
 * `codecs.ts`, where the measured encoder choices are recorded too (docs/encoders.md).
 *
 * Scaler: default bicubic. fast_bilinear saves 0.23 s of 3.3 s (7 %) and aliases fine
 * detail; the scaler is not the bottleneck, decode and encode are.
 */
import { type Codec, codecFacts, type Container, containerFacts, CONTAINERS } from "./codecs.ts";
import { fileArg, frameRateText, frameRateValue } from "./syntax.ts";
import { convertTimecode } from "./timecode.ts";
import { audioLayoutProblem, keepsStream } from "./audio-layouts.ts";
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
  /** null = keep the source rate. An NTSC rate is exact here (30000/1001, not 29.97: rules.ts). */
  fps: number | null;
}

/** The facts args needs from the probe (a MediaFacts satisfies it). */
export interface SourceFacts {
  video: { width: number; height: number; pix_fmt: string | null; frame_rate: string | null } | null;
  audio: { channels: number; sample_rate: number; channel_layout?: string | null }[];
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

/**
 * The video filter chain: the scale, and with `fps_explicit` the fps filter at the exact
 * rate. FFmpeg's output option `-r` instead drops or repeats frames as they are written and
 * pads the end: 50→25 fps gave 6.08 s for 6 s, 29.97→25 two frames too many. The fps filter
 * picks the source frame nearest each output time within the source's span, so the proxy
 * has duration × rate frames. It goes first when it lowers the rate, so fewer frames are
 * scaled.
 */
function videoFilters(plan: EncodePlan, srcW: number, srcH: number, sourceFps: number | null): string[] {
  const scale = scaleFilter(plan.resolution, srcW, srcH);
  const filters = scale ? [scale] : [];
  if (plan.fps == null) return filters;
  const fps = `fps=${frameRateText(plan.fps)}`;
  return sourceFps != null && plan.fps < sourceFps ? [fps, ...filters] : [...filters, fps];
}

/** Whether the output keeps the source's audio sample rate (from the codec table). */
export function keepsSampleRate(container: Container): boolean {
  return containerFacts(container).keepsSampleRate;
}

/**
 * The timecode written to the proxy: the source's label, carried to the output rate when
 * `fps_explicit` changes it (timecode.ts). null when the source has none or the container
 * carries none. Verification expects exactly this.
 */
export function outputTimecode(plan: { container: Container; fps: number | null }, source: SourceFacts): string | null {
  if (!source.timecode || !containerFacts(plan.container).timecode) return null;
  return convertTimecode(source.timecode, frameRateValue(source.video?.frame_rate), plan.fps);
}

/**
 * Why this source's audio cannot go into the container, or null. Each container's audio
 * encoder takes a limited number of channels per stream (codecs.ts); past it FFmpeg fails
 * half-way with an encoder error, so the clip is refused before FFmpeg starts, naming the
 * containers that can keep every channel.
 */
export function audioProblem(plan: { codec: Codec; container: Container }, source: SourceFacts): string | null {
  const { audioCodec, maxChannels } = containerFacts(plan.container).audioChannels;
  const index = source.audio.findIndex((a) => a.channels > maxChannels);
  if (index < 0) return null;
  const channels = source.audio[index]!.channels;
  const fits = (c: Container) => keepsStream(c, source.audio[index]!);
  const here = codecFacts(plan.codec).containers.filter(fits);
  const anywhere = CONTAINERS.filter(fits);
  const fix = here.length > 0
    ? `use container ${here.join(" or ")}, which keep${here.length === 1 ? "s" : ""} all ${channels} channels`
    : anywhere.length > 0
    ? `${plan.codec} goes only in ${
      codecFacts(plan.codec).containers.join(", ")
    }; to keep all ${channels} channels use a codec for ${anywhere.join(" or ")}`
    : "split the channels into streams of fewer channels first";
  return `audio stream ${index + 1} has ${channels} channels, but ${plan.container} audio is ${audioCodec}, ` +
    `which FFmpeg encodes with at most ${maxChannels} channels per stream; ${fix}`;
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
 * size and rate outside Avid's sets, a DNxHR frame under 256x120, an audio stream with more
 * channels than the container's audio encoder takes); the clip then fails at stage `probe`.
 */
export function buildFfmpegArgs(plan: EncodePlan, source: SourceFacts): string[] {
  const refusal = audioProblem(plan, source) ?? audioLayoutProblem(plan, source);
  if (refusal) throw new Error(refusal);
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
  const filters = videoFilters(plan, srcW, srcH, frameRateValue(source.video?.frame_rate));
  if (filters.length > 0) args.push("-vf", filters.join(","));
  args.push("-c:v", codec.encoder, ...codec.options(out), "-pix_fmt", codec.pixFmt(out));
  if (source.audio.length > 0) args.push(...container.audio);
  const timecode = outputTimecode(plan, source);
  if (timecode) args.push("-timecode", timecode);
  if (source.reel_name && container.reelName) args.push("-metadata:s:v:0", `reel_name=${source.reel_name}`);
  args.push(...container.muxerOptions);
  args.push("-f", container.muxer, fileArg(plan.output));
  return args;
}
