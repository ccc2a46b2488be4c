/**
 * The fidelity matrix, fielding and colour (issue 13: "same fielding", "same colour"): lavfi
 * sources carrying one property each (interlaced top or bottom field first, full range,
 * SD tags, HDR10 static metadata, no tags), run through the engine as `proxx run` does, and
 * every proxy read back with ffprobe independently of the code under test (decoded frames,
 * stream tags, frame side data, pixel levels). Tiny sources (192x144, 1 s) so CI stays fast.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runJob } from "./run.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-picture-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-v", "error", "-nostdin", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr}`);
}

// deno-lint-ignore no-explicit-any -- ffprobe JSON; the fields read are checked by the tests
function ffprobeJson(args: string[]): Record<string, any> {
  const r = spawnSync("ffprobe", ["-v", "error", "-print_format", "json", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffprobe ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** 1 s of 1080i-like material at 192x144: 50 fields/s woven into 25 frames, x264 field coding. */
function interlacedSource(order: "tff" | "bff"): string {
  const out = join(dir, `interlaced_${order}.mov`);
  const weave = order === "tff" ? "interleave_top" : "interleave_bottom";
  ffmpeg([
    ...["-f", "lavfi", "-i", "testsrc2=size=192x144:rate=50", "-t", "2"],
    ...["-vf", `tinterlace=${weave},setfield=${order}`, "-frames:v", "25"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-flags", "+ilme+ildct"],
    ...["-top", order === "tff" ? "1" : "0", out],
  ]);
  return out;
}

interface Picture {
  frames: number;
  /** ffprobe's stream field_order (what the container or parser says). */
  fieldOrder: string | null;
  /** From the first decoded frame. */
  decoded: "progressive" | "tff" | "bff";
  tags: { primaries: string; transfer: string; matrix: string; range: string };
  sideData: string[];
}

function picture(file: string): Picture {
  const streams = ffprobeJson(["-count_frames", "-select_streams", "v:0", "-show_streams", file]).streams[0];
  const frame = ffprobeJson(["-select_streams", "v:0", "-read_intervals", "%+#1", "-show_frames", file]).frames[0];
  return {
    frames: Number(streams.nb_read_frames),
    fieldOrder: streams.field_order ?? null,
    decoded: frame.interlaced_frame === 1 ? (frame.top_field_first === 1 ? "tff" : "bff") : "progressive",
    tags: {
      primaries: streams.color_primaries ?? "unknown",
      transfer: streams.color_transfer ?? "unknown",
      matrix: streams.color_space ?? "unknown",
      range: streams.color_range ?? "unknown",
    },
    // deno-lint-ignore no-explicit-any
    sideData: (frame.side_data_list ?? []).map((s: any) => JSON.stringify(s)).filter((s: string) =>
      !s.includes("Unregistered")
    ),
  };
}

/** The darkest luma of the first frame, as decoded. */
function lumaMin(file: string): number {
  const r = spawnSync("ffprobe", [
    ...["-v", "error", "-f", "lavfi", "-i", `movie=${file},signalstats`, "-read_intervals", "%+#1"],
    ...["-show_entries", "frame_tags=lavfi.signalstats.YMIN", "-of", "csv=p=0"],
  ], { encoding: "utf8" });
  return Number(r.stdout.trim().split("\n")[0]);
}

async function completed(source: string, settings: Record<string, unknown>) {
  const run = await runJob(dir, source, settings);
  const clip = run.result.clips[0]!;
  expect({ reason: clip.failure_reason, stage: clip.failure_stage }).toEqual({ reason: null, stage: null });
  return run;
}

describe("interlaced sources", () => {
  for (const order of ["tff", "bff"] as const) {
    const label = order === "tff" ? "tt" : "bb";
    test(
      `${order} at the same size: ProRes (was "${order === "tff" ? "tb" : "bt"}") and H.264 keep the field order`,
      async () => {
        const source = interlacedSource(order);
        expect(picture(source).decoded).toBe(order);
        const prores = picture(
          (await completed(source, { codec: "prores_proxy", container: "mov", resolution: "same" })).output,
        );
        expect([prores.decoded, prores.fieldOrder, prores.frames]).toEqual([order, label, 25]);
        // H.264 was coded progressive; in Matroska the stored label is checked too.
        const h264 = picture((await completed(source, { codec: "h264", container: "mkv", resolution: "same" })).output);
        expect([h264.decoded, h264.fieldOrder, h264.frames]).toEqual([order, label, 25]);
      },
      30_000,
    );
  }

  test(
    "half size and codecs without field coding: progressive, deinterlaced before the scale, same frames",
    async () => {
      const source = interlacedSource("tff");
      for (
        const settings of [
          { codec: "prores_proxy", container: "mov", resolution: "half" },
          { codec: "h265", container: "mp4", resolution: "same" },
        ]
      ) {
        const run = await completed(source, settings);
        const proxy = picture(run.output);
        expect([proxy.decoded, proxy.fieldOrder ?? "progressive", proxy.frames]).toEqual([
          "progressive",
          "progressive",
          25,
        ]);
        // Before: "scale=..." straight on woven fields, or an interlaced picture stored as progressive.
        expect(run.result.clips[0]!.ffmpeg_command.join(" ")).toContain("bwdif=mode=send_frame");
      }
    },
    30_000,
  );
});

describe("interlaced frames under a stream that says progressive", () => {
  // FFmpeg 5.1's ffprobe says field_order "progressive" for x264 fields in Matroska and for an
  // interlaced ProRes MOV without a `fiel` atom, while every decoded frame is interlaced.
  // Before, such a source was taken as progressive: a progressive-coded proxy at the same
  // size, and at half size a scale straight across the woven fields.
  function mislabelled(kind: "mkv" | "prores"): string {
    const out = join(dir, `mislabelled_${kind}.${kind === "mkv" ? "mkv" : "mov"}`);
    const codec = kind === "mkv"
      ? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-flags", "+ildct+ilme"]
      : ["-c:v", "prores_ks", "-profile:v", "0", "-flags", "+ildct"];
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=192x144:rate=50,interlace=scan=tff", "-frames:v", "25", ...codec, out]);
    return out;
  }

  /** ffprobe's stream field_order as the header probe reads it (no picture decoded). */
  const headerFieldOrder = (file: string) =>
    ffprobeJson(["-skip_frame:v", "all", "-select_streams", "v:0", "-show_streams", file]).streams[0].field_order;

  for (const kind of ["mkv", "prores"] as const) {
    test(`${kind}: the fields found on a decoded frame, kept at the same size, deinterlaced at half`, async () => {
      const source = mislabelled(kind);
      const read = picture(source);
      expect(headerFieldOrder(source)).toBe("progressive");
      expect(read.decoded).not.toBe("progressive");
      const same = await completed(source, { codec: "prores_proxy", container: "mov", resolution: "same" });
      expect(same.result.clips[0]!.source_probe!.video!.fields).toBe(read.decoded);
      const proxy = picture(same.output);
      expect([proxy.decoded, proxy.fieldOrder, proxy.frames]).toEqual([
        read.decoded,
        read.decoded === "tff" ? "tt" : "bb",
        25,
      ]);
      const half = await completed(source, { codec: "prores_proxy", container: "mov", resolution: "half" });
      expect(half.result.clips[0]!.ffmpeg_command.join(" ")).toContain("bwdif=mode=send_frame");
      expect(picture(half.output).decoded).toBe("progressive");
    }, 30_000);
  }
});

describe("colour", () => {
  // A guard, not a fix: FFmpeg's conversion to the encoder's -pix_fmt already converted full
  // range to limited before; verification now refuses a proxy that would claim full range.
  test("full range: converted to limited range (black 0 → 16, 64 in 10 bit), never tagged pc", async () => {
    const source = join(dir, "full_range.mp4");
    ffmpeg([
      ...["-f", "lavfi", "-i", "color=black:size=192x144:rate=25", "-t", "1", "-vf", "scale=out_range=full"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-color_range", "pc", source],
    ]);
    expect([picture(source).tags.range, lumaMin(source)]).toEqual(["pc", 0]);
    const run = await completed(source, { codec: "prores_proxy", container: "mov", resolution: "same" });
    // H.264 keeps its range in the coded stream: the header probe does not see it, the decoded
    // frame read for the field order does, so the result tells the source was full range.
    expect(run.result.clips[0]!.source_probe!.video!.colour?.range).toBe("pc");
    const prores = run.output;
    expect([picture(prores).tags.range, lumaMin(prores)]).toEqual(["tv", 64]);
    const h264 = (await completed(source, { codec: "h264", container: "mp4", resolution: "same" })).output;
    expect([picture(h264).tags.range, lumaMin(h264)]).toEqual(["unknown", 16]);
  }, 30_000);

  test("untagged stays untagged; SD tags kept in MOV", async () => {
    const untagged = join(dir, "untagged.mov");
    ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=192x144:rate=25",
      "-t",
      "1",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      untagged,
    ]);
    const plain = picture((await completed(untagged, { codec: "h264", container: "mp4", resolution: "half" })).output);
    expect(plain.tags).toEqual({ primaries: "unknown", transfer: "unknown", matrix: "unknown", range: "unknown" });
    const sd = join(dir, "sd.mov");
    ffmpeg([
      ...["-f", "lavfi", "-i", "testsrc2=size=192x144:rate=25", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast"],
      ...[
        "-pix_fmt",
        "yuv420p",
        "-color_primaries",
        "smpte170m",
        "-color_trc",
        "smpte170m",
        "-colorspace",
        "smpte170m",
        sd,
      ],
    ]);
    const run = await completed(sd, { codec: "dnxhr", container: "mov", resolution: "256x192" });
    expect(picture(run.output).tags).toEqual({
      primaries: "smpte170m",
      transfer: "smpte170m",
      matrix: "smpte170m",
      range: "tv",
    });
  }, 30_000);

  test(
    "a transfer MXF cannot label (PAL gamma 2.8 became bt470m): refused before FFmpeg, pointing to mov",
    async () => {
      const source = join(dir, "pal_gamma28.mov");
      ffmpeg([
        ...["-f", "lavfi", "-i", "testsrc2=size=256x192:rate=25", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast"],
        ...[
          "-pix_fmt",
          "yuv420p",
          "-color_primaries",
          "bt470bg",
          "-color_trc",
          "gamma28",
          "-colorspace",
          "bt470bg",
          source,
        ],
      ]);
      const run = await runJob(dir, source, { codec: "dnxhr", container: "mxf", resolution: "same" });
      const clip = run.result.clips[0]!;
      expect([clip.status, clip.failure_stage, clip.failure_reason]).toEqual([
        "FAILED",
        "probe",
        "the source's color_transfer is bt470bg, which FFmpeg's MXF muxer cannot label (it would read back as bt470m); use container mov, which keeps it",
      ]);
      const mov = await completed(source, { codec: "dnxhr", container: "mov", resolution: "same" });
      expect(picture(mov.output).tags).toEqual({
        primaries: "bt470bg",
        transfer: "bt470bg",
        matrix: "bt470bg",
        range: "tv",
      });
    },
    30_000,
  );

  test("HDR10: H.265 proxies carry mastering display and content light level; ProRes warns it drops them", async () => {
    const source = join(dir, "hdr10.mp4");
    ffmpeg([
      ...["-f", "lavfi", "-i", "testsrc2=size=192x144:rate=25", "-t", "1"],
      ...["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"],
      ...["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"],
      ...[
        "-x265-params",
        "log-level=error:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
      ],
      source,
    ]);
    const want = picture(source);
    expect(want.sideData.length).toBe(2);
    const run = await completed(source, { codec: "h265", container: "mp4", resolution: "half" });
    const proxy = picture(run.output);
    expect(proxy.sideData).toEqual(want.sideData);
    expect(proxy.tags).toEqual(want.tags);
    const prores = await completed(source, { codec: "prores_proxy", container: "mov", resolution: "half" });
    expect(prores.events.filter((e) => e.type === "warning").map((e) => (e as { message: string }).message)).toEqual([
      `${source}: HDR10 mastering display / content light metadata is not written by prores_proxy proxies and was left out (colour tags are kept); codec h265 carries it`,
    ]);
  }, 30_000);
});
