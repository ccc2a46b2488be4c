/**
 * h264-sps.ts reads from the extradata what the decoder reads: for each of these x264
 * streams, the SPS's facts must equal what ffprobe reports on a decoded frame (interlaced or
 * not, range, primaries, transfer, matrix), so skipping the frame read changes nothing.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { hexDumpBytes, parseSps } from "../../src/ffmpeg/h264-sps.ts";
import { tempDir } from "../helpers/cli.ts";

const dir = tempDir("proxx-sps-");

function make(name: string, extra: string[], vf = "null"): string {
  const out = join(dir, name);
  const r = spawnSync("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=192x144:rate=25", "-frames:v", "5", "-vf", vf],
    ...["-c:v", "libx264", "-preset", "ultrafast", ...extra, out],
  ], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

function probe(file: string) {
  const json = (args: string[]) =>
    JSON.parse(
      spawnSync("ffprobe", ["-v", "error", "-print_format", "json", "-select_streams", "v:0", ...args, file], {
        encoding: "utf8",
      }).stdout,
    );
  const extradata: string = json(["-show_streams", "-show_data", "-skip_frame:v", "all"]).streams[0].extradata;
  const frame = json(["-read_intervals", "%+#1", "-show_entries", "frame"]).frames[0];
  const tag = (v: string | undefined) => (v && v !== "unknown" && v !== "unspecified" ? v : null);
  return {
    sps: parseSps(hexDumpBytes(extradata)),
    decoded: {
      frameMbsOnly: frame.interlaced_frame === 0,
      colour: {
        primaries: tag(frame.color_primaries),
        transfer: tag(frame.color_transfer),
        matrix: tag(frame.color_space),
        range: tag(frame.color_range),
      },
    },
  };
}

describe("the H.264 SPS says what a decoded frame says", () => {
  const cases: [string, string[], string?][] = [
    ["plain.mp4", ["-pix_fmt", "yuv420p"]],
    ["full-range.mov", ["-pix_fmt", "yuv420p", "-color_range", "pc"]],
    ["bt709.mp4", ["-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]],
    ["bt601.mkv", ["-pix_fmt", "yuv420p", "-colorspace", "smpte170m", "-color_primaries", "smpte170m"]],
    ["high422.mp4", ["-pix_fmt", "yuv422p10le", "-color_range", "tv"]],
    ["fields.mp4", ["-pix_fmt", "yuv420p", "-flags", "+ildct+ilme"], "interlace=scan=tff"],
  ];
  for (const [name, extra, vf] of cases) {
    test(name, () => {
      const { sps, decoded } = probe(make(name, extra, vf));
      expect(sps).not.toBeNull();
      expect(sps).toEqual(decoded);
    });
  }

  test("extradata that is not an SPS, or cut short, gives null (then a frame is decoded)", () => {
    expect(parseSps(new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64]))).toBeNull();
    expect(parseSps(new Uint8Array())).toBeNull();
    expect(hexDumpBytes("\n00000000: 0164 0029  .d.)\n")).toEqual(new Uint8Array([1, 0x64, 0, 0x29]));
  });
});
