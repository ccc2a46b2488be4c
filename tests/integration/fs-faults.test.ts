/**
 * Filesystem faults and security on a real filesystem (docs/reliability.md, "Filesystem
 * faults and security"): the real Bun adapter, wrapped where a fault must be injected
 * (EROFS, ENOSPC, a folder removed at the wrong moment), and real FFmpeg on tiny lavfi
 * clips. The tests run as root in CI, where chmod does not stop writes: a read-only output
 * folder is made real by running FFmpeg as `nobody` through the adapter's spawn (setpriv).
 *
 * Every case checks: a clear reason (failure_reason, or an event / error naming the file),
 * nothing lost (each JobSpec in the root, processed/ or failed/; no proxy half-written
 * under its final name; the manifest parses), and the runner goes on or stops cleanly.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProxxEvent } from "../../src/engine/events.ts";
import type { JobResult } from "../../src/engine/result.ts";
import { partialPathFor } from "../../src/engine/execute.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import { loadJobSpec } from "../../src/jobspec/load.ts";
import { main } from "../../src/cli/main.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import type { Platform } from "../../src/platform/types.ts";
import { SYMLINK_SKIP_REASON } from "../../src/watch/names.ts";
import { folderStatus } from "../../src/watch/status.ts";
import { runWatchFolder, type WatchSummary } from "../../src/watch/runner.ts";
import { engineJobs } from "../../src/watch/engine-jobs.ts";
import { proxx } from "../helpers/cli.ts";
import { ffprobeJson, makeClip } from "../helpers/media.ts";

const real = bunPlatform();
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;
let dir = "";
let clip = "";
let tools: { ffmpeg: string | null; ffprobe: string | null } = { ffmpeg: null, ffprobe: null };
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fs-faults-"));
  chmodSync(dir, 0o755); // FFmpeg run as nobody must reach the media
  mkdirSync(join(dir, "media"));
  clip = makeClip(join(dir, "media"), "clip.mov", { width: 160, height: 120, seconds: 0.3, audioChannels: [2] });
  const found = await locateTools(real);
  tools = { ffmpeg: found.ffmpeg, ffprobe: found.ffprobe };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh case folder with `watch/` and `out/`. */
function caseDir(): { root: string; watch: string; out: string } {
  const root = join(dir, `case${++n}`);
  mkdirSync(join(root, "watch"), { recursive: true });
  mkdirSync(join(root, "out"), { recursive: true });
  chmodSync(root, 0o755);
  return { root, watch: join(root, "watch"), out: join(root, "out") };
}

function spec(fields: Record<string, unknown>): string {
  return JSON.stringify({
    codec: "prores_proxy",
    container: "mov",
    resolution: "same",
    naming_template: "{source_name}_p",
    ...fields,
  });
}

function osError(code: string, op: string, path: string): Error {
  const text: Record<string, string> = {
    ENOSPC: "no space left on device",
    EROFS: "read-only file system",
    EACCES: "permission denied",
  };
  return Object.assign(new Error(`${code}: ${text[code] ?? "error"}, ${op} '${path}'`), { code, path });
}

interface Run {
  summary: WatchSummary;
  events: ProxxEvent[];
}

/** One `--once` pass of the real runner with the real engine, on `platform` (default: the real adapter). */
async function watchOnce(watch: string, platform: Platform = real): Promise<Run> {
  const events: ProxxEvent[] = [];
  const summary = await runWatchFolder(platform, {
    folder: watch,
    once: true,
    settleSeconds: 0,
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    proxxVersion: "test",
    ...engineJobs(platform, { tools, timeoutSeconds: 30 }),
  });
  return { summary, events };
}

const resultOf = (watch: string, stem: string): JobResult =>
  JSON.parse(readFileSync(join(watch, `${stem}.result.json`), "utf8"));

/** Where each JobSpec stem is now: "root", "processed", "failed" (nothing lost) or "missing". */
function placeOf(watch: string, stem: string): string {
  if (existsSync(join(watch, `${stem}.json`))) return "root";
  for (const sub of ["processed", "failed"]) {
    if (
      existsSync(join(watch, sub)) &&
      readdirSync(join(watch, sub)).some((f) => f === `${stem}.json` || f.startsWith(`${stem}_`))
    ) return sub;
  }
  return "missing";
}

/** The manifest parses (when there is one) and no temp file of ours is left. */
function healthy(watch: string, out: string): void {
  const manifest = join(watch, "processed_manifest.json");
  if (existsSync(manifest)) expect(JSON.parse(readFileSync(manifest, "utf8")).version).toBe(1);
  expect(readdirSync(watch).filter((f) => /\.tmp-\d+$/.test(f) || f.startsWith(".proxx"))).toEqual([]);
  expect(readdirSync(out).filter((f) => f.endsWith(".proxx-partial"))).toEqual([]);
}

function isVerifiedProxy(file: string): boolean {
  const probe = ffprobeJson(file);
  return probe.streams.some((s) => s.codec_name === "prores") && lstatSync(file).isFile();
}

/** A copy of the real adapter with some methods replaced. */
function wrap(overrides: Partial<Platform>): Platform {
  return { ...real, ...overrides };
}

/**
 * The real adapter, calling `fault` once while `<stem>.json` runs: when the engine loads it,
 * which is after the runner wrote its in-flight record and before anything else of that job.
 */
function whileRunning(watch: string, stem: string, fault: () => void): Platform {
  let done = false;
  return wrap({
    readFile: (path) => {
      if (!done && path === join(watch, `${stem}.json`) && existsSync(join(watch, ".proxx.inflight.json"))) {
        done = true;
        fault();
      }
      return real.readFile(path);
    },
  });
}

describe("output folder faults (real FFmpeg)", () => {
  test("read-only output folder: FFmpeg's EACCES becomes a clear reason, the next job still runs", async () => {
    const { watch, out } = caseDir();
    const other = join(watch, "..", "out2");
    mkdirSync(other);
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    writeFileSync(join(watch, "b.json"), spec({ sources: [clip], output_directory: other }));
    chmodSync(out, 0o555);
    // As root chmod does not stop writes: run that FFmpeg as nobody, so the kernel refuses for real.
    const platform = isRoot
      ? wrap({
        spawn: (cmd, args, options) =>
          cmd === tools.ffmpeg && args.at(-1)!.startsWith(`file:${out}/`)
            ? real.spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", cmd, ...args], options)
            : real.spawn(cmd, args, options),
      })
      : real;
    try {
      if (isRoot && !hasSetpriv) return console.warn("skipped: running as root without setpriv");
      const { summary } = await watchOnce(watch, platform);
      expect(summary).toMatchObject({ processed: 2, completed: 1, failed: 1 });
      expect(resultOf(watch, "a").failure_reason).toBe(
        `FFmpeg exited with code 1 (writing the output in ${out} failed: Permission denied)`,
      );
      expect(resultOf(watch, "a").clips[0]!.stderr_tail.join("\n")).toContain("Permission denied");
      expect(readdirSync(out)).toEqual([]);
      expect(isVerifiedProxy(join(other, "clip_p.mov"))).toBe(true);
      expect([placeOf(watch, "a"), placeOf(watch, "b")]).toEqual(["failed", "processed"]);
      healthy(watch, out);
    } finally {
      chmodSync(out, 0o755);
    }
  });

  test("output folder removed as FFmpeg starts: the reason says so, nothing is recreated, the next job runs", async () => {
    const { root, watch, out } = caseDir();
    const other = join(root, "out2");
    mkdirSync(other);
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    writeFileSync(join(watch, "b.json"), spec({ sources: [clip], output_directory: other }));
    const platform = wrap({
      spawn: (cmd, args, options) => {
        if (cmd === tools.ffmpeg && args.at(-1)!.startsWith(`file:${out}/`)) {
          rmSync(out, { recursive: true, force: true });
        }
        return real.spawn(cmd, args, options);
      },
    });
    const { summary } = await watchOnce(watch, platform);
    expect(summary).toMatchObject({ processed: 2, completed: 1, failed: 1 });
    expect(resultOf(watch, "a").failure_reason).toBe(
      `FFmpeg exited with code 1 (the output folder ${out} no longer exists)`,
    );
    expect(existsSync(out)).toBe(false);
    expect(isVerifiedProxy(join(other, "clip_p.mov"))).toBe(true);
    expect([placeOf(watch, "a"), placeOf(watch, "b")]).toEqual(["failed", "processed"]);
    mkdirSync(out);
    healthy(watch, out);
  });

  test("file system turns read-only after the encode (EROFS on the final rename): no proxy under its final name, temp removed", async () => {
    const { watch, out } = caseDir();
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    const final = join(out, "clip_p.mov");
    const platform = wrap({
      rename: (
        from,
        to,
      ) => (to === final ? Promise.reject(osError("EROFS", "rename", `${from}' -> '${to}`)) : real.rename(from, to)),
    });
    await watchOnce(watch, platform);
    const reason = resultOf(watch, "a").failure_reason!;
    expect(reason).toStartWith("Could not move the finished output into place: EROFS: read-only file system");
    expect(reason).toContain(final);
    expect(readdirSync(out)).toEqual([]);
    expect(placeOf(watch, "a")).toBe("failed");
    healthy(watch, out);
  });

  test("disk full while FFmpeg writes (ENOSPC from the kernel, via /dev/full): clear reason, nothing left in the output folder", async () => {
    const { watch, out } = caseDir();
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    const platform = wrap({
      spawn: (cmd, args, options) =>
        real.spawn(cmd, cmd === tools.ffmpeg ? [...args.slice(0, -1), "file:/dev/full"] : args, options),
    });
    await watchOnce(watch, platform);
    expect(resultOf(watch, "a").failure_reason).toBe(
      `FFmpeg exited with code 1 (writing the output in ${out} failed: No space left on device)`,
    );
    expect(readdirSync(out)).toEqual([]);
    expect(placeOf(watch, "a")).toBe("failed");
    healthy(watch, out);
  });

  // FFmpeg 5.1 exits 0 here ("Error writing trailer ...: File too large"): verification is what catches it.
  test("disk full half-way through (FFmpeg under a 16 KB file-size limit): the half-written temp is removed, never renamed", async () => {
    const { watch, out } = caseDir();
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    let partialSeen = 0;
    const platform = wrap({
      spawn: (cmd, args, options) => {
        if (cmd !== tools.ffmpeg) return real.spawn(cmd, args, options);
        const child = real.spawn("bash", ["-c", `ulimit -f 16; trap '' XFSZ; exec "$0" "$@"`, cmd, ...args], options);
        const partial = partialPathFor(join(out, "clip_p.mov"));
        return {
          ...child,
          exited: child.exited.then((s) => ((partialSeen = existsSync(partial) ? lstatSync(partial).size : -1), s)),
        };
      },
    });
    await watchOnce(watch, platform);
    expect(partialSeen).toBeGreaterThan(0); // FFmpeg really left a half-written file
    const reason = resultOf(watch, "a").failure_reason!;
    expect(reason).toMatch(/^(FFmpeg exited with code \d+|Verification failed: .*)/);
    expect(reason).toEndWith(`(writing the output in ${out} failed: File too large)`);
    expect(readdirSync(out)).toEqual([]);
    healthy(watch, out);
  });
});

describe("the production composition (engineJobs)", () => {
  test("while FFmpeg runs, the in-flight record names its pid and temp file (the spawn hooks)", async () => {
    const { watch, out } = caseDir();
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    const seen: { pid: number; record: Record<string, unknown> }[] = [];
    const platform = wrap({
      spawn: (cmd, args, options) => {
        const child = real.spawn(cmd, args, options);
        if (cmd !== tools.ffmpeg) return child;
        const record = () => JSON.parse(readFileSync(join(watch, ".proxx.inflight.json"), "utf8"));
        return { ...child, exited: child.exited.then((s) => (seen.push({ pid: child.pid, record: record() }), s)) };
      },
    });
    await watchOnce(watch, platform);
    expect(seen).toEqual([{
      pid: seen[0]!.pid,
      record: expect.objectContaining({
        jobspec_path: join(watch, "a.json"),
        ffmpeg_pid: seen[0]!.pid,
        ffmpeg_temp_path: partialPathFor(join(out, "clip_p.mov")),
      }),
    }]);
    expect(resultOf(watch, "a").final_status).toBe("COMPLETED");
    healthy(watch, out);
  });
});

describe("planted symlinks are never written through", () => {
  test("a symlink at the proxy's final name is replaced by the proxy; its target is untouched", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "victim.mov");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(out, "clip_p.mov"));
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    await watchOnce(watch);
    expect(resultOf(watch, "a").final_status).toBe("COMPLETED");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(isVerifiedProxy(join(out, "clip_p.mov"))).toBe(true);
    healthy(watch, out);
  });

  test("a symlink at the proxy's temp name is removed before FFmpeg writes; its target is untouched", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "victim.mov");
    writeFileSync(victim, "precious");
    symlinkSync(victim, partialPathFor(join(out, "clip_p.mov")));
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    await watchOnce(watch);
    expect(resultOf(watch, "a").final_status).toBe("COMPLETED");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(isVerifiedProxy(join(out, "clip_p.mov"))).toBe(true);
    healthy(watch, out);
  });

  test("something that cannot be removed at the temp name (a folder) fails the clip with a clear reason before FFmpeg runs", async () => {
    const { watch, out } = caseDir();
    const partial = partialPathFor(join(out, "clip_p.mov"));
    mkdirSync(partial);
    writeFileSync(join(partial, "keep"), "x");
    writeFileSync(join(watch, "a.json"), spec({ sources: [clip], output_directory: out }));
    await watchOnce(watch);
    const result = resultOf(watch, "a");
    expect(result.failure_reason).toStartWith(`Could not remove the stale temp file ${partial} before encoding`);
    expect(result.clips[0]!.stderr_tail).toEqual([]); // FFmpeg never ran
    expect(readFileSync(join(partial, "keep"), "utf8")).toBe("x");
    expect(existsSync(join(out, "clip_p.mov"))).toBe(false);
  });

  test("symlinks planted at the temp names of the result, manifest and in-flight record: targets untouched", async () => {
    const { root, watch, out } = caseDir();
    const victims = ["v-result", "v-manifest", "v-inflight"].map((v) => join(root, v));
    for (const v of victims) writeFileSync(v, "precious");
    writeFileSync(join(watch, "a.json"), "{}");
    writeFileSync(join(watch, "b.json"), "{}");
    const pid = real.pid;
    // Planted while a runs: a's result and the manifest are written next, then b's record.
    await watchOnce(
      watch,
      whileRunning(watch, "a", () => {
        symlinkSync(victims[0]!, join(watch, `a.result.json.tmp-${pid}`));
        symlinkSync(victims[1]!, join(watch, `processed_manifest.json.tmp-${pid}`));
        symlinkSync(victims[2]!, join(watch, `.proxx.inflight.json.tmp-${pid}`));
      }),
    );
    for (const v of victims) expect(readFileSync(v, "utf8")).toBe("precious");
    for (const f of ["a.result.json", "b.result.json", "processed_manifest.json"]) {
      expect(lstatSync(join(watch, f)).isFile()).toBe(true);
    }
    expect(resultOf(watch, "a").final_status).toBe("PARTIAL");
    expect([placeOf(watch, "a"), placeOf(watch, "b")]).toEqual(["failed", "failed"]);
    healthy(watch, out);
  });

  test("a symlink planted at the manifest journal's name is never appended through", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "v-journal");
    writeFileSync(victim, "precious");
    writeFileSync(join(watch, "a.json"), "{}");
    writeFileSync(join(watch, "b.json"), "{}");
    // Planted while a runs (no journal yet): a's manifest entry is appended right after.
    await watchOnce(watch, whileRunning(watch, "a", () => symlinkSync(victim, join(watch, ".proxx.manifest-journal"))));
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(existsSync(join(watch, ".proxx.manifest-journal"))).toBe(false);
    expect([resultOf(watch, "a").final_status, resultOf(watch, "b").final_status]).toEqual(["PARTIAL", "PARTIAL"]);
    expect(Object.keys(JSON.parse(readFileSync(join(watch, "processed_manifest.json"), "utf8")).entries).length).toBe(
      2,
    );
    healthy(watch, out);
  });

  test("the adapter's appendFileDurable refuses a link (O_NOFOLLOW) and appends with fsync otherwise", async () => {
    const { root } = caseDir();
    const victim = join(root, "victim");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(root, "link"));
    await expect(real.appendFileDurable(join(root, "link"), "x\n")).rejects.toMatchObject({ code: "ELOOP" });
    expect(readFileSync(victim, "utf8")).toBe("precious");
    await real.appendFileDurable(join(root, "log"), "one\n");
    await real.appendFileDurable(join(root, "log"), "two\n");
    expect(readFileSync(join(root, "log"), "utf8")).toBe("one\ntwo\n");
  });

  test("the adapter's writeFileAtomic: a link at the temp name or at the target is replaced, never followed", async () => {
    const { root } = caseDir();
    const victim = join(root, "victim");
    writeFileSync(victim, "precious");
    const target = join(root, "file.json");
    symlinkSync(victim, `${target}.tmp-${real.pid}`);
    await real.writeFileAtomic(target, "new");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(lstatSync(target).isFile()).toBe(true);
    symlinkSync(victim, join(root, "linked.json"));
    await real.writeFileAtomic(join(root, "linked.json"), "new");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(lstatSync(join(root, "linked.json")).isFile()).toBe(true);
  });

  test("the Deno adapter's writeFileAtomic does the same", () => {
    const { root } = caseDir();
    const script = join(root, "atomic.ts");
    writeFileSync(
      script,
      `
      import { denoPlatform } from ${JSON.stringify(join(import.meta.dir, "../../src/platform/deno.ts"))};
      const root = ${JSON.stringify(root)};
      await Deno.writeTextFile(root + "/victim", "precious");
      await Deno.symlink(root + "/victim", root + "/file.json.tmp-" + Deno.pid);
      await denoPlatform().writeFileAtomic(root + "/file.json", "new");
      console.log(JSON.stringify([await Deno.readTextFile(root + "/victim"), (await Deno.lstat(root + "/file.json")).isFile]));
    `,
    );
    const r = spawnSync("deno", ["run", "-A", "--no-lock", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).not.toContain("error");
    expect(JSON.parse(r.stdout.trim())).toEqual(["precious", true]);
  });

  test("the adapter's writeFileAtomic removes its half-written temp file when the disk fills (EFBIG under a size limit)", () => {
    const { root } = caseDir();
    const script = join(root, "fill.ts");
    writeFileSync(
      script,
      `
      import { bunPlatform } from ${JSON.stringify(join(import.meta.dir, "../../src/platform/bun.ts"))};
      try {
        await bunPlatform().writeFileAtomic(${JSON.stringify(join(root, "big.json"))}, "x".repeat(200_000));
        console.log("written");
      } catch (e) { console.log(e.code); }
    `,
    );
    const r = spawnSync("bash", ["-c", `ulimit -f 16; trap '' XFSZ; exec "$0" "$@"`, process.execPath, script], {
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe("EFBIG");
    expect(readdirSync(root).filter((f) => f.startsWith("big.json"))).toEqual([]);
  });

  test("a symlink at a result name (to a file, dangling, or a loop) counts as an existing result: skipped, nothing written", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "victim");
    writeFileSync(victim, "precious");
    for (const stem of ["a", "b", "c"]) writeFileSync(join(watch, `${stem}.json`), "{}");
    symlinkSync(victim, join(watch, "a.result.json"));
    symlinkSync(join(root, "not-there"), join(watch, "b.result.json"));
    symlinkSync(join(watch, "c.result.json"), join(watch, "c.result.json"));
    const { summary, events } = await watchOnce(watch);
    expect(summary).toMatchObject({ processed: 0, skipped: 3 });
    expect(events.filter((e) => e.type === "skip").map((e) => e.type === "skip" && e.reason)).toEqual(
      Array(3).fill("result file exists"),
    );
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(existsSync(join(root, "not-there"))).toBe(false);
    expect(["a", "b", "c"].map((s) => placeOf(watch, s))).toEqual(["root", "root", "root"]);
    healthy(watch, out);
  });

  test("a manifest that is a symlink is never read through: the link is moved aside, a regular manifest starts; target untouched", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "victim");
    writeFileSync(victim, "secret");
    symlinkSync(victim, join(watch, "processed_manifest.json"));
    writeFileSync(join(watch, "a.json"), "{}");
    expect((await folderStatus(real, watch)).manifest).toStartWith("corrupt: is a symbolic link");
    const { events } = await watchOnce(watch);
    const warning = events.find((e) => e.type === "warning");
    expect(warning && warning.type === "warning" && warning.message).toMatch(
      /^processed_manifest\.json is a symbolic link.*: moved the link to processed_manifest\.json\.corrupt-\d{8}T\d{6}/,
    );
    expect(readFileSync(victim, "utf8")).toBe("secret");
    const aside = readdirSync(watch).filter((f) => f.startsWith("processed_manifest.json.corrupt-"));
    expect(aside.length).toBe(1);
    expect(lstatSync(join(watch, aside[0]!)).isSymbolicLink()).toBe(true); // the link itself, not a copy of the target's bytes
    expect(lstatSync(join(watch, "processed_manifest.json")).isFile()).toBe(true);
    healthy(watch, out);
  });

  test("a symlink in failed/ at the JobSpec's name is not replaced by the move: clash-free name instead", async () => {
    const { root, watch, out } = caseDir();
    const victim = join(root, "victim");
    writeFileSync(victim, "precious");
    mkdirSync(join(watch, "failed"));
    symlinkSync(victim, join(watch, "failed", "a.json"));
    writeFileSync(join(watch, "a.json"), "{}");
    const { events } = await watchOnce(watch);
    const moved = events.find((e) => e.type === "job_result");
    expect(moved && moved.type === "job_result" && moved.moved_to).toMatch(/\/failed\/a_\d{8}T\d{6}\.json$/);
    expect(lstatSync(join(watch, "failed", "a.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe("precious");
    healthy(watch, out);
  });
});

describe("symlink policy: JobSpecs are not followed, sources are", () => {
  test("a symlinked JobSpec is not taken: reported once with the reason, link and target untouched; status agrees", async () => {
    const { root, watch, out } = caseDir();
    const target = join(root, "elsewhere.json");
    const text = spec({ sources: [clip], output_directory: out });
    writeFileSync(target, text);
    symlinkSync(target, join(watch, "linked.json"));
    writeFileSync(join(watch, "a.json"), "{}");
    const { summary, events } = await watchOnce(watch);
    expect(summary).toMatchObject({ processed: 1, skipped: 1 });
    expect(events).toContainEqual({
      type: "skip",
      jobspec_path: join(watch, "linked.json"),
      reason: SYMLINK_SKIP_REASON,
    });
    expect(lstatSync(join(watch, "linked.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe(text);
    expect(existsSync(join(watch, "linked.result.json"))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
    const status = await folderStatus(real, watch, { settleSeconds: 0 });
    expect(status.skipped).toContainEqual({ path: join(watch, "linked.json"), reason: SYMLINK_SKIP_REASON });
    expect(status.pending).toEqual([]);
  });

  test("a JobSpec swapped for a symlink between scan and claim is not taken", async () => {
    const { root, watch, out } = caseDir();
    writeFileSync(join(root, "elsewhere.json"), "{}");
    writeFileSync(join(watch, "a.json"), "{}");
    writeFileSync(join(watch, "b.json"), "{}");
    const { events } = await watchOnce(
      watch,
      whileRunning(watch, "a", () => {
        rmSync(join(watch, "b.json"));
        symlinkSync(join(root, "elsewhere.json"), join(watch, "b.json"));
      }),
    );
    // Only a was taken (one in-flight record, one run).
    expect(events.filter((e) => e.type === "job_taken").map((e) => e.jobspec_path)).toEqual([join(watch, "a.json")]);
    expect(
      events.some((e) =>
        e.type === "skip" && e.jobspec_path === join(watch, "b.json") && e.reason.startsWith("gone before it was taken")
      ),
    ).toBe(true);
    expect(lstatSync(join(watch, "b.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, "elsewhere.json"), "utf8")).toBe("{}");
    healthy(watch, out);
  });

  test("a symlinked source is followed and encodes", async () => {
    const { root, watch, out } = caseDir();
    symlinkSync(clip, join(root, "linked.mov"));
    writeFileSync(join(watch, "a.json"), spec({ sources: [join(root, "linked.mov")], output_directory: out }));
    await watchOnce(watch);
    expect(resultOf(watch, "a").final_status).toBe("COMPLETED");
    expect(isVerifiedProxy(join(out, "linked_p.mov"))).toBe(true);
    expect(lstatSync(join(root, "linked.mov")).isSymbolicLink()).toBe(true);
  });

  test("a proxy may not replace its own source through a link (linked source, or linked output folder): refused before anything runs", async () => {
    const { root, out } = caseDir();
    const media = join(root, "media");
    mkdirSync(media);
    copyFileSync(clip, join(out, "a.mov")); // the real media lives in the output folder...
    symlinkSync(join(out, "a.mov"), join(media, "a.mov")); // ...and the JobSpec names it through a link
    writeFileSync(
      join(root, "job.json"),
      spec({ sources: ["media/a.mov"], output_directory: "out", naming_template: "{source_name}" }),
    );
    const linkedSource = await loadJobSpec(real, join(root, "job.json"), { startedAtMs: 0 });
    expect(!linkedSource.ok && linkedSource.issues.map((i) => i.message)).toEqual([
      `output '${join(out, "a.mov")}' would overwrite sources[0]`,
    ]);

    symlinkSync(media, join(root, "out-link")); // output folder is a link to the source's folder
    copyFileSync(clip, join(media, "b.mov"));
    writeFileSync(
      join(root, "job2.json"),
      spec({ sources: ["media/b.mov"], output_directory: "out-link", naming_template: "{source_name}" }),
    );
    const linkedFolder = await loadJobSpec(real, join(root, "job2.json"), { startedAtMs: 0 });
    expect(!linkedFolder.ok && linkedFolder.issues.map((i) => i.message)).toEqual([
      `output '${join(root, "out-link", "b.mov")}' would overwrite sources[0]`,
    ]);
    const before = readFileSync(clip);
    expect(readFileSync(join(out, "a.mov")).equals(before)).toBe(true);
  });
});

describe("names cannot inject FFmpeg options or escape the output folder", () => {
  test("sources literally named '-y.mov' and '-i evil.mov' encode correctly via the CLI; no stray file anywhere", () => {
    const { root, out } = caseDir();
    const media = join(root, "media");
    mkdirSync(media);
    copyFileSync(clip, join(media, "-y.mov"));
    copyFileSync(clip, join(media, "-i evil.mov"));
    writeFileSync(
      join(root, "job.json"),
      spec({
        sources: ["media/-y.mov", "media/-i evil.mov"],
        output_directory: "out",
        naming_template: "{source_name}",
      }),
    );
    const before = readdirSync(root).sort();
    const r = proxx(["run", "job.json", "--json"], { cwd: root });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.final_status).toBe("COMPLETED");
    expect(result.clips.map((c: { resolved_output_path: string }) => c.resolved_output_path)).toEqual([
      join(out, "-y.mov"),
      join(out, "-i evil.mov"),
    ]);
    // The source is passed as file:<absolute path>, so "-y" / "-i" are never options.
    expect(result.clips[0].ffmpeg_command).toContain(`file:${join(media, "-y.mov")}`);
    for (const name of ["-y.mov", "-i evil.mov"]) expect(isVerifiedProxy(join(out, name))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(["-i evil.mov", "-y.mov"]);
    expect(readdirSync(media).sort()).toEqual(["-i evil.mov", "-y.mov"]);
    expect(readdirSync(root).sort()).toEqual(before);
    expect(spawnSync("find", [root, "-name", "evil.mov"], { encoding: "utf8" }).stdout).toBe("");
  });

  test("templates and tokens cannot leave output_directory ('..', '/', absolute, backslash, a source named '..mov')", async () => {
    const { root, out } = caseDir();
    copyFileSync(clip, join(root, "..mov"));
    const cases: [string, unknown[], string][] = [
      ["..", [clip], "not a file inside output_directory"],
      ["../{source_name}", [clip], "must not contain '/'"],
      ["/tmp/{source_name}", [clip], "must not contain '/'"],
      ["..\\..\\{source_name}", [clip], "must not contain '/'"],
    ];
    for (const [template, sources, message] of cases) {
      writeFileSync(join(root, "t.json"), spec({ sources, output_directory: "out", naming_template: template }));
      const loaded = await loadJobSpec(real, join(root, "t.json"), { startedAtMs: 0 });
      expect(loaded.ok ? "accepted" : loaded.issues.map((i) => i.message).join("; ")).toContain(message);
    }
    // A source named "..mov" gives the token value ".": refused (conservatively), never a path.
    writeFileSync(
      join(root, "t.json"),
      spec({ sources: ["..mov"], output_directory: "out", naming_template: "{source_name}" }),
    );
    const loaded = await loadJobSpec(real, join(root, "t.json"), { startedAtMs: 0 });
    expect(!loaded.ok && loaded.issues[0]!.message).toBe(
      "naming_template gives the name '..mov', which is not a file inside output_directory",
    );
    // A source named like an option, in a token: a plain name inside the folder.
    copyFileSync(clip, join(root, "--help.mov"));
    writeFileSync(
      join(root, "t.json"),
      spec({
        sources: ["--help.mov"],
        output_directory: "out",
        naming_template: "{source_name}_{job_id}",
        job_id: "x",
      }),
    );
    const dashed = await loadJobSpec(real, join(root, "t.json"), { startedAtMs: 0 });
    expect(dashed.ok && dashed.job.clips[0]!.output_path).toBe(join(out, "--help_x.mov"));
  });
});

describe("the CLI stops with exit code 4 and names the file when the watch folder cannot be written", () => {
  test("ENOSPC writing a result (in-process CLI on a wrapped adapter): exit 4, warning and error name the file, JobSpec kept", async () => {
    const { watch } = caseDir();
    writeFileSync(join(watch, "a.json"), "{}");
    let stdout = "";
    let stderr = "";
    const platform = wrap({
      writeFileAtomic: (path, data) =>
        path.endsWith("a.result.json")
          ? Promise.reject(osError("ENOSPC", "open", `${path}.tmp-${real.pid}`))
          : real.writeFileAtomic(path, data),
      writeStdout: (t) => void (stdout += t),
      writeStderr: (t) => void (stderr += t),
    });
    const code = await main(platform, ["watch", watch, "--once", "--settle-seconds", "0", "--json"]);
    expect(code).toBe(4);
    expect(stderr).toContain(
      `proxx watch: error: ENOSPC: no space left on device, open '${join(watch, "a.result.json")}.tmp-`,
    );
    const warning = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === "warning");
    expect(warning.message).toContain(`could not write the result file ${join(watch, "a.result.json")}`);
    expect(placeOf(watch, "a")).toBe("root");
    expect(existsSync(join(watch, ".proxx.lock"))).toBe(false);
    expect(existsSync(join(watch, ".proxx.inflight.json"))).toBe(true); // the next start re-runs it
  });

  test("real CLI: a folder where the in-flight record should go, or a file named processed: exit 4 naming it", () => {
    const { watch } = caseDir();
    writeFileSync(join(watch, "a.json"), "{}");
    mkdirSync(join(watch, ".proxx.inflight.json"));
    const r = proxx(["watch", watch, "--once", "--settle-seconds", "0"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`could not write the in-flight record in ${watch}`);
    expect(r.stderr).toContain(join(watch, ".proxx.inflight.json"));
    expect(placeOf(watch, "a")).toBe("root");

    const second = caseDir();
    writeFileSync(join(second.watch, "a.json"), "{}");
    writeFileSync(join(second.watch, "processed"), "not a folder");
    const r2 = proxx(["watch", second.watch, "--once", "--settle-seconds", "0"]);
    expect(r2.code).toBe(4);
    expect(r2.stderr).toContain(join(second.watch, "processed"));
    expect(placeOf(second.watch, "a")).toBe("root");
    expect(readFileSync(join(second.watch, "processed"), "utf8")).toBe("not a folder");
  });
});
