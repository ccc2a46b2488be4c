/**
 * LUTs on real proxies (issue 16), judged by pixels: the same frame is read from source and
 * proxy as RGB (each with its own matrix) and regions are compared. Test LUTs are written in
 * TypeScript (tests/helpers/luts.ts). Each correctness trap of FFmpeg 5.1 has a test here
 * that fails without proxx's fix:
 *   - shaper + cube (Resolve's form): grey must stay grey (FFmpeg alone: 0x202020 → green);
 *   - LUT_3D_INPUT_RANGE (FFmpeg alone: the filter does not start) and DOMAIN_MIN/MAX;
 *   - 4:4:4 frames reaching prores_ks after lut3d (the pixel format of the proxy);
 *   - untagged YUV read as BT.601 (HD 0xC03020 must come back as the source shows it).
 * Sources are 320x180 (SD by size) or 1280x720, a quarter second: the file runs in ~15 s.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bunPlatform } from "../../src/platform/bun.ts";
import { executeJob } from "../../src/engine/execute.ts";
import { loadJobSpec } from "../../src/jobspec/load.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import type { JobResult } from "../../src/engine/result.ts";
import { proxx, tempDir } from "../helpers/cli.ts";
import { ffprobeJson } from "../helpers/media.ts";
import { cube3d, identity, shaperAndCube, swapRedBlue } from "../helpers/luts.ts";

const platform = bunPlatform();
let dir = "";
let tools = { ffmpeg: null as string | null, ffprobe: null as string | null };
let jobs = 0;

type Rgb = [number, number, number];
const COLOURS: Rgb[] = [[0xc0, 0x30, 0x20], [0x20, 0x40, 0xc0], [0x30, 0xc0, 0x50], [0x20, 0x20, 0x20]];
const hex = (c: Rgb) => c.map((v) => v.toString(16).padStart(2, "0")).join("");

function ffmpeg(args: string[]): void {
  const r = spawnSync("ffmpeg", ["-hide_banner", "-v", "error", "-nostdin", "-y", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr}`);
}

/**
 * Four flat patches (COLOURS, in a 2x2 grid) as ProRes 422 HQ, 10 bit, encoded with `matrix`
 * and tagged with it unless `untagged`.
 */
function patches(name: string, width: number, height: number, matrix: "bt709" | "bt601", untagged = false): string {
  const out = join(dir, name);
  const w = width / 2;
  const h = height / 2;
  const inputs = COLOURS.flatMap((c) => ["-f", "lavfi", "-i", `color=c=0x${hex(c)}:s=${w}x${h}:r=24:d=0.25`]);
  // Tagged on the frames (setparams): FFmpeg 5.1 drops -colorspace for frames from a filter graph.
  const tags = untagged
    ? ""
    : matrix === "bt709"
    ? ",setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709"
    : ",setparams=colorspace=smpte170m:color_primaries=smpte170m:color_trc=smpte170m";
  ffmpeg([
    ...inputs,
    "-filter_complex",
    `[0][1]hstack[t];[2][3]hstack[b];[t][b]vstack,scale=out_color_matrix=${matrix}:out_range=tv,format=yuv422p10le${tags}`,
    "-c:v",
    "prores_ks",
    "-profile:v",
    "3",
    out,
  ]);
  return out;
}

/** The first frame as 8-bit RGB read with `matrix` (accurate rounding: the default is biased by up to 3); returns [width, height, bytes]. */
function frameRgb(file: string, matrix: "bt709" | "bt601"): { width: number; height: number; rgb: Uint8Array } {
  const stream = ffprobeJson(file).streams.find((s) => s.codec_type === "video")!;
  const r = spawnSync("ffmpeg", [
    "-v",
    "error",
    "-i",
    file,
    "-vf",
    `scale=in_color_matrix=${matrix}:in_range=tv:flags=accurate_rnd+full_chroma_int,format=rgb24`,
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "-",
  ], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`reading ${file}: ${r.stderr}`);
  return { width: stream.width!, height: stream.height!, rgb: new Uint8Array(r.stdout) };
}

/** Mean RGB of the middle of each patch (a quarter of its size, away from the edges). */
function patchMeans(frame: { width: number; height: number; rgb: Uint8Array }): Rgb[] {
  const { width, height, rgb } = frame;
  const means: Rgb[] = [];
  for (const [qx, qy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const x0 = Math.round((qx! + 0.375) * (width / 2));
    const y0 = Math.round((qy! + 0.375) * (height / 2));
    const x1 = Math.round((qx! + 0.625) * (width / 2));
    const y1 = Math.round((qy! + 0.625) * (height / 2));
    const sum = [0, 0, 0];
    let n = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) sum[c] += rgb[(y * width + x) * 3 + c]!;
        n++;
      }
    }
    means.push(sum.map((v) => Math.round(v / n)) as Rgb);
  }
  return means;
}

const within = (got: Rgb, want: Rgb, tolerance: number) => got.every((v, c) => Math.abs(v - want[c]!) <= tolerance);

function expectClose(got: Rgb[], want: Rgb[], tolerance: number): void {
  expect(got.map((g, i) => within(g, want[i]!, tolerance) ? "ok" : `${hex(g)} ≠ ${hex(want[i]!)}`)).toEqual(
    want.map(() => "ok"),
  );
}

function writeLut(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Write a JobSpec beside the sources, load it (the real loader) and run it (real FFmpeg). */
async function run(fields: Record<string, unknown>): Promise<JobResult> {
  const n = ++jobs;
  const out = join(dir, `out${n}`);
  mkdirSync(out);
  const spec = {
    job_id: `looks-${n}`,
    output_directory: `out${n}`,
    codec: "prores_proxy",
    container: "mov",
    resolution: "same",
    naming_template: "{source_name}",
    ...fields,
  };
  const jobPath = join(dir, `job${n}.json`);
  writeFileSync(jobPath, JSON.stringify(spec));
  const loaded = await loadJobSpec(platform, jobPath, { startedAtMs: Date.now() });
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return await executeJob(platform, loaded.job, { tools, timeoutSeconds: 120, proxxVersion: "test" });
}

let src709 = "";
let srcUntaggedHd = "";
let srcUntaggedSd = "";

beforeAll(async () => {
  dir = tempDir("proxx-looks-");
  tools = await locateTools(platform);
  src709 = patches("patches709.mov", 320, 180, "bt709");
  srcUntaggedHd = patches("untagged_hd.mov", 1280, 720, "bt709", true);
  srcUntaggedSd = patches("untagged_sd.mov", 320, 180, "bt601", true);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("LUT pixels: source and proxy at the same frame", () => {
  test("identity LUT: within 2 code values; lut_applied and the LUT's SHA-256 in the result", async () => {
    const lut = writeLut("identity.cube", cube3d(33, identity));
    const result = await run({ sources: ["patches709.mov"], lut: "identity.cube" });
    expect(result.final_status).toBe("COMPLETED");
    const clip = result.clips[0]!;
    expect(clip.lut_applied).toBe(true);
    expect(clip.lut).toBe("identity.cube");
    expect(clip.lut_sha256).toBe(createHash("sha256").update(readFileSync(lut)).digest("hex"));
    expect(clip.ffmpeg_command.join(" ")).toContain("lut3d=file=");
    expectClose(patchMeans(frameRgb(clip.resolved_output_path, "bt709")), patchMeans(frameRgb(src709, "bt709")), 2);
  });

  test("channel swap: red and blue change places", async () => {
    writeLut("swap.cube", cube3d(17, swapRedBlue));
    const result = await run({ sources: ["patches709.mov"], lut: "swap.cube" });
    expect(result.final_status).toBe("COMPLETED");
    const want = patchMeans(frameRgb(src709, "bt709")).map(([r, g, b]) => [b, g, r] as Rgb);
    expectClose(patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")), want, 3);
  });

  test("shaper + cube (Resolve's form): grey stays grey (FFmpeg alone turned 0x202020 green)", async () => {
    writeLut("shaper.cube", shaperAndCube());
    const result = await run({ sources: ["patches709.mov"], lut: "shaper.cube" });
    expect(result.final_status).toBe("COMPLETED");
    const command = result.clips[0]!.ffmpeg_command.join(" ");
    expect(command).toContain("lut1d=file=");
    expect(command).toContain("lut3d=file=");
    // Sampled LUTs of sqrt then square: a few code values in the dark patches.
    expectClose(
      patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")),
      patchMeans(frameRgb(src709, "bt709")),
      4,
    );
  });

  test("a 1D-only LUT goes through lut1d: an inverse", async () => {
    const rows = Array.from({ length: 256 }, (_, i) => (1 - i / 255).toFixed(6)).map((v) => `${v} ${v} ${v}`);
    writeLut("invert1d.cube", ["LUT_1D_SIZE 256", ...rows, ""].join("\n"));
    const result = await run({ sources: ["patches709.mov"], lut: "invert1d.cube" });
    expect(result.final_status).toBe("COMPLETED");
    const command = result.clips[0]!.ffmpeg_command.join(" ");
    expect(command).toContain("lut1d=file=");
    expect(command).not.toContain("lut3d=");
    const want = patchMeans(frameRgb(src709, "bt709")).map((c) => c.map((v) => 255 - v) as Rgb);
    expectClose(patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")), want, 3);
  });

  test("LUT_3D_INPUT_RANGE (FFmpeg alone would not start) and DOMAIN_MIN/MAX are honoured", async () => {
    // Identity over 0..2: read as 0..1 it would double every value.
    writeLut(
      "range.cube",
      cube3d(17, identity, { max: 2 }).replace(/DOMAIN_MIN.*\nDOMAIN_MAX.*\n/, "LUT_3D_INPUT_RANGE 0 2\n"),
    );
    writeLut("domain.cube", cube3d(17, identity, { max: 2 }));
    const want = patchMeans(frameRgb(src709, "bt709"));
    for (const lut of ["range.cube", "domain.cube"]) {
      const result = await run({ sources: ["patches709.mov"], lut });
      expect({ lut, status: result.final_status }).toEqual({ lut, status: "COMPLETED" });
      expectClose(patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")), want, 3);
    }
  });
});

describe("LUT traps on the encoder side", () => {
  test("a half-size ProRes Proxy after lut3d is 4:2:2 10 bit, tagged Rec.709", async () => {
    const result = await run({ sources: ["patches709.mov"], lut: "identity.cube", resolution: "half" });
    expect(result.final_status).toBe("COMPLETED");
    const stream = ffprobeJson(result.clips[0]!.resolved_output_path).streams.find((s) => s.codec_type === "video")!;
    expect(stream).toMatchObject({ pix_fmt: "yuv422p10le", profile: "Proxy", width: 160, height: 90 });
    expect(stream).toMatchObject({ color_space: "bt709", color_primaries: "bt709", color_transfer: "bt709" });
  });

  test("untagged HD is read with BT.709: 0xC03020 comes back as the source shows it", async () => {
    const result = await run({ sources: ["untagged_hd.mov"], lut: "identity.cube" });
    expect(result.final_status).toBe("COMPLETED");
    // The source as an editor shows untagged HD (BT.709); the proxy by its own tag (BT.709).
    const want = patchMeans(frameRgb(srcUntaggedHd, "bt709"));
    // FFmpeg's default, BT.601, is far from it (issue 16: b22021 for bd2e1f): the test can tell.
    expect(within(patchMeans(frameRgb(srcUntaggedHd, "bt601"))[0]!, want[0]!, 6)).toBe(false);
    expectClose(patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")), want, 2);
  });

  test("untagged SD is read with BT.601", async () => {
    const result = await run({ sources: ["untagged_sd.mov"], lut: "identity.cube" });
    expect(result.final_status).toBe("COMPLETED");
    expectClose(
      patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709")),
      patchMeans(frameRgb(srcUntaggedSd, "bt601")),
      2,
    );
  });
});

describe("which clip gets which LUT", () => {
  test(
    "a source's own lut, then lut_rules by file name, then the job's lut; lut_applied false applies none",
    async () => {
      ffmpeg(["-i", src709, "-c", "copy", join(dir, "A001_C001.mov")]);
      ffmpeg(["-i", src709, "-c", "copy", join(dir, "B001_C001.mov")]);
      ffmpeg(["-i", src709, "-c", "copy", join(dir, "C001_C001.mov")]);
      const fields = {
        sources: [{ path: "A001_C001.mov", lut: null }, "B001_C001.mov", "C001_C001.mov"],
        lut_rules: [{ match: { file_name: "b*.MOV" }, lut: "swap.cube" }],
        lut_id: "identity.cube",
        lut_engine: "ffmpeg",
      };
      const result = await run(fields);
      expect(result.final_status).toBe("COMPLETED");
      expect(result.clips.map((c) => [c.lut_applied, c.lut])).toEqual([
        [false, null],
        [true, "swap.cube"],
        [true, "identity.cube"],
      ]);
      const swapped = patchMeans(frameRgb(result.clips[1]!.resolved_output_path, "bt709"));
      expect(swapped[0]![2]).toBeGreaterThan(swapped[0]![0]); // the red patch is blue
      const off = await run({ ...fields, lut_applied: false });
      expect(off.clips.map((c) => [c.lut_applied, c.lut, c.lut_sha256])).toEqual([
        [false, null, null],
        [false, "swap.cube", null],
        [false, "identity.cube", null],
      ]);
      expect(off.clips.some((c) => c.ffmpeg_command.join(" ").includes("lut3d"))).toBe(false);
    },
    180_000,
  );

  test("a built-in camera LUT: ARRI LogC3 18 % grey (code 400) lands near 0x64", async () => {
    const code = Math.round(1023 * (0.24719 * Math.log10(5.555556 * 0.18 + 0.052272) + 0.385537)); // 400
    const y = code / 1023; // a neutral grey: Y' is the code, chroma centred
    const file = join(dir, "logc_grey.mov");
    ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "color=c=black:s=320x180:r=24:d=0.25",
      "-vf",
      `format=yuv422p10le,lutyuv=y=${Math.round(y * 1023)}:u=512:v=512,setparams=colorspace=bt709`,
      "-c:v",
      "prores_ks",
      "-profile:v",
      "3",
      file,
    ]);
    const result = await run({ sources: ["logc_grey.mov"], lut: "arri_logc3_awg_to_rec709" });
    expect(result.final_status).toBe("COMPLETED");
    expect(result.clips[0]!.lut_sha256).toMatch(/^[0-9a-f]{64}$/);
    const [grey] = patchMeans(frameRgb(result.clips[0]!.resolved_output_path, "bt709"));
    for (const v of grey!) expect(Math.abs(v - 0x64)).toBeLessThanOrEqual(4);
  });
});

describe("LUT validation: the field, the file and the line", () => {
  test("proxx validate names them, before any FFmpeg", () => {
    const bad = writeLut("bad.cube", "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\nNaN 1 0\n");
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({
        sources: ["patches709.mov", { path: "patches709.mov", lut: "shaper.3dl" }],
        output_directory: ".",
        codec: "prores_proxy",
        container: "mov",
        resolution: "half",
        naming_template: "{index}",
        lut: "bad.cube",
        lut_engine: "resolve",
      }),
    );
    const r = proxx(["validate", join(dir, "bad.json")]);
    expect(r.code).not.toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toContain(`lut: ${bad}:5: a row: 'NaN' is not a number`);
    expect(text).toContain(
      "sources[1].lut: 'shaper.3dl' is neither a .cube file nor a built-in LUT; proxx reads .cube LUTs only",
    );
    expect(text).toContain("lut_engine: 'resolve' is not a LUT engine proxx has: use \"ffmpeg\" or null");
  });
});
