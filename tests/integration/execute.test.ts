import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunPlatform } from "../../src/platform/bun.ts";
import { executeJob, type ExecuteOptions, type ResolvedJob } from "../../src/engine/execute.ts";
import type { Codec, Container, Resolution } from "../../src/ffmpeg/args.ts";
import { locateTools } from "../../src/ffmpeg/locate.ts";
import { JobResult } from "../../src/engine/result.ts";
import type { ProxxEvent } from "../../src/engine/events.ts";
import { ffprobeJson, makeClip } from "../helpers/media.ts";

const platform = bunPlatform();
let dir = "";
let tools = { ffmpeg: null as string | null, ffprobe: null as string | null };
const src: Record<string, string> = {};
let jobCounter = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proxx-exec-"));
  tools = await locateTools(platform);
  src.main = makeClip(dir, "main.mov", { timecode: "01:00:00:00", reelName: "A001", audioChannels: [2, 1] });
  src.odd = makeClip(dir, "odd.mov", { width: 318, height: 240, audioChannels: [2] });
  src.hd = makeClip(dir, "hd.mov", { width: 1920, height: 1080, seconds: 0.2, audioChannels: [2] });
  src.b = makeClip(dir, "b.mov", { audioChannels: [1] });
  src.corrupt = join(dir, "corrupt.mov");
  writeFileSync(src.corrupt, new Uint8Array(4096).map(() => Math.floor(Math.random() * 256)));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function job(
  sources: string[],
  settings: { codec: Codec; container: Container; resolution?: Resolution; fps?: number | null },
  outDir = dir,
): ResolvedJob {
  const id = `job${++jobCounter}`;
  return {
    job_id: id,
    jobspec_path: null,
    codec: settings.codec,
    container: settings.container,
    resolution: settings.resolution ?? "half",
    fps: settings.fps ?? null,
    clips: sources.map((s, index) => ({
      index,
      source_path: s,
      output_path: join(outDir, `${id}_${index}_${s.split("/").pop()!.replace(/\.\w+$/, "")}.${settings.container}`),
    })),
    started_at_ms: Date.now(),
  };
}

function opts(extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return { tools, timeoutSeconds: 60, proxxVersion: "test", graceMs: 300, ...extra };
}

function fakeTool(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const partials = () => readdirSync(dir).filter((n) => n.endsWith(".proxx-partial"));

describe("every codec in its allowed containers", () => {
  const cases: [Codec, Container, string, string | null, Resolution?][] = [
    ["prores_proxy", "mov", "prores", "Proxy"],
    ["prores_lt", "mov", "prores", "LT"],
    ["prores_standard", "mov", "prores", "Standard"],
    ["prores_hq", "mov", "prores", "HQ"],
    ["prores_4444", "mov", "prores", "4444"],
    ["h264", "mp4", "h264", null],
    ["h264", "mov", "h264", null],
    ["h264", "mkv", "h264", null],
    ["h265", "mp4", "hevc", null],
    ["hevc", "mov", "hevc", null],
    ["h265", "mkv", "hevc", null],
    ["dnxhr", "mov", "dnxhd", "DNXHR LB", "same"],
    ["dnxhr", "mxf", "dnxhd", "DNXHR LB", "same"],
    ["vp9", "webm", "vp9", null],
    ["vp9", "mkv", "vp9", null],
    ["av1", "mp4", "av1", null],
    ["av1", "mkv", "av1", null],
    ["av1", "webm", "av1", null],
  ];
  for (const [codec, container, codecName, profile, resolution = "half"] of cases) {
    test(`${codec} in ${container}`, async () => {
      const j = job([src.main!], { codec, container, resolution });
      const result = await executeJob(platform, j, opts());
      expect(JobResult.parse(result)).toBeTruthy();
      expect(result.clips[0]!.failure_reason).toBeNull();
      expect(result.final_status).toBe("COMPLETED");
      const probe = ffprobeJson(j.clips[0]!.output_path);
      const video = probe.streams.find((s) => s.codec_type === "video")!;
      expect(video.codec_name).toBe(codecName);
      if (profile) expect(video.profile).toBe(profile);
      if (codec.startsWith("h26") || codec === "hevc") {
        if (container !== "mkv") expect(video.codec_tag_string).toBe(codecName === "hevc" ? "hvc1" : "avc1");
      }
      expect([video.width, video.height]).toEqual(resolution === "same" ? [320, 240] : [160, 120]);
      const audio = probe.streams.filter((s) => s.codec_type === "audio");
      expect(audio.map((a) => a.channels)).toEqual([2, 1]);
    }, 30_000);
  }

  test("dnxhd in mxf at 1920x1080 25 fps (classic table, 36 Mb/s)", async () => {
    const j = job([src.hd!], { codec: "dnxhd", container: "mxf", resolution: "same" });
    const result = await executeJob(platform, j, opts());
    expect(result.clips[0]!.failure_reason).toBeNull();
    expect(result.clips[0]!.ffmpeg_command).toContain("36M");
    const video = ffprobeJson(j.clips[0]!.output_path).streams.find((s) => s.codec_type === "video")!;
    expect(video.codec_name).toBe("dnxhd");
    expect([video.width, video.height]).toEqual([1920, 1080]);
  }, 30_000);

  test("dnxhr below 256x120 fails before FFmpeg runs", async () => {
    const result = await executeJob(
      platform,
      job([src.main!], { codec: "dnxhr", container: "mxf", resolution: "quarter" }),
      opts(),
    );
    expect(result.failure_reason).toBe(
      "DNxHR needs a frame of at least 256x120, this output would be 80x60; use a larger resolution",
    );
    expect(result.clips[0]!.failure_stage).toBe("probe");
  });

  test("dnxhd at an impossible size fails with a hint to dnxhr", async () => {
    const result = await executeJob(platform, job([src.main!], { codec: "dnxhd", container: "mxf" }), opts());
    expect(result.final_status).toBe("FAILED");
    expect(result.failure_reason).toContain("use codec dnxhr");
  });
});

describe("relink facts", () => {
  test("timecode, reel name and all audio streams are kept in mov", async () => {
    const j = job([src.main!], { codec: "prores_proxy", container: "mov" });
    const result = await executeJob(platform, j, opts());
    expect(result.final_status).toBe("COMPLETED");
    const clip = result.clips[0]!;
    expect(clip.source_probe?.timecode).toBe("01:00:00:00");
    expect(clip.output_probe?.timecode).toBe("01:00:00:00");
    expect(clip.output_probe?.reel_name).toBe("A001");
    expect(clip.output_probe?.audio.map((a) => [a.channels, a.sample_rate])).toEqual([[2, 48000], [1, 48000]]);
    const probe = ffprobeJson(j.clips[0]!.output_path);
    expect(probe.streams.some((s) => s.codec_tag_string === "tmcd")).toBe(true);
  });

  test("odd half size rounds to even: 318x240 half → 158x120", async () => {
    const j = job([src.odd!], { codec: "h264", container: "mp4" });
    const result = await executeJob(platform, j, opts());
    expect(result.clips[0]!.failure_reason).toBeNull();
    expect(result.clips[0]!.output_probe?.video).toMatchObject({ width: 158, height: 120 });
  });

  test("explicit fps and WxH", async () => {
    const j = job([src.b!], { codec: "h264", container: "mp4", resolution: { width: 201, height: 99 }, fps: 50 });
    const result = await executeJob(platform, j, opts());
    expect(result.clips[0]!.failure_reason).toBeNull();
    // The box is rounded to even (202x100) and the 4:3 picture fitted in it in square pixels (docs/fidelity.md).
    expect(result.clips[0]!.output_probe?.video).toMatchObject({ width: 134, height: 100, frame_rate: "50/1" });
  });
});

describe("failures", () => {
  test("fail-fast: corrupt middle clip → [COMPLETED, FAILED], third not run", async () => {
    const events: ProxxEvent[] = [];
    const j = job([src.main!, src.corrupt!, src.b!], { codec: "prores_proxy", container: "mov" });
    const result = await executeJob(platform, j, opts({ onEvent: (e) => events.push(e) }));
    expect(JobResult.parse(result)).toBeTruthy();
    expect(result.final_status).toBe("FAILED");
    expect(result.clips.map((c) => c.status)).toEqual(["COMPLETED", "FAILED"]);
    expect(result.total_clips).toBe(3);
    expect(result.completed_clips).toBe(1);
    expect(result.failed_clips).toBe(1);
    expect(result.failure_reason).toBe(result.clips[1]!.failure_reason);
    expect(result.failure_reason).toContain("Could not read the source");
    expect(result.clips.map((c) => c.failure_stage)).toEqual([null, "probe"]);
    const finished = events.filter((e) => e.type === "clip_finished");
    expect(finished.map((e) => e.type === "clip_finished" && e.failure_stage)).toEqual([null, "probe"]);
    expect(existsSync(j.clips[0]!.output_path)).toBe(true);
    expect(existsSync(j.clips[2]!.output_path)).toBe(false);
    expect(events.filter((e) => e.type === "clip_started").length).toBe(2);
    expect(events.some((e) => e.type === "progress")).toBe(true);
    expect(events.at(-1)?.type).toBe("job_finished");
    expect(partials()).toEqual([]);
  });

  test("missing ffmpeg", async () => {
    const result = await executeJob(
      platform,
      job([src.b!], { codec: "h264", container: "mp4" }),
      opts({ tools: { ffmpeg: null, ffprobe: tools.ffprobe } }),
    );
    expect(result.final_status).toBe("FAILED");
    expect(result.failure_reason).toBe("FFmpeg not found. Install FFmpeg to use headless execution.");
    expect(result.clips[0]!.failure_stage).toBe("validate");
  });

  test("timeout: hanging ffmpeg is stopped, reaped, partial removed", async () => {
    const pidFile = join(dir, "hang.pid");
    const hang = fakeTool(
      "hang-ffmpeg",
      `echo $$ > '${pidFile}'\nfor a; do last="$a"; done\necho junk > "\${last#file:}"\nexec sleep 100`,
    );
    const j = job([src.b!], { codec: "h264", container: "mp4" });
    const t0 = Date.now();
    const partialSeen: boolean[] = [];
    const result = await executeJob(
      platform,
      j,
      opts({
        tools: { ffmpeg: hang, ffprobe: tools.ffprobe },
        timeoutSeconds: 0.5,
        onEvent: (e) => {
          if (e.type === "clip_started") setTimeout(() => partialSeen.push(partials().length === 1), 300);
        },
      }),
    );
    expect(partialSeen).toEqual([true]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(result.failure_reason).toBe("Execution timed out after 0.5 seconds");
    expect(result.clips[0]!.exit_code).toBe(-1);
    expect(result.clips[0]!.failure_stage).toBe("encode");
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(platform.isProcessAlive(pid)).toBe(false);
    expect(partials()).toEqual([]);
  });

  test("abort signal → INTERRUPTED, clip not counted as failed", async () => {
    const hang = fakeTool("hang2-ffmpeg", "exec sleep 100");
    const controller = new AbortController();
    const j = job([src.b!, src.b!], { codec: "h264", container: "mp4" });
    const events: ProxxEvent[] = [];
    const pending = executeJob(
      platform,
      j,
      opts({
        tools: { ffmpeg: hang, ffprobe: tools.ffprobe },
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "clip_started") setTimeout(() => controller.abort(), 100);
        },
      }),
    );
    const result = await pending;
    expect(result.final_status).toBe("INTERRUPTED");
    expect(result.failed_clips).toBe(0);
    expect(result.clips).toEqual([]);
    expect(partials()).toEqual([]);
  });

  test("exit code and empty output", async () => {
    const fail = fakeTool("fail-ffmpeg", "echo 'boom: Invalid codec parameters' >&2\nexit 3");
    let result = await executeJob(
      platform,
      job([src.b!], { codec: "h264", container: "mp4" }),
      opts({ tools: { ffmpeg: fail, ffprobe: tools.ffprobe } }),
    );
    expect(result.failure_reason).toBe("FFmpeg exited with code 3");
    expect(result.clips[0]!.stderr_tail).toEqual(["boom: Invalid codec parameters"]);
    expect(result.clips[0]!.failure_stage).toBe("encode");
    const quiet = fakeTool("quiet-ffmpeg", "exit 0");
    result = await executeJob(
      platform,
      job([src.b!], { codec: "h264", container: "mp4" }),
      opts({ tools: { ffmpeg: quiet, ffprobe: tools.ffprobe } }),
    );
    expect(result.failure_reason).toBe("Output file does not exist or has zero size");
    expect(result.clips[0]!.failure_stage).toBe("verify");
  });

  test("a proxy FFmpeg made (exit 0) that does not match its source fails at stage verify", async () => {
    // The real FFmpeg, told to stop after 0.2 s of the 0.5 s source: it exits 0 with a short proxy.
    const short = fakeTool(
      "short-ffmpeg",
      `for a; do set -- "$@" "$a"; [ "$a" = -y ] && set -- "$@" -t 0.2; shift; done\nexec ffmpeg "$@"`,
    );
    const events: ProxxEvent[] = [];
    const j = job([src.b!], { codec: "h264", container: "mp4" });
    const result = await executeJob(
      platform,
      j,
      opts({ tools: { ffmpeg: short, ffprobe: tools.ffprobe }, onEvent: (e) => events.push(e) }),
    );
    const clip = result.clips[0]!;
    expect(clip.failure_reason).toMatch(/^Verification failed: expected duration 0\.5\d\d s/);
    expect(clip.exit_code).toBe(0);
    expect(clip.failure_stage).toBe("verify");
    expect(clip.output_probe?.duration_seconds).toBeLessThan(0.3);
    expect(events.find((e) => e.type === "clip_finished")).toMatchObject({ failure_stage: "verify", exit_code: 0 });
    expect(existsSync(j.clips[0]!.output_path)).toBe(false);
    expect(partials()).toEqual([]);
  });

  test("a verified proxy that cannot be moved into place fails at stage finalize", async () => {
    const j = job([src.b!], { codec: "h264", container: "mp4" });
    // A non-empty folder where the proxy should go: the rename onto it fails.
    mkdirSync(j.clips[0]!.output_path);
    writeFileSync(join(j.clips[0]!.output_path, "keep"), "x");
    const result = await executeJob(platform, j, opts());
    expect(result.clips[0]!.failure_reason).toStartWith("Could not move the finished output into place");
    expect(result.clips[0]!.failure_stage).toBe("finalize");
    expect(partials()).toEqual([]);
  });

  test("existing output is replaced only by a verified new one", async () => {
    const j = job([src.b!], { codec: "h264", container: "mp4" });
    const out = j.clips[0]!.output_path;
    writeFileSync(out, "OLD");
    const fail = fakeTool("fail2-ffmpeg", "exit 1");
    const failed = await executeJob(platform, j, opts({ tools: { ffmpeg: fail, ffprobe: tools.ffprobe } }));
    expect(failed.final_status).toBe("FAILED");
    expect(readFileSync(out, "utf8")).toBe("OLD");
    const ok = await executeJob(platform, j, opts());
    expect(ok.final_status).toBe("COMPLETED");
    expect(ok.clips[0]!.failure_stage).toBeNull();
    expect(ok.clips[0]!.output_size_bytes).toBeGreaterThan(3);
    expect(ffprobeJson(out).streams[0].codec_name).toBe("h264");
    expect(partials()).toEqual([]);
  });
});
