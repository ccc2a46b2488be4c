/**
 * Hostile FFmpeg: fake ffmpeg/ffprobe scripts (tests/helpers/fakes/hostile-*.sh) that hang,
 * ignore SIGTERM, crash, lie about success, write nothing / 0 bytes / garbage, flood 50 MB of
 * stderr, print malformed progress or report a wrong duration. Each job must end with the
 * engine's exact failure reason (src/engine/execute.ts), the process must be reaped with
 * nothing left behind (checked with `ps` for the script's unique per-run name, and no zombie
 * children), stderr_tail must stay ≤ 20 lines, the runner's peak RSS must not grow with the
 * flood (VmHWM of a real CLI child), and the runner must go on to the next job.
 *
 * In-process runs use ExecuteOptions.graceMs = 200 and a 0.6 s timeout to keep this fast;
 * one CLI run checks the real defaults (5 s grace) for a hang.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunPlatform } from "../../src/platform/bun.ts";
import { runWatchFolder } from "../../src/watch/runner.ts";
import { engineJobs } from "../../src/watch/engine-jobs.ts";
import { FFMPEG_NOT_FOUND } from "../../src/engine/execute.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import { makeClip } from "../helpers/media.ts";

const ROOT = join(import.meta.dir, "..", "..");
const FAKES = join(ROOT, "tests", "helpers", "fakes");
const platform = bunPlatform();
const token = `proxx-hostile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
let dir = "";
let fakeFfmpeg = "";
let fakeFfprobe = "";
let realFfmpeg = "";
let realFfprobe = "";

const SCENARIOS = [
  "hang",
  "ignore-term",
  "segv",
  "exit0-nooutput",
  "zero-byte",
  "garbage",
  "flood",
  "bad-progress",
  "duration",
] as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proxx-hostile-"));
  const tools = await locateTools(platform);
  realFfmpeg = tools.ffmpeg!;
  realFfprobe = tools.ffprobe!;
  mkdirSync(join(dir, "media"));
  const clip = makeClip(join(dir, "media"), "ok.mov", { width: 160, height: 120, seconds: 0.3, audioChannels: [2] });
  for (const s of SCENARIOS) copyFileSync(clip, join(dir, "media", `${s}.mov`));
  // Unique names, so `ps` finds exactly the processes of this run.
  fakeFfmpeg = join(dir, `${token}-ffmpeg`);
  fakeFfprobe = join(dir, `${token}-ffprobe`);
  for (
    const [from, to, envName, real] of [
      ["hostile-ffmpeg.sh", fakeFfmpeg, "PROXX_REAL_FFMPEG", realFfmpeg],
      ["hostile-ffprobe.sh", fakeFfprobe, "PROXX_REAL_FFPROBE", realFfprobe],
    ] as const
  ) {
    // The wrapper keeps the unique name in argv[0] of the bash process (`exec -a`), and pins the real tool.
    writeFileSync(
      to,
      `#!/bin/bash\nexport ${envName}='${real}'\nexec -a '${to}' /bin/bash '${join(FAKES, from)}' "$@"\n`,
    );
    chmodSync(to, 0o755);
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line carries this run's token (a leftover fake FFmpeg). */
function leftovers(): string[] {
  const r = spawnSync("ps", ["-eo", "pid,stat,args"], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => l.includes(token) && !l.includes("ps -eo"));
}

/** Zombie children of this test process. */
function zombieChildren(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === process.pid) out.push(stat.slice(0, 80));
    } catch { /* gone */ }
  }
  return out;
}

function jobspec(_name: string, source: string): string {
  return JSON.stringify({
    sources: [join(dir, "media", `${source}.mov`)],
    output_directory: "../out",
    codec: "prores_proxy",
    container: "mov",
    resolution: "half",
    naming_template: "{source_name}_proxy",
  });
}

function setupFolder(name: string, jobs: [string, string][]): { watch: string; out: string } {
  const watch = join(dir, name, "watch");
  const out = join(dir, name, "out");
  mkdirSync(watch, { recursive: true });
  mkdirSync(out, { recursive: true });
  for (const [file, source] of jobs) writeFileSync(join(watch, file), jobspec(file, source));
  return { watch, out };
}

const result = (watch: string, stem: string) => JSON.parse(readFileSync(join(watch, `${stem}.result.json`), "utf8"));

/**
 * Soak mode: `PROXX_HOSTILE_ROUNDS=50 bun test tests/integration/hostile-ffmpeg.test.ts`
 * repeats the eleven-job round below that many times, each in a fresh folder, checking
 * everything after every round (CI: 1 round).
 */
const ROUNDS = Math.max(1, Number(process.env.PROXX_HOSTILE_ROUNDS ?? 1));

describe("hostile FFmpeg, in-process runner (grace 200 ms, timeout 0.6 s)", () => {
  test(
    `every misbehaviour ends with its exact reason, is reaped, and the runner goes on (${ROUNDS} round(s))`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) await hostileRound(round);
      if (ROUNDS > 1) console.log(`hostile soak: ${ROUNDS} rounds × 11 jobs, every reason exact, nothing left behind`);
    },
    60_000 * ROUNDS,
  );

  async function hostileRound(round: number): Promise<void> {
    const jobs: [string, string][] = [
      ["01-hang.json", "hang"],
      ["02-ok.json", "ok"],
      ["03-ignore-term.json", "ignore-term"],
      ["04-segv.json", "segv"],
      ["05-exit0-nooutput.json", "exit0-nooutput"],
      ["06-zero-byte.json", "zero-byte"],
      ["07-garbage.json", "garbage"],
      ["08-flood.json", "flood"],
      ["09-bad-progress.json", "bad-progress"],
      ["10-duration.json", "duration"],
      ["11-ok.json", "ok"],
    ];
    const { watch, out } = setupFolder(`inproc-${round}`, jobs);
    // Same source for both ok jobs: give the second its own output name.
    writeFileSync(
      join(watch, "11-ok.json"),
      jobspec("11-ok.json", "ok").replace("{source_name}_proxy", "{source_name}_again"),
    );
    const timings: Record<string, number> = {};
    let t0 = 0;
    const started = performance.now();
    const summary = await runWatchFolder(platform, {
      folder: watch,
      once: true,
      settleSeconds: 0,
      signal: new AbortController().signal,
      proxxVersion: "test",
      onEvent: (e) => {
        if (e.type === "job_taken") t0 = performance.now();
        if (e.type === "job_result") timings[e.jobspec_path.split("/").pop()!] = performance.now() - t0;
      },
      // The real engine, with a short grace so SIGTERM / SIGKILL escalation is quick.
      ...engineJobs(platform, {
        tools: { ffmpeg: fakeFfmpeg, ffprobe: fakeFfprobe },
        timeoutSeconds: 0.6,
        graceMs: 200,
      }),
    });
    const total = performance.now() - started;
    expect(summary).toMatchObject({ processed: 11, completed: 3, failed: 8, invalid: 0 });

    const clip = (stem: string) => result(watch, stem).clips[0];
    const expectations: [string, RegExp, number | null][] = [
      ["01-hang", /^Execution timed out after 0\.6 seconds$/, -1],
      ["03-ignore-term", /^Execution timed out after 0\.6 seconds$/, -1],
      ["04-segv", /^FFmpeg was killed by SIGSEGV$/, null],
      ["05-exit0-nooutput", /^Output file does not exist or has zero size$/, 0],
      ["06-zero-byte", /^Output file does not exist or has zero size$/, 0],
      ["07-garbage", /^Verification failed: ffprobe exited with code \d+ on .*garbage_proxy\.mov\.proxx-partial/, 0],
      ["08-flood", /^FFmpeg exited with code 1$/, 1],
      ["10-duration", /^Verification failed: expected duration 0\.3\d\d s \(±0\.041\), got 9\.000 s$/, 0],
    ];
    for (const [stem, reason, exitCode] of expectations) {
      const r = result(watch, stem);
      expect(r.final_status, stem).toBe("FAILED");
      expect(clip(stem).failure_reason, stem).toMatch(reason);
      expect(clip(stem).exit_code, stem).toBe(exitCode);
      expect(clip(stem).output_exists, stem).toBe(false);
      expect(existsSync(join(watch, "failed", `${stem}.json`)), stem).toBe(true);
    }
    // Runs that finished normally after a bad -progress stream, and the plain jobs around the failures.
    for (const stem of ["02-ok", "09-bad-progress", "11-ok"]) {
      expect(result(watch, stem).final_status, `${stem}: ${result(watch, stem).failure_reason}`).toBe("COMPLETED");
      expect(existsSync(join(watch, "processed", `${stem}.json`))).toBe(true);
    }
    // The flood: only the tail, ending with the script's last line; no line longer than the cap.
    const tail: string[] = clip("08-flood").stderr_tail;
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.length).toBeLessThanOrEqual(20);
    expect(tail.at(-1)).toBe("flood-end: conversion failed");
    expect(Math.max(...tail.map((l) => l.length))).toBeLessThanOrEqual(2000);
    for (const s of readdirSync(watch).filter((n) => n.endsWith(".result.json"))) {
      for (const c of JSON.parse(readFileSync(join(watch, s), "utf8")).clips) {
        expect(c.stderr_tail.length).toBeLessThanOrEqual(20);
      }
    }
    // Escalation timing: hang ends after q-grace + SIGTERM; ignore-term needs a further grace + SIGKILL.
    expect(timings["01-hang.json"]!).toBeGreaterThanOrEqual(600 + 200);
    expect(timings["03-ignore-term.json"]!).toBeGreaterThanOrEqual(600 + 400);
    expect(timings["03-ignore-term.json"]!).toBeLessThan(600 + 400 + 3000);
    // Nothing left: no temp outputs, only the three completed proxies, no process, no zombie.
    expect(readdirSync(out).sort()).toEqual(["bad-progress_proxy.mov", "ok_again.mov", "ok_proxy.mov"]);
    await Bun.sleep(150); // the orphaned `sleep 0.05` of a killed loop may still be exiting
    expect(leftovers()).toEqual([]);
    expect(zombieChildren()).toEqual([]);
    console.log(
      `hostile (in-process) round ${round + 1}: 11 jobs in ${(total / 1000).toFixed(1)} s; per job ms ${
        JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))
      }`,
    );
  }

  test("FFmpeg missing: the clear not-found reason, and the runner goes on", async () => {
    const { watch } = setupFolder("missing", [["a.json", "ok"]]);
    const summary = await runWatchFolder(platform, {
      folder: watch,
      once: true,
      settleSeconds: 0,
      signal: new AbortController().signal,
      ...engineJobs(platform, { tools: { ffmpeg: null, ffprobe: realFfprobe }, timeoutSeconds: 5 }),
    });
    expect(summary.failed).toBe(1);
    expect(result(watch, "a").clips[0].failure_reason).toBe(FFMPEG_NOT_FOUND);
  });
});

/** Run the real CLI; sample VmHWM from /proc while it runs. */
function cliRun(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; hwmKb: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(ROOT, "src", "main.ts"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    let hwmKb = 0;
    child.stdout!.on("data", (c) => (stdout += c));
    child.stderr!.on("data", (c) => (stderr = (stderr + c).slice(-20_000)));
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch { /* exited */ }
    };
    const timer = setInterval(sample, 10);
    child.on("exit", () => sample());
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, hwmKb, ms: performance.now() - t0 });
    });
  });
}

describe("hostile FFmpeg through the real CLI", () => {
  test(
    "50 MB and 200 MB of stderr: the runner's peak RSS (VmHWM) does not grow with it, the tail is 20 lines, the next job runs",
    async () => {
      const base = setupFolder("cli-base", [["1-ok.json", "ok"]]);
      const flood = setupFolder("cli-flood", [["1-flood.json", "flood"], ["2-ok.json", "ok"]]);
      const big = setupFolder("cli-flood-big", [["1-flood.json", "flood"]]);
      const common = ["--once", "--settle-seconds", "0", "--json", "--ffmpeg", fakeFfmpeg, "--ffprobe", fakeFfprobe];
      const baseline = await cliRun(["watch", base.watch, ...common]);
      const flooded = await cliRun(["watch", flood.watch, ...common], { PROXX_FLOOD_BYTES: String(50_000_000) });
      const flooded4x = await cliRun(["watch", big.watch, ...common], { PROXX_FLOOD_BYTES: String(200_000_000) });
      expect(baseline.code).toBe(0);
      expect(flooded.code).toBe(1); // a job failed
      const events = flooded.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const results = events.filter((e) => e.type === "job_result");
      expect(results.map((e) => [e.jobspec_path.split("/").pop(), e.final_status])).toEqual([
        ["1-flood.json", "FAILED"],
        ["2-ok.json", "COMPLETED"],
      ]);
      expect(results[0].failure_reason).toBe("FFmpeg exited with code 1");
      expect(result(flood.watch, "1-flood").clips[0].stderr_tail.length).toBeLessThanOrEqual(20);
      expect(result(big.watch, "1-flood").clips[0].stderr_tail.length).toBeLessThanOrEqual(20);
      const mb = (kb: number) => kb / 1024;
      const growth = mb(flooded.hwmKb - baseline.hwmKb);
      const growth4x = mb(flooded4x.hwmKb - baseline.hwmKb);
      console.log(
        `hostile (CLI): VmHWM baseline ${mb(baseline.hwmKb).toFixed(0)} MB; 50 MB stderr flood ${
          mb(flooded.hwmKb).toFixed(0)
        } MB ` +
          `(+${growth.toFixed(0)}); 200 MB flood ${mb(flooded4x.hwmKb).toFixed(0)} MB (+${growth4x.toFixed(0)}); ${
            Math.round(flooded4x.ms)
          } ms`,
      );
      expect(baseline.hwmKb).toBeGreaterThan(0);
      // Keeping the stream would cost at least its size (twice that as JS UTF-16 strings).
      // What we see instead is garbage-collector slack, the same for 50 and 200 MB.
      expect(growth).toBeLessThan(48);
      expect(growth4x).toBeLessThan(64);
      expect(leftovers()).toEqual([]);
    },
    60_000,
  );

  test(
    "a hang under the real defaults: killed after --timeout-seconds plus the 5 s grace, then the next job runs",
    async () => {
      const { watch, out } = setupFolder("cli-hang", [["1-hang.json", "hang"], ["2-ok.json", "ok"]]);
      const run = await cliRun([
        "watch",
        watch,
        "--once",
        "--settle-seconds",
        "0",
        "--json",
        "--timeout-seconds",
        "1",
        "--ffmpeg",
        fakeFfmpeg,
        "--ffprobe",
        fakeFfprobe,
      ]);
      expect(run.code).toBe(1);
      expect(result(watch, "1-hang").clips[0].failure_reason).toBe("Execution timed out after 1 seconds");
      expect(result(watch, "2-ok").final_status).toBe("COMPLETED");
      expect(run.ms).toBeGreaterThanOrEqual(1000 + 5000); // q was ignored; SIGTERM came after the grace
      expect(readdirSync(out)).toEqual(["ok_proxy.mov"]);
      await Bun.sleep(150);
      expect(leftovers()).toEqual([]);
    },
    60_000,
  );
});
