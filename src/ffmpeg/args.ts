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
  video:
    | {
      width: number;
      height: number;
      pix_fmt: string | null;
      frame_rate: string | null;
      /** Timing (probe.ts); absent: the first frame at the start, constant rate, length unknown. */
      start_seconds?: number | null;
      duration_seconds?: number | null;
      variable_frame_rate?: boolean;
    }
    | null;
  audio: { channels: number; sample_rate: number; start_seconds?: number | null; duration_seconds?: number | null }[];
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
  const fits = (c: Container) => containerFacts(c).audioChannels.maxChannels >= channels;
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

/** Time differences below this are rounding in the source's timestamps, not an offset. */
const TIME_EPSILON = 0.0005;

/** What timingPlan adds to the argv, and where the proxy's first frame will be. */
export interface TimingPlan {
  /** Video filters that go first. */
  videoFilters: string[];
  /** Output options after the filters. */
  options: string[];
  /** Per audio stream (by index), its filter chain, or null. */
  audioFilters: (string | null)[];
  /** When the proxy's first frame is shown, seconds after the proxy's start (verification). */
  firstFrameSeconds: number;
}

const KEEPS_VFR: Container[] = CONTAINERS.filter((c) => containerFacts(c).keepsVfr);

/**
 * How the proxy keeps the source's frames at their times ("same frames at the same times",
 * issue 13). FFmpeg's default for MOV, MP4 and MXF is constant-rate output on a grid that
 * starts at 0: it repeats and drops frames to fill that grid, so
 *  - a first frame after 0 (FFmpeg's MKV and MPEG-TS put video at 0.021 s, after the audio)
 *    gave a repeated first frame: 51 frames for 50, each one frame late;
 *  - a variable-rate source (a phone at 30 then 24 fps: 54 frames) gave 60 frames at 30 fps.
 * So:
 *  - a first frame within one frame of the start: the picture and every audio stream are
 *    moved back by the same amount, so the proxy starts with source frame 0 and the sound
 *    keeps its sync to the sample; the audio before the first picture (21 ms) is dropped.
 *  - a later first frame, or uneven frame spacing: frames are passed through with their own
 *    timestamps (`-fps_mode passthrough`; for uneven spacing in the source's own time base,
 *    so each frame keeps its time to the container's tick). MXF has one edit rate and starts
 *    every track with the picture: refused, naming the containers that keep them.
 *  - MXF, whose tracks all end with the shortest: audio that starts after the picture or
 *    ends before it is padded with silence (FFmpeg cut the file at the audio's end: 1.000 s
 *    of 2), and audio that runs on more than a frame past the picture is refused.
 * A constant-rate source whose streams start together gets none of this: its argv is as before.
 * Throws the refusal.
 */
export function timingPlan(
  plan: { codec: Codec; container: Container; fps: number | null },
  source: SourceFacts,
): TimingPlan {
  const video = source.video;
  const none: TimingPlan = {
    videoFilters: [],
    options: [],
    audioFilters: source.audio.map(() => null),
    firstFrameSeconds: 0,
  };
  if (!video) return none;
  const fps = frameRateValue(video.frame_rate);
  const frame = fps ? 1 / fps : 0;
  const start = Math.max(0, video.start_seconds ?? 0);
  const vfr = plan.fps == null && video.variable_frame_rate === true;
  const lateStart = start > frame + TIME_EPSILON;
  const mxf = !containerFacts(plan.container).keepsVfr;
  if (mxf && (vfr || lateStart)) throw new Error(vfrRefusal(plan, vfr, start));

  const timed: TimingPlan = { ...none, audioFilters: [...none.audioFilters] };
  const shift = start > TIME_EPSILON && !vfr && !lateStart ? start : 0;
  if (vfr || lateStart) {
    timed.options.push("-fps_mode:v", "passthrough");
    if (vfr) timed.options.push("-enc_time_base:v", "-1");
    timed.firstFrameSeconds = start;
  } else if (shift > 0) {
    timed.videoFilters.push("setpts=PTS-STARTPTS");
  }
  const videoEnd = video.duration_seconds != null ? start + video.duration_seconds : null;
  source.audio.forEach((a, i) => {
    const chain: string[] = [];
    if (mxf) {
      const audioStart = a.start_seconds ?? 0;
      const audioEnd = a.duration_seconds != null ? audioStart + a.duration_seconds : null;
      if (audioEnd != null && videoEnd != null && audioEnd > videoEnd + frame + TIME_EPSILON) {
        throw new Error(longAudioRefusal(plan, i, audioEnd - start, videoEnd - start));
      }
      // Silence from the first frame (and the audio before it dropped), to the picture's end.
      if (audioStart > start + TIME_EPSILON || shift > 0) {
        chain.push(`aresample=async=1:first_pts=${Math.round(start * a.sample_rate)}`);
      }
      if (shift > 0) chain.push("asetpts=PTS-STARTPTS");
      if (audioEnd == null || videoEnd == null || audioEnd < videoEnd - TIME_EPSILON || chain.length > 0) {
        const length = videoEnd != null ? videoEnd - start : null;
        if (length != null) chain.push(`apad=whole_dur=${seconds(length)}`);
      }
    } else if (shift > 0) {
      chain.push(`atrim=start=${seconds(shift)}`, `asetpts=PTS-${seconds(shift)}/TB`);
    }
    timed.audioFilters[i] = chain.length > 0 ? chain.join(",") : null;
  });
  return timed;
}

function seconds(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}

function keepingContainers(codec: Codec): string {
  const here = codecFacts(codec).containers.filter((c) => KEEPS_VFR.includes(c));
  return here.length > 0
    ? `use container ${here.join(" or ")}, which keep${here.length === 1 ? "s" : ""} it`
    : `${codec} goes only in ${codecFacts(codec).containers.join(", ")}; use a codec for ${KEEPS_VFR.join(", ")}`;
}

function vfrRefusal(plan: { codec: Codec; container: Container }, vfr: boolean, start: number): string {
  const what = vfr
    ? "the source has a variable frame rate (its frames are not evenly spaced)"
    : `the source's picture starts ${start.toFixed(3)} s after its audio`;
  const why = vfr
    ? "MXF holds one constant edit rate, so FFmpeg would repeat or drop frames"
    : "MXF starts every track with the picture, so that audio would be cut";
  const orConstant = vfr ? ", or set fps_mode explicit with fps_explicit for a constant-rate proxy" : "";
  return `${what}; ${why}; ${keepingContainers(plan.codec)}${orConstant}`;
}

function longAudioRefusal(plan: { codec: Codec }, index: number, audioEnd: number, videoEnd: number): string {
  return `audio stream ${index + 1} lasts ${audioEnd.toFixed(3)} s and the picture ${videoEnd.toFixed(3)} s; ` +
    `MXF ends every track with the picture, so ${(audioEnd - videoEnd).toFixed(3)} s of audio would be cut; ` +
    keepingContainers(plan.codec);
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
  const refusal = audioProblem(plan, source);
  if (refusal) throw new Error(refusal);
  const timing = timingPlan(plan, source);
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
  const filters = [...timing.videoFilters, ...videoFilters(plan, srcW, srcH, frameRateValue(source.video?.frame_rate))];
  if (filters.length > 0) args.push("-vf", filters.join(","));
  args.push(...timing.options);
  timing.audioFilters.forEach((chain, i) => chain && args.push(`-filter:a:${i}`, chain));
  args.push("-c:v", codec.encoder, ...codec.options(out), "-pix_fmt", codec.pixFmt(out));
  if (source.audio.length > 0) args.push(...container.audio);
  const timecode = outputTimecode(plan, source);
  if (timecode) args.push("-timecode", timecode);
  if (source.reel_name && container.reelName) args.push("-metadata:s:v:0", `reel_name=${source.reel_name}`);
  args.push(...container.muxerOptions);
  args.push("-f", container.muxer, fileArg(plan.output));
  return args;
}
