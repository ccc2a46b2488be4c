/**
 * The watch runner's jobs, run by the real engine: the one composition that `proxx watch`,
 * scripts/fuzz.ts and the integration tests share, so the tests run the program users run.
 * Faults are injected through the Platform, never by rewiring this.
 *
 * - `runJob`: runJobFile with the runner's spawn hooks (each FFmpeg's temp file before it
 *   starts, its pid right after: both go into the in-flight record) and one SourceProbes
 *   for the whole run;
 * - `prefetch`: the next queued job's first source is probed during the current encode;
 * - `cleanupPartials`: removes the temp output a killed attempt's FFmpeg was writing, named
 *   by its in-flight record. That is the only partial an attempt leaves (the engine renames
 *   or removes each clip's temp file before the next clip starts), so the JobSpec, which may
 *   be invalid or edited by now, is not read again.
 */
import type { Platform } from "../platform/types.ts";
import { isPartialPath } from "../engine/execute.ts";
import { prefetchJobFile, runJobFile } from "../engine/run-job-file.ts";
import { SourceProbes } from "../engine/source-probes.ts";
import { probeTimeoutMs } from "../ffmpeg/probe.ts";
import type { WatchOptions } from "./runner.ts";

export interface EngineJobOptions {
  tools: { ffmpeg: string | null; ffprobe: string | null };
  /** Per clip (FFmpeg); ffprobe gets at most 120 s. */
  timeoutSeconds: number;
  /** Grace before SIGTERM / SIGKILL when stopping FFmpeg (tests shorten it). */
  graceMs?: number;
}

export type EngineJobs = Required<Pick<WatchOptions, "runJob" | "cleanupPartials">> & Pick<WatchOptions, "prefetch">;

export function engineJobs(platform: Platform, options: EngineJobOptions): EngineJobs {
  const { tools, timeoutSeconds, graceMs } = options;
  const probes = tools.ffprobe ? new SourceProbes(platform, tools.ffprobe, probeTimeoutMs(timeoutSeconds)) : undefined;
  return {
    // onEvent: this job's place in the ordered log (the runner's, not the renderer directly).
    runJob: async (jobspecPath, signal, onEvent, hooks) =>
      (await runJobFile(platform, jobspecPath, {
        tools,
        timeoutSeconds,
        graceMs,
        onEvent,
        signal,
        beforeSpawn: hooks?.beforeSpawn,
        afterSpawn: hooks?.afterSpawn,
        beforeRename: hooks?.beforeRename,
        partialTag: hooks?.partialTag,
        probes,
      })).result,
    prefetch: probes ? (jobspecPath) => void prefetchJobFile(platform, jobspecPath, probes) : undefined,
    cleanupPartials: async (record) => {
      const temp = record.ffmpeg_temp_path;
      if (temp !== undefined && isPartialPath(temp)) await platform.remove(temp);
    },
  };
}
