import { describe, expect, test } from "bun:test";
import {
  audioProblem,
  buildFfmpegArgs,
  type EncodePlan,
  expectedDimensions,
  outputPicture,
  outputTimecode,
  type SourceFacts,
} from "../../src/ffmpeg/args.ts";
import { exactFrameRate, frameRateText } from "../../src/ffmpeg/syntax.ts";
import { parseProbeJson } from "../../src/ffmpeg/probe.ts";
import { allowsDropFrame, convertTimecode } from "../../src/ffmpeg/timecode.ts";
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
    expect(args).not.toContain("-r");
    // Lowering the rate: the fps filter first, so fewer frames are scaled.
    expect(after(args, "-vf")).toBe("fps=24,scale=trunc(iw/4)*2:trunc(ih/4)*2");
    expect(after(args, "-pix_fmt")).toBe("yuv420p");
    expect(args).not.toContain("-timecode");
    expect(args.slice(-2)).toEqual(["mp4", "file:/out/.clip.mov.proxx-partial"]);
  });

  test("no -r and no fps filter when fps is null", () => {
    const args = buildFfmpegArgs(plan({}), source);
    expect(args).not.toContain("-r");
    expect(after(args, "-vf")).not.toContain("fps=");
  });

  test("fps_explicit: the fps filter at the exact rational, after the scale when raising the rate", () => {
    expect(after(buildFfmpegArgs(plan({ fps: 30000 / 1001 }), source), "-vf")).toBe(
      "scale=trunc(iw/4)*2:trunc(ih/4)*2,fps=30000/1001",
    );
    expect(after(buildFfmpegArgs(plan({ fps: 24000 / 1001, resolution: "same" }), source), "-vf")).toBe(
      "fps=24000/1001",
    );
  });

  test("a drop-frame timecode at a rate without drop-frame is converted, not passed through", () => {
    const ntsc = { ...source, video: { ...source.video!, frame_rate: "30000/1001" }, timecode: "01:00:00;00" };
    expect(after(buildFfmpegArgs(plan({ fps: 25 }), ntsc), "-timecode")).toBe("01:00:00:00");
    expect(after(buildFfmpegArgs(plan({ fps: 60000 / 1001 }), ntsc), "-timecode")).toBe("01:00:00;00");
    expect(after(buildFfmpegArgs(plan({}), ntsc), "-timecode")).toBe("01:00:00;00");
    expect(outputTimecode({ container: "mxf", fps: 24000 / 1001 }, ntsc)).toBe("01:00:00:00");
    expect(outputTimecode({ container: "mp4", fps: 25 }, ntsc)).toBeNull();
  });

  test("more audio channels than the container's encoder takes: refused with the limit and what to use", () => {
    const streams = (channels: number) => ({
      ...source,
      audio: [{ channels: 2, sample_rate: 48000 }, { channels, sample_rate: 48000 }],
    });
    expect(audioProblem({ codec: "vp9", container: "webm" }, streams(16))).toBe(
      "audio stream 2 has 16 channels, but webm audio is Opus, which FFmpeg encodes with at most 8 channels per stream; " +
        "use container mkv, which keeps all 16 channels",
    );
    expect(() => buildFfmpegArgs(plan({ codec: "vp9", container: "webm" }), streams(16))).toThrow(/at most 8 channels/);
    expect(audioProblem({ codec: "vp9", container: "webm" }, streams(24))).toBe(
      "audio stream 2 has 24 channels, but webm audio is Opus, which FFmpeg encodes with at most 8 channels per stream; " +
        "vp9 goes only in webm, mkv; to keep all 24 channels use a codec for mov or mxf",
    );
    expect(audioProblem({ codec: "h264", container: "mp4" }, streams(24))).toContain(
      "mp4 audio is AAC, which FFmpeg encodes with at most 16 channels per stream; use container mov, which keeps all 24 channels",
    );
    expect(audioProblem({ codec: "h264", container: "mp4" }, streams(16))).toBeNull();
    expect(audioProblem({ codec: "prores_proxy", container: "mov" }, streams(64))).toBeNull();
    expect(audioProblem({ codec: "vp9", container: "webm" }, streams(8))).toBeNull();
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
    // Rounding to even changes the shape, so FFmpeg's scale would bend the pixel aspect (1919x1080
    // came out at SAR 1079:1080): the source's square pixels are set back.
    expect(after(buildFfmpegArgs(plan({ resolution: "same" }), odd), "-vf")).toBe(
      "scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1",
    );
    expect(after(buildFfmpegArgs(plan({ resolution: { width: 641, height: 359 } }), source), "-vf")).toBe(
      "scale=642:360,setsar=1",
    );
    expect(after(buildFfmpegArgs(plan({ resolution: { width: 1280, height: 720 } }), source), "-vf")).toBe(
      "scale=1280:720",
    );
  });

  test("picture shape: rotation, pixel aspect, containers without SAR, WIDTHxHEIGHT fitted", () => {
    const video = (v: Partial<NonNullable<SourceFacts["video"]>>) => ({ ...source, video: { ...source.video!, ...v } });
    const vf = (p: Partial<EncodePlan>, s: SourceFacts) => after(buildFfmpegArgs(plan(p), s), "-vf");
    // Upright, anamorphic, even halves: the scale keeps SAR 4:3 by itself; argv as before.
    const hdv = video({ width: 1440, height: 1080, sample_aspect_ratio: "4:3" });
    expect(vf({}, hdv)).toBe("scale=trunc(iw/4)*2:trunc(ih/4)*2");
    expect(outputPicture("half", "mov", hdv.video!)).toMatchObject({
      width: 720,
      height: 540,
      sar: { num: 4, den: 3 },
    });
    // MXF cannot carry the SAR: square pixels at the displayed shape, the height kept.
    expect(outputPicture("half", "mxf", hdv.video!)).toEqual({
      width: 960,
      height: 540,
      sar: { num: 1, den: 1 },
      filter: "scale=960:540,setsar=1",
    });
    expect(outputPicture("same", "mxf", video({ width: 720, height: 486, sample_aspect_ratio: "10:11" }).video!))
      .toMatchObject({ width: 654, height: 486 });
    expect(outputPicture("same", "mxf", video({ width: 720, height: 576, sample_aspect_ratio: "64:45" }).video!))
      .toMatchObject({ width: 1024, height: 576 });
    // So classic DNxHD takes HDV at its displayed 1920x1080.
    expect(after(buildFfmpegArgs(plan({ codec: "dnxhd", container: "mxf", resolution: "same" }), hdv), "-vf")).toBe(
      "scale=1920:1080,setsar=1",
    );
    // Rounding a non-square picture to even keeps its SAR exactly.
    expect(outputPicture("half", "mov", video({ width: 720, height: 486, sample_aspect_ratio: "10:11" }).video!))
      .toEqual({
        width: 360,
        height: 242,
        sar: { num: 10, den: 11 },
        filter: "scale=trunc(iw/4)*2:trunc(ih/4)*2,setsar=10/11",
      });
    // A phone clip shot portrait: FFmpeg turns it upright first, so the proxy is portrait.
    for (const rotation of [90, 270]) {
      const phone = video({ width: 1920, height: 1080, rotation });
      expect(outputPicture("half", "mp4", phone.video!)).toMatchObject({ width: 540, height: 960 });
      // WIDTHxHEIGHT is what the editor sees: fitted, never stretched across the landscape box.
      expect(outputPicture({ width: 1280, height: 720 }, "mp4", phone.video!)).toEqual({
        width: 406,
        height: 720,
        sar: { num: 1, den: 1 },
        // 405 wide exactly; rounded to even, so the square pixels are set, not left to the scale.
        filter: "scale=406:720,setsar=1",
      });
    }
    expect(outputPicture("half", "mp4", video({ rotation: 180 }).video!)).toMatchObject({ width: 960, height: 540 });
    // 4:3 into a 16:9 box: as wide as the box allows, square pixels.
    expect(outputPicture({ width: 1280, height: 720 }, "mov", video({ width: 1440, height: 1080 }).video!))
      .toMatchObject({ width: 960, height: 720, filter: "scale=960:720" });
    expect(() => buildFfmpegArgs(plan({}), video({ rotation: 45 }))).toThrow(
      "the source's display matrix rotates the picture by 45°",
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
  test("picture shape: upright size, no rotation left, displayed aspect, square pixels where expected", () => {
    const v = (w: number, h: number, more: object = {}) => {
      const f = facts(w, h);
      return { ...f, video: { ...f.video!, ...more } };
    };
    const phone = v(1920, 1080, { rotation: 90 });
    expect(verifyOutput(phone, v(540, 960), p)).toBeNull();
    expect(verifyOutput(phone, v(960, 540), p)).toBe(
      "expected 540x960 (the source's 1920x1080 turned 90°), got 960x540",
    );
    expect(verifyOutput(phone, v(540, 960, { rotation: 90 }), p)).toBe(
      "the proxy still carries a display rotation of 90°; it must be stored upright",
    );
    // FFmpeg's scale on an odd size: the right size, the aspect kept by bending the pixels.
    expect(
      verifyOutput(v(1921, 1081), v(1920, 1080, { sample_aspect_ratio: "17289:17296" }), { ...p, resolution: "same" }),
    )
      .toBe("expected square pixels (the source's pixels are square), got a pixel aspect of 17289:17296");
    // The MXF muxer drops the SAR: HDV must become square pixels at 16:9.
    const hdv = v(1440, 1080, { sample_aspect_ratio: "4:3" });
    const mxf = { ...p, codec: "prores_proxy" as const, container: "mxf" as const };
    expect(verifyOutput(hdv, v(720, 540), mxf)).toBe("expected 960x540, got 720x540");
    expect(verifyOutput(hdv, v(960, 540), mxf)).toBeNull();
    expect(verifyOutput(hdv, v(960, 540, { sample_aspect_ratio: "3:4" }), mxf)).toBe(
      "expected square pixels (mxf cannot carry it), got a pixel aspect of 3:4",
    );
    // MOV keeps it; a lost SAR there is a squeezed picture.
    expect(verifyOutput(hdv, v(720, 540, { sample_aspect_ratio: "4:3" }), p)).toBeNull();
    expect(verifyOutput(hdv, v(720, 540), p)).toBe(
      "expected a displayed aspect of 1.7778, got 1.3333 (720x540, pixel aspect 1:1)",
    );
  });
});

describe("frame rates as written and as FFmpeg is given them", () => {
  test("the NTSC family written as decimals is the exact rational; other decimals stay", () => {
    for (const [written, n] of [[23.976, 24000], [29.97, 30000], [59.94, 60000], [119.88, 120000], [23.98, 24000]]) {
      expect({ written, fps: exactFrameRate(written!) }).toEqual({ written, fps: n! / 1001 });
      expect(frameRateText(exactFrameRate(written!))).toBe(`${n}/1001`);
    }
    expect(exactFrameRate(29.97002997)).toBe(30000 / 1001);
    for (const plain of [25, 24, 50, 12.5, 29.96, 29.9, 1000]) expect(exactFrameRate(plain)).toBe(plain);
    expect(frameRateText(12.5)).toBe("25/2");
    expect(frameRateText(29.96)).toBe("749/25");
    expect(frameRateText(50)).toBe("50");
  });
});

describe("timecode at another rate", () => {
  test("drop-frame labels keep their clock time; non-drop labels their nominal time", () => {
    expect(convertTimecode("01:00:00;00", 30000 / 1001, 25)).toBe("01:00:00:00");
    expect(convertTimecode("10:00:00;00", 30000 / 1001, 25)).toBe("09:59:59:24");
    expect(convertTimecode("00:10:00;00", 30000 / 1001, 60000 / 1001)).toBe("00:10:00;00");
    expect(convertTimecode("00:01:00;02", 30000 / 1001, 60000 / 1001)).toBe("00:01:00;04");
    expect(convertTimecode("01:00:00;00", 30000 / 1001, 24000 / 1001)).toBe("01:00:00:00");
    expect(convertTimecode("10:00:00:24", 25, 24)).toBe("10:00:00:23");
    expect(convertTimecode("10:00:00:12", 25, 50)).toBe("10:00:00:24");
    expect(convertTimecode("01:00:00:00", 30000 / 1001, 25)).toBe("01:00:00:00");
    expect(convertTimecode("01:00:00:00", 25, null)).toBe("01:00:00:00");
    expect(convertTimecode("not a timecode", 25, 50)).toBe("not a timecode");
  });

  test("a drop-frame label round-trips through every frame of a day's first hour", () => {
    // 29.97 → 59.94 doubles the frame count: any mistake in the drop-frame arithmetic shows.
    for (let minute = 0; minute < 60; minute++) {
      for (const f of [0, 2, 29]) {
        if (minute % 10 !== 0 && f < 2) continue; // frames 0 and 1 do not exist in those minutes
        const label = `00:${String(minute).padStart(2, "0")}:00;${String(f).padStart(2, "0")}`;
        const doubled = convertTimecode(label, 30000 / 1001, 60000 / 1001);
        expect(convertTimecode(doubled, 60000 / 1001, 30000 / 1001)).toBe(label);
      }
    }
  });

  test("drop-frame only at multiples of 30000/1001", () => {
    expect([30000 / 1001, 60000 / 1001, 120000 / 1001].every(allowsDropFrame)).toBe(true);
    expect([24000 / 1001, 25, 30, 60].some(allowsDropFrame)).toBe(false);
  });
});

describe("the source's duration, first sample to last", () => {
  const probe = (format_name: string, duration: string, start_time: string) =>
    parseProbeJson({
      format: { format_name, duration, start_time },
      streams: [{ codec_type: "video", width: 160, height: 90, avg_frame_rate: "25/1" }],
    }).duration_seconds;
  test("MOV, MP4 and Matroska count their duration from zero: the start offset is taken off", () => {
    expect(probe("mov,mp4,m4a,3gp,3g2,mj2", "12.000000", "10.000000")).toBe(2);
    expect(probe("matroska,webm", "12.000000", "9.979000")).toBe(2.021);
    expect(probe("mov,mp4,m4a,3gp,3g2,mj2", "2.000000", "0.000000")).toBe(2);
    expect(probe("mov,mp4,m4a,3gp,3g2,mj2", "2.000000", "-0.021333")).toBe(2);
  });
  test("MPEG-TS and others already report first to last", () => {
    expect(probe("mpegts", "2.021333", "11.378667")).toBe(2.021333);
    expect(probe("mxf", "2.000000", "0.000000")).toBe(2);
  });
});
