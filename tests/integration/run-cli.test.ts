/**
 * `proxx run` and `proxx validate` as an operator or CI step sees them: real process, real
 * FFmpeg, the seed's output formats and the documented exit codes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "../helpers/media.ts";
import { ffmpegWrapper, lines, proxx, startProxx, tempDir, waitFor } from "../helpers/cli.ts";
import { JobResult } from "../../src/engine/result.ts";

let root: string;

beforeAll(() => {
  root = tempDir("proxx-run-cli-");
  mkdirSync(join(root, "input"));
  for (const name of ["clip_a", "clip_b", "clip_c"]) {
    makeClip(join(root, "input"), `${name}.mov`, { width: 160, height: 120, seconds: 0.4, timecode: "01:00:00:00" });
  }
  writeFileSync(join(root, "input", "corrupt.mov"), new Uint8Array(4096).map((_, i) => (i * 7919) % 251));
});

afterAll(() => {
  spawnSync("pkill", ["-9", "-f", root]);
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** Writes a JobSpec into a fresh case folder whose `output/` exists; returns its path. */
function job(spec: Record<string, unknown>): { path: string; out: string } {
  const dir = join(root, `case-${++n}`);
  mkdirSync(join(dir, "output"), { recursive: true });
  const path = join(dir, "job.json");
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return { path, out: join(dir, "output") };
}

const seedExample = (sources = ["clip_a", "clip_b", "clip_c"]) => ({
  job_id: "test001",
  sources: sources.map((s) => join(root, "input", `${s}.mov`)),
  output_directory: "output",
  codec: "prores_proxy",
  container: "mov",
  resolution: "half",
  naming_template: "{source_name}_proxy_{index}",
  fps_mode: "same-as-source",
  created_at: "2025-12-28T12:00:00Z",
});

describe("proxx run", () => {
  test("the seed's multi-clip example produces the three expected proxies, in the seed's format, exit 0", () => {
    const { path, out } = job(seedExample());
    const r = proxx(["run", path]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["clip_a_proxy_000.mov", "clip_b_proxy_001.mov", "clip_c_proxy_002.mov"]);
    expect(r.stdout).toContain("Multi-Clip Job: test001\nTotal Clips: 3\nProcessed: 3/3\n");
    expect(r.stdout).toMatch(/\[1\/3\] COMPLETED clip_a\.mov \(\d+\.\ds\)\n {5}→ .*clip_a_proxy_000\.mov/);
    expect(r.stdout).toContain("Result: All clips completed");
  });

  test("a single-clip job prints the seed's [SUCCESS] block", () => {
    const { path } = job({ ...seedExample(["clip_a"]), naming_template: "{source_name}_proxy" });
    const r = proxx(["run", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^\[SUCCESS\] Job test001 \(\d+\.\ds\) → .*clip_a_proxy\.mov\n {2}Output: .*clip_a_proxy\.mov\n {2}Duration: \d+\.\ds\n$/,
    );
  });

  test("fail-fast: a corrupt middle clip stops the job, the first proxy stays, the third never runs; exit 1 with the last stderr lines", () => {
    const { path, out } = job(seedExample(["clip_a", "corrupt", "clip_c"]));
    const r = proxx(["run", path, "--result", join(out, "..", "result.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Processed: 2/3");
    expect(r.stdout).toMatch(/\[2\/3\] FAILED corrupt\.mov/);
    expect(r.stdout).toContain("Reason: Could not read the source");
    expect(r.stdout).toContain("Result: One or more clips failed");
    expect(readdirSync(out)).toEqual(["clip_a_proxy_000.mov"]);
    const result = JobResult.parse(JSON.parse(readFileSync(join(out, "..", "result.json"), "utf8")));
    expect(result.final_status).toBe("FAILED");
    expect(result.clips.map((c) => c.status)).toEqual(["COMPLETED", "FAILED"]);
    expect([result.total_clips, result.completed_clips, result.failed_clips]).toEqual([3, 1, 1]);
    expect(result.clips[1]!.failure_reason).toContain("Invalid data found when processing input");
  });

  test("an FFmpeg error exit shows the exit code and the last stderr lines (seed format)", () => {
    const { path, out } = job(seedExample(["clip_a", "clip_b"]));
    const failing = join(out, "..", "failing-ffmpeg.sh");
    writeFileSync(
      failing,
      "#!/bin/sh\necho '[error] Invalid codec parameters' >&2\necho '[error] Conversion failed' >&2\nexit 1\n",
    );
    spawnSync("chmod", ["+x", failing]);
    const r = proxx(["run", path, "--ffmpeg", failing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "[1/2] FAILED clip_a.mov",
    );
    expect(r.stdout).toContain(
      "     Reason: FFmpeg exited with code 1\n     Exit Code: 1\n     Last stderr:\n       [error] Invalid codec parameters\n       [error] Conversion failed\n",
    );
    expect(r.stdout).toContain("Processed: 1/2");
    expect(readdirSync(out)).toEqual([]);
  });

  test("--json prints the full result on stdout and nothing else there", () => {
    const { path } = job(seedExample(["clip_a"]));
    const r = proxx(["run", path, "--json"]);
    expect(r.code).toBe(0);
    const result = JobResult.parse(JSON.parse(r.stdout));
    expect(result.final_status).toBe("COMPLETED");
    expect(result.clips[0]!.ffmpeg_command[0]).toContain("ffmpeg");
    expect(result.clips[0]!.output_probe?.timecode).toBe("01:00:00:00");
    expect(result.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  test("an invalid JobSpec is exit 3 and every error names its field; nothing runs", () => {
    const { path, out } = job({ ...seedExample(), codec: "prores", sources: ["nope.mov"] });
    const r = proxx(["run", path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('codec: "prores" is not one of');
    expect(r.stderr).toContain("did you mean 'prores_proxy'?");
    expect(readdirSync(out)).toEqual([]);
  });

  test("a JobSpec that cannot be read is exit 4", () => {
    const r = proxx(["run", join(root, "no-such-job.json")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("cannot read");
  });

  test("missing FFmpeg is exit 4 with the seed's exact reason", () => {
    const { path } = job(seedExample(["clip_a"]));
    const r = proxx(["run", path, "--json"], { env: { PROXX_FFMPEG: join(root, "no-ffmpeg") } });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).clips[0].failure_reason).toBe(
      "FFmpeg not found. Install FFmpeg to use headless execution.",
    );
  });

  test("usage errors are exit 2 and point at --help", () => {
    expect(proxx(["run"]).code).toBe(2);
    const r = proxx(["run", "a.json", "--no-such-option"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Run 'proxx run --help'");
    expect(proxx(["frobnicate"]).code).toBe(2);
  });

  test("a clip over --timeout-seconds is killed, reaped and failed with the seed's reason", () => {
    const { path, out } = job(seedExample(["clip_a"]));
    const log = join(out, "..", "ffmpeg.log");
    const slow = ffmpegWrapper(join(out, ".."), log, 30);
    const r = proxx(["run", path, "--json", "--timeout-seconds", "1", "--ffmpeg", slow]);
    expect(r.code).toBe(1);
    const clip = JSON.parse(r.stdout).clips[0];
    expect(clip.failure_reason).toBe("Execution timed out after 1 seconds");
    expect(clip.exit_code).toBe(-1);
    expect(readdirSync(out)).toEqual([]);
  });

  test("SIGINT stops FFmpeg cleanly: exit 130, no proxy and no temp file left", async () => {
    const { path, out } = job(seedExample(["clip_a"]));
    const log = join(out, "..", "ffmpeg.log");
    const slow = ffmpegWrapper(join(out, ".."), log, 1);
    const runner = startProxx(["run", path, "--ffmpeg", slow]);
    await waitFor("the encode to start", () => lines(log).length === 1);
    runner.child.kill("SIGINT");
    const done = await runner.done;
    expect(done.code).toBe(130);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("proxx validate", () => {
  test("valid: exit 0 and the outputs it would write", () => {
    const { path } = job(seedExample());
    const r = proxx(["validate", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid (job test001, 3 clip(s))");
    expect(r.stdout).toContain("clip_c_proxy_002.mov");
  });

  test("invalid: exit 3; --json gives one object per file with the errors", () => {
    const good = job(seedExample()).path;
    const bad = job({ ...seedExample(), container: "webm" }).path;
    const r = proxx(["validate", good, bad, "--json"]);
    expect(r.code).toBe(3);
    const [a, b] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(a.valid).toBe(true);
    expect(b.valid).toBe(false);
    expect(b.errors[0]).toEqual({ path: "container", message: "'webm' cannot carry prores_proxy; use one of: mov." });
  });

  test("validate never writes anything", () => {
    const { path, out } = job(seedExample());
    proxx(["validate", path]);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, "..", "job.result.json"))).toBe(false);
  });
});
