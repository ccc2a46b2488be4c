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
import { dirname } from "node:path";
import type { Platform } from "../platform/types.ts";
import type { ResolvedClip, ResolvedJob } from "../jobspec/resolve.ts";
import { makeFolderBelow } from "../jobspec/placement.ts";
import type { EventSink, ProxxEvent } from "./events.ts";
import { type ClipResult, type FailureStage, isoUtc, type JobResult, type MediaFacts, roundSeconds } from "./result.ts";
import {
  aspectTolerance,
  buildFfmpegArgs,
  type Codec,
  type Container,
  displayAspect,
  displayedPicture,
  expectedDimensions,
  keepsSampleRate,
  outputPicture,
  outputTimecode,
  parseRatio,
  type Resolution,
  timingPlan,
} from "../ffmpeg/args.ts";
import { frameRateValue, probeMedia, type ProbeNeeds, probeSource, probeTimeoutMs } from "../ffmpeg/probe.ts";
import { runFfmpeg } from "../ffmpeg/spawn.ts";
import { carriesSar, codecFacts, containerFacts } from "../ffmpeg/codecs.ts";
import { frameRateText } from "../ffmpeg/syntax.ts";
import type { SourceProbes } from "./source-probes.ts";
import { colourProblem, droppedHdr10 } from "../ffmpeg/colour.ts";
import { fieldingProblem } from "../ffmpeg/fielding.ts";
import { proxyOrigins } from "./origins.ts";
import { verifyChannelLayouts } from "../ffmpeg/audio-layouts.ts";
import { overlayContents, type OverlayFiles, prepareOverlayFiles } from "../looks/overlays.ts";
import { chooseLut, type ClipLook, prepareLut } from "../looks/lut.ts";
import { LOOK_COLOUR } from "../looks/look-filters.ts";

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
  /** Called as soon as each FFmpeg has started, with its pid and temp file (the watch runner records both). */
  afterSpawn?: (pid: number, tempPath: string) => void;
  /**
   * Awaited right before a verified temp file is renamed onto the output; when it throws the
   * clip counts as interrupted (no rename). Coordinated runners check their claim here.
   */
  beforeRename?: () => Promise<void>;
  /** Put into the temp name, so runners sharing a folder never write the same temp file (coordinated runners). */
  partialTag?: string;
  /**
   * Source probes shared across clips (and, in the watch runner, across jobs): the next
   * clip's source is probed while the current one encodes. Without it each clip probes at its turn.
   */
  probes?: SourceProbes;
}

export const FFMPEG_NOT_FOUND = "FFmpeg not found. Install FFmpeg to use headless execution.";
export const FFPROBE_NOT_FOUND = "FFprobe not found. Install FFmpeg (it includes ffprobe) to use headless execution.";

/** The deterministic temp name FFmpeg writes: hidden, in the output folder (same filesystem, so the final rename is atomic). */
export function partialPathFor(outputPath: string, tag?: string): string {
  const cut = Math.max(outputPath.lastIndexOf("/"), outputPath.lastIndexOf("\\"));
  const dir = outputPath.slice(0, cut + 1);
  const base = outputPath.slice(cut + 1);
  return tag ? `${dir}.${base}.${tag.replace(/[^A-Za-z0-9_-]/g, "_")}.proxx-partial` : `${dir}.${base}.proxx-partial`;
}

/**
 * Whether `path` is named like the engine's temp outputs (`partialPathFor` above).
 * The record is a file in the watch folder: whoever can write there must not get any other file removed.
 */
export function isPartialPath(path: string): boolean {
  return /(?:^|[/\\])\.[^/\\]+\.proxx-partial$/.test(path);
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

/** One clip's fixed facts, shared by its steps. */
interface ClipRun {
  platform: Platform;
  job: ResolvedJob;
  clip: ResolvedClip;
  options: ExecuteOptions;
  emit: (e: ProxxEvent) => void;
  /** The hidden temp name FFmpeg writes (partialPathFor). */
  partial: string;
  timeoutSeconds: number;
  startedWall: number;
  startedMono: number;
}

/** What the clip's result reports whichever step ends it, filled in as the steps learn it. */
interface Known {
  command: string[];
  sourceProbe: MediaFacts | null;
  /** clip_started was emitted (once the FFmpeg command is known, or on an earlier failure). */
  announced: boolean;
  /** The clip's LUT once chosen and written for FFmpeg (src/looks/lut.ts); null: none applied. */
  look: ClipLook | null;
  /** The LUT chosen, as the JobSpec names it, whether applied or not (lut_applied false). */
  lutLabel: string | null;
}

/** The step that failed, as the result's `failure_stage` reports it (never null here). */
type Stage = NonNullable<FailureStage>;

/**
 * Thrown by a step: the clip failed at `stage` for `reason`. runClip's one catch turns it
 * into the clip's result (clipFailed).
 */
class ClipFailure {
  constructor(
    readonly stage: Stage,
    readonly reason: string,
    /** Set once FFmpeg ran: its temp file is removed, its exit code and stderr are kept. */
    readonly ran: {
      exitCode: number | null;
      stderrTail: string[];
      outputProbe?: MediaFacts;
      /** Append the output-side cause (disk full, folder gone) that FFmpeg's exit alone hides. */
      explain?: boolean;
    } | null = null,
  ) {}
}

/** Thrown when the stop signal ended FFmpeg: the temp file is removed and the clip has no result. */
class ClipInterrupted {}

/** The steps for one clip in docs/crash-safety.md, in order; any failure ends the clip in clipFailed. */
async function runClip(
  platform: Platform,
  job: ResolvedJob,
  clip: ResolvedClip,
  options: ExecuteOptions,
  emit: (e: ProxxEvent) => void,
): Promise<ClipOutcome> {
  const run: ClipRun = {
    platform,
    job,
    clip,
    options,
    emit,
    partial: partialPathFor(clip.output_path, options.partialTag),
    timeoutSeconds: options.timeoutSeconds > 0 ? options.timeoutSeconds : 3600,
    startedWall: platform.now(),
    startedMono: platform.monotonic(),
  };
  const known: Known = { command: [], sourceProbe: null, announced: false, look: null, lutLabel: null };
  let overlays: Awaited<ReturnType<typeof prepareOverlays>> = null;
  try {
    const tools = requireTools(options.tools);
    known.sourceProbe = await probeClipSource(run, tools.ffprobe); // 1
    known.look = await prepareClipLook(run, known, known.sourceProbe);
    overlays = await prepareOverlays(run, known.sourceProbe);
    known.command = buildCommand(run, tools.ffmpeg, known.sourceProbe, known.look, overlays?.files ?? null); // 2
    announce(run, known);
    warnDroppedMetadata(run, known.sourceProbe);
    await makeOutputFolder(run); // 3
    await clearTempName(platform, run.partial);
    await recordBeforeSpawn(run);
    const stderrTail = await encodeToTemp(run, known.command, known.sourceProbe);
    const { size, outputProbe } = await verifyTemp(
      run,
      tools.ffprobe,
      known.sourceProbe,
      stderrTail,
      known.look != null,
    ); // 4
    await moveIntoPlace(run, stderrTail, outputProbe); // 5
    return finish(run, known, { reason: null, exitCode: 0, stderrTail, outputProbe, size }); // 6
  } catch (error) {
    if (error instanceof ClipInterrupted) {
      await removeTemp(run);
      return { kind: "interrupted" };
    }
    if (error instanceof ClipFailure) return await clipFailed(run, known, error);
    throw error;
  } finally {
    await overlays?.remove();
  }
}

/**
 * The font and the burn-in texts written where FFmpeg reads them (looks/overlays.ts), or
 * null when the clip draws no text; they are removed when the clip ends.
 */
async function prepareOverlays(run: ClipRun, source: MediaFacts) {
  const contents = overlayContents(run.job, run.clip, source);
  try {
    return await prepareOverlayFiles(run.platform, run.clip.output_path, contents);
  } catch (error) {
    throw new ClipFailure("encode", `Could not prepare the burn-in: ${(error as Error).message}`);
  }
}

function requireTools(tools: ExecuteOptions["tools"]): { ffmpeg: string; ffprobe: string } {
  if (!tools.ffmpeg) throw new ClipFailure("validate", FFMPEG_NOT_FOUND);
  if (!tools.ffprobe) throw new ClipFailure("validate", FFPROBE_NOT_FOUND);
  return { ffmpeg: tools.ffmpeg, ffprobe: tools.ffprobe };
}

/** Shared probes when the caller gave them (prefetched while the previous clip encoded), else probed now. */
async function probeClipSource(run: ClipRun, ffprobe: string): Promise<MediaFacts> {
  const { platform, job, clip, options } = run;
  try {
    return options.probes
      ? await options.probes.get(clip.source_path, probeNeeds(job))
      : await probeSource(platform, ffprobe, clip.source_path, probeNeeds(job), probeTimeoutMs(run.timeoutSeconds));
  } catch (error) {
    throw new ClipFailure("probe", `Could not read the source: ${(error as Error).message}`);
  }
}

/**
 * The clip's LUT (src/looks/lut.ts): its own, the first lut_rules match on the probed facts,
 * or the job's; read, checked and written as the files FFmpeg reads. null without one, or
 * with lut_applied false (the choice is still recorded). A LUT that cannot be read or is
 * not a good .cube (changed since validation) fails the clip before FFmpeg starts.
 */
async function prepareClipLook(run: ClipRun, known: Known, source: MediaFacts): Promise<ClipLook | null> {
  const plan = run.job.look;
  if (!plan && run.clip.lut == null) return null;
  const { lut } = chooseLut(plan ?? { lut: null, rules: [], apply: true }, run.clip.lut, {
    source_path: run.clip.source_path,
    color_transfer: source.video?.colour?.transfer ?? null,
    camera_make: source.camera_make ?? null,
    camera_model: source.camera_model ?? null,
    reel_name: source.reel_name,
  });
  known.lutLabel = lut?.label ?? null;
  if (!lut || plan?.apply === false) return null;
  try {
    return await prepareLut(run.platform, lut);
  } catch (error) {
    throw new ClipFailure("validate", `The LUT ${lut.label} cannot be used: ${(error as Error).message}`);
  }
}

/** The FFmpeg argv (program first), writing the temp name; a source without video fails here. */
function buildCommand(
  run: ClipRun,
  ffmpeg: string,
  source: MediaFacts,
  look: ClipLook | null,
  overlayFiles: OverlayFiles | null,
): string[] {
  if (!source.video) throw new ClipFailure("probe", "Source has no video stream");
  const { job, clip } = run;
  try {
    return [
      ffmpeg,
      // The job's settings pass through whole, so a new JobSpec setting reaches args.ts untouched here.
      ...buildFfmpegArgs({
        ...job,
        input: clip.source_path,
        output: run.partial,
        lut_files: look && { lut1d: look.lut1d, lut3d: look.lut3d },
        overlay_files: overlayFiles,
      }, source),
    ];
  } catch (error) {
    throw new ClipFailure("probe", (error as Error).message);
  }
}

/** What the proxy leaves out of the source by design, said before it is made (HDR10 metadata: colour.ts). */
function warnDroppedMetadata(run: ClipRun, source: MediaFacts): void {
  const dropped = droppedHdr10(run.job, source.video ?? {});
  if (dropped) run.emit({ type: "warning", message: `${run.clip.source_path}: ${dropped}` });
}

function announce(run: ClipRun, known: Known): void {
  if (known.announced) return;
  known.announced = true;
  run.emit({
    type: "clip_started",
    job_id: run.job.job_id,
    index: run.clip.index,
    total: run.job.clips.length,
    source_path: run.clip.source_path,
    output_path: run.clip.output_path,
    ffmpeg_command: known.command,
  });
}

/**
 * With a placement token in output_directory ({source_dir}, {source_rel_dir}), the clip's
 * folder is made now, below its base and checked again level by level (the disk may have
 * changed since validation); so a job that stops early makes no folders for the clips it
 * did not reach.
 */
async function makeOutputFolder(run: ClipRun): Promise<void> {
  const base = run.clip.create_below;
  if (base === undefined) return;
  try {
    await makeFolderBelow(run.platform, base, dirname(run.clip.output_path));
  } catch (error) {
    throw new ClipFailure("encode", `Could not create the output folder: ${(error as Error).message}`);
  }
}

/**
 * Remove whatever is at the temp name before FFmpeg writes it: a stale partial from a crashed
 * run, or anything else. FFmpeg opens it following symlinks, so nothing may be left there
 * (remove() deletes a link, not its target). Fails the clip when something is still there
 * (a directory, a file we may not remove).
 */
async function clearTempName(platform: Platform, partial: string): Promise<void> {
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
  if (!left) return;
  const detail = error ? `: ${(error as Error).message}` : "";
  throw new ClipFailure("encode", `Could not remove the stale temp file ${partial} before encoding${detail}`);
}

/** The watch runner makes the temp path durable first, so a restart after kill -9 can find the FFmpeg. */
async function recordBeforeSpawn(run: ClipRun): Promise<void> {
  if (!run.options.beforeSpawn) return;
  try {
    await run.options.beforeSpawn(run.partial);
  } catch (error) {
    throw new ClipFailure("encode", `Could not record the FFmpeg run before starting it: ${(error as Error).message}`);
  }
}

/** Runs FFmpeg onto the temp name; returns its stderr tail when it exited 0. */
async function encodeToTemp(run: ClipRun, command: string[], source: MediaFacts): Promise<string[]> {
  const { platform, job, clip, options, emit } = run;
  const total = job.clips.length;
  const sourceDuration = source.duration_seconds;
  const result = await runFfmpeg(platform, command[0]!, command.slice(1), {
    timeoutMs: run.timeoutSeconds * 1000,
    signal: options.signal,
    graceMs: options.graceMs,
    onSpawn: (pid) => {
      options.afterSpawn?.(pid, run.partial);
      emit({ type: "ffmpeg_started", job_id: job.job_id, index: clip.index, pid, temp_path: run.partial });
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
  const stderrTail = result.stderrTail;
  if (result.interrupted) throw new ClipInterrupted();
  if (result.timedOut) {
    throw new ClipFailure("encode", `Execution timed out after ${run.timeoutSeconds} seconds`, {
      exitCode: -1,
      stderrTail,
    });
  }
  if (result.exitCode === null) {
    throw new ClipFailure("encode", `FFmpeg was killed by ${result.signal ?? "a signal"}`, {
      exitCode: null,
      stderrTail,
    });
  }
  if (result.exitCode !== 0) {
    throw new ClipFailure("encode", `FFmpeg exited with code ${result.exitCode}`, {
      exitCode: result.exitCode,
      stderrTail,
      explain: true,
    });
  }
  return stderrTail;
}

/** The temp file is non-empty, ffprobe reads it, and it has what an editor needs to relink (verifyOutput). */
async function verifyTemp(
  run: ClipRun,
  ffprobe: string,
  source: MediaFacts,
  stderrTail: string[],
  lutApplied: boolean,
): Promise<{ size: number; outputProbe: MediaFacts }> {
  const stat = await run.platform.stat(run.partial);
  if (!stat || !stat.isFile || stat.size === 0) {
    throw new ClipFailure("verify", "Output file does not exist or has zero size", {
      exitCode: 0,
      stderrTail,
      explain: true,
    });
  }
  let outputProbe: MediaFacts;
  try {
    outputProbe = await probeMedia(run.platform, ffprobe, run.partial, "full", probeTimeoutMs(run.timeoutSeconds));
  } catch (error) {
    // FFmpeg can exit 0 after a failed write (5.1: "Error writing trailer ...: File too large").
    throw new ClipFailure("verify", `Verification failed: ${(error as Error).message}`, {
      exitCode: 0,
      stderrTail,
      explain: true,
    });
  }
  const problem = verifyOutput(source, outputProbe, { ...run.job, lut_applied: lutApplied });
  if (problem) {
    throw new ClipFailure("verify", `Verification failed: ${problem}`, {
      exitCode: 0,
      stderrTail,
      outputProbe,
      explain: true,
    });
  }
  return { size: stat.size, outputProbe };
}

/** The rename that replaces an older output only now, with a complete verified one (same folder: atomic). */
async function moveIntoPlace(run: ClipRun, stderrTail: string[], outputProbe: MediaFacts): Promise<void> {
  if (run.options.beforeRename) {
    try {
      await run.options.beforeRename();
    } catch {
      throw new ClipInterrupted();
    }
  }
  try {
    await run.platform.rename(run.partial, run.clip.output_path);
  } catch (error) {
    throw new ClipFailure("finalize", `Could not move the finished output into place: ${(error as Error).message}`, {
      exitCode: 0,
      stderrTail,
      outputProbe,
    });
  }
}

/** The one place a failure becomes the clip's result: the temp file removed, the reason kept. */
async function clipFailed(run: ClipRun, known: Known, failure: ClipFailure): Promise<ClipOutcome> {
  const ran = failure.ran;
  if (!ran) return finish(run, known, { reason: failure.reason, stage: failure.stage, exitCode: null });
  await removeTemp(run);
  const why = ran.explain ? await outputProblem(run.platform, run.clip.output_path, run.partial, ran.stderrTail) : "";
  return finish(run, known, {
    reason: failure.reason + why,
    stage: failure.stage,
    exitCode: ran.exitCode,
    stderrTail: ran.stderrTail,
    outputProbe: ran.outputProbe,
  });
}

async function removeTemp(run: ClipRun): Promise<void> {
  try {
    await run.platform.remove(run.partial);
  } catch { /* best effort: reported failures matter more than a leftover temp */ }
}

/** The clip's result and its clip_finished event (after clip_started, which an early failure has not emitted yet). */
function finish(run: ClipRun, known: Known, fields: {
  reason: string | null;
  /** Set with `reason`. */
  stage?: Stage;
  exitCode: number | null;
  stderrTail?: string[];
  outputProbe?: MediaFacts | null;
  size?: number;
}): ClipOutcome {
  const { platform, job, clip, emit } = run;
  announce(run, known);
  const durationSeconds = roundSeconds(platform.monotonic() - run.startedMono);
  const status = fields.reason == null ? "COMPLETED" : "FAILED";
  const result: ClipResult = {
    source_path: clip.source_path,
    resolved_output_path: clip.output_path,
    status,
    exit_code: fields.exitCode,
    // Whether THIS run produced the output; an older file left at the name after a failure does not count.
    output_exists: status === "COMPLETED",
    output_size_bytes: status === "COMPLETED" ? fields.size ?? 0 : 0,
    ffmpeg_command: known.command,
    failure_reason: fields.reason,
    failure_stage: fields.reason == null ? null : fields.stage ?? null,
    ...proxyOrigins(job, known.sourceProbe, fields.outputProbe ?? null),
    lut_applied: known.look != null && status === "COMPLETED",
    lut: known.lutLabel,
    lut_sha256: known.look?.sha256 ?? null,
    stderr_tail: fields.stderrTail ?? [],
    source_probe: known.sourceProbe,
    output_probe: fields.outputProbe ?? null,
    started_at: isoUtc(run.startedWall),
    completed_at: isoUtc(platform.now()),
    duration_seconds: durationSeconds,
  };
  emit({
    type: "clip_finished",
    job_id: job.job_id,
    index: clip.index,
    total: job.clips.length,
    source_path: clip.source_path,
    output_path: clip.output_path,
    status,
    duration_seconds: durationSeconds,
    failure_reason: fields.reason,
    failure_stage: result.failure_stage,
    exit_code: fields.exitCode,
    stderr_tail: result.stderr_tail,
  });
  return { kind: "done", result };
}

/** Only ProRes 4444 reads the source's pixel format (alpha or not); the rest the headers give. */
export function probeNeeds(job: { codec: Codec }): ProbeNeeds {
  return { pixFmt: codecFacts(job.codec).needsSourcePixFmt };
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
 * expected picture (pictureProblem), the same duration (within one frame), the same frames at
 * the same times where the headers tell (timingProblem), the same audio streams
 * and channel counts (and layouts where the proxy records one: audio-layouts.ts), and the
 * source timecode where the container carries one (at the
 * output rate when `fps_explicit` changes it: outputTimecode).
 * Returns the first problem, or null.
 */
export function verifyOutput(
  source: MediaFacts,
  output: MediaFacts,
  plan: { codec: Codec; container: Container; resolution: Resolution; fps: number | null; lut_applied?: boolean },
): string | null {
  if (!source.video) return "source has no video stream";
  const video = output.video;
  if (!video) return "output has no video stream";
  const { codecName, profile } = codecFacts(plan.codec).verify;
  if (video.codec_name !== codecName) return `expected codec ${codecName}, got ${video.codec_name ?? "unknown"}`;
  if (profile && video.profile !== profile) return `expected ProRes profile ${profile}, got ${video.profile ?? "none"}`;
  const pixFmt = pixelFormatProblem(source.video, video, plan);
  if (pixFmt) return pixFmt;
  const shape = pictureProblem(source.video, video, plan);
  if (shape) return shape;
  const fps = plan.fps ?? frameRateValue(source.video.frame_rate) ?? frameRateValue(video.frame_rate);
  if (source.duration_seconds != null && fps) {
    const tolerance = 1 / fps + 0.001;
    const near = (a: number | null | undefined, b: number | null | undefined) =>
      a != null && b != null && Math.abs(a - b) <= tolerance;
    const got = output.duration_seconds;
    // The files' lengths, or else the pictures' own: an audio encoder's priming (AAC in
    // Matroska runs ~21 ms past the picture) is more than the one frame allowed at 59.94 fps.
    if (!near(got, source.duration_seconds) && !near(video.duration_seconds, source.video.duration_seconds)) {
      return `expected duration ${source.duration_seconds.toFixed(3)} s (±${tolerance.toFixed(3)}), got ${
        got == null ? "unknown" : `${got.toFixed(3)} s`
      }`;
    }
  }
  const timing = timingProblem(source, output, plan);
  if (timing) return timing;
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
  // With a LUT the proxy is a Rec.709 picture (look-filters.ts): those tags, not the source's, and no HDR10.
  const colourSource = plan.lut_applied
    ? { ...source.video, colour: { ...LOOK_COLOUR }, hdr10: undefined }
    : source.video;
  const picture = fieldingProblem(plan, source.video, video, output.format_name) ??
    colourProblem(plan, colourSource, video);
  if (picture) return picture;
  const layouts = verifyChannelLayouts(source, output);
  if (layouts) return layouts;
  const timecode = outputTimecode(plan, source);
  if (timecode && output.timecode !== timecode) {
    return `expected timecode ${timecode}${
      timecode === source.timecode ? "" : ` (the source's ${source.timecode} at ${frameRateText(plan.fps!)} fps)`
    }, got ${output.timecode ?? "none"}`;
  }
  // The reel name is a relink key: where it was written (MOV, beside a timecode) it must be there.
  if (source.reel_name && (output.reel_name || (timecode && containerFacts(plan.container).reelName))) {
    if (output.reel_name !== source.reel_name) {
      return `expected reel name ${source.reel_name}, got ${output.reel_name ?? "none"}`;
    }
  }
  return null;
}

/**
 * The pixel format the encoder was told (codecs.ts) against the proxy's stream as ffprobe
 * decodes it: the same chroma subsampling and alpha, and at least the bit depth. A filter
 * that hands the encoder other frames (lut3d's 4:4:4 RGB reached prores_ks, which wrote a
 * "Proxy" stream with 4:4:4 chroma) must not pass as the asked-for proxy. Decoders may
 * report more bits than were encoded (FFmpeg's ProRes decoder gives 4444 as 12 bit), so
 * depth only has to reach the encoder's. Not compared when either name is not a planar YUV one.
 */
function pixelFormatProblem(
  source: NonNullable<MediaFacts["video"]>,
  output: NonNullable<MediaFacts["video"]>,
  plan: { codec: Codec; container: Container; fps: number | null },
): string | null {
  if (output.pix_fmt == null) return null;
  const want = codecFacts(plan.codec).pixFmt({
    container: plan.container,
    width: output.width,
    height: output.height,
    fps: plan.fps ?? frameRateValue(source.frame_rate),
    sourcePixFmt: source.pix_fmt,
  });
  const w = yuvLayout(want);
  const g = yuvLayout(output.pix_fmt);
  if (!w || !g) return null;
  if (w.chroma === g.chroma && w.alpha === g.alpha && g.bits >= w.bits) return null;
  const says = (l: { chroma: string; alpha: boolean }) =>
    `${l.chroma.split("").join(":")} chroma${l.alpha ? " with alpha" : ""}`;
  return `expected pixel format ${want} (${says(w)}), got ${output.pix_fmt} (${says(g)})`;
}

/** yuv422p10le → 4:2:2, no alpha, 10 bit; null for names that are not planar YUV. */
function yuvLayout(pixFmt: string): { chroma: string; alpha: boolean; bits: number } | null {
  const m = /^yuv(a?)j?(4[24][024])p(\d+)?/.exec(pixFmt);
  return m ? { alpha: m[1] === "a", chroma: m[2]!, bits: m[3] ? Number(m[3]) : 8 } : null;
}

/**
 * The proxy's picture against its source's as the editor sees both (docs/fidelity.md): the
 * expected even size (outputPicture: upright, so a portrait phone clip gives a portrait
 * proxy), upright with no rotation left to apply, the displayed aspect of the source within
 * even rounding, and square pixels wherever they are expected: always in a container that
 * cannot carry a pixel aspect (MXF), and whenever the source's are square.
 */
function pictureProblem(
  source: NonNullable<MediaFacts["video"]>,
  output: NonNullable<MediaFacts["video"]>,
  plan: { container: Container; resolution: Resolution },
): string | null {
  const want = outputPicture(plan.resolution, plan.container, source);
  const rotated = source.rotation ? ` (the source's ${source.width}x${source.height} turned ${source.rotation}°)` : "";
  if (output.width !== want.width || output.height !== want.height) {
    return `expected ${want.width}x${want.height}${rotated}, got ${output.width}x${output.height}`;
  }
  if (output.rotation) {
    return `the proxy still carries a display rotation of ${output.rotation}°; it must be stored upright`;
  }
  const sar = parseRatio(output.sample_aspect_ratio);
  const squareWanted = want.sar.num === want.sar.den;
  if (squareWanted && sar.num !== sar.den) {
    const why = carriesSar(plan.container) ? "the source's pixels are square" : `${plan.container} cannot carry it`;
    return `expected square pixels (${why}), got a pixel aspect of ${sar.num}:${sar.den}`;
  }
  const shown = displayedPicture(source);
  const sourceAspect = displayAspect(shown.width, shown.height, shown.sar);
  const aspect = displayAspect(output.width, output.height, sar);
  if (Math.abs(aspect / sourceAspect - 1) > aspectTolerance(output.width, output.height)) {
    return `expected a displayed aspect of ${sourceAspect.toFixed(4)}${rotated}, got ${aspect.toFixed(4)} ` +
      `(${output.width}x${output.height}, pixel aspect ${sar.num}:${sar.den})`;
  }
  return null;
}

/**
 * "Same frames at the same times", from facts the output probe already has (no extra
 * ffprobe run; it lists 120 packets' timestamps, not decoded): with the source's rate, the
 * same number of frames where both files' headers tell it (MOV/MP4 count their frames, MXF
 * and Matroska give a length that is a whole number of frames), and the first frame where
 * timingPlan put it, within half a frame (a frame repeated or dropped at the start moves it
 * by one). Matroska and WebM put the first frame after the audio encoder's priming, so
 * their start is not compared.
 */
function timingProblem(
  source: MediaFacts,
  output: MediaFacts,
  plan: { codec: Codec; container: Container; fps: number | null },
): string | null {
  const fps = frameRateValue(source.video?.frame_rate);
  if (!source.video || !output.video || !fps) return null;
  if (plan.fps == null) {
    const want = frameCount(source.video, fps);
    const got = frameCount(output.video, fps);
    if (want != null && got != null && want !== got) {
      return `expected ${want} frames (the source's), got ${got}`;
    }
  }
  if (containerFacts(plan.container).muxer === "matroska" || plan.container === "webm") return null;
  let expected: number;
  try {
    expected = timingPlan(plan, source).firstFrameSeconds;
  } catch {
    return null;
  }
  const got = output.video.start_seconds;
  if (got != null && Math.abs(got - expected) > 0.5 / (plan.fps ?? fps)) {
    return `expected the first frame at ${expected.toFixed(3)} s (the source's), got ${got.toFixed(3)} s`;
  }
  return null;
}

/** Frames in a stream: its header's count, or a length that is a whole number of frames at a constant rate. */
function frameCount(video: NonNullable<MediaFacts["video"]>, fps: number): number | null {
  if (video.nb_frames != null && video.nb_frames > 0) return video.nb_frames;
  if (video.variable_frame_rate || video.duration_seconds == null) return null;
  const frames = video.duration_seconds * fps;
  return Math.abs(frames - Math.round(frames)) < 0.1 ? Math.round(frames) : null;
}
