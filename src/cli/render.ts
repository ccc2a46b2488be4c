/**
 * Renders the core's event stream for people and machines. One sink, three styles:
 * - `tty` (stderr is a terminal): one live line for the running clip, repainted in place
 *   (`[2/5] clip.mov [#####.....] 48% 112 fps 4.5x ETA 0:07`), replaced by the clip's final
 *   line when it ends; colour for COMPLETED / FAILED / warnings.
 * - `plain` (stderr not a TTY, NO_COLOR set, or TERM=dumb): no animation and no ANSI codes
 *   at all; a progress line at most every 10 s per clip, plus one when a clip passes 25, 50
 *   and 75 %. Meant for log files, journald and CI logs.
 * - `json`: every event as one NDJSON line on stdout (docs/events.md), nothing else.
 * Logs and progress go to stderr; only `json` writes to stdout, so a command's own stdout
 * (a summary, a result JSON) stays clean.
 *
 * Verbosity: `quiet` shows only what needs attention (failed clips, jobs that did not
 * complete, warnings); `verbose` adds the exact FFmpeg command line of every clip and the
 * stderr tail of a failed one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentPlatform } from "../platform/current.ts";
 *
 * const stderr: string[] = [];
 * const platform = { ...(await currentPlatform()), writeStderr: (text: string) => void stderr.push(text) };
 * const render = createRenderer(platform, { json: false, verbosity: "normal" }, { live: false, color: false });
 * render({
 *   type: "clip_finished", job_id: "j", index: 0, total: 2, source_path: "/in/clip_a.mov",
 *   output_path: "/out/clip_a_proxy.mov", status: "COMPLETED", duration_seconds: 12.34,
 *   failure_reason: null, failure_stage: null, exit_code: 0, stderr_tail: [],
 * });
 * assert.match(stderr.join(""), /^\[1\/2\] COMPLETED clip_a\.mov \(12\.3s\)/);
 * ```
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink, ProxxEvent } from "../engine/events.ts";

export type Verbosity = "quiet" | "normal" | "verbose";

export interface RenderOptions {
  json: boolean;
  verbosity: Verbosity;
  /** Width the live line must fit in (a wrapped line cannot be repainted). Default: $COLUMNS, else 80. */
  columns?: number;
  /** `watch --recursive`: JobSpecs are named by their path below this folder (`a/job.json`), not their file name. */
  jobspecRoot?: string;
}

export interface TerminalStyle {
  /** Repaint a live progress line with `\r` + erase-line. */
  live: boolean;
  /** ANSI colours. */
  color: boolean;
}

/** NO_COLOR (no-color.org) and TERM=dumb turn off both colour and animation. */
export function terminalStyle(platform: Platform): TerminalStyle {
  const dumb = platform.env("TERM") === "dumb";
  const noColor = (platform.env("NO_COLOR") ?? "") !== "";
  const tty = platform.isStderrTTY();
  const fancy = tty && !dumb && !noColor;
  return { live: fancy, color: fancy };
}

/** Plain mode: at most one progress line per clip in this interval… */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
/** …plus one when a clip passes each of these percentages. */
export const PLAIN_MILESTONES = [25, 50, 75] as const;
const BAR_WIDTH = 20;
const ERASE_LINE = "\r\x1b[2K";

type ProgressEvent = Extract<ProxxEvent, { type: "progress" }>;

export function createRenderer(platform: Platform, options: RenderOptions, style = terminalStyle(platform)): EventSink {
  if (options.json) return (event) => platform.writeStdout(`${JSON.stringify(event)}\n`);

  const quiet = options.verbosity === "quiet";
  const verbose = options.verbosity === "verbose";
  const columns = options.columns ?? columnsFromEnv(platform);
  const paint = (code: string, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const jobName = jobNamer(options.jobspecRoot);

  // tty: the live line currently on screen ("" = none), so logs can erase it first.
  let liveLine = "";
  const showLive = (line: string) => {
    const fitted = fitLine(line, columns - 1); // never touch the last column: some terminals wrap there
    if (fitted === liveLine) return;
    platform.writeStderr(`${ERASE_LINE}${fitted}`);
    liveLine = fitted;
  };
  const clearLive = () => {
    if (liveLine !== "") platform.writeStderr(ERASE_LINE);
    liveLine = "";
  };
  const log = (line: string) => {
    clearLive();
    platform.writeStderr(`${line}\n`);
  };

  // plain: per clip, when the last progress line was printed and the highest milestone shown.
  const plainState = new Map<string, { at: number; milestone: number }>();
  const clipKey = (e: { job_id: string; index: number }) => `${e.job_id}\0${e.index}`;
  let lastScan = "";

  const onProgress = (event: ProgressEvent) => {
    if (style.live) {
      // On a narrow terminal the clip name matters more than the bar.
      const withBar = progressLine(event, { bar: true });
      return showLive(roomForName(withBar, columns - 1) ? withBar : progressLine(event, { bar: false }));
    }
    const key = clipKey(event);
    const now = platform.monotonic();
    const state = plainState.get(key);
    if (!state) {
      // The clip_started line stands for 0 %: the first line comes after 10 s or at 25 %.
      plainState.set(key, { at: now, milestone: reachedMilestone(event.percent) });
      return;
    }
    const milestone = reachedMilestone(event.percent);
    if (milestone > state.milestone || now - state.at >= PLAIN_PROGRESS_INTERVAL_MS) {
      log(progressLine(event, { bar: false }));
      plainState.set(key, { at: now, milestone: Math.max(milestone, state.milestone) });
    }
  };

  return (event: ProxxEvent) => {
    switch (event.type) {
      case "progress":
        if (!quiet) onProgress(event);
        return;
      case "clip_started": {
        const command = `${clipTag(event)} $ ${event.ffmpeg_command.map(shellQuote).join(" ")}`;
        if (quiet) return;
        plainState.set(clipKey(event), { at: platform.monotonic(), milestone: 0 });
        if (!style.live) log(`${clipTag(event)} started ${basename(event.source_path)}`);
        if (verbose) log(command);
        if (style.live) showLive(`${clipTag(event)} ${basename(event.source_path)} starting…`);
        return;
      }
      case "clip_finished": {
        plainState.delete(clipKey(event));
        if (quiet && event.status === "COMPLETED") return;
        const ok = event.status === "COMPLETED";
        const head = `${clipTag(event)} ${ok ? paint("32", "COMPLETED") : paint("31", "FAILED")} ` +
          `${basename(event.source_path)} (${event.duration_seconds.toFixed(1)}s)`;
        log(ok ? `${head} → ${event.output_path}` : `${head}: ${event.failure_reason}`);
        if (!ok && verbose) { for (const line of event.stderr_tail) log(`      ${line}`); }
        return;
      }
      case "job_finished":
        // An interrupted clip has no clip_finished: do not leave its live line behind.
        clearLive();
        return;
      case "warning":
        log(paint("33", `warning: ${event.message}`));
        return;
      case "scan": {
        // A polling runner scans every few seconds: say so only when the picture changed.
        const key = `${event.folder}\0${event.pending}\0${event.settling}\0${event.skipped}`;
        if (quiet || key === lastScan) return;
        lastScan = key;
        log(watchLine(event, jobName)!);
        return;
      }
      case "job_result":
        if (quiet && event.final_status === "COMPLETED") return;
        log(watchLine(event, jobName)!);
        return;
      case "hook_finished": {
        const ok = event.error === null && !event.timed_out && event.exit_code === 0;
        if (quiet && ok) return;
        log(ok ? hookLine(event) : paint("33", hookLine(event)));
        for (const line of event.output_tail) log(`  | ${line}`);
        return;
      }
      case "webhook_failed":
        return; // the warning that follows it says it, once
      case "webhook_delivered":
        if (quiet) return;
        log(
          `webhook ${event.webhook}: delivered the result of job ${event.job_id} ` +
            `(HTTP ${event.status}, ${event.attempts === 1 ? "1 try" : `${event.attempts} tries`})`,
        );
        return;
      default: {
        if (quiet) return;
        const line = watchLine(event, jobName);
        if (line) log(line);
      }
    }
  };
}

/** `hook ./notify.sh for job day1: exited 0 (0.2s)`, or how it failed. */
function hookLine(e: Extract<ProxxEvent, { type: "hook_finished" }>): string {
  const how = e.error !== null
    ? e.error
    : e.timed_out
    ? `timed out and was killed (${e.signal ?? "SIGKILL"})`
    : e.exit_code !== null
    ? `exited ${e.exit_code}`
    : `killed by ${e.signal}`;
  return `hook ${e.command[0]} for job ${e.job_id}: ${how} (${e.duration_seconds.toFixed(1)}s)`;
}

function clipTag(e: { index: number; total: number }): string {
  return `[${e.index + 1}/${e.total}]`;
}

function reachedMilestone(percent: number | null): number {
  let reached = 0;
  for (const m of PLAIN_MILESTONES) if (percent != null && percent >= m) reached = m;
  return reached;
}

/** `[2/5] clip.mov [#####...............]  25% 112 fps 4.50x ETA 0:07` (the bar only when live). */
export function progressLine(e: ProgressEvent, options: { bar: boolean }): string {
  const pct = e.percent == null ? "  ?%" : `${e.percent.toFixed(0).padStart(3)}%`;
  const bar = options.bar && e.percent != null ? ` ${progressBar(e.percent, BAR_WIDTH)}` : "";
  const fps = e.fps == null || e.fps <= 0 ? "" : ` ${e.fps.toFixed(0)} fps`;
  const speed = e.speed == null ? "" : ` ${e.speed.toFixed(2)}x`;
  const eta = etaSeconds(e);
  const etaText = eta == null ? "" : ` ETA ${formatDuration(eta)}`;
  const time = e.percent == null ? ` ${formatDuration(e.out_time_seconds)} done` : "";
  return `${clipTag(e)} ${basename(e.source_path)}${bar} ${pct}${fps}${speed}${time}${etaText}`;
}

/** Seconds left: remaining media time divided by the encoding speed (×realtime); null when unknown. */
export function etaSeconds(e: Pick<ProgressEvent, "percent" | "out_time_seconds" | "speed">): number | null {
  if (e.percent == null || e.percent <= 0 || e.speed == null || e.speed <= 0) return null;
  const total = e.out_time_seconds / (e.percent / 100);
  return Math.max(0, (total - e.out_time_seconds) / e.speed);
}

/** `0:07`, `12:30`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function progressBar(percent: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

/**
 * Fit a live line into `width` columns by shortening the longest word in the middle
 * (the clip name, in practice), so the percentage and ETA stay visible. Counts code
 * points; wide (CJK) characters may still overflow, which costs a stale line, not output.
 */
export function fitLine(line: string, width: number): string {
  const chars = [...line];
  if (chars.length <= width || width < 8) return chars.slice(0, Math.max(width, 0)).join("");
  const words = line.split(" ");
  let longest = 0;
  words.forEach((w, i) => {
    if ([...w].length > [...words[longest]!].length) longest = i;
  });
  const word = [...words[longest]!];
  const excess = chars.length - width;
  const keep = word.length - excess - 1; // one column for the ellipsis
  if (keep >= 3) {
    const head = Math.ceil(keep / 2);
    words[longest] = `${word.slice(0, head).join("")}…${word.slice(word.length - (keep - head)).join("")}`;
    return words.join(" ");
  }
  return `${chars.slice(0, width - 1).join("")}…`;
}

/** Whether `fitLine` can fit `line` into `width` and still show 16 characters of its longest word. */
function roomForName(line: string, width: number): boolean {
  const excess = [...line].length - width;
  if (excess <= 0) return true;
  const longest = Math.max(...line.split(" ").map((w) => [...w].length));
  return longest - excess - 1 >= 16;
}

function columnsFromEnv(platform: Platform): number {
  const n = Number(platform.env("COLUMNS"));
  return Number.isInteger(n) && n >= 20 ? n : 80;
}

/** How a JobSpec is named in the log: its file name, or its path below `root` (`watch --recursive`). */
function jobNamer(root: string | undefined): (path: string) => string {
  if (root === undefined) return basename;
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return (path) => (path.startsWith(prefix) ? path.slice(prefix.length) : basename(path));
}

function watchLine(event: ProxxEvent, jobName: (path: string) => string): string | null {
  switch (event.type) {
    case "shard":
      return `shard ${event.index}/${event.total} of ${event.folder} (from ${event.source})`;
    case "scan":
      return `scan ${event.folder}: ${event.pending} pending, ${event.settling} settling, ${event.skipped} skipped`;
    case "job_taken":
      return `job taken: ${jobName(event.jobspec_path)}`;
    case "skip":
      return `skip ${jobName(event.jobspec_path)}: ${event.reason}`;
    case "settling":
      return `waiting for ${jobName(event.jobspec_path)} to settle (unchanged for ${event.settle_seconds}s)`;
    case "job_result":
      return `${event.final_status} ${
        jobName(event.jobspec_path)
      } → result ${event.result_path}, JobSpec moved to ${event.moved_to}` +
        (event.failure_reason ? `\n  ${event.failure_reason.split("\n").join("\n  ")}` : "");
    case "job_left_pending":
      return `left pending ${jobName(event.jobspec_path)}: ${event.reason}`;
    case "recovered":
      return `recovered ${jobName(event.jobspec_path)}: ${event.action}`;
    case "stopping":
      return `${event.signal} received: finishing cleanly (send again to exit at once)`;
    case "job_started":
      return event.total_clips > 1 ? `job ${event.job_id}: ${event.total_clips} clips` : null;
    default:
      return null;
  }
}

export function basename(p: string): string {
  return p.split(/[/\\]/).pop() ?? p;
}

/** For showing commands only; proxx itself never runs a shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-.,:/=@+%]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
