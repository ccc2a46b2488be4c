/**
 * The watch-folder runner as a real process with real FFmpeg: kill -9 at every step of the
 * crash-safety order, the lock against a second runner, signals, settling, unicode names,
 * and byte-identical re-runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { makeClip } from "../helpers/media.ts";
import { ffmpegWrapper, lines, proxx, startProxx, tempDir, waitFor } from "../helpers/cli.ts";

let root: string;
let media: string;

beforeAll(() => {
  root = tempDir("proxx-watch-process-");
  media = join(root, "media");
  mkdirSync(media);
  makeClip(media, "clip a.mov", { width: 160, height: 120, seconds: 0.4, timecode: "01:00:00:00" });
  makeClip(media, "clip b.mov", { width: 160, height: 120, seconds: 0.4 });
});

afterAll(() => {
  // Orphans of kill -9'd runners (a sleeping wrapper or its ffmpeg) must not outlive the tests.
  spawnSync("pkill", ["-9", "-f", root]);
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh watch folder with one output folder; returns paths. */
function folder(): { jobs: string; out: string; log: string } {
  const base = join(root, `case-${++n}`);
  const jobs = join(base, "jobs");
  const out = join(base, "out");
  mkdirSync(jobs, { recursive: true });
  mkdirSync(out);
  return { jobs, out, log: join(base, "ffmpeg.log") };
}

function jobSpec(out: string, sources = ["clip a.mov"], extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      sources: sources.map((s) => join(media, s)),
      output_directory: out,
      codec: "prores_proxy",
      container: "mov",
      resolution: "half",
      naming_template: "{source_name}_proxy_{index}",
      ...extra,
    },
    null,
    2,
  );
}

const once = (jobs: string, env: Record<string, string> = {}) =>
  proxx(["watch", jobs, "--once", "--settle-seconds", "0"], { env });

function manifest(jobs: string) {
  return JSON.parse(readFileSync(join(jobs, "processed_manifest.json"), "utf8"));
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes(".proxx-partial") || f.includes(".tmp-"));
}

describe("kill -9 at each step, then a restart", () => {
  const points = [
    { name: "before-result", encodes: 2, note: "no result yet: the job runs again" },
    { name: "after-result", encodes: 1, note: "result written: never encoded again" },
    { name: "after-move", encodes: 1, note: "moved: only the manifest entry is added" },
    { name: "after-manifest", encodes: 1, note: "all done: the in-flight record is cleared" },
  ];
  for (const point of points) {
    test(`${point.name}: ${point.note}`, () => {
      const { jobs, out, log } = folder();
      writeFileSync(join(jobs, "job.json"), jobSpec(out));
      const wrapper = ffmpegWrapper(join(jobs, ".."), log);
      const crashed = once(jobs, { PROXX_FAILPOINT: point.name, PROXX_FFMPEG: wrapper });
      expect(crashed.signal).toBe("SIGKILL");
      expect(JSON.parse(readFileSync(join(jobs, ".proxx.inflight.json"), "utf8")).jobspec_path).toBe(
        join(jobs, "job.json"),
      );

      const restarted = once(jobs, { PROXX_FFMPEG: wrapper });
      expect(restarted.code).toBe(0);
      expect(readdirSync(join(jobs, "processed"))).toEqual(["job.json"]);
      expect(existsSync(join(jobs, "job.json"))).toBe(false);
      expect(existsSync(join(jobs, ".proxx.inflight.json"))).toBe(false);
      expect(JSON.parse(readFileSync(join(jobs, "job.result.json"), "utf8")).final_status).toBe("COMPLETED");
      expect(Object.keys(manifest(jobs).entries)).toEqual([join(jobs, "job.json")]);
      expect(lines(log).length).toBe(point.encodes);
      expect(readdirSync(out)).toEqual(["clip a_proxy_000.mov"]);
      expect(leftovers(jobs)).toEqual([]);
      expect(leftovers(out)).toEqual([]);
    });
  }

  test("mid-FFmpeg: the job runs again; twice interrupted, it is failed as a poison job", async () => {
    const { jobs, out, log } = folder();
    writeFileSync(join(jobs, "job.json"), jobSpec(out));
    const slow = ffmpegWrapper(join(jobs, ".."), log, 30);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const runner = startProxx(["watch", jobs, "--once", "--settle-seconds", "0"], { env: { PROXX_FFMPEG: slow } });
      await waitFor(`encode attempt ${attempt}`, () => lines(log).length === attempt);
      runner.child.kill("SIGKILL");
      expect((await runner.done).signal).toBe("SIGKILL");
      expect(existsSync(join(jobs, "job.json"))).toBe(true);
      expect(existsSync(join(jobs, "job.result.json"))).toBe(false);
    }
    spawnSync("pkill", ["-9", "-f", slow]);
    const restarted = once(jobs);
    expect(restarted.code).toBe(1);
    const result = JSON.parse(readFileSync(join(jobs, "job.result.json"), "utf8"));
    expect(result.final_status).toBe("FAILED");
    expect(result.failure_reason).toContain("interrupted 2 times");
    expect(readdirSync(join(jobs, "failed"))).toEqual(["job.json"]);
    expect(leftovers(out)).toEqual([]);
  });

  test("mid-FFmpeg once: the restart encodes it again and leaves no temp output", async () => {
    const { jobs, out, log } = folder();
    writeFileSync(join(jobs, "job.json"), jobSpec(out));
    const slow = ffmpegWrapper(join(jobs, ".."), log, 30);
    const runner = startProxx(["watch", jobs, "--once", "--settle-seconds", "0"], { env: { PROXX_FFMPEG: slow } });
    await waitFor("the encode to start", () => lines(log).length === 1);
    runner.child.kill("SIGKILL");
    await runner.done;
    spawnSync("pkill", ["-9", "-f", slow]);
    const restarted = once(jobs);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).toContain("job.json");
    expect(readdirSync(out)).toEqual(["clip a_proxy_000.mov"]);
    expect(leftovers(out)).toEqual([]);
  });
});

describe("signals and the lock", () => {
  test("SIGTERM mid-FFmpeg: exit 143, JobSpec left pending, no result, no manifest entry, no temp output", async () => {
    const { jobs, out, log } = folder();
    writeFileSync(join(jobs, "job.json"), jobSpec(out));
    const slow = ffmpegWrapper(join(jobs, ".."), log, 1);
    const runner = startProxx(["watch", jobs, "--settle-seconds", "0", "--poll-seconds", "0.2"], {
      env: { PROXX_FFMPEG: slow },
    });
    await waitFor("the encode to start", () => lines(log).length === 1);
    runner.child.kill("SIGTERM");
    const done = await runner.done;
    expect(done.code).toBe(143);
    expect(existsSync(join(jobs, "job.json"))).toBe(true);
    expect(existsSync(join(jobs, "job.result.json"))).toBe(false);
    expect(existsSync(join(jobs, ".proxx.lock"))).toBe(false);
    const m = existsSync(join(jobs, "processed_manifest.json")) ? manifest(jobs).entries : {};
    expect(Object.keys(m)).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });

  test("a second runner on the same folder is refused with exit 5; continuous mode picks up a new file and stops on SIGTERM", async () => {
    const { jobs, out } = folder();
    const first = startProxx(["watch", jobs, "--settle-seconds", "0", "--poll-seconds", "0.5"]);
    await waitFor("the lock", () => existsSync(join(jobs, ".proxx.lock")));
    const second = proxx(["watch", jobs, "--once"]);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/locked by pid \d+/);

    writeFileSync(join(jobs, "late.json.part"), jobSpec(out));
    renameSync(join(jobs, "late.json.part"), join(jobs, "late.json"));
    const dropped = Date.now();
    await waitFor("the new job's result", () => existsSync(join(jobs, "late.result.json")), 15_000);
    // one poll (0.5 s) plus the encode; generous for a loaded 2-core machine
    expect(Date.now() - dropped).toBeLessThan(10_000);
    first.child.kill("SIGTERM");
    const done = await first.done;
    expect(done.code).toBe(143);
    expect(existsSync(join(jobs, ".proxx.lock"))).toBe(false);
    expect(readdirSync(join(jobs, "processed"))).toEqual(["late.json"]);
  });

  test("a stale lock (dead pid on this host) is taken over and said so", () => {
    const { jobs, out } = folder();
    writeFileSync(
      join(jobs, ".proxx.lock"),
      JSON.stringify({
        pid: 999999,
        host: spawnSync("hostname", { encoding: "utf8" }).stdout.trim(),
        started_at: "2025-01-01T00:00:00+00:00",
      }),
    );
    writeFileSync(join(jobs, "job.json"), jobSpec(out));
    const r = once(jobs);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("stale");
    expect(existsSync(join(jobs, ".proxx.lock"))).toBe(false);
  });

  test("a missing folder is exit 4", () => {
    expect(proxx(["watch", join(root, "no-such-folder"), "--once"]).code).toBe(4);
  });
});

describe("the seed's rules on a real folder", () => {
  test("a re-run of --once changes nothing: results and manifest byte-identical, nothing encoded", () => {
    const { jobs, out, log } = folder();
    writeFileSync(join(jobs, "a.json"), jobSpec(out));
    writeFileSync(join(jobs, "b.json"), "{ not json");
    writeFileSync(join(jobs, "c.json"), jobSpec(out, ["clip b.mov", "missing.mov"]));
    const wrapper = ffmpegWrapper(join(jobs, ".."), log);
    expect(once(jobs, { PROXX_FFMPEG: wrapper }).code).toBe(1);
    const snapshot = () =>
      Object.fromEntries(
        readdirSync(jobs, { recursive: true }).map(String).sort().map((f) => {
          const p = join(jobs, f);
          return [
            f,
            existsSync(p) && !readdirSync(jobs).includes(f) || f.endsWith(".json") ? readFileSync(p, "utf8") : "dir",
          ];
        }),
      );
    const before = snapshot();
    const encodes = lines(log).length;
    expect(once(jobs, { PROXX_FFMPEG: wrapper }).code).toBe(0);
    expect(snapshot()).toEqual(before);
    expect(lines(log).length).toBe(encodes);
    expect(JSON.parse(before["b.result.json"]).final_status).toBe("PARTIAL");
    expect(JSON.parse(before["c.result.json"]).validation_error.errors[0].path).toBe("sources[1]");
  });

  test("a modified JobSpec runs again once its result is removed; while the result exists it is skipped", () => {
    const { jobs, out, log } = folder();
    const wrapper = ffmpegWrapper(join(jobs, ".."), log);
    writeFileSync(join(jobs, "job.json"), jobSpec(out));
    once(jobs, { PROXX_FFMPEG: wrapper });
    // the operator drops an edited copy under the same name
    writeFileSync(join(jobs, "job.json"), jobSpec(out, ["clip b.mov"]));
    const skipped = once(jobs, { PROXX_FFMPEG: wrapper });
    expect(skipped.stderr).toContain("result file exists");
    expect(lines(log).length).toBe(1);
    rmSync(join(jobs, "job.result.json"));
    expect(once(jobs, { PROXX_FFMPEG: wrapper }).code).toBe(0);
    expect(lines(log).length).toBe(2);
    const moved = readdirSync(join(jobs, "processed")).sort();
    expect(moved.length).toBe(2);
    expect(moved[0]).toBe("job.json");
    expect(moved[1]).toMatch(/^job_\d{8}T\d{6}\.json$/);
    expect(readdirSync(out).sort()).toEqual(["clip a_proxy_000.mov", "clip b_proxy_000.mov"]);
  });

  test("a JobSpec written slowly in pieces is not taken before it settles", async () => {
    const { jobs, out } = folder();
    const runner = startProxx(["watch", jobs, "--settle-seconds", "1", "--poll-seconds", "0.2"]);
    await waitFor("the lock", () => existsSync(join(jobs, ".proxx.lock")));
    const text = jobSpec(out);
    const path = join(jobs, "slow.json");
    for (let i = 0; i < 5; i++) {
      writeFileSync(path, text.slice(0, Math.ceil((text.length * (i + 1)) / 5)));
      await new Promise((r) => setTimeout(r, 400));
    }
    await waitFor("the result", () => existsSync(join(jobs, "slow.result.json")), 15_000);
    runner.child.kill("SIGTERM");
    const done = await runner.done;
    expect(JSON.parse(readFileSync(join(jobs, "slow.result.json"), "utf8")).final_status).toBe("COMPLETED");
    expect(done.stderr).toContain("waiting for slow.json to settle");
  });

  test("unicode and space-filled names work end to end", () => {
    const { jobs, out } = folder();
    copyFileSync(join(media, "clip a.mov"), join(media, "Café – «take 1».mov"));
    writeFileSync(
      join(jobs, "日本 job ü.json"),
      jobSpec(out, ["Café – «take 1».mov"], { naming_template: "{source_name} proxy" }),
    );
    expect(once(jobs).code).toBe(0);
    expect(readdirSync(join(jobs, "processed"))).toEqual(["日本 job ü.json"]);
    expect(existsSync(join(jobs, "日本 job ü.result.json"))).toBe(true);
    expect(readdirSync(out)).toEqual(["Café – «take 1» proxy.mov"]);
  });
});
