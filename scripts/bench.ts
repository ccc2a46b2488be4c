#!/usr/bin/env bun
/**
 * proxx benchmarks: proxies per hour, measured side by side in one run.
 *
 *   bun scripts/bench.ts                 # everything, 5 interleaved runs per figure (~1 h)
 *   bun scripts/bench.ts --smoke         # 1 run of each part on tiny clips (CI, < 60 s)
 *   bun scripts/bench.ts --parts encode,idle --runs 7
 *   bun scripts/bench.ts --parts encode --pairs uhd   # only pairs whose id contains "uhd"
 *
 * Before/after (a refactor must not be slower than the noise):
 *   git worktree add /tmp/proxx-before <commit> && ln -s "$PWD/node_modules" /tmp/proxx-before/
 *   bun scripts/bench.ts --baseline /tmp/proxx-before --parts encode,overhead,idle --runs 3 --proxx-only
 *     Every part that runs proxx also runs the baseline's `bun DIR/src/main.ts` as one more
 *     interleaved variant (same media and JobSpecs, its own fresh output folders); both sides
 *     run from source through this Bun. --baseline-binary PATH: both sides compiled instead
 *     (this checkout's dist/ binary, rebuilt if stale, against PATH); only then is start-up
 *     compared. --proxx-only (with a baseline): skip the decode-only, original and shell-loop
 *     references (about 60 % of the time; their targets read N/A). Prints and writes
 *     <out>/compare.json (after/before, min–max of each side, noise, verdict); <out> defaults
 *     to bench-results/compare/ in this mode. Verdict "no slower than noise": after median ≤
 *     before median × (1 + max(noise, 3 %)), noise = the larger of the two sides' min–max
 *     spreads over the before median (wall time; idle rows also peak RSS).
 *
 * Parts (each prints a table and writes <out>/<part>.json; then targets.json):
 *   encode    proxx run vs decode-only vs the original implementation's exact command
 *   overhead  20 JobSpecs through `proxx watch --once` vs a shell loop of the same FFmpeg commands
 *   idle      `watch --once` over 10,000 processed jobs (time, peak RSS); then 10,000 invalid ones
 *   startup   compiled binary: `--version`, `validate`
 *   workers   40 short clips with --max-workers 1, 2, 4: speed-up and CPU use
 *   scaling   200 JobSpecs, N = 1, 2, 4, 8 shards at once (replay FFmpeg of fixed time per clip):
 *             jobs/hour and ratio to N × one shard; evenness of the shares (scripts/bench-scaling.ts)
 *   coordinator  N coordinated runners vs static shards, PostgreSQL clients (scripts/bench-coordinator.ts)
 *   looks     HD and UHD → ProRes Proxy half: plain, with a 33³ LUT (and burn-ins: issue 16), ratio to
 *             plain; then FFmpeg alone on HD with the LUT chain's alternatives (formats,
 *             interpolation, LUT before the scale) that docs/performance.md "Looks" decides between
 *
 * Every figure is the median of --runs samples (smoke: 1); variants of one comparison are
 * interleaved (A B C, C B A, ...) so machine noise hits them alike. Media and scratch
 * folders live in .work/bench/ (git-ignored), results in bench-results/ (git-ignored).
 * Method and decisions: docs/performance.md.
 */
import { parseArgs } from "node:util";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import {
  type ClipSpec,
  commitOf,
  COMPARE_FLOOR,
  COMPARE_RULE,
  compareSamples,
  environment,
  fmt,
  interleave,
  loadavg,
  makeClip,
  measure,
  ratio,
  round,
  RSS_SOURCE,
  type Sample,
  sh,
  summarize,
  table,
  writeJson,
} from "./bench-lib.ts";
import { partScaling } from "./bench-scaling.ts";
import { runCoordinatorBench } from "./bench-coordinator.ts";

const REPO = resolve(import.meta.dir, "..");
const BINARY = join(REPO, "dist/proxx-linux-x64");
const ALL_PARTS = ["encode", "overhead", "idle", "startup", "workers", "scaling", "coordinator", "looks"] as const;
type Part = (typeof ALL_PARTS)[number];

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    smoke: { type: "boolean" },
    runs: { type: "string" },
    parts: { type: "string" },
    pairs: { type: "string" },
    out: { type: "string" },
    work: { type: "string" },
    baseline: { type: "string" },
    "baseline-binary": { type: "string" },
    "proxx-only": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    readFileSync(import.meta.path, "utf8").split("*/")[0]!.replace(/^#!.*\n\/\*\*\n/, "").replace(/^ \* ?/gm, ""),
  );
  process.exit(0);
}
const SMOKE = Boolean(values.smoke);
const RUNS = Math.max(1, Number(values.runs ?? (SMOKE ? 1 : 5)));
const PARTS = (values.parts ? values.parts.split(",") : [...ALL_PARTS]) as Part[];
for (const p of PARTS) if (!ALL_PARTS.includes(p)) throw new Error(`unknown part ${p}; parts: ${ALL_PARTS.join(", ")}`);
/** Before/after mode: another checkout (and optionally its compiled binary) as the baseline. */
const BASELINE_DIR = values.baseline ? resolve(values.baseline) : null;
const BASELINE_BIN = values["baseline-binary"] ? resolve(values["baseline-binary"]) : null;
const COMPARE = Boolean(BASELINE_DIR || BASELINE_BIN);
const PROXX_ONLY = Boolean(values["proxx-only"]);
if (PROXX_ONLY && !COMPARE) throw new Error("--proxx-only needs --baseline DIR (or --baseline-binary PATH)");
if (BASELINE_DIR && !BASELINE_BIN && !existsSync(join(BASELINE_DIR, "src/main.ts"))) {
  throw new Error(`--baseline ${BASELINE_DIR}: no src/main.ts there (expected another checkout of proxx)`);
}
if (BASELINE_BIN && !existsSync(BASELINE_BIN)) throw new Error(`--baseline-binary ${BASELINE_BIN}: no such file`);
const OUT = resolve(values.out ?? join(REPO, COMPARE ? "bench-results/compare" : "bench-results"));
const WORK = resolve(values.work ?? join(REPO, SMOKE ? ".work/bench-smoke" : ".work/bench"));
const MEDIA = join(WORK, "media");
mkdirSync(WORK, { recursive: true });
const ENV = environment(REPO);

/** Full-size or smoke-size knobs in one place. */
const SIZE = SMOKE
  ? {
    uhd: { width: 640, height: 360, seconds: 1, fps: 25, kind: "h264", mbps: 4 } as ClipSpec,
    uhdLight: { width: 640, height: 360, seconds: 1, fps: 25, kind: "h264", noise: false } as ClipSpec,
    hdProres: { width: 320, height: 180, seconds: 1, fps: 25, kind: "prores422" } as ClipSpec,
    hd: { width: 320, height: 180, seconds: 1, fps: 25, kind: "h264", mbps: 2 } as ClipSpec,
    overheadClip: { width: 320, height: 180, seconds: 1, fps: 25, kind: "h264", mbps: 2 } as ClipSpec,
    overheadJobs: 3,
    idleJobs: 300,
    workersClip: { width: 320, height: 180, seconds: 1, fps: 25, kind: "h264", mbps: 2 } as ClipSpec,
    workersJobs: 4,
    workerCounts: [1, 2],
    startupRuns: 1,
  }
  : {
    uhd: { width: 3840, height: 2160, seconds: 8, fps: 25, kind: "h264", mbps: 60 } as ClipSpec,
    uhdLight: { width: 3840, height: 2160, seconds: 8, fps: 25, kind: "h264", noise: false } as ClipSpec,
    hdProres: { width: 1920, height: 1080, seconds: 8, fps: 25, kind: "prores422" } as ClipSpec,
    hd: { width: 1920, height: 1080, seconds: 8, fps: 25, kind: "h264", mbps: 20 } as ClipSpec,
    overheadClip: { width: 1920, height: 1080, seconds: 5, fps: 25, kind: "h264", mbps: 20 } as ClipSpec,
    overheadJobs: 20,
    idleJobs: 10_000,
    workersClip: { width: 1920, height: 1080, seconds: 2, fps: 25, kind: "h264", mbps: 20 } as ClipSpec,
    workersJobs: 40,
    workerCounts: [1, 2, 4],
    startupRuns: RUNS * 4,
  };

// --- the proxx under test ----------------------------------------------------------------

/** Newest modification time of any file under src/ (ms). */
function newestSource(dir = join(REPO, "src")): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** A binary older than the source would benchmark yesterday's code. */
function binaryIsFresh(): boolean {
  return existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource();
}

/**
 * The compiled binary when it is up to date at the start, else the source through this Bun;
 * chosen once, so that editing src/ during a long run does not switch parts to the source.
 */
let chosen: { cmd: string[]; label: string } | null = null;
function proxxCommand(): { cmd: string[]; label: string } {
  if (COMPARE) {
    // Before/after: both sides the same way, never binary against source (checked once, as chosen).
    if (!chosen && BASELINE_BIN && !binaryIsFresh()) {
      throw new Error(`--baseline-binary: ${BINARY} is missing or older than src/`);
    }
    chosen ??= BASELINE_BIN
      ? { cmd: [BINARY], label: "dist/proxx-linux-x64" }
      : { cmd: [process.execPath, join(REPO, "src/main.ts")], label: "bun src/main.ts" };
    return chosen;
  }
  chosen ??= binaryIsFresh()
    ? { cmd: [BINARY], label: "dist/proxx-linux-x64" }
    : { cmd: [process.execPath, join(REPO, "src/main.ts")], label: "bun src/main.ts" };
  return chosen;
}

/** The baseline ("before") proxx in --baseline mode, run the same way as proxxCommand(); null otherwise. */
const BASE: { cmd: string[]; label: string; commit: string } | null = !COMPARE
  ? null
  : BASELINE_BIN
  ? { cmd: [BASELINE_BIN], label: BASELINE_BIN, commit: BASELINE_DIR ? commitOf(BASELINE_DIR) : "?" }
  : {
    cmd: [process.execPath, join(BASELINE_DIR!, "src/main.ts")],
    label: `bun ${BASELINE_DIR}/src/main.ts`,
    commit: commitOf(BASELINE_DIR!),
  };

/** Rows of the before/after table (every part adds its own); written to <out>/compare.json. */
const COMPARISONS: ({ part: string; row: string } & ReturnType<typeof compareSamples>)[] = [];
const COMPARE_SKIPPED: string[] = [];
function compareRow(part: string, row: string, after: Sample[], before: Sample[], metric?: "wall_s" | "max_rss_mb") {
  const c = { part, row, ...compareSamples(after, before, metric) };
  COMPARISONS.push(c);
  return c;
}

/** Build dist/proxx-linux-x64 when missing or older than src/ (not in smoke mode: CI builds separately). */
function ensureBinary(): void {
  // Before/after from source needs no binary; with --baseline-binary it does, smoke or not.
  if (binaryIsFresh() || (SMOKE && !BASELINE_BIN) || (COMPARE && !BASELINE_BIN)) return;
  if (existsSync(BINARY)) console.error(`${BINARY} is older than src/: rebuilding`);
  const script = join(REPO, "scripts/build.ts");
  const args = existsSync(script)
    ? [process.execPath, script, "--target", "linux-x64"]
    : [process.execPath, "build", "--compile", join(REPO, "src/main.ts"), "--outfile", BINARY];
  console.error(`building ${BINARY}: ${args.join(" ")}`);
  const r = Bun.spawnSync(args, { cwd: REPO, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0 || !binaryIsFresh()) console.error("build failed; benchmarking bun src/main.ts instead");
}

const log = (text: string) => process.stderr.write(text);
let stderrSeq = 0;
const stderrFile = () => join(WORK, "logs", `stderr-${++stderrSeq % 50}.log`);
mkdirSync(join(WORK, "logs"), { recursive: true });

function progress(part: string) {
  return (key: string, run: number, s: Sample) =>
    log(
      `  [${part}] run ${run + 1}/${RUNS} ${key}: ${s.wall_s.toFixed(3)} s${s.code === 0 ? "" : ` (exit ${s.code})`}\n`,
    );
}

function jobSpec(sources: string[], outDir: string, codec: string, container: string, resolution: string) {
  return JSON.stringify(
    {
      sources,
      output_directory: outDir,
      codec,
      container,
      resolution,
      naming_template: sources.length > 1 ? "{source_name}_proxy_{index}" : "{source_name}_proxy",
    },
    null,
    2,
  ) + "\n";
}

function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// --- part 1: encode speed vs the limit ----------------------------------------------------

/**
 * The original implementation's command, as recorded in
 * /work/shared/reference/original-proxx-v2.md ("FFmpeg execution"): `ffmpeg -y -i SRC
 * <encoder args> [-vf scale=iw/2:ih/2] -c:a copy OUT`, prores_ks, libx264/libx265 at their
 * default presets, `dnxhd` (no bitrate), dnxhr_hq, libvpx-vp9 and libaom-av1 -cpu-used 4.
 */
function originalCommand(src: string, out: string, codec: string, resolution: string): string[] {
  const prores: Record<string, string> = {
    prores_proxy: "0",
    prores_lt: "1",
    prores_standard: "2",
    prores_hq: "3",
    prores_4444: "4",
  };
  const encoder: Record<string, string[]> = {
    h264: ["-c:v", "libx264"],
    h265: ["-c:v", "libx265", "-tag:v", "hvc1"],
    hevc: ["-c:v", "libx265", "-tag:v", "hvc1"],
    av1: ["-c:v", "libaom-av1", "-cpu-used", "4"],
    dnxhd: ["-c:v", "dnxhd"],
    dnxhr: ["-c:v", "dnxhd", "-profile:v", "dnxhr_hq"],
    vp9: ["-c:v", "libvpx-vp9"],
  };
  const video = prores[codec] ? ["-c:v", "prores_ks", "-profile:v", prores[codec]!] : encoder[codec]!;
  const scale = resolution === "half"
    ? ["-vf", "scale=iw/2:ih/2"]
    : resolution === "quarter"
    ? ["-vf", "scale=iw/4:ih/4"]
    : [];
  return ["ffmpeg", "-y", "-i", src, ...video, ...scale, "-c:a", "copy", out];
}

interface Pair {
  id: string;
  clip: "uhd" | "uhdLight" | "hd" | "hdProres";
  codec: string;
  container: string;
  resolution: "same" | "half" | "quarter";
}

const PAIRS: Pair[] = SMOKE
  ? [
    { id: "uhd-prores_proxy-half", clip: "uhd", codec: "prores_proxy", container: "mov", resolution: "half" },
    { id: "hdprores-prores_proxy-same", clip: "hdProres", codec: "prores_proxy", container: "mov", resolution: "same" },
    { id: "hd-h264-half", clip: "hd", codec: "h264", container: "mp4", resolution: "half" },
  ]
  : [
    { id: "uhd-prores_proxy-half", clip: "uhd", codec: "prores_proxy", container: "mov", resolution: "half" },
    // The same pair from a light source (about 17 Mb/s): the "≥ 3× faster than the original" target
    // applies here, since on the camera-like source decoding alone takes most of the time.
    { id: "uhdlight-prores_proxy-half", clip: "uhdLight", codec: "prores_proxy", container: "mov", resolution: "half" },
    { id: "uhd-prores_proxy-quarter", clip: "uhd", codec: "prores_proxy", container: "mov", resolution: "quarter" },
    { id: "uhd-h264-half", clip: "uhd", codec: "h264", container: "mp4", resolution: "half" },
    { id: "hdprores-prores_proxy-same", clip: "hdProres", codec: "prores_proxy", container: "mov", resolution: "same" },
    { id: "hdprores-dnxhd-same", clip: "hdProres", codec: "dnxhd", container: "mxf", resolution: "same" },
    { id: "hd-prores_lt-half", clip: "hd", codec: "prores_lt", container: "mov", resolution: "half" },
    { id: "hd-prores_standard-half", clip: "hd", codec: "prores_standard", container: "mov", resolution: "half" },
    { id: "hd-prores_hq-half", clip: "hd", codec: "prores_hq", container: "mov", resolution: "half" },
    { id: "hd-prores_4444-half", clip: "hd", codec: "prores_4444", container: "mov", resolution: "half" },
    { id: "hd-h264-half", clip: "hd", codec: "h264", container: "mp4", resolution: "half" },
    { id: "hd-h265-half", clip: "hd", codec: "h265", container: "mp4", resolution: "half" },
    { id: "hd-dnxhr-half", clip: "hd", codec: "dnxhr", container: "mov", resolution: "half" },
    { id: "hd-vp9-half", clip: "hd", codec: "vp9", container: "mkv", resolution: "half" },
    { id: "hd-av1-half", clip: "hd", codec: "av1", container: "mp4", resolution: "half" },
  ];

/** One variant of an interleaved comparison (see interleave()). */
type Variant = { key: string; before?: () => void | Promise<void>; run: () => Promise<Sample> };

async function partEncode() {
  const proxx = proxxCommand();
  const clips = {
    uhd: makeClip(MEDIA, "uhd", SIZE.uhd),
    uhdLight: makeClip(MEDIA, "uhdlight", SIZE.uhdLight),
    hdProres: makeClip(MEDIA, "hdprores", SIZE.hdProres),
    hd: makeClip(MEDIA, "hd", SIZE.hd),
  };
  const base = freshDir(join(WORK, "encode"));
  const pairs = values.pairs ? PAIRS.filter((p) => values.pairs!.split(",").some((s) => p.id.includes(s))) : PAIRS;
  const rows = [];
  for (const pair of pairs) {
    const src = clips[pair.clip];
    const outDir = join(base, "out", pair.id);
    mkdirSync(outDir, { recursive: true });
    const job = join(base, `${pair.id}.json`);
    writeFileSync(job, jobSpec([src], outDir, pair.codec, pair.container, pair.resolution));
    const orig = join(base, "orig", `${pair.id}.${pair.container}`);
    mkdirSync(join(base, "orig"), { recursive: true });
    log(`encode ${pair.id} (${proxx.label}${BASE ? ` vs before: ${BASE.label}` : ""})\n`);
    const variants: Variant[] = [
      {
        key: "proxx",
        // Before/after: each side writes into its own folder, emptied before every sample.
        before: BASE ? () => void freshDir(outDir) : undefined,
        run: () => measure([...proxx.cmd, "run", job, "-q"], { stderrFile: stderrFile() }),
      },
    ];
    if (BASE) {
      const outBefore = join(base, "out-before", pair.id);
      const jobBefore = join(base, `${pair.id}.before.json`);
      writeFileSync(jobBefore, jobSpec([src], outBefore, pair.codec, pair.container, pair.resolution));
      variants.push({
        key: "before",
        before: () => void freshDir(outBefore),
        run: () => measure([...BASE.cmd, "run", jobBefore, "-q"], { stderrFile: stderrFile() }),
      });
    }
    if (!PROXX_ONLY) {
      variants.push(
        {
          key: "decode",
          run: () =>
            measure(["ffmpeg", "-nostdin", "-v", "error", "-i", src, "-f", "null", "-"], { stderrFile: stderrFile() }),
        },
        {
          key: "original",
          run: () => measure(originalCommand(src, orig, pair.codec, pair.resolution), { stderrFile: stderrFile() }),
        },
      );
    }
    const s = await interleave(RUNS, variants, progress("encode"));
    const proxxS = summarize(s.proxx!);
    const decode = summarize(s.decode ?? []);
    const original = summarize(s.original ?? []);
    const beforeS = BASE ? summarize(s.before!) : undefined;
    if (BASE) compareRow("encode", pair.id, s.proxx!, s.before!);
    const proxyFile = readdirSync(outDir).find((f) => !f.startsWith("."));
    const sizeMb = (f: string | undefined) => (f && existsSync(f) ? round(Bun.file(f).size / 1e6, 1) : NaN);
    rows.push({
      ...pair,
      source: src.slice(MEDIA.length + 1),
      proxx: proxxS,
      decode,
      original,
      proxx_over_decode: ratio(proxxS.wall_s, decode.wall_s),
      original_over_proxx: original.ok ? ratio(original.wall_s, proxxS.wall_s) : NaN,
      ...(beforeS ? { before: beforeS, after_over_before: ratio(proxxS.wall_s, beforeS.wall_s) } : {}),
      proxx_size_mb: sizeMb(proxyFile ? join(outDir, proxyFile) : undefined),
      original_size_mb: original.ok ? sizeMb(orig) : NaN,
      original_failure: original.ok ? null : lastLine(original.failure),
      proxx_failure: proxxS.ok ? null : lastLine(proxxS.failure),
    });
  }
  console.log(table(
    `encode: wall seconds, median of ${RUNS} (proxx = ${proxx.label})`,
    ["pair", "proxx s", "decode s", "original s", "proxx/decode", "original/proxx", "MB proxx/orig", "note"],
    rows.map((r) => [
      r.id,
      r.proxx.wall_s,
      r.decode.wall_s,
      r.original.ok ? r.original.wall_s : NaN,
      r.proxx_over_decode,
      r.original_over_proxx,
      `${fmt(r.proxx_size_mb)}/${fmt(r.original_size_mb)}`,
      r.proxx_failure
        ? `proxx FAILED: ${r.proxx_failure}`
        : PROXX_ONLY
        ? "references not run (--proxx-only)"
        : r.original_failure
        ? `original fails: ${r.original_failure}`
        : "",
    ]),
  ));
  return { proxx: proxx.label, rows };
}

function lastLine(text: string | null): string | null {
  if (!text) return null;
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.at(-1) ?? "").slice(0, 160);
}

// --- part 2: runner overhead -------------------------------------------------------------

async function partOverhead() {
  const proxx = proxxCommand();
  const base = freshDir(join(WORK, "overhead"));
  const clip = makeClip(MEDIA, "overhead", SIZE.overheadClip);
  const media = join(base, "media");
  mkdirSync(media);
  const sources = Array.from({ length: SIZE.overheadJobs }, (_, i) => {
    const p = join(media, `clip-${String(i).padStart(2, "0")}.mp4`);
    linkSync(clip, p);
    return p;
  });
  /** One side's watch folder and output folder, its `watch --once` and the check that every job completed. */
  const side = (cmd: string[], folder: string, out: string) => {
    const prepare = () => {
      freshDir(folder);
      freshDir(out);
      sources.forEach((s, i) =>
        writeFileSync(
          join(folder, `job-${String(i).padStart(2, "0")}.json`),
          jobSpec([s], out, "prores_proxy", "mov", "half"),
        )
      );
    };
    const watch = () =>
      measure([...cmd, "watch", folder, "--once", "--settle-seconds", "0", "-q"], { stderrFile: stderrFile() });
    const checkAll = (sample: Sample): Sample => {
      const results = readdirSync(folder).filter((f) => f.endsWith(".result.json"));
      const ok = results.length === sources.length &&
        results.every((f) => JSON.parse(readFileSync(join(folder, f), "utf8")).final_status === "COMPLETED");
      return ok ? sample : {
        ...sample,
        code: sample.code || 99,
        stderr_tail: `not all ${sources.length} jobs COMPLETED\n${sample.stderr_tail}`,
      };
    };
    return { prepare, watch, checkAll };
  };
  const folder = join(base, "watch");
  const after = side(proxx.cmd, folder, join(base, "out"));
  const before = BASE ? side(BASE.cmd, join(base, "watch-before"), join(base, "out-before")) : null;

  // Untimed first pass: the FFmpeg commands proxx ran, from the results (clips[].ffmpeg_command).
  after.prepare();
  const first = after.checkAll(await after.watch());
  if (first.code !== 0) throw new Error(`overhead: proxx watch failed:\n${first.stderr_tail}`);
  if (before) {
    // The same untimed warm-up for the baseline (and a check that it works at all).
    before.prepare();
    const b = before.checkAll(await before.watch());
    if (b.code !== 0) throw new Error(`overhead: baseline proxx watch failed:\n${b.stderr_tail}`);
  }
  const scratch = join(base, "scratch");
  const script = join(base, "replay.sh");
  const commands = readdirSync(folder).filter((f) => f.endsWith(".result.json")).sort().flatMap((f) =>
    JSON.parse(readFileSync(join(folder, f), "utf8")).clips.map((c: { ffmpeg_command: string[] }) => c.ffmpeg_command)
  );
  writeFileSync(
    script,
    "set -e\n" + commands.map((cmd: string[], i: number) => {
      // The recorded command writes the hidden `.name.proxx-partial` temp name; replay to scratch.
      const argv = [...cmd.slice(0, -1), `file:${join(scratch, `${String(i).padStart(2, "0")}.mov`)}`];
      return argv.map(sh).join(" ") + " </dev/null >/dev/null";
    }).join("\n") + "\n",
  );

  log(`overhead: ${sources.length} jobs (${proxx.label}${BASE ? ` vs before: ${BASE.label}` : ""})\n`);
  const variants: Variant[] = [
    { key: "proxx_watch", before: after.prepare, run: async () => after.checkAll(await after.watch()) },
  ];
  if (before) {
    variants.push({
      key: "before_watch",
      before: before.prepare,
      run: async () => before.checkAll(await before.watch()),
    });
  }
  if (!PROXX_ONLY) {
    variants.push({
      key: "shell_loop",
      before: () => void freshDir(scratch),
      run: () => measure(["sh", script], { stderrFile: stderrFile() }),
    });
  }
  const s = await interleave(RUNS, variants, progress("overhead"));
  const a = summarize(s.proxx_watch!);
  const b = summarize(s.shell_loop ?? []);
  const bw = BASE ? summarize(s.before_watch!) : undefined;
  if (BASE) compareRow("overhead", `proxx watch --once, ${sources.length} jobs`, s.proxx_watch!, s.before_watch!);
  const row = {
    jobs: sources.length,
    clip: clip.slice(MEDIA.length + 1),
    codec: "prores_proxy half mov",
    proxx_watch: a,
    shell_loop: b,
    ratio: ratio(a.wall_s, b.wall_s),
    overhead_ms_per_job: round(((a.wall_s - b.wall_s) / sources.length) * 1000, 1),
    replay_script: script,
    ...(bw
      ? {
        before_watch: bw,
        before_ratio: ratio(bw.wall_s, b.wall_s),
        before_overhead_ms_per_job: round(((bw.wall_s - b.wall_s) / sources.length) * 1000, 1),
      }
      : {}),
  };
  console.log(table(
    `runner overhead: ${sources.length} JobSpecs, wall seconds, median of ${RUNS} (proxx = ${proxx.label})`,
    ["variant", "wall s", "cpu s", "ratio", "overhead ms/job"],
    [
      ["proxx watch --once", a.wall_s, a.cpu_s, row.ratio, row.overhead_ms_per_job],
      ...(bw
        ? [[
          `before: ${BASE!.label} watch --once`,
          bw.wall_s,
          bw.cpu_s,
          row.before_ratio!,
          row.before_overhead_ms_per_job!,
        ]]
        : []),
      ...(PROXX_ONLY ? [] : [["shell loop of the same ffmpeg commands", b.wall_s, b.cpu_s, 1, ""]]),
    ],
  ));
  return row;
}

// --- part 3: idle scan -------------------------------------------------------------------

/** A folder as 10,000 finished jobs leave it: result files in the root, JobSpecs in processed/, a manifest. Generated directly. */
function makeProcessedFolder(folder: string, n: number): void {
  freshDir(folder);
  mkdirSync(join(folder, "processed"));
  mkdirSync(join(folder, "failed"));
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const name = `job-${String(i).padStart(5, "0")}`;
    const spec = jobSpec([`/media/day1/${name}.mov`], "/proxies/day1", "prores_proxy", "mov", "half");
    writeFileSync(join(folder, "processed", `${name}.json`), spec);
    const result = {
      job_id: name,
      final_status: "COMPLETED",
      clips: [{ source_path: `/media/day1/${name}.mov`, status: "COMPLETED" }],
      _metadata: { jobspec_path: join(folder, `${name}.json`) },
    };
    writeFileSync(join(folder, `${name}.result.json`), JSON.stringify(result, null, 2) + "\n");
    entries[join(folder, `${name}.json`)] = {
      processed_at: "2025-12-28T12:00:00.000000+00:00",
      result_status: "COMPLETED",
      sha256: createHash("sha256").update(spec).digest("hex"),
    };
  }
  const sorted = Object.fromEntries(Object.keys(entries).sort().map((k) => [k, entries[k]]));
  writeFileSync(
    join(folder, "processed_manifest.json"),
    JSON.stringify({ entries: sorted, version: 1 }, null, 2) + "\n",
  );
}

function makeInvalidFolder(folder: string, n: number): void {
  freshDir(folder);
  for (let i = 0; i < n; i++) {
    const name = `job-${String(i).padStart(5, "0")}`;
    // A typical operator mistake: required fields missing.
    writeFileSync(
      join(folder, `${name}.json`),
      JSON.stringify({ sources: [`/media/day1/${name}.mov`], codec: "prores_proxy" }) + "\n",
    );
  }
}

async function partIdle() {
  const proxx = proxxCommand();
  const n = SIZE.idleJobs;
  const base = freshDir(join(WORK, "idle"));
  const processed = join(base, "processed-folder");
  const processedBefore = join(base, "processed-folder-before");
  log(`idle: generating ${n} processed jobs\n`);
  makeProcessedFolder(processed, n);
  if (BASE) makeProcessedFolder(processedBefore, n);
  const once = (cmd: string[], folder: string, quiet = false) =>
    measure([...cmd, "watch", folder, "--once", "--settle-seconds", "0", ...(quiet ? ["-q"] : [])], {
      stderrFile: stderrFile(),
    });
  const idleVariants: Variant[] = [{ key: "idle", run: () => once(proxx.cmd, processed) }];
  if (BASE) idleVariants.push({ key: "idle_before", run: () => once(BASE.cmd, processedBefore) });
  const idle = await interleave(RUNS, idleVariants, progress("idle"));
  const invalidCase = (key: string, cmd: string[], invalidFolder: string): Variant => ({
    key,
    before: () => makeInvalidFolder(invalidFolder, n),
    run: async () => {
      const s = await once(cmd, invalidFolder, true);
      // exit 1 = some job did not complete: expected here. Check every one was recorded.
      const results = readdirSync(invalidFolder).filter((f) => f.endsWith(".result.json")).length;
      const ok = s.code === 1 && results === n;
      return { ...s, code: ok ? 0 : s.code || 99, stderr_tail: ok ? "" : `${results}/${n} results\n${s.stderr_tail}` };
    },
  });
  const invalidVariants = [invalidCase("invalid", proxx.cmd, join(base, "invalid-folder"))];
  if (BASE) invalidVariants.push(invalidCase("invalid_before", BASE.cmd, join(base, "invalid-folder-before")));
  const invalid = await interleave(RUNS, invalidVariants, progress("idle"));
  const a = summarize(idle.idle!);
  const b = summarize(invalid.invalid!);
  const idleCase = `${n} processed jobs, nothing to do`;
  const invalidCaseName = `${n} pending invalid JobSpecs (each recorded PARTIAL, moved to failed/)`;
  const before = (samples: Sample[] | undefined) => {
    if (!samples) return {};
    const m = summarize(samples);
    return { before: { ...m, per_job_ms: round((m.wall_s / n) * 1000, 3) } };
  };
  const rows = [
    { case: idleCase, ...a, per_job_ms: round((a.wall_s / n) * 1000, 3), ...before(idle.idle_before) },
    {
      case: invalidCaseName,
      ...b,
      per_job_ms: round((b.wall_s / n) * 1000, 3),
      ...before(invalid.invalid_before),
    },
  ];
  if (BASE) {
    compareRow("idle", `${n} processed jobs: wall`, idle.idle!, idle.idle_before!);
    compareRow("idle", `${n} processed jobs: peak RSS`, idle.idle!, idle.idle_before!, "max_rss_mb");
    compareRow("idle", `${n} invalid JobSpecs: wall`, invalid.invalid!, invalid.invalid_before!);
    compareRow("idle", `${n} invalid JobSpecs: peak RSS`, invalid.invalid!, invalid.invalid_before!, "max_rss_mb");
  }
  console.log(table(
    `idle scan: watch --once, median of ${RUNS} (proxx = ${proxx.label})`,
    ["case", "wall s", "peak RSS MB", "ms per job"],
    rows.flatMap((r) => [
      [r.case, r.wall_s, r.max_rss_mb, r.per_job_ms],
      ...(r.before ? [[`  before: ${BASE!.label}`, r.before.wall_s, r.before.max_rss_mb, r.before.per_job_ms]] : []),
    ]),
  ));
  return { proxx: proxx.label, jobs: n, rows };
}

// --- part 4: start-up ----------------------------------------------------------------------

async function partStartup() {
  const proxx = proxxCommand();
  const base = freshDir(join(WORK, "startup"));
  const clip = makeClip(MEDIA, "hd", SIZE.hd);
  const job = join(base, "job.json");
  writeFileSync(job, jobSpec([clip], base, "prores_proxy", "mov", "half"));
  const runs = SIZE.startupRuns;
  const variants: Variant[] = [
    { key: "version", run: () => measure([...proxx.cmd, "--version"], { stderrFile: stderrFile() }) },
    { key: "validate", run: () => measure([...proxx.cmd, "validate", job], { stderrFile: stderrFile() }) },
    {
      key: "bun_source_version",
      run: () => measure([process.execPath, join(REPO, "src/main.ts"), "--version"], { stderrFile: stderrFile() }),
    },
  ];
  // Start-up is compared only binary against binary: from source it is mostly Bun's own transpiling.
  const compareStartup = BASE && BASELINE_BIN;
  if (BASE && !BASELINE_BIN) {
    COMPARE_SKIPPED.push(
      "startup: both sides run from source; give --baseline-binary PATH to compare compiled start-up",
    );
  }
  if (compareStartup) {
    variants.push(
      { key: "before_version", run: () => measure([...BASE.cmd, "--version"], { stderrFile: stderrFile() }) },
      { key: "before_validate", run: () => measure([...BASE.cmd, "validate", job], { stderrFile: stderrFile() }) },
    );
  }
  log(`startup (${proxx.label}${compareStartup ? ` vs before: ${BASE.label}` : ""}), ${runs} runs\n`);
  const s = await interleave(runs, variants, () => {});
  const rows = [
    { command: `${proxx.label} --version`, ...summarize(s.version!) },
    { command: `${proxx.label} validate job.json`, ...summarize(s.validate!) },
    { command: "bun src/main.ts --version (reference)", ...summarize(s.bun_source_version!) },
  ];
  if (compareStartup) {
    rows.push(
      { command: `before: ${BASE.label} --version`, ...summarize(s.before_version!) },
      { command: `before: ${BASE.label} validate job.json`, ...summarize(s.before_validate!) },
    );
    compareRow("startup", "--version", s.version!, s.before_version!);
    compareRow("startup", "validate job.json", s.validate!, s.before_validate!);
  }
  console.log(table(
    `start-up: wall ms, median of ${runs}`,
    ["command", "wall ms", "peak RSS MB"],
    rows.map((r) => [r.command, round(r.wall_s * 1000, 1), r.max_rss_mb]),
  ));
  return { proxx: proxx.label, compiled: proxx.label !== "bun src/main.ts", runs, rows };
}

// --- part 5: --max-workers ------------------------------------------------------------------

async function partWorkers() {
  const proxx = proxxCommand();
  const base = freshDir(join(WORK, "workers"));
  const clip = makeClip(MEDIA, "short", SIZE.workersClip);
  const media = join(base, "media");
  mkdirSync(media);
  const sources = Array.from({ length: SIZE.workersJobs }, (_, i) => {
    const p = join(media, `clip-${String(i).padStart(2, "0")}.mp4`);
    linkSync(clip, p);
    return p;
  });
  // side "" = the proxx under test; "before-" = the baseline (its own folders).
  const prepare = (n: number, side = "") => () => {
    const folder = freshDir(join(base, `watch-${side}${n}`));
    const out = freshDir(join(base, `out-${side}${n}`));
    sources.forEach((s, i) =>
      writeFileSync(
        join(folder, `job-${String(i).padStart(2, "0")}.json`),
        jobSpec([s], out, "prores_proxy", "mov", "half"),
      )
    );
  };
  const run = (n: number, cmd = proxx.cmd, side = "") => async () => {
    const folder = join(base, `watch-${side}${n}`);
    const s = await measure(
      [...cmd, "watch", folder, "--once", "--settle-seconds", "0", "-q", "--max-workers", String(n)],
      { stderrFile: stderrFile() },
    );
    const done = readdirSync(join(folder, "processed")).length;
    return done === sources.length
      ? s
      : { ...s, code: s.code || 99, stderr_tail: `${done}/${sources.length} processed\n${s.stderr_tail}` };
  };
  log(`workers: ${sources.length} jobs (${proxx.label}${BASE ? ` vs before: ${BASE.label}` : ""})\n`);
  const s = await interleave(
    RUNS,
    SIZE.workerCounts.flatMap((n): Variant[] => [
      { key: String(n), before: prepare(n), run: run(n) },
      ...(BASE ? [{ key: `before-${n}`, before: prepare(n, "before-"), run: run(n, BASE.cmd, "before-") }] : []),
    ]),
    progress("workers"),
  );
  const one = summarize(s["1"]!);
  const rows = SIZE.workerCounts.map((n) => {
    const m = summarize(s[String(n)]!);
    if (BASE) compareRow("workers", `--max-workers ${n}, ${sources.length} jobs`, s[String(n)]!, s[`before-${n}`]!);
    return {
      max_workers: n,
      ...m,
      speedup: ratio(one.wall_s, m.wall_s),
      cpu_use: ratio(m.cpu_s, m.wall_s),
      jobs_per_hour: round((sources.length / m.wall_s) * 3600, 0),
      ...(BASE ? { before: summarize(s[`before-${n}`]!) } : {}),
    };
  });
  console.log(table(
    `--max-workers: ${sources.length} jobs of ${SIZE.workersClip.seconds} s ${SIZE.workersClip.width}x${SIZE.workersClip.height} → ProRes Proxy half, median of ${RUNS}`,
    ["N", "wall s", "speed-up", "cpu s", "cpu use (cpu/wall)", "jobs/hour", "ok"],
    rows.map((
      r,
    ) => [
      r.max_workers,
      r.wall_s,
      r.speedup,
      r.cpu_s,
      r.cpu_use,
      r.jobs_per_hour,
      r.ok ? "yes" : `NO: ${lastLine(r.failure)}`,
    ]),
  ));
  return { proxx: proxx.label, jobs: sources.length, cpus: ENV.cpus, rows };
}

// --- targets ------------------------------------------------------------------------------

type Verdict = "PASS" | "FAIL" | "N/A";
interface TargetRow {
  target: string;
  measured: string;
  verdict: Verdict;
  note?: string;
}

function targets(results: PartResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const enc = results.encode?.rows;
  if (enc && PROXX_ONLY) {
    rows.push({
      target: "encode targets",
      measured: "not measured",
      verdict: "N/A",
      note: "--proxx-only: decode-only and the original were not run",
    });
  } else if (enc) {
    for (const r of enc) {
      // The targets as decided (issue 13): the camera-like source is decode-bound, so its target is the
      // decode floor (≤ 1.8× decode-only); "≥ 3× faster than the original" applies to the light source.
      if (r.id === "uhd-prores_proxy-half") {
        rows.push({
          target: "ProRes Proxy half (UHD H.264, camera-like 60 Mb/s): proxx ≤ 1.8× decode-only",
          measured: `${fmt(r.proxx_over_decode)}× (${fmt(r.proxx.wall_s)} s vs ${fmt(r.decode.wall_s)} s)`,
          verdict: r.proxx.ok && r.proxx_over_decode <= 1.8 ? "PASS" : "FAIL",
        });
        rows.push({
          target: "ProRes Proxy half (UHD H.264, camera-like): speed-up over the original, reported",
          measured: `${fmt(r.original_over_proxx)}× (${fmt(r.original.wall_s)} s vs ${fmt(r.proxx.wall_s)} s)`,
          verdict: "N/A",
          note: `decode-bound (decode alone ${fmt(r.decode.wall_s)} s): see "Why UHD ProRes Proxy stays under 3×" in ` +
            "docs/performance.md; the 3× target is the light source's row",
        });
        continue;
      }
      if (r.id === "uhdlight-prores_proxy-half") {
        rows.push({
          target: "ProRes Proxy half (UHD H.264, light source): ≥ 3× faster than the original",
          measured: `${fmt(r.original_over_proxx)}× (${fmt(r.original.wall_s)} s vs ${fmt(r.proxx.wall_s)} s); decode ${
            fmt(r.decode.wall_s)
          } s`,
          verdict: r.proxx.ok && r.original_over_proxx >= 3 ? "PASS" : "FAIL",
        });
        continue;
      }
      if (!r.original.ok) {
        rows.push({
          target: `${r.id}: beats the original or within 5 %`,
          measured: `proxx ${fmt(r.proxx.wall_s)} s; original fails`,
          verdict: r.proxx.ok ? "PASS" : "FAIL",
          note: `the original's command cannot make this proxy: ${r.original_failure}`,
        });
        continue;
      }
      rows.push({
        target: `${r.id}: beats the original or within 5 %`,
        measured: `${fmt(r.original_over_proxx)}× faster (${fmt(r.proxx.wall_s)} s vs ${fmt(r.original.wall_s)} s)`,
        verdict: r.proxx.ok && r.proxx.wall_s <= r.original.wall_s * 1.05 ? "PASS" : "FAIL",
      });
    }
  }
  if (results.overhead && PROXX_ONLY) {
    rows.push({
      target: "runner overhead ≤ 1.10× the plain FFmpeg loop",
      measured: "not measured",
      verdict: "N/A",
      note: "--proxx-only: the shell loop was not run",
    });
  } else if (results.overhead) {
    const o = results.overhead;
    rows.push({
      target: "runner overhead ≤ 1.10× the plain FFmpeg loop",
      measured: `${fmt(o.ratio)}× (${fmt(o.overhead_ms_per_job)} ms per job)`,
      verdict: o.proxx_watch.ok && o.ratio <= 1.1 ? "PASS" : "FAIL",
    });
  }
  if (results.idle) {
    const r = results.idle.rows[0];
    rows.push({
      target: `idle scan of ${results.idle.jobs} jobs ≤ 300 ms`,
      measured: `${fmt(r.wall_s * 1000)} ms`,
      verdict: r.ok && r.wall_s <= 0.3 ? "PASS" : "FAIL",
    });
    rows.push({
      target: `idle scan of ${results.idle.jobs} jobs: peak RSS ≤ 150 MB`,
      measured: `${fmt(r.max_rss_mb)} MB`,
      verdict: r.ok && r.max_rss_mb <= 150 ? "PASS" : "FAIL",
    });
  }
  if (results.scaling) {
    for (const r of results.scaling.rows.filter((x) => x.shards > 1)) {
      rows.push({
        target: `${r.shards} shards at once ≥ 0.9 × ${r.shards} × one shard (${results.scaling.jobs} jobs)`,
        measured: `${fmt(r.ratio)} (${r.jobs_per_hour} jobs/hour; busiest share ${fmt(r.max_over_mean)}× the mean)`,
        verdict: r.ok && r.ratio >= 0.9 ? "PASS" : "FAIL",
        note: `${fmt(r.ratio_over_even_bound)} of what the shares' evenness allows`,
      });
    }
  }
  if (results.looks) {
    // Issue 16's target is the LUT with the burn-ins; the watermark row is reported beside it.
    for (const clip of ["hd", "uhd"]) {
      const row = results.looks.rows.find((r) => r.clip === clip && r.look === "lut33+burn-in");
      const watermark = results.looks.rows.find((r) => r.clip === clip && r.look === "lut33+burn-in+watermark");
      if (!row) continue;
      rows.push({
        target: `${clip.toUpperCase()} → ProRes Proxy half, 33³ LUT + timecode and name burn-ins ≤ 1.25× plain`,
        measured: `${row.over_plain.toFixed(3)}×`,
        verdict: row.ok && row.over_plain <= 1.25 ? "PASS" : "FAIL",
        note: watermark ? `with a text watermark too: ${watermark.over_plain.toFixed(3)}×` : "",
      });
    }
  }
  if (results.startup) {
    const r = results.startup.rows[0];
    rows.push({
      target: "compiled --version ≤ 50 ms",
      measured: `${fmt(r.wall_s * 1000)} ms (${results.startup.proxx})`,
      verdict: !results.startup.compiled ? "N/A" : r.ok && r.wall_s <= 0.05 ? "PASS" : "FAIL",
      note: results.startup.compiled
        ? undefined
        : "measured from source: no up-to-date compiled binary (smoke mode does not build one)",
    });
  }
  return rows;
}

// --- part 6: looks (issue 16) --------------------------------------------------------------

/**
 * The looks compared with the plain proxy, each as extra JobSpec fields. The 33³ LUT is the
 * built-in ARRI transform (a real camera cube, shipped inside proxx). The burn-ins are a
 * running timecode and the clip's name, the watermark a text (docs/looks.md).
 */
const BURN_INS = [
  { text: "{timecode}", position: "bottom-right" },
  { text: "{source_name}", position: "bottom-left" },
];
const LOOK_VARIANTS: { id: string; fields: Record<string, unknown> }[] = [
  { id: "plain", fields: {} },
  { id: "lut33", fields: { lut: "arri_logc3_awg_to_rec709" } },
  // Timecode + name: the timecode changes every frame, so drawtext draws anew on every frame.
  { id: "burn-in", fields: { burn_in: BURN_INS } },
  { id: "lut33+burn-in", fields: { lut: "arri_logc3_awg_to_rec709", burn_in: BURN_INS } },
  {
    id: "lut33+burn-in+watermark",
    fields: { lut: "arri_logc3_awg_to_rec709", burn_in: BURN_INS, watermark: { text: "CONFIDENTIAL" } },
  },
];

/**
 * FFmpeg alone, HD ProRes 422 → half-size ProRes Proxy, the LUT chain's alternatives (the
 * chain proxx builds is "gbrpf32-tetrahedral"): what the decisions in docs/performance.md rest on.
 */
function lutChainVariants(cube: string): { id: string; vf: string }[] {
  const half = "scale=trunc(iw/4)*2:trunc(ih/4)*2";
  const m = ":in_color_matrix=bt709:in_range=tv";
  const back = "scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le";
  const lut = (interp: string) => `lut3d=file=${cube}:interp=${interp}`;
  return [
    { id: "no LUT", vf: half },
    { id: "gbrpf32-tetrahedral (proxx)", vf: `${half}${m},format=gbrpf32le,${lut("tetrahedral")},${back}` },
    { id: "gbrp-tetrahedral", vf: `${half}${m},format=gbrp,${lut("tetrahedral")},${back}` },
    { id: "gbrp-trilinear", vf: `${half}${m},format=gbrp,${lut("trilinear")},${back}` },
    { id: "gbrp-nearest", vf: `${half}${m},format=gbrp,${lut("nearest")},${back}` },
    { id: "gbrp10-tetrahedral", vf: `${half}${m},format=gbrp10le,${lut("tetrahedral")},${back}` },
    { id: "gbrpf32-trilinear", vf: `${half}${m},format=gbrpf32le,${lut("trilinear")},${back}` },
    { id: "rgb24-tetrahedral", vf: `${half}${m},format=rgb24,${lut("tetrahedral")},${back}` },
    { id: "FFmpeg's own formats", vf: `${half},${lut("tetrahedral")},format=yuv422p10le` },
    { id: "LUT then scale", vf: `format=gbrpf32le,${lut("tetrahedral")},${half},format=yuv422p10le` },
  ];
}

async function partLooks() {
  const proxx = proxxCommand();
  const clips = { hd: makeClip(MEDIA, "hdprores", SIZE.hdProres), uhd: makeClip(MEDIA, "uhd", SIZE.uhd) };
  const base = freshDir(join(WORK, "looks"));
  const rows = [];
  for (const [clip, src] of Object.entries(clips)) {
    const variants: Variant[] = LOOK_VARIANTS.map((look) => {
      const outDir = join(base, "out", `${clip}-${look.id}`);
      mkdirSync(outDir, { recursive: true });
      const job = join(base, `${clip}-${look.id}.json`);
      const spec = JSON.parse(jobSpec([src], outDir, "prores_proxy", "mov", "half"));
      writeFileSync(job, JSON.stringify({ ...spec, ...look.fields }, null, 2));
      return {
        key: look.id,
        before: () => void freshDir(outDir),
        run: () => measure([...proxx.cmd, "run", job, "-q"], { stderrFile: stderrFile() }),
      };
    });
    log(`looks ${clip}: ${LOOK_VARIANTS.map((v) => v.id).join(", ")}\n`);
    const s = await interleave(RUNS, variants, progress("looks"));
    const plain = summarize(s.plain!);
    for (const look of LOOK_VARIANTS) {
      const m = summarize(s[look.id]!);
      rows.push({ clip, look: look.id, ...m, over_plain: ratio(m.wall_s, plain.wall_s) });
    }
  }
  console.log(table(
    `looks: ProRes Proxy half, wall seconds, median of ${RUNS} (proxx = ${proxx.label})`,
    ["source", "look", "wall s", "cpu s", "× plain"],
    rows.map((r) => [r.clip, r.look, r.wall_s, r.cpu_s, r.over_plain]),
  ));

  // The chain's alternatives, FFmpeg alone: a 33³ cube (the built-in ARRI one) on the HD clip.
  const cube = join(REPO, "src/looks/builtin/arri_logc3_awg_to_rec709.cube");
  const out = join(base, "chain.mov");
  const chain = lutChainVariants(cube).map((v) => ({
    key: v.id,
    run: () =>
      measure([
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        clips.hd,
        "-map",
        "0:v",
        "-vf",
        v.vf,
        "-c:v",
        "prores_ks",
        "-profile:v",
        "0",
        "-pix_fmt",
        "yuv422p10le",
        "-f",
        "mov",
        out,
      ], { stderrFile: stderrFile() }),
  }));
  const c = await interleave(RUNS, chain, progress("looks-chain"));
  const none = summarize(c["no LUT"]!);
  const chainRows = chain.map((v) => {
    const m = summarize(c[v.key]!);
    return { chain: v.key, ...m, over_plain: ratio(m.wall_s, none.wall_s) };
  });
  console.log(table(
    `looks: the LUT chain's alternatives, FFmpeg alone, HD → ProRes Proxy half, median of ${RUNS}`,
    ["chain", "wall s", "cpu s", "× no LUT"],
    chainRows.map((r) => [r.chain, r.wall_s, r.cpu_s, r.over_plain]),
  ));
  return { proxx: proxx.label, rows, chain: chainRows };
}

// --- main ---------------------------------------------------------------------------------

const PART_FN = {
  encode: partEncode,
  overhead: partOverhead,
  idle: partIdle,
  startup: partStartup,
  workers: partWorkers,
  scaling: () =>
    partScaling({ smoke: SMOKE, runs: RUNS, work: WORK, cmd: proxxCommand().cmd, label: proxxCommand().label, log }),
  coordinator: () => runCoordinatorBench(SMOKE ? { jobs: 30, runners: [1, 2] } : {}), // scripts/bench-coordinator.ts
  looks: partLooks,
} satisfies Record<Part, () => Promise<unknown>>;
/** What each part returned, for the targets table. */
type PartResults = { [P in Part]?: Awaited<ReturnType<(typeof PART_FN)[P]>> };

ensureBinary();
if (BASE && BASELINE_DIR && !BASELINE_BIN && !existsSync(join(BASELINE_DIR, "node_modules"))) {
  // Bun would auto-install the dependencies into its cache, at whatever versions it resolves.
  log(
    `warning: ${BASELINE_DIR} has no node_modules; for the same dependencies: ln -s ${REPO}/node_modules ${BASELINE_DIR}/\n`,
  );
}
if (BASE) {
  // Both sides must start at all before an hour is spent on them.
  for (const [name, cmd] of [["after", proxxCommand().cmd], ["before", BASE.cmd]] as const) {
    const r = Bun.spawnSync([...cmd, "--version"], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) {
      throw new Error(
        `${name}: \`${cmd.join(" ")} --version\` failed (exit ${r.exitCode}):\n${r.stderr.toString().trim()}\n` +
          (name === "before" && !BASELINE_BIN
            ? `a checkout from \`git worktree add\` has no node_modules: \`ln -s ${REPO}/node_modules ${BASELINE_DIR}/\` ` +
              `(same dependencies) or \`bun install\` in it`
            : ""),
      );
    }
  }
}
console.log(`# proxx bench${SMOKE ? " (smoke: 1 run, tiny clips; figures are not meaningful)" : ""}`);
console.log(
  `${ENV.date}, commit ${ENV.commit}, ${ENV.cpus} × ${ENV.cpu_model}, ${ENV.ffmpeg}, bun ${ENV.bun}, runs ${RUNS}, load ${
    ENV.loadavg_start.join(" ")
  }`,
);
console.log(`peak RSS: ${RSS_SOURCE}`);
if (BASE) {
  console.log(
    `before/after: after = ${proxxCommand().label} (commit ${ENV.commit}), before = ${BASE.label} (commit ${BASE.commit})${
      PROXX_ONLY ? "; --proxx-only: no decode-only, original or shell-loop references" : ""
    }`,
  );
}
const BASELINE_INFO = BASE ? { baseline: { label: BASE.label, commit: BASE.commit, dir: BASELINE_DIR } } : {};
const results: PartResults = {};
for (const part of PARTS) {
  const started = performance.now();
  const data = await PART_FN[part]();
  (results as Record<Part, unknown>)[part] = data; // PART_FN[part]'s result: TS cannot pair the two up
  const file = writeJson(OUT, `${part}.json`, {
    part,
    smoke: SMOKE,
    runs: RUNS,
    seconds: round((performance.now() - started) / 1000, 1),
    env: { ...ENV, loadavg_end: loadavg().map((n) => round(n, 2)) },
    ...BASELINE_INFO,
    ...data,
  });
  console.log(`→ ${file}`);
}
if (BASE) {
  // One unit per row: MB for RSS, ms for wall times under a second, else s.
  const unit = (c: (typeof COMPARISONS)[number]): [number, string] =>
    c.metric === "max_rss_mb" ? [1, " MB"] : c.before < 1 ? [1000, " ms"] : [1, " s"];
  const value = (c: (typeof COMPARISONS)[number], v: number) => `${fmt(v * unit(c)[0])}${unit(c)[1]}`;
  const span = (c: (typeof COMPARISONS)[number], v: number[]) =>
    `${fmt(v[0]! * unit(c)[0])}–${fmt(v[1]! * unit(c)[0])}${unit(c)[1]}`;
  console.log(table(
    `before/after: median of ${RUNS}, wall time (peak RSS where MB) (after = ${proxxCommand().label} at ${ENV.commit}, before = ${BASE.label} at ${BASE.commit})`,
    [
      "part",
      "row",
      "before",
      "after",
      "after/before",
      "before min–max",
      "after min–max",
      "noise",
      "allowed",
      "no slower than noise",
    ],
    COMPARISONS.map((c) => [
      c.part,
      c.row,
      value(c, c.before),
      value(c, c.after),
      c.after_over_before,
      span(c, c.before_min_max),
      span(c, c.after_min_max),
      `${fmt(c.noise_pct, 1)} %`,
      `${fmt(c.allowed_pct, 1)} %`,
      c.verdict === "FAILED" ? `FAILED: ${lastLine(c.failure)}` : c.verdict,
    ]),
  ));
  console.log(`rule: ${COMPARE_RULE}${RUNS === 1 ? " (1 run: no spread, so the 3 % floor alone)" : ""}`);
  for (const note of COMPARE_SKIPPED) console.log(`not compared: ${note}`);
  const slower = COMPARISONS.filter((c) => c.verdict !== "yes");
  console.log(
    slower.length === 0
      ? `all ${COMPARISONS.length} rows no slower than noise`
      : `${slower.length} of ${COMPARISONS.length} rows slower than noise or failed: ${
        slower.map((c) => `${c.part} ${c.row}`).join("; ")
      }`,
  );
  console.log(
    `→ ${
      writeJson(OUT, "compare.json", {
        smoke: SMOKE,
        runs: RUNS,
        env: ENV,
        after: { label: proxxCommand().label, commit: ENV.commit, dir: REPO },
        before: BASELINE_INFO.baseline,
        proxx_only: PROXX_ONLY,
        rule: COMPARE_RULE,
        floor_pct: COMPARE_FLOOR * 100,
        not_compared: COMPARE_SKIPPED,
        all_no_slower: slower.length === 0,
        rows: COMPARISONS,
      })
    }`,
  );
}
const verdicts = targets(results);
console.log(
  table(
    "targets",
    ["target", "measured", "verdict", "note"],
    verdicts.map((t) => [t.target, t.measured, t.verdict, t.note ?? ""]),
  ),
);
console.log(
  `→ ${writeJson(OUT, "targets.json", { smoke: SMOKE, runs: RUNS, env: ENV, parts: PARTS, targets: verdicts })}`,
);
