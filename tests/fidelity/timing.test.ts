/**
 * "Same frames at the same times" (issue 13, defects 1, 3 and the timing parts of 7): a
 * picture that starts after the audio, variable frame rate, MXF audio that starts late,
 * ends early or runs on. Every proxy is checked from ffprobe and the decoded pictures: the
 * frame count, each frame's time, the first frame's time, and that frame n shows source
 * frame n (testsrc2 changes every frame). Where the container cannot keep the timing (MXF),
 * the clip must be refused before FFmpeg runs, saying why and which containers work.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { makeSource } from "./sources.ts";
import { conformance, framePixels, frameTimes, matchingSourceFrame, probeFacts } from "./conform.ts";
import { type Run, runJob } from "./run.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-timing-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectCompleted(run: Run): void {
  const clip = run.result.clips[0]!;
  expect({ status: clip.status, reason: clip.failure_reason, stage: clip.failure_stage }).toEqual({
    status: "COMPLETED",
    reason: null,
    stage: null,
  });
}

function expectRefused(run: Run, reason: string): void {
  const clip = run.result.clips[0]!;
  expect({ status: clip.status, stage: clip.failure_stage, reason: clip.failure_reason }).toEqual({
    status: "FAILED",
    stage: "probe",
    reason,
  });
  expect(clip.ffmpeg_command).toEqual([]);
  expect(run.events.some((e) => e.type === "ffmpeg_started")).toBe(false);
  expect(existsSync(run.output)).toBe(false);
}

/** Each frame's time after the first frame, so the two files' lists compare whatever their start. */
const spacing = (times: number[]) => times.map((t) => Math.round((t - times[0]!) * 1e6) / 1e6);

/** The largest difference between two lists of frame times (they must be as long). */
function largestShift(a: number[], b: number[]): number {
  expect(b.length).toBe(a.length);
  return Math.max(...a.map((t, i) => Math.abs(t - b[i]!)));
}

/** Seconds of the file's first audio stream, decoded. */
function audioSeconds(file: string): number {
  const r = spawnSync("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "a:0",
    "-count_packets",
    "-show_entries",
    "stream=duration",
    "-of",
    "csv=p=0",
    file,
  ], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

/** Loudest level (dB) of the first audio stream between two times: silence is -91 dB. */
function loudness(file: string, from: number, to: number): number {
  const r = spawnSync("ffmpeg", [
    "-nostdin",
    "-i",
    file,
    "-map",
    "0:a:0",
    "-af",
    `atrim=${from}:${to},volumedetect`,
    "-f",
    "null",
    "-",
  ], { encoding: "utf8" });
  const m = /max_volume: (-?[\d.]+|-inf) dB/.exec(r.stderr);
  return m ? (m[1] === "-inf" ? -Infinity : Number(m[1])) : NaN;
}

describe("a picture that starts after the audio (FFmpeg's MKV: video at 0.021 s)", () => {
  // Before: 51 frames for 50 in MOV, MP4 and MXF, proxy frames 0 and 1 both source frame 0.
  for (
    const [codec, container, resolution] of [
      ["prores_proxy", "mov", "half"],
      ["h264", "mp4", "same"],
      ["dnxhr", "mxf", "same"],
    ] as const
  ) {
    test(`${codec} ${container}: same frames, frame n is source frame n, first frame at 0 with the audio`, async () => {
      const source = makeSource(dir, { name: `late_video_${container}`, container: "mkv", size: "320x180" });
      expect(frameTimes(source)[0]).toBeCloseTo(0.021, 3);
      const run = await runJob(dir, source, { codec, container, resolution });
      expectCompleted(run);
      const sourceFacts = probeFacts(source);
      const proxy = probeFacts(run.output);
      expect(sourceFacts.video.frames).toBe(50);
      expect(conformance(sourceFacts, proxy, { fps: null, sampleRate: container === "mxf" ? 48000 : undefined }))
        .toEqual([]);
      const times = frameTimes(run.output);
      // The proxy starts with the picture; its audio was moved by as much, so it keeps sync.
      expect(times[0]).toBe(0);
      expect(largestShift(spacing(frameTimes(source)), spacing(times))).toBeLessThanOrEqual(0.001);
      for (const n of [0, 1, 25, 49]) expect(matchingSourceFrame(source, run.output, n)).toBe(n);
    }, 60_000);
  }
});

// A guard more than a defect: 10 ms is under half a frame, so FFmpeg repeated nothing here
// before either; it runs the MXF path that moves picture and audio back together.
test("MPEG-TS (picture 10 ms after the audio) to MXF: the same 50 frames, frame n is source frame n", async () => {
  const source = makeSource(dir, { name: "late_video_ts", container: "ts", size: "320x180" });
  const run = await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" });
  expectCompleted(run);
  expect(frameTimes(run.output).length).toBe(probeFacts(source).video.frames);
  expect(audioSeconds(run.output)).toBeCloseTo(2, 2);
  for (const n of [0, 1, 49]) expect(matchingSourceFrame(source, run.output, n)).toBe(n);
}, 60_000);

describe("a picture that starts 1 s after the audio", () => {
  // Before: 25 copies of frame 0 filled the first second (75 frames for 50) in MOV, MP4, MXF.
  test("mov: the 50 frames from 1 s, the audio whole; mxf: refused, saying why", async () => {
    const source = makeSource(dir, { name: "video_1s_late", container: "mp4", size: "320x180", videoDelaySeconds: 1 });
    expect(frameTimes(source)[0]).toBe(1);
    const run = await runJob(dir, source, { codec: "h264", container: "mov", resolution: "same" });
    expectCompleted(run);
    const times = frameTimes(run.output);
    expect(times.length).toBe(50);
    expect(Math.abs(times[0]! - 1)).toBeLessThanOrEqual(0.001);
    expect(audioSeconds(run.output)).toBeGreaterThan(2.99);
    for (const n of [0, 1, 49]) expect(matchingSourceFrame(source, run.output, n)).toBe(n);
    expectRefused(
      await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" }),
      "the source's picture starts 1.000 s after its audio; MXF starts every track with the picture, " +
        "so that audio would be cut; use container mov, which keeps it",
    );
  }, 60_000);
});

describe("variable frame rate", () => {
  const MXF_VFR = "the source has a variable frame rate (its frames are not evenly spaced); " +
    "MXF holds one constant edit rate, so FFmpeg would repeat or drop frames; use container mov, which keeps it, " +
    "or set fps_mode explicit with fps_explicit for a constant-rate proxy";

  // Before: the 54 frames of 1 s at 30 fps + 1 s at 24 fps became 60 at 30 fps (MOV, MP4, MXF).
  for (
    const [codec, container] of [["prores_proxy", "mov"], ["h264", "mp4"], ["h264", "mkv"], ["vp9", "webm"]] as const
  ) {
    test(`30 then 24 fps in ${container}: the 54 frames at their own times`, async () => {
      const source = makeSource(dir, { name: `steps_${container}`, container: "mp4", vfr: "steps" });
      const run = await runJob(dir, source, { codec, container, resolution: "same" });
      expectCompleted(run);
      const sourceTimes = frameTimes(source);
      const times = frameTimes(run.output);
      expect([sourceTimes.length, times.length]).toEqual([54, 54]);
      expect(run.result.clips[0]!.source_probe!.video!.variable_frame_rate).toBe(true);
      // Matroska and WebM count in milliseconds: within one of their ticks.
      expect(largestShift(spacing(sourceTimes), spacing(times))).toBeLessThanOrEqual(0.001);
      for (const n of [0, 29, 30, 53]) expect(matchingSourceFrame(source, run.output, n)).toBe(n);
    }, 60_000);
  }

  // Before: the header probe lists the first 120 packets (~2 s with audio), so in Matroska,
  // WebM and MPEG-TS a later change was not seen: the MOV proxy of 3 s at 30 fps + 1 s at
  // 24 fps had 120 frames at 30 fps (24 repeated), and was COMPLETED.
  // Every container at 3 s, and one at 20 s; the full matrix (scripts/fidelity.ts) has all six.
  const cases = [["mkv", 3], ["webm", 3], ["ts", 3], ["mkv", 20]] as const;
  for (const [container, at] of cases) {
    test(`${container}, 30 fps then 24 fps from ${at} s: the frames at their own times in MOV`, async () => {
      const source = makeSource(dir, { name: `at${at}_${container}`, container, vfr: "steps", stepSeconds: at });
      const run = await runJob(dir, source, { codec: "prores_proxy", container: "mov", resolution: "same" });
      expectCompleted(run);
      const probe = run.result.clips[0]!.source_probe!.video!;
      expect({ vfr: probe.variable_frame_rate, frames: probe.nb_frames }).toEqual({
        vfr: true,
        frames: at * 30 + 24,
      });
      const sourceTimes = frameTimes(source);
      const times = frameTimes(run.output);
      expect([sourceTimes.length, times.length]).toEqual([at * 30 + 24, at * 30 + 24]);
      // Matroska and WebM count in milliseconds, MPEG-TS in 1/90000 s: within one millisecond.
      expect(largestShift(spacing(sourceTimes), spacing(times))).toBeLessThanOrEqual(0.001);
      for (const n of [at * 30 - 1, at * 30, at * 30 + 23]) {
        expect(matchingSourceFrame(source, run.output, n)).toBe(n);
      }
    }, 60_000);
  }

  test("mkv with a change at 3 s in MXF: refused before FFmpeg runs", async () => {
    const source = makeSource(dir, {
      name: "at3_mxf",
      container: "mkv",
      vfr: "steps",
      stepSeconds: 3,
      size: "320x180",
    });
    expectRefused(await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" }), MXF_VFR);
  }, 60_000);

  test("30 fps with timing jitter in MOV: the 60 frames at their own times (61 at 6000/197 fps before)", async () => {
    const source = makeSource(dir, { name: "jitter_mov", container: "mp4", vfr: "jitter" });
    const run = await runJob(dir, source, { codec: "prores_proxy", container: "mov", resolution: "same" });
    expectCompleted(run);
    const sourceTimes = frameTimes(source);
    expect(sourceTimes.length).toBe(60);
    expect(largestShift(spacing(sourceTimes), spacing(frameTimes(run.output)))).toBeLessThanOrEqual(0.0001);
  }, 60_000);

  test(
    "in MXF: refused before FFmpeg runs, naming the containers that keep it (FFmpeg exited with code 1 before)",
    async () => {
      for (const vfr of ["steps", "jitter"] as const) {
        const source = makeSource(dir, { name: `${vfr}_mxf`, container: "mp4", vfr, size: "320x180" });
        expectRefused(await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" }), MXF_VFR);
      }
      const source = makeSource(dir, { name: "steps_dnxhd", container: "mkv", vfr: "steps" });
      expectRefused(
        await runJob(dir, source, { codec: "dnxhd", container: "mxf", resolution: "1920x1080" }),
        MXF_VFR.replace(
          "use container mov, which keeps it",
          "dnxhd goes only in mxf; use a codec for mov, mp4, mkv, webm",
        ),
      );
    },
    60_000,
  );

  test("in MXF at an explicit rate: constant-rate, duration × rate frames", async () => {
    const source = makeSource(dir, { name: "steps_explicit", container: "mp4", vfr: "steps", size: "320x180" });
    const run = await runJob(dir, source, {
      codec: "dnxhr",
      container: "mxf",
      resolution: "same",
      fps_mode: "explicit",
      fps_explicit: 25,
    });
    expectCompleted(run);
    expect(Math.abs(probeFacts(run.output).video.frames - 50)).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe("an edit list that trims frames (MOV/MP4)", () => {
  // A `-ss` stream copy keeps the frames from the keyframe before the cut and writes an edit
  // list that hides them: the header counts 100 frames, 70 are shown. Before, every proxy
  // failed with "expected 100 frames (the source's), got 70".
  for (const container of ["mov", "mp4"] as const) {
    test(
      `a ${container} cut at 1.2 s by a stream copy: the 70 frames it shows, from its first shown frame`,
      async () => {
        const whole = makeSource(dir, { name: `gop_${container}`, container, seconds: 4, size: "320x180" });
        const source = join(dir, `cut_${container}.${container}`);
        const copy = spawnSync("ffmpeg", [
          "-v",
          "error",
          "-nostdin",
          "-y",
          "-ss",
          "1.2",
          "-i",
          whole,
          "-map",
          "0",
          "-c",
          "copy",
          source,
        ]);
        expect(copy.status).toBe(0);
        const pairs = container === "mov"
          ? [["prores_proxy", "mov"], ["dnxhr", "mxf"]] as const
          : [["h264", "mkv"]] as const;
        for (const [codec, to] of pairs) {
          const run = await runJob(dir, source, { codec, container: to, resolution: "same" });
          expectCompleted(run);
          expect(run.result.clips[0]!.source_probe!.video!.nb_frames).toBe(70);
          expect(probeFacts(run.output).video.frames).toBe(70);
          // The proxy starts with the frame at 1.2 s, as an editor shows the source.
          for (const n of [0, 69]) expect(matchingSourceFrame(source, run.output, n)).toBe(n);
          // ... which is frame 30 of the uncut clip: the nearest of its frames 29, 30, 31.
          const shown = framePixels(run.output, 0);
          const off = (i: number) => framePixels(whole, i).reduce((sum, v, k) => sum + Math.abs(v - shown[k]!), 0);
          expect([29, 30, 31].sort((a, b) => off(a) - off(b))[0]).toBe(30);
        }
      },
      60_000,
    );
  }
});

describe("MXF audio timing", () => {
  test(
    "audio that starts 1 s after the picture: padded with silence, all 50 frames (cut to 1.000 s before)",
    async () => {
      const source = makeSource(dir, { name: "late_audio", size: "320x180", audioDelaySeconds: 1 });
      const run = await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" });
      expectCompleted(run);
      const proxy = probeFacts(run.output);
      expect(conformance(probeFacts(source), proxy, { fps: null, sampleRate: 48000 })).toEqual([]);
      expect(audioSeconds(run.output)).toBeCloseTo(2, 2);
      expect(loudness(run.output, 0, 0.95)).toBeLessThan(-80);
      expect(loudness(run.output, 1.05, 1.9)).toBeGreaterThan(-30);
    },
    60_000,
  );

  test("audio that ends 1 s before the picture: padded, all 50 frames (the picture was cut with it)", async () => {
    const source = makeSource(dir, { name: "short_audio", size: "320x180", audioSeconds: 1 });
    const run = await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" });
    expectCompleted(run);
    expect(conformance(probeFacts(source), probeFacts(run.output), { fps: null, sampleRate: 48000 })).toEqual([]);
  }, 60_000);

  test("audio that runs 1 s past the picture: refused saying so in MXF, kept whole in MOV", async () => {
    const source = makeSource(dir, { name: "long_audio", size: "320x180", audioSeconds: 3 });
    expectRefused(
      await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" }),
      "audio stream 1 lasts 3.000 s and the picture 2.000 s; MXF ends every track with the picture, " +
        "so 1.000 s of audio would be cut; use container mov, which keeps it",
    );
    const run = await runJob(dir, source, { codec: "dnxhr", container: "mov", resolution: "same" });
    expectCompleted(run);
    expect(probeFacts(run.output).video.frames).toBe(50);
    expect(audioSeconds(run.output)).toBeCloseTo(3, 2);
  }, 60_000);
});
