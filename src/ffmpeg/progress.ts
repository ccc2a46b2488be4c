/**
 * Incremental parser for FFmpeg's `-progress pipe:1` output.
 *
 * FFmpeg prints blocks of `key=value` lines, each block closed by `progress=continue` or
 * `progress=end`. Chunks from a pipe split lines anywhere, so the parser keeps the partial
 * last line between `push` calls. It never throws: a malformed line (no `=`, garbage from a
 * wrapper script) is ignored, and a value FFmpeg reports as `N/A` becomes null, because a
 * progress display must not be able to fail a clip.
 */

export interface Progress {
  frame: number;
  out_time_seconds: number;
  fps: number | null;
  speed: number | null;
  /** True for the block closed by `progress=end`. */
  end: boolean;
}

/** Longest partial line kept; anything longer is not a progress line and is dropped. */
const MAX_PARTIAL = 4096;

export class ProgressParser {
  private partial = "";
  private block = new Map<string, string>();

  /** Feed a chunk of stdout; returns the progress blocks completed by this chunk, in order. */
  push(chunk: string): Progress[] {
    const out: Progress[] = [];
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n|\r/);
    this.partial = lines.pop() ?? "";
    if (this.partial.length > MAX_PARTIAL) this.partial = "";
    for (const line of lines) {
      const done = this.line(line);
      if (done) out.push(done);
    }
    return out;
  }

  /** Flush a final unterminated line (FFmpeg always ends lines, but a killed one may not). */
  end(): Progress[] {
    const rest = this.partial;
    this.partial = "";
    const done = rest ? this.line(rest) : null;
    return done ? [done] : [];
  }

  private line(raw: string): Progress | null {
    const line = raw.trim();
    const eq = line.indexOf("=");
    if (eq <= 0) return null;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== "progress") {
      this.block.set(key, value);
      return null;
    }
    const block = this.block;
    this.block = new Map();
    return {
      frame: Math.max(0, Math.trunc(num(block.get("frame")) ?? 0)),
      out_time_seconds: outTime(block),
      fps: num(block.get("fps")),
      speed: num(block.get("speed")?.replace(/x$/, "")),
      end: value === "end",
    };
  }
}

/** A finite number, or null for missing / `N/A` / garbage. */
function num(value: string | undefined): number | null {
  if (value == null || value === "" || value === "N/A") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * `out_time_us` (µs) is preferred; `out_time_ms` is also µs in FFmpeg (a historical bug);
 * `out_time` is `HH:MM:SS.micro`. Negative values (seen at start with some inputs) clamp to 0.
 */
function outTime(block: Map<string, string>): number {
  const us = num(block.get("out_time_us")) ?? num(block.get("out_time_ms"));
  if (us != null) return Math.max(0, us / 1e6);
  const hms = block.get("out_time")?.match(/^(-?)(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/);
  if (hms) {
    const s = Number(hms[2]) * 3600 + Number(hms[3]) * 60 + Number(hms[4]);
    return hms[1] ? 0 : s;
  }
  return 0;
}
