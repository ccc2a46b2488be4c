import { describe, expect, test } from "bun:test";
import { FakePlatform } from "../helpers/fake-platform.ts";
import {
  createRenderer,
  etaSeconds,
  fitLine,
  formatDuration,
  progressBar,
  terminalStyle,
  type Verbosity,
} from "../../src/cli/render.ts";
import type { ProxxEvent } from "../../src/engine/events.ts";

const ESC = "\x1b";

function started(index = 0, total = 2, source = "/in/clip_a.mov"): ProxxEvent {
  return {
    type: "clip_started",
    job_id: "job1",
    index,
    total,
    source_path: source,
    output_path: "/out/clip_a_proxy.mov",
    ffmpeg_command: ["/usr/bin/ffmpeg", "-i", source, "-progress", "pipe:1", "/out/my clip.mov"],
  };
}

function progress(percent: number | null, outTime: number, index = 0, source = "/in/clip_a.mov"): ProxxEvent {
  return {
    type: "progress",
    job_id: "job1",
    index,
    total: 2,
    source_path: source,
    frame: Math.round(outTime * 25),
    out_time_seconds: outTime,
    percent,
    fps: 112,
    speed: 4.5,
  };
}

function finished(status: "COMPLETED" | "FAILED", index = 0): ProxxEvent {
  return {
    type: "clip_finished",
    job_id: "job1",
    index,
    total: 2,
    source_path: "/in/clip_a.mov",
    output_path: "/out/clip_a_proxy.mov",
    status,
    duration_seconds: 12.34,
    failure_reason: status === "FAILED" ? "FFmpeg exited with code 1" : null,
    failure_stage: status === "FAILED" ? "encode" : null,
    exit_code: status === "FAILED" ? 1 : 0,
    stderr_tail: status === "FAILED" ? ["Conversion failed!"] : [],
  };
}

function setup(
  opts: { tty?: boolean; env?: Record<string, string>; verbosity?: Verbosity; json?: boolean; columns?: number } = {},
) {
  const p = new FakePlatform({ env: opts.env });
  p.stderrTTY = opts.tty ?? false;
  const render = createRenderer(p, {
    json: opts.json ?? false,
    verbosity: opts.verbosity ?? "normal",
    columns: opts.columns,
  });
  return { p, render };
}

/** What a terminal would show: apply `\r` + erase-line, drop colour codes. */
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
  return lines;
}

describe("terminalStyle", () => {
  test("a TTY gets animation and colour", () => {
    const p = new FakePlatform();
    p.stderrTTY = true;
    expect(terminalStyle(p)).toEqual({ live: true, color: true });
  });
  test("not a TTY, NO_COLOR or TERM=dumb: neither", () => {
    const notTty = new FakePlatform();
    expect(terminalStyle(notTty)).toEqual({ live: false, color: false });
    for (const env of [{ NO_COLOR: "1" }, { TERM: "dumb" }] as Record<string, string>[]) {
      const p = new FakePlatform({ env });
      p.stderrTTY = true;
      expect(terminalStyle(p)).toEqual({ live: false, color: false });
    }
  });
  test("an empty NO_COLOR does not count (no-color.org)", () => {
    const p = new FakePlatform({ env: { NO_COLOR: "" } });
    p.stderrTTY = true;
    expect(terminalStyle(p).live).toBe(true);
  });
});

describe("TTY rendering", () => {
  test("one live line with clip i/N, name, bar, percent, fps, speed and ETA, replaced by the final line", () => {
    const { p, render } = setup({ tty: true });
    render(started());
    render(progress(25, 2.5));
    expect(p.stderr).toContain("\r\x1b[2K");
    const live = screen(p.stderr).at(-1)!;
    expect(live).toBe("[1/2] clip_a.mov [#####...............]  25% 112 fps 4.50x ETA 0:02");
    render(progress(50, 5));
    expect(screen(p.stderr).at(-1)).toContain("[##########..........]  50%");
    render(finished("COMPLETED"));
    const shown = screen(p.stderr);
    expect(shown).toEqual(["[1/2] COMPLETED clip_a.mov (12.3s) → /out/clip_a_proxy.mov", ""]);
    expect(p.stderr).toContain(`${ESC}[32mCOMPLETED${ESC}[0m`);
    expect(p.stdout).toBe("");
  });

  test("an identical repaint is not written again", () => {
    const { p, render } = setup({ tty: true });
    render(progress(25, 2.5));
    const before = p.stderr.length;
    render(progress(25, 2.5));
    expect(p.stderr.length).toBe(before);
  });

  test("a long clip name is shortened in the middle so the line never wraps", () => {
    const { p, render } = setup({ tty: true, columns: 60 });
    const long = `/in/${"A_very_long_camera_clip_name_".repeat(4)}end.mov`;
    render(progress(50, 5, 0, long));
    const live = screen(p.stderr).at(-1)!;
    expect([...live].length).toBeLessThanOrEqual(59);
    expect(live).toContain("…");
    expect(live).toContain("end.mov");
    expect(live).toContain("ETA 0:01");
    expect(live).not.toContain("[#"); // the bar gave way to the name
  });

  test("a log line (warning) erases the live line first; job_finished leaves no live line behind", () => {
    const { p, render } = setup({ tty: true });
    render(progress(10, 1));
    render({ type: "warning", message: "disk almost full" });
    render(progress(20, 2));
    render({
      type: "job_finished",
      job_id: "job1",
      jobspec_path: null,
      final_status: "INTERRUPTED",
      total_clips: 2,
      completed_clips: 0,
      failed_clips: 0,
      duration_seconds: 3,
    });
    expect(screen(p.stderr)).toEqual(["warning: disk almost full", ""]);
  });

  test("NO_COLOR on a TTY: no ANSI bytes at all", () => {
    const { p, render } = setup({ tty: true, env: { NO_COLOR: "1" } });
    render(started());
    for (let s = 0; s <= 10; s++) render(progress(s * 10, s));
    render(finished("FAILED"));
    expect(p.stderr).not.toContain(ESC);
    expect(p.stderr).not.toContain("\r");
  });
});

describe("plain rendering (not a TTY)", () => {
  test("no ANSI; a progress line at most every 10 s plus the 25/50/75 % milestones", () => {
    const { p, render } = setup({ tty: false });
    render(started(0, 2));
    // A 120 s clip encoded at 2x: 60 s of wall time, a progress block every 0.5 s.
    for (let t = 0; t <= 60; t += 0.5) {
      if (t > 0) p.advance(500);
      render(progress((t * 2 * 100) / 120, t * 2));
    }
    render(finished("COMPLETED"));
    expect(p.stderr).not.toContain(ESC);
    expect(p.stderr).not.toContain("\r");
    const progressLines = p.stderr.split("\n").filter((l) => l.includes("%"));
    const percents = progressLines.map((l) => Number(l.match(/(\d+)%/)![1]));
    // every 10 s = 16.7 %, and the milestones 25, 50, 75: never two lines within 10 s unless a milestone
    expect(percents).toEqual([17, 25, 42, 50, 67, 75, 92]);
    expect(p.stderr.split("\n")[0]).toBe("[1/2] started clip_a.mov");
    expect(progressLines[0]).toBe("[1/2] clip_a.mov  17% 112 fps 4.50x ETA 0:22");
  });

  test("fast progress: nothing between milestones, no more than one line per milestone", () => {
    const { p, render } = setup();
    render(started());
    for (let pct = 0; pct <= 100; pct += 1) render(progress(pct, pct / 10));
    const lines = p.stderr.trim().split("\n");
    expect(lines.filter((l) => l.includes("%")).map((l) => l.match(/(\d+)%/)![1])).toEqual(["25", "50", "75"]);
  });

  test("unknown duration: a line every 10 s showing the encoded time", () => {
    const { p, render } = setup();
    render(started());
    for (let s = 1; s <= 25; s++) {
      p.advance(1000);
      render(progress(null, s));
    }
    const lines = p.stderr.split("\n").filter((l) => l.includes("?%"));
    expect(lines).toEqual([
      "[1/2] clip_a.mov   ?% 112 fps 4.50x 0:10 done",
      "[1/2] clip_a.mov   ?% 112 fps 4.50x 0:20 done",
    ]);
  });

  test("a failed clip shows its reason", () => {
    const { p, render } = setup();
    render(finished("FAILED"));
    expect(p.stderr).toBe("[1/2] FAILED clip_a.mov (12.3s): FFmpeg exited with code 1\n");
  });
});

describe("verbosity", () => {
  test("--quiet: errors only", () => {
    for (const tty of [true, false]) {
      const { p, render } = setup({ tty, verbosity: "quiet" });
      render({ type: "job_started", job_id: "job1", jobspec_path: null, total_clips: 2 });
      render(started());
      render(progress(50, 5));
      render(finished("COMPLETED"));
      render({ type: "scan", folder: "/jobs", pending: 1, settling: 0, skipped: 0 });
      render({
        type: "job_result",
        jobspec_path: "/jobs/a.json",
        final_status: "COMPLETED",
        result_path: "/jobs/a.result.json",
        moved_to: "/jobs/processed/a.json",
        failure_reason: null,
      });
      expect(p.stderr).toBe("");
      render(finished("FAILED", 1));
      // deno-lint-ignore no-control-regex -- ANSI colour codes start with ESC
      expect(p.stderr.replace(/\x1b\[[0-9;]*m/g, "")).toBe(
        "[2/2] FAILED clip_a.mov (12.3s): FFmpeg exited with code 1\n",
      );
    }
  });

  test("--verbose: the FFmpeg command line, shell-quoted, and the stderr tail of a failure", () => {
    const { p, render } = setup({ verbosity: "verbose" });
    render(started());
    render(finished("FAILED"));
    expect(p.stderr).toContain("[1/2] $ /usr/bin/ffmpeg -i /in/clip_a.mov -progress pipe:1 '/out/my clip.mov'\n");
    expect(p.stderr).toContain("      Conversion failed!\n");
  });

  test("normal: no command lines", () => {
    const { p, render } = setup();
    render(started());
    expect(p.stderr).not.toContain("ffmpeg");
  });
});

describe("watch runner lines", () => {
  test("a repeated identical scan is not logged again (a polling runner would print one every 2 s)", () => {
    const { p, render } = setup();
    const scan = (pending: number) => render({ type: "scan", folder: "/jobs", pending, settling: 0, skipped: 3 });
    scan(0);
    scan(0);
    scan(0);
    scan(1);
    scan(0);
    expect(p.stderr.trim().split("\n")).toEqual([
      "scan /jobs: 0 pending, 0 settling, 3 skipped",
      "scan /jobs: 1 pending, 0 settling, 3 skipped",
      "scan /jobs: 0 pending, 0 settling, 3 skipped",
    ]);
  });

  test("a job that did not complete shows its reason, also with --quiet", () => {
    const { p, render } = setup({ verbosity: "quiet" });
    render({
      type: "job_result",
      jobspec_path: "/jobs/a.json",
      final_status: "PARTIAL",
      result_path: "/jobs/a.result.json",
      moved_to: "/jobs/failed/a.json",
      failure_reason: "JobSpec validation failed with 1 error(s):\n  codec: is required",
    });
    expect(p.stderr).toBe(
      "PARTIAL a.json → result /jobs/a.result.json, JobSpec moved to /jobs/failed/a.json\n  JobSpec validation failed with 1 error(s):\n    codec: is required\n",
    );
  });
});

describe("--json", () => {
  test("every event is one NDJSON line on stdout; progress carries frame, out_time_seconds, percent, fps, speed", () => {
    const { p, render } = setup({ json: true, tty: true });
    render(started());
    render(progress(42.5, 4.25));
    render(finished("COMPLETED"));
    expect(p.stderr).toBe("");
    const events = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["clip_started", "progress", "clip_finished"]);
    expect(events[1]).toMatchObject({ frame: 106, out_time_seconds: 4.25, percent: 42.5, fps: 112, speed: 4.5 });
  });
});

describe("helpers", () => {
  test("ETA is remaining media time over speed", () => {
    expect(etaSeconds({ percent: 25, out_time_seconds: 30, speed: 2 })).toBe(45);
    expect(etaSeconds({ percent: null, out_time_seconds: 30, speed: 2 })).toBeNull();
    expect(etaSeconds({ percent: 25, out_time_seconds: 30, speed: null })).toBeNull();
    expect(etaSeconds({ percent: 0, out_time_seconds: 0, speed: 1 })).toBeNull();
  });
  test("durations", () => {
    expect(formatDuration(7)).toBe("0:07");
    expect(formatDuration(750)).toBe("12:30");
    expect(formatDuration(3723)).toBe("1:02:03");
    expect(formatDuration(59.6)).toBe("1:00");
  });
  test("bar clamps", () => {
    expect(progressBar(-5, 4)).toBe("[....]");
    expect(progressBar(50, 4)).toBe("[##..]");
    expect(progressBar(150, 4)).toBe("[####]");
  });
  test("fitLine keeps short lines, shortens the longest word", () => {
    expect(fitLine("short line", 40)).toBe("short line");
    const out = fitLine("[1/1] abcdefghijklmnopqrstuvwxyz 50%", 25);
    expect([...out].length).toBe(25);
    expect(out.startsWith("[1/1] ")).toBe(true);
    expect(out.endsWith(" 50%")).toBe(true);
  });
});
