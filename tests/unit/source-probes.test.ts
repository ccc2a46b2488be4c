import { describe, expect, test } from "bun:test";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { SourceProbes } from "../../src/engine/source-probes.ts";

/** A fake ffprobe: answers from `facts` (by file), records every header probe, can be told to fail. */
function scriptedFfprobe(p: FakePlatform) {
  const calls: string[][] = [];
  const width = new Map<string, number>();
  const failing = new Set<string>();
  p.spawnImpl = (_cmd, args, options) => {
    // Header probes only: an H.264 source's one-frame field check is a second, smaller run.
    if (args.includes("-show_format")) calls.push(args);
    const file = args[args.length - 1]!.replace(/^file:/, "");
    const bad = failing.has(file);
    const json = {
      format: { format_name: "mov,mp4", duration: "2.000000" },
      streams: [{
        codec_type: "video",
        codec_name: "h264",
        width: width.get(file) ?? 1920,
        height: 1080,
        avg_frame_rate: "25/1",
        // A header-only probe (-skip_frame:v all) cannot know the pixel format.
        ...(args.includes("-skip_frame:v") ? {} : { pix_fmt: "yuv420p" }),
      }],
    };
    queueMicrotask(
      () => (bad ? options?.onStderr?.("bad.mov: Invalid data found\n") : options?.onStdout?.(JSON.stringify(json))),
    );
    return {
      pid: 4242,
      exited: new Promise((resolve) => setTimeout(() => resolve({ code: bad ? 1 : 0, signal: null }), 1)),
      writeStdin() {},
      kill() {},
    };
  };
  return { calls, width, failing };
}

describe("SourceProbes", () => {
  test("a prefetched probe is used once, without probing again", async () => {
    const p = new FakePlatform({ files: { "/m/a.mov": "aaaa" } });
    const ff = scriptedFfprobe(p);
    const probes = new SourceProbes(p, "/usr/bin/ffprobe");
    probes.prefetch("/m/a.mov", { pixFmt: false });
    probes.prefetch("/m/a.mov", { pixFmt: false }); // already under way: no second ffprobe
    const facts = await probes.get("/m/a.mov", { pixFmt: false });
    expect(facts.video).toMatchObject({ width: 1920, pix_fmt: null });
    expect(ff.calls.length).toBe(1);
    // Taken: the next request probes again (the file may have changed since).
    await probes.get("/m/a.mov", { pixFmt: false });
    expect(ff.calls.length).toBe(2);
  });

  test("a source rewritten after the prefetch is probed again", async () => {
    const p = new FakePlatform({ files: { "/m/a.mov": "aaaa" } });
    const ff = scriptedFfprobe(p);
    const probes = new SourceProbes(p, "/usr/bin/ffprobe");
    probes.prefetch("/m/a.mov", { pixFmt: false });
    await new Promise((r) => setTimeout(r, 5));
    p.advance(1000);
    p.writeFile("/m/a.mov", "replaced, longer");
    ff.width.set("/m/a.mov", 1280);
    const facts = await probes.get("/m/a.mov", { pixFmt: false });
    expect(facts.video?.width).toBe(1280);
    expect(ff.calls.length).toBe(2);
  });

  test("a shallower prefetch does not serve a job that needs the pixel format", async () => {
    const p = new FakePlatform({ files: { "/m/a.mov": "aaaa" } });
    const ff = scriptedFfprobe(p);
    const probes = new SourceProbes(p, "/usr/bin/ffprobe");
    probes.prefetch("/m/a.mov", { pixFmt: false });
    const facts = await probes.get("/m/a.mov", { pixFmt: true });
    expect(facts.video?.pix_fmt).toBe("yuv420p");
    expect(ff.calls.some((a) => !a.includes("-skip_frame:v"))).toBe(true);
  });

  test("a failed early probe is retried at the clip's turn, and its error is the current one", async () => {
    const p = new FakePlatform({ files: { "/m/bad.mov": "xx" } });
    const ff = scriptedFfprobe(p);
    ff.failing.add("/m/bad.mov");
    const probes = new SourceProbes(p, "/usr/bin/ffprobe");
    probes.prefetch("/m/bad.mov", { pixFmt: false });
    probes.prefetch("/m/missing.mov", { pixFmt: false }); // never throws
    await expect(probes.get("/m/bad.mov", { pixFmt: false })).rejects.toThrow(
      /ffprobe exited with code 1 on \/m\/bad\.mov: bad\.mov: Invalid data found/,
    );
    const early = ff.calls.length;
    expect(early).toBeGreaterThanOrEqual(3); // early headers + full, then again at its turn
  });
});
