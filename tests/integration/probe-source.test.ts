/**
 * probeSource against real ffprobe: the header-only probe is used when it gives every fact
 * the job needs, and the full probe steps in when it does not (MPEG-TS size, 4444 alpha).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunPlatform } from "../../src/platform/bun.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import { headerFactsSuffice, probeMedia, probeSource } from "../../src/ffmpeg/probe.ts";
import { executeJob } from "../../src/engine/execute.ts";
import { ffprobeJson, makeClip } from "../helpers/media.ts";

const platform = bunPlatform();
let dir = "";
let ffprobe = "";
let ffmpeg = "";

function ffmpegMake(name: string, args: string[]): string {
  const out = join(dir, name);
  const r = spawnSync("ffmpeg", ["-hide_banner", "-v", "error", "-nostdin", "-y", ...args, out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proxx-probe-"));
  const tools = await locateTools(platform);
  ffprobe = tools.ffprobe!;
  ffmpeg = tools.ffmpeg!;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("probeSource", () => {
  test("H.264 in MOV: headers suffice; the pixel format is read only when asked for", async () => {
    const clip = makeClip(dir, "h264.mov", { timecode: "01:00:00:00", audioChannels: [2, 1] });
    const headers = await probeMedia(platform, ffprobe, clip, "headers");
    const full = await probeMedia(platform, ffprobe, clip, "full");
    // Everything but the decoded picture's pixel format is the same either way.
    expect({ ...headers, video: { ...headers.video!, pix_fmt: null } }).toEqual({
      ...full,
      video: { ...full.video!, pix_fmt: null },
    });
    expect(headers.video!.pix_fmt).toBeNull();
    expect(full.video!.pix_fmt).toBe("yuv420p");

    expect(await probeSource(platform, ffprobe, clip, { pixFmt: false })).toEqual(headers);
    expect(await probeSource(platform, ffprobe, clip, { pixFmt: true })).toEqual(full);
  });

  test("MPEG-TS: the headers lack the frame size, so the full probe is used", async () => {
    const ts = ffmpegMake("clip.ts", [
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25",
      "-t",
      "0.4",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
    ]);
    const headers = await probeMedia(platform, ffprobe, ts, "headers");
    expect(headerFactsSuffice(headers, { pixFmt: false })).toBe(false);
    const facts = await probeSource(platform, ffprobe, ts, { pixFmt: false });
    expect(facts.video).toMatchObject({ width: 320, height: 240, pix_fmt: "yuv420p" });
  });

  test("an unreadable source reports the full probe's error", async () => {
    const bogus = join(dir, "bogus.mov");
    writeFileSync(bogus, "not media at all");
    await expect(probeSource(platform, ffprobe, bogus, { pixFmt: false })).rejects.toThrow(
      /ffprobe exited with code 1 on .*bogus\.mov/,
    );
  });

  test("ProRes 4444 from an alpha source keeps the alpha (the pixel format is probed)", async () => {
    const alpha = ffmpegMake("alpha.mov", [
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25,format=rgba",
      "-t",
      "0.2",
      "-c:v",
      "png",
    ]);
    const opaque = makeClip(dir, "opaque.mov", { audioChannels: [] });
    const run = (source: string, name: string) =>
      executeJob(platform, {
        job_id: name,
        jobspec_path: null,
        codec: "prores_4444",
        container: "mov",
        resolution: "same",
        fps: null,
        clips: [{ index: 0, source_path: source, output_path: join(dir, `${name}.mov`) }],
        started_at_ms: 0,
      }, { tools: { ffmpeg, ffprobe }, timeoutSeconds: 60, proxxVersion: "test" });
    const withAlpha = await run(alpha, "with-alpha");
    expect(withAlpha.final_status).toBe("COMPLETED");
    expect(withAlpha.clips[0]!.ffmpeg_command).toContain("yuva444p10le");
    const video = ffprobeJson(join(dir, "with-alpha.mov")).streams.find((s) => s.codec_type === "video")!;
    expect(video.pix_fmt).toMatch(/^yuva444p/);
    expect(video.profile).toBe("4444");

    const withoutAlpha = await run(opaque, "without-alpha");
    expect(withoutAlpha.final_status).toBe("COMPLETED");
    expect(withoutAlpha.clips[0]!.ffmpeg_command).toContain("yuv444p10le");
  });

  test("a stuck ffprobe is killed within the clip's timeout and the clip fails, naming the file", async () => {
    const stuck = join(dir, "stuck-ffprobe");
    writeFileSync(stuck, `#!/bin/sh\necho $$ > "${dir}/stuck.pid"\nexec sleep 30\n`);
    chmodSync(stuck, 0o755);
    const clip = makeClip(dir, "for-stuck.mov", { audioChannels: [] });
    const started = performance.now();
    const result = await executeJob(platform, {
      job_id: "stuck",
      jobspec_path: null,
      codec: "h264",
      container: "mp4",
      resolution: "half",
      fps: null,
      clips: [{ index: 0, source_path: clip, output_path: join(dir, "stuck.mp4") }],
      started_at_ms: 0,
    }, { tools: { ffmpeg, ffprobe: stuck }, timeoutSeconds: 1, proxxVersion: "test" });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.final_status).toBe("FAILED");
    expect(result.clips[0]!.failure_reason).toBe(
      `Could not read the source: ffprobe did not answer within 1 s on ${clip}`,
    );
    // Killed, not left behind.
    const pid = Number(spawnSync("cat", [join(dir, "stuck.pid")], { encoding: "utf8" }).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
