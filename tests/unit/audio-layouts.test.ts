import { describe, expect, test } from "bun:test";
import {
  audioLayoutProblem,
  channelLayouts,
  encoderLayout,
  timecodeOrigin,
  verifyChannelLayouts,
} from "../../src/ffmpeg/audio-layouts.ts";
import { audioProblem, buildFfmpegArgs, type SourceFacts } from "../../src/ffmpeg/args.ts";
import { parseProbeJson } from "../../src/ffmpeg/probe.ts";
import { proxyOrigins, reelOrigin } from "../../src/engine/origins.ts";

const stream = (channels: number, channel_layout: string | null = null) => ({
  channels,
  sample_rate: 48000,
  channel_layout,
});
const source = (...audio: ReturnType<typeof stream>[]): SourceFacts => ({
  video: { width: 1920, height: 1080, pix_fmt: "yuv420p", frame_rate: "25/1" },
  audio,
  timecode: null,
  reel_name: null,
});

describe("channel layouts the encoders refuse, before FFmpeg runs", () => {
  test("libopus: 2.1 and 4.0 (and unlabelled 3 or 4 channels, which FFmpeg takes as those)", () => {
    expect(audioLayoutProblem({ codec: "vp9", container: "webm" }, source(stream(2, "stereo"), stream(3, "2.1"))))
      .toBe(
        "audio stream 2 has 3 channels in layout 2.1, but webm audio is Opus, which FFmpeg encodes only in " +
          "mono, stereo, 3.0, quad, 5.0, 5.1, 6.1, 7.1; use container mkv, which keeps it",
      );
    expect(audioLayoutProblem({ codec: "av1", container: "webm" }, source(stream(4)))).toContain(
      "audio stream 1 has 4 channels with no layout, which FFmpeg takes as 4.0, but webm audio is Opus",
    );
    for (const ok of ["mono", "stereo", "5.1", "7.1"]) {
      expect(audioLayoutProblem({ codec: "vp9", container: "webm" }, source(stream(1, ok)))).toBeNull();
    }
    expect(audioLayoutProblem({ codec: "vp9", container: "webm" }, source(stream(6)))).toBeNull();
  });

  test("AAC: 9–15 channels (no named layout), downmix, 22.2; PCM takes any", () => {
    const twelve = source(stream(12));
    expect(audioLayoutProblem({ codec: "h264", container: "mp4" }, twelve)).toMatch(
      /^audio stream 1 has 12 channels with no layout \(FFmpeg names no layout of 12 channels\), but mp4 audio is AAC, which FFmpeg encodes only in 27 named layouts \(mono, .*hexadecagonal\); use container mov, which keeps it$/,
    );
    expect(audioLayoutProblem({ codec: "av1", container: "mkv" }, twelve)).toContain(
      "av1 goes only in mp4, mkv, webm; to keep it use a codec for mov or mxf",
    );
    expect(audioLayoutProblem({ codec: "h264", container: "mkv" }, source(stream(2, "downmix")))).toContain(
      "layout downmix",
    );
    expect(audioLayoutProblem({ codec: "h264", container: "mov" }, twelve)).toBeNull();
    expect(audioLayoutProblem({ codec: "dnxhr", container: "mxf" }, twelve)).toBeNull();
    expect(audioLayoutProblem({ codec: "h264", container: "mp4" }, source(stream(16)))).toBeNull();
    expect(audioLayoutProblem({ codec: "h264", container: "mp4" }, source(stream(6, "5.1(side)")))).toBeNull();
  });

  test("buildFfmpegArgs throws the refusal (stage probe in the executor)", () => {
    const plan = {
      input: "/in/a.mov",
      output: "/out/.a.webm.proxx-partial",
      codec: "vp9" as const,
      container: "webm" as const,
      resolution: "same" as const,
      fps: null,
    };
    expect(() => buildFfmpegArgs(plan, source(stream(3, "2.1")))).toThrow("layout 2.1");
    expect(buildFfmpegArgs(plan, source(stream(2, "stereo")))).toContain("libopus");
  });

  test("FFmpeg's guess for unlabelled channels", () => {
    expect([1, 2, 3, 4, 6, 8, 9, 16].map((n) => encoderLayout({ channels: n }))).toEqual([
      "mono",
      "stereo",
      "2.1",
      "4.0",
      "5.1",
      "7.1",
      null,
      "hexadecagonal",
    ]);
    expect(encoderLayout({ channels: 6, channel_layout: "5.1(side)" })).toBe("5.1(side)");
  });
});

describe("verification and the result", () => {
  test("a recorded layout must be the source's; an unrecorded one is reported, not failed", () => {
    const src = { audio: [stream(2, "stereo"), stream(6, "5.1(side)"), stream(6)] };
    expect(verifyChannelLayouts(src, src)).toBeNull();
    expect(verifyChannelLayouts(src, { audio: [stream(2, "stereo"), stream(6, "5.1"), stream(6)] })).toBe(
      "audio stream 2: expected channel layout 5.1(side), got 5.1",
    );
    const mxf = { audio: [stream(2), stream(6), stream(6)] };
    expect(verifyChannelLayouts(src, mxf)).toBeNull();
    expect(channelLayouts(src, mxf)).toEqual(["not_carried", "not_carried", "source_unlabelled"]);
    expect(channelLayouts(src, src)).toEqual(["kept", "kept", "source_unlabelled"]);
    // Unlabelled source: FFmpeg's guess is what the proxy may record.
    expect(verifyChannelLayouts({ audio: [stream(6)] }, { audio: [stream(6, "5.1")] })).toBeNull();
    expect(verifyChannelLayouts({ audio: [stream(6)] }, { audio: [stream(6, "6.0")] })).toContain(
      "expected channel layout 5.1, got 6.0",
    );
  });

  test("ffprobe's 'unknown' layout is none", () => {
    const facts = parseProbeJson({
      streams: [
        { codec_type: "audio", channels: 6, sample_rate: "48000", channel_layout: "unknown" },
        { codec_type: "audio", channels: 6, sample_rate: "48000", channel_layout: "5.1(side)" },
      ],
    });
    expect(facts.audio.map((a) => a.channel_layout)).toEqual([null, "5.1(side)"]);
  });

  test("timecode_origin: the source's, the container's default (MXF 00:00:00:00), none", () => {
    expect(timecodeOrigin("01:00:00:00", { timecode: "01:00:00:00" })).toBe("source");
    expect(timecodeOrigin(null, { timecode: "00:00:00:00" })).toBe("container_default");
    expect(timecodeOrigin(null, { timecode: null })).toBe("none");
    const facts = (timecode: string | null) => ({ ...parseProbeJson({}), timecode });
    expect(proxyOrigins({ container: "mxf", fps: null }, facts(null), facts("00:00:00:00")).timecode_origin)
      .toBe("container_default");
    expect(proxyOrigins({ container: "mxf", fps: null }, facts("10:00:00:00"), facts("10:00:00:00")).timecode_origin)
      .toBe("source");
    expect(proxyOrigins({ container: "mp4", fps: null }, facts("10:00:00:00"), facts(null)).timecode_origin)
      .toBe("none");
    // proxx writes no timecode into MP4, but the muxer keeps the source's own tag: it is the source's.
    expect(proxyOrigins({ container: "mp4", fps: null }, facts("10:00:00:00"), facts("10:00:00:00")).timecode_origin)
      .toBe("source");
    expect(proxyOrigins({ container: "mov", fps: null }, facts(null), null)).toEqual({
      timecode_origin: null,
      reel_origin: null,
      channel_layouts: null,
    });
  });

  test("reel_origin: kept, not carried (a MOV without timecode, MP4, MXF), changed, none", () => {
    const reel = (reel_name: string | null) => ({ ...parseProbeJson({}), reel_name });
    expect(reelOrigin(reel("A001"), reel("A001"))).toBe("source");
    expect(reelOrigin(reel("A001"), reel(null))).toBe("not_carried");
    expect(reelOrigin(reel("A001"), reel("B002"))).toBe("changed");
    expect(reelOrigin(reel(null), reel(null))).toBe("none");
    expect(proxyOrigins({ container: "mov", fps: null }, reel("A001"), reel(null)).reel_origin).toBe("not_carried");
  });
});

describe("the channel-count refusal names only containers that take the layout too", () => {
  test("12 unlabelled channels into WebM: not mkv (AAC has no 12-channel layout), mov", () => {
    const twelve = source(stream(12));
    expect(audioProblem({ codec: "vp9", container: "webm" }, twelve)).toContain(
      "vp9 goes only in webm, mkv; to keep all 12 channels use a codec for mov or mxf",
    );
    expect(audioProblem({ codec: "vp9", container: "webm" }, source(stream(16)))).toContain(
      "use container mkv, which keeps all 16 channels",
    );
  });
});
