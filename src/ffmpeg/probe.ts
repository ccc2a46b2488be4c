/**
 * Ask ffprobe what a file is. `parseProbeJson` is pure so the interpretation (which stream
 * carries the timecode, which audio streams count) is unit-tested without FFmpeg;
 * `probeMedia` only runs ffprobe and hands its JSON over.
 *
 * Timecode lives in different places per container (reference: proxy-relink.md): MOV keeps
 * it on a `tmcd` data stream, MXF at format level, some files on the video stream. We look
 * in that order, so a MOV source's real tmcd track wins over a stale format tag.
 */
import type { Platform } from "../platform/types.ts";
import type { MediaFacts } from "../engine/result.ts";
import { frameRateValue } from "./syntax.ts";
import { parsePictureFacts, type PictureFacts, probeFrameFacts } from "./picture-facts.ts";
import { hexDumpBytes, parseSps, type SpsFacts } from "./h264-sps.ts";
import { ffprobeJson, ffprobeRun, ProbeTimeoutError } from "./ffprobe-json.ts";

export { frameRateValue };

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * `json`: the header probe's output. `scan`: the whole-file packet scan of the picture
 * (scanVideoPackets), for a container whose headers do not describe every frame; it decides
 * the frame spacing over the whole file and gives the frame count.
 */
export function parseProbeJson(json: unknown, scan?: number[]): MediaFacts {
  const root: Json = json && typeof json === "object" ? json : {};
  const streams: Json[] = Array.isArray(root.streams) ? root.streams : [];
  const format: Json = root.format && typeof root.format === "object" ? root.format : {};

  // Cover art / thumbnails are "video" streams with attached_pic; they are not the picture.
  const video = streams.find((s) => s?.codec_type === "video" && s?.disposition?.attached_pic !== 1);
  const audio = streams.filter((s) => s?.codec_type === "audio");
  const data = streams.filter((s) => s?.codec_type === "data" || s?.codec_tag_string === "tmcd");

  const tag = (obj: Json, key: string): string | null => {
    const tags = obj?.tags;
    if (!tags || typeof tags !== "object") return null;
    // Tag case differs between muxers (reel_name vs REEL_NAME in Matroska).
    for (const [k, v] of Object.entries(tags)) {
      if (k.toLowerCase() === key && typeof v === "string" && v.trim() !== "") return v.trim();
    }
    return null;
  };
  // FFmpeg starts its output at the file's earliest stream (format start_time): stream
  // times below are relative to it, as they will be in the proxy.
  const fileStart = num(format.start_time) ?? 0;
  const firstOf = (obj: Json, keys: string[]) => keys.map((k) => tag(obj, k)).find((v) => v != null) ?? null;
  const firstTag = (key: string) =>
    data.map((s) => tag(s, key)).find((v) => v != null) ?? tag(format, key) ?? tag(video, key) ?? null;

  return {
    format_name: str(format.format_name),
    duration_seconds: mediaSeconds(
      str(format.format_name),
      num(format.duration) ?? num(video?.duration),
      num(format.start_time),
    ),
    video: video
      ? {
        codec_name: str(video.codec_name),
        profile: str(video.profile),
        width: num(video.width) ?? 0,
        height: num(video.height) ?? 0,
        pix_fmt: str(video.pix_fmt),
        frame_rate: usableRate(video.avg_frame_rate) ?? usableRate(video.r_frame_rate),
        nb_frames: num(video.nb_frames),
        sample_aspect_ratio: aspectRatio(video.sample_aspect_ratio),
        rotation: rotationOf(video),
        ...parsePictureFacts(video),
        start_seconds: since(videoStart(video, root.packets), fileStart),
        duration_seconds: streamSeconds(video, videoStart(video, root.packets), format.format_name),
        ...wholeFileTiming(video, root.packets, scan),
      }
      : null,
    audio: audio.map((s) => ({
      codec_name: str(s.codec_name),
      channels: num(s.channels) ?? 0,
      sample_rate: num(s.sample_rate) ?? 0,
      start_seconds: since(num(s.start_time), fileStart),
      duration_seconds: streamSeconds(s, num(s.start_time), format.format_name),
      channel_layout: str(s.channel_layout),
    })),
    timecode: firstTag("timecode"),
    reel_name: firstTag("reel_name"),
    // For lut_rules (src/looks/lut.ts): QuickTime/MP4 keys, plain make/model, MXF identification, Android.
    camera_make: firstOf(format, ["com.apple.quicktime.make", "make", "company_name", "com.android.manufacturer"]) ??
      firstOf(video, ["make", "company_name"]),
    camera_model: firstOf(format, ["com.apple.quicktime.model", "model", "product_name", "com.android.model"]) ??
      firstOf(video, ["model", "product_name"]),
  };
}

/**
 * Containers whose duration ffprobe reports from time zero, start offset included: a MOV,
 * MP4 or Matroska file whose first frame is at 10 s and lasts 2 s says 12 s. Elsewhere
 * (MPEG-TS, MXF, ...) the duration is already first to last sample.
 */
const DURATION_FROM_ZERO = /^(mov,mp4|matroska)/;

/**
 * How long the media lasts, first sample to last: what FFmpeg writes to the proxy, which it
 * starts at 0 (FFmpeg shifts the input's start time away), and so what verification and the
 * progress percentage compare against. A negative start (audio priming without an edit list)
 * is left as reported.
 */
function mediaSeconds(formatName: string | null, duration: number | null, start: number | null): number | null {
  if (duration == null || start == null || start <= 0 || !formatName || !DURATION_FROM_ZERO.test(formatName)) {
    return duration;
  }
  return Math.max(0, Math.round((duration - start) * 1e6) / 1e6);
}

/** "4:3" as given; null for a square, unset ("0:1") or unreadable pixel aspect. */
function aspectRatio(value: unknown): string | null {
  const m = typeof value === "string" ? /^(\d+):(\d+)$/.exec(value) : null;
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0 || m[1] === m[2]) return null;
  return value as string;
}

/**
 * The display rotation in degrees, normalised to [0, 360): a phone clip's display matrix
 * (side data, as ffprobe prints it: `rotate=90` gives 90, `rotate=270` gives -90, so 270
 * here), or the older `rotate` tag. FFmpeg turns the picture upright by it when encoding
 * (autorotate), so a 90 or 270 proxy is stored at the displayed size (args.ts, outputPicture).
 */
function rotationOf(video: Json): number {
  const sideData: Json[] = Array.isArray(video?.side_data_list) ? video.side_data_list : [];
  const matrix = sideData.find((d) => num(d?.rotation) != null);
  const degrees = num(matrix?.rotation) ?? num(video?.tags?.rotate) ?? 0;
  const normalised = Math.round((((degrees % 360) + 360) % 360) * 100) / 100;
  return normalised === 360 ? 0 : normalised;
}

/**
 * How many packets the probe lists (`-read_intervals %+#N`, no decoding): enough for the
 * first video timestamp (B-frames put it a few packets in) and the spacing of the first
 * second or two of frames. The packets are read by find_stream_info anyway for most files;
 * measured (header probe, median of 8) on the bench sources: 60 Mb/s UHD 0.100 → 0.095 s,
 * 20 Mb/s HD 0.095 → 0.090 s wall, 0.085 and 0.080 CPU s both ways: no cost within noise.
 */
export const PROBE_PACKETS = 120;
const REORDER_DEPTH = 4;

// deno-lint-ignore no-explicit-any
function videoPackets(video: any, packets: unknown): number[] {
  if (!Array.isArray(packets)) return [];
  const tb = frameRateValue(str(video?.time_base));
  if (tb == null) return [];
  return packets
    // Packets flagged D come before an edit list's start: decoded for reference, never shown.
    .filter((p) => p?.stream_index === video.index && num(p?.pts) != null && !discarded(p))
    .map((p) => num(p.pts)! * tb)
    .sort((a, b) => a - b);
}

// deno-lint-ignore no-explicit-any
const discarded = (p: any): boolean => typeof p?.flags === "string" && p.flags.includes("D");

/**
 * The first frame's presentation time. From the listed packets (the earliest pts; with
 * `-skip_frame` ffprobe's stream start_time for Matroska says 0 where the first frame is at
 * 0.021 s), else the stream's start_time.
 */
// deno-lint-ignore no-explicit-any
function videoStart(video: any, packets: unknown): number | null {
  const pts = videoPackets(video, packets);
  return pts.length > 0 ? pts[0]! : num(video?.start_time);
}

/**
 * Whether the headers' average rate differs from the base rate: MOV/MP4 compute it over the
 * whole file (a phone clip at 30 then 24 fps says 30/1 and 27/1).
 */
// deno-lint-ignore no-explicit-any
function headerRateVaries(video: any): boolean {
  const r = frameRateValue(str(video?.r_frame_rate));
  const avg = frameRateValue(str(video?.avg_frame_rate));
  // Field-coded interlaced video (1080i50 in MPEG-TS) says r 50/1, avg 25/1: constant rate.
  const fieldRate = r != null && avg != null && Math.abs(r / avg - 2) < 0.001;
  return r != null && avg != null && !fieldRate && Math.abs(avg / r - 1) > 0.0005;
}

/**
 * Whether sorted frame times are unevenly spaced by more than the container's rounding (two
 * ticks: a 29.97 fps Matroska file alternates 33 and 34 ms, which is constant rate).
 */
function unevenSpacing(pts: number[], tb: number): boolean {
  const gaps = pts.slice(1).map((t, i) => t - pts[i]!);
  if (gaps.length < 2) return false;
  return Math.max(...gaps) - Math.min(...gaps) > 2 * tb + 1e-6;
}

/**
 * Whether the frames are unevenly spaced, so a constant-rate proxy would repeat or drop
 * frames, and how many frames there are when the headers do not say. Where the headers
 * describe every frame (MOV/MP4, MXF: needsPacketScan), their average rate and the first
 * packets' spacing tell. Elsewhere (Matroska, WebM, MPEG-TS) the first 120 packets cover
 * about 2 s, so a rate change later was missed (issue 13): the whole-file scan of the
 * picture's packets decides, and counts the frames for verification. A count is kept only
 * when the frames are one rate-period apart (a field-coded stream could list fields).
 */
// deno-lint-ignore no-explicit-any
function wholeFileTiming(video: any, packets: unknown, scan: number[] | undefined): {
  variable_frame_rate: boolean;
  nb_frames?: number;
} {
  const tb = frameRateValue(str(video?.time_base)) ?? 0;
  // The window ends mid-way through B-frame reordering: its last few times have gaps that
  // later packets fill.
  const window = videoPackets(video, packets).slice(0, -REORDER_DEPTH);
  const header = headerRateVaries(video) || unevenSpacing(window, tb);
  const scanned = scannedPts(video, scan);
  if (scanned == null) return { variable_frame_rate: header };
  const variable = header || unevenSpacing(scanned, tb);
  const out: { variable_frame_rate: boolean; nb_frames?: number } = { variable_frame_rate: variable };
  // The scan counts what is shown: in a MOV/MP4 with an edit list, the header's nb_frames
  // also counts the frames the list trims.
  if (scanned.length > 0) {
    const rate = frameRateValue(usableRate(video?.avg_frame_rate) ?? usableRate(video?.r_frame_rate) ?? "");
    const gaps = scanned.slice(1).map((t, i) => t - scanned[i]!).sort((a, b) => a - b);
    const median = gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! : null;
    // Within one tick of the container's clock (29.97 fps in milliseconds: 33 or 34 ms).
    const framesApart = median == null || (rate != null && Math.abs(median - 1 / rate) <= tb + 1e-6);
    if (variable || framesApart) out.nb_frames = scanned.length;
  }
  return out;
}

/** The scan's presentation times in seconds, sorted; null when there was no scan. */
// deno-lint-ignore no-explicit-any
function scannedPts(video: any, scan: number[] | undefined): number[] | null {
  const tb = frameRateValue(str(video?.time_base));
  if (!scan || tb == null) return null;
  return scan.map((ticks) => ticks * tb).sort((a, b) => a - b);
}

function since(time: number | null, start: number): number | null {
  return time == null ? null : Math.round((time - start) * 1e6) / 1e6;
}

/**
 * A stream's own length. Matroska has none: ffprobe reports the per-track DURATION tag
 * ("00:00:02.021000000"), which is when the track ends, so its start is taken off; elsewhere
 * (MOV, MP4, MXF, MPEG-TS) the stream's duration is its length.
 */
// deno-lint-ignore no-explicit-any
function streamSeconds(stream: any, start: number | null, formatName: unknown): number | null {
  const tags = stream?.tags && typeof stream.tags === "object" ? stream.tags : {};
  const text = Object.entries(tags).find(([k]) => k.toUpperCase() === "DURATION")?.[1];
  const m = typeof text === "string" ? /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text) : null;
  const tagged = m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
  if (typeof formatName === "string" && formatName.startsWith("matroska")) {
    const end = tagged ?? num(stream?.duration);
    return end == null ? null : Math.max(0, Math.round((end - (start ?? 0)) * 1e6) / 1e6);
  }
  return num(stream?.duration);
}

function usableRate(rate: unknown): string | null {
  return typeof rate === "string" && frameRateValue(rate) != null ? rate : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" && v !== "unknown" ? v : null;
}

function num(v: unknown): number | null {
  if (v == null || v === "" || v === "N/A") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * How much ffprobe decodes. "full" lets it decode a picture, which is the only way to learn
 * some facts (H.264's pix_fmt, the size in MPEG-TS). "headers" passes `-skip_frame:v all`:
 * container, parameter sets and audio are still read (audio is still decoded, so an HE-AAC
 * channel count stays true), but no picture is decoded. That is most of ffprobe's time on a
 * dense source: 480 ms to 100 ms on 60 Mb/s UHD H.264, 230 ms to 100 ms on 20 Mb/s HD.
 */
export type ProbeDepth = "full" | "headers";

/**
 * The header probe reads a few MB at most, so a probe that takes minutes is stuck (a stalled
 * network share, a hung disk): it is killed and the clip fails, rather than the job hanging
 * forever. The packet scan of a Matroska/WebM/MPEG-TS file reads more (MPEG-TS the whole
 * file, about 300 MB/s from the page cache: a 4.5 GB file in ~15 s) within the same limit.
 * Lowered to the clip's own --timeout-seconds when that is shorter.
 */
export const PROBE_TIMEOUT_MS = 120_000;

export { ProbeTimeoutError };

export function probeTimeoutMs(clipTimeoutSeconds: number): number {
  return clipTimeoutSeconds > 0 ? Math.min(PROBE_TIMEOUT_MS, clipTimeoutSeconds * 1000) : PROBE_TIMEOUT_MS;
}

/** Run ffprobe on `file`; throws an Error naming the file and ffprobe's last stderr line. */
export async function probeMedia(
  platform: Platform,
  ffprobePath: string,
  file: string,
  depth: ProbeDepth = "full",
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<MediaFacts> {
  const json = await headerJson(platform, ffprobePath, file, depth, timeoutMs);
  return await completeFacts(platform, ffprobePath, file, json, timeoutMs, false);
}

async function headerJson(
  platform: Platform,
  ffprobePath: string,
  file: string,
  depth: ProbeDepth,
  timeoutMs: number,
): Promise<unknown> {
  return await ffprobeJson(
    platform,
    ffprobePath,
    [
      "-show_format",
      "-show_streams",
      // A few packets' timestamps (not decoded): the first frame's time and the frame spacing.
      "-show_entries",
      "packet=stream_index,pts,flags",
      "-read_intervals",
      `%+#${PROBE_PACKETS}`,
      ...(depth === "headers" ? ["-skip_frame:v", "all"] : []),
    ],
    file,
    timeoutMs,
  );
}

/** The facts of a header probe's JSON, with the packet scan and the one-frame probe where they are needed. */
async function completeFacts(
  platform: Platform,
  ffprobePath: string,
  file: string,
  json: unknown,
  timeoutMs: number,
  source: boolean,
  /** The first video stream's SPS, read already (probeSource); else read here when needed. */
  firstSps?: Promise<SpsFacts | null>,
): Promise<MediaFacts> {
  const video = pictureStream(json);
  const scan = video && needsPacketScan(json)
    ? await scanVideoPackets(platform, ffprobePath, file, Number(video.index), timeoutMs)
    : undefined;
  const facts = parseProbeJson(json, scan);
  if (facts.video) {
    // A source's progressive field order is checked on a decoded frame; a proxy's is proxx's own.
    let codec = source ? facts.video.codec_name : null;
    // Unless its parameter set already says what that frame would: H.264 coded as frames only.
    const sps = codec === "h264" && !isInterlaced(facts.video)
      ? await (video?.disposition?.attached_pic !== 1 && firstVideoIndex(json) === Number(video?.index) && firstSps
        ? firstSps
        : readSps(platform, ffprobePath, file, String(video?.index ?? 0), timeoutMs))
      : null;
    if (sps?.frameMbsOnly) {
      facts.video = withSpsFacts(facts.video, sps);
      codec = null;
    }
    facts.video = await probeFrameFacts(platform, ffprobePath, file, facts.video, timeoutMs, codec);
  }
  return facts;
}

/**
 * The SPS facts of H.264 stream `index` (h264-sps.ts), from its extradata alone: its own
 * ffprobe run, because `-show_data` in the header probe would hex-dump every listed packet
 * too (4 s for 120 ProRes packets). 0.07 s, against 0.3–0.7 s to decode a frame (1080p–UHD).
 * Null when it cannot be read: then a frame is decoded, as before.
 */
async function readSps(
  platform: Platform,
  ffprobePath: string,
  file: string,
  stream: string,
  timeoutMs: number,
): Promise<SpsFacts | null> {
  try {
    const args = ["-select_streams", stream, "-show_entries", "stream=extradata", "-show_data"];
    const json = await ffprobeJson(platform, ffprobePath, [...args, "-skip_frame:v", "all"], file, timeoutMs);
    const extradata = (json as Json)?.streams?.[0]?.extradata;
    return typeof extradata === "string" ? parseSps(hexDumpBytes(extradata)) : null;
  } catch {
    return null;
  }
}

const isInterlaced = (facts: PictureFacts) => facts.fields === "tff" || facts.fields === "bff";

/** A progressive H.264 stream's facts with the tags its SPS states where the headers left them out. */
function withSpsFacts<T extends PictureFacts>(facts: T, sps: SpsFacts): T {
  const colour = { ...(facts.colour ?? { primaries: null, transfer: null, matrix: null, range: null }) };
  for (const key of ["primaries", "transfer", "matrix", "range"] as const) colour[key] ??= sps.colour[key];
  const tagged = Object.values(colour).some((v) => v != null);
  return { ...facts, fields: "progressive", ...(tagged ? { colour } : {}) };
}

/** The index of the first video stream (what `-select_streams v:0` picks). */
function firstVideoIndex(json: unknown): number | null {
  const streams: Json[] = Array.isArray((json as Json)?.streams) ? (json as Json).streams : [];
  const first = streams.find((s) => s?.codec_type === "video");
  return first ? Number(first.index) : null;
}

function pictureStream(json: unknown): Json | undefined {
  const streams: Json[] = Array.isArray((json as Json)?.streams) ? (json as Json).streams : [];
  return streams.find((s) => s?.codec_type === "video" && s?.disposition?.attached_pic !== 1);
}

/**
 * Containers whose headers describe every frame, so the header probe sees a rate change
 * anywhere in the file: MOV/MP4 (the sample table gives the average rate over the whole
 * file, and the frame count) and MXF (one constant edit rate). Every other container
 * (Matroska, WebM, MPEG-TS, ...) gets the whole-file packet scan.
 */
const DESCRIBES_EVERY_FRAME = /^(mov,mp4|mxf)/;

/**
 * Whether the picture's packets must be read the whole file through: in a container whose
 * headers do not describe every frame, and in a MOV/MP4 with an edit list that trims frames
 * (a `-ss` stream copy keeps the frames from the keyframe before the cut, flagged D), whose
 * header frame count is then not what is shown: 100 for the 70 of a 4 s clip cut at 1.2 s.
 * Such an edit list shows as D packets among the listed ones, or as a frame count that
 * does not fill the stream's duration at the average rate (an edit that ends early).
 */
export function needsPacketScan(json: unknown): boolean {
  const name = (json as Json)?.format?.format_name;
  if (typeof name !== "string") return false;
  if (!DESCRIBES_EVERY_FRAME.test(name)) return true;
  if (!name.startsWith("mov,mp4")) return false;
  const video = pictureStream(json);
  const packets: Json[] = Array.isArray((json as Json)?.packets) ? (json as Json).packets : [];
  if (packets.some((p) => p?.stream_index === video?.index && discarded(p))) return true;
  const frames = num(video?.nb_frames);
  const rate = frameRateValue(str(video?.avg_frame_rate));
  const seconds = num(video?.duration);
  return frames != null && rate != null && seconds != null && Math.abs(frames / rate - seconds) > 1 / rate + 1e-3;
}

/**
 * Every packet's presentation time (stream ticks) of the picture stream `index`, the whole
 * file through, read without decoding: packets only, one short line each. Packets the
 * demuxer marks for discard (flag D, before an edit list's start) are left out. Cost
 * (docs/fidelity.md, Decisions): 0.13 s more than the header probe alone on a 10-minute
 * Matroska file, 0.17 s on a 10-minute MPEG-TS; MPEG-TS is read at about 300 MB/s from the
 * page cache (its parser assembles every frame), Matroska skips the frame data.
 */
export async function scanVideoPackets(
  platform: Platform,
  ffprobePath: string,
  file: string,
  index: number,
  timeoutMs: number,
): Promise<number[]> {
  const args = ["-select_streams", String(index), "-show_entries", "packet=pts,flags"];
  const { stdout } = await ffprobeRun(platform, ffprobePath, "compact=p=0:nk=1", args, file, timeoutMs).catch(
    (error) => {
      if (!(error instanceof ProbeTimeoutError)) throw error;
      throw new ProbeTimeoutError(
        `reading every frame's time of ${file} (to find a frame-rate change: its container does not ` +
          `list them in its headers) took longer than ${Math.round(timeoutMs / 100) / 10} s`,
      );
    },
  );
  return parsePacketScan(stdout);
}

/** `pts|flags|` lines (blank lines between them) to the times of the packets shown. */
export function parsePacketScan(text: string): number[] {
  const ticks: number[] = [];
  for (const line of text.split("\n")) {
    const [pts, flags] = line.split("|");
    const value = num(pts);
    if (value != null && !(flags ?? "").includes("D")) ticks.push(value);
  }
  return ticks;
}

/** Facts a job needs beyond the headers: only ProRes 4444 asks for the pixel format (alpha). */
export interface ProbeNeeds {
  pixFmt: boolean;
}

/**
 * Probe a source once, as cheaply as the job allows: headers first, and a full probe only
 * when they leave out a fact the job needs (the size or rate of a raw or MPEG-TS stream,
 * every audio stream's layout, the pixel format when ProRes 4444 must know about alpha).
 * A source whose header probe fails gets the full probe too, whose error is the one reported.
 */
export async function probeSource(
  platform: Platform,
  ffprobePath: string,
  file: string,
  needs: ProbeNeeds,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<MediaFacts> {
  // Started beside the header probe (2 cores, nothing else running yet), used when the
  // source is H.264: its wall time is then hidden. Never rejects (readSps), and is always
  // awaited, so no ffprobe of ours outlives the probe, even a stuck one.
  const sps = readSps(platform, ffprobePath, file, "v:0", timeoutMs);
  try {
    let json: unknown = null;
    try {
      json = await headerJson(platform, ffprobePath, file, "headers", timeoutMs);
      if (!headerFactsSuffice(parseProbeJson(json), needs)) json = null;
    } catch (error) {
      // A stuck source stays stuck: do not wait for it twice.
      if (error instanceof ProbeTimeoutError) throw error;
      /* otherwise the full probe below says why */
    }
    json ??= await headerJson(platform, ffprobePath, file, "full", timeoutMs);
    return await completeFacts(platform, ffprobePath, file, json, timeoutMs, true, sps);
  } finally {
    await sps;
  }
}

/** Whether a header-only probe gave everything the argument builder and verification use. */
export function headerFactsSuffice(facts: MediaFacts, needs: ProbeNeeds): boolean {
  const video = facts.video;
  if (!video || video.width <= 0 || video.height <= 0 || !video.codec_name) return false;
  if (frameRateValue(video.frame_rate) == null || facts.duration_seconds == null) return false;
  if (needs.pixFmt && !video.pix_fmt) return false;
  return facts.audio.every((a) => a.channels > 0 && a.sample_rate > 0);
}
