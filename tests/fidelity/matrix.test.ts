/**
 * The fidelity matrix, first slice (issue 13): sources generated with lavfi, each run through
 * the engine as `proxx run` runs it, and every proxy checked against the contract from
 * ffprobe (conform.ts): frames decoded and counted, rate, displayed aspect, audio, timecode.
 * A case either conforms, or is refused before FFmpeg runs with a reason naming the property.
 *
 * Covered here: fps_explicit (NTSC decimals, lowering and raising the rate, drop-frame
 * timecode at a rate without drop-frame), sources that start at 10 s, 16 audio channels,
 * WIDTHxHEIGHT keeping the displayed aspect. Kept small (160x90, a few seconds) for CI.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSource } from "./sources.ts";
import { conformance, probeFacts } from "./conform.ts";
import { runJob } from "./run.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the job, expects COMPLETED, and returns the contract problems of its proxy. */
async function conformsProblems(
  source: string,
  settings: Record<string, unknown>,
  plan: Parameters<typeof conformance>[2],
): Promise<string[]> {
  const run = await runJob(dir, source, settings);
  const clip = run.result.clips[0]!;
  expect({ status: clip.status, reason: clip.failure_reason, stage: clip.failure_stage }).toEqual({
    status: "COMPLETED",
    reason: null,
    stage: null,
  });
  return conformance(probeFacts(source), probeFacts(run.output), plan);
}

const explicit = (fps: number, container = "mov", codec = "prores_proxy") => ({
  codec,
  container,
  resolution: "same",
  fps_mode: "explicit",
  fps_explicit: fps,
});

describe("fps_explicit", () => {
  test("50 → 25 fps: duration × rate frames (6 s gave 6.08 s with -r)", async () => {
    const source = makeSource(dir, { name: "r50", fps: "50", seconds: 6 });
    expect(await conformsProblems(source, explicit(25, "mp4", "h264"), { fps: 25, rate: "25/1" })).toEqual([]);
  }, 30_000);

  test("29.97 → 25 fps, and the drop-frame timecode becomes 25 fps timecode of the same time", async () => {
    const source = makeSource(dir, { name: "ntsc_df", fps: "30000/1001", seconds: 4, timecode: "01:00:00;00" });
    expect(await conformsProblems(source, explicit(25), { fps: 25, rate: "25/1", timecode: "01:00:00:00" }))
      .toEqual([]);
  }, 30_000);

  test("drop-frame timecode at 25 fps in MXF (FFmpeg exited 1 before)", async () => {
    const source = makeSource(dir, { name: "ntsc_df_mxf", fps: "30000/1001", seconds: 2, timecode: "00:59:59;28" });
    const problems = await conformsProblems(
      source,
      { ...explicit(25, "mxf", "dnxhr"), resolution: "256x144" },
      { fps: 25, rate: "25/1", sampleRate: 48000, timecode: "00:59:59:23" },
    );
    // 256x144 from 160x90 keeps 16:9; the frame-count and timecode are what this case is about.
    expect(problems).toEqual([]);
  }, 30_000);

  test("29.97 → 23.976 written as decimals: exactly 24000/1001, duration × rate frames", async () => {
    const source = makeSource(dir, { name: "ntsc", fps: "30000/1001", seconds: 4, timecode: "10:00:00:00" });
    expect(
      await conformsProblems(source, explicit(23.976), {
        fps: 24000 / 1001,
        rate: "24000/1001",
        timecode: "10:00:00:00",
      }),
    ).toEqual([]);
  }, 30_000);

  test("50 → 29.97 in MKV and WebM (millisecond timestamps): duration × rate frames", async () => {
    const source = makeSource(dir, { name: "r50b", fps: "50", seconds: 3 });
    expect(await conformsProblems(source, explicit(29.97, "mkv", "h264"), { fps: 30000 / 1001 })).toEqual([]);
    expect(await conformsProblems(source, explicit(29.97, "webm", "vp9"), { fps: 30000 / 1001, sampleRate: 48000 }))
      .toEqual([]);
  }, 30_000);

  test("25 → 29.97 and 59.94 written as decimals: the exact NTSC rationals (2997/100 before)", async () => {
    const source = makeSource(dir, { name: "pal", fps: "25", seconds: 2, timecode: "01:00:00:00" });
    expect(
      await conformsProblems(source, explicit(29.97), {
        fps: 30000 / 1001,
        rate: "30000/1001",
        timecode: "01:00:00:00",
      }),
    )
      .toEqual([]);
    expect(
      await conformsProblems(source, explicit(59.94, "mp4", "h264"), { fps: 60000 / 1001, rate: "60000/1001" }),
    ).toEqual([]);
  }, 30_000);
});

describe("audio channels", () => {
  test("16 channels in one stream to WebM: refused before FFmpeg runs, saying why (Opus maps at most 8)", async () => {
    const source = makeSource(dir, { name: "ch16", audio: [16], seconds: 1 });
    const run = await runJob(dir, source, { codec: "vp9", container: "webm", resolution: "same" });
    const clip = run.result.clips[0]!;
    expect(clip.status).toBe("FAILED");
    expect(clip.failure_stage).toBe("probe");
    expect(clip.failure_reason).toBe(
      "audio stream 1 has 16 channels, but webm audio is Opus, which FFmpeg encodes with at most 8 channels per stream; " +
        "use container mkv, which keeps all 16 channels",
    );
    expect(clip.exit_code).toBeNull();
    expect(clip.ffmpeg_command).toEqual([]);
    expect(run.events.some((e) => e.type === "ffmpeg_started")).toBe(false);
    expect(existsSync(run.output)).toBe(false);
  }, 30_000);

  test("the same 16 channels in MOV: kept, one stream of 16", async () => {
    const source = makeSource(dir, { name: "ch16mov", audio: [16], seconds: 1 });
    expect(
      await conformsProblems(source, { codec: "prores_proxy", container: "mov", resolution: "same" }, { fps: null }),
    )
      .toEqual([]);
  }, 30_000);
});

describe("WIDTHxHEIGHT", () => {
  // The size the editor sees, in square pixels: a 4:3 picture fitted in 320x180 is 240x180.
  // (FFmpeg's scale alone stored 320x180 at SAR 3:4: right in ffprobe's DAR, but shown
  // squeezed wherever the pixel aspect is ignored, and never in MXF.) docs/fidelity.md.
  for (
    const [codec, container] of [["h264", "mp4"], ["prores_proxy", "mov"], ["h264", "mkv"], ["vp9", "webm"]] as const
  ) {
    test(
      `4:3 source at 320x180 in ${container}: fitted in the box, square pixels, the displayed aspect kept`,
      async () => {
        const source = makeSource(dir, { name: `four_three_${container}`, size: "160x120", seconds: 0.4 });
        const run = await runJob(dir, source, { codec, container, resolution: "320x180" });
        expect(run.result.clips[0]!.status).toBe("COMPLETED");
        const proxy = probeFacts(run.output);
        expect([proxy.video.width, proxy.video.height, proxy.video.sarText]).toEqual([240, 180, "1:1"]);
        expect(conformance(probeFacts(source), proxy, { fps: null, squarePixels: true })).toEqual([]);
      },
      30_000,
    );
  }
});

describe("sources that start later than zero", () => {
  // ffprobe says 12 s for a MOV/MP4/MKV whose 2 s of media start at 10 s; the proxy starts
  // at 0 and lasts 2 s ("expected duration 12.000 s, got 2.000 s" before).
  for (const container of ["mov", "mp4", "mkv", "ts"] as const) {
    test(`first frame at 10 s in ${container}: verified, same frames`, async () => {
      const source = makeSource(dir, { name: `start10_${container}`, container, startSeconds: 10 });
      const run = await runJob(dir, source, { codec: "h264", container: "mov", resolution: "same" });
      const clip = run.result.clips[0]!;
      expect({ reason: clip.failure_reason, stage: clip.failure_stage }).toEqual({ reason: null, stage: null });
      expect(clip.source_probe!.duration_seconds!).toBeCloseTo(2, 1);
      const source_ = probeFacts(source);
      const proxy = probeFacts(run.output);
      // Where audio starts before video (MP4, MKV, TS from FFmpeg) the proxy had one frame more
      // at the start (issue 13 defect 1; timing.test.ts): the same frames now.
      expect(proxy.video.frames).toBe(source_.video.frames);
    }, 30_000);
  }
});

describe("59.94 fps in Matroska and WebM", () => {
  test("h264/mkv completes (AAC priming runs past the picture by more than a frame) and vp9/webm keeps the frames", async () => {
    const source = makeSource(dir, { name: "r5994", fps: "60000/1001", seconds: 1 });
    const same = { resolution: "same" };
    expect(
      await conformsProblems(source, { ...same, codec: "h264", container: "mkv" }, { fps: null, container: "mkv" }),
    )
      .toEqual([]);
    // WebM keeps millisecond times, no rate: ffprobe reads 19001/317, within a millisecond of 60000/1001.
    expect(
      await conformsProblems(source, { ...same, codec: "vp9", container: "webm" }, { fps: null, container: "webm" }),
    )
      .toEqual([]);
  });
});
