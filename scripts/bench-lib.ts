/**
 * Helpers for scripts/bench.ts: timing a child process (wall, user+sys CPU and peak RSS
 * from the kernel's rusage of the child and everything it waited for), medians,
 * interleaving, synthetic clips, tables and the JSON results.
 *
 * This is a script, not core: it may use Bun and node:* directly.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";

export interface Sample {
  wall_s: number;
  /** user + sys CPU seconds of the process and every descendant it reaped (FFmpeg included). */
  cpu_s: number;
  /** Peak resident set of the largest process in the tree, MB (see RSS_SOURCE). */
  max_rss_mb: number;
  code: number | null;
  /** Last lines of stderr, for failures. */
  stderr_tail: string;
}

export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Where stderr goes (a file: never a pipe the benchmark would have to drain while timing). */
  stderrFile: string;
}

/**
 * GNU time, when installed, reports the measured command's own peak RSS. Bun's rusage of a
 * direct child cannot: the child is spawned from the benchmark's address space, and Linux
 * counts that space's high-water mark at exec into the child's maxrss (a child running
 * `true` showed 24 MB, and 130 MB once the benchmark had generated 10,000 JobSpecs).
 */
const GNU_TIME = "/usr/bin/time";
const HAVE_GNU_TIME = spawnSync(GNU_TIME, ["-f", "%M", "true"], { encoding: "utf8" }).status === 0;
export const RSS_SOURCE = HAVE_GNU_TIME
  ? "GNU time (%M) of the command itself"
  : "Bun rusage of the child (includes the benchmark's own size: install GNU time for a true figure)";

/** Run `cmd` to completion; wall time from spawn to exit. stdout is discarded. */
export async function measure(cmd: string[], options: MeasureOptions): Promise<Sample> {
  // Bun.file() as stderr does not truncate: empty it, or the tail shows an older run's text.
  writeFileSync(options.stderrFile, "");
  const rssFile = `${options.stderrFile}.rss`;
  if (HAVE_GNU_TIME) writeFileSync(rssFile, "");
  const start = performance.now();
  const child = Bun.spawn(HAVE_GNU_TIME ? [GNU_TIME, "-q", "-f", "%M", "-o", rssFile, ...cmd] : cmd, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdin: "ignore",
    stdout: "ignore",
    stderr: Bun.file(options.stderrFile),
  });
  const code = await child.exited;
  const wall = (performance.now() - start) / 1000;
  const usage = child.resourceUsage();
  return {
    wall_s: round(wall, 4),
    cpu_s: round(usage ? Number(usage.cpuTime.total) / 1e6 : NaN, 4),
    max_rss_mb: round(HAVE_GNU_TIME ? gnuTimeRssKb(rssFile) / 1024 : usage ? usage.maxRSS / (1024 * 1024) : NaN, 1),
    code,
    stderr_tail: tail(options.stderrFile),
  };
}

function gnuTimeRssKb(file: string): number {
  try {
    const kb = Number(readFileSync(file, "utf8").trim().split(/\s+/).pop());
    return Number.isFinite(kb) ? kb : NaN;
  } catch {
    return NaN;
  }
}

function tail(file: string): string {
  try {
    const size = statSync(file).size;
    if (size === 0) return "";
    const text = readFileSync(file, "utf8");
    return text.slice(-1500).trim();
  } catch {
    return "";
  }
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * Interleaved runs: round r runs every variant once, in forward order on even rounds and
 * reverse order on odd ones, so drift on a noisy machine (and "who runs right after whom")
 * hits every variant alike. `before` prepares an untimed fresh state for one sample.
 */
export async function interleave<K extends string>(
  runs: number,
  variants: { key: K; before?: (run: number) => void | Promise<void>; run: (run: number) => Promise<Sample> }[],
  onSample?: (key: K, run: number, sample: Sample) => void,
): Promise<Record<K, Sample[]>> {
  const out = {} as Record<K, Sample[]>;
  for (const v of variants) out[v.key] = [];
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      await v.before?.(r);
      const sample = await v.run(r);
      out[v.key].push(sample);
      onSample?.(v.key, r, sample);
    }
  }
  return out;
}

/** Summary of one variant's samples: medians, plus every wall time (so noise is visible). */
export function summarize(samples: Sample[]) {
  return {
    wall_s: round(median(samples.map((s) => s.wall_s)), 4),
    cpu_s: round(median(samples.map((s) => s.cpu_s)), 4),
    max_rss_mb: round(median(samples.map((s) => s.max_rss_mb)), 1),
    ok: samples.every((s) => s.code === 0),
    walls: samples.map((s) => round(s.wall_s, 3)),
    failure: samples.find((s) => s.code !== 0)?.stderr_tail ?? null,
  };
}

// --- synthetic media -------------------------------------------------------------------

export interface ClipSpec {
  width: number;
  height: number;
  seconds: number;
  fps: number;
  /** Video encoding of the source. */
  kind: "h264" | "prores422";
  /** x264 bitrate in Mbit/s (h264 only). */
  mbps?: number;
  /** false: the plain test pattern (x264 CRF 23), light to decode (reference row). */
  noise?: boolean;
}

/**
 * A camera-like clip: testsrc2 with temporal noise (so the bitrate is really spent, as in
 * camera footage, instead of a flat pattern that decodes for free) plus stereo 48 kHz
 * audio. Cached by its spec in the file name, written via a temp name.
 */
export function makeClip(dir: string, name: string, spec: ClipSpec): string {
  mkdirSync(dir, { recursive: true });
  const ext = spec.kind === "prores422" ? "mov" : "mp4";
  const noise = spec.noise ?? true;
  const rate = spec.mbps ? `-${spec.mbps}M` : noise ? "" : "-crf23";
  const file = join(
    dir,
    `${name}-${spec.width}x${spec.height}-${spec.seconds}s-${spec.kind}${rate}${noise ? "" : "-clean"}.${ext}`,
  );
  if (existsSync(file)) return file;
  const tmp = `${file}.part.${ext}`;
  const video = `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}${noise ? ",noise=alls=8:allf=t" : ""}`;
  const args = [
    "-hide_banner",
    "-v",
    "error",
    "-nostdin",
    "-y",
    "-f",
    "lavfi",
    "-i",
    video,
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-t",
    String(spec.seconds),
    "-map",
    "0:v",
    "-map",
    "1:a",
    "-ac",
    "2",
  ];
  if (spec.kind === "h264" && !noise && !spec.mbps) {
    args.push(
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "23",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-b:a",
      "192k",
    );
  } else if (spec.kind === "h264") {
    const mbps = spec.mbps ?? 20;
    args.push(
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-b:v",
      `${mbps}M`,
      "-maxrate",
      `${Math.round(mbps * 1.3)}M`,
      "-bufsize",
      `${mbps * 2}M`,
      "-g",
      String(spec.fps * 2),
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-b:a",
      "192k",
    );
  } else {
    args.push(
      "-c:v",
      "prores_aw",
      "-profile:v",
      "2",
      "-pix_fmt",
      "yuv422p10le",
      "-c:a",
      "pcm_s16le",
      "-timecode",
      "01:00:00:00",
    );
  }
  args.push(tmp);
  const r = spawnSync("ffmpeg", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`generating ${file} failed: ${r.stderr}`);
  renameSync(tmp, file);
  return file;
}

// --- output ----------------------------------------------------------------------------

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: (string | number)[]) =>
    "| " + r.map((c, i) => String(c ?? "").padEnd(widths[i]!)).join(" | ") + " |";
  const sep = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
  return `\n### ${title}\n\n${line(cells[0]!)}\n${sep}\n${cells.slice(1).map(line).join("\n")}\n`;
}

export function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return "n/a";
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(digits === 3 ? 2 : digits);
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 3) : NaN;
}

/** Facts about the machine and the moment, stored with every result (noise is part of the truth). */
export function environment(repo: string) {
  const ffmpeg = spawnSync("ffmpeg", ["-version"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "";
  return {
    date: new Date().toISOString(),
    commit: commitOf(repo),
    bun: Bun.version,
    ffmpeg,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? "",
    loadavg_start: loadavg().map((n) => round(n, 2)),
  };
}

export function writeJson(dir: string, name: string, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
  return file;
}

export function sh(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export { loadavg };

// --- before/after comparison (--baseline) ------------------------------------------------

/** The smallest slowdown that is never called a regression, whatever the measured noise. */
export const COMPARE_FLOOR = 0.03;

/** The rule behind the "no slower than noise" column, as printed and stored in compare.json. */
export const COMPARE_RULE =
  "noise = the larger min–max spread of the two sides' samples, relative to the before median; " +
  `no slower than noise ⇔ after median ≤ before median × (1 + max(noise, ${COMPARE_FLOOR * 100} %))`;

/**
 * One before/after row: medians, ratio, each side's min–max, the noise and the verdict (see
 * COMPARE_RULE). `yes` / `NO`; `FAILED` when a sample of either side failed (no verdict on
 * a broken run).
 */
export function compareSamples(after: Sample[], before: Sample[], metric: "wall_s" | "max_rss_mb" = "wall_s") {
  const a = after.map((s) => s[metric]).filter(Number.isFinite);
  const b = before.map((s) => s[metric]).filter(Number.isFinite);
  const spread = (v: number[]) => (v.length ? Math.max(...v) - Math.min(...v) : NaN);
  const am = median(a);
  const bm = median(b);
  const noise = bm > 0 ? Math.max(spread(a), spread(b)) / bm : NaN;
  const allowed = Math.max(Number.isFinite(noise) ? noise : 0, COMPARE_FLOOR);
  const ok = after.every((s) => s.code === 0) && before.every((s) => s.code === 0) && a.length > 0 && b.length > 0;
  return {
    metric,
    before: round(bm, 4),
    after: round(am, 4),
    after_over_before: ratio(am, bm),
    before_min_max: [round(Math.min(...b), 4), round(Math.max(...b), 4)],
    after_min_max: [round(Math.min(...a), 4), round(Math.max(...a), 4)],
    noise_pct: round(noise * 100, 1),
    allowed_pct: round(allowed * 100, 1),
    verdict: !ok ? "FAILED" : am <= bm * (1 + allowed) ? "yes" : "NO",
    failure: after.find((s) => s.code !== 0)?.stderr_tail ?? before.find((s) => s.code !== 0)?.stderr_tail ?? null,
  };
}

/** Short commit of a checkout, with "+dirty" when its src/ has uncommitted changes. */
export function commitOf(repo: string): string {
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repo, encoding: "utf8" }).stdout.trim();
  const dirty =
    spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: repo, encoding: "utf8" }).stdout.trim() !== "";
  return git + (dirty ? "+dirty" : "");
}
