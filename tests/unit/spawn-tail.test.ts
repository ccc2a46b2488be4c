import { describe, expect, test } from "bun:test";
import { bunPlatform } from "../../src/platform/bun.ts";
import type { SpawnOptions } from "../../src/platform/types.ts";
import { LineTail, runFfmpeg } from "../../src/ffmpeg/spawn.ts";

const platform = bunPlatform();

describe("LineTail", () => {
  test("keeps the last N lines and caps a runaway line", () => {
    const t = new LineTail(3, 10);
    t.push("a\nb\nc");
    t.push("c\nd\n\ne\n");
    expect(t.lines()).toEqual(["b", "cc", "d", "e"].slice(-3));
    t.push("x".repeat(1000));
    expect(t.lines().at(-1)).toBe("x".repeat(10));
  });
});

describe("runFfmpeg", () => {
  test("50 MB of stderr: only the tail is kept", async () => {
    const script = "head -c 50000000 /dev/zero | tr '\\0' 'w' | fold -w 100 >&2; echo >&2; echo last-line >&2; exit 2";
    const r = await runFfmpeg(platform, "sh", ["-c", script], { timeoutMs: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderrTail.length).toBe(20);
    expect(r.stderrTail.at(-1)).toBe("last-line");
  }, 30_000);

  test("progress from stdout", async () => {
    const seen: number[] = [];
    const r = await runFfmpeg(platform, "sh", [
      "-c",
      "printf 'frame=1\\nprogress=continue\\nframe=2\\nprogress=end\\n'",
    ], {
      timeoutMs: 5000,
      onProgress: (p) => seen.push(p.frame),
    });
    expect(r.exitCode).toBe(0);
    expect(seen).toEqual([1, 2]);
  });

  test("timeout: q on stdin is honoured (clean stop)", async () => {
    const r = await runFfmpeg(platform, "sh", ["-c", "x=$(head -c 1); echo got-$x >&2; exit 0"], {
      timeoutMs: 200,
      graceMs: 2000,
    });
    expect(r.timedOut).toBe(true);
    expect(r.stderrTail).toEqual(["got-q"]);
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeNull();
  });

  test("timeout: a hang is SIGTERMed", async () => {
    const t0 = performance.now();
    const r = await runFfmpeg(platform, "sh", ["-c", "exec sleep 100"], { timeoutMs: 100, graceMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: "SIGTERM", exitCode: null, interrupted: false });
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test("timeout: ignoring SIGTERM gets SIGKILL, and the process is reaped", async () => {
    const child = { pid: 0 };
    const spy = {
      ...platform,
      spawn: (c: string, a: string[], o?: SpawnOptions) => {
        const p = platform.spawn(c, a, o);
        child.pid = p.pid;
        return p;
      },
    };
    const r = await runFfmpeg(spy, "sh", ["-c", "trap '' TERM; exec sleep 100"], { timeoutMs: 100, graceMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(platform.isProcessAlive(child.pid)).toBe(false);
  });

  test("abort signal stops cleanly and reports interrupted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const r = await runFfmpeg(platform, "sh", ["-c", "exec sleep 100"], {
      timeoutMs: 60_000,
      graceMs: 200,
      signal: controller.signal,
    });
    expect(r).toMatchObject({ interrupted: true, timedOut: false });
  });
});
