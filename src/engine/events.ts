/**
 * The one event stream the core emits. The core never prints: `src/cli/` renders these
 * events for a TTY, a plain log, or `--json` (NDJSON, one event a line).
 * Every event type and field is documented in docs/events.md.
 */
import type { FinalStatus } from "./result.ts";

export type ProxxEvent =
  | { type: "job_started"; job_id: string; jobspec_path: string | null; total_clips: number }
  | {
    type: "clip_started";
    job_id: string;
    index: number;
    total: number;
    source_path: string;
    output_path: string;
    ffmpeg_command: string[];
  }
  | {
    type: "ffmpeg_started";
    job_id: string;
    index: number;
    /** FFmpeg's process id; the watch runner records it so a restart after kill -9 can stop an orphan. */
    pid: number;
    /** The hidden temp file FFmpeg writes, renamed to output_path after verification. */
    temp_path: string;
  }
  | {
    type: "progress";
    job_id: string;
    index: number;
    total: number;
    source_path: string;
    frame: number;
    out_time_seconds: number;
    /** null when the source duration is unknown. */
    percent: number | null;
    fps: number | null;
    speed: number | null;
  }
  | {
    type: "clip_finished";
    job_id: string;
    index: number;
    total: number;
    source_path: string;
    output_path: string;
    status: "COMPLETED" | "FAILED";
    duration_seconds: number;
    failure_reason: string | null;
    exit_code: number | null;
    stderr_tail: string[];
  }
  | {
    type: "job_finished";
    job_id: string;
    jobspec_path: string | null;
    final_status: FinalStatus;
    total_clips: number;
    completed_clips: number;
    failed_clips: number;
    duration_seconds: number;
  }
  // watch-folder runner
  | { type: "scan"; folder: string; pending: number; settling: number; skipped: number }
  | { type: "job_taken"; jobspec_path: string }
  | { type: "skip"; jobspec_path: string; reason: string }
  | { type: "settling"; jobspec_path: string; settle_seconds: number }
  | {
    type: "job_result";
    jobspec_path: string;
    final_status: FinalStatus;
    result_path: string;
    moved_to: string;
    /** Why the job did not complete (first validation error or the failed clip's reason); null when COMPLETED. */
    failure_reason: string | null;
  }
  | { type: "job_left_pending"; jobspec_path: string; reason: string }
  | { type: "recovered"; jobspec_path: string; action: string }
  | { type: "warning"; message: string }
  | { type: "stopping"; signal: string };

export type EventSink = (event: ProxxEvent) => void;
