/**
 * Run one FFmpeg process with a deadline and a clean way to stop it.
 *
 * Stopping (timeout or operator abort): write `q` to stdin (FFmpeg finalises and exits),
 * then SIGTERM after `graceMs`, then SIGKILL after another `graceMs`. We always await
 * `exited`, so the child is reaped before we return: no zombie, no FFmpeg still writing
 * into a temp file we are about to delete.
 *
 * Memory stays bounded whatever FFmpeg prints: only the last 20 stderr lines are kept (a
 * ring, plus one partial line capped in length), never the whole stream. A misbehaving
 * filter can print 50 MB of warnings.
 *
 * Caveat: `exited` also waits for the pipes to drain. A wrapper script that forks FFmpeg
 * (rather than `exec`-ing it) and is killed leaves the grandchild holding the pipes, and
 * we wait for that grandchild too.
 */
import type { Platform } from "../platform/types.ts";
import { deadline, DeadlineError } from "../util/timers.ts";
import { type Progress, ProgressParser } from "./progress.ts";

export interface RunFfmpegOptions {
  timeoutMs: number;
  /** The operator's stop request (SIGINT/SIGTERM to proxx). */
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** Time FFmpeg gets after `q` and after SIGTERM before the next step. Default 5000. */
  graceMs?: number;
  /** Lines of stderr kept. Default 20. */
  tailLines?: number;
  /** Called once FFmpeg runs, with its pid (the watch runner records it for crash recovery). */
  onSpawn?: (pid: number) => void;
}

export interface RunFfmpegOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  interrupted: boolean;
  stderrTail: string[];
}

/** Keeps the last `max` lines of a text stream; a single line is capped at `maxLineLength`. */
export class LineTail {
  private ring: string[] = [];
  private partial = "";
  constructor(private readonly max = 20, private readonly maxLineLength = 2000) {}

  push(chunk: string): void {
    const parts = chunk.split(/\r\n|\n|\r/);
    // The first part continues the partial line; the last is the new partial.
    for (let i = 0; i < parts.length; i++) {
      const text = i === 0 ? this.partial + parts[0] : parts[i]!;
      if (i === parts.length - 1) {
        this.partial = text.length > this.maxLineLength ? text.slice(0, this.maxLineLength) : text;
      } else {
        this.add(text);
      }
    }
  }

  lines(): string[] {
    const out = [...this.ring];
    if (this.partial.trim() !== "") out.push(this.partial);
    return out.slice(-this.max);
  }

  private add(line: string): void {
    if (line.trim() === "") return;
    this.ring.push(line.length > this.maxLineLength ? line.slice(0, this.maxLineLength) : line);
    if (this.ring.length > this.max) this.ring.shift();
  }
}

export async function runFfmpeg(
  platform: Platform,
  ffmpegPath: string,
  args: string[],
  options: RunFfmpegOptions,
): Promise<RunFfmpegOutcome> {
  const graceMs = options.graceMs ?? 5000;
  const tail = new LineTail(options.tailLines ?? 20);
  const parser = new ProgressParser();
  const report = (items: Progress[]) => {
    if (!options.onProgress) return;
    for (const p of items) {
      try {
        options.onProgress(p);
      } catch { /* a display error must not kill the encode */ }
    }
  };

  if (options.signal?.aborted) {
    return { exitCode: null, signal: null, timedOut: false, interrupted: true, stderrTail: [] };
  }

  const child = platform.spawn(ffmpegPath, args, {
    pipeStdin: true,
    onStdout: (chunk) => report(parser.push(chunk)),
    onStderr: (chunk) => tail.push(chunk),
  });
  try {
    options.onSpawn?.(child.pid);
  } catch { /* bookkeeping of a caller must not orphan the child */ }

  let timedOut = false;
  let interrupted = false;
  let exited = false;
  const exitedPromise = child.exited.then((status) => {
    exited = true;
    return status;
  });

  // Resolves when we must stop the child early (timeout or abort); never rejects.
  let triggerStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => (triggerStop = resolve));
  const cancelTimer = platform.setTimer(Math.max(0, options.timeoutMs), () => {
    timedOut = true;
    triggerStop();
  });
  const onAbort = () => {
    interrupted = true;
    triggerStop();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    const first = await Promise.race([
      exitedPromise.then(() => "exited" as const),
      stopRequested.then(() => "stop" as const),
    ]);
    if (first === "stop" && !exited) {
      child.writeStdin("q");
      if (!(await exitsWithin(platform, exitedPromise, graceMs))) {
        child.kill("SIGTERM");
        if (!(await exitsWithin(platform, exitedPromise, graceMs))) child.kill("SIGKILL");
      }
    }
    const status = await exitedPromise;
    report(parser.end());
    return {
      exitCode: status.code,
      signal: status.signal,
      // A child that finished on its own in the same tick as the deadline did not time out.
      timedOut: timedOut && first === "stop",
      interrupted: interrupted && first === "stop" && !timedOut,
      stderrTail: tail.lines(),
    };
  } finally {
    cancelTimer();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** True when `exited` settles within `ms` on the platform clock. */
function exitsWithin(platform: Platform, exited: Promise<unknown>, ms: number): Promise<boolean> {
  return deadline(platform, exited, ms).then(() => true, (error) => {
    if (error instanceof DeadlineError) return false;
    throw error;
  });
}
