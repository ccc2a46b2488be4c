/**
 * Chaos harness: `kill -9` the real `proxx watch` at random moments and prove that nothing
 * is lost and nothing runs twice (docs/reliability.md, docs/crash-safety.md).
 *
 *   bun scripts/chaos.ts                      # soak: 500 kills
 *   bun scripts/chaos.ts --iterations 20 --seed 42 --keep
 *
 * A watch folder gets 30 JobSpecs (valid single- and multi-clip, invalid, and failing ones,
 * on tiny lavfi clips). `proxx watch --json` runs as a child process, `--once` or
 * continuous (seeded choice), with `--ffmpeg` pointing at a wrapper around the real FFmpeg
 * that appends `<pid> <output argument>` to a log before exec-ing it: that log is how a
 * re-encode is seen. Each run is killed with SIGKILL after a random delay, or right after
 * its N-th event (lands in the short windows between the bookkeeping steps), or by the
 * runner itself at a crash point when the `PROXX_FAILPOINT` hook exists. The harness
 * restarts until the folder is done and checks after every run:
 *
 *   - every JobSpec is in exactly one place (root, processed/ or failed/), never lost;
 *   - every result file parses, has an allowed status for its job and sits beside a JobSpec
 *     moved to the right folder (COMPLETED → processed/, anything else → failed/);
 *   - the manifest parses, and each entry matches its job's result;
 *   - no FFmpeg was started for a job whose result already existed when the run started,
 *     nor after its result file was written (wrapper log time vs result mtime);
 *   - temp files: a `.name.proxx-partial` exists only for the job of the in-flight record,
 *     and no `*.tmp-<pid>` of an earlier run survives a start that got past recovery.
 * At the end: one result and one manifest entry per job, no temp files, no lock, every
 * COMPLETED output exists and ffprobe reads it with the asked-for codec.
 *
 * "Poison" rule: a job interrupted twice is failed with "interrupted 2 times"; such a
 * FAILED result is allowed only for a job that the harness saw in the in-flight record
 * with attempts ≥ 2 after a kill.
 *
 * Shard mode (`--mode shards`, issue 14): every run is 3 runners of one folder at once
 * (`--shard 1/3`, `2/3`, `3/3`), and any of them may be `kill -9`ed (each gets its own
 * seeded kill plan). The same invariants hold for the whole folder after every round, plus:
 * each runner starts FFmpeg only for JobSpecs of its own shard (the wrapper logs its parent).
 * Temp files of a killed shard are cleaned by that shard's next start, so they are checked at
 * the end only.
 *
 * Exported `runChaos` is also the CI mode (tests/integration/chaos.test.ts).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { shardOf } from "../src/shard/assign.ts";

const ROOT = dirname(import.meta.dir);
const MAIN = join(ROOT, "src", "main.ts");

export interface ChaosOptions {
  /** Number of SIGKILLs to deliver. */
  iterations: number;
  seed: number;
  /** Stop delivering kills after this many seconds and just finish the folder. */
  maxSeconds?: number;
  /** Number of JobSpecs (default 30). */
  jobs?: number;
  /**
   * `--max-workers N` for `proxx watch`; null = not passed (one worker).
   */
  maxWorkers?: number | null;
  /** Shard mode: this many runners of the folder at once (`--shard i/N`); null/absent = one unsharded runner. */
  shards?: number | null;
  /** Keep the sandbox for inspection. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  sandbox: string;
  jobs: number;
  runs: number;
  kills: number;
  killsByStrategy: Record<string, number>;
  gracefulStops: number;
  cleanExits: number;
  encodes: number;
  orphanFfmpegSeen: number;
  poisoned: number;
  statuses: Record<string, number>;
  /** Every broken invariant, with the run it was seen after. Must be empty. */
  violations: string[];
  /** JobSpecs not ending with exactly one result in the right folder and manifest entry. */
  lost: number;
  /** Jobs encoded again after their result was written. */
  reencodedAfterResult: number;
  seconds: number;
  maxWorkers: number | null;
  shards: number | null;
}

type Kind = "valid" | "multi" | "invalid" | "failing" | "failing-multi";

interface JobDef {
  name: string; // file name in the watch folder
  stem: string;
  kind: Kind;
  expected: "COMPLETED" | "PARTIAL" | "FAILED";
  /** Output file names (in out/) of clips expected to complete. */
  outputs: { name: string; codec: string }[];
  /** Output base names of every clip FFmpeg may be started for (to map wrapper log lines). */
  encodable: string[];
  text: string;
}

/** mulberry32: small, seedable, good enough to pick delays. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function which(name: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = r.stdout.trim();
  if (!path) throw new Error(`${name} not found on PATH`);
  return path;
}

/** Whether the crash-point hook (PROXX_FAILPOINT, src/watch/failpoint.ts) exists; its names. */
function failpointNames(): string[] {
  const file = join(ROOT, "src", "watch", "failpoint.ts");
  if (!existsSync(file)) return [];
  const m = /FailpointName\s*=\s*([^;]+);/.exec(readFileSync(file, "utf8"));
  return m ? [...m[1]!.matchAll(/"([a-z-]+)"/g)].map((x) => x[1]!) : [];
}

function makeMedia(dir: string, ffmpeg: string): void {
  const run = (args: string[]) => {
    const r = spawnSync(ffmpeg, ["-hide_banner", "-v", "error", "-nostdin", "-y", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`making media failed: ${r.stderr}`);
  };
  run([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=160x120:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-t",
    "0.3",
    "-map",
    "0:v",
    "-map",
    "1:a",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "pcm_s16le",
    join(dir, "a.mov"),
  ]);
  run([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=160x120:rate=25",
    "-t",
    "0.2",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    join(dir, "b.mp4"),
  ]);
  run([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=176x144:rate=24",
    "-t",
    "0.5",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    join(dir, "c.mov"),
  ]);
  run(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "0.3", join(dir, "tone.wav")]);
  writeFileSync(join(dir, "notmedia.mov"), "this is not a movie\n".repeat(50));
}

/** The job mix: kinds shuffled over the names with the seed, so each seed orders them differently. */
function makeJobs(count: number, rand: () => number): JobDef[] {
  const kinds: Kind[] = [];
  for (let i = 0; i < count; i++) {
    const r = i % 10;
    kinds.push(r < 4 ? "valid" : r < 6 ? "multi" : r < 8 ? "invalid" : r < 9 ? "failing" : "failing-multi");
  }
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const configs = [
    { codec: "prores_proxy", container: "mov", resolution: "half", probe: "prores" },
    { codec: "h264", container: "mp4", resolution: "same", probe: "h264" },
    { codec: "prores_lt", container: "mov", resolution: "quarter", probe: "prores" },
    { codec: "h264", container: "mkv", resolution: "half", probe: "h264" },
  ];
  return kinds.map((kind, i) => {
    const stem = `job-${String(i).padStart(2, "0")}`;
    const cfg = configs[i % configs.length]!;
    const base = {
      job_id: stem,
      output_directory: "../out",
      codec: cfg.codec,
      container: cfg.container,
      resolution: cfg.resolution,
      naming_template: "{job_id}_{source_name}_{index}",
    };
    const out = (src: string, index: number) => `${stem}_${src}_${String(index).padStart(3, "0")}.${cfg.container}`;
    let spec: unknown;
    let text: string | null = null;
    let expected: JobDef["expected"];
    let outputs: JobDef["outputs"] = [];
    let encodable: string[] = [];
    switch (kind) {
      case "valid": {
        const src = ["a.mov", "b.mp4", "c.mov"][i % 3]!;
        spec = { ...base, sources: [`../media/${src}`] };
        expected = "COMPLETED";
        outputs = [{ name: out(src.replace(/\.\w+$/, ""), 0), codec: cfg.probe }];
        encodable = outputs.map((o) => o.name);
        break;
      }
      case "multi": {
        spec = { ...base, sources: ["../media/a.mov", "../media/c.mov"] };
        expected = "COMPLETED";
        outputs = [{ name: out("a", 0), codec: cfg.probe }, { name: out("c", 1), codec: cfg.probe }];
        encodable = outputs.map((o) => o.name);
        break;
      }
      case "failing": {
        // FFprobe refuses the source, or the source has no picture: FAILED before FFmpeg.
        spec = { ...base, sources: [i % 2 ? "../media/notmedia.mov" : "../media/tone.wav"] };
        expected = "FAILED";
        break;
      }
      case "failing-multi": {
        // Clip 1 completes and stays; clip 2 fails (fail-fast).
        spec = { ...base, sources: ["../media/b.mp4", "../media/notmedia.mov"] };
        expected = "FAILED";
        outputs = [{ name: out("b", 0), codec: cfg.probe }];
        encodable = outputs.map((o) => o.name);
        break;
      }
      case "invalid": {
        expected = "PARTIAL";
        const variants: (() => string)[] = [
          () => `{"sources": ["../media/a.mov"], "output_directory": "../out", ${stem}`,
          () => JSON.stringify({ ...base, sources: ["../media/a.mov"], colour: "red" }),
          () => JSON.stringify({ ...base, sources: ["../media/missing.mov"] }),
          () => JSON.stringify({ ...base, codec: "prores_hq", container: "mp4", sources: ["../media/a.mov"] }),
          () => JSON.stringify([stem]),
          () => "",
        ];
        text = variants[i % variants.length]!();
        break;
      }
    }
    return {
      name: `${stem}.json`,
      stem,
      kind,
      expected: expected!,
      outputs,
      encodable,
      text: text ?? JSON.stringify(spec, null, 2) + "\n",
    };
  });
}

interface RunOutcome {
  pid: number;
  /** Shard mode: this runner's shard (1-based). */
  shard: number | null;
  mode: "once" | "continuous";
  strategy: string;
  killed: boolean;
  graceful: boolean;
  code: number | null;
  signal: string | null;
  events: { type: string; [k: string]: unknown }[];
  stderrTail: string;
}

/** How one runner of a run is started and when it is killed. */
interface Plan {
  mode: RunOutcome["mode"];
  strategy: string;
  delayMs: number;
  eventTarget: number;
  failpoint: string | null;
  runNo: number;
  shard: number | null;
}

interface InflightSeen {
  path: string;
  attempts: number;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rand = prng(options.seed);
  const started = Date.now();
  const maxMs = (options.maxSeconds ?? Infinity) * 1000;
  const maxWorkers = options.maxWorkers ?? null;
  const shards = options.shards && options.shards > 1 ? options.shards : null;
  const realFfmpeg = which("ffmpeg");
  const ffprobe = which("ffprobe");

  const sandbox = mkdtempSync(join(tmpdir(), "proxx-chaos-"));
  const media = join(sandbox, "media");
  const out = join(sandbox, "out");
  const jobsDir = join(sandbox, "jobs");
  const ffLog = join(sandbox, "ffmpeg.log");
  for (const d of [media, out, jobsDir]) mkdirSync(d);
  makeMedia(media, realFfmpeg);
  writeFileSync(ffLog, "");
  // The wrapper: `<ns clock> <pid> <runner pid> <last argument = output>` per invocation, then the real FFmpeg (exec: same pid).
  const wrapper = join(sandbox, "ffmpeg-logged");
  writeFileSync(
    wrapper,
    `#!/bin/sh\nfor a; do last=$a; done\nprintf '%s %s %s %s\\n' "$(date +%s%N)" "$$" "$PPID" "$last" >> '${ffLog}'\nexec '${realFfmpeg}' "$@"\n`,
  );
  chmodSync(wrapper, 0o755);

  const jobs = makeJobs(options.jobs ?? 30, rand);
  for (const j of jobs) writeFileSync(join(jobsDir, j.name), j.text);
  const byOutput = new Map<string, JobDef>();
  for (const j of jobs) for (const o of j.encodable) byOutput.set(o, j);
  const failpoints = failpointNames();

  const report: ChaosReport = {
    seed: options.seed,
    sandbox,
    jobs: jobs.length,
    runs: 0,
    kills: 0,
    killsByStrategy: {},
    gracefulStops: 0,
    cleanExits: 0,
    encodes: 0,
    orphanFfmpegSeen: 0,
    poisoned: 0,
    statuses: {},
    violations: [],
    lost: 0,
    reencodedAfterResult: 0,
    seconds: 0,
    maxWorkers,
    shards,
  };
  const violate = (run: number, message: string) => {
    if (report.violations.length < 200) report.violations.push(`run ${run}: ${message}`);
  };
  /** Jobs the harness saw in the in-flight record with attempts ≥ 2 (allowed to end "interrupted 2 times"). */
  const poisonCandidates = new Set<string>();
  const encodesPerJob = new Map<string, number>();
  const ffmpegPids = new Set<number>();
  let logOffset = 0;

  log(
    `chaos: seed ${options.seed}, ${jobs.length} JobSpecs, ${options.iterations} kills${
      maxWorkers ? `, --max-workers ${maxWorkers}` : ""
    }${shards ? `, ${shards} shards at once` : ""}` +
      `${failpoints.length ? `, failpoints: ${failpoints.join(" ")}` : ""}; sandbox ${sandbox}`,
  );

  const resultPath = (j: JobDef) => join(jobsDir, `${j.stem}.result.json`);
  const rootPath = (j: JobDef) => join(jobsDir, j.name);
  const hasResult = (j: JobDef) => existsSync(resultPath(j));

  // Runs after the folder is done: a kill rarely lands on a runner with nothing to do.
  let runsSinceDone = 0;
  for (let runNo = 1;; runNo++) {
    const elapsed = Date.now() - started;
    const killing = report.kills < options.iterations && elapsed < maxMs;
    if (folderDone()) runsSinceDone++;
    if (folderDone() && (!killing || runsSinceDone > 5)) break;
    if (runNo > options.iterations * 3 + 40) {
      violate(runNo, "the folder did not converge: still pending JobSpecs after many runs");
      break;
    }
    const resultsBefore = new Set(jobs.filter(hasResult).map((j) => j.name));
    // One runner, or (shard mode) one per shard at once, each with its own seeded kill plan.
    const plans = (shards ? Array.from({ length: shards }, (_, i) => i + 1) : [null]).map((shard) => {
      const plan: Plan = {
        mode: rand() < 0.5 ? "once" : "continuous",
        strategy: "none",
        delayMs: 0,
        eventTarget: 0,
        failpoint: null,
        runNo,
        shard,
      };
      // Shard mode: any runner of the round may be killed, not necessarily all of them.
      if (killing && (shard === null || rand() < 0.6)) {
        const pick = rand();
        if (failpoints.length && pick < 0.2) {
          plan.strategy = "failpoint";
          plan.failpoint = failpoints[Math.floor(rand() * failpoints.length)]!;
        } else if (pick < 0.6) {
          plan.strategy = "time";
          plan.delayMs = Math.floor(rand() * 1500);
        } else {
          plan.strategy = "event";
          plan.eventTarget = 1 + Math.floor(rand() * 30);
          plan.delayMs = Math.floor(rand() * 3);
        }
      }
      return plan;
    });
    const outcomes = await Promise.all(plans.map((p) => runOnce(p)));
    report.runs++;
    for (const [i, outcome] of outcomes.entries()) {
      const plan = plans[i]!;
      if (outcome.killed) {
        report.kills++;
        const key = plan.failpoint ? `failpoint:${plan.failpoint}` : plan.strategy;
        report.killsByStrategy[key] = (report.killsByStrategy[key] ?? 0) + 1;
      } else if (outcome.graceful) report.gracefulStops++;
      else report.cleanExits++;
    }
    const byPid = new Map(outcomes.map((o) => [o.pid, o]));

    // Encodes started during this run (wrapper log).
    const text = readFileSync(ffLog, "utf8");
    const fresh = text.slice(logOffset).split("\n").filter((l) => l.trim() !== "");
    logOffset = text.length;
    for (const line of fresh) {
      const [ns, pidText, parentText, ...rest] = line.split(" ");
      const arg = rest.join(" ");
      const pid = Number(pidText);
      const runner = byPid.get(Number(parentText));
      ffmpegPids.add(pid);
      report.encodes++;
      const m = /\/\.([^/]+)\.proxx-partial$/.exec(arg);
      const job = m ? byOutput.get(m[1]!) : undefined;
      if (!job) {
        violate(runNo, `FFmpeg was started with an output argument no job owns: ${arg}`);
        continue;
      }
      encodesPerJob.set(job.name, (encodesPerJob.get(job.name) ?? 0) + 1);
      if (shards && runner?.shard != null && shardOf(job.name, shards) !== runner.shard) {
        violate(runNo, `${job.name} (shard ${shardOf(job.name, shards)}/${shards}) encoded by shard ${runner.shard}`);
      }
      if (resultsBefore.has(job.name)) {
        report.reencodedAfterResult++;
        violate(runNo, `${job.name}: encoded again (${m![1]}) although its result existed when the run started`);
      } else if (hasResult(job)) {
        const resultNs = statSync(resultPath(job), { bigint: true }).mtimeNs;
        if (BigInt(ns!) > resultNs) {
          report.reencodedAfterResult++;
          violate(runNo, `${job.name}: FFmpeg started (${m![1]}) after its result file was written`);
        }
      }
      if (runner?.killed && isAlive(pid)) report.orphanFfmpegSeen++;
    }
    checkState(runNo, outcomes, false);
    const counts = jobs.reduce((n, j) => n + (hasResult(j) ? 1 : 0), 0);
    const describe = (outcome: RunOutcome, plan: Plan) =>
      outcome.killed
        ? `KILLED (${
          plan.failpoint
            ? `failpoint ${plan.failpoint}`
            : plan.strategy === "time"
            ? `after ${plan.delayMs} ms`
            : `after event #${plan.eventTarget}`
        })`
        : outcome.graceful
        ? "stopped (SIGTERM, folder done)"
        : `exited ${outcome.code}`;
    const what = shards
      ? outcomes.map((o, i) => `${o.shard}/${shards} ${o.mode} ${describe(o, plans[i]!)}`).join("; ")
      : `${outcomes[0]!.mode.padEnd(10)} ${describe(outcomes[0]!, plans[0]!)}`.padEnd(62);
    log(
      `run ${String(runNo).padStart(3)} ${what} events ${
        String(outcomes.reduce((n, o) => n + o.events.length, 0)).padStart(3)
      }, encodes ${fresh.length}, results ${counts}/${jobs.length}`,
    );
  }

  // Let FFmpeg orphans of killed runners finish (they are our grandchildren), then the final check.
  await waitForPids(ffmpegPids, 15_000);
  checkState(report.runs, null, true);
  report.seconds = Math.round((Date.now() - started) / 100) / 10;

  log(
    `chaos: ${report.runs} runs, ${report.kills} kills (${
      Object.entries(report.killsByStrategy).map(([k, v]) => `${k} ${v}`).join(", ")
    }), ` +
      `${report.gracefulStops} graceful stops, ${report.cleanExits} clean exits, ${report.encodes} FFmpeg starts, ` +
      `${report.orphanFfmpegSeen} FFmpeg still running right after a kill, ${report.poisoned} poison-failed, ${report.seconds} s`,
  );
  log(
    `chaos: final statuses ${
      JSON.stringify(report.statuses)
    }; lost ${report.lost}; re-encoded after result ${report.reencodedAfterResult}; violations ${report.violations.length}`,
  );
  for (const v of report.violations) log(`  VIOLATION ${v}`);
  if (!options.keep && report.violations.length === 0) rmSync(sandbox, { recursive: true, force: true });
  else log(`chaos: sandbox kept at ${sandbox}`);
  return report;

  // ---------------------------------------------------------------------------------------

  function folderDone(): boolean {
    return jobs.every((j) => !existsSync(rootPath(j))) && inflightRecords().length === 0 && locks().length === 0;
  }

  /** Runner locks in the folder: `.proxx.lock` (whole folder) and `.proxx.lock.<I>of<N>` (a shard). */
  function locks(): string[] {
    return readdirSync(jobsDir).filter((n) => /^\.proxx\.lock(\.\d+of\d+)?$/.test(n));
  }

  function runOnce(p: Plan): Promise<RunOutcome> {
    const args = [
      MAIN,
      "watch",
      jobsDir,
      "--json",
      "--settle-seconds",
      "0",
      "--poll-seconds",
      "0.1",
      "--ffmpeg",
      wrapper,
      "--ffprobe",
      ffprobe,
    ];
    if (p.mode === "once") args.push("--once");
    if (maxWorkers) args.push("--max-workers", String(maxWorkers));
    if (p.shard !== null) args.push("--shard", `${p.shard}/${shards}`);
    const env = { ...process.env };
    delete env.PROXX_FAILPOINT;
    if (p.failpoint) env.PROXX_FAILPOINT = p.failpoint;
    const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const outcome: RunOutcome = {
      pid: child.pid ?? -1,
      shard: p.shard,
      mode: p.mode,
      strategy: p.strategy,
      killed: false,
      graceful: false,
      code: null,
      signal: null,
      events: [],
      stderrTail: "",
    };
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    let doneTimer: ReturnType<typeof setInterval> | undefined;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        outcome.killed = true;
        child.kill("SIGKILL");
      }
    };
    let partial = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          outcome.events.push(JSON.parse(line));
        } catch {
          violate(p.runNo, `--json printed a line that is not JSON: ${line.slice(0, 120)}`);
        }
        if (p.strategy === "event" && outcome.events.length === p.eventTarget) {
          if (p.delayMs === 0) kill();
          else killTimer = setTimeout(kill, p.delayMs);
        }
      }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (outcome.stderrTail = (outcome.stderrTail + chunk).slice(-4000)));
    if (p.strategy === "time") killTimer = setTimeout(kill, p.delayMs);
    if (p.mode === "continuous") {
      // A continuous runner never exits by itself: stop it gracefully once the folder is done
      // (after its first scan: before that its SIGTERM handler may not be installed yet).
      // Shard mode: once its own shard is done; the other shards' jobs wait for the next round.
      const mine = jobs.filter((j) => p.shard === null || shardOf(j.name, shards!) === p.shard);
      doneTimer = setInterval(() => {
        const scanned = outcome.events.some((e) => e.type === "scan");
        const inflight = new Set(inflightRecords().map((r) => r.path));
        if (
          scanned && mine.every((j) => !existsSync(rootPath(j)) && !inflight.has(rootPath(j))) &&
          child.exitCode === null && !outcome.killed && !outcome.graceful
        ) {
          outcome.graceful = true;
          child.kill("SIGTERM");
        }
      }, 100);
    }
    // Safety net: a run that neither finishes nor is killed within 120 s is a hang.
    const hangTimer = setTimeout(() => {
      violate(p.runNo, `runner pid ${child.pid} hung (${p.mode}); killed by the harness`);
      child.kill("SIGKILL");
    }, 120_000);
    return new Promise((resolve) => {
      child.on("close", (code, signal) => {
        clearTimeout(killTimer);
        clearTimeout(hangTimer);
        clearInterval(doneTimer);
        outcome.code = code;
        outcome.signal = signal;
        if (p.failpoint && signal === "SIGKILL") outcome.killed = true;
        if (!outcome.killed) {
          // A run that ends by itself must end normally: exit 0/1 (--once) or 143 after our SIGTERM.
          const ok = outcome.graceful ? code === 143 : code === 0 || code === 1;
          if (!ok) {
            violate(
              p.runNo,
              `runner exited with code ${code} signal ${signal}: ${
                outcome.stderrTail.trim().split("\n").slice(-3).join(" | ")
              }`,
            );
          }
          if (p.mode === "once" && !outcome.graceful && !p.failpoint) {
            // --once ended on its own: nothing (of its shard) may be left pending.
            const pending = jobs.filter((j) =>
              existsSync(rootPath(j)) && !hasResult(j) && (p.shard === null || shardOf(j.name, shards!) === p.shard)
            );
            if (pending.length) {
              violate(
                p.runNo,
                `--once exited but left ${pending.map((j) => j.name).join(", ")} pending`,
              );
            }
          }
        }
        resolve(outcome);
      });
    });
  }

  function inflightRecords(): InflightSeen[] {
    const found: InflightSeen[] = [];
    for (const name of readdirSync(jobsDir)) {
      if (!/^\.proxx\.inflight.*\.json$/.test(name)) continue;
      try {
        const rec = JSON.parse(readFileSync(join(jobsDir, name), "utf8"));
        for (const r of Array.isArray(rec) ? rec : Array.isArray(rec?.jobs) ? rec.jobs : [rec]) {
          found.push({ path: String(r.jobspec_path), attempts: Number(r.attempts) });
        }
      } catch (error) {
        found.push({ path: `(unreadable ${name}: ${(error as Error).message})`, attempts: 0 });
      }
    }
    return found;
  }

  /** `round`: the runners of the run just ended (one, or one per shard); null for the final check. */
  function checkState(runNo: number, round: RunOutcome[] | null, final: boolean): void {
    const rootNames = new Set(readdirSync(jobsDir));
    // A runner killed in its first milliseconds may not have made processed/ and failed/ yet.
    const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    const processed = new Set(listed(join(jobsDir, "processed")));
    const failed = new Set(listed(join(jobsDir, "failed")));
    const records = inflightRecords();
    for (const r of records) {
      if (r.attempts === 0) violate(runNo, `in-flight record ${r.path}`);
      if (r.attempts >= 2) {
        const j = jobs.find((x) => rootPath(x) === r.path);
        if (j && !hasResult(j)) poisonCandidates.add(j.name);
      }
    }
    const inflightJobs = new Set(records.map((r) => r.path));

    // Manifest: parses every time.
    let manifest: { version: number; entries: Record<string, { sha256: string; result_status: string }> } | null = null;
    const manifestFile = join(jobsDir, "processed_manifest.json");
    if (existsSync(manifestFile)) {
      try {
        manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
        if (manifest?.version !== 1 || typeof manifest.entries !== "object") {
          throw new Error("not {version:1, entries}");
        }
      } catch (error) {
        violate(runNo, `processed_manifest.json does not parse: ${(error as Error).message}`);
        manifest = null;
      }
    }

    const statuses: Record<string, number> = {};
    let lost = 0;
    for (const j of jobs) {
      const places = [rootNames.has(j.name), processed.has(j.name), failed.has(j.name)].filter(Boolean).length;
      if (places !== 1) {
        violate(
          runNo,
          `${j.name} is in ${places} places (root ${rootNames.has(j.name)}, processed ${
            processed.has(j.name)
          }, failed ${failed.has(j.name)})`,
        );
        lost++;
        continue;
      }
      const movedBy = processed.has(j.name) ? "COMPLETED" : failed.has(j.name) ? "FAILED-ish" : null;
      let status: string | null = null;
      if (hasResult(j)) {
        try {
          const r = JSON.parse(readFileSync(resultPath(j), "utf8"));
          status = String(r.final_status);
          if (r._metadata?.jobspec_path !== rootPath(j)) {
            violate(runNo, `${j.name}: result names ${r._metadata?.jobspec_path}`);
          }
          const poison = status === "FAILED" && /interrupted \d+ times/.test(String(r.failure_reason));
          if (poison) {
            if (!poisonCandidates.has(j.name)) {
              violate(runNo, `${j.name}: failed as interrupted although never seen interrupted twice`);
            }
            if (final) report.poisoned++;
          } else if (status !== j.expected) {
            violate(
              runNo,
              `${j.name} (${j.kind}): status ${status}, expected ${j.expected}: ${
                String(r.failure_reason).slice(0, 200)
              }`,
            );
          }
          statuses[poison ? "FAILED (interrupted twice)" : status] =
            (statuses[poison ? "FAILED (interrupted twice)" : status] ?? 0) + 1;
        } catch (error) {
          violate(runNo, `${j.name}: result file does not parse: ${(error as Error).message}`);
          lost++;
          continue;
        }
      }
      // A moved JobSpec always has a result (results are written before the move).
      if (movedBy && status === null) {
        violate(runNo, `${j.name} was moved without a result`);
        lost++;
      }
      if (movedBy && status !== null && (movedBy === "COMPLETED") !== (status === "COMPLETED")) {
        violate(runNo, `${j.name} moved to the wrong folder for status ${status}`);
      }
      const entry = manifest?.entries[rootPath(j)];
      if (entry) {
        if (!movedBy) violate(runNo, `${j.name}: manifest entry while the JobSpec is still in the root`);
        if (status !== null && entry.result_status !== status) {
          violate(runNo, `${j.name}: manifest says ${entry.result_status}, result says ${status}`);
        }
        if (!/^[0-9a-f]{64}$/.test(entry.sha256)) violate(runNo, `${j.name}: manifest sha256 ${entry.sha256}`);
      }
      if (final) {
        if (status === null || !movedBy || !entry) {
          violate(
            runNo,
            `${j.name}: not finished at the end (result ${status}, moved ${Boolean(movedBy)}, manifest ${
              Boolean(entry)
            })`,
          );
          lost++;
        }
        if (
          status === "COMPLETED" || (status === "FAILED" && j.kind === "failing-multi" && !poisonCandidates.has(j.name))
        ) {
          for (const o of j.outputs) checkOutput(runNo, j, o);
        }
      }
    }
    if (manifest) {
      const known = new Set(jobs.map(rootPath));
      for (const key of Object.keys(manifest.entries)) {
        if (!known.has(key)) violate(runNo, `manifest entry for an unknown path ${key}`);
      }
      if (final && Object.keys(manifest.entries).length !== jobs.length) {
        violate(runNo, `manifest has ${Object.keys(manifest.entries).length} entries for ${jobs.length} jobs`);
      }
    } else if (final) violate(runNo, "no manifest at the end");
    for (const name of rootNames) {
      if (name.endsWith(".result.json") && !jobs.some((j) => `${j.stem}.result.json` === name)) {
        violate(runNo, `stray result ${name}`);
      }
    }
    for (const name of [...processed, ...failed]) {
      if (!jobs.some((j) => j.name === name)) violate(runNo, `unexpected file in processed/ or failed/: ${name}`);
    }

    // Temp files.
    // Recovery (which removes orphan temps) comes before the first scan; warnings about a
    // stale lock or the manifest come before recovery, so only a scan proves it ran.
    // Shard mode: a killed shard's temps are its own next start's to clean; checked at the end.
    const last = round?.length === 1 ? round[0]! : null;
    const reachedRecovery = round === null || (last !== null &&
      (!last.killed || last.events.some((e) => e.type === "scan")));
    for (const name of rootNames) {
      const m = /\.tmp-(\d+)$/.exec(name);
      if (!m) continue;
      const fromLastRun = last !== null && Number(m[1]) === last.pid && last.killed;
      if (final || (reachedRecovery && !fromLastRun)) violate(runNo, `temp file survived a start: ${name}`);
    }
    for (const name of readdirSync(out)) {
      if (!name.endsWith(".proxx-partial")) continue;
      const owner = byOutput.get(name.replace(/^\./, "").replace(/\.proxx-partial$/, ""));
      const ownerInFlight = owner && inflightJobs.has(rootPath(owner));
      // Its runner (the owner's shard's) ended without being killed: it must have cleaned up.
      const ownerRunner = round?.find((o) => o.shard === null || (owner && shardOf(owner.name, shards!) === o.shard));
      if (final || !ownerInFlight || (ownerRunner && !ownerRunner.killed)) {
        violate(
          runNo,
          `partial output ${name} left (owner ${owner?.name ?? "?"}${
            ownerInFlight ? ", in flight" : ", not in flight"
          })`,
        );
      }
    }
    if (final) {
      for (const lock of locks()) violate(runNo, `${lock} left after a clean stop`);
      if (records.length) violate(runNo, `in-flight record left: ${records.map((r) => r.path).join(", ")}`);
      report.statuses = statuses;
      report.lost = lost;
    }
  }

  function checkOutput(runNo: number, j: JobDef, o: { name: string; codec: string }): void {
    const file = join(out, o.name);
    if (!existsSync(file)) {
      violate(runNo, `${j.name}: output ${o.name} missing`);
      return;
    }
    const r = spawnSync(ffprobe, ["-v", "error", "-print_format", "json", "-show_streams", file], { encoding: "utf8" });
    try {
      const codec = JSON.parse(r.stdout).streams?.find((s: { codec_type: string }) => s.codec_type === "video")
        ?.codec_name;
      if (codec !== o.codec) violate(runNo, `${j.name}: output ${o.name} has codec ${codec}, expected ${o.codec}`);
    } catch {
      violate(runNo, `${j.name}: ffprobe cannot read output ${o.name}: ${r.stderr.trim()}`);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Wait for the given pids to exit; SIGKILL what is left after `ms` (only FFmpeg processes our runners started). */
async function waitForPids(pids: Set<number>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && [...pids].some(isAlive)) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) {
    if (!isAlive(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes("proxx-partial")) process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

function parseCli(argv: string[]): ChaosOptions & { mode: string } {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      iterations: { type: "string" },
      seed: { type: "string" },
      "max-seconds": { type: "string" },
      jobs: { type: "string" },
      "max-workers": { type: "string" },
      mode: { type: "string" },
      shards: { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(
      `Usage: bun scripts/chaos.ts [--mode ${Object.keys(MODES).join("|")}] [--iterations N] [--seed N]
         [--max-seconds N] [--jobs N] [--max-workers N] [--shards N] [--keep]

Kills 'proxx watch' N times (default 500) at random moments over folders of JobSpecs (a
fresh folder every 15 kills) and checks after every run that nothing is lost and nothing
runs twice. Exit 0 when every invariant held, 1 otherwise.
Modes:
${Object.entries(MODES).map(([name, m]) => `  ${name.padEnd(8)} ${m.about}`).join("\n")}

Examples:
  bun scripts/chaos.ts --iterations 100 --seed 7
  bun scripts/chaos.ts --mode shards --iterations 60`,
    );
    process.exit(0);
  }
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  return {
    iterations: num(v.iterations) ?? 500,
    seed: num(v.seed) ?? Date.now() % 1_000_000,
    maxSeconds: num(v["max-seconds"]),
    jobs: num(v.jobs),
    maxWorkers: num(v["max-workers"]),
    shards: num(v.shards),
    keep: v.keep,
    mode: v.mode ?? "single",
  };
}

/**
 * About as many kills as one folder of 30 JobSpecs absorbs before it is done: past that,
 * kills would only hit idle runners. A long soak is therefore many rounds, each on a
 * fresh folder with its own seed.
 */
const KILLS_PER_FOLDER = 15;

/** `total` kills in rounds of KILLS_PER_FOLDER, each on a fresh folder. */
async function soak(opts: ChaosOptions, total: number, maxWorkers: number | null): Promise<ChaosReport[]> {
  const reports: ChaosReport[] = [];
  for (let done = 0, round = 0; done < total; round++) {
    const iterations = Math.min(KILLS_PER_FOLDER, total - done);
    const report = await runChaos({
      ...opts,
      seed: opts.seed + round * 1000 + (maxWorkers ?? 0),
      iterations,
      maxWorkers,
    });
    reports.push(report);
    done += Math.max(1, report.kills);
  }
  return reports;
}

function totals(label: string, reports: ChaosReport[]): string {
  const sum = (f: (r: ChaosReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  return `chaos total${label}: ${reports.length} folders × ${reports[0]?.jobs ?? 0} JobSpecs, ${
    sum((r) => r.runs)
  } runs, ` +
    `${sum((r) => r.kills)} kills, ${sum((r) => r.encodes)} FFmpeg starts, ${sum((r) => r.poisoned)} poison-failed; ` +
    `lost ${sum((r) => r.lost)}, re-encoded after result ${sum((r) => r.reencodedAfterResult)}, ` +
    `violations ${sum((r) => r.violations.length)}, ${Math.round(sum((r) => r.seconds))} s`;
}

/** A way to run chaos: its help line and what it runs; `--mode <name>` picks one (default single). */
interface Mode {
  about: string;
  run(opts: ChaosOptions): Promise<{ lines: string[]; reports: ChaosReport[] }>;
}

const MODES: Record<string, Mode> = {
  single: {
    about: "one runner at a time; then again with --max-workers 2 (half the kills) unless --max-workers is given",
    async run(opts) {
      const one = await soak(opts, opts.iterations, opts.maxWorkers ?? null);
      const lines = [totals(opts.maxWorkers ? ` (--max-workers ${opts.maxWorkers})` : "", one)];
      if (opts.maxWorkers != null) return { lines, reports: one };
      const two = await soak(opts, Math.max(1, Math.floor(opts.iterations / 2)), 2);
      lines.push(totals(" (--max-workers 2)", two));
      return { lines, reports: [...one, ...two] };
    },
  },
  shards: {
    about: "--shards N (default 3) runners of one folder at once (--shard i/N), any of them killed",
    async run(opts) {
      const shards = opts.shards ?? 3;
      const reports = await soak({ ...opts, shards }, opts.iterations, opts.maxWorkers ?? null);
      return { lines: [totals(` (${shards} shards at once)`, reports)], reports };
    },
  },
};

if (import.meta.main && process.argv.includes("--coordinated")) {
  await (await import("./chaos-coordinated.ts")).main(process.argv.slice(2)); // scripts/chaos-coordinated.ts
} else if (import.meta.main) {
  const opts = parseCli(process.argv.slice(2));
  const mode = MODES[opts.mode];
  if (!mode) {
    console.error(`chaos: unknown --mode ${opts.mode}; modes: ${Object.keys(MODES).join(", ")}`);
    process.exit(2);
  }
  const { lines, reports: all } = await mode.run(opts);
  for (const line of lines) console.log(line);
  const bad = all.reduce((n, r) => n + r.violations.length, 0);
  console.log(`chaos: ${bad === 0 ? "OK: every invariant held" : `FAILED: ${bad} violation(s)`} (seed ${opts.seed})`);
  process.exit(bad === 0 ? 0 : 1);
}
