/**
 * The source timecode carried to a proxy at another frame rate (`fps_explicit`).
 *
 * A timecode label names the time of the first frame. Drop-frame labels (`01:00:00;00`) are
 * made to follow the clock, so their time is the frame count at the real NTSC rate;
 * non-drop labels are read as written, at the nominal rate (`01:00:00:00` is one hour at
 * 29.97 as at 25, the way editors read them). The proxy's label is that time at the
 * output rate, to the nearest frame: drop-frame again where the output rate allows it
 * (30000/1001 and its multiples), non-drop otherwise. Without this FFmpeg drops a
 * drop-frame timecode at 25 fps (MOV) or fails (MXF), and a non-drop label whose frame
 * number the new rate does not have (`:24` at 24 fps) moves a frame.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(convertTimecode("01:00:00;00", 30000 / 1001, 25), "01:00:00:00");
 * assert.equal(convertTimecode("10:00:00:24", 25, 24), "10:00:00:23");
 * assert.equal(convertTimecode("01:00:00;00", 30000 / 1001, 60000 / 1001), "01:00:00;00");
 * assert.equal(convertTimecode("00:10:00:00", 25, 25), "00:10:00:00");
 * ```
 */

interface Label {
  negative: boolean;
  h: number;
  m: number;
  s: number;
  f: number;
  drop: boolean;
}

/** `HH:MM:SS:FF`, drop-frame with `;` (or `.`) before the frames, as FFmpeg writes and reads them. */
export function parseTimecode(text: string): Label | null {
  const m = /^(-?)(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  return { negative: m[1] === "-", h: +m[2]!, m: +m[3]!, s: +m[4]!, f: +m[6]!, drop: m[5] !== ":" };
}

/** Whether a label may be drop-frame at this rate: N×1000/1001 with N a multiple of 30 (FFmpeg's rule). */
export function allowsDropFrame(fps: number): boolean {
  const n = Math.round(fps * 1.001);
  return n % 30 === 0 && Math.abs((n * 1000) / 1001 - fps) < 1e-6;
}

/** Frames dropped from the count each minute, except every tenth: 2 at 29.97, 4 at 59.94. */
const droppedPerMinute = (nominal: number) => Math.round(nominal / 15);

function frameNumber(label: Label, nominal: number): number {
  const minutes = label.h * 60 + label.m;
  const frames = (minutes * 60 + label.s) * nominal + label.f;
  if (!label.drop) return frames;
  return frames - droppedPerMinute(nominal) * (minutes - Math.floor(minutes / 10));
}

function labelText(frames: number, nominal: number, drop: boolean): string {
  const perDay = 24 * 3600 * nominal - (drop ? droppedPerMinute(nominal) * (24 * 60 - 24 * 6) : 0);
  let n = ((frames % perDay) + perDay) % perDay;
  if (drop) {
    // The inverse of frameNumber: add back the numbers skipped so far (FFmpeg's av_timecode_adjust_ntsc_framenum2).
    const d = droppedPerMinute(nominal);
    const perTenMinutes = nominal * 600 - d * 9;
    const tens = Math.floor(n / perTenMinutes);
    const rest = n % perTenMinutes;
    n += 9 * d * tens + (rest > d ? d * Math.floor((rest - d) / (nominal * 60 - d)) : 0);
  }
  const f = n % nominal;
  const totalSeconds = Math.floor(n / nominal);
  const pad = (v: number, width = 2) => String(v).padStart(width, "0");
  // FFmpeg's width for the frame digits (av_timecode_make_string), so the text compares with ffprobe's.
  const width = nominal > 10000 ? 5 : nominal > 1000 ? 4 : nominal > 100 ? 3 : nominal > 10 ? 2 : 1;
  return `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}${
    drop ? ";" : ":"
  }${pad(f, width)}`;
}

/**
 * The label for the proxy's first frame at `outFps`, for a source labelled `text` at
 * `sourceFps`. Unchanged when the rates are equal, or when the label or a rate cannot be read.
 */
export function convertTimecode(text: string, sourceFps: number | null, outFps: number | null): string {
  if (sourceFps == null || outFps == null || Math.abs(sourceFps - outFps) < 1e-9) return text;
  const label = parseTimecode(text);
  if (!label || label.negative) return text;
  const sourceNominal = Math.round(sourceFps);
  const outNominal = Math.round(outFps);
  if (sourceNominal <= 0 || outNominal <= 0) return text;
  const sourceDrop = label.drop && allowsDropFrame(sourceFps);
  const frames = frameNumber({ ...label, drop: sourceDrop }, sourceNominal);
  const seconds = sourceDrop ? frames / sourceFps : frames / sourceNominal;
  const outDrop = sourceDrop && allowsDropFrame(outFps);
  return labelText(Math.round(seconds * (outDrop ? outFps : outNominal)), outNominal, outDrop);
}

/**
 * How a label counts at `fps`: its frame number since midnight, the nominal rate and whether
 * it is drop-frame (a `;` label at a rate that allows it). null for an unreadable or negative
 * label. The burn-in counts on from here (src/looks/burn-in.ts).
 */
export function timecodeCount(text: string, fps: number): { frames: number; nominal: number; drop: boolean } | null {
  const label = parseTimecode(text);
  const nominal = Math.round(fps);
  if (!label || label.negative || nominal <= 0) return null;
  const drop = label.drop && allowsDropFrame(fps);
  return { frames: frameNumber({ ...label, drop }, nominal), nominal, drop };
}

/** Frames in one day of labels (the count wraps there, as FFmpeg's does). */
export function framesPerDay(nominal: number, drop: boolean): number {
  return 24 * 3600 * nominal - (drop ? droppedPerMinute(nominal) * (24 * 60 - 24 * 6) : 0);
}
