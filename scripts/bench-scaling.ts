/**
 * bench.ts part `scaling` (issue 14): N shards of one watch folder at once, measured where
 * CPU is not the limit, and how even the shares of the hash are.
 *
 * - FFmpeg is a replay stand-in that takes a fixed wall time per clip (`sleep`, then
 *   tests/helpers/fakes/ffmpeg-replay.sh copies a real proxy made once by the real FFmpeg;
 *   ffprobe-replay.sh answers with the real probes), so a 2-core machine can run 8 "encodes"
 *   at once and what is measured is proxx: start-up, scans, locks, results, moves, manifest.
 * - 200 JobSpecs (smoke: 12), N = 1, 2, 4, 8 (smoke: 1, 2) runners `watch --once --shard i/N`
 *   started together on one fresh folder; wall time until the last exits, every JobSpec
 *   checked COMPLETED. jobs/hour, and the ratio to N × one shard's (target ≥ 0.9).
 * - A run of N shards ends with its busiest shard, so the hash's evenness bounds the ratio:
 *   `mean/max` of the shares of that very folder is printed beside it ("even bound"), and
 *   `ratio / even bound` is what is left for proxx's own cost.
 * - Evenness by pure computation (src/shard/assign.ts): max/mean and min/mean jobs per shard
 *   for 200 and 2,000 names, N = 2, 4, 8, both kinds the assignment knows: a numbered series
 *   (`job-NNN.json`, as `proxx new --split` names them: dealt round-robin) and names that do
 *   not end in a number (`job-NNN-a.json`: rendezvous hashing).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { shardOf } from "../src/shard/assign.ts";
import { fmt, median, round, table } from "./bench-lib.ts";
import { makeTinyClip } from "../tests/helpers/media.ts";

const REPO = resolve(import.meta.dir, "..");
const FAKES = join(REPO, "tests", "helpers", "fakes");

export interface ScalingContext {
  smoke: boolean;
  runs: number;
  /** Scratch root (the part uses <work>/scaling). */
  work: string;
  /** The proxx under test, e.g. ["bun", "src/main.ts"] or the binary. */
  cmd: string[];
  label: string;
  log: (text: string) => void;
}

export interface ScalingRow {
  shards: number;
  wall_s: number;
  walls_s: number[];
  jobs_per_hour: number;
  /** jobs/hour over N × one shard's jobs/hour. */
  ratio: number;
  /** max/mean jobs per shard in this folder. */
  max_over_mean: number;
  /** ratio / (mean/max): the part of the ratio not explained by the hash's evenness. */
  ratio_over_even_bound: number;
  ok: boolean;
  failure: string | null;
}

export interface EvennessRow {
  names: string;
  jobs: number;
  shards: number;
  max_over_mean: number;
  min_over_mean: number;
  largest: number;
  smallest: number;
}

/** max/mean and min/mean of how many of `names` each of `n` shards owns. */
export function evenness(names: string[], n: number, kind = "numbered"): EvennessRow {
  const counts = new Array<number>(n).fill(0);
  for (const name of names) counts[shardOf(name, n) - 1]!++;
  const mean = names.length / n;
  return {
    names: kind,
    jobs: names.length,
    shards: n,
    max_over_mean: round(Math.max(...counts) / mean, 3),
    min_over_mean: round(Math.min(...counts) / mean, 3),
    largest: Math.max(...counts),
    smallest: Math.min(...counts),
  };
}

const jobName = (i: number, width: number) => `job-${String(i).padStart(width, "0")}.json`;

export async function partScaling(ctx: ScalingContext) {
  const size = ctx.smoke
    ? { jobs: 12, clipSeconds: 0.05, counts: [1, 2] }
    : { jobs: 200, clipSeconds: 1, counts: [1, 2, 4, 8] };
  const base = join(ctx.work, "scaling");
  rmSync(base, { recursive: true, force: true });
  const [media, prep] = [join(base, "media"), join(base, "prep")];
  for (const d of [media, prep]) mkdirSync(d, { recursive: true });

  // 1. A real clip, a real proxy of it (proxx run with the real FFmpeg), and both probes.
  const clip = join(media, "clip.mov");
  makeTinyClip(media, "clip.mov");
  const body = (id: string) => ({
    job_id: id,
    sources: ["../media/clip.mov"],
    output_directory: "../out",
    codec: "prores_proxy",
    container: "mov",
    resolution: "same",
    naming_template: "{job_id}",
  });
  writeFileSync(join(prep, "prep.json"), JSON.stringify({ ...body("prep"), output_directory: "." }));
  const made = spawnSync(ctx.cmd[0]!, [...ctx.cmd.slice(1), "run", join(prep, "prep.json"), "--quiet"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const proxy = join(prep, "prep.mov");
  if (made.status !== 0 || !existsSync(proxy)) {
    throw new Error(`scaling: the real engine could not make the reference proxy:\n${made.stderr}`);
  }
  const probe = (file: string, to: string) => {
    const r = spawnSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
    writeFileSync(to, r.stdout);
  };
  probe(clip, join(prep, "source.probe.json"));
  probe(proxy, join(prep, "proxy.probe.json"));
  for (const f of ["ffmpeg-replay.sh", "ffprobe-replay.sh"]) chmodSync(join(FAKES, f), 0o755);
  const ffmpeg = join(prep, "ffmpeg-fixed-time.sh");
  writeFileSync(ffmpeg, `#!/bin/sh\nsleep ${size.clipSeconds}\nexec '${join(FAKES, "ffmpeg-replay.sh")}' "$@"\n`);
  chmodSync(ffmpeg, 0o755);
  const env = {
    ...process.env,
    NO_COLOR: "1",
    PROXX_FFMPEG: ffmpeg,
    PROXX_FFPROBE: join(FAKES, "ffprobe-replay.sh"),
    PROXX_REPLAY_OUTPUT: proxy,
    PROXX_REPLAY_SOURCE_PROBE: join(prep, "source.probe.json"),
    PROXX_REPLAY_OUTPUT_PROBE: join(prep, "proxy.probe.json"),
  };

  const width = String(size.jobs - 1).length;
  const names = Array.from({ length: size.jobs }, (_, i) => jobName(i, width));
  /** One sample: a fresh folder, N runners started together, wall time until the last exits. */
  const sample = async (n: number): Promise<{ wall_s: number; failure: string | null }> => {
    const folder = join(base, `n${n}`);
    rmSync(folder, { recursive: true, force: true });
    const [jobs, out] = [join(folder, "jobs"), join(folder, "out")];
    for (const d of [jobs, out]) mkdirSync(d, { recursive: true });
    symlinkMedia(folder, media);
    names.forEach((name, i) => writeFileSync(join(jobs, name), JSON.stringify(body(`j${i}`))));
    const stderr = (i: number) => join(folder, `shard-${i}.stderr`);
    const start = performance.now();
    const children = Array.from({ length: n }, (_, i) =>
      Bun.spawn(
        [
          ...ctx.cmd,
          "watch",
          jobs,
          "--once",
          "--settle-seconds",
          "0",
          "-q",
          ...(n > 1 ? ["--shard", `${i + 1}/${n}`] : []),
        ],
        { env, stdin: "ignore", stdout: "ignore", stderr: Bun.file(stderr(i)) },
      ));
    const codes = await Promise.all(children.map((c) => c.exited));
    const wall = (performance.now() - start) / 1000;
    const done = readdirSync(jobs).filter((f) => f.endsWith(".result.json"))
      .filter((f) => JSON.parse(readFileSync(join(jobs, f), "utf8")).final_status === "COMPLETED").length;
    const bad = codes.map((c, i) => [c, i] as const).filter(([c]) => c !== 0);
    const failure = bad.length
      ? bad.map(([c, i]) => `shard ${i + 1}/${n} exited ${c}: ${readFileSync(stderr(i), "utf8").trim().slice(-300)}`)
        .join("\n")
      : done !== names.length
      ? `${done}/${names.length} COMPLETED`
      : null;
    return { wall_s: wall, failure };
  };

  ctx.log(
    `scaling: ${names.length} jobs, ${size.clipSeconds} s per clip (replay stand-in), shards ${
      size.counts.join(", ")
    } (${ctx.label})\n`,
  );
  const walls = new Map<number, number[]>(size.counts.map((n) => [n, []]));
  const failures = new Map<number, string>();
  for (let r = 0; r < ctx.runs; r++) {
    // Interleaved, alternating direction, so machine noise hits every N alike.
    const order = r % 2 === 0 ? size.counts : [...size.counts].reverse();
    for (const n of order) {
      const s = await sample(n);
      walls.get(n)!.push(s.wall_s);
      if (s.failure) failures.set(n, s.failure);
      ctx.log(`  scaling ${n} shard(s), run ${r + 1}/${ctx.runs}: ${fmt(s.wall_s)} s${s.failure ? " FAILED" : ""}\n`);
    }
  }
  const jph = (n: number) => (names.length / median(walls.get(n)!)) * 3600;
  const rows: ScalingRow[] = size.counts.map((n) => {
    const even = evenness(names, n);
    const ratio = round(jph(n) / (n * jph(1)), 3);
    return {
      shards: n,
      wall_s: round(median(walls.get(n)!), 3),
      walls_s: walls.get(n)!.map((w) => round(w, 3)),
      jobs_per_hour: Math.round(jph(n)),
      ratio,
      max_over_mean: even.max_over_mean,
      ratio_over_even_bound: round(ratio * even.max_over_mean, 3),
      ok: !failures.has(n),
      failure: failures.get(n) ?? null,
    };
  });
  console.log(table(
    `scaling: ${names.length} JobSpecs, ${size.clipSeconds} s per clip (replay), N runners --shard i/N at once, median of ${ctx.runs} (proxx = ${ctx.label})`,
    ["N", "wall s", "jobs/hour", "ratio to N × 1", "max/mean share", "ratio / even bound", "ok"],
    rows.map((r) => [
      String(r.shards),
      r.wall_s,
      String(r.jobs_per_hour),
      r.ratio,
      r.max_over_mean,
      r.ratio_over_even_bound,
      r.ok ? "yes" : `NO: ${r.failure!.split("\n")[0]}`,
    ]),
  ));

  const evenRows: EvennessRow[] = [];
  for (const kind of ["numbered (job-NNN.json)", "not numbered (job-NNN-a.json)"]) {
    for (const jobs of [200, 2000]) {
      const w = String(jobs - 1).length;
      const all = Array.from(
        { length: jobs },
        (_, i) => kind.startsWith("numbered") ? jobName(i, w) : jobName(i, w).replace(/\.json$/, "-a.json"),
      );
      for (const n of [2, 4, 8]) evenRows.push(evenness(all, n, kind));
    }
  }
  console.log(table(
    "evenness of the shares (src/shard/assign.ts: numbered series round-robin, other names rendezvous hashing)",
    ["names", "jobs", "N", "max/mean", "min/mean", "largest share", "smallest share"],
    evenRows.map((e) => [
      e.names,
      String(e.jobs),
      String(e.shards),
      e.max_over_mean,
      e.min_over_mean,
      String(e.largest),
      String(e.smallest),
    ]),
  ));
  return {
    proxx: ctx.label,
    jobs: names.length,
    clip_seconds: size.clipSeconds,
    rows,
    evenness: evenRows,
  };
}

/** Each sample's folder sees the one clip as ../media/clip.mov. */
function symlinkMedia(folder: string, media: string): void {
  spawnSync("ln", ["-s", media, join(folder, "media")]);
}
