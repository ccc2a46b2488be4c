/**
 * What an operator sees: the real CLI (`bun src/main.ts run job.json`) in a real
 * pseudo-terminal (util-linux `script`), in a pipe (a log file, CI), and as `--json`
 * events. FFmpeg and ffprobe are small fake scripts (`--ffmpeg`, `--ffprobe`) that print
 * FFmpeg's `-progress` blocks at a fixed pace, so the progress shown is deterministic and
 * the test takes seconds. The JobSpec itself is made with `proxx new`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
// util-linux `script` (BSD `script` on macOS takes other options).
const hasScript = process.platform === "linux" && spawnSync("sh", ["-c", "command -v script"]).status === 0;

let root: string;
let jobPath: string;
let tools: string[];

/** 6 blocks of 0.5 s media time (source: 4 s) every 0.05 s, then `progress=end`; writes the output. */
const FAKE_FFMPEG = `#!/bin/sh
for a; do last=$a; done
out=\${last#file:}
i=1
while [ $i -le 6 ]; do
  printf 'frame=%d\\nfps=50.0\\nout_time_us=%d\\nspeed=2.00x\\nprogress=continue\\n' $((i * 12)) $((i * 500000))
  sleep 0.05
  i=$((i + 1))
done
printf 'frame=100\\nfps=50.0\\nout_time_us=4000000\\nspeed=2.00x\\nprogress=end\\n'
printf 'proxy' > "$out"
`;

/** Source: 4 s 320x240 H.264, no audio. Output (the hidden partial): what prores_proxy at half size must be. */
const FAKE_FFPROBE = `#!/bin/sh
for a; do last=$a; done
case "$last" in
  *.proxx-partial) echo '{"format":{"format_name":"mov,mp4","duration":"4.000000"},"streams":[{"codec_type":"video","codec_name":"prores","profile":"Proxy","width":160,"height":120,"pix_fmt":"yuv422p10le","avg_frame_rate":"25/1"}]}' ;;
  *) echo '{"format":{"format_name":"mov,mp4","duration":"4.000000"},"streams":[{"codec_type":"video","codec_name":"h264","width":320,"height":240,"pix_fmt":"yuv420p","avg_frame_rate":"25/1"}]}' ;;
esac
`;

/** The environment of an interactive terminal: no NO_COLOR inherited from the test runner. */
function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== "NO_COLOR" && k !== "COLUMNS") env[k] = v;
  }
  return { ...env, TERM: "xterm-256color", ...extra };
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Run `proxx <args>` inside a pseudo-terminal; returns everything the terminal received. */
function inPty(args: string[], env: Record<string, string> = {}) {
  const command = [process.execPath, MAIN, ...args].map(shQuote).join(" ");
  const r = spawnSync("script", ["-qfec", command, "/dev/null"], {
    encoding: "utf8",
    env: terminalEnv(env),
    cwd: root,
    timeout: 30_000,
  });
  return { code: r.status, output: r.stdout.replaceAll("\r\n", "\n") };
}

function piped(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: "utf8",
    env: terminalEnv(env),
    cwd: root,
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the terminal shows once done: `\r` + erase-line wipes the line, colour codes dropped. */
function screen(raw: string): string[] {
  const lines: string[] = [""];
  // deno-lint-ignore no-control-regex -- ANSI colour codes start with ESC
  const text = raw.replace(/\x1b\[[0-9;]*m/g, "");
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("\r\x1b[2K", i)) {
      lines[lines.length - 1] = "";
      i += 4;
    } else if (text[i] === "\n") lines.push("");
    else lines[lines.length - 1] += text[i];
  }
  return lines.filter((l) => l !== "");
}

function freshOutput() {
  rmSync(join(root, "out"), { recursive: true, force: true });
  mkdirSync(join(root, "out"));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "proxx-progress-"));
  mkdirSync(join(root, "clips"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "jobs"));
  for (const name of ["a.mov", "b.mov"]) writeFileSync(join(root, "clips", name), "not really a movie");
  writeFileSync(join(root, "bin/ffmpeg"), FAKE_FFMPEG);
  writeFileSync(join(root, "bin/ffprobe"), FAKE_FFPROBE);
  chmodSync(join(root, "bin/ffmpeg"), 0o755);
  chmodSync(join(root, "bin/ffprobe"), 0o755);
  tools = ["--ffmpeg", join(root, "bin/ffmpeg"), "--ffprobe", join(root, "bin/ffprobe")];
  freshOutput();
  const made = piped(["new", "-s", "clips/*.mov", "-o", "out", "--job-id", "tty", "--into", "."]);
  if (made.code !== 0) throw new Error(`proxx new failed: ${made.stderr}`);
  jobPath = made.stdout.trim();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!hasScript)("in a terminal", () => {
  test("one live line per clip (i/N, name, bar, percent, fps, speed, ETA), each replaced by the clip's final line", () => {
    freshOutput();
    const r = inPty(["run", jobPath, ...tools], { COLUMNS: "100" });
    expect(r.code).toBe(0);
    // live repaints
    expect(r.output).toContain("\r\x1b[2K");
    expect(r.output).toMatch(/\[1\/2\] a\.mov \[#{5}\.{15}\] {2}25% 50 fps 2\.00x ETA 0:02/);
    expect(r.output).toMatch(/\[2\/2\] b\.mov \[#{15}\.{5}\] {2}75% 50 fps 2\.00x ETA 0:01/);
    expect(r.output).toContain("\x1b[32mCOMPLETED\x1b[0m");
    // what stays on screen: the final lines, no progress leftovers
    const shown = screen(r.output);
    expect(shown.filter((l) => l.includes("%"))).toEqual([]);
    expect(shown.filter((l) => /^\[\d\/2\] COMPLETED .* → /.test(l)).map((l) => l.replace(/\(\d+\.\ds\)/, "(t)")))
      .toEqual([
        `[1/2] COMPLETED a.mov (t) → ${join(root, "out/a_proxy.mov")}`,
        `[2/2] COMPLETED b.mov (t) → ${join(root, "out/b_proxy.mov")}`,
      ]);
    expect(readdirSync(join(root, "out")).sort()).toEqual(["a_proxy.mov", "b_proxy.mov"]);
  });

  test("NO_COLOR in a terminal: plain lines, not one ANSI byte; --verbose adds the FFmpeg command line", () => {
    freshOutput();
    const r = inPty(["run", jobPath, "--verbose", ...tools], { NO_COLOR: "1" });
    expect(r.code).toBe(0);
    expect(r.output).not.toContain("\x1b");
    expect(r.output).toContain("[1/2] a.mov  50% 50 fps 2.00x ETA 0:01");
    expect(r.output).toContain(`[1/2] $ ${join(root, "bin/ffmpeg")} -hide_banner`);
    expect(r.output).toContain("-progress pipe:1");
  });
});

describe("not a terminal (log file, CI)", () => {
  test("no ANSI bytes; progress only at 25/50/75 % (the 10 s interval never comes in a short clip)", () => {
    freshOutput();
    const r = piped(["run", jobPath, ...tools]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("\x1b");
    expect(r.stderr).not.toContain("\r");
    expect(r.stderr.split("\n").filter((l) => l !== "").map((l) => l.replace(/\(\d+\.\ds\).*/, "(t)"))).toEqual([
      "job tty: 2 clips",
      "[1/2] started a.mov",
      "[1/2] a.mov  25% 50 fps 2.00x ETA 0:02",
      "[1/2] a.mov  50% 50 fps 2.00x ETA 0:01",
      "[1/2] a.mov  75% 50 fps 2.00x ETA 0:01",
      "[1/2] COMPLETED a.mov (t)",
      "[2/2] started b.mov",
      "[2/2] b.mov  25% 50 fps 2.00x ETA 0:02",
      "[2/2] b.mov  50% 50 fps 2.00x ETA 0:01",
      "[2/2] b.mov  75% 50 fps 2.00x ETA 0:01",
      "[2/2] COMPLETED b.mov (t)",
    ]);
    expect(r.stdout).toContain("Multi-Clip Job: tty");
  });

  test("--quiet: nothing at all when every clip completes", () => {
    freshOutput();
    const r = piped(["run", jobPath, "--quiet", ...tools]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("watch --json: progress events carry frame, out_time_seconds, percent, fps, speed", () => {
    freshOutput();
    const folder = join(root, "jobs");
    expect(piped(["new", "-s", "clips/a.mov", "-o", "out", "--job-id", "json", "--into", folder]).code).toBe(0);
    const r = piped(["watch", folder, "--once", "--json", "--settle-seconds", "0", ...tools]);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.length).toBe(7);
    expect(progress[0]).toEqual({
      type: "progress",
      job_id: "json",
      index: 0,
      total: 1,
      source_path: join(root, "clips/a.mov"),
      frame: 12,
      out_time_seconds: 0.5,
      percent: 12.5,
      fps: 50,
      speed: 2,
    });
    expect(progress.at(-1).percent).toBe(100);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        "scan",
        "job_taken",
        "job_started",
        "clip_started",
        "clip_finished",
        "job_finished",
        "job_result",
      ]),
    );
  });
});
