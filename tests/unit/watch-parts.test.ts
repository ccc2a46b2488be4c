import { describe, expect, test } from "bun:test";
import { HashCache } from "../../src/watch/hash.ts";
import { serializeManifest } from "../../src/watch/manifest.ts";
import { clashFreeName, isCandidateName, utcStamp } from "../../src/watch/names.ts";
import { oneLookSettle, SettleTracker } from "../../src/watch/settle.ts";
import { engineJobs } from "../../src/watch/engine-jobs.ts";
import { isPartialPath, partialPathFor } from "../../src/engine/execute.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";

describe("names", () => {
  test("candidates", () => {
    for (const n of ["a.json", "A b.json", "x.result.jsonx.json"]) expect(isCandidateName(n)).toBe(true);
    for (
      const n of [
        ".a.json",
        "a.result.json",
        "processed_manifest.json",
        ".proxx.lock",
        "a.tmp",
        "a.json.part",
        "a~",
        "a.JSON",
        ".json",
        "a.json.tmp-12",
      ]
    ) {
      expect(isCandidateName(n)).toBe(false);
    }
  });

  test("utcStamp is UTC YYYYmmddTHHMMSS", () => {
    expect(utcStamp(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe("20250102T030405");
  });

  test("clashFreeName", async () => {
    const p = new FakePlatform();
    const now = Date.UTC(2025, 11, 28, 12, 0, 0);
    expect(await clashFreeName(p, "/d", "a.json", now)).toBe("a.json");
    p.writeFile("/d/a.json", "");
    expect(await clashFreeName(p, "/d", "a.json", now)).toBe("a_20251228T120000.json");
    p.writeFile("/d/a_20251228T120000.json", "");
    p.writeFile("/d/a_20251228T120000_2.json", "");
    expect(await clashFreeName(p, "/d", "a.json", now)).toBe("a_20251228T120000_3.json");
  });
});

describe("manifest serialisation", () => {
  test("sorted keys, indent 2, trailing newline", () => {
    const text = serializeManifest({
      version: 1,
      entries: {
        "/w/b.json": { sha256: "1".repeat(64), processed_at: "t", result_status: "COMPLETED" },
        "/w/a.json": { result_status: "FAILED", sha256: "2".repeat(64), processed_at: "t" },
      },
    });
    expect(text).toBe(
      `{\n  "entries": {\n    "/w/a.json": {\n      "processed_at": "t",\n      "result_status": "FAILED",\n      "sha256": "${
        "2".repeat(64)
      }"\n    },\n` +
        `    "/w/b.json": {\n      "processed_at": "t",\n      "result_status": "COMPLETED",\n      "sha256": "${
          "1".repeat(64)
        }"\n    }\n  },\n  "version": 1\n}\n`,
    );
  });
});

describe("settle tracker", () => {
  test("settled only after settleMs of identical observations; change restarts the clock", () => {
    const t = new SettleTracker(2000);
    expect(t.observe("/a", 1, 1, 0)).toEqual({ settled: false, fresh: true, waitMs: 2000 });
    expect(t.observe("/a", 1, 1, 1500)).toEqual({ settled: false, fresh: false, waitMs: 500 });
    expect(t.observe("/a", 2, 2, 1900).fresh).toBe(true);
    expect(t.observe("/a", 2, 2, 3000).settled).toBe(false);
    expect(t.observe("/a", 2, 2, 3900).settled).toBe(true);
    expect(new SettleTracker(0).observe("/b", 1, 1, 0).settled).toBe(true);
  });
});

describe("one-look settle (status)", () => {
  test("the mtime stands in for the first sighting, never later than now", () => {
    const t = oneLookSettle(2000);
    expect(t.observe("/a", 1, 10_000, 12_000).settled).toBe(true);
    expect(t.observe("/b", 1, 10_500, 12_000)).toEqual({ settled: false, fresh: false, waitMs: 500 });
    expect(t.observe("/c", 1, 20_000, 12_000).settled).toBe(false); // stamped in the future
    expect(oneLookSettle(0).observe("/c", 1, 20_000, 12_000).settled).toBe(true);
  });
});

describe("engineJobs partial clean-up", () => {
  const record = (temp?: string) => ({
    version: 1 as const,
    jobspec_path: "/w/a.json",
    sha256: "0".repeat(64),
    attempts: 2,
    started_at: "t",
    pid: 1,
    ...(temp === undefined ? {} : { ffmpeg_temp_path: temp }),
  });

  test("removes the temp output named by the in-flight record, and nothing else", async () => {
    const p = new FakePlatform();
    const temp = partialPathFor("/out/clip_proxy.mov");
    p.writeFile(temp, "half");
    p.writeFile("/out/clip_proxy.mov", "done");
    p.writeFile("/etc/important", "x");
    const { cleanupPartials } = engineJobs(p, { tools: { ffmpeg: null, ffprobe: null }, timeoutSeconds: 5 });
    await cleanupPartials(record(temp));
    await cleanupPartials(record("/etc/important")); // a planted record cannot remove other files
    await cleanupPartials(record());
    expect(p.exists(temp)).toBe(false);
    expect(p.exists("/out/clip_proxy.mov")).toBe(true);
    expect(p.exists("/etc/important")).toBe(true);
  });

  test("isPartialPath recognises exactly partialPathFor's names", () => {
    expect(isPartialPath(partialPathFor("/out/a.mov"))).toBe(true);
    expect(isPartialPath(partialPathFor("C:\\out\\a.mov"))).toBe(true);
    for (const p of ["/out/a.mov", "/out/a.mov.proxx-partial", "/out/.proxx-partial", "/etc/passwd"]) {
      expect(isPartialPath(p)).toBe(false);
    }
  });
});

describe("hash cache", () => {
  test("re-hashes only when size or mtime change", async () => {
    const p = new FakePlatform();
    p.writeFile("/a", "x");
    const c = new HashCache();
    const s1 = (await p.stat("/a"))!;
    const h1 = await c.hash(p, "/a", s1);
    await c.hash(p, "/a", s1);
    expect(p.log.filter((l) => l === "readFile /a").length).toBe(1);
    p.advance(1);
    p.writeFile("/a", "y");
    expect(await c.hash(p, "/a", (await p.stat("/a"))!)).not.toBe(h1);
  });
});

describe("fake platform", () => {
  test("rename replaces like POSIX, createExclusive fails on existing, list is reverse-ordered, failNext fires once", async () => {
    const p = new FakePlatform();
    p.writeFile("/d/a", "1");
    p.writeFile("/d/b", "2");
    await p.rename("/d/a", "/d/b");
    expect(p.text("/d/b")).toBe("1");
    expect(await p.createExclusive("/d/b", "x")).toBe(false);
    p.writeFile("/d/c", "3");
    expect((await p.list("/d")).map((e) => e.name)).toEqual(["c", "b"]);
    p.failNext("stat");
    await expect(p.stat("/d/b")).rejects.toThrow("EIO");
    expect(await p.stat("/d/b")).not.toBeNull();
    await expect(p.readFile("/nope")).rejects.toMatchObject({ code: "ENOENT" });
    expect(() => p.spawn("ffmpeg", [])).toThrow("not supported");
    const t0 = p.now();
    await p.sleep(500);
    expect(p.now() - t0).toBe(500);
  });
});
