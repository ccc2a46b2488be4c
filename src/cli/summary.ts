/**
 * The `proxx run` summary in the seed's two formats (multi-clip semantics document):
 * a single-clip job gets `[SUCCESS] Job … → output`, a multi-clip job the
 * `Multi-Clip Job:` block with one entry per clip and the "Last stderr" lines of a failure.
 */
import type { JobResult } from "../engine/result.ts";
import { basename } from "./render.ts";

export function formatRunSummary(result: JobResult): string {
  if (result.final_status === "PARTIAL") {
    return `[INVALID] Job ${result.job_id}: ${result.failure_reason}\n`;
  }
  if (result.total_clips === 1 && result.clips.length === 1) return singleClip(result);
  return multiClip(result);
}

function seconds(n: number): string {
  return `${n.toFixed(1)}s`;
}

function singleClip(result: JobResult): string {
  const clip = result.clips[0]!;
  if (clip.status === "COMPLETED") {
    return `[SUCCESS] Job ${result.job_id} (${seconds(result.duration_seconds)}) → ${clip.resolved_output_path}\n` +
      `  Output: ${clip.resolved_output_path}\n` +
      `  Duration: ${seconds(clip.duration_seconds)}\n`;
  }
  return `[FAILED] Job ${result.job_id} (${seconds(result.duration_seconds)}) ${basename(clip.source_path)}\n` +
    failureLines(clip, "  ");
}

function multiClip(result: JobResult): string {
  const lines = [
    "",
    `Multi-Clip Job: ${result.job_id}`,
    `Total Clips: ${result.total_clips}`,
    `Processed: ${result.clips.length}/${result.total_clips}`,
    "",
  ];
  result.clips.forEach((clip, i) => {
    lines.push(
      `[${i + 1}/${result.total_clips}] ${clip.status} ${basename(clip.source_path)} (${
        seconds(clip.duration_seconds)
      })`,
    );
    if (clip.status === "COMPLETED") lines.push(`     → ${clip.resolved_output_path}`);
    else lines.push(failureLines(clip, "     ").trimEnd());
  });
  lines.push("");
  lines.push(
    result.final_status === "COMPLETED"
      ? "Result: All clips completed"
      : result.final_status === "INTERRUPTED"
      ? "Result: Interrupted"
      : "Result: One or more clips failed",
  );
  return `${lines.join("\n")}\n`;
}

function failureLines(clip: JobResult["clips"][number], indent: string): string {
  const out = [`${indent}Reason: ${clip.failure_reason}`];
  if (clip.exit_code !== null && clip.exit_code !== 0) out.push(`${indent}Exit Code: ${clip.exit_code}`);
  if (clip.stderr_tail.length > 0) {
    out.push(`${indent}Last stderr:`);
    for (const line of clip.stderr_tail.slice(-5)) out.push(`${indent}  ${line}`);
  }
  return `${out.join("\n")}\n`;
}
