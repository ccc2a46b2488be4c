/**
 * Chaos across hosts (issue 15): three coordinated runners (PROXX_HOSTNAME host-a/b/c stand
 * for three machines) on one folder of mixed-length jobs, a private PostgreSQL server, and at
 * seeded random moments: kill -9 of a runner (restarted a moment later), SIGSTOP of a runner
 * for longer than its lease then SIGCONT, and one `pg_ctl restart -m immediate` per round.
 *
 *   bun scripts/chaos.ts --coordinated                 # soak: 10 rounds of 30 jobs
 *   bun scripts/chaos.ts --coordinated --rounds 1 --jobs 20 --seed 7
 *   (CI: tests/integration/chaos-coordinated.test.ts, one small round)
 *
 * After every round, the whole-folder invariants:
 *   - each JobSpec in exactly one place (root, processed/ or failed/), one result each, with
 *     the status its kind allows (valid → COMPLETED, or FAILED "interrupted N times" only
 *     after N interruptions; invalid → PARTIAL);
 *   - every COMPLETED proxy exists under its final name and ffprobe reads it;
 *   - the manifest parses and has one entry per job, matching its result's status;
 *   - no FFmpeg started for a job after its result file was written;
 *   - no temp file left (`.proxx-partial`, `.tmp-<pid>`) in the folder or the output folder.
 */
import { spawn, spawnSync } from "node:child_process";
import {
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
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startPgServer } from "../tests/helpers/pg-server.ts";
import { makeReplayKit, writeTimedJob } from "../tests/helpers/coordinated.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");

export interface CoordinatedChaosOptions {
  rounds: number;
  jobs: number;
  seed: number;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface CoordinatedChaosReport {
  seed: number;
  rounds: number;
  kills: number;
  freezes: number;
  dbRestarts: number;
  takeovers: number;
  encodes: number;
  statuses: Record<string, number>;
  violations: string[];
  seconds: number;
}

/** mulberry32 (as scripts/chaos.ts). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEASE = 2;
const HOSTS = ["host-a", "host-b", "host-c"];

export async function runCoordinatedChaos(options: CoordinatedChaosOptions): Promise<CoordinatedChaosReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const rand = prng(options.seed);
  const started = performance.now();
  const report: CoordinatedChaosReport = {
    seed: options.seed,
    rounds: 0,
    kills: 0,
    freezes: 0,
    dbRestarts: 0,
    takeovers: 0,
    encodes: 0,
    statuses: {},
    violations: [],
    seconds: 0,
  };
  const pg = await startPgServer();
  const root = mkdtempSync(join(tmpdir(), "proxx-chaos-coord-"));
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const dir = join(root, `round-${round}`);
      const kit = makeReplayKit(dir);
      const kinds = new Map<string, "valid" | "invalid">();
      for (let i = 0; i < options.jobs; i++) {
        const name = `job-${String(i).padStart(3, "0")}`;
        const roll = rand();
        if (roll < 0.1) {
          mkdirSync(join(dir, "jobs"), { recursive: true });
          writeFileSync(join(dir, "jobs", `${name}.json`), `{"job_id": "${name}", "codec": "nope"}\n`);
          kinds.set(name, "invalid");
        } else {
          writeTimedJob(dir, name, roll < 0.25 ? 1.5 : Math.round((0.1 + rand() * 0.3) * 10) / 10);
          kinds.set(name, "valid");
        }
      }
      const env = { ...kit.env };
      type Runner = { host: string; child: ReturnType<typeof spawn>; stdout: string; done: Promise<void> };
      const runners = new Map<string, Runner>();
      const all: Runner[] = [];
      const startRunner = (host: string) => {
        const child = spawn(process.execPath, [
          MAIN,
          "watch",
          join(dir, "jobs"),
          "--coordinator",
          pg.url,
          "--settle-seconds",
          "0",
          "--poll-seconds",
          "0.2",
          "--lease-seconds",
          String(LEASE),
          "--json",
        ], { env: { ...process.env, ...env, NO_COLOR: "1", PROXX_HOSTNAME: host }, stdio: ["ignore", "pipe", "pipe"] });
        const r: Runner = { host, child, stdout: "", done: Promise.resolve() };
        child.stdout!.on("data", (d) => (r.stdout += d));
        child.stderr!.on("data", () => {});
        r.done = new Promise((res) => child.on("close", () => res()));
        runners.set(host, r);
        all.push(r);
      };
      for (const h of HOSTS) startRunner(h);
      const total = options.jobs;
      const finished = () => {
        const p = existsSync(join(dir, "jobs", "processed")) ? readdirSync(join(dir, "jobs", "processed")).length : 0;
        const f = existsSync(join(dir, "jobs", "failed")) ? readdirSync(join(dir, "jobs", "failed")).length : 0;
        return p + f;
      };
      let restarted = false;
      const deadline = Date.now() + 120_000;
      while (finished() < total && Date.now() < deadline) {
        await sleep(300 + rand() * 900);
        const roll = rand();
        const host = HOSTS[Math.floor(rand() * HOSTS.length)]!;
        const r = runners.get(host)!;
        if (roll < 0.3) {
          r.child.kill("SIGKILL");
          report.kills++;
          await r.done;
          await sleep(200 + rand() * 500);
          startRunner(host);
        } else if (roll < 0.45) {
          r.child.kill("SIGSTOP");
          report.freezes++;
          await sleep((LEASE + 0.5 + rand()) * 1000);
          r.child.kill("SIGCONT");
        } else if (roll < 0.55 && !restarted) {
          pg.restartImmediate();
          report.dbRestarts++;
          restarted = true;
        }
      }
      if (!restarted) {
        pg.restartImmediate();
        report.dbRestarts++;
      }
      // Let the folder finish with every runner alive, then stop them (SIGTERM drains).
      const end = Date.now() + 60_000;
      while (finished() < total && Date.now() < end) await sleep(200);
      await sleep(500);
      for (const r of runners.values()) r.child.kill("SIGTERM");
      await Promise.all(all.map((r) => r.done));
      for (const r of all) {
        for (const line of r.stdout.split("\n")) {
          if (line.includes('"recovered"') && line.includes("taken over")) report.takeovers++;
        }
      }
      const violations = checkFolder(dir, kinds, report);
      for (const v of violations) report.violations.push(`round ${round}: ${v}`);
      report.rounds++;
      log(
        `round ${round}: ${total} jobs, ${report.kills} kills, ${report.freezes} freezes, ${report.dbRestarts} db restarts so far; ` +
          `${violations.length} violations`,
      );
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await pg.stop();
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  return report;
}

function checkFolder(dir: string, kinds: Map<string, "valid" | "invalid">, report: CoordinatedChaosReport): string[] {
  const v: string[] = [];
  const jobs = join(dir, "jobs");
  const list = (d: string) => (existsSync(d) ? readdirSync(d) : []);
  const manifestText = existsSync(join(jobs, "processed_manifest.json"))
    ? readFileSync(join(jobs, "processed_manifest.json"), "utf8")
    : "";
  let manifest: { entries: Record<string, { result_status: string }> } = { entries: {} };
  try {
    manifest = JSON.parse(manifestText);
  } catch {
    v.push("the manifest does not parse");
  }
  // FFmpeg starts: `<host> <ppid> <output> <epoch seconds>` per line.
  const starts = readFileSync(join(dir, "ffmpeg.log"), "utf8").split("\n").filter(Boolean).map((l) => l.split(" "));
  report.encodes += starts.length;
  for (const [name, kind] of kinds) {
    const places = [jobs, join(jobs, "processed"), join(jobs, "failed")].filter((d) =>
      list(d).includes(`${name}.json`)
    );
    if (places.length !== 1) v.push(`${name}.json is in ${places.length} places`);
    const resultPath = join(jobs, `${name}.result.json`);
    if (!existsSync(resultPath)) {
      v.push(`${name}: no result`);
      continue;
    }
    const result = JSON.parse(readFileSync(resultPath, "utf8"));
    const status: string = result.final_status;
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
    const allowed = kind === "invalid"
      ? status === "PARTIAL"
      : status === "COMPLETED" || (status === "FAILED" && /interrupted \d+ times/.test(result.failure_reason ?? ""));
    if (!allowed) v.push(`${name} (${kind}) ended ${status}: ${result.failure_reason}`);
    const where = status === "COMPLETED" ? "processed" : "failed";
    if (!list(join(jobs, where)).includes(`${name}.json`)) {
      v.push(`${name} ${status} but its JobSpec is not in ${where}/`);
    }
    const entry = manifest.entries[join(jobs, `${name}.json`)];
    if (!entry) v.push(`${name}: no manifest entry`);
    else if (entry.result_status !== status) v.push(`${name}: manifest says ${entry.result_status}, result ${status}`);
    const resultAt = statSync(resultPath).mtimeMs / 1000;
    for (const s of starts) {
      if (s[2]?.includes(`/.${name}-s`) && Number(s[3]) > resultAt + 0.05) {
        v.push(`${name}: FFmpeg started by ${s[0]} after its result was written`);
      }
    }
    if (status === "COMPLETED") {
      const outputs = list(join(dir, "out")).filter((f) => f.startsWith(`${name}-s`) && f.endsWith(".mov"));
      if (outputs.length !== 1) v.push(`${name}: ${outputs.length} proxies under its final name`);
      for (const o of outputs) {
        const probe = spawnSync("ffprobe", [
          "-v",
          "error",
          "-show_entries",
          "stream=codec_name",
          "-of",
          "csv=p=0",
          join(dir, "out", o),
        ], {
          encoding: "utf8",
        });
        if (probe.status !== 0 || !probe.stdout.includes("prores")) {
          v.push(`${name}: ${o} is not a readable ProRes file`);
        }
      }
    }
  }
  if (Object.keys(manifest.entries).length !== kinds.size) {
    v.push(`the manifest has ${Object.keys(manifest.entries).length} entries for ${kinds.size} jobs`);
  }
  const temps = [...list(jobs), ...list(join(dir, "out"))].filter((f) =>
    f.endsWith(".proxx-partial") || /\.tmp-\d+$/.test(f)
  );
  if (temps.length) v.push(`temp files left: ${temps.join(", ")}`);
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `bun scripts/chaos.ts --coordinated [--rounds N] [--jobs N] [--seed N] [--keep]` */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      coordinated: { type: "boolean" },
      rounds: { type: "string" },
      jobs: { type: "string" },
      seed: { type: "string" },
      keep: { type: "boolean" },
    },
  });
  const report = await runCoordinatedChaos({
    rounds: Number(values.rounds ?? 10),
    jobs: Number(values.jobs ?? 30),
    seed: Number(values.seed ?? Date.now() % 100000),
    keep: values.keep,
  });
  console.log(JSON.stringify(report, null, 2));
  if (report.violations.length) process.exit(1);
}
