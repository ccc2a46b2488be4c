/**
 * Renders the core's event stream for people and machines. One sink, three styles:
 * - `tty`: one live progress line per running clip (bar, fps, speed, ETA), replaced by the
 *   clip's final line; colour unless NO_COLOR.
 * - `plain` (stderr not a TTY, NO_COLOR or TERM=dumb): no animation, no ANSI codes; a progress
 *   line at most every 10 s and at 25/50/75 %.
 * - `json`: every event as one NDJSON line on stdout (docs/events.md).
 * Logs and progress go to stderr; only `json` writes to stdout.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink, ProxxEvent } from "../engine/events.ts";

export type Verbosity = "quiet" | "normal" | "verbose";

export interface RenderOptions {
  json: boolean;
  verbosity: Verbosity;
}

export interface TerminalStyle {
  live: boolean;
  color: boolean;
}

/** NO_COLOR (no-color.org) and TERM=dumb turn off both colour and animation. */
export function terminalStyle(platform: Platform): TerminalStyle {
  const dumb = platform.env("TERM") === "dumb";
  const noColor = (platform.env("NO_COLOR") ?? "") !== "";
  const tty = platform.isStderrTTY();
  return { live: tty && !dumb && !noColor, color: tty && !dumb && !noColor };
}

const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
const MILESTONES = [25, 50, 75];

export function createRenderer(platform: Platform, options: RenderOptions, style = terminalStyle(platform)): EventSink {
  if (options.json) return (event) => platform.writeStdout(`${JSON.stringify(event)}\n`);

  const paint = (code: string, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  let liveLineShown = false;
  const clearLive = () => {
    if (liveLineShown) platform.writeStderr("\r\x1b[2K");
    liveLineShown = false;
  };
  const log = (line: string) => {
    clearLive();
    platform.writeStderr(`${line}\n`);
  };
  const lastPlain = new Map<string, { at: number; milestone: number }>();

  return (event: ProxxEvent) => {
    const quiet = options.verbosity === "quiet";
    switch (event.type) {
      case "progress": {
        if (quiet) return;
        const line = progressLine(event, style.live);
        if (style.live) {
          platform.writeStderr(`\r\x1b[2K${line}`);
          liveLineShown = true;
          return;
        }
        const key = `${event.job_id}:${event.index}`;
        const now = platform.monotonic();
        const last = lastPlain.get(key) ?? { at: now, milestone: 0 };
        const milestone = MILESTONES.filter((m) => (event.percent ?? 0) >= m).pop() ?? 0;
        if (milestone > last.milestone || now - last.at >= PLAIN_PROGRESS_INTERVAL_MS) {
          log(line);
          lastPlain.set(key, { at: now, milestone: Math.max(milestone, last.milestone) });
        } else if (!lastPlain.has(key)) lastPlain.set(key, last);
        return;
      }
      case "clip_started":
        if (options.verbosity === "verbose") log(`      ffmpeg ${event.ffmpeg_command.slice(1).map(shellQuote).join(" ")}`);
        else if (!quiet && !style.live) log(`[${event.index + 1}/${event.total}] started ${basename(event.source_path)}`);
        return;
      case "clip_finished": {
        if (quiet && event.status === "COMPLETED") return;
        const head = `[${event.index + 1}/${event.total}] ${event.status === "COMPLETED" ? paint("32", "COMPLETED") : paint("31", "FAILED")} ${basename(event.source_path)} (${event.duration_seconds.toFixed(1)}s)`;
        log(event.status === "COMPLETED" ? `${head} → ${event.output_path}` : `${head}: ${event.failure_reason}`);
        return;
      }
      case "warning":
        log(paint("33", `warning: ${event.message}`));
        return;
      default:
        if (!quiet) {
          const line = watchLine(event);
          if (line) log(line);
        }
    }
  };
}

function progressLine(e: Extract<ProxxEvent, { type: "progress" }>, live: boolean): string {
  const pct = e.percent == null ? "  ?%" : `${e.percent.toFixed(0).padStart(3)}%`;
  const fps = e.fps == null ? "" : ` ${e.fps.toFixed(0)} fps`;
  const speed = e.speed == null ? "" : ` ${e.speed.toFixed(2)}x`;
  const eta = etaText(e);
  const bar = live && e.percent != null ? ` ${progressBar(e.percent, 20)}` : "";
  return `[${e.index + 1}/${e.total}] ${basename(e.source_path)}${bar} ${pct}${fps}${speed}${eta}`;
}

function etaText(e: Extract<ProxxEvent, { type: "progress" }>): string {
  if (e.percent == null || e.percent <= 0 || e.speed == null || e.speed <= 0) return "";
  const total = e.out_time_seconds / (e.percent / 100);
  const seconds = Math.max(0, (total - e.out_time_seconds) / e.speed);
  return ` ETA ${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;
}

export function progressBar(percent: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

function watchLine(event: ProxxEvent): string | null {
  switch (event.type) {
    case "scan":
      return `scan ${event.folder}: ${event.pending} pending, ${event.settling} settling, ${event.skipped} skipped`;
    case "job_taken":
      return `job taken: ${basename(event.jobspec_path)}`;
    case "skip":
      return `skip ${basename(event.jobspec_path)}: ${event.reason}`;
    case "settling":
      return `waiting for ${basename(event.jobspec_path)} to settle (unchanged for ${event.settle_seconds}s)`;
    case "job_result":
      return `${event.final_status} ${basename(event.jobspec_path)} → result ${event.result_path}, JobSpec moved to ${event.moved_to}`;
    case "recovered":
      return `recovered ${basename(event.jobspec_path)}: ${event.action}`;
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
