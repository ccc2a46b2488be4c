#!/usr/bin/env bun
/**
 * The coordinator benchmark (issue 15; results in docs/performance.md "Many runners, one queue"):
 *
 *   bun scripts/bench-coordinator.ts                    # 300 jobs, N = 1, 2, 4, 8, client comparison
 *   bun scripts/bench-coordinator.ts --jobs 60 --runners 1,2 --parts scale
 *   bun scripts/bench-coordinator.ts --parts scale --runners 1,8 --no-static --binary dist/proxx-linux-x64
 *   bun scripts/bench.ts --parts coordinator            # the same, as a part of bench.ts
 *
 * Parts:
 *   client    the two PostgreSQL clients side by side on one server: the npm package `postgres`
 *             and Bun's built-in `Bun.sql`, running the coordinator's own claim + finish
 *             statements (src/coordinator/sql.ts text) for 300 jobs: ms per job, one worker
 *             and four at once.
 *   scale     300 JobSpecs of mixed length (every 10th is 10× longer) with the fixed-time
 *             FFmpeg stand-in (tests/helpers/coordinated.ts): N coordinated runners on one
 *             folder → jobs/hour and the ratio to N × (one runner); the same N with static
 *             shards (the jobs dealt round-robin to N folders, one plain runner each: what
 *             `--shard I/N` does with numbered names); queries per job (pg_stat_database
 *             transactions: claim, heartbeats, guards, finish, enqueue, manifest lock); and
 *             the time from a kill -9 to the job running elsewhere.
 * A private PostgreSQL server is started for the run (tests/helpers/pg-server.ts).
 */
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type PgServer, startPgServer } from "../tests/helpers/pg-server.ts";
import { encodesByOutput, makeReplayKit, type ReplayKit, writeTimedJob } from "../tests/helpers/coordinated.ts";
import { openCoordinator } from "../src/coordinator/connection.ts";
import { parseCoordinatorUrl } from "../src/coordinator/url.ts";
import { bunPlatform } from "../src/platform/bun.ts";
import { prng } from "./chaos.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");

export interface CoordinatorBenchOptions {
  jobs?: number;
  runners?: number[];
  parts?: ("client" | "scale")[];
  /** Seconds of a short job's encode (long ones: 10×). */
  shortSeconds?: number;
  /** false: skip the static-shard comparison (investigating the coordinated rows alone). */
  staticShards?: boolean;
  /** Where the long jobs are in name order (default periodic). */
  mix?: Mix;
  log?: (line: string) => void;
}

export async function runCoordinatorBench(options: CoordinatorBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = options.log ?? ((l: string) => console.log(l));
  const jobs = options.jobs ?? 300;
  const runners = options.runners ?? [1, 2, 4, 8];
  const parts = options.parts ?? ["client", "scale"];
  const short = options.shortSeconds ?? 0.2;
  const pg = await startPgServer();
  const out: Record<string, unknown> = { loadavg_start: loadavg().map((x) => x.toFixed(2)).join(" ") };
  try {
    if (parts.includes("client")) out.client = await clientPart(pg, jobs, log);
    if (parts.includes("scale")) {
      out.scale = await scalePart(
        pg,
        jobs,
        runners,
        short,
        log,
        options.staticShards ?? true,
        options.mix ?? "periodic",
      );
    }
  } finally {
    await pg.stop();
  }
  out.loadavg_end = loadavg().map((x) => x.toFixed(2)).join(" ");
  log(`load average: start ${out.loadavg_start}, end ${out.loadavg_end}`);
  return out;
}

// The coordinator's claim and finish, as text for both clients (kept equal to sql.ts).
const CLAIM = `WITH next AS (
  SELECT folder_id, name, sha256 FROM proxx_jobs
  WHERE folder_id = $1 AND (state = 'pending' OR (state = 'running' AND lease_until < now()))
  ORDER BY name, sha256 LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE proxx_jobs j SET state = 'running', fence = nextval('proxx_fence'), runner_id = $2, host = 'bench',
  claimed_at = now(), lease_until = now() + make_interval(secs => 30), attempts = j.attempts + 1
FROM next WHERE j.folder_id = next.folder_id AND j.name = next.name AND j.sha256 = next.sha256
RETURNING j.fence`;
const FINISH =
  `UPDATE proxx_jobs SET state = 'done', final_status = 'COMPLETED', finished_at = now(), lease_until = NULL
  WHERE fence = $1 AND state = 'running' RETURNING fence`;

interface Client {
  name: string;
  query(text: string, params: unknown[]): Promise<{ fence: string | number }[]>;
  close(): Promise<void>;
}

async function clientPart(pg: PgServer, jobs: number, log: (l: string) => void) {
  const db = await openCoordinator(bunPlatform(), parseCoordinatorUrl(pg.url)); // creates the tables
  await db.close();
  const clients: (() => Client)[] = [
    () => {
      const sql = postgres(pg.url, { max: 4, prepare: true, fetch_types: false, onnotice: () => {} });
      return {
        name: "npm postgres 3.4.9",
        query: (t, p) => sql.unsafe(t, p as never[]) as never,
        close: () => sql.end(),
      };
    },
  ];
  const BunSQL = (globalThis as { Bun?: { SQL?: new (url: string, o?: unknown) => unknown } }).Bun?.SQL;
  if (BunSQL) {
    clients.push(() => {
      const sql = new BunSQL(pg.url, { max: 4 }) as {
        unsafe(t: string, p: unknown[]): Promise<never>;
        close(): Promise<void>;
      };
      return { name: "Bun.sql (built in)", query: (t, p) => sql.unsafe(t, p), close: () => sql.close() };
    });
  }
  const rows: { client: string; workers: number; ms_per_job: number }[] = [];
  let folder = 0;
  // Interleaved: A B, B A, so load hits both alike.
  for (const round of [0, 1, 2, 3]) {
    const order = round % 2 === 0 ? clients : [...clients].reverse();
    for (const make of order) {
      for (const workers of [1, 4]) {
        const c = make();
        const id = `bench-${++folder}`;
        const list = JSON.stringify(
          Array.from({ length: jobs }, (_, i) => ({ n: `job-${String(i).padStart(4, "0")}.json`, h: "x" })),
        );
        await c.query(
          `INSERT INTO proxx_jobs (folder_id, name, sha256) SELECT $1, n, h FROM json_to_recordset($2::text::json) AS t(n text, h text)`,
          [id, list],
        );
        const t0 = performance.now();
        await Promise.all(Array.from({ length: workers }, async (_, w) => {
          for (;;) {
            const [row] = await c.query(CLAIM, [id, w + 1]);
            if (!row) break;
            await c.query(FINISH, [row.fence]);
          }
        }));
        const ms = (performance.now() - t0) / jobs;
        if (round > 0) rows.push({ client: c.name, workers, ms_per_job: ms }); // round 0 warms up
        await c.close();
      }
    }
  }
  const summary = [...new Set(rows.map((r) => `${r.client}|${r.workers}`))].map((key) => {
    const [client, workers] = key.split("|");
    const ms = rows.filter((r) => `${r.client}|${r.workers}` === key).map((r) => r.ms_per_job).sort((a, b) => a - b);
    return { client, workers: Number(workers), ms_per_job_median: round3(ms[ms.length >> 1]!) };
  });
  log("client: claim + finish per job (ms, median of 3 interleaved runs)");
  for (const s of summary) log(`  ${s.client.padEnd(22)} workers ${s.workers}: ${s.ms_per_job_median} ms/job`);
  return summary;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** `proxx` from source through this Bun, or the compiled binary given with --binary (the product as shipped). */
let proxxCommand: string[] = [process.execPath, MAIN];

function proxxProcess(args: string[], env: Record<string, string>) {
  const [command, ...prefix] = proxxCommand;
  const child = spawn(command!, [...prefix, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  let endedAt = 0;
  const done = new Promise<number | null>((r) =>
    child.on("close", (code) => {
      endedAt = Date.now();
      r(code);
    })
  );
  return { child, done, stderr: () => stderr, endedAt: () => endedAt };
}

function transactions(pg: PgServer): number {
  return Number(pg.psql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'proxx'").trim());
}

async function scalePart(
  pg: PgServer,
  jobs: number,
  runnerCounts: number[],
  short: number,
  log: (l: string) => void,
  staticShards: boolean,
  mix: Mix,
) {
  const root = mkdtempSync(join(tmpdir(), "proxx-bench-coord-"));
  const results: Record<string, unknown>[] = [];
  try {
    const kitHome = join(root, "kit-home");
    const kit = makeReplayKit(kitHome);
    const lengths = jobLengths(jobs, short, mix);
    const work = lengths.reduce((a, b) => a + b, 0);
    log(
      `scale (${mix}): ${jobs} jobs (${lengths.filter((l) => l > short).length} of ${
        short * 10
      } s, the rest ${short} s; ${work.toFixed(0)} s of encode)`,
    );
    let one: number | null = null;
    for (const n of runnerCounts) {
      // Coordinated: N runners on one folder.
      const dir = join(root, `coord-${n}`);
      const env = caseKit(kit, dir);
      for (let i = 0; i < jobs; i++) writeTimedJob(dir, `job-${String(i).padStart(4, "0")}`, lengths[i]!);
      const tx0 = transactions(pg);
      const t0 = performance.now();
      const epoch0 = Date.now();
      const procs = Array.from({ length: n }, (_, r) =>
        proxxProcess(
          [
            "watch",
            join(dir, "jobs"),
            "--once",
            "--settle-seconds",
            "0",
            "-q",
            "--coordinator",
            pg.url,
            "--folder-id",
            `bench-${n}`,
          ],
          { ...env, PROXX_HOSTNAME: `host-${r}` },
        ));
      const codes = await Promise.all(procs.map((p) => p.done));
      const seconds = (performance.now() - t0) / 1000;
      const queries = (transactions(pg) - tx0) / jobs;
      const processed = readdirSync(join(dir, "jobs", "processed")).length;
      const encodes = [...encodesByOutput({ ffmpegLog: join(dir, "ffmpeg.log") } as ReplayKit).values()];
      const twice = encodes.filter((e) => e.length > 1).length;
      if (codes.some((c) => c !== 0) || processed !== jobs || twice > 0) {
        throw new Error(
          `coordinated N=${n}: exit ${codes.join(",")}, ${processed}/${jobs} processed, ${twice} run twice; ${
            procs[0]!.stderr().slice(-500)
          }`,
        );
      }
      const perHour = (jobs / seconds) * 3600;
      one ??= perHour;
      const timeline = timelineOf(join(dir, "ffmpeg.log"), epoch0, procs.map((p) => p.endedAt()));
      // Static shards: the same jobs dealt round-robin to N folders, one plain runner each.
      let staticSeconds = NaN;
      if (staticShards) {
        const s0 = performance.now();
        const shardProcs = Array.from({ length: n }, (_, r) => {
          const sdir = join(root, `static-${n}-${r}`);
          const senv = caseKit(kit, sdir);
          for (let i = r; i < jobs; i += n) writeTimedJob(sdir, `job-${String(i).padStart(4, "0")}`, lengths[i]!);
          return proxxProcess(["watch", join(sdir, "jobs"), "--once", "--settle-seconds", "0", "-q"], senv);
        });
        await Promise.all(shardProcs.map((p) => p.done));
        staticSeconds = (performance.now() - s0) / 1000;
      }
      const row = {
        runners: n,
        coordinated_seconds: round3(seconds),
        coordinated_jobs_per_hour: Math.round(perHour),
        ratio_to_n_times_one: round3(perHour / (n * one)),
        static_seconds: round3(staticSeconds),
        static_jobs_per_hour: Math.round((jobs / staticSeconds) * 3600),
        queries_per_job: round3(queries),
        loadavg: loadavg()[0]!.toFixed(2),
        ...timeline,
      };
      results.push(row);
      log(
        `  N=${n}: coordinated ${row.coordinated_seconds} s (${row.coordinated_jobs_per_hour} jobs/h, ` +
          `${row.ratio_to_n_times_one}×N·one), static shards ${row.static_seconds} s (${row.static_jobs_per_hour} jobs/h), ` +
          `${row.queries_per_job} queries/job, load ${row.loadavg}; start ${timeline.start_seconds_median} s ` +
          `(last ${timeline.start_seconds_max} s), proxx ${timeline.between_jobs_ms_median} ms between jobs ` +
          `(mean ${timeline.between_jobs_ms_mean}), idle at the end ${timeline.idle_at_end_seconds_mean} s per runner`,
      );
    }
    const takeover = await takeoverTime(pg, kit, root, short);
    log(`  kill -9 → running elsewhere: ${takeover.ms} ms (lease ${takeover.lease} s, poll ${takeover.poll} s)`);
    return { rows: results, takeover };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * One job in ten is 10× longer. `periodic`: every 10th in name order (job-0009, 0019, ...),
 * so the very last job is a long one, the worst case for the end of a run (and, dealt
 * round-robin, all long jobs on one shard at N = 2). `random`: the same 10 % placed by a
 * seeded shuffle (the same every run).
 */
export type Mix = "periodic" | "random";
function jobLengths(jobs: number, short: number, mix: Mix): number[] {
  const lengths = Array.from({ length: jobs }, (_, i) => (i % 10 === 9 ? short * 10 : short));
  if (mix === "random") {
    const random = prng(15);
    for (let i = lengths.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [lengths[i], lengths[j]] = [lengths[j]!, lengths[i]!];
    }
  }
  return lengths;
}

/**
 * Where a coordinated run's time goes, from the stand-in's log (`<host> <pid> <output> <epoch>` per
 * FFmpeg start; the encode lasts the seconds in the output's name) and each runner's exit time:
 * - start: from spawning the runners to each one's first FFmpeg (binary start, connection,
 *   schema check, scan and enqueue, claim, probe);
 * - between jobs: one job's encode end to the same runner's next FFmpeg (verify, result,
 *   move, manifest, finish, claim, the next probe): proxx's own cost per job;
 * - idle at the end: the run's end minus each runner's exit (no job left for it).
 */
function timelineOf(ffmpegLog: string, epoch0: number, exits: number[]) {
  const byHost = new Map<string, { start: number; seconds: number }[]>();
  for (const line of readFileSync(ffmpegLog, "utf8").split("\n").filter(Boolean)) {
    const [host, , output, at] = line.split(" ");
    const seconds = Number(/-s([0-9.]+)x/.exec(output ?? "")?.[1] ?? 0);
    byHost.set(host!, [...(byHost.get(host!) ?? []), { start: Number(at) * 1000, seconds }]);
  }
  const starts: number[] = [];
  const gaps: number[] = [];
  for (const runs of byHost.values()) {
    runs.sort((a, b) => a.start - b.start);
    starts.push((runs[0]!.start - epoch0) / 1000);
    for (let i = 1; i < runs.length; i++) {
      gaps.push(runs[i]!.start - (runs[i - 1]!.start + runs[i - 1]!.seconds * 1000));
    }
  }
  const end = Math.max(...exits);
  const idle = exits.map((e) => (end - e) / 1000);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    start_seconds_median: round3(median(starts)),
    start_seconds_max: round3(Math.max(...starts)),
    between_jobs_ms_median: Math.round(median(gaps)),
    between_jobs_ms_mean: Math.round(mean(gaps)),
    idle_at_end_seconds_mean: round3(mean(idle)),
  };
}

/** Two runners, lease 5 s, poll 1 s: kill -9 the one running the long job; when does the other's FFmpeg start? */
async function takeoverTime(pg: PgServer, kit: ReplayKit, root: string, short: number) {
  const dir = join(root, "takeover");
  const env = caseKit(kit, dir);
  writeTimedJob(dir, "long", Math.max(10, short * 10));
  const lease = 5;
  const poll = 1;
  const args = [
    "watch",
    join(dir, "jobs"),
    "--settle-seconds",
    "0",
    "-q",
    "--coordinator",
    pg.url,
    "--lease-seconds",
    String(lease),
    "--poll-seconds",
    String(poll),
    "--folder-id",
    "takeover",
  ];
  const log = join(dir, "ffmpeg.log");
  const a = proxxProcess(args, { ...env, PROXX_HOSTNAME: "host-a" });
  await until(() => existsSync(log) && readFileSync(log, "utf8").includes("host-a"));
  const b = proxxProcess(args, { ...env, PROXX_HOSTNAME: "host-b" });
  await new Promise((r) => setTimeout(r, 500));
  a.child.kill("SIGKILL");
  const killed = performance.now();
  await until(() => readFileSync(log, "utf8").includes("host-b"), 60_000);
  const ms = Math.round(performance.now() - killed);
  b.child.kill("SIGTERM");
  await b.done;
  return { ms, lease, poll, target_ms: (lease + poll) * 1000 };
}

async function until(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The kit under `dir/kit` (the JobSpecs name dir/kit/clip.mov), with this case's own FFmpeg log. */
function caseKit(kit: ReplayKit, dir: string): Record<string, string> {
  mkdirSync(join(dir, "kit"), { recursive: true });
  for (const f of readdirSync(kit.dir)) {
    if (f === "ffmpeg-timed.sh") continue;
    writeFileSync(join(dir, "kit", f), readFileSync(join(kit.dir, f)));
  }
  const script = readFileSync(join(kit.dir, "ffmpeg-timed.sh"), "utf8").replace(kit.ffmpegLog, join(dir, "ffmpeg.log"));
  writeFileSync(join(dir, "kit", "ffmpeg-timed.sh"), script, { mode: 0o755 });
  return {
    ...kit.env,
    PROXX_FFMPEG: join(dir, "kit", "ffmpeg-timed.sh"),
    PROXX_REPLAY_OUTPUT: join(dir, "kit", "proxy.mov"),
    PROXX_REPLAY_SOURCE_PROBE: join(dir, "kit", "source.probe.json"),
    PROXX_REPLAY_OUTPUT_PROBE: join(dir, "kit", "proxy.probe.json"),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      jobs: { type: "string" },
      runners: { type: "string" },
      parts: { type: "string" },
      "short-seconds": { type: "string" },
      out: { type: "string" },
      binary: { type: "string" },
      "no-static": { type: "boolean" },
      mix: { type: "string" },
    },
  });
  if (values.binary) proxxCommand = [values.binary];
  const result = await runCoordinatorBench({
    jobs: values.jobs ? Number(values.jobs) : undefined,
    runners: values.runners ? values.runners.split(",").map(Number) : undefined,
    parts: values.parts ? (values.parts.split(",") as ("client" | "scale")[]) : undefined,
    shortSeconds: values["short-seconds"] ? Number(values["short-seconds"]) : undefined,
    staticShards: !values["no-static"],
    mix: values.mix === "random" ? "random" : "periodic",
  });
  const out = values.out ?? join("bench-results", "coordinator.json");
  mkdirSync(join(out, ".."), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`→ ${out}`);
}
