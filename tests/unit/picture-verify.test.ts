/**
 * Fielding and colour rules (src/ffmpeg/fielding.ts, colour.ts, picture-facts.ts): the argv
 * for interlaced and HDR10 sources, and verification refusing every mismatch the fidelity
 * matrix found (issue 13). Pure: no FFmpeg.
 */
import { describe, expect, test } from "bun:test";
import { buildFfmpegArgs, type EncodePlan, type SourceFacts } from "../../src/ffmpeg/args.ts";
import { fieldingProblem } from "../../src/ffmpeg/fielding.ts";
import { colourProblem } from "../../src/ffmpeg/colour.ts";
import { parseHdr10, parsePictureFacts } from "../../src/ffmpeg/picture-facts.ts";

const plan = (codec: EncodePlan["codec"], container: EncodePlan["container"], resolution: EncodePlan["resolution"]) =>
  ({ input: "/in/a.mov", output: "/out/.a.mov.proxx-partial", codec, container, resolution, fps: null }) as EncodePlan;
const source = (video: Partial<NonNullable<SourceFacts["video"]>>): SourceFacts => ({
  video: { width: 1920, height: 1080, pix_fmt: "yuv420p", frame_rate: "25/1", ...video },
  audio: [],
  timecode: null,
  reel_name: null,
});
const MASTERING = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)";

describe("interlaced sources: the argv", () => {
  test("same size, ProRes and H.264: field coding and the field order written as tt / bb", () => {
    const tff = buildFfmpegArgs(plan("prores_proxy", "mov", "same"), source({ fields: "tff", field_order: "tt" }));
    expect(tff.join(" ")).toContain("-vendor apl0 -flags +ildct -field_order tt -pix_fmt yuv422p10le");
    const bff = buildFfmpegArgs(plan("h264", "mkv", "same"), source({ fields: "bff", field_order: "tt" }));
    expect(bff.join(" ")).toContain("-g 12 -flags +ildct+ilme -field_order bb -pix_fmt yuv420p");
    const odd = buildFfmpegArgs(plan("h264", "mp4", "same"), source({ width: 1919, fields: "tff" }));
    expect(odd[odd.indexOf("-vf") + 1]).toBe("scale=trunc(iw/2)*2:trunc(ih/2)*2:interl=1,setsar=1");
  });

  test("resized, or a codec without field coding: deinterlaced first, no field flags", () => {
    for (const p of [plan("prores_proxy", "mov", "half"), plan("dnxhr", "mxf", "same"), plan("h265", "mp4", "same")]) {
      const args = buildFfmpegArgs(p, source({ fields: "tff", field_order: "tt" }));
      expect(args[args.indexOf("-vf") + 1]!.startsWith("bwdif=mode=send_frame:parity=auto:deint=all")).toBe(true);
      expect(args).not.toContain("-field_order");
    }
  });

  test("progressive and untagged sources: the argv as before", () => {
    const before = buildFfmpegArgs(plan("prores_proxy", "mov", "half"), source({}));
    expect(buildFfmpegArgs(plan("prores_proxy", "mov", "half"), source({ fields: "progressive" }))).toEqual(before);
    expect(
      buildFfmpegArgs(
        plan("prores_proxy", "mov", "half"),
        source({ colour: { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" } }),
      ),
    ).toEqual(before);
  });
});

describe("colour tags MXF cannot label", () => {
  test("refused before FFmpeg runs, naming the tag and the container that keeps it", () => {
    const pal = source({ colour: { primaries: "bt470bg", transfer: "bt470bg", matrix: "bt470bg", range: null } });
    expect(() => buildFfmpegArgs(plan("dnxhr", "mxf", "half"), pal)).toThrow(
      "the source's color_transfer is bt470bg, which FFmpeg's MXF muxer cannot label (it would read back as bt470m); use container mov, which keeps it",
    );
    expect(buildFfmpegArgs(plan("dnxhr", "mov", "half"), pal)).toContain("dnxhd");
    const sd = source({ colour: { primaries: "smpte170m", transfer: "smpte170m", matrix: "smpte170m", range: "tv" } });
    expect(buildFfmpegArgs(plan("dnxhr", "mxf", "half"), sd)).toContain("dnxhd");
  });
});

describe("HDR10", () => {
  test("parsed from ffprobe side data into x265's syntax, joined to the one -x265-params", () => {
    const hdr10 = parseHdr10([
      {
        side_data_type: "Mastering display metadata",
        red_x: "34000/50000",
        red_y: "16000/50000",
        green_x: "13250/50000",
        green_y: "34500/50000",
        blue_x: "7500/50000",
        blue_y: "3000/50000",
        white_point_x: "15635/50000",
        white_point_y: "16450/50000",
        min_luminance: "1/10000",
        max_luminance: "10000000/10000",
      },
      { side_data_type: "Content light level metadata", max_content: 1000, max_average: 400 },
    ]);
    expect(hdr10).toEqual({ mastering_display: MASTERING, content_light: "1000,400" });
    const args = buildFfmpegArgs(plan("h265", "mp4", "half"), source({ hdr10: hdr10! }));
    expect(args.filter((a) => a === "-x265-params")).toHaveLength(1);
    expect(args[args.indexOf("-x265-params") + 1]).toBe(`log-level=error:master-display=${MASTERING}:max-cll=1000,400`);
  });

  test("parsePictureFacts: untagged gives nothing; tags and field order as ffprobe says", () => {
    expect(parsePictureFacts({ color_range: "unknown", field_order: "unknown" })).toEqual({});
    expect(parsePictureFacts({ color_primaries: "bt709", color_range: "tv", field_order: "tb" })).toEqual({
      field_order: "tb",
      fields: "tff",
      colour: { primaries: "bt709", transfer: null, matrix: null, range: "tv" },
    });
  });
});

describe("verification", () => {
  const interlaced = { fields: "tff" as const, field_order: "tt" };
  test("fielding: the decoded order and the container's label", () => {
    const same = { codec: "prores_proxy", resolution: "same" } as const;
    expect(fieldingProblem(same, interlaced, { codec_name: "prores", fields: "tff", field_order: "tt" }, "mov,mp4"))
      .toBeNull();
    expect(fieldingProblem(same, interlaced, { codec_name: "prores", fields: "tff", field_order: "tb" }, "mov,mp4"))
      .toBe("expected field_order tt (interlaced top field first), the output says tb");
    expect(fieldingProblem(same, interlaced, { codec_name: "prores", fields: "progressive" }, "mov,mp4")).toBe(
      "expected interlaced top field first pictures, got progressive",
    );
    expect(
      fieldingProblem(
        { codec: "dnxhr", resolution: "same" },
        interlaced,
        { codec_name: "dnxhd", fields: "tff" },
        "mxf",
      ),
    ).toBe(
      "expected progressive pictures (the source is interlaced top field first; proxies that resize or use dnxhr are progressive), got interlaced top field first",
    );
    // H.264 in MOV/MP4: ffprobe's label is its parser's guess ("tt" for bottom first); the frames decide.
    expect(
      fieldingProblem({ codec: "h264", resolution: "same" }, { fields: "bff" }, {
        codec_name: "h264",
        fields: "bff",
        field_order: "tt",
      }, "mov,mp4,m4a,3gp,3g2,mj2"),
    ).toBeNull();
  });

  test("colour: tags as the source's, MXF's single 601 labels, nothing invented, no full-range claim, HDR10", () => {
    const sd = { colour: { primaries: "smpte170m", transfer: "smpte170m", matrix: "smpte170m", range: "tv" } };
    const mxfSd = { primaries: "smpte170m", transfer: "bt709", matrix: "bt470bg", range: "tv" };
    const dnx = { codec: "dnxhr", container: "mxf" } as const;
    expect(colourProblem(dnx, sd, { codec_name: "dnxhd", colour: mxfSd })).toBeNull();
    expect(colourProblem({ codec: "dnxhr", container: "mov" }, sd, { codec_name: "dnxhd", colour: mxfSd })).toBe(
      "expected color_transfer smpte170m (the source's), got bt709",
    );
    const untagged = { primaries: null, transfer: null, matrix: null, range: null };
    expect(colourProblem({ codec: "h264", container: "mp4" }, {}, {
      codec_name: "h264",
      colour: { ...untagged, primaries: "bt709" },
    })).toBe("the source has no color_primaries tag, the output says bt709");
    // DNx's decoder reports matrix bt709 for every file; ProRes and DNx a limited range.
    expect(colourProblem(dnx, {}, { codec_name: "dnxhd", colour: { ...untagged, matrix: "bt709", range: "tv" } }))
      .toBeNull();
    expect(colourProblem({ codec: "h264", container: "mp4" }, { colour: { ...untagged, range: "pc" } }, {
      codec_name: "h264",
      colour: { ...untagged, range: "pc" },
    })).toBe(
      "expected a limited-range proxy (color_range tv; the source's pc range converted by FFmpeg), got color_range pc",
    );
    const hdr = { hdr10: { mastering_display: MASTERING, content_light: "1000,400" } };
    expect(colourProblem({ codec: "h265", container: "mp4" }, hdr, { codec_name: "hevc" })).toBe(
      `expected HDR10 mastering display ${MASTERING}, got none`,
    );
    expect(colourProblem({ codec: "prores_proxy", container: "mov" }, hdr, { codec_name: "prores" })).toBeNull();
  });
});
