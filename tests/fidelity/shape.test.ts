/**
 * The fidelity matrix, "same picture shape" (issue 13, defects 2, 4 and 8): rotated phone
 * clips, anamorphic sources into MXF, odd sizes. Every proxy is checked from ffprobe
 * (conform.ts): stored size, pixel aspect, display rotation and displayed aspect, besides the
 * frames and audio. Sources are tiny and 0.2 to 0.4 s long; the decisions are in docs/fidelity.md.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeSource, type SourceSpec } from "./sources.ts";
import { conformance, type Facts, probeFacts } from "./conform.ts";
import { runJob } from "./run.ts";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "proxx-fidelity-shape-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the job, expects COMPLETED and a conforming proxy, and returns the proxy's facts. */
async function proxyOf(
  spec: SourceSpec,
  settings: Record<string, unknown>,
  plan: Omit<Parameters<typeof conformance>[2], "fps"> = {},
): Promise<Facts["video"]> {
  const source = makeSource(dir, { seconds: 0.4, ...spec });
  const run = await runJob(dir, source, settings);
  const clip = run.result.clips[0]!;
  expect({ status: clip.status, reason: clip.failure_reason, stage: clip.failure_stage }).toEqual({
    status: "COMPLETED",
    reason: null,
    stage: null,
  });
  const proxy = probeFacts(run.output);
  expect(conformance(probeFacts(source), proxy, { fps: null, ...plan })).toEqual([]);
  return proxy.video;
}

const shape = (v: Facts["video"]) => ({ size: `${v.width}x${v.height}`, sar: v.sarText, rotation: v.rotation });

describe("rotated phone clips: the proxy is upright at the size the editor sees", () => {
  // FFmpeg turns the picture upright (autorotate); verification expected the stored size
  // ("expected 160x90, got 90x160") before.
  for (const rotation of [90, 180, 270]) {
    test(`display matrix ${rotation}°, half, H.264 in MP4`, async () => {
      const proxy = await proxyOf(
        { name: `rot${rotation}`, size: "320x180", rotation },
        { codec: "h264", container: "mp4", resolution: "half" },
        { squarePixels: true },
      );
      expect(shape(proxy)).toEqual({ size: rotation === 180 ? "160x90" : "90x160", sar: "1:1", rotation: 0 });
    }, 30_000);
  }

  test("display matrix 90°, same, ProRes in MOV", async () => {
    const proxy = await proxyOf({ name: "rot90_same", size: "320x180", rotation: 90 }, {
      codec: "prores_proxy",
      container: "mov",
      resolution: "same",
    });
    expect(shape(proxy)).toEqual({ size: "180x320", sar: "1:1", rotation: 0 });
  }, 30_000);

  test("display matrix 270°, same, DNxHR in MXF", async () => {
    const proxy = await proxyOf(
      { name: "rot270_mxf", size: "640x360", rotation: 270, seconds: 0.2 },
      { codec: "dnxhr", container: "mxf", resolution: "same" },
      { sampleRate: 48000, squarePixels: true },
    );
    expect(shape(proxy)).toEqual({ size: "360x640", sar: "1:1", rotation: 0 });
  }, 30_000);

  test("portrait into WIDTHxHEIGHT 320x180: fitted, 102x180 in square pixels, not stretched to 320x180", async () => {
    // Before: 320x180 at SAR 81:256, a portrait picture stored across a landscape frame.
    const proxy = await proxyOf(
      { name: "rot90_box", size: "320x180", rotation: 90 },
      { codec: "h264", container: "mp4", resolution: "320x180" },
      { squarePixels: true },
    );
    expect(shape(proxy)).toEqual({ size: "102x180", sar: "1:1", rotation: 0 });
  }, 30_000);
});

describe("anamorphic sources: MXF gets square pixels at the displayed aspect, MOV keeps the SAR", () => {
  // FFmpeg 5.1's MXF muxer writes SAR 1:1 for DNxHR whatever the frame says: 1440x1080 at
  // SAR 4:3 came out 720x540 1:1 (shown 4:3, not 16:9) and was reported COMPLETED.
  const cases: [string, string, string, string][] = [
    ["hdv", "1440x1080", "4/3", "960x540"],
    ["dvcpro_hd", "960x720", "4/3", "640x360"],
    ["pal_wide", "720x576", "64/45", "512x288"],
    ["ntsc_dv", "720x486", "10/11", "326x242"],
  ];
  for (const [name, size, sar, want] of cases) {
    test(`${size} SAR ${sar} to DNxHR MXF, half: ${want} 1:1`, async () => {
      const fps = name === "ntsc_dv" ? "30000/1001" : "25";
      const proxy = await proxyOf(
        { name: `ana_${name}`, size, sar, fps, seconds: 0.2 },
        { codec: "dnxhr", container: "mxf", resolution: "half" },
        { sampleRate: 48000, squarePixels: true },
      );
      expect(shape(proxy)).toEqual({ size: want, sar: "1:1", rotation: 0 });
    }, 30_000);
  }

  test("720x576 SAR 64:45 to ProRes MOV, half: 360x288 keeping 64:45", async () => {
    const proxy = await proxyOf({ name: "ana_mov", size: "720x576", sar: "64/45", seconds: 0.2 }, {
      codec: "prores_proxy",
      container: "mov",
      resolution: "half",
    });
    expect(shape(proxy)).toEqual({ size: "360x288", sar: "64:45", rotation: 0 });
  }, 30_000);

  test("1440x1080 SAR 4:3 to classic DNxHD: its displayed 1920x1080 is an Avid size, so it is made", async () => {
    const proxy = await proxyOf(
      { name: "ana_dnxhd", size: "1440x1080", sar: "4/3", seconds: 0.2 },
      { codec: "dnxhd", container: "mxf", resolution: "same" },
      { sampleRate: 48000, squarePixels: true },
    );
    expect(shape(proxy)).toEqual({ size: "1920x1080", sar: "1:1", rotation: 0 });
  }, 30_000);

  test("720x576 SAR 64:45 to classic DNxHD: refused before FFmpeg runs, naming the size and dnxhr", async () => {
    const source = makeSource(dir, { name: "ana_dnxhd_pal", size: "720x576", sar: "64/45", seconds: 0.2 });
    const run = await runJob(dir, source, { codec: "dnxhd", container: "mxf", resolution: "same" });
    const clip = run.result.clips[0]!;
    expect({ status: clip.status, stage: clip.failure_stage, reason: clip.failure_reason }).toEqual({
      status: "FAILED",
      stage: "probe",
      reason: "DNxHD cannot encode 1024x576 at 25 fps (only 1920x1080, 1280x720 at 23.976, 24, 25, 29.97, 50 " +
        "or 59.94 fps); use codec dnxhr, which takes any size and rate",
    });
    expect(existsSync(run.output)).toBe(false);
  }, 30_000);
});

describe("odd sizes: rounded to even with square pixels, not a bent pixel aspect", () => {
  // Before: 1921x1081 → 1920x1080 at SAR 17289:17296 (FFmpeg's scale keeping the exact DAR).
  test("1921x1081, same, H.264 in MP4: 1920x1080 1:1", async () => {
    const proxy = await proxyOf(
      { name: "odd_hd", size: "1921x1081", seconds: 0.2 },
      { codec: "h264", container: "mp4", resolution: "same" },
      { squarePixels: true },
    );
    expect(shape(proxy)).toEqual({ size: "1920x1080", sar: "1:1", rotation: 0 });
  }, 30_000);

  for (const [codec, container] of [["h264", "mkv"], ["dnxhr", "mxf"]] as const) {
    test(`321x181, same, ${codec} in ${container}: 320x180 1:1`, async () => {
      const proxy = await proxyOf(
        { name: `odd_${container}`, size: "321x181" },
        { codec, container, resolution: "same" },
        container === "mxf" ? { sampleRate: 48000, squarePixels: true } : { squarePixels: true },
      );
      expect(shape(proxy)).toEqual({ size: "320x180", sar: "1:1", rotation: 0 });
    }, 30_000);
  }
});
