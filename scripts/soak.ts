/**
 * Load soak: N JobSpecs dropped into one watch folder at once, one real `proxx watch --once`
 * (docs/reliability.md, issue "Reliability harness": soak mode).
 *
 *   bun scripts/soak.ts                       # 10,000 jobs
 *   bun scripts/soak.ts --jobs 2000 --seed 7 --keep
 *   bun scripts/soak.ts --tree /tmp/proxx-old  # the CLI of another checkout (A/B runs)
 *   bun scripts/soak.ts --bookkeeping          # the manifest step alone (scripts/bookkeeping-bench.ts)
 *
 * Set-up, in a temp sandbox: a tiny real clip (lavfi, 64x48, 3 frames) and one real ProRes
 * proxy of it made by the real engine and FFmpeg, both recorded with the real ffprobe. The
 * runner then uses fast stand-ins (tests/helpers/fakes/*-replay.sh, selected with
 * PROXX_FFMPEG / PROXX_FFPROBE): "FFmpeg" copies the real proxy to the output, "ffprobe"
 * prints the recorded answers. Verification therefore passes on real bytes and real probe
 * data, and what is measured is proxx's own per-job cost (validation, two probes, one
 * spawn, the crash-safe bookkeeping), not encoding.
 *
 * The jobs (seeded mix): ~90 % valid single-clip jobs (COMPLETED), ~5 % invalid JobSpecs
 * (PARTIAL: bad codec, unknown token, missing field, broken JSON) and ~5 % jobs whose
 * source is not media (FAILED). `bun src/main.ts watch <folder> --once --settle-seconds 0
 * --json` runs as a child process; its NDJSON events (docs/events.md) are timestamped as
 * they arrive and its RSS (VmRSS in /proc/<pid>/status) is sampled every 250 ms.
 *
 * Checked and printed:
 *   - all N processed: N `job_result` events, N result files, processed/ + failed/ hold N
 *     JobSpecs (each in the folder its expected status sends it to), N manifest entries with
 *     the expected statuses, one output per COMPLETED job, nothing left pending, no temp
 *     files, the exit code the CLI documents (1: some jobs did not complete);
 *   - RSS when 10 %, 50 %, 90 % of the jobs were done and at the end; growth 10 % → end;
 *   - per-job time (between consecutive `job_result` events, so the next job's scan check
 *     and in-flight record count too): median of the first 100 jobs and of the last 100,
 *     and their ratio. Growth here means a per-job cost that rises with the jobs done
 *     (e.g. the manifest, rewritten whole after every job, grows by one entry per job).
 * PASS/FAIL thresholds (defaults): RSS growth ≤ 50 MB, last/first median ≤ 1.5×.
 *
 * Exported `runSoak` is also the CI mode (tests/integration/soak.test.ts, ~300 jobs).
 */
import { spawn, spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bunPlatform } from "../src/platform/bun.ts";
import { runJobFile } from "../src/engine/run-job-file.ts";
import { locateTools } from "../src/ffmpeg/locate.ts";
import { prng } from "./chaos.ts";
import { runBookkeepingBench } from "./bookkeeping-bench.ts";
import { makeTinyClip } from "../tests/helpers/media.ts";

const ROOT = dirname(import.meta.dir);
const MAIN = join(ROOT, "src", "main.ts");
const FAKES = join(ROOT, "tests", "helpers", "fakes");

export interface SoakOptions {
  jobs: number;
  seed: number;
  keep?: boolean;
  /** PASS when RSS grows at most this much from 10 % of the jobs done to the end (default 50). */
  maxRssGrowthMb?: number;
  /** PASS when the last-jobs median per-job time is at most this many times the first jobs' (default 1.5). */
  maxSlowdown?: number;
  /** Jobs in the "first" and "last" windows (default 100, at most a third of the jobs). */
  window?: number;
  /** RSS sampling period (default 250 ms). */
  sampleMs?: number;
  /**
   * Diagnosis: start with this many manifest entries of other (long gone) JobSpecs, as a
   * folder that already processed that many jobs has. Flat per-job time at a higher level
   * than without them means the per-job cost follows the manifest's size.
   */
  preloadManifest?: number;
  /** Run the CLI of this source tree (`<tree>/src/main.ts`, e.g. an older commit checked out) instead of this one's. */
  tree?: string;
  log?: (line: string) => void;
}

export interface SoakCheck {
  name: string;
  pass: boolean;
  detail: string;
}

export interface SoakReport {
  jobs: number;
  seed: number;
  expected: Record<string, number>;
  /** Statuses of the `job_result` events. */
  results: Record<string, number>;
  resultFiles: number;
  processedDir: number;
  failedDir: number;
  manifestEntries: number;
  outputs: number;
  exitCode: number | null;
  /** Seconds from spawning the runner to its first `job_taken` (start-up and the scan of N files). */
  startSeconds: number;
  /** Seconds from the first `job_taken` to the last `job_result`. */
  jobsSeconds: number;
  totalSeconds: number;
  jobsPerSecond: number;
  rssMb: { at10: number; at50: number; at90: number; end: number; peak: number; growth: number; samples: number };
  perJobMs: {
    window: number;
    firstMedian: number;
    lastMedian: number;
    ratio: number;
    /** Median of the whole run, and job_taken → job_result (execution + bookkeeping, without the next job's checks). */
    median: number;
    firstTakeToResult: number;
    lastTakeToResult: number;
    /** Medians of consecutive tenths of the jobs, to see the trend (the first 100 include warm-up). */
    tenths: number[];
    /** Last tenth's median / first tenth's (informational, no threshold). */
    tenthsRatio: number;
  };
  checks: SoakCheck[];
  pass: boolean;
  sandbox: string | null;
}

type Kind = "valid" | "invalid" | "failing";
const INVALID_BODIES: ((i: number) => string)[] = [
  (i) => JSON.stringify({ ...validBody(i), codec: "prores_ultra" }),
  (i) => JSON.stringify({ ...validBody(i), naming_template: "{job_id}_{nope}" }),
  (i) => {
    const { output_directory: _, ...rest } = validBody(i);
    return JSON.stringify(rest);
  },
  (i) => JSON.stringify(validBody(i)).slice(0, 40),
];

function validBody(i: number) {
  return {
    job_id: `soak-${i}`,
    sources: ["../media/clip.mov"],
    output_directory: "../out",
    codec: "prores_proxy",
    container: "mov",
    resolution: "same",
    naming_template: "{job_id}",
  };
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** VmRSS and VmHWM of a live process in MB, or null once it is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    const rss = kb("VmRSS");
    return Number.isFinite(rss) ? { rss: rss / 1024, hwm: kb("VmHWM") / 1024 } : null;
  } catch {
    return null;
  }
}

function count(dir: string, pred: (name: string) => boolean = () => true): number {
  return existsSync(dir) ? readdirSync(dir).filter(pred).length : 0;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.jobs;
  const window = Math.max(1, Math.min(options.window ?? 100, Math.floor(n / 3)));
  const maxGrowth = options.maxRssGrowthMb ?? 50;
  const maxSlowdown = options.maxSlowdown ?? 1.5;
  if (process.platform !== "linux") throw new Error("soak samples RSS from /proc: Linux only");
  if (!Number.isInteger(n) || n < 3) throw new Error(`--jobs must be a whole number ≥ 3, got ${n}`);

  const sandbox = mkdtempSync(join(tmpdir(), "proxx-soak-"));
  const [media, out, watch, prep] = ["media", "out", "watch", "prep"].map((d) => join(sandbox, d)) as [
    string,
    string,
    string,
    string,
  ];
  for (const d of [media, out, watch, prep]) mkdirSync(d);

  // 1. A real clip, a real proxy of it (the real engine and FFmpeg), the real probes of both.
  const platform = bunPlatform();
  const real = await locateTools(platform);
  if (!real.ffmpeg || !real.ffprobe) throw new Error("soak needs ffmpeg and ffprobe on PATH for its set-up");
  const clip = join(media, "clip.mov");
  makeTinyClip(media, "clip.mov");
  writeFileSync(join(media, "broken.mov"), "not media\n");
  writeFileSync(join(prep, "prep.json"), JSON.stringify({ ...validBody(0), job_id: "prep", output_directory: "." }));
  const made = await runJobFile(platform, join(prep, "prep.json"), { tools: real, timeoutSeconds: 60 });
  if (made.result.final_status !== "COMPLETED") {
    throw new Error(`the real engine could not make the reference proxy: ${made.result.failure_reason}`);
  }
  const proxy = made.result.clips[0]!.resolved_output_path;
  const probe = (file: string, to: string) => {
    const r = spawnSync(real.ffprobe!, [
      "-v",
      "error",
      "-print_format",
      "json",
      "-show_format",
      "-show_streams",
      `file:${file}`,
    ], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
    writeFileSync(to, r.stdout);
  };
  probe(clip, join(prep, "source.probe.json"));
  probe(proxy, join(prep, "proxy.probe.json"));
  for (const f of ["ffmpeg-replay.sh", "ffprobe-replay.sh"]) chmodSync(join(FAKES, f), 0o755);

  // 2. N JobSpecs, all written before the runner starts ("dropped at once").
  const rand = prng(options.seed);
  const width = String(n - 1).length;
  const kinds: Kind[] = [];
  const expected: Record<string, number> = {};
  const expectedOf = { valid: "COMPLETED", invalid: "PARTIAL", failing: "FAILED" } as const;
  for (let i = 0; i < n; i++) {
    const roll = rand();
    const kind: Kind = roll < 0.05 ? "invalid" : roll < 0.1 ? "failing" : "valid";
    kinds.push(kind);
    expected[expectedOf[kind]] = (expected[expectedOf[kind]] ?? 0) + 1;
    const body = kind === "invalid"
      ? INVALID_BODIES[Math.floor(rand() * INVALID_BODIES.length)]!(i)
      : JSON.stringify(kind === "failing" ? { ...validBody(i), sources: ["../media/broken.mov"] } : validBody(i));
    writeFileSync(join(watch, `job-${String(i).padStart(width, "0")}.json`), body);
  }
  const nameOf = (i: number) => `job-${String(i).padStart(width, "0")}.json`;
  const preload = options.preloadManifest ?? 0;
  if (preload > 0) {
    const entries: Record<string, unknown> = {};
    for (let i = 0; i < preload; i++) {
      entries[join(watch, `old-${String(i).padStart(6, "0")}.json`)] = {
        processed_at: "2025-01-01T00:00:00.000Z",
        result_status: "COMPLETED",
        sha256: "0".repeat(64),
      };
    }
    writeFileSync(join(watch, "processed_manifest.json"), JSON.stringify({ entries, version: 1 }, null, 2) + "\n");
  }
  if (preload > 0) log(`soak: the manifest starts with ${preload} entries of earlier jobs (diagnosis)`);
  log(
    `soak: seed ${options.seed}, ${n} JobSpecs dropped (${
      Object.entries(expected).map(([k, v]) => `${v} → ${k}`).join(", ")
    }), sandbox ${sandbox}${options.tree ? `, CLI of ${options.tree}` : ""}`,
  );

  // 3. The real CLI, with the replaying tools; events timestamped on arrival, RSS sampled.
  const t0 = performance.now();
  const main = options.tree ? join(options.tree, "src", "main.ts") : MAIN;
  const child = spawn(process.execPath, [main, "watch", watch, "--once", "--settle-seconds", "0", "--json"], {
    env: {
      ...process.env,
      NO_COLOR: "1",
      PROXX_FFMPEG: join(FAKES, "ffmpeg-replay.sh"),
      PROXX_FFPROBE: join(FAKES, "ffprobe-replay.sh"),
      PROXX_REPLAY_OUTPUT: proxy,
      PROXX_REPLAY_SOURCE_PROBE: join(prep, "source.probe.json"),
      PROXX_REPLAY_OUTPUT_PROBE: join(prep, "proxy.probe.json"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const taken: number[] = [];
  const finished: { t: number; path: string; status: string }[] = [];
  const badLines: string[] = [];
  let stderr = "";
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const now = performance.now();
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      let e: { type?: string; jobspec_path?: string; final_status?: string };
      try {
        e = JSON.parse(line);
      } catch {
        if (badLines.length < 5) badLines.push(line.slice(0, 200));
        continue;
      }
      if (e.type === "job_taken") taken.push(now);
      else if (e.type === "job_result") finished.push({ t: now, path: e.jobspec_path!, status: e.final_status! });
    }
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const samples: { t: number; done: number; rss: number; hwm: number }[] = [];
  const sample = () => {
    const m = memoryOf(child.pid!);
    if (m) samples.push({ t: performance.now(), done: finished.length, ...m });
  };
  sample();
  const timer = setInterval(sample, options.sampleMs ?? 250);
  let lastProgress = 0;
  const progress = setInterval(() => {
    if (finished.length - lastProgress >= Math.max(1, Math.floor(n / 10))) {
      lastProgress = finished.length;
      const m = samples.at(-1);
      log(
        `soak: ${finished.length}/${n} jobs done, ${round((performance.now() - t0) / 1000)} s, RSS ${
          m ? round(m.rss) : "?"
        } MB`,
      );
    }
  }, 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearInterval(timer);
  clearInterval(progress);
  const totalSeconds = (performance.now() - t0) / 1000;

  // 4. Bookkeeping: every job exactly once, where its status says.
  const checks: SoakCheck[] = [];
  const check = (name: string, pass: boolean, detail: string) => checks.push({ name, pass, detail });
  const results: Record<string, number> = {};
  for (const f of finished) results[f.status] = (results[f.status] ?? 0) + 1;
  const distinct = new Set(finished.map((f) => f.path)).size;
  check(
    "every job has one job_result event",
    finished.length === n && distinct === n,
    `${finished.length} events for ${distinct} JobSpecs, ${n} expected`,
  );
  check(
    "statuses are the expected ones",
    JSON.stringify(Object.entries(results).sort()) === JSON.stringify(Object.entries(expected).sort()) &&
      finished.every((f) => {
        const i = Number(/job-(\d+)\.json$/.exec(f.path)?.[1]);
        return expectedOf[kinds[i]!] === f.status;
      }),
    `got ${JSON.stringify(results)}, expected ${JSON.stringify(expected)}`,
  );
  const resultFiles = count(watch, (f) => f.endsWith(".result.json"));
  check("one result file per job", resultFiles === n, `${resultFiles} result files`);
  const processedDir = count(join(watch, "processed"));
  const failedDir = count(join(watch, "failed"));
  let misplaced = 0;
  for (let i = 0; i < n; i++) {
    const want = kinds[i] === "valid" ? "processed" : "failed";
    if (!existsSync(join(watch, want, nameOf(i))) || existsSync(join(watch, nameOf(i)))) misplaced++;
  }
  check(
    "processed/ + failed/ hold every JobSpec, each in the right one",
    processedDir === (expected.COMPLETED ?? 0) && failedDir === n - (expected.COMPLETED ?? 0) && misplaced === 0,
    `processed/ ${processedDir}, failed/ ${failedDir}, misplaced or left pending ${misplaced}`,
  );
  let manifestEntries = 0;
  let manifestWrong = 0;
  try {
    const manifest = JSON.parse(readFileSync(join(watch, "processed_manifest.json"), "utf8")) as {
      entries: Record<string, { result_status: string }>;
    };
    manifestEntries = Object.keys(manifest.entries).length - preload;
    for (let i = 0; i < n; i++) {
      if (manifest.entries[join(watch, nameOf(i))]?.result_status !== expectedOf[kinds[i]!]) manifestWrong++;
    }
  } catch (error) {
    manifestWrong = n;
    stderr += `\nmanifest unreadable: ${(error as Error).message}`;
  }
  check(
    "manifest has one entry per job, with its status",
    manifestEntries === n && manifestWrong === 0,
    `${manifestEntries} entries, ${manifestWrong} missing or wrong`,
  );
  const outputs = count(out, (f) => f.endsWith(".mov") && !f.startsWith("."));
  check("one proxy per COMPLETED job", outputs === (expected.COMPLETED ?? 0), `${outputs} proxies in out/`);
  const leftovers = [...readdirSync(watch), ...readdirSync(out)].filter((f) =>
    f.includes(".proxx-partial") || /\.tmp-\d+$/.test(f) || f.startsWith(".proxx")
  );
  check(
    "no temp files, lock or in-flight record left",
    leftovers.length === 0,
    leftovers.length ? leftovers.slice(0, 5).join(", ") : "none",
  );
  const wantCode = (expected.PARTIAL ?? 0) + (expected.FAILED ?? 0) > 0 ? 1 : 0;
  check(
    "exit code",
    exitCode === wantCode && badLines.length === 0,
    `exit ${exitCode} (expected ${wantCode})${
      badLines.length ? `; non-JSON lines on stdout: ${badLines.join(" | ")}` : ""
    }`,
  );

  // 5. Memory and per-job time.
  const rssAt = (fraction: number) => samples.find((s) => s.done >= Math.ceil(fraction * n))?.rss ?? NaN;
  const endSample = samples.filter((s) => s.done >= n).at(-1) ?? samples.at(-1);
  const rssMb = {
    at10: round(rssAt(0.1)),
    at50: round(rssAt(0.5)),
    at90: round(rssAt(0.9)),
    end: round(endSample?.rss ?? NaN),
    peak: round(Math.max(...samples.map((s) => s.hwm))),
    growth: round((endSample?.rss ?? NaN) - rssAt(0.1)),
    samples: samples.length,
  };
  check(
    `RSS growth from 10 % of the jobs to the end ≤ ${maxGrowth} MB`,
    Number.isFinite(rssMb.growth) && rssMb.growth <= maxGrowth,
    `${rssMb.at10} → ${rssMb.end} MB (${rssMb.growth >= 0 ? "+" : ""}${rssMb.growth} MB)`,
  );
  const gaps = finished.map((f, i) => f.t - (i === 0 ? taken[0] ?? f.t : finished[i - 1]!.t));
  const takeToResult = finished.map((f, i) => f.t - (taken[i] ?? f.t));
  const firstMedian = median(gaps.slice(0, window));
  const lastMedian = median(gaps.slice(-window));
  const tenths = Array.from(
    { length: 10 },
    (_, k) =>
      round(median(gaps.slice(Math.floor((k * gaps.length) / 10), Math.floor(((k + 1) * gaps.length) / 10))), 2),
  );
  const perJobMs = {
    window,
    firstMedian: round(firstMedian, 2),
    lastMedian: round(lastMedian, 2),
    ratio: round(lastMedian / firstMedian, 2),
    median: round(median(gaps), 2),
    firstTakeToResult: round(median(takeToResult.slice(0, window)), 2),
    lastTakeToResult: round(median(takeToResult.slice(-window)), 2),
    tenths,
    tenthsRatio: round(tenths[9]! / tenths[0]!, 2),
  };
  check(
    `per-job time, median of the last ${window} ≤ ${maxSlowdown}× the first ${window}`,
    Number.isFinite(perJobMs.ratio) && perJobMs.ratio <= maxSlowdown,
    `${perJobMs.firstMedian} → ${perJobMs.lastMedian} ms (${perJobMs.ratio}×)`,
  );

  const startSeconds = taken.length ? (taken[0]! - t0) / 1000 : NaN;
  const jobsSeconds = taken.length && finished.length ? (finished.at(-1)!.t - taken[0]!) / 1000 : NaN;
  const pass = checks.every((c) => c.pass);
  const report: SoakReport = {
    jobs: n,
    seed: options.seed,
    expected,
    results,
    resultFiles,
    processedDir,
    failedDir,
    manifestEntries,
    outputs,
    exitCode,
    startSeconds: round(startSeconds, 2),
    jobsSeconds: round(jobsSeconds, 1),
    totalSeconds: round(totalSeconds, 1),
    jobsPerSecond: round(finished.length / jobsSeconds, 1),
    rssMb,
    perJobMs,
    checks,
    pass,
    sandbox: options.keep || !pass ? sandbox : null,
  };

  log(
    `soak: ${finished.length} of ${n} jobs processed in ${report.totalSeconds} s (start-up + scan ${report.startSeconds} s, jobs ${report.jobsSeconds} s, ${report.jobsPerSecond} jobs/s); exit ${exitCode}`,
  );
  log(
    `soak: results ${
      JSON.stringify(results)
    }; result files ${resultFiles}; processed/ ${processedDir} + failed/ ${failedDir}; manifest entries ${manifestEntries}; proxies ${outputs}`,
  );
  log(
    `soak: RSS at 10 % ${rssMb.at10} MB, 50 % ${rssMb.at50} MB, 90 % ${rssMb.at90} MB, end ${rssMb.end} MB (growth ${rssMb.growth} MB, peak ${rssMb.peak} MB, ${rssMb.samples} samples)`,
  );
  log(
    `soak: per-job median ${perJobMs.median} ms; first ${window} ${perJobMs.firstMedian} ms, last ${window} ${perJobMs.lastMedian} ms (${perJobMs.ratio}×); take→result first ${perJobMs.firstTakeToResult} ms, last ${perJobMs.lastTakeToResult} ms`,
  );
  log(`soak: per-job median by tenth of the run (ms): ${tenths.join(" ")} (last/first tenth ${perJobMs.tenthsRatio}×)`);
  for (const c of checks) log(`soak: ${c.pass ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
  if (!pass && stderr.trim()) log(`soak: runner stderr (end): ${stderr.slice(-2000)}`);
  if (report.sandbox) log(`soak: sandbox kept at ${sandbox}`);
  else rmSync(sandbox, { recursive: true, force: true });
  return report;
}

if (import.meta.main) {
  const { values: v } = parseArgs({
    args: process.argv.slice(2),
    options: {
      jobs: { type: "string" },
      seed: { type: "string" },
      keep: { type: "boolean" },
      "max-rss-growth": { type: "string" },
      "max-slowdown": { type: "string" },
      "preload-manifest": { type: "string" },
      tree: { type: "string" },
      bookkeeping: { type: "boolean" },
      rounds: { type: "string" },
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  if (v.help) {
    console.log(`Usage: bun scripts/soak.ts [--jobs N] [--seed N] [--keep] [--max-rss-growth MB] [--max-slowdown X]
                          [--preload-manifest N] [--tree DIR]
       bun scripts/soak.ts --bookkeeping [--rounds N] [--dir DIR]

Drops N (default 10000) JobSpecs into one watch folder at once and runs the real
'proxx watch --once --json' on it with fast replaying FFmpeg/ffprobe stand-ins. Checks that
every job was processed exactly once, that RSS stays flat (default: at most 50 MB growth
from 10 % of the jobs to the end) and that the per-job time stays flat (default: median of
the last 100 jobs at most 1.5x the first 100). Exit 0 when every check passes.
--preload-manifest N starts with N manifest entries of earlier jobs (diagnosis: is the
per-job time a matter of the manifest's size?).
--tree DIR runs the CLI of another source tree (DIR/src/main.ts), e.g. an older commit
checked out with 'git worktree add', for interleaved A/B runs in one session.
--bookkeeping times the manifest step alone at 1,000, 5,000 and 10,000 entries (the
whole-file rewrite, a journal append, and the locked variants several runners would need),
N rounds each (default 40), on the real adapter and disk (in DIR, default the temp dir: point
it at an NFS or SMB mount to measure that); see scripts/bookkeeping-bench.ts.`);
    process.exit(0);
  }
  if (v.bookkeeping) {
    await runBookkeepingBench({ rounds: num(v.rounds), dir: v.dir });
    process.exit(0);
  }
  const report = await runSoak({
    jobs: num(v.jobs) ?? 10_000,
    seed: num(v.seed) ?? Date.now() % 1_000_000,
    keep: v.keep,
    maxRssGrowthMb: num(v["max-rss-growth"]),
    maxSlowdown: num(v["max-slowdown"]),
    preloadManifest: num(v["preload-manifest"]),
    tree: v.tree,
  });
  console.log(`soak: ${report.pass ? "PASS" : "FAIL"} (${report.jobs} jobs, seed ${report.seed})`);
  process.exit(report.pass ? 0 : 1);
}
