/**
 * The one event stream the core emits. The core never prints: `src/cli/` renders these
 * events for a TTY, a plain log, or `--json` (NDJSON, one event a line).
 *
 * The zod schema is the single source of truth: `ProxxEvent` is its type, `proxx schema
 * --events` prints it as JSON Schema, and a test checks that docs/events.md documents every
 * event type and field of it, and nothing else.
 */
import { z } from "zod";
import { ClipStatus, FailureStage, FinalStatus } from "./result.ts";

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...shape });

export const ProxxEvent = z.discriminatedUnion("type", [
  event("job_started", { job_id: z.string(), jobspec_path: z.string().nullable(), total_clips: z.number() }),
  event("clip_started", {
    job_id: z.string(),
    index: z.number(),
    total: z.number(),
    source_path: z.string(),
    output_path: z.string(),
    ffmpeg_command: z.array(z.string()),
  }),
  event("ffmpeg_started", {
    job_id: z.string(),
    index: z.number(),
    pid: z.number().meta({
      description: "FFmpeg's process id; the watch runner records it so a restart after kill -9 can stop an orphan.",
    }),
    temp_path: z.string().meta({
      description: "The hidden temp file FFmpeg writes, renamed to output_path after verification.",
    }),
  }),
  event("progress", {
    job_id: z.string(),
    index: z.number(),
    total: z.number(),
    source_path: z.string(),
    frame: z.number(),
    out_time_seconds: z.number(),
    percent: z.number().nullable().meta({ description: "null when the source duration is unknown." }),
    fps: z.number().nullable(),
    speed: z.number().nullable(),
  }),
  event("clip_finished", {
    job_id: z.string(),
    index: z.number(),
    total: z.number(),
    source_path: z.string(),
    output_path: z.string(),
    status: ClipStatus,
    duration_seconds: z.number(),
    failure_reason: z.string().nullable(),
    failure_stage: FailureStage,
    exit_code: z.number().nullable(),
    stderr_tail: z.array(z.string()),
  }),
  event("job_finished", {
    job_id: z.string(),
    jobspec_path: z.string().nullable(),
    final_status: FinalStatus,
    total_clips: z.number(),
    completed_clips: z.number(),
    failed_clips: z.number(),
    duration_seconds: z.number(),
  }),
  // watch-folder runner
  event("shard", {
    folder: z.string(),
    index: z.number().meta({ description: "1-based shard of this runner (`--shard I/N`)." }),
    total: z.number(),
    source: z.string().meta({
      description: "Where index and total came from: the flag, or the job engine and its environment variables.",
    }),
  }),
  event("scan", { folder: z.string(), pending: z.number(), settling: z.number(), skipped: z.number() }),
  event("job_taken", { jobspec_path: z.string() }),
  event("skip", { jobspec_path: z.string(), reason: z.string() }),
  event("settling", { jobspec_path: z.string(), settle_seconds: z.number() }),
  event("job_result", {
    jobspec_path: z.string(),
    final_status: FinalStatus,
    result_path: z.string(),
    moved_to: z.string(),
    failure_reason: z.string().nullable().meta({
      description:
        "Why the job did not complete (first validation error or the failed clip's reason); null when COMPLETED.",
    }),
  }),
  event("job_left_pending", { jobspec_path: z.string(), reason: z.string() }),
  event("recovered", { jobspec_path: z.string(), action: z.string() }),
  // who hears about a job (src/notify/): --on-job-done and --webhook
  event("hook_finished", {
    job_id: z.string(),
    jobspec_path: z.string(),
    command: z.array(z.string()),
    exit_code: z.number().nullable(),
    signal: z.string().nullable(),
    timed_out: z.boolean(),
    duration_seconds: z.number(),
    output_tail: z.array(z.string()),
    error: z.string().nullable(),
  }),
  event("webhook_delivered", {
    job_id: z.string(),
    jobspec_path: z.string(),
    webhook: z.string().meta({ description: "The receiver's URL without credentials, path or query." }),
    idempotency_key: z.string(),
    status: z.number(),
    attempts: z.number(),
  }),
  event("webhook_failed", {
    job_id: z.string(),
    jobspec_path: z.string(),
    webhook: z.string(),
    idempotency_key: z.string(),
    status: z.number().nullable(),
    attempts: z.number(),
    reason: z.string(),
  }),
  event("warning", { message: z.string() }),
  event("stopping", { signal: z.string() }),
]);
export type ProxxEvent = z.infer<typeof ProxxEvent>;

export type EventSink = (event: ProxxEvent) => void;

/** The event schema as `proxx schema --events` prints it: what proxx writes, so the output shape. */
export function eventsJsonSchemaText(): string {
  const { $schema, ...rest } = z.toJSONSchema(ProxxEvent, { io: "output", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  return `${
    JSON.stringify(
      {
        $schema,
        title: "proxx events",
        description: "One event of `proxx watch --json` (one JSON object per line); see docs/events.md.",
        ...rest,
      },
      null,
      2,
    )
  }\n`;
}
