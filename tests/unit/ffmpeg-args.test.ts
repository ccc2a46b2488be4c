import { describe, expect, test } from "bun:test";
import { buildFfmpegArgs, type EncodePlan, expectedDimensions, type SourceFacts } from "../../src/ffmpeg/args.ts";
import { carriesTimecode, checkDnxhdCombo, codecFacts, CODECS, CONTAINERS } from "../../src/ffmpeg/codecs.ts";
import { partialPathFor, verifyOutput } from "../../src/engine/execute.ts";
import type { MediaFacts } from "../../src/engine/result.ts";

const source: SourceFacts = {
  video: { width: 1920, height: 1080, pix_fmt: "yuv420p", frame_rate: "25/1" },
  audio: [{ channels: 2, sample_rate: 48000 }, { channels: 1, sample_rate: 48000 }],
  timecode: "01:00:00:00",
  reel_name: "A001",
};
const plan = (p: Partial<EncodePlan>): EncodePlan => ({
  input: "/in/-clip.mov",
  output: "/out/.clip.mov.proxx-partial",
  codec: "prores_proxy",
  container: "mov",
  resolution: "half",
  fps: null,
  ...p,
});
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("buildFfmpegArgs", () => {
  test("prores proxy in mov: the full argv", () => {
    expect(buildFfmpegArgs(plan({}), source)).toEqual([
      "-hide_banner",
      "-nostats",
      "-loglevel",
      "level+warning",
      "-progress",
      "pipe:1",
      "-y",
      "-i",
      "file:/in/-clip.mov",
      "-map",
      "0:v:0",
      "-map",
      "0:a?",
      "-vf",
      "scale=trunc(iw/4)*2:trunc(ih/4)*2",
      "-c:v",
      "prores_ks",
      "-profile:v",
      "0",
      "-q:v",
      "8",
      "-vendor",
      "apl0",
      "-pix_fmt",
      "yuv422p10le",
      "-c:a",
      "pcm_s16le",
      "-timecode",
      "01:00:00:00",
      "-metadata:s:v:0",
      "reel_name=A001",
      "-f",
      "mov",
      "file:/out/.clip.mov.proxx-partial",
    ]);
  });

  test("never -nostdin (we stop FFmpeg with q on stdin)", () => {
    expect(buildFfmpegArgs(plan({}), source)).not.toContain("-nostdin");
  });

  test("mp4 h264: aac, faststart, no timecode, explicit muxer", () => {
    const args = buildFfmpegArgs(plan({ codec: "h264", container: "mp4", fps: 24 }), source);
    expect(after(args, "-c:a")).toBe("aac");
    expect(after(args, "-movflags")).toBe("+faststart");
    expect(after(args, "-r")).toBe("24");
    expect(after(args, "-pix_fmt")).toBe("yuv420p");
    expect(args).not.toContain("-timecode");
    expect(args.slice(-2)).toEqual(["mp4", "file:/out/.clip.mov.proxx-partial"]);
  });

  test("no -r when fps is null", () => {
    expect(buildFfmpegArgs(plan({}), source)).not.toContain("-r");
  });

  test("hevc gets hvc1 in mov/mp4, not in mkv", () => {
    expect(after(buildFfmpegArgs(plan({ codec: "h265", container: "mp4" }), source), "-tag:v")).toBe("hvc1");
    expect(after(buildFfmpegArgs(plan({ codec: "hevc", container: "mov" }), source), "-tag:v")).toBe("hvc1");
    expect(buildFfmpegArgs(plan({ codec: "h265", container: "mkv" }), source)).not.toContain("-tag:v");
    expect(after(buildFfmpegArgs(plan({ codec: "h265", container: "mkv" }), source), "-f")).toBe("matroska");
  });

  test("webm gets opus, mxf gets 48 kHz pcm and timecode, no reel name", () => {
    expect(after(buildFfmpegArgs(plan({ codec: "vp9", container: "webm" }), source), "-c:a")).toBe("libopus");
    const mxf = buildFfmpegArgs(plan({ codec: "dnxhr", container: "mxf" }), source);
    expect(after(mxf, "-ar")).toBe("48000");
    expect(after(mxf, "-timecode")).toBe("01:00:00:00");
    expect(after(mxf, "-profile:v")).toBe("dnxhr_lb");
    expect(mxf).not.toContain("-metadata:s:v:0");
  });

  test("no audio args without audio streams", () => {
    expect(buildFfmpegArgs(plan({}), { ...source, audio: [] })).not.toContain("-c:a");
  });

  test("ProRes: prores_ks with a fixed quantiser that never rises with the profile", () => {
    const codecs = ["prores_proxy", "prores_lt", "prores_standard", "prores_hq", "prores_4444"] as const;
    const quant = codecs.map((codec, profile) => {
      const args = buildFfmpegArgs(plan({ codec }), source);
      expect(after(args, "-c:v")).toBe("prores_ks");
      expect(after(args, "-profile:v")).toBe(String(profile));
      return Number(after(args, "-q:v"));
    });
    expect(quant.every((q, i) => q >= 1 && (i === 0 || q <= quant[i - 1]!))).toBe(true);
    expect(quant[0]).toBeGreaterThan(quant[3]!);
  });

  test("4444 keeps alpha only when the source has it", () => {
    expect(after(buildFfmpegArgs(plan({ codec: "prores_4444" }), source), "-pix_fmt")).toBe("yuv444p10le");
    const alpha = { ...source, video: { ...source.video!, pix_fmt: "yuva444p10le" } };
    expect(after(buildFfmpegArgs(plan({ codec: "prores_4444" }), alpha), "-pix_fmt")).toBe("yuva444p10le");
  });

  test("same size: no scale when even, even-rounding scale when odd", () => {
    expect(buildFfmpegArgs(plan({ resolution: "same" }), source)).not.toContain("-vf");
    const odd = { ...source, video: { ...source.video!, width: 1919 } };
    expect(after(buildFfmpegArgs(plan({ resolution: "same" }), odd), "-vf")).toBe("scale=trunc(iw/2)*2:trunc(ih/2)*2");
    expect(after(buildFfmpegArgs(plan({ resolution: { width: 641, height: 359 } }), source), "-vf")).toBe(
      "scale=642:360",
    );
  });

  test("classic dnxhd picks the lowest bitrate of the Avid table, or refuses with a dnxhr hint", () => {
    expect(after(buildFfmpegArgs(plan({ codec: "dnxhd", container: "mxf", resolution: "same" }), source), "-b:v")).toBe(
      "36M",
    );
    expect(
      after(
        buildFfmpegArgs(plan({ codec: "dnxhd", container: "mxf", resolution: "same", fps: 29.97 }), source),
        "-b:v",
      ),
    ).toBe("45M");
    expect(() => buildFfmpegArgs(plan({ codec: "dnxhd", container: "mxf" }), source)).toThrow(/dnxhr/);
    expect(checkDnxhdCombo(1920, 1080, 24000 / 1001)).toBeNull();
    expect(checkDnxhdCombo(1280, 720, 50)).toBeNull();
    expect(checkDnxhdCombo(960, 540, 25)).toContain("use codec dnxhr");
  });
});

describe("the codec table", () => {
  test("each codec's encoder is the one its argv asks for (what doctor checks), in every allowed container", () => {
    for (const codec of CODECS) {
      for (const container of codecFacts(codec).containers) {
        const argv = buildFfmpegArgs(
          plan({ codec, container, resolution: { width: 1920, height: 1080 }, fps: 25 }),
          source,
        );
        expect({ codec, container, encoder: after(argv, "-c:v") }).toEqual({
          codec,
          container,
          encoder: codecFacts(codec).encoder,
        });
      }
    }
  });

  test("timecode only in mov and mxf, in the argv as in verification", () => {
    expect(CONTAINERS.filter(carriesTimecode)).toEqual(["mov", "mxf"]);
    for (const container of CONTAINERS) {
      const codec = CODECS.find((c) => codecFacts(c).containers.includes(container))!;
      const argv = buildFfmpegArgs(
        plan({ codec, container, resolution: { width: 1920, height: 1080 }, fps: 25 }),
        source,
      );
      expect({ container, timecode: argv.includes("-timecode") }).toEqual({
        container,
        timecode: carriesTimecode(container),
      });
    }
  });
});

describe("expectedDimensions", () => {
  test("even, floor-based like the scale filter", () => {
    expect(expectedDimensions("half", 1918, 1080)).toEqual({ width: 958, height: 540 });
    expect(expectedDimensions("half", 318, 240)).toEqual({ width: 158, height: 120 });
    expect(expectedDimensions("quarter", 1920, 1080)).toEqual({ width: 480, height: 270 });
    expect(expectedDimensions("same", 1921, 1081)).toEqual({ width: 1920, height: 1080 });
    expect(expectedDimensions({ width: 641, height: 359 }, 1, 1)).toEqual({ width: 642, height: 360 });
  });
});

describe("partialPathFor", () => {
  test("hidden sibling", () => {
    expect(partialPathFor("/out/clip_proxy.mov")).toBe("/out/.clip_proxy.mov.proxx-partial");
    expect(partialPathFor("C:\\out\\a.mov")).toBe("C:\\out\\.a.mov.proxx-partial");
  });
});

describe("verifyOutput", () => {
  const facts = (w: number, h: number, extra: Partial<MediaFacts> = {}): MediaFacts => ({
    format_name: "mov",
    duration_seconds: 10,
    video: {
      codec_name: "prores",
      profile: "Proxy",
      width: w,
      height: h,
      pix_fmt: "yuv422p10le",
      frame_rate: "25/1",
      nb_frames: 250,
    },
    audio: [{ codec_name: "pcm_s16le", channels: 2, sample_rate: 48000 }],
    timecode: "01:00:00:00",
    reel_name: null,
    ...extra,
  });
  const p = { codec: "prores_proxy" as const, container: "mov" as const, resolution: "half" as const, fps: null };
  test("reasons", () => {
    const src = facts(1920, 1080);
    expect(verifyOutput(src, facts(960, 540), p)).toBeNull();
    expect(verifyOutput(src, facts(960, 544), p)).toBe("expected 960x540, got 960x544");
    expect(verifyOutput(src, facts(960, 540, { duration_seconds: 9.9 }), p)).toContain("expected duration 10.000 s");
    expect(verifyOutput(src, facts(960, 540, { duration_seconds: 10.03 }), p)).toBeNull();
    expect(verifyOutput(src, facts(960, 540, { audio: [] }), p)).toBe("expected 1 audio stream(s), got 0");
    expect(verifyOutput(src, facts(960, 540, { audio: [{ codec_name: "x", channels: 1, sample_rate: 48000 }] }), p))
      .toBe("audio stream 1: expected 2 channel(s), got 1");
    expect(verifyOutput(src, facts(960, 540, { timecode: null }), p)).toBe("expected timecode 01:00:00:00, got none");
    expect(verifyOutput(src, facts(960, 540), { ...p, codec: "prores_hq" })).toBe(
      "expected ProRes profile HQ, got Proxy",
    );
    expect(verifyOutput(src, facts(960, 540), { ...p, codec: "h264" })).toBe("expected codec h264, got prores");
  });
});
