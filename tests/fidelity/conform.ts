/**
 * The contract a proxy is checked against ("What conforms means", issue 13), from ffprobe
 * facts read here independently of the code under test: frames decoded and counted
 * (`-count_frames`), not taken from headers.
 *
 * `conformance` returns every way the proxy differs from its source, worded like a
 * verification reason; an empty list means the proxy conforms.
 */
import { spawnSync } from "node:child_process";

export interface Facts {
  video: {
    /** Decoded frames. */
    frames: number;
    width: number;
    height: number;
    /** Sample aspect ratio as ffprobe prints it ("4:3"); "1:1" when not set. */
    sarText: string;
    /** Sample aspect ratio; 1 when not set. */
    sar: number;
    /** Display rotation from the display matrix, degrees in [0, 360); 0 when none. */
    rotation: number;
    /** Displayed aspect ratio: width × sar / height, turned by the rotation (a portrait phone clip is < 1). */
    dar: number;
    /** r_frame_rate as ffprobe prints it ("30000/1001"). */
    rate: string;
    /** Presentation time of the first frame, seconds. */
    start: number;
  };
  /** `layout`: ffprobe's channel_layout, null when the file records none ("unknown"). */
  audio: { channels: number; sampleRate: number; layout: string | null }[];
  timecode: string | null;
  /** The reel name (MOV: on the timecode track; Matroska: the video stream's REEL_NAME). */
  reel: string | null;
}

const ratio = (text: string | undefined): number | null => {
  if (!text) return null;
  const [n, d] = text.split(/[:/]/).map(Number);
  return n && d ? n / d : null;
};

export function probeFacts(file: string): Facts {
  const r = spawnSync("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-print_format",
    "json",
    "-show_format",
    "-show_streams",
    file,
  ], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  // deno-lint-ignore no-explicit-any -- ffprobe JSON; the fields read are checked below
  const json = JSON.parse(r.stdout) as { streams: any[]; format: any };
  const v = json.streams.find((s) => s.codec_type === "video");
  if (!v) throw new Error(`${file} has no video stream`);
  const sar = ratio(v.sample_aspect_ratio) ?? 1;
  // deno-lint-ignore no-explicit-any -- ffprobe JSON
  const matrix = (v.side_data_list ?? []).find((d: any) => d.rotation != null);
  const rotation = ((Number(matrix?.rotation ?? 0) % 360) + 360) % 360;
  const stored = (v.width * sar) / v.height;
  const tags = [...json.streams.map((s) => s.tags), json.format.tags].filter(Boolean);
  return {
    video: {
      frames: Number(v.nb_read_frames),
      width: v.width,
      height: v.height,
      sarText: ratio(v.sample_aspect_ratio) == null ? "1:1" : v.sample_aspect_ratio,
      sar,
      rotation,
      dar: rotation === 90 || rotation === 270 ? 1 / stored : stored,
      rate: v.r_frame_rate,
      start: Number(v.start_time ?? 0),
    },
    audio: json.streams.filter((s) => s.codec_type === "audio").map((s) => ({
      channels: s.channels,
      sampleRate: Number(s.sample_rate),
      layout: s.channel_layout && s.channel_layout !== "unknown" ? s.channel_layout : null,
    })),
    timecode: tags.map((t) => t.timecode).find((t) => typeof t === "string") ?? null,
    reel: tags.map((t) => t.reel_name ?? t.REEL_NAME).find((t) => typeof t === "string") ?? null,
  };
}

export interface ContractPlan {
  /** null: same as source. Otherwise the exact output rate. */
  fps: number | null;
  /** The rational the proxy's r_frame_rate must be ("30000/1001"), when fps is set. */
  rate?: string;
  /** The container changes the sample rate (mxf, webm: 48 kHz). */
  sampleRate?: number;
  /** The timecode the proxy must carry; undefined: not checked (container carries none). */
  timecode?: string | null;
  /** The reel name the proxy must carry; undefined: not checked (container carries none). */
  reel?: string | null;
  /** The proxy must have square pixels (MXF, which cannot carry a SAR; a square source). */
  squarePixels?: boolean;
  /** The proxy's container ("mkv"): Matroska and WebM hold times to the millisecond, not rates. */
  container?: string;
  /**
   * A variable-rate source's decoded frame times and its proxy's (frameTimes): compared
   * instead of the rates, which ffprobe guesses differently per container for such a file
   * (Matroska 30/1 from the first frames, MOV 120/1 for 30 and 24 fps mixed).
   */
  frameTimes?: { source: number[]; proxy: number[] };
}

/**
 * The same rate: exactly, except where the container keeps millisecond timestamps and no
 * rate (Matroska, WebM): ffprobe then derives the rate from them (59.94 in WebM reads
 * 19001/317), and the frames' times within a millisecond are what such a file can hold.
 */
function sameRate(proxy: string, source: string, container: string | undefined): boolean {
  if (proxy === source) return true;
  if (container !== "mkv" && container !== "webm") return false;
  const p = ratio(proxy);
  const s = ratio(source);
  return p != null && s != null && Math.abs(p / s - 1) < 1e-4;
}

/** Every difference between proxy and source that breaks the contract; [] when it conforms. */
export function conformance(source: Facts, proxy: Facts, plan: ContractPlan): string[] {
  const problems: string[] = [];
  const sourceFps = ratio(source.video.rate)!;
  const seconds = source.video.frames / sourceFps;
  if (plan.fps == null) {
    if (proxy.video.frames !== source.video.frames) {
      problems.push(`${proxy.video.frames} frames, the source has ${source.video.frames}`);
    }
    if (plan.frameTimes) {
      const shift = largestSpacingShift(plan.frameTimes.source, plan.frameTimes.proxy);
      // Matroska and WebM hold times to the millisecond.
      if (shift > 0.001 + 1e-9) problems.push(`frame times differ from the source's by up to ${shift.toFixed(4)} s`);
    } else if (!sameRate(proxy.video.rate, source.video.rate, plan.container)) {
      problems.push(`rate ${proxy.video.rate}, source ${source.video.rate}`);
    }
  } else {
    const want = Math.round(seconds * plan.fps);
    if (Math.abs(proxy.video.frames - want) > 1) {
      problems.push(
        `${proxy.video.frames} frames, expected ${want} ± 1 (${seconds.toFixed(3)} s × ${plan.fps.toFixed(3)})`,
      );
    }
    if (plan.rate && proxy.video.rate !== plan.rate) problems.push(`rate ${proxy.video.rate}, expected ${plan.rate}`);
  }
  if (proxy.video.width % 2 !== 0 || proxy.video.height % 2 !== 0) {
    problems.push(`odd size ${proxy.video.width}x${proxy.video.height}`);
  }
  // Displayed as the source is: upright (a rotation left for the player is not what an editor
  // gets), and the same shape within rounding to even sizes (2 px in each dimension).
  if (proxy.video.rotation !== 0) problems.push(`display rotation ${proxy.video.rotation}° left in the proxy`);
  if (plan.squarePixels && proxy.video.sarText !== "1:1") problems.push(`pixel aspect ${proxy.video.sarText}, not 1:1`);
  const rounding = Math.max(0.01, 2 / proxy.video.width + 2 / proxy.video.height);
  if (Math.abs(proxy.video.dar / source.video.dar - 1) > rounding) {
    problems.push(`displayed aspect ${proxy.video.dar.toFixed(4)}, the source's is ${source.video.dar.toFixed(4)}`);
  }
  if (proxy.audio.length !== source.audio.length) {
    problems.push(`${proxy.audio.length} audio stream(s), the source has ${source.audio.length}`);
  }
  source.audio.forEach((a, i) => {
    const p = proxy.audio[i];
    if (!p) return;
    if (p.channels !== a.channels) problems.push(`audio ${i + 1}: ${p.channels} channel(s), source ${a.channels}`);
    const rate = plan.sampleRate ?? a.sampleRate;
    if (p.sampleRate !== rate) problems.push(`audio ${i + 1}: ${p.sampleRate} Hz, expected ${rate}`);
    // A layout the proxy records must be the source's; one it does not record is the container's limit.
    if (p.layout && a.layout && p.layout !== a.layout) {
      problems.push(`audio ${i + 1}: layout ${p.layout}, source ${a.layout}`);
    }
  });
  if (plan.timecode !== undefined && proxy.timecode !== plan.timecode) {
    problems.push(`timecode ${proxy.timecode ?? "none"}, expected ${plan.timecode ?? "none"}`);
  }
  if (plan.reel !== undefined && proxy.reel !== plan.reel) {
    problems.push(`reel ${proxy.reel ?? "none"}, expected ${plan.reel ?? "none"}`);
  }
  return problems;
}

/** Whether decoded frame times are unevenly spaced beyond a millisecond container's rounding. */
export function unevenlySpaced(times: number[]): boolean {
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  return gaps.length > 1 && Math.max(...gaps) - Math.min(...gaps) > 0.002;
}

/** The largest difference of two frame lists' times after their first frames (Infinity if their lengths differ). */
function largestSpacingShift(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) return Infinity;
  return Math.max(...a.map((t, i) => Math.abs(t - a[0]! - (b[i]! - b[0]!))));
}

/**
 * Every video frame's presentation time, in decoding-output order, seconds after the file's
 * start (its earliest stream: what FFmpeg starts the proxy from). Decodes the file.
 */
export function frameTimes(file: string): number[] {
  const r = spawnSync("ffprobe", [
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_entries",
    "format=start_time:frame=pts_time",
    "-select_streams",
    "v:0",
    "-show_frames",
    file,
  ], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { frames: { pts_time?: string }[]; format: { start_time?: string } };
  const start = Number(json.format.start_time ?? 0);
  return json.frames.map((f) => Math.round((Number(f.pts_time) - start) * 1e6) / 1e6);
}

/** Frame `index` (0-based, in output order) as 80x45 grey bytes, to tell which source frame a proxy frame shows. */
export function framePixels(file: string, index: number): Uint8Array {
  const r = spawnSync("ffmpeg", [
    "-v",
    "error",
    "-nostdin",
    "-i",
    file,
    "-vf",
    `select=eq(n\\,${index}),scale=80:45,format=gray`,
    "-fps_mode",
    "passthrough",
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "pipe:1",
  ], { maxBuffer: 1 << 20 });
  if (r.status !== 0 || r.stdout.length !== 80 * 45) throw new Error(`frame ${index} of ${file}: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Which of the source's frames index-1, index, index+1 the proxy's frame `index` looks most
 * like (testsrc2 moves every frame), as an index; so "frame n shows source frame n" is `== n`.
 */
export function matchingSourceFrame(source: string, proxy: string, index: number): number {
  const shown = framePixels(proxy, index);
  const candidates = [index - 1, index, index + 1].filter((i) => i >= 0);
  const scored = candidates.flatMap((i) => {
    try {
      return [{ i, d: meanDifference(shown, framePixels(source, i)) }];
    } catch {
      return []; // past the source's last frame
    }
  });
  return scored.reduce((best, c) => (c.d < best.d ? c : best)).i;
}
