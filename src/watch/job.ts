/**
 * One job through the crash-safe step order (docs/crash-safety.md):
 *
 *   1. mark in-flight (atomic)      — the slot's record (`.proxx.inflight.json` for slot 0)
 *   2. execute                      — the injected RunJob
 *   3. write result (atomic)        — `<stem>.result.json` beside the JobSpec
 *   4. move JobSpec                 — rename into processed/ or failed/, never overwriting
 *   5. manifest entry (durable)     — recordInManifest
 *   6. clear in-flight              — remove the slot's record
 *
 * Steps 3–6 are `finishJob`, shared with start-up recovery, and each is idempotent given
 * the state the previous one leaves, so a kill -9 between any two is finished on restart.
 *
 * With `--max-workers N` several jobs run steps 1–2 at once, each with its own record file
 * (its slot). Steps 4–5 — the clash-free move and the manifest rewrite — run under one
 * lock (`RunnerContext.bookkeeping`): a single writer for the manifest, and no two jobs
 * can pick the same clash-free name. Each job emits through its own `emit` (the runner
 * orders the jobs' events, see runner.ts).
 *
 * Coordinated runners (`--coordinator`, src/coordinator/) pass a `JobClaim`: the in-flight
 * record lives in the database instead of the folder (many runners share it), and before
 * every effect — the proxy's rename into place (the engine's `beforeRename`), the result,
 * the move, the manifest entry — `claim.guard` checks the fencing token; a claim that is no
 * longer this runner's writes nothing. Without a claim every step is as it always was.
 */
import { failpoint } from "./failpoint.ts";
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { type FinalStatus, isoUtc, JobResult } from "../engine/result.ts";
import { Mutex } from "./mutex.ts";
import { clearInflight, inflightPath, type InflightRecord, writeInflight } from "./inflight.ts";
import { type Manifest, type ManifestEntry, messageOf, withEntry, writeManifest } from "./manifest.ts";
import type { ManifestJournal } from "./manifest-journal.ts";
import type { JobNotifier } from "./job-notifier.ts";
import type { ShardSpec } from "../shard/spec.ts";
import {
  baseName,
  clashFreeName,
  FAILED_DIR,
  joinPath,
  joinRel,
  MANIFEST_NAME,
  mirroredFolder,
  PROCESSED_DIR,
  relativeTo,
  relDirOf,
  resultNameFor,
  stemOf,
} from "./names.ts";

/**
 * The engine contract: never throws on bad input; PARTIAL for invalid JobSpecs; INTERRUPTED
 * when `signal` aborted it. `onEvent` is where this job's engine events belong (the runner
 * keeps the log in job order when jobs run in parallel); a RunJob that ignores it still
 * works, its events are just not ordered.
 */
export type RunJob = (
  jobspecPath: string,
  signal: AbortSignal,
  onEvent: EventSink,
  hooks?: JobHooks,
) => Promise<JobResult>;
/** How each FFmpeg's temp file and pid reach the job's in-flight record (the engine's spawn hooks). */
export interface JobHooks {
  /** Awaited before each FFmpeg starts, with the temp file it will write. */
  beforeSpawn(tempPath: string): Promise<void>;
  /** Right after it started (best effort: never throws). */
  afterSpawn(pid: number, tempPath: string): void;
  /** Coordinated: awaited right before each verified proxy is renamed into place; throws when the claim is lost. */
  beforeRename?: () => Promise<void>;
  /** Coordinated: a name part that keeps this runner's FFmpeg temp files apart from another runner's for the same output. */
  partialTag?: string;
}

/**
 * A coordinated runner's claim on one job (src/coordinator/coordinator.ts implements it).
 * `guard` throws when the claim is no longer this runner's (its fencing token is not the
 * row's any more, or the lease ran out); `lost` aborts then, which stops FFmpeg.
 */
export interface JobClaim {
  readonly attempts: number;
  readonly lost: AbortSignal;
  readonly lostReason: string | null;
  readonly partialTag: string;
  guard(effect: string): Promise<void>;
  noteSpawn(tempPath: string, pid: number | null): Promise<void>;
  /** The row is done (all effects written). */
  finish(status: string | null): Promise<void>;
  /** Pending again at once, this attempt not counted (a requested stop). */
  release(): Promise<void>;
}

/** Shared state of one runner process (also used by recovery). */
export interface RunnerContext {
  platform: Platform;
  folder: string;
  manifest: Manifest;
  onEvent: EventSink;
  signal: AbortSignal;
  runJob: RunJob;
  /** Removes what an interrupted attempt's FFmpeg was writing (the record's `ffmpeg_temp_path`). */
  cleanupPartials?: (record: InflightRecord) => Promise<void>;
  proxxVersion: string;
  /**
   * Executions already started for (path, sha256), from an in-flight record found at start,
   * and the slot whose record file still holds it: the retry reuses that slot, so the old
   * record is overwritten by the new attempt's, never left behind or duplicated.
   */
  retries: Map<string, { sha256: string; attempts: number; slot: number }>;
  counts: { processed: number; completed: number; failed: number; invalid: number; skipped: number; recovered: number };
  /** Serialises the move (clash-free names) and the manifest rewrite across parallel jobs: one writer. */
  bookkeeping: Mutex;
  /** Where new manifest entries go first (folded into the file every 2 s or when idle); without it each entry rewrites the file. */
  journal?: ManifestJournal;
  /** Hooks and webhooks (src/notify/): told when a result is written and when the job is recorded. */
  notifier?: JobNotifier;
  /** `--shard I/N`: this runner's share; its in-flight records and journal carry it (null: the whole folder). */
  shard?: ShardSpec | null;
  /**
   * Coordinated runners: records a manifest entry with the other runners' entries (the
   * file re-read and rewritten under the coordinator's lock); `guard` runs inside the lock.
   */
  recordManifest?: (jobspecPath: string, entry: ManifestEntry, guard: () => Promise<void>) => Promise<Manifest>;
}

/**
 * `<stem>.result.json` beside the JobSpec: in the root for a root JobSpec (the seed), in
 * its own subfolder for one a `--recursive` runner took (`a/job.json` → `a/job.result.json`).
 */
export function resultPathFor(folder: string, jobspecPath: string): string {
  const dir = joinRel(folder, relDirOf(relativeTo(folder, jobspecPath) ?? ""));
  return joinPath(dir, resultNameFor(baseName(jobspecPath)));
}

/** Result file bytes: the JobResult with `_metadata.jobspec_path` = the original absolute path. */
export function resultFileText(result: JobResult, jobspecPath: string, writtenAtMs: number): string {
  const out = {
    ...result,
    _metadata: { ...result._metadata, jobspec_path: jobspecPath, result_written_at: isoUtc(writtenAtMs) },
  };
  return JSON.stringify(out, null, 2) + "\n";
}

/**
 * Steps 1–6 for a settled, not-skipped JobSpec, with its in-flight record in `slot`.
 * Returns false when the job was interrupted by the signal.
 */
export async function takeJob(
  ctx: RunnerContext,
  jobspecPath: string,
  sha256: string,
  slot = 0,
  emit: EventSink = ctx.onEvent,
  claim?: JobClaim,
): Promise<boolean> {
  if (claim) return await takeClaimedJob(ctx, jobspecPath, sha256, claim, emit);
  const { platform, folder, signal } = ctx;
  const prior = ctx.retries.get(jobspecPath);
  const attempts = prior && prior.sha256 === sha256 ? prior.attempts + 1 : 1;
  ctx.retries.delete(jobspecPath);
  const startedAt = platform.now();
  const record: InflightRecord = {
    version: 1,
    jobspec_path: jobspecPath,
    sha256,
    attempts,
    started_at: isoUtc(startedAt),
    pid: platform.pid,
  };
  // 1. in-flight: from here on a crash means "interrupted mid-run" to the next start.
  await step(
    emit,
    jobspecPath,
    `write the in-flight record in ${folder}`,
    () => writeInflight(platform, folder, record, slot, ctx.shard),
  );
  emit({ type: "job_taken", jobspec_path: jobspecPath });

  // FFmpeg outlives a kill -9 of the runner, and the next start must stop it before it re-runs
  // the job, or the orphan could still (re)create the temp output afterwards. So each FFmpeg's
  // temp path goes into the record *before* it starts (awaited by the engine), its pid right
  // after (best effort): a kill in between still leaves the temp path, by which recovery finds
  // it. Writes are chained, so none lands after the record is cleared.
  let recordWrites = Promise.resolve();
  const rewriteRecord = (fields: Partial<InflightRecord>): Promise<void> => {
    const written = recordWrites.then(() => writeInflight(platform, folder, { ...record, ...fields }, slot, ctx.shard));
    recordWrites = written.catch(() => {});
    return written;
  };
  const hooks: JobHooks = {
    beforeSpawn: (tempPath) => rewriteRecord({ ffmpeg_temp_path: tempPath }),
    afterSpawn: (pid, tempPath) =>
      void rewriteRecord({ ffmpeg_pid: pid, ffmpeg_temp_path: tempPath }).catch((error) =>
        emit({
          type: "warning",
          message: `could not note FFmpeg's pid in ${inflightPath(folder, slot, ctx.shard)}: ${messageOf(error)}`,
        })
      ),
  };

  // 2. execute. Any throw or malformed return becomes a FAILED result: one job never stops the runner.
  let result = await execute(ctx, jobspecPath, signal, emit, hooks, startedAt, () => recordWrites);

  if (result.final_status === "INTERRUPTED") {
    if (signal.aborted) {
      // Graceful stop: no result, no manifest entry, JobSpec stays pending. The in-flight
      // record is cleared because a requested stop is not a crash and must not count
      // towards the two-interruption poison limit.
      await clearInflight(platform, folder, slot, ctx.shard);
      emit({
        type: "job_left_pending",
        jobspec_path: jobspecPath,
        reason: "stopped by a signal before it finished: no result, no manifest entry; it runs again at the next start",
      });
      return false;
    }
    result = unaskedInterruption(result);
  }
  await finishJob(ctx, jobspecPath, sha256, result, slot, emit);
  return true;
}

/** An INTERRUPTED result nobody asked for (no stop signal) is a failure of the job, not a pause. */
function unaskedInterruption(result: JobResult): JobResult {
  return {
    ...result,
    final_status: "FAILED",
    failure_reason: `job reported INTERRUPTED although no stop was requested${
      result.failure_reason ? `: ${result.failure_reason}` : ""
    }`,
  };
}

/** Step 2: any throw or malformed return becomes a FAILED result: one job never stops the runner. */
async function execute(
  ctx: RunnerContext,
  jobspecPath: string,
  signal: AbortSignal,
  emit: EventSink,
  hooks: JobHooks,
  startedAt: number,
  settled: () => Promise<void>,
): Promise<JobResult> {
  try {
    const raw = await ctx.runJob(jobspecPath, signal, emit, hooks).finally(settled);
    const check = JobResult.safeParse(raw);
    return check.success ? raw : await runnerFailure(
      ctx,
      jobspecPath,
      startedAt,
      `the job function returned an invalid JobResult (${check.error.issues[0]?.path.join(".")}: ${
        check.error.issues[0]?.message
      })`,
    );
  } catch (error) {
    return await runnerFailure(ctx, jobspecPath, startedAt, `the job function threw: ${messageOf(error)}`);
  }
}

/**
 * Steps 1–6 for a coordinated runner's claimed job: the in-flight record is the claim's row
 * (FFmpeg's temp path and pid noted there, fenced), and the job's signal is aborted by a
 * stop request or by the loss of the claim. A lost claim writes nothing: no result, no
 * move, no manifest entry (its proxy rename was refused by `beforeRename`).
 */
async function takeClaimedJob(
  ctx: RunnerContext,
  jobspecPath: string,
  sha256: string,
  claim: JobClaim,
  emit: EventSink,
): Promise<boolean> {
  const startedAt = ctx.platform.now();
  emit({ type: "job_taken", jobspec_path: jobspecPath });
  let noted = Promise.resolve();
  const hooks: JobHooks = {
    beforeSpawn: (tempPath) => claim.noteSpawn(tempPath, null),
    afterSpawn: (pid, tempPath) => void (noted = claim.noteSpawn(tempPath, pid).catch(() => {})),
    beforeRename: () => claim.guard("rename the verified proxy into place"),
    partialTag: claim.partialTag,
  };
  const signal = AbortSignal.any([ctx.signal, claim.lost]);
  let result = await execute(ctx, jobspecPath, signal, emit, hooks, startedAt, () => noted);
  if (claim.lost.aborted) {
    emit({
      type: "job_left_pending",
      jobspec_path: jobspecPath,
      reason: `this runner lost its claim (${claim.lostReason}): it wrote nothing for this job; ` +
        `the runner that holds the claim finishes it`,
    });
    return false;
  }
  if (result.final_status === "INTERRUPTED") {
    if (ctx.signal.aborted) {
      // Graceful stop: released at once, so another runner takes it without waiting for the lease.
      await claim.release();
      emit({
        type: "job_left_pending",
        jobspec_path: jobspecPath,
        reason: "stopped by a signal before it finished: no result, no manifest entry; released to the other runners",
      });
      return false;
    }
    result = unaskedInterruption(result);
  }
  try {
    await finishJob(ctx, jobspecPath, sha256, result, 0, emit, claim);
  } catch (error) {
    if (claim.lost.aborted) {
      emit({
        type: "job_left_pending",
        jobspec_path: jobspecPath,
        reason: `this runner lost its claim before it finished the bookkeeping (${messageOf(error)}); ` +
          `the runner that holds the claim finishes it`,
      });
      return false;
    }
    throw error;
  }
  return true;
}

/** Steps 3–6. Each step checks what is already done, so recovery can call it at any point. */
export async function finishJob(
  ctx: RunnerContext,
  jobspecPath: string,
  sha256: string,
  result: JobResult,
  slot = 0,
  emit: EventSink = ctx.onEvent,
  claim?: JobClaim,
  /** Coordinated takeover of a job whose result the previous runner wrote: steps 4–6 only. */
  resultWritten = false,
): Promise<void> {
  const { platform, folder } = ctx;
  const resultPath = resultPathFor(folder, jobspecPath);
  const guard = (effect: string) => claim?.guard(effect) ?? Promise.resolve();
  failpoint(platform, "before-result");
  // 3. result first: once it exists the job is never executed again (seed skip rule 1).
  const resultText = resultWritten
    ? await platform.readText(resultPath)
    : resultFileText(result, jobspecPath, platform.now());
  if (!resultWritten) {
    await guard(`write ${resultPath}`);
    await step(
      emit,
      jobspecPath,
      `write the result file ${resultPath}`,
      () => platform.writeFileAtomic(resultPath, resultText),
    );
  }
  failpoint(platform, "after-result");
  // 3a. notifications due (the webhook outbox), while the in-flight record still says "finish me".
  const written = { jobspecPath, sha256, resultPath, resultText };
  await ctx.notifier?.resultWritten(written, emit);
  const movedTo = await ctx.bookkeeping.run(async () => {
    const dir = result.final_status === "COMPLETED" ? PROCESSED_DIR : FAILED_DIR;
    await guard(`move ${jobspecPath} into ${joinPath(folder, dir)}/`);
    const movedTo = await step(
      emit,
      jobspecPath,
      `move ${jobspecPath} into ${joinPath(folder, dir)}/`,
      () => moveJobSpec(ctx, jobspecPath, result.final_status),
    );
    failpoint(platform, "after-move");
    await step(
      emit,
      jobspecPath,
      `update ${joinPath(folder, MANIFEST_NAME)}`,
      () => recordInManifest(ctx, jobspecPath, sha256, result.final_status, () => guard(`update ${MANIFEST_NAME}`)),
    );
    return movedTo;
  });
  failpoint(platform, "after-manifest");
  await step(
    emit,
    jobspecPath,
    claim ? "mark the job done in the coordinator" : `remove the in-flight record in ${folder}`,
    () => claim ? claim.finish(result.final_status) : clearInflight(platform, folder, slot, ctx.shard),
  );
  count(ctx, result.final_status);
  emit({
    type: "job_result",
    jobspec_path: jobspecPath,
    final_status: result.final_status,
    result_path: resultPath,
    moved_to: movedTo ?? "",
    failure_reason: result.failure_reason,
  });
  await ctx.notifier?.jobDone({ ...written, movedTo }, emit);
}

/**
 * A bookkeeping step whose I/O error stops the runner (docs/crash-safety.md). The error is
 * rethrown unchanged; the `warning` first says which file and what happens next, so an
 * operator reading the log (or the NDJSON) knows where the disk is full or read-only.
 */
async function step<T>(emit: EventSink, jobspecPath: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    emit({
      type: "warning",
      message: `could not ${what} (${messageOf(error)}) for ${jobspecPath}; ` +
        `the runner stops here, and its next start finishes or re-runs this job`,
    });
    throw error;
  }
}

/**
 * 4. rename into processed/ (COMPLETED) or failed/ (anything else) under a clash-free name;
 * a JobSpec of subfolder `a/b` goes to `processed/a/b/` (created), so the trees mirror the
 * folder and `reset` knows where it came from. Null when already gone.
 */
export async function moveJobSpec(
  ctx: RunnerContext,
  jobspecPath: string,
  status: FinalStatus,
): Promise<string | null> {
  const { platform, folder } = ctx;
  if (!(await platform.lstat(jobspecPath))) return null;
  const top = joinPath(folder, status === "COMPLETED" ? PROCESSED_DIR : FAILED_DIR);
  await platform.mkdir(top);
  const dir = await mirroredFolder(platform, top, relDirOf(relativeTo(folder, jobspecPath) ?? ""), platform.now());
  const name = await clashFreeName(platform, dir, baseName(jobspecPath), platform.now());
  const dest = joinPath(dir, name);
  await platform.rename(jobspecPath, dest);
  return dest;
}

/**
 * 5. make the manifest entry durable: appended to the journal (fsync'd), or an atomic
 * rewrite of the file without one. Skipped when an identical-hash entry is there.
 */
export async function recordInManifest(
  ctx: RunnerContext,
  jobspecPath: string,
  sha256: string,
  status: FinalStatus,
  guard: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const entry = { sha256, processed_at: isoUtc(ctx.platform.now()), result_status: status };
  if (ctx.recordManifest) {
    ctx.manifest = await ctx.recordManifest(jobspecPath, entry, guard);
    return;
  }
  const existing = ctx.manifest.entries[jobspecPath];
  if (existing && existing.sha256 === sha256 && existing.result_status === status) return;
  const next = withEntry(ctx.manifest, jobspecPath, entry);
  if (ctx.journal) await ctx.journal.record(next, jobspecPath, entry);
  else await writeManifest(ctx.platform, ctx.folder, next);
  ctx.manifest = next;
}

function count(ctx: RunnerContext, status: FinalStatus): void {
  ctx.counts.processed++;
  if (status === "COMPLETED") ctx.counts.completed++;
  else if (status === "PARTIAL") ctx.counts.invalid++;
  else ctx.counts.failed++;
}

/** A FAILED JobResult made by the runner itself (job threw, poison job, bad return value). */
export async function runnerFailure(
  ctx: Pick<RunnerContext, "platform" | "proxxVersion">,
  jobspecPath: string,
  startedAtMs: number,
  reason: string,
): Promise<JobResult> {
  const ended = ctx.platform.now();
  return {
    job_id: await guessJobId(ctx.platform, jobspecPath),
    final_status: "FAILED",
    clips: [],
    total_clips: 0,
    completed_clips: 0,
    failed_clips: 0,
    failure_reason: reason,
    validation_error: null,
    started_at: isoUtc(startedAtMs),
    completed_at: isoUtc(ended),
    duration_seconds: Math.round(ended - startedAtMs) / 1000,
    _metadata: {
      jobspec_path: jobspecPath,
      result_written_at: null,
      trace_path: null,
      proxx_version: ctx.proxxVersion,
    },
  };
}

/** The JobSpec's own `job_id` when it has a readable one, else its file stem. */
async function guessJobId(platform: Platform, jobspecPath: string): Promise<string> {
  try {
    const json = JSON.parse(await platform.readText(jobspecPath));
    if (json && typeof json === "object" && typeof json.job_id === "string" && json.job_id) return json.job_id;
  } catch { /* fall through */ }
  return stemOf(baseName(jobspecPath));
}
