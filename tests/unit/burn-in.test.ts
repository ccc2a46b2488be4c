/**
 * The burn-in's text and layout without FFmpeg: the running timecode's drawtext expressions
 * count exactly as timecode.ts (and FFmpeg) count, across minutes, ten-minute marks and
 * midnight; literals are escaped for drawtext's expansion; the JobSpec refuses what cannot be
 * drawn, naming the field; the watermark image becomes a second input.
 */
import { describe, expect, test } from "bun:test";
import {
  burnInFilters,
  type BurnInItem,
  drawtextContent,
  literalText,
  textProblems,
  timecodeExpansion,
} from "../../src/looks/burn-in.ts";
import { timecodeCount } from "../../src/ffmpeg/timecode.ts";
import { buildFfmpegArgs, type SourceFacts } from "../../src/ffmpeg/args.ts";
import { JobSpecSchema } from "../../src/jobspec/schema.ts";
import { parseBurnInFlag } from "../../src/cli/new.ts";
import { prepareOverlayFiles } from "../../src/looks/overlays.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** drawtext's evaluation of the expansion for frame n: each %{eif:EXPR:d:W} in JavaScript. */
function render(expansion: string, n: number): string {
  return expansion.replace(/%\{eif:([^:}]*):d(?::(\d+))?\}/g, (_m, expr: string, width?: string) => {
    const js = expr.replace(/\bif\(/g, "iff(");
    const value = new Function(
      "n",
      "mod",
      "floor",
      "gt",
      "iff",
      `return ${js};`,
    )(
      n,
      (a: number, b: number) => a - b * Math.floor(a / b),
      Math.floor,
      (a: number, b: number) => (a > b ? 1 : 0),
      (c: number, a: number, b: number) => (c ? a : b),
    ) as number;
    return String(value).padStart(Number(width ?? 0), "0");
  });
}

describe("running timecode", () => {
  const cases: [string, number, number[]][] = [
    ["01:00:59;28", 30000 / 1001, [0, 1, 2, 3, 59, 1800, 17982, 17983, 18000]],
    ["00:09:59;29", 30000 / 1001, [0, 1, 2, 1799, 1800, 1801]],
    ["23:59:59;29", 30000 / 1001, [0, 1, 2]],
    ["00:00:59;59", 60000 / 1001, [0, 1, 4, 5, 3596]],
    ["10:00:00:00", 25, [0, 24, 25, 90000]],
    ["23:59:59:23", 24, [0, 1, 2]],
    ["00:59:59:119", 120, [0, 1]],
  ];
  for (const [start, fps, frames] of cases) {
    test(`from ${start} at ${fps.toFixed(3)} fps: frame n is the label n frames on`, () => {
      const expansion = timecodeExpansion(fps, start);
      const first = timecodeCount(start, fps)!;
      const day = first.drop
        ? 24 * 3600 * first.nominal - (first.nominal / 15) * (24 * 60 - 24 * 6)
        : 24 * 3600 * first.nominal;
      for (const n of frames) {
        const label = render(expansion, n);
        const count = timecodeCount(label, fps)!;
        expect({ n, label, frames: count.frames }).toEqual({ n, label, frames: (first.frames + n) % day });
        expect(label.includes(";")).toBe(first.drop);
        // Drop-frame skips ;00 and ;01 (;00-;03 at 59.94) except every tenth minute.
        const m = /:(\d\d);(\d\d)$/.exec(label);
        if (m && Number(m[1]) % 10 !== 0) expect(Number(m[2])).toBeGreaterThanOrEqual(fps > 40 ? 4 : 2);
      }
    });
  }
  test("known labels", () => {
    expect(render(timecodeExpansion(30000 / 1001, "01:00:59;28"), 59)).toBe("01:01:01;29");
    expect(render(timecodeExpansion(30000 / 1001, "01:00:59;28"), 2)).toBe("01:01:00;02");
    expect(render(timecodeExpansion(30000 / 1001, "00:09:59;29"), 1)).toBe("00:10:00;00");
    expect(render(timecodeExpansion(25, null), 26)).toBe("00:00:01:01");
    expect(render(timecodeExpansion(30000 / 1001, null), 30)).toBe("00:00:01:00"); // no source label: non-drop from 0
  });
});

describe("text for drawtext", () => {
  const ctx = {
    values: {
      source_name: "A%b\\c",
      source_ext: "mov",
      job_id: "j1",
      date: "20261201",
      time: "120000",
      index: "000",
      codec: "prores_proxy",
      resolution: "half",
      reel: "",
    },
    fps: 25,
    timecode: "01:00:00:00",
  };
  test("literals keep every character: only \\ and % are escaped, for drawtext's expansion", () => {
    expect(literalText("100% \\ : ' , ; [x] {y z} ü")).toBe("100\\% \\\\ : ' , ; [x] {y z} ü");
    expect(drawtextContent("{source_name}|{reel}|{job_id} {frame}", ctx)).toBe("A\\%b\\\\c||j1 %{eif:n:d}");
    expect(drawtextContent("{ frame } {unknown", ctx)).toBe("{ frame } {unknown");
  });
  test("what cannot be drawn is refused", () => {
    expect(textProblems("a\nb")[0]).toContain("control characters");
    expect(textProblems("{timecod}")[0]).toContain("unknown token {timecod}");
    expect(textProblems("{timecode} {frame} {reel} {source_name} { spaced } 50%")).toEqual([]);
  });
});

describe("layout", () => {
  const item = (text: string, position: BurnInItem["position"], box = true): BurnInItem => ({
    text,
    position,
    size: 0.045,
    box,
  });
  const place = (f: string) => ({ x: /:x=([^:]+)/.exec(f)![1], y: Number(/:y=(\d+)/.exec(f)![1]) });
  test("items at one position stack in list order; sizes and margins from the frame height", () => {
    // 540 high: 24 px text, a 6 px box border, 41 px a line, a 16 px margin.
    const f = burnInFilters(
      [item("a", "bottom-left"), item("b", "top"), item("c", "bottom-left"), item("d", "top-right", false)],
      540,
      "/f.ttf",
      ["/1", "/2", "/3", "/4"],
    );
    expect(f.map(place)).toEqual([
      { x: "22", y: 540 - 16 - 82 + 6 },
      { x: "(w-text_w)/2", y: 16 + 6 },
      { x: "22", y: 540 - 16 - 41 + 6 },
      { x: "w-text_w-16", y: 16 },
    ]);
    expect(f[0]).toContain(":fontsize=24:");
    expect(f[0]).toContain(":box=1:boxcolor=black@0.6:boxborderw=6");
    expect(f[3]).toContain(":borderw=2:bordercolor=black");
  });
});

describe("JobSpec fields", () => {
  const base = {
    sources: ["a.mov"],
    output_directory: "out",
    codec: "prores_proxy",
    container: "mov",
    resolution: "half",
    naming_template: "{source_name}",
  };
  test("burn_in defaults: bottom, 0.045 of the height, boxed", () => {
    const spec = JobSpecSchema.parse({ ...base, burn_in: [{ text: "{timecode}" }] });
    expect(spec.burn_in).toEqual([{ text: "{timecode}", position: "bottom", size: 0.045, box: true }]);
  });
  test("errors name the field", () => {
    const r = JobSpecSchema.safeParse({ ...base, burn_in: [{ text: "x", position: "middle", size: 2 }] });
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(["burn_in.0.position", "burn_in.0.size"]);
    const w = JobSpecSchema.safeParse({ ...base, watermark: { image: "logo.gif" } });
    expect(JSON.stringify(w.error!.issues)).toContain("watermark");
  });
  test("watermark: text or image, with opacity, position and size defaults", () => {
    expect(JobSpecSchema.parse({ ...base, watermark: { text: "C" } }).watermark)
      .toEqual({ text: "C", opacity: 0.3, position: "center", size: 0.1 });
    expect(JobSpecSchema.parse({ ...base, watermark: { image: "l.png", opacity: 1 } }).watermark)
      .toEqual({ image: "l.png", opacity: 1, position: "bottom-right", size: 0.15 });
    expect(JobSpecSchema.safeParse({ ...base, watermark: { text: "C", opacity: 1.5 } }).success).toBe(false);
  });
  test("--burn-in takes a position prefix only when it is a position name", () => {
    expect(parseBurnInFlag("bottom-right={timecode}")).toEqual({ text: "{timecode}", position: "bottom-right" });
    expect(parseBurnInFlag("a=b")).toEqual({ text: "a=b" });
    expect(parseBurnInFlag("{timecode}")).toEqual({ text: "{timecode}" });
  });
});

describe("argv", () => {
  const source: SourceFacts = {
    video: { width: 1920, height: 1080, pix_fmt: "yuv422p10le", frame_rate: "25/1" },
    audio: [{ channels: 2, sample_rate: 48000 }],
    timecode: "10:00:00:00",
    reel_name: null,
  };
  const plan = {
    input: "/s/a.mov",
    output: "/o/.a.mov.proxx-partial",
    codec: "prores_proxy" as const,
    container: "mov" as const,
    resolution: "half" as const,
    fps: null,
  };
  test("an image watermark is input 1 in a filter_complex; the audio still maps from input 0", () => {
    const args = buildFfmpegArgs({
      ...plan,
      watermark: { image: "/l/logo.png", opacity: 0.5, position: "top-left", size: 0.1 },
      burn_in: [{ text: "{timecode}", position: "bottom", size: 0.045, box: true }],
      overlay_files: { font: "/f/font.ttf", texts: ["/t/1.txt"] },
    }, source);
    expect(args.filter((a) => a === "-i").length).toBe(2);
    expect(args[args.indexOf("-i", args.indexOf("-i") + 1) + 1]).toBe("file:/l/logo.png");
    const graph = args[args.indexOf("-filter_complex") + 1]!;
    expect(graph).toStartWith("[0:v:0]scale=trunc(iw/4)*2:trunc(ih/4)*2[base];[1:v:0]scale=-1:54,");
    expect(graph).toContain("colorchannelmixer=aa=0.5");
    expect(graph).toEndWith("[vout]");
    expect(graph).toContain("[marked]drawtext=fontfile=/f/font.ttf:textfile=/t/1.txt:expansion=normal:");
    expect(graph).toEndWith(",format=yuv422p10le[vout]");
    expect(args.slice(args.indexOf("-map"), args.indexOf("-map") + 4)).toEqual(["-map", "[vout]", "-map", "0:a?"]);
    expect(args).not.toContain("-vf");
  });
  test("without a look the argv is as before; burn-ins without their files are a bug, not a silent skip", () => {
    expect(buildFfmpegArgs(plan, source)).not.toContain("-filter_complex");
    expect(() =>
      buildFfmpegArgs({ ...plan, burn_in: [{ text: "x", position: "top", size: 0.05, box: false }] }, source)
    )
      .toThrow("not prepared");
  });
});

describe("text files", () => {
  test("each clip has its own, even with the same text (--max-workers), and removes only its own", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "proxx-overlay-files-"));
    const platform = { ...bunPlatform(), tempDir: () => tmp };
    const a = (await prepareOverlayFiles(platform, "/out/a.mov", ["CONFIDENTIAL", "x"]))!;
    const b = (await prepareOverlayFiles(platform, "/out/b.mov", ["CONFIDENTIAL", "x"]))!;
    expect(a.files.texts[0]).not.toBe(b.files.texts[0]);
    expect(a.files.texts[0]!.startsWith(join(tmp, `proxx-${platform.pid}-text-`))).toBe(true);
    expect(readFileSync(b.files.texts[0]!, "utf8")).toBe("CONFIDENTIAL");
    await a.remove();
    expect(a.files.texts.map(existsSync)).toEqual([false, false]);
    expect(b.files.texts.map(existsSync)).toEqual([true, true]);
    await b.remove();
    expect(await prepareOverlayFiles(platform, "/out/c.mov", [])).toBeNull();
  });
});
