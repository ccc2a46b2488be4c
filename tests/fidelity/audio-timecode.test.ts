/**
 * Fidelity matrix, audio and timecode (issue 13, "Same timecode, reel, audio"): channel
 * layouts and sample rates kept per stream, layouts an encoder cannot take refused before
 * FFmpeg runs, and a timecode the container forces never reported as the source's.
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
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-audio-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const MXF = { codec: "dnxhr", container: "mxf", resolution: "256x144" } as const;

describe("channel layouts and sample rates, per stream", () => {
  test("stereo + 5.1(side) at 44.1 kHz in MOV: both layouts and the rate kept, and the result says so", async () => {
    const source = makeSource(dir, { name: "pair_mov", audio: ["stereo", "5.1(side)"], sampleRate: 44100, seconds: 1 });
    const run = await runJob(dir, source, { codec: "prores_proxy", container: "mov", resolution: "same" });
    const clip = run.result.clips[0]!;
    expect(clip.status).toBe("COMPLETED");
    expect(clip.channel_layouts).toEqual(["kept", "kept"]);
    const proxy = probeFacts(run.output);
    expect(proxy.audio).toEqual([
      { channels: 2, sampleRate: 44100, layout: "stereo" },
      { channels: 6, sampleRate: 44100, layout: "5.1(side)" },
    ]);
    expect(conformance(probeFacts(source), proxy, { fps: null })).toEqual([]);
  }, 30_000);

  test("the same pair in MXF: counts kept, 48 kHz, and the result says MXF records no layout", async () => {
    const source = makeSource(dir, { name: "pair_mxf", audio: ["stereo", "5.1(side)"], sampleRate: 44100, seconds: 1 });
    const run = await runJob(dir, source, MXF);
    const clip = run.result.clips[0]!;
    expect({ status: clip.status, reason: clip.failure_reason }).toEqual({ status: "COMPLETED", reason: null });
    expect(clip.channel_layouts).toEqual(["not_carried", "not_carried"]);
    expect(probeFacts(run.output).audio).toEqual([
      { channels: 2, sampleRate: 48000, layout: null },
      { channels: 6, sampleRate: 48000, layout: null },
    ]);
  }, 30_000);

  test(
    "8 mono streams: kept as 8 mono streams; MOV records their layout as unknown, and the result says so",
    async () => {
      // FFmpeg's MOV muxer labels one mono track mono, several mono tracks not at all.
      const source = makeSource(dir, { name: "mono8", container: "mkv", audio: [1, 1, 1, 1, 1, 1, 1, 1], seconds: 1 });
      const mkv = await runJob(dir, source, { codec: "h264", container: "mkv", resolution: "same" });
      expect(mkv.result.clips[0]!.channel_layouts).toEqual(Array(8).fill("kept"));
      expect(conformance(probeFacts(source), probeFacts(mkv.output), { fps: null })).toEqual([]);
      const mov = await runJob(dir, source, { codec: "h264", container: "mov", resolution: "same" });
      expect(mov.result.clips[0]!.channel_layouts).toEqual(Array(8).fill("not_carried"));
      expect(probeFacts(mov.output).audio.map((a) => a.channels)).toEqual(Array(8).fill(1));
    },
    30_000,
  );

  // Before: both failed inside FFmpeg, stage encode, "FFmpeg exited with code 1".
  const refused = [
    {
      what: "2.1 into WebM (libopus takes only the Vorbis orders)",
      audio: ["2.1"],
      settings: { codec: "vp9", container: "webm", resolution: "same" },
      reason: "audio stream 1 has 3 channels in layout 2.1, but webm audio is Opus, which FFmpeg encodes only in " +
        "mono, stereo, 3.0, quad, 5.0, 5.1, 6.1, 7.1; use container mkv, which keeps it",
    },
    {
      what: "12 unlabelled channels into MP4 (AAC has no layout of 9–15 channels)",
      audio: [{ unlabelled: 12 }],
      settings: { codec: "h264", container: "mp4", resolution: "same" },
      reason: "audio stream 1 has 12 channels with no layout (FFmpeg names no layout of 12 channels), but mp4 audio " +
        "is AAC, which FFmpeg encodes only in 27 named layouts (",
    },
  ] as const;
  for (const c of refused) {
    test(`${c.what}: refused at probe, before FFmpeg, saying why`, async () => {
      const source = makeSource(dir, { name: `refuse_${c.settings.container}`, audio: [...c.audio], seconds: 1 });
      const run = await runJob(dir, source, c.settings);
      const clip = run.result.clips[0]!;
      expect({ status: clip.status, stage: clip.failure_stage, exit: clip.exit_code }).toEqual({
        status: "FAILED",
        stage: "probe",
        exit: null,
      });
      expect(clip.failure_reason!.startsWith(c.reason)).toBe(true);
      expect(run.events.some((e) => e.type === "ffmpeg_started")).toBe(false);
      expect(existsSync(run.output)).toBe(false);
    }, 30_000);
  }

  test("12 unlabelled channels in MOV: kept (PCM takes any count)", async () => {
    const source = makeSource(dir, { name: "ch12mov", audio: [{ unlabelled: 12 }], seconds: 1 });
    const run = await runJob(dir, source, { codec: "h264", container: "mov", resolution: "same" });
    expect(run.result.clips[0]!.channel_layouts).toEqual(["source_unlabelled"]);
    expect(conformance(probeFacts(source), probeFacts(run.output), { fps: null })).toEqual([]);
  }, 30_000);
});

describe("timecode_origin: no invented timecode passed off as the source's", () => {
  test("no timecode into MXF: the muxer's 00:00:00:00 is reported as the container's default", async () => {
    const source = makeSource(dir, { name: "notc", seconds: 1 });
    const run = await runJob(dir, source, MXF);
    const clip = run.result.clips[0]!;
    expect(clip.status).toBe("COMPLETED");
    expect(clip.source_probe!.timecode).toBeNull();
    expect(clip.output_probe!.timecode).toBe("00:00:00:00");
    expect(clip.timecode_origin).toBe("container_default");
  }, 30_000);

  test("a source timecode into MXF and MOV is the source's; no timecode into MOV is none", async () => {
    const tc = makeSource(dir, { name: "tc", seconds: 1, timecode: "10:00:00:00" });
    expect((await runJob(dir, tc, MXF)).result.clips[0]!.timecode_origin).toBe("source");
    const mov = { codec: "prores_proxy", container: "mov", resolution: "same" };
    expect((await runJob(dir, tc, mov)).result.clips[0]!.timecode_origin).toBe("source");
    const none = makeSource(dir, { name: "notc_mov", seconds: 1 });
    const run = await runJob(dir, none, mov);
    expect([run.result.clips[0]!.timecode_origin, probeFacts(run.output).timecode]).toEqual(["none", null]);
  }, 30_000);
});
