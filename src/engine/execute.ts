/**
 * Run a resolved job: clips in order, one at a time, stop at the first failure (seed
 * "multi-clip semantics"). Completed outputs stay; the result lists the clips that ran.
 * Never throws for an execution failure: every problem becomes a clip's failure_reason.
 *
 * Each clip is written to a hidden temp file beside its output and renamed onto the final
 * name only after ffprobe confirmed it is what was asked for. So an existing output is
 * replaced only by a complete, verified new one, and a crash or stop never leaves a
 * half-written file under a name an editor would relink to.
 */
import type { Platform } from "../platform/types.ts";
import type { ResolvedClip, ResolvedJob } from "../jobspec/resolve.ts";
import type { EventSink, ProxxEvent } from "./events.ts";
import { type ClipResult, isoUtc, type JobResult, type MediaFacts, roundSeconds } from "./result.ts";
import {
  buildFfmpegArgs,
  type Codec,
  type Container,
  EXPECTED_CODEC_NAME,
  EXPECTED_PRORES_PROFILE,
  expectedDimensions,
  keepsSampleRate,
  type Resolution,
} from "../ffmpeg/args.ts";
import { frameRateValue, probeMedia, type ProbeNeeds, probeSource, probeTimeoutMs } from "../ffmpeg/probe.ts";
import { runFfmpeg } from "../ffmpeg/spawn.ts";
import { carriesTimecode } from "../ffmpeg/codecs.ts";
import type { SourceProbes } from "./source-probes.ts";

export type { ResolvedClip, ResolvedJob };
export { expectedDimensions };

export interface ExecuteOptions {
  tools: { ffmpeg: string | null; ffprobe: string | null };
  /** Per clip. Default 3600. */
  timeoutSeconds: number;
  onEvent?: EventSink;
  signal?: AbortSignal;
  proxxVersion: string;
  /** Grace before SIGTERM / SIGKILL when stopping FFmpeg. Default 5000 (tests shorten it). */
  graceMs?: number;
  /**
   * Awaited right before each FFmpeg starts, with the temp file it will write: the watch
   * runner makes that durable first, so a restart after kill -9 can find the FFmpeg.
   */
  beforeSpawn?: (tempPath: string) => Promise<void>;
  /**
   * Source probes shared across clips (and, in the watch runner, across jobs): the next
   * clip's source is probed while the current one encodes. Without it each clip probes at its turn.
   */
  probes?: SourceProbes;
}

export const FFMPEG_NOT_FOUND = "FFmpeg not found. Install FFmpeg to use headless execution.";
export const FFPROBE_NOT_FOUND = "FFprobe not found. Install FFmpeg (it includes ffprobe) to use headless execution.";

/** The deterministic temp name FFmpeg writes: hidden, in the output folder (same filesystem, so the final rename is atomic). */
export function partialPathFor(outputPath: string): string {
  const cut = Math.max(outputPath.lastIndexOf("/"), outputPath.lastIndexOf("\\"));
  const dir = outputPath.slice(0, cut + 1);
  const base = outputPath.slice(cut + 1);
  return `${dir}.${base}.proxx-partial`;
}

type ClipOutcome = { kind: "done"; result: ClipResult } | { kind: "interrupted" };

export async function executeJob(platform: Platform, job: ResolvedJob, options: ExecuteOptions): Promise<JobResult> {
  const emit = (event: ProxxEvent) => {
    try {
      options.onEvent?.(event);
    } catch { /* a renderer bug must not change the job's outcome */ }
  };
  const startedWall = platform.now();
  const startedMono = platform.monotonic();
  const total = job.clips.length;
  emit({ type: "job_started", job_id: job.job_id, jobspec_path: job.jobspec_path, total_clips: total });

  const clips: ClipResult[] = [];
  let interrupted = false;
  for (const clip of job.clips) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const outcome = await runClip(platform, job, clip, options, emit);
    if (outcome.kind === "interrupted") {
      interrupted = true;
      break;
    }
    clips.push(outcome.result);
    if (outcome.result.status === "FAILED") break;
  }

  const completed = clips.filter((c) => c.status === "COMPLETED").length;
  const failed = clips.filter((c) => c.status === "FAILED").length;
  const finalStatus = interrupted ? "INTERRUPTED" : failed > 0 ? "FAILED" : "COMPLETED";
  const failureReason = interrupted
    ? `Interrupted by the operator after ${completed} of ${total} clip(s); the unfinished output was removed`
    : clips.find((c) => c.status === "FAILED")?.failure_reason ?? null;
  const durationSeconds = roundSeconds(platform.monotonic() - startedMono);
  emit({
    type: "job_finished",
    job_id: job.job_id,
    jobspec_path: job.jobspec_path,
    final_status: finalStatus,
    total_clips: total,
    completed_clips: completed,
    failed_clips: failed,
    duration_seconds: durationSeconds,
  });
  return {
    job_id: job.job_id,
    final_status: finalStatus,
    clips,
    total_clips: total,
    completed_clips: completed,
    failed_clips: failed,
    failure_reason: failureReason,
    validation_error: null,
    started_at: isoUtc(startedWall),
    completed_at: isoUtc(platform.now()),
    duration_seconds: durationSeconds,
    _metadata: {
      jobspec_path: job.jobspec_path,
      result_written_at: null,
      trace_path: null,
      proxx_version: options.proxxVersion,
    },
  };
}

async function runClip(
  platform: Platform,
  job: ResolvedJob,
  clip: ResolvedClip,
  options: ExecuteOptions,
  emit: (e: ProxxEvent) => void,
): Promise<ClipOutcome> {
  const startedWall = platform.now();
  const startedMono = platform.monotonic();
  const total = job.clips.length;
  const output = clip.output_path;
  const partial = partialPathFor(output);
  const timeoutSeconds = options.timeoutSeconds > 0 ? options.timeoutSeconds : 3600;
  let command: string[] = [];
  let sourceProbe: MediaFacts | null = null;
  let started = false;

  const start = () => {
    if (started) return;
    started = true;
    emit({
      type: "clip_started",
      job_id: job.job_id,
      index: clip.index,
      total,
      source_path: clip.source_path,
      output_path: output,
      ffmpeg_command: command,
    });
  };
  const finish = (fields: {
    reason: string | null;
    exitCode: number | null;
    stderrTail?: string[];
    outputProbe?: MediaFacts | null;
    size?: number;
  }): ClipOutcome => {
    start();
    const durationSeconds = roundSeconds(platform.monotonic() - startedMono);
    const status = fields.reason == null ? "COMPLETED" : "FAILED";
    const result: ClipResult = {
      source_path: clip.source_path,
      resolved_output_path: output,
      status,
      exit_code: fields.exitCode,
      // Whether THIS run produced the output; an older file left at the name after a failure does not count.
      output_exists: status === "COMPLETED",
      output_size_bytes: status === "COMPLETED" ? fields.size ?? 0 : 0,
      ffmpeg_command: command,
      failure_reason: fields.reason,
      stderr_tail: fields.stderrTail ?? [],
      source_probe: sourceProbe,
      output_probe: fields.outputProbe ?? null,
      started_at: isoUtc(startedWall),
      completed_at: isoUtc(platform.now()),
      duration_seconds: durationSeconds,
    };
    emit({
      type: "clip_finished",
      job_id: job.job_id,
      index: clip.index,
      total,
      source_path: clip.source_path,
      output_path: output,
      status,
      duration_seconds: durationSeconds,
      failure_reason: fields.reason,
      exit_code: fields.exitCode,
      stderr_tail: result.stderr_tail,
    });
    return { kind: "done", result };
  };

  const { ffmpeg, ffprobe } = options.tools;
  if (!ffmpeg) return finish({ reason: FFMPEG_NOT_FOUND, exitCode: null });
  if (!ffprobe) return finish({ reason: FFPROBE_NOT_FOUND, exitCode: null });

  try {
    sourceProbe = options.probes
      ? await options.probes.get(clip.source_path, probeNeeds(job))
      : await probeSource(platform, ffprobe, clip.source_path, probeNeeds(job), probeTimeoutMs(timeoutSeconds));
  } catch (error) {
    return finish({ reason: `Could not read the source: ${(error as Error).message}`, exitCode: null });
  }
  if (!sourceProbe.video) return finish({ reason: "Source has no video stream", exitCode: null });

  try {
    command = [
      ffmpeg,
      ...buildFfmpegArgs({
        input: clip.source_path,
        output: partial,
        codec: job.codec,
        container: job.container,
        resolution: job.resolution,
        fps: job.fps,
      }, sourceProbe),
    ];
  } catch (error) {
    return finish({ reason: (error as Error).message, exitCode: null });
  }
  start();

  const cleanup = async () => {
    try {
      await platform.remove(partial);
    } catch { /* best effort: reported failures matter more than a leftover temp */ }
  };
  // A stale partial from a crashed run, or anything else at the temp name: FFmpeg opens it
  // following symlinks, so nothing may be left there (remove() deletes a link, not its target).
  const blocked = await clearTempName(platform, partial);
  if (blocked) return finish({ reason: blocked, exitCode: null });

  if (options.beforeSpawn) {
    try {
      await options.beforeSpawn(partial);
    } catch (error) {
      return finish({
        reason: `Could not record the FFmpeg run before starting it: ${(error as Error).message}`,
        exitCode: null,
      });
    }
  }
  const sourceDuration = sourceProbe.duration_seconds;
  const run = await runFfmpeg(platform, ffmpeg, command.slice(1), {
    timeoutMs: timeoutSeconds * 1000,
    signal: options.signal,
    graceMs: options.graceMs,
    onSpawn: (pid) => {
      emit({ type: "ffmpeg_started", job_id: job.job_id, index: clip.index, pid, temp_path: partial });
      const next = job.clips[job.clips.indexOf(clip) + 1];
      if (next) options.probes?.prefetch(next.source_path, probeNeeds(job));
    },
    onProgress: (p) =>
      emit({
        type: "progress",
        job_id: job.job_id,
        index: clip.index,
        total,
        source_path: clip.source_path,
        frame: p.frame,
        out_time_seconds: p.out_time_seconds,
        percent: sourceDuration && sourceDuration > 0
          ? Math.min(100, Math.round((p.out_time_seconds / sourceDuration) * 1000) / 10)
          : null,
        fps: p.fps,
        speed: p.speed,
      }),
  });
  const tail = run.stderrTail;

  if (run.interrupted) {
    await cleanup();
    return { kind: "interrupted" };
  }
  if (run.timedOut) {
    await cleanup();
    return finish({ reason: `Execution timed out after ${timeoutSeconds} seconds`, exitCode: -1, stderrTail: tail });
  }
  if (run.exitCode === null) {
    await cleanup();
    return finish({ reason: `FFmpeg was killed by ${run.signal ?? "a signal"}`, exitCode: null, stderrTail: tail });
  }
  if (run.exitCode !== 0) {
    await cleanup();
    const why = await outputProblem(platform, output, partial, tail);
    return finish({
      reason: `FFmpeg exited with code ${run.exitCode}${why}`,
      exitCode: run.exitCode,
      stderrTail: tail,
    });
  }
  const stat = await platform.stat(partial);
  if (!stat || !stat.isFile || stat.size === 0) {
    await cleanup();
    const why = await outputProblem(platform, output, partial, tail);
    return finish({ reason: `Output file does not exist or has zero size${why}`, exitCode: 0, stderrTail: tail });
  }

  let outputProbe: MediaFacts;
  try {
    outputProbe = await probeMedia(platform, ffprobe, partial, "full", probeTimeoutMs(timeoutSeconds));
  } catch (error) {
    await cleanup();
    // FFmpeg can exit 0 after a failed write (5.1: "Error writing trailer ...: File too large").
    const why = await outputProblem(platform, output, partial, tail);
    return finish({ reason: `Verification failed: ${(error as Error).message}${why}`, exitCode: 0, stderrTail: tail });
  }
  const problem = verifyOutput(sourceProbe, outputProbe, job);
  if (problem) {
    await cleanup();
    const why = await outputProblem(platform, output, partial, tail);
    return finish({ reason: `Verification failed: ${problem}${why}`, exitCode: 0, stderrTail: tail, outputProbe });
  }

  try {
    await platform.rename(partial, output);
  } catch (error) {
    await cleanup();
    return finish({
      reason: `Could not move the finished output into place: ${(error as Error).message}`,
      exitCode: 0,
      stderrTail: tail,
      outputProbe,
    });
  }
  return finish({ reason: null, exitCode: 0, stderrTail: tail, outputProbe, size: stat.size });
}

/** Only ProRes 4444 reads the source's pixel format (alpha or not); the rest the headers give. */
export function probeNeeds(job: { codec: Codec }): ProbeNeeds {
  return { pixFmt: job.codec === "prores_4444" };
}

/**
 * Remove whatever is at the temp name before FFmpeg writes it. Returns a failure reason
 * when something is still there (a directory, a file we may not remove).
 */
async function clearTempName(platform: Platform, partial: string): Promise<string | null> {
  let error: unknown = null;
  try {
    await platform.remove(partial);
  } catch (e) {
    error = e;
  }
  let left: boolean;
  try {
    left = (await platform.lstat(partial)) !== null;
  } catch {
    left = error !== null;
  }
  if (!left) return null;
  const detail = error ? `: ${(error as Error).message}` : "";
  return `Could not remove the stale temp file ${partial} before encoding${detail}`;
}

/** Errors only writing can cause, and errors FFmpeg reports on a line naming our temp file. */
const WRITE_ERRORS = /No space left on device|Disk quota exceeded|Read-only file system|File too large/i;
const OPEN_ERRORS = /Permission denied|Operation not permitted|No such file or directory/i;

/**
 * Output-side causes that "FFmpeg exited with code 1" alone hides (disk full, read-only or
 * vanished output folder), for the failure reason: "" or " (why)". FFmpeg's own words are
 * still in stderr_tail.
 */
async function outputProblem(platform: Platform, output: string, partial: string, tail: string[]): Promise<string> {
  const cut = Math.max(output.lastIndexOf("/"), output.lastIndexOf("\\"));
  const dir = cut > 0 ? output.slice(0, cut) : output.slice(0, cut + 1);
  try {
    const stat = await platform.stat(dir);
    if (!stat?.isDirectory) return ` (the output folder ${dir} no longer exists)`;
  } catch { /* cannot tell; fall through */ }
  for (const line of tail) {
    // FFmpeg 6+ says "Error opening output files: Permission denied" without the path.
    const aboutOutput = line.includes(partial) || /Error opening output/i.test(line);
    const found = WRITE_ERRORS.exec(line) ?? (aboutOutput ? OPEN_ERRORS.exec(line) : null);
    if (found) return ` (writing the output in ${dir} failed: ${found[0]})`;
  }
  try {
    if (!(await platform.isWritableDir(dir))) return ` (the output folder ${dir} is not writable)`;
  } catch { /* cannot tell */ }
  return "";
}

/**
 * What an editor needs to relink (proxy-relink.md): the asked-for codec and profile, the
 * expected even frame size, the same duration (within one frame), the same audio streams
 * and channel counts, and the source timecode where the container carries one.
 * Returns the first problem, or null.
 */
export function verifyOutput(
  source: MediaFacts,
  output: MediaFacts,
  plan: { codec: Codec; container: Container; resolution: Resolution; fps: number | null },
): string | null {
  if (!source.video) return "source has no video stream";
  const video = output.video;
  if (!video) return "output has no video stream";
  const codecName = EXPECTED_CODEC_NAME[plan.codec];
  if (video.codec_name !== codecName) return `expected codec ${codecName}, got ${video.codec_name ?? "unknown"}`;
  const profile = EXPECTED_PRORES_PROFILE[plan.codec];
  if (profile && video.profile !== profile) return `expected ProRes profile ${profile}, got ${video.profile ?? "none"}`;
  const dims = expectedDimensions(plan.resolution, source.video.width, source.video.height);
  if (video.width !== dims.width || video.height !== dims.height) {
    return `expected ${dims.width}x${dims.height}, got ${video.width}x${video.height}`;
  }
  const fps = plan.fps ?? frameRateValue(source.video.frame_rate) ?? frameRateValue(video.frame_rate);
  if (source.duration_seconds != null && fps) {
    const tolerance = 1 / fps + 0.001;
    const got = output.duration_seconds;
    if (got == null || Math.abs(got - source.duration_seconds) > tolerance) {
      return `expected duration ${source.duration_seconds.toFixed(3)} s (±${tolerance.toFixed(3)}), got ${
        got == null ? "unknown" : `${got.toFixed(3)} s`
      }`;
    }
  }
  if (output.audio.length !== source.audio.length) {
    return `expected ${source.audio.length} audio stream(s), got ${output.audio.length}`;
  }
  for (const [i, want] of source.audio.entries()) {
    const got = output.audio[i]!;
    if (got.channels !== want.channels) {
      return `audio stream ${i + 1}: expected ${want.channels} channel(s), got ${got.channels}`;
    }
    if (keepsSampleRate(plan.container) && got.sample_rate !== want.sample_rate) {
      return `audio stream ${i + 1}: expected ${want.sample_rate} Hz, got ${got.sample_rate} Hz`;
    }
  }
  if (
    source.timecode && carriesTimecode(plan.container) && output.timecode !== source.timecode
  ) {
    return `expected timecode ${source.timecode}, got ${output.timecode ?? "none"}`;
  }
  return null;
}
