/**
 * The FFmpeg argv for one clip. Pure: (plan, probed source) → argv, so every rule here is
 * unit-tested without FFmpeg. What each codec and container asks of FFmpeg (encoder,
 * options, pixel format, audio, timecode, reel name, muxer) is read from the codec table,
 * `codecs.ts`, where the measured encoder choices are recorded too (docs/encoders.md).
 *
 * Scaler: default bicubic. fast_bilinear saves 0.23 s of 3.3 s (7 %) and aliases fine
 * detail; the scaler is not the bottleneck, decode and encode are.
 */
import { carriesSar, type Codec, codecFacts, type Container, containerFacts, CONTAINERS } from "./codecs.ts";
import { fileArg, frameRateText, frameRateValue } from "./syntax.ts";
import { convertTimecode } from "./timecode.ts";
import { colourRefusal, withHdr10 } from "./colour.ts";
import { fieldFilters, fieldOptions } from "./fielding.ts";
import type { PictureFacts } from "./picture-facts.ts";
import { audioLayoutProblem, keepsStream } from "./audio-layouts.ts";
import type { EncoderOptions, Resolution } from "../jobspec/schema.ts";
import { type OverlayFiles, overlayPlan } from "../looks/overlays.ts";
import { type LookFiles, lookFilters } from "../looks/look-filters.ts";

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
  /** The clip's LUT files (src/looks/lut.ts, prepareLook); absent or null: no LUT. */
  lut_files?: LookFiles | null;
  /** The font and text files of the burn-ins and text watermark, written before FFmpeg starts (looks/overlays.ts). */
  overlay_files?: OverlayFiles | null;
}

/** The picture facts args needs (a MediaFacts video satisfies it). */
export interface SourceVideo {
  width: number;
  height: number;
  pix_fmt: string | null;
  frame_rate: string | null;
  /** "4:3"; null or absent: square pixels. */
  sample_aspect_ratio?: string | null;
  /** Display rotation, degrees in [0, 360) (probe.ts); absent: 0. */
  rotation?: number;
}

/** Timing facts of the source's picture (probe.ts); absent: the first frame at the start, constant rate, length unknown. */
export interface SourceTiming {
  start_seconds?: number | null;
  duration_seconds?: number | null;
  variable_frame_rate?: boolean;
}

/** The facts args needs from the probe (a MediaFacts satisfies it). */
export interface SourceFacts {
  video: (SourceVideo & PictureFacts & SourceTiming) | null;
  audio: {
    channels: number;
    sample_rate: number;
    channel_layout?: string | null;
    start_seconds?: number | null;
    duration_seconds?: number | null;
  }[];
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

/** A pixel aspect ratio, reduced. */
export interface Ratio {
  num: number;
  den: number;
}

const SQUARE: Ratio = { num: 1, den: 1 };
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const evenRound = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** "1" or "10/11", as FFmpeg's setsar takes it. */
const ratioText = (r: Ratio) => (r.den === 1 ? String(r.num) : `${r.num}/${r.den}`);

/** "4:3" or "4/3" reduced; square for null, "0:1" and anything unreadable. */
export function parseRatio(text: string | null | undefined): Ratio {
  const m = text ? /^(\d+)[:/](\d+)$/.exec(text) : null;
  const num = m ? Number(m[1]) : 0;
  const den = m ? Number(m[2]) : 0;
  if (!(num > 0 && den > 0)) return SQUARE;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/**
 * The picture as FFmpeg's filters get it, which is how the editor sees the source: FFmpeg
 * turns a rotated phone clip upright before the filters (autorotate), so at 90° and 270°
 * width and height swap and the pixel aspect inverts (its transpose filter does the same).
 */
export function displayedPicture(video: SourceVideo): { width: number; height: number; sar: Ratio } {
  const sar = parseRatio(video.sample_aspect_ratio);
  const turned = video.rotation === 90 || video.rotation === 270;
  return turned
    ? { width: video.height, height: video.width, sar: { num: sar.den, den: sar.num } }
    : { width: video.width, height: video.height, sar };
}

/** Width over height as displayed: the stored size times the pixel aspect. */
export function displayAspect(width: number, height: number, sar: Ratio): number {
  return (width * sar.num) / (height * sar.den);
}

/**
 * How far a proxy's displayed aspect may be from its source's: one even-rounding step (2
 * pixels) in each dimension, relative. Sizes are rounded to even (half of 1918 is 958), so a
 * proxy 1 px off its exact shape conforms; a squeezed or unrotated one (16:9 shown 4:3, 9:16
 * shown 16:9) is far outside it.
 */
export function aspectTolerance(width: number, height: number): number {
  return 2 / width + 2 / height;
}

/** The proxy's picture: stored size, pixel aspect, and the scale filter that makes it (null: none). */
export interface OutputPicture {
  width: number;
  height: number;
  sar: Ratio;
  filter: string | null;
}

/**
 * The proxy's picture for a resolution choice, in the one place args and verification share
 * (docs/fidelity.md says why each rule):
 * - same/half/quarter: the displayed (upright) size scaled as expectedDimensions says, with
 *   the source's pixel aspect kept exactly. FFmpeg's scale keeps the displayed aspect by
 *   bending the pixel aspect whenever rounding to even changes the shape (1921x1081 came out
 *   1920x1080 at SAR 17289:17296, a pixel aspect no editor offers), so then `setsar` sets
 *   the source's back; the picture is then within one even step of its exact shape.
 * - A container that cannot carry the pixel aspect (MXF): a non-square source is scaled to
 *   square pixels at its displayed shape, keeping the stored height (no vertical resampling of
 *   fields): 1440x1080 at 4:3, half, is 960x540 at 1:1.
 * - WIDTHxHEIGHT is the size the editor sees, in square pixels: the picture fitted inside the
 *   box, keeping its displayed shape. A source of the box's shape fills it exactly; a 4:3 or
 *   portrait source is as wide (tall) as the box allows: 9:16 in 1280x720 is 406x720, never
 *   a portrait picture stretched across a landscape frame.
 * For an ordinary source (square pixels, upright, even size) the filter is what it always was.
 */
export function outputPicture(resolution: Resolution, container: Container, video: SourceVideo): OutputPicture {
  const src = displayedPicture(video);
  const aspect = displayAspect(src.width, src.height, src.sar);
  if (typeof resolution === "object") {
    const box = expectedDimensions(resolution, src.width, src.height);
    const { width, height } = fitInBox(box, aspect);
    // FFmpeg's scale gives square pixels by itself exactly when the shape is unchanged.
    const squareByScale = src.width * src.sar.num * height === src.height * src.sar.den * width;
    return { width, height, sar: SQUARE, filter: `scale=${width}:${height}${squareByScale ? "" : ",setsar=1"}` };
  }
  const dims = expectedDimensions(resolution, src.width, src.height);
  const square = src.sar.num === src.sar.den;
  if (!square && !carriesSar(container)) {
    const width = evenRound(dims.height * aspect);
    return { width, height: dims.height, sar: SQUARE, filter: `scale=${width}:${dims.height},setsar=1` };
  }
  const scale = scaleFilter(resolution, src.width, src.height);
  const uniform = dims.width * src.height === dims.height * src.width;
  const filter = scale == null || uniform ? scale : `${scale},setsar=${ratioText(src.sar)}`;
  return { ...dims, sar: src.sar, filter };
}

/**
 * The largest even size inside the box with the given displayed aspect; the box itself when
 * it has that shape within even rounding (1280x720 for 1921x1081, 642x360 asked as 641x359).
 */
function fitInBox(box: { width: number; height: number }, aspect: number): { width: number; height: number } {
  const boxAspect = box.width / box.height;
  if (Math.abs(aspect / boxAspect - 1) <= aspectTolerance(box.width, box.height)) return box;
  if (aspect >= boxAspect) {
    return { width: box.width, height: Math.min(box.height, evenRound(box.width / aspect)) };
  }
  return { width: Math.min(box.width, evenRound(box.height * aspect)), height: box.height };
}

/**
 * Why FFmpeg cannot turn this source upright, or null. Its autorotate handles quarter turns
 * only; at any other angle it warns and encodes the stored picture, which would display
 * tilted differently from the source.
 */
export function rotationProblem(video: SourceVideo): string | null {
  const rotation = video.rotation ?? 0;
  if (rotation % 90 === 0) return null;
  return `the source's display matrix rotates the picture by ${rotation}°, and FFmpeg turns a picture upright ` +
    `only by quarter turns (90°, 180°, 270°); rotate the source by a multiple of 90° first`;
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
function videoFilters(plan: EncodePlan, scale: string | null, sourceFps: number | null): string[] {
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
 * channels than the container's audio encoder takes, a display rotation FFmpeg cannot undo);
 * the clip then fails at stage `probe`.
 */
export function buildFfmpegArgs(plan: EncodePlan, source: SourceFacts): string[] {
  const refusal = audioProblem(plan, source) ?? audioLayoutProblem(plan, source) ??
    colourRefusal(plan, source.video ?? {});
  if (refusal) throw new Error(refusal);
  const timing = timingPlan(plan, source);
  const video = source.video ?? { width: 0, height: 0, pix_fmt: null, frame_rate: null };
  const turn = rotationProblem(video);
  if (turn) throw new Error(turn);
  const picture = outputPicture(plan.resolution, plan.container, video);
  const { width, height } = picture;
  const fps = plan.fps ?? frameRateValue(source.video?.frame_rate);
  const codec = codecFacts(plan.codec);
  const container = containerFacts(plan.container);
  const out = { container: plan.container, width, height, fps, sourcePixFmt: source.video?.pix_fmt ?? null };

  const args = ["-hide_banner", "-nostats", "-loglevel", "level+warning", "-progress", "pipe:1", "-y"];
  args.push("-i", fileArg(plan.input));
  const facts: PictureFacts = source.video ?? {};
  const pixFmt = codec.pixFmt(out);
  const filters = [
    ...timing.videoFilters,
    ...fieldFilters(plan, facts, videoFilters(plan, picture.filter, frameRateValue(source.video?.frame_rate))),
  ];
  // The look after timing, fields and scale: the LUT, then the watermark and burn-ins (at the
  // proxy's size: their sizes are fractions of its height, and fewer pixels are drawn on), then
  // the pixel format pinned last (look-filters.ts).
  const overlays = overlayPlan(plan, height, plan.overlay_files);
  if (overlays.image) {
    // The image is input 1: a graph of two inputs is a filter_complex, its output mapped.
    args.push("-i", fileArg(overlays.image.path));
    const picture = lookFilters(filters, plan.lut_files, video, pixFmt);
    const graph = `[0:v:0]${picture.length > 0 ? picture.join(",") : "null"}[base];` +
      overlays.image.graph(1, "base", "marked") +
      `;[marked]${[...overlays.filters, `format=${pixFmt}`].join(",")}[vout]`;
    args.push("-filter_complex", graph, "-map", "[vout]", "-map", "0:a?");
  } else {
    args.push("-map", "0:v:0", "-map", "0:a?");
    const chain = lookFilters(filters, plan.lut_files, video, pixFmt, overlays.filters);
    if (chain.length > 0) args.push("-vf", chain.join(","));
  }
  args.push(...timing.options);
  timing.audioFilters.forEach((chain, i) => chain && args.push(`-filter:a:${i}`, chain));
  // A LUT makes a Rec.709 SDR picture: the source's HDR10 metadata would be false on it.
  const hdr = plan.lut_files ? {} : facts;
  args.push("-c:v", codec.encoder, ...withHdr10(plan, hdr, codec.options(out)), ...fieldOptions(plan, facts));
  args.push("-pix_fmt", pixFmt);
  if (source.audio.length > 0) args.push(...container.audio);
  const timecode = outputTimecode(plan, source);
  if (timecode) args.push("-timecode", timecode);
  if (source.reel_name && container.reelName) args.push("-metadata:s:v:0", `reel_name=${source.reel_name}`);
  args.push(...container.muxerOptions);
  args.push("-f", container.muxer, fileArg(plan.output));
  return args;
}
