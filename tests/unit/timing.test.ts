/**
 * "Same frames at the same times" without FFmpeg: what the probe makes of a source's
 * timestamps, the argv timingPlan adds for it, and verification's frame-count and
 * first-frame checks. tests/fidelity/timing.test.ts runs the same cases through FFmpeg.
 */
import { describe, expect, test } from "bun:test";
import { buildFfmpegArgs, type EncodePlan, type SourceFacts, timingPlan } from "../../src/ffmpeg/args.ts";
import { parseProbeJson } from "../../src/ffmpeg/probe.ts";
import { verifyOutput } from "../../src/engine/execute.ts";
import { MediaFacts } from "../../src/engine/result.ts";

const video = (extra: Partial<NonNullable<SourceFacts["video"]>> = {}): NonNullable<SourceFacts["video"]> => ({
  width: 320,
  height: 180,
  pix_fmt: "yuv420p",
  frame_rate: "25/1",
  start_seconds: 0,
  duration_seconds: 2,
  variable_frame_rate: false,
  ...extra,
});
const stereo = (start = 0, duration = 2) => ({
  channels: 2,
  sample_rate: 48000,
  start_seconds: start,
  duration_seconds: duration,
});
const src = (v: Partial<NonNullable<SourceFacts["video"]>>, audio = [stereo()]): SourceFacts => ({
  video: video(v),
  audio,
  timecode: null,
  reel_name: null,
});
const plan = (p: Partial<EncodePlan> = {}): EncodePlan => ({
  input: "/in/a.mkv",
  output: "/out/.a.mov.proxx-partial",
  codec: "prores_proxy",
  container: "mov",
  resolution: "same",
  fps: null,
  ...p,
});
const mxf = { codec: "dnxhr" as const, container: "mxf" as const };

describe("probe: timing facts", () => {
  // ffprobe -skip_frame:v all on FFmpeg's MKV: the stream says start 0, the packets 21 ms.
  const mkv = (videoPts: number[], r = "25/1", avg = "25/1") => ({
    streams: [
      {
        index: 0,
        codec_type: "video",
        codec_name: "h264",
        width: 320,
        height: 180,
        r_frame_rate: r,
        avg_frame_rate: avg,
        time_base: "1/1000",
        start_time: "0.000000",
        tags: { DURATION: "00:00:02.021000000" },
      },
      {
        index: 1,
        codec_type: "audio",
        codec_name: "aac",
        channels: 2,
        sample_rate: "48000",
        time_base: "1/1000",
        start_time: "0.000000",
        tags: { DURATION: "00:00:02.021000000" },
      },
    ],
    format: { format_name: "matroska,webm", start_time: "0.000000", duration: "2.021000" },
    packets: [
      ...videoPts.map((pts) => ({ stream_index: 0, pts })),
      { stream_index: 1, pts: 0 },
    ],
  });
  // Decode order of a B-frame stream: 21, 101, 61, 181, 141, ...
  const even = [21, 101, 61, 181, 141, 261, 221, 341, 301, 421, 381, 461, 501];

  test("the first frame from the packets, the length from Matroska's DURATION tag, B-frames are constant rate", () => {
    const facts = parseProbeJson(mkv(even));
    expect(MediaFacts.parse(facts)).toEqual(facts);
    expect(facts.video).toMatchObject({ start_seconds: 0.021, duration_seconds: 2, variable_frame_rate: false });
    expect(facts.audio[0]).toMatchObject({ start_seconds: 0, duration_seconds: 2.021 });
  });

  test("variable rate: uneven packet spacing, or an average rate off the base rate (MP4's whole-file average)", () => {
    expect(parseProbeJson(mkv([0, 33, 67, 100, 133, 175, 217, 258, 300, 342, 383])).video!.variable_frame_rate).toBe(
      true,
    );
    // 29.97 fps in milliseconds: 33 and 34 ms gaps are the container's rounding.
    expect(
      parseProbeJson(mkv([0, 33, 67, 100, 133, 167, 200, 234, 267, 300, 334], "30000/1001", "30000/1001")).video!
        .variable_frame_rate,
    ).toBe(false);
    expect(parseProbeJson(mkv(even, "30/1", "27/1")).video!.variable_frame_rate).toBe(true);
    // Field-coded 1080i50: the field rate and the frame rate, evenly spaced.
    expect(parseProbeJson(mkv(even, "50/1", "25/1")).video!.variable_frame_rate).toBe(false);
  });

  test("times are relative to the file's start, as FFmpeg writes the proxy", () => {
    const ts = mkv(even.map((p) => p + 1400));
    ts.format.start_time = "1.400000";
    expect(parseProbeJson(ts).video!.start_seconds).toBe(0.021);
  });
});

describe("timingPlan", () => {
  test("a constant-rate source whose streams start together: nothing added, the argv as before", () => {
    const t = timingPlan(plan(), src({}));
    expect(t).toEqual({ videoFilters: [], options: [], audioFilters: [null], firstFrameSeconds: 0 });
    expect(timingPlan({ ...plan(), ...mxf }, src({})).audioFilters).toEqual([null]);
  });

  test("picture 21 ms after the audio: both moved back by 21 ms, the proxy starts with frame 0", () => {
    const args = buildFfmpegArgs(plan({ resolution: "half" }), src({ start_seconds: 0.021 }, [stereo(0, 2.021)]));
    expect(args[args.indexOf("-vf") + 1]).toBe("setpts=PTS-STARTPTS,scale=trunc(iw/4)*2:trunc(ih/4)*2");
    expect(args[args.indexOf("-filter:a:0") + 1]).toBe("atrim=start=0.021,asetpts=PTS-0.021/TB");
    expect(args).not.toContain("-fps_mode:v");
    const m = timingPlan({ ...plan(), ...mxf }, src({ start_seconds: 0.021 }, [stereo(0, 2.021)]));
    expect(m.audioFilters).toEqual(["aresample=async=1:first_pts=1008,asetpts=PTS-STARTPTS,apad=whole_dur=2"]);
  });

  test("variable rate or a picture more than a frame after the audio: passed through; in MXF refused", () => {
    expect(timingPlan(plan(), src({ variable_frame_rate: true })).options).toEqual([
      "-fps_mode:v",
      "passthrough",
      "-enc_time_base:v",
      "-1",
    ]);
    const late = timingPlan(plan({ container: "mp4", codec: "h264" }), src({ start_seconds: 1 }, [stereo(0, 3)]));
    expect(late).toMatchObject({ options: ["-fps_mode:v", "passthrough"], firstFrameSeconds: 1 });
    expect(() => timingPlan({ ...plan(), ...mxf }, src({ variable_frame_rate: true }))).toThrow(
      /variable frame rate.*use container mov, which keeps it, or set fps_mode explicit/,
    );
    expect(() => timingPlan({ ...plan(), ...mxf }, src({ start_seconds: 1 }, [stereo(0, 3)]))).toThrow(
      "the source's picture starts 1.000 s after its audio; MXF starts every track with the picture, " +
        "so that audio would be cut; use container mov, which keeps it",
    );
    // At an explicit rate the fps filter makes it constant-rate: MXF takes it.
    expect(timingPlan({ ...plan(), ...mxf, fps: 25 }, src({ variable_frame_rate: true })).options).toEqual([]);
  });

  test("MXF: late or short audio padded to the picture, audio past the picture refused", () => {
    expect(timingPlan({ ...plan(), ...mxf }, src({}, [stereo(1, 1)])).audioFilters).toEqual([
      "aresample=async=1:first_pts=0,apad=whole_dur=2",
    ]);
    expect(timingPlan({ ...plan(), ...mxf }, src({}, [stereo(0, 1)])).audioFilters).toEqual(["apad=whole_dur=2"]);
    expect(() => timingPlan({ ...plan(), ...mxf }, src({}, [stereo(0, 3)]))).toThrow(
      "audio stream 1 lasts 3.000 s and the picture 2.000 s",
    );
    // Within a frame past the picture: the muxer's cut is below one frame.
    expect(timingPlan({ ...plan(), ...mxf }, src({}, [stereo(0, 2.03)])).audioFilters).toEqual([null]);
    expect(() => timingPlan({ codec: "dnxhd", container: "mxf", fps: null }, src({}, [stereo(0, 3)]))).toThrow(
      "dnxhd goes only in mxf; use a codec for mov, mp4, mkv, webm",
    );
  });
});

describe("verifyOutput: frames and first frame", () => {
  const facts = (v: Partial<NonNullable<MediaFacts["video"]>>): MediaFacts => ({
    format_name: "mov",
    duration_seconds: 2,
    video: {
      codec_name: "prores",
      profile: "Proxy",
      width: 320,
      height: 180,
      pix_fmt: "yuv422p10le",
      frame_rate: "25/1",
      nb_frames: 50,
      start_seconds: 0,
      duration_seconds: 2,
      variable_frame_rate: false,
      ...v,
    },
    audio: [],
    timecode: null,
    reel_name: null,
  });
  const p = { codec: "prores_proxy" as const, container: "mov" as const, resolution: "same" as const, fps: null };

  test("a repeated first frame is caught: the count, or the count from a Matroska source's length", () => {
    expect(verifyOutput(facts({}), facts({}), p)).toBeNull();
    expect(verifyOutput(facts({}), facts({ nb_frames: 51 }), p)).toBe("expected 50 frames (the source's), got 51");
    const mkvSource = facts({ nb_frames: null, start_seconds: 0.021, duration_seconds: 2 });
    expect(verifyOutput(mkvSource, facts({ nb_frames: 51, duration_seconds: 2.04 }), p)).toBe(
      "expected 50 frames (the source's), got 51",
    );
    // Unknown on one side: not compared.
    expect(verifyOutput(facts({ nb_frames: null, duration_seconds: null }), facts({ nb_frames: 51 }), p)).toBeNull();
    // At an explicit rate the count is the rate's.
    expect(verifyOutput(facts({}), facts({ nb_frames: 40 }), { ...p, fps: 20 })).toBeNull();
  });

  test("the first frame where timingPlan puts it, within half a frame", () => {
    const late = facts({ start_seconds: 1, nb_frames: 25, duration_seconds: 1, variable_frame_rate: true });
    expect(verifyOutput(late, facts({ start_seconds: 1, nb_frames: 25, duration_seconds: 1 }), p)).toBeNull();
    expect(verifyOutput(late, facts({ start_seconds: 0, nb_frames: 25, duration_seconds: 1 }), p)).toBe(
      "expected the first frame at 1.000 s (the source's), got 0.000 s",
    );
    expect(verifyOutput(facts({}), facts({ start_seconds: 0.04 }), p)).toBe(
      "expected the first frame at 0.000 s (the source's), got 0.040 s",
    );
    // Matroska puts the picture after AAC's priming: not compared there.
    const mkv = facts({ start_seconds: 0.021, codec_name: "h264", profile: null, pix_fmt: "yuv420p" });
    expect(verifyOutput(facts({}), mkv, { ...p, codec: "h264", container: "mkv" })).toBeNull();
    expect(verifyOutput(facts({}), mkv, { ...p, codec: "h264", container: "mp4" })).toContain("first frame");
  });
});
