/**
 * Burn-ins and watermarks, checked on pixels: real FFmpeg, the real CLI, frames decoded from
 * the proxies. A drawn region differs from the same proxy without it while the rest of the
 * frame is unchanged; the running drop-frame timecode is, frame for frame, what FFmpeg's own
 * `timecode=` option draws, and at a known frame what `text=` draws with the bundled font;
 * hostile characters in the text, the source's name and the temp folder's path are drawn as
 * written; an image watermark shows at its opacity.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { proxx, tempDir } from "../helpers/cli.ts";
import { makeClip } from "../helpers/media.ts";
import { filterValue } from "../../src/looks/filter-escape.ts";

const W = 320;
const H = 240;
let dir = "";
let source = "";
const NAME = "clip %a'b,c;d [ü]";

beforeAll(() => {
  dir = tempDir("proxx-burn-");
  source = makeClip(dir, `${NAME}.mov`, {
    width: W,
    height: H,
    fps: "30000/1001",
    seconds: 3,
    timecode: "01:00:59;28",
    audioChannels: [2],
  });
});

interface Run {
  output: string;
  command: string[];
  status: string;
}

let runs = 0;
/** Run a one-clip job with these extra JobSpec fields; the proxy, its FFmpeg argv, its status. */
function runJob(extra: Record<string, unknown>, env: Record<string, string> = {}): Run {
  const out = join(dir, `out${runs++}`);
  mkdirSync(out);
  const job = join(dir, `job${runs}.json`);
  writeFileSync(
    job,
    JSON.stringify({
      sources: [source],
      output_directory: out,
      codec: "prores_proxy",
      container: "mov",
      resolution: "same",
      naming_template: "{source_name}",
      ...extra,
    }),
  );
  const r = proxx(["run", "--json", job], { env });
  const result = JSON.parse(r.stdout);
  const clip = result.clips[0];
  return { output: clip.resolved_output_path, command: clip.ffmpeg_command, status: clip.status };
}

/** Frame `n` of the file's picture as 8-bit RGB. */
function frame(file: string, n: number): Buffer {
  const r = spawnSync("ffmpeg", [
    ...["-v", "error", "-i", file, "-vf", `select=eq(n\\,${n})`, "-frames:v", "1"],
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
  ], { maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

/** One MD5 per decoded video frame. */
function frameHashes(file: string): string[] {
  const r = spawnSync("ffmpeg", ["-v", "error", "-i", file, "-map", "0:v:0", "-f", "framemd5", "-"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)!.trim());
}

/** Largest difference of any channel in the rows [y0, y1) and columns [x0, x1). */
function maxDiff(a: Buffer, b: Buffer, x0: number, x1: number, y0: number, y1: number): number {
  let max = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * W + x) * 3 + c;
        max = Math.max(max, Math.abs(a[i]! - b[i]!));
      }
    }
  }
  return max;
}

function meanChannel(buf: Buffer, x0: number, x1: number, y0: number, y1: number): number {
  let sum = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum += buf[(y * W + x) * 3 + c]!;
  }
  return sum / ((x1 - x0) * (y1 - y0) * 3);
}

/** The same FFmpeg command with one drawtext's text source replaced, writing `output`. */
function rerun(command: string[], replace: (graph: string) => string, output: string): string {
  const args = command.slice(1).map((a) => (a.endsWith(".proxx-partial") ? `file:${output}` : a));
  const vf = args.indexOf("-vf");
  args[vf + 1] = replace(args[vf + 1]!);
  const r = spawnSync(command[0]!, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return output;
}
const TEXT_SOURCE = /textfile=.*?:expansion=normal/;

describe("burn-ins on pixels", () => {
  let plain: Run;
  beforeAll(() => {
    plain = runJob({});
  });

  test("the burn-in region differs from the same proxy without it; the rest of the frame is the same", () => {
    const burnt = runJob({ burn_in: [{ text: "{timecode}", position: "bottom-left" }] });
    expect([plain.status, burnt.status]).toEqual(["COMPLETED", "COMPLETED"]);
    const a = frame(plain.output, 30);
    const b = frame(burnt.output, 30);
    // The box: from the bottom margin (7 px) up 19 px, from the left margin; ProRes codes 16-row slices.
    expect(maxDiff(a, b, 0, 100, 214, 233)).toBeGreaterThan(100);
    expect(meanChannel(b, 8, 80, 215, 232)).toBeLessThan(meanChannel(a, 8, 80, 215, 232));
    expect(maxDiff(a, b, 0, W, 0, 208)).toBeLessThanOrEqual(2);
  });

  test("the running drop-frame timecode is FFmpeg's own timecode count, frame for frame, and the right text at frame 59", () => {
    const burnt = runJob({ burn_in: [{ text: "{timecode}", position: "top-left", box: false }] });
    expect(burnt.status).toBe("COMPLETED");
    // FFmpeg's drawtext counts drop-frame itself with the label single-quoted and the rate a rational.
    const own = rerun(
      burnt.command,
      (g) => g.replace(TEXT_SOURCE, "timecode='01\\:00\\:59;28':rate=30000/1001"),
      join(dir, "own-timecode.mov"),
    );
    const ours = frameHashes(burnt.output);
    expect(ours.length).toBe(90);
    expect(ours).toEqual(frameHashes(own));
    // Frame 59 of a count from 01:00:59;28: ;29, then 01:01:00;02 (;00 and ;01 are dropped), … 01:01:01;29.
    const text = rerun(
      burnt.command,
      (g) => g.replace(TEXT_SOURCE, "text='01\\:01\\:01\\;29':expansion=none"),
      join(dir, "text-5929.mov"),
    );
    expect(ours[59]).toBe(frameHashes(text)[59]!);
    expect(ours[58]).not.toBe(frameHashes(text)[58]!);
  });

  test("hostile characters in the text, the source's name and the temp folder's path are drawn as written", () => {
    const tmp = join(dir, "tmp 'q' ,;[]%:=\\");
    mkdirSync(tmp);
    const text = "{source_name} 100% : ' \\ , ; [x] %{eif:1:d} \\% {not a token} € ü";
    const burnt = runJob({ burn_in: [{ text, position: "center" }] }, { TMPDIR: tmp });
    expect(burnt.status).toBe("COMPLETED");
    const graph = burnt.command[burnt.command.indexOf("-vf") + 1]!;
    expect(graph.match(/drawtext=/g)?.length).toBe(1);
    // The same characters through text= with drawtext's expansion off, quoted for the graph.
    const literal = text.replace("{source_name}", NAME);
    const ref = rerun(
      burnt.command,
      (g) => g.replace(TEXT_SOURCE, `text=${filterValue(literal)}:expansion=none`.replaceAll("$", "$$$$")),
      join(dir, "hostile-ref.mov"),
    );
    expect(frameHashes(burnt.output)).toEqual(frameHashes(ref));
    expect(maxDiff(frame(plain.output, 0), frame(burnt.output, 0), 0, W, 100, 140)).toBeGreaterThan(100);
    // The text files are gone once FFmpeg has ended.
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe("watermarks on pixels", () => {
  test("an image at opacity 0.5 lies half-way to its colour; the rest of the frame is the same", () => {
    const logo = join(dir, "logo %,;'.png");
    const r = spawnSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=white:s=40x40", "-frames:v", "1", logo]);
    expect(r.status).toBe(0);
    copyFileSync(logo, join(dir, "logo.png"));
    const plain = runJob({});
    const marked = runJob({ watermark: { image: logo, opacity: 0.5, position: "top-left", size: 0.25 } });
    expect(marked.status).toBe("COMPLETED");
    expect(marked.command).toContain("-filter_complex");
    const a = frame(plain.output, 10);
    const b = frame(marked.output, 10);
    // 60 px high at the 7 px margin: inside it the picture is half-way to white (the mean over
    // its inner part, away from the edges, where ProRes's 4:2:2 chroma blocks ring).
    const before = meanChannel(a, 20, 56, 20, 56);
    const after = meanChannel(b, 20, 56, 20, 56);
    expect(Math.abs(after - (before + 255) / 2)).toBeLessThanOrEqual(4);
    expect(255 - before).toBeGreaterThan(60); // so 0.5 is told apart from 0.4 or 0.6
    expect(maxDiff(a, b, 0, W, 80, H)).toBeLessThanOrEqual(2);
    const probe = spawnSync("ffprobe", [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt,profile", "-of", "csv=p=0"],
      marked.output,
    ], { encoding: "utf8" });
    expect(probe.stdout.trim()).toBe("Proxy,yuv422p10le");
  });

  test("a text watermark at opacity 0.3 lightens the frame where it is drawn, and only there", () => {
    const plain = runJob({});
    const marked = runJob({ watermark: { text: "CONFIDENTIAL", opacity: 0.3 } });
    expect(marked.status).toBe("COMPLETED");
    const a = frame(plain.output, 5);
    const b = frame(marked.output, 5);
    expect(maxDiff(a, b, 0, W, 96, 144)).toBeGreaterThan(20);
    // At 0.3 the picture shows through: no drawn pixel is white (or black) outright.
    expect(maxDiff(a, b, 0, W, 96, 144)).toBeLessThan(200);
    expect(maxDiff(a, b, 0, W, 0, 80)).toBeLessThanOrEqual(2);
    expect(maxDiff(a, b, 0, W, 160, H)).toBeLessThanOrEqual(2);
  });
});

describe("checked before FFmpeg starts", () => {
  test("the watermark image is relative to the JobSpec and must exist; bad burn-in text names the field", () => {
    const folder = join(dir, "validate");
    mkdirSync(join(folder, "art"), { recursive: true });
    mkdirSync(join(folder, "out"));
    copyFileSync(source, join(folder, "a.mov"));
    const job = join(folder, "job.json");
    const write = (extra: Record<string, unknown>) =>
      writeFileSync(
        job,
        JSON.stringify({
          sources: ["a.mov"],
          output_directory: "out",
          proxy_profile: "proxy_prores_proxy",
          naming_template: "{source_name}",
          ...extra,
        }),
      );
    write({ watermark: { image: "art/logo.png" } });
    const missing = proxx(["validate", job], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr + missing.stdout).toContain(
      `watermark.image: file does not exist: ${join(folder, "art", "logo.png")}`,
    );
    const r = spawnSync("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "color=red:s=8x8",
      "-frames:v",
      "1",
      join(folder, "art", "logo.png"),
    ]);
    expect(r.status).toBe(0);
    expect(proxx(["validate", job], { cwd: dir }).code).toBe(0);
    write({ burn_in: [{ text: "line 1\nline 2" }, { text: "{timecod}" }] });
    const bad = proxx(["validate", job], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr + bad.stdout).toContain("burn_in[0].text: must not contain control characters");
    expect(bad.stderr + bad.stdout).toContain("burn_in[1].text: unknown token {timecod}");
  });
});
