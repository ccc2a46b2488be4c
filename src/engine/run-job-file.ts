/**
 * One JobSpec file in, one JobResult out: the unit of work shared by `proxx run` and the
 * watch-folder runner. It never throws for bad input: an unreadable or invalid JobSpec
 * becomes a PARTIAL result ("validation failed before execution", seed status table) with
 * every validation error listed, so the runner can record it and move on.
 */
import type { Platform } from "../platform/types.ts";
import { loadJobSpec } from "../jobspec/load.ts";
import type { ResolvedJob } from "../jobspec/resolve.ts";
import { executeJob, probeNeeds } from "./execute.ts";
import { SourceProbes } from "./source-probes.ts";
import { probeTimeoutMs } from "../ffmpeg/probe.ts";
import type { EventSink } from "./events.ts";
import { isoUtc, type JobResult, type ValidationIssue } from "./result.ts";
import { VERSION } from "../version.ts";

export interface RunJobOptions {
  tools: { ffmpeg: string | null; ffprobe: string | null };
  timeoutSeconds: number;
  onEvent?: EventSink;
  signal?: AbortSignal;
  /** Grace before SIGTERM / SIGKILL when stopping FFmpeg (ExecuteOptions.graceMs). */
  graceMs?: number;
  /** Around each FFmpeg start: see ExecuteOptions (the watch runner records the temp path and the pid). */
  beforeSpawn?: (tempPath: string) => Promise<void>;
  afterSpawn?: (pid: number, tempPath: string) => void;
  /** Coordinated runners: ExecuteOptions.beforeRename and partialTag. */
  beforeRename?: () => Promise<void>;
  partialTag?: string;
  /** Shared with the watch runner's prefetch (prefetchJobFile); a job makes its own otherwise. */
  probes?: SourceProbes;
}

export interface RunJobOutcome {
  result: JobResult;
  /** Set when the JobSpec could not even be read (exit code 4 for `proxx run`). */
  unreadable: boolean;
  job: ResolvedJob | null;
}

export async function runJobFile(
  platform: Platform,
  jobspecPath: string,
  options: RunJobOptions,
): Promise<RunJobOutcome> {
  const startedAt = platform.now();
  const loaded = await loadJobSpec(platform, jobspecPath, { startedAtMs: startedAt });
  if (!loaded.ok) {
    return {
      result: validationFailure(loaded.job_id, loaded.issues, startedAt, platform.now(), jobspecPath),
      unreadable: loaded.kind === "unreadable",
      job: null,
    };
  }
  const result = await executeJob(platform, loaded.job, {
    tools: options.tools,
    timeoutSeconds: options.timeoutSeconds,
    onEvent: options.onEvent,
    signal: options.signal,
    proxxVersion: VERSION,
    graceMs: options.graceMs,
    beforeSpawn: options.beforeSpawn,
    afterSpawn: options.afterSpawn,
    beforeRename: options.beforeRename,
    partialTag: options.partialTag,
    probes: options.probes ??
      (options.tools.ffprobe
        ? new SourceProbes(platform, options.tools.ffprobe, probeTimeoutMs(options.timeoutSeconds))
        : undefined),
  });
  return { result, unreadable: false, job: loaded.job };
}

/**
 * Start probing the first source of a queued JobSpec while another job encodes. Reads
 * and validates the file only; nothing is written and nothing is reported (the job is
 * loaded again, and checked again, when it is taken).
 */
export async function prefetchJobFile(platform: Platform, jobspecPath: string, probes: SourceProbes): Promise<void> {
  try {
    const loaded = await loadJobSpec(platform, jobspecPath, { startedAtMs: platform.now() });
    const first = loaded.ok ? loaded.job.clips[0] : undefined;
    if (loaded.ok && first) probes.prefetch(first.source_path, probeNeeds(loaded.job));
  } catch { /* an early look only: the job's own run reports any problem */ }
}

/** PARTIAL: validation failed before execution; no clip ran. */
export function validationFailure(
  jobId: string,
  issues: ValidationIssue[],
  startedAtMs: number,
  endedAtMs: number,
  jobspecPath: string | null,
): JobResult {
  const message = `JobSpec validation failed with ${issues.length} error(s):\n` +
    issues.map((i) => `  ${i.path}: ${i.message}`).join("\n");
  return {
    job_id: jobId,
    final_status: "PARTIAL",
    clips: [],
    total_clips: 0,
    completed_clips: 0,
    failed_clips: 0,
    failure_reason: message,
    validation_error: { message, errors: issues },
    started_at: isoUtc(startedAtMs),
    completed_at: isoUtc(endedAtMs),
    duration_seconds: Math.round(endedAtMs - startedAtMs) / 1000,
    _metadata: { jobspec_path: jobspecPath, result_written_at: null, trace_path: null, proxx_version: VERSION },
  };
}
