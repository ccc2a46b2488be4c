/**
 * The durable-write rules of src/fs/durable.ts and the clock helpers of src/util/timers.ts,
 * over the fake platform's primitives and clock (the same rules the real adapters compose;
 * tests/platform-contract/ checks them against real filesystems).
 */
import { describe, expect, test } from "bun:test";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { atomicTempName, durableFs, parseAtomicTempName } from "../../src/fs/durable.ts";
import type { OpenFlags } from "../../src/platform/types.ts";
import { deadline, DeadlineError } from "../../src/util/timers.ts";
import { probeMedia, ProbeTimeoutError } from "../../src/ffmpeg/probe.ts";
import { runFfmpeg } from "../../src/ffmpeg/spawn.ts";
import type { ChildProcess, ExitStatus, KillSignal } from "../../src/platform/types.ts";

describe("durable writes over the primitives", () => {
  test("the temp name is made and parsed in one place", () => {
    expect(atomicTempName("/w/processed_manifest.json", 77)).toBe("/w/processed_manifest.json.tmp-77");
    expect(parseAtomicTempName("a.result.json.tmp-77")).toEqual({ target: "a.result.json", pid: 77 });
    expect(parseAtomicTempName("a.result.json.tmp-x")).toBeNull();
    expect(parseAtomicTempName("a.result.json")).toBeNull();
  });

  test("each rule opens with its flags; the append is one no-follow open, no separate check", async () => {
    const opened: [string, OpenFlags][] = [];
    const p = new FakePlatform();
    const io = {
      open: (path: string, flags: OpenFlags) => (opened.push([path, flags]), p.open(path, flags)),
      rename: (a: string, b: string) => p.rename(a, b),
      remove: (path: string) => p.remove(path),
    };
    const fs = durableFs(io, 9);
    await fs.appendFileDurable("/tmp/j", "x");
    await fs.createExclusive("/tmp/lock", "x");
    await fs.writeFileAtomic("/tmp/m", "x");
    expect(opened).toEqual([
      ["/tmp/j", { create: true, append: true, noFollow: true }],
      ["/tmp/lock", { create: true, exclusive: true, noFollow: true }],
      ["/tmp/m.tmp-9", { create: true, exclusive: true, noFollow: true }],
    ]);
    p.log.length = 0;
    await p.appendFileDurable("/tmp/j", "y");
    expect(p.log).toEqual([
      "appendFileDurable /tmp/j",
      "sys.open /tmp/j",
      "write /tmp/j",
      "sync /tmp/j",
      "close /tmp/j",
    ]);
    expect(p.text("/tmp/j")).toBe("xy");
  });

  test("the disk filling mid-write leaves the old content and no temp file", async () => {
    const p = new FakePlatform({ files: { "/w/m.json": "old" } });
    p.failNext("write", Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
    await expect(p.writeFileAtomic("/w/m.json", "new")).rejects.toThrow("ENOSPC");
    expect(p.filesUnder("/w")).toEqual(["/w/m.json"]);
    expect(p.text("/w/m.json")).toBe("old");
    p.failNext("sys.rename");
    await expect(p.writeFileAtomic("/w/m.json", "new")).rejects.toThrow("EIO");
    expect(p.filesUnder("/w")).toEqual(["/w/m.json"]);
    await p.writeFileAtomic("/w/m.json", "new");
    expect(p.text("/w/m.json")).toBe("new");
  });

  test("a fault in a durable write's rename never takes the caller's next rename", async () => {
    const p = new FakePlatform({ files: { "/w/a": "1" } });
    p.failNext("rename");
    await p.writeFileAtomic("/w/m.json", "x");
    await expect(p.rename("/w/a", "/w/b")).rejects.toThrow("EIO");
  });

  test("isWritableDir creates a probe: a read-only, missing or non-directory path is not writable", async () => {
    const p = new FakePlatform({ files: { "/w/f": "" } });
    p.mkdirSync("/w/ro");
    p.readOnlyDirs.add("/w/ro");
    expect(await p.isWritableDir("/w")).toBe(true);
    expect(await p.isWritableDir("/w/ro")).toBe(false);
    expect(await p.isWritableDir("/w/missing")).toBe(false);
    expect(await p.isWritableDir("/w/f")).toBe(false);
    p.writeFile(`/w/.proxx-write-test-${p.pid}`, ""); // left by a killed run
    expect(await p.isWritableDir("/w")).toBe(true);
    expect(p.filesUnder("/w")).toEqual(["/w/f"]);
  });
});

/** A child that exits only when killed (or told to), on no clock at all. */
function hangingChild(p: FakePlatform, onStdin?: (text: string, exit: (s: ExitStatus) => void) => void) {
  const kills: KillSignal[] = [];
  p.spawnImpl = (): ChildProcess => {
    let exit: (s: ExitStatus) => void = () => {};
    const exited = new Promise<ExitStatus>((resolve) => (exit = resolve));
    return {
      pid: 99,
      exited,
      writeStdin: (text) => onStdin?.(text, exit),
      kill(signal) {
        kills.push(signal);
        if (signal === "SIGKILL") exit({ code: null, signal });
      },
    };
  };
  return kills;
}

describe("timeouts on the platform clock (the fake's clock drives them, no real waiting)", () => {
  test("deadline: settles like the promise, or DeadlineError when the clock passes it, or the abort reason", async () => {
    const p = new FakePlatform();
    expect(await deadline(p, Promise.resolve(1), 1000)).toBe(1);
    expect(p.pendingTimers()).toBe(0);
    const late = deadline(p, new Promise(() => {}), 1000);
    p.advance(999);
    p.advance(1);
    await expect(late).rejects.toBeInstanceOf(DeadlineError);
    const controller = new AbortController();
    const aborted = deadline(p, new Promise(() => {}), 1000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    expect(p.pendingTimers()).toBe(0);
  });

  test("sleep ends at once on an abort; a sleep moves the clock past due timers, in order", async () => {
    const p = new FakePlatform();
    const fired: number[] = [];
    p.setTimer(300, () => fired.push(p.monotonic()));
    p.setTimer(100, () => fired.push(p.monotonic()));
    await p.sleep(250);
    expect(fired).toEqual([100]);
    const controller = new AbortController();
    controller.abort();
    const t0 = p.monotonic();
    await p.sleep(10_000, controller.signal);
    expect(p.monotonic()).toBe(t0);
  });

  test("a hung ffprobe is killed when the fake clock passes the probe timeout", async () => {
    const p = new FakePlatform();
    const kills = hangingChild(p);
    const probing = probeMedia(p, "ffprobe", "/m/a.mov", "full", 120_000);
    await Promise.resolve();
    expect(kills).toEqual([]);
    p.advance(120_000);
    await expect(probing).rejects.toBeInstanceOf(ProbeTimeoutError);
    expect(kills).toEqual(["SIGKILL"]);
  });

  test("a hung FFmpeg: q, then SIGTERM and SIGKILL one grace period apart, all on the fake clock", async () => {
    const p = new FakePlatform();
    const kills = hangingChild(p);
    const running = runFfmpeg(p, "ffmpeg", [], { timeoutMs: 60_000, graceMs: 5000 });
    for (const ms of [60_000, 5000, 5000]) {
      await new Promise((resolve) => setImmediate(resolve));
      p.advance(ms);
    }
    expect(await running).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(kills).toEqual(["SIGTERM", "SIGKILL"]);
    expect(p.pendingTimers()).toBe(0);
  });
});
