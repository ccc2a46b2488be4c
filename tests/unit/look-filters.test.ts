/**
 * The look's place in the argv (src/looks/look-filters.ts via args.ts) and its verification
 * (execute.ts verifyOutput). Pure: no FFmpeg. The pixels are judged in tests/integration/looks.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { buildFfmpegArgs, type EncodePlan, type SourceFacts } from "../../src/ffmpeg/args.ts";
import { inputMatrix, lookFilters } from "../../src/looks/look-filters.ts";
import { verifyOutput } from "../../src/engine/execute.ts";
import type { MediaFacts } from "../../src/engine/result.ts";
import { filterValue } from "../../src/looks/filter-escape.ts";

const plan = (fields: Partial<EncodePlan> = {}) =>
  ({
    input: "/in/a.mov",
    output: "/out/.a.mov.proxx-partial",
    codec: "prores_proxy",
    container: "mov",
    resolution: "half",
    fps: null,
    ...fields,
  }) as EncodePlan;
const source = (video: Partial<NonNullable<SourceFacts["video"]>> = {}): SourceFacts => ({
  video: { width: 1920, height: 1080, pix_fmt: "yuv422p10le", frame_rate: "24/1", ...video },
  audio: [],
  timecode: null,
  reel_name: null,
});
const vf = (args: string[]) => args[args.indexOf("-vf") + 1];
const LUT = { lut1d: null, lut3d: "/tmp/proxx-files/abc-lut3d.cube" };

describe("the look in the filter chain", () => {
  test("after the scale, converted to planar float RGB in the same swscale pass, back to Rec.709, pinned", () => {
    expect(vf(buildFfmpegArgs(plan({ lut_files: LUT }), source()))).toBe(
      "scale=trunc(iw/4)*2:trunc(ih/4)*2:in_color_matrix=bt709:in_range=tv,format=gbrpf32le," +
        "lut3d=file=/tmp/proxx-files/abc-lut3d.cube:interp=tetrahedral," +
        "scale=out_color_matrix=bt709:out_range=tv,format=yuv422p10le," +
        "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709,format=yuv422p10le",
    );
  });

  test("a shaper goes through lut1d first; without a scale a conversion step is added", () => {
    const chain = vf(
      buildFfmpegArgs(plan({ resolution: "same", lut_files: { ...LUT, lut1d: "/c/1d.cube" } }), source()),
    );
    expect(chain).toStartWith(
      "scale=in_color_matrix=bt709:in_range=tv,format=gbrpf32le,lut1d=file=/c/1d.cube:interp=linear,lut3d=",
    );
  });

  test("without a LUT the argv is what it was", () => {
    expect(buildFfmpegArgs(plan({ lut_files: null }), source())).toEqual(buildFfmpegArgs(plan(), source()));
    expect(lookFilters(["scale=1:2"], null, { width: 2, height: 2, pix_fmt: null }, "yuv420p")).toEqual(["scale=1:2"]);
  });

  test("overlays (burn-ins) go after the LUT, then the pixel format is pinned", () => {
    const chain = lookFilters(["scale=960:540"], LUT, { width: 1920, height: 1080, pix_fmt: null }, "yuv420p", [
      "drawtext=x",
    ]);
    expect(chain.slice(-2)).toEqual(["drawtext=x", "format=yuv420p"]);
  });

  test("kept fields and fps after the scale still fold the matrix into the scale", () => {
    const chain = lookFilters(
      ["scale=960:540:interl=1,setsar=1", "fps=25"],
      LUT,
      { width: 1920, height: 1080, pix_fmt: null },
      "yuv422p10le",
    );
    expect(chain.slice(0, 4)).toEqual([
      "scale=960:540:interl=1:in_color_matrix=bt709:in_range=tv",
      "setsar=1",
      "fps=25",
      "format=gbrpf32le",
    ]);
  });

  test("a LUT path is escaped so it can never change the graph", () => {
    const chain = lookFilters([], { lut1d: null, lut3d: "/t/a:b,c'd[e];f.cube" }, {
      width: 64,
      height: 64,
      pix_fmt: null,
    }, "yuv420p");
    expect(chain).toContain(`lut3d=file=${filterValue("/t/a:b,c'd[e];f.cube")}:interp=tetrahedral`);
    expect(filterValue("/t/a:b,c'd[e];f.cube")).toBe("/t/a\\\\:b\\,c\\\\\\'d\\[e\\]\\;f.cube");
  });

  test("an alpha source keeps its alpha through the LUT", () => {
    const chain = vf(buildFfmpegArgs(
      plan({ codec: "prores_4444", lut_files: LUT }),
      source({ pix_fmt: "yuva444p10le" }),
    ));
    expect(chain).toContain("format=gbrapf32le,lut3d");
  });

  test("HDR10 metadata is not written on a LUT'd (SDR) proxy", () => {
    const hdr = source({ hdr10: { mastering_display: "G(1,1)B(1,1)R(1,1)WP(1,1)L(1,1)", content_light: "1000,400" } });
    const args = buildFfmpegArgs(plan({ codec: "h265", container: "mp4", lut_files: LUT }), hdr);
    expect(args.join(" ")).not.toContain("master-display");
  });
});

describe("the input matrix", () => {
  test("from the tag when there is one", () => {
    expect(
      inputMatrix({
        width: 720,
        height: 576,
        pix_fmt: null,
        colour: { matrix: "bt709", primaries: null, transfer: null, range: "pc" },
      }),
    )
      .toEqual({ matrix: "bt709", range: "pc", tagged: true });
    expect(
      inputMatrix({
        width: 3840,
        height: 2160,
        pix_fmt: null,
        colour: { matrix: "bt2020nc", primaries: null, transfer: null, range: null },
      }).matrix,
    )
      .toBe("bt2020");
  });
  test("untagged: SD is BT.601, HD and above BT.709 (as editors assume)", () => {
    expect(inputMatrix({ width: 720, height: 486, pix_fmt: null }).matrix).toBe("bt601");
    expect(inputMatrix({ width: 720, height: 576, pix_fmt: null }).matrix).toBe("bt601");
    expect(inputMatrix({ width: 1280, height: 720, pix_fmt: null }).matrix).toBe("bt709");
    expect(inputMatrix({ width: 1920, height: 1080, pix_fmt: null }).matrix).toBe("bt709");
  });
});

describe("verification of a LUT'd proxy", () => {
  const video = (fields: Partial<NonNullable<MediaFacts["video"]>>): NonNullable<MediaFacts["video"]> => ({
    codec_name: "prores",
    profile: "Proxy",
    width: 960,
    height: 540,
    pix_fmt: "yuv422p10le",
    frame_rate: "24/1",
    nb_frames: 24,
    ...fields,
  });
  const facts = (v: NonNullable<MediaFacts["video"]>): MediaFacts => ({
    format_name: "mov,mp4,m4a,3gp,3g2,mj2",
    duration_seconds: 1,
    video: v,
    audio: [],
    timecode: null,
    reel_name: null,
  });
  const src = facts(
    video({
      width: 1920,
      height: 1080,
      profile: "HQ",
      colour: { primaries: "bt2020", transfer: "arib-std-b67", matrix: "bt2020nc", range: "tv" },
    }),
  );
  const job = { codec: "prores_proxy" as const, container: "mov" as const, resolution: "half" as const, fps: null };
  const rec709 = { primaries: "bt709", transfer: "bt709", matrix: "bt709", range: "tv" };

  test("4:4:4 frames in a stream tagged Proxy are refused (what prores_ks wrote after lut3d)", () => {
    expect(verifyOutput(src, facts(video({ pix_fmt: "yuv444p10le", colour: rec709 })), { ...job, lut_applied: true }))
      .toBe("expected pixel format yuv422p10le (4:2:2 chroma), got yuv444p10le (4:4:4 chroma)");
    // FFmpeg's ProRes decoder reports 4444 as 12 bit: more bits than encoded is fine.
    const p4444 = { ...job, codec: "prores_4444" as const };
    const v4444 = video({ profile: "4444", pix_fmt: "yuv444p12le", colour: rec709 });
    expect(verifyOutput(src, facts(v4444), { ...p4444, lut_applied: true })).toBeNull();
  });
  test("with a LUT the proxy is Rec.709, whatever the source's tags", () => {
    expect(verifyOutput(src, facts(video({ colour: rec709 })), { ...job, lut_applied: true })).toBeNull();
    expect(verifyOutput(src, facts(video({ colour: rec709 })), job)).toMatch(/expected color_primaries bt2020/);
  });
});
