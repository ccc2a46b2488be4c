/**
 * Start-up recovery, run under the lock before the first scan. It reads every in-flight
 * record (one per slot: `.proxx.inflight.json`, `.proxx.inflight-<k>.json`, whatever
 * `--max-workers` the crashed runner had) and finishes whatever a kill -9 interrupted
 * (crash points in docs/crash-safety.md), one record at a time in slot order:
 *
 * - result written (crash after step 3, 4 or 5): never re-run. Move the JobSpec if it is
 *   still in the root, add the manifest entry if missing, clear the record.
 * - no result, JobSpec unchanged in the root (crash during step 2): retry — the record stays
 *   and the next execution is attempt n+1, in the same slot — unless it was already
 *   attempted `MAX_ATTEMPTS` times: then the job is failed with a clear reason. Either way
 *   `cleanupPartials` first removes the temp output the killed attempt was writing.
 * - no result, JobSpec changed or gone: the record is stale; clear it.
 * - two records for one JobSpec (cannot happen in normal operation; defensive): the one
 *   with more attempts is used, the other cleared.
 *
 * Without an in-flight record, a JobSpec in the root whose result exists is *skipped*, not
 * moved: that is the seed's skip rule 1, and it is how an operator re-drops a file.
 * Also removes our own orphaned atomic-write temp files (`<name>.tmp-<pid>`).
 *
 * Records name the JobSpec by its absolute path, which may be in a subfolder (a
 * `--recursive` runner's job): its result is beside it and its move goes to
 * `processed/<rel dir>/` (job.ts), whichever mode this start runs in, so a crash is
 * finished the same way after a restart with or without `--recursive`.
 */
import type { DirEntry } from "../platform/types.ts";
import { parseAtomicTempName } from "../fs/durable.ts";
import { type FinalStatus, JobResult } from "../engine/result.ts";
import { fileArg } from "../ffmpeg/syntax.ts";
import { sha256Hex } from "./hash.ts";
import {
  clearInflight,
  inflightName,
  inflightPath,
  type InflightRecord,
  MAX_ATTEMPTS,
  parseInflightName,
  readAllInflight,
} from "./inflight.ts";
import { finishJob, moveJobSpec, recordInManifest, resultPathFor, type RunnerContext, runnerFailure } from "./job.ts";
import { messageOf } from "./manifest.ts";
import { baseName, isResultName, joinPath, joinRel, MANIFEST_NAME, relativeTo, relDirOf } from "./names.ts";
import { ownsName } from "../shard/assign.ts";

/**
 * `entries` is a listing of the folder root taken by the caller (the runner reuses it for
 * its first scan when recovery changed nothing). Returns true when recovery changed the
 * folder root (removed, moved or wrote anything there).
 */
export async function recover(ctx: RunnerContext, entries?: DirEntry[]): Promise<boolean> {
  const listed = entries ?? (await ctx.platform.list(ctx.folder));
  let changed = await removeOrphanTemps(ctx, listed);
  const { platform, folder } = ctx;
  const records = await adoptRecords(
    ctx,
    await readAllInflight(platform, folder, listed.filter((e) => e.isFile).map((e) => e.name), "all"),
  );
  // One record per JobSpec: with duplicates the highest attempt count wins.
  const chosen = new Map<string, { slot: number; record: InflightRecord }>();
  for (const { slot, read } of records) {
    if (read.kind === "corrupt") {
      ctx.onEvent({
        type: "warning",
        message: `ignoring unreadable ${inflightName(slot, ctx.shard)} (${read.reason})`,
      });
      await clearInflight(platform, folder, slot, ctx.shard);
      changed = true;
      continue;
    }
    const other = chosen.get(read.record.jobspec_path);
    if (other) {
      const [keep, drop] = other.record.attempts >= read.record.attempts
        ? [other, { slot, record: read.record }]
        : [{ slot, record: read.record }, other];
      await clearInflight(platform, folder, drop.slot, ctx.shard);
      chosen.set(read.record.jobspec_path, keep);
      changed = true;
      continue;
    }
    chosen.set(read.record.jobspec_path, { slot, record: read.record });
  }
  for (const { slot, record } of [...chosen.values()].sort((a, b) => a.slot - b.slot)) {
    if (await recoverOne(ctx, slot, record)) changed = true;
  }
  return changed;
}

type Found = Awaited<ReturnType<typeof readAllInflight>>[number];

const sameShard = (
  a: { index: number; total: number } | null | undefined,
  b: { index: number; total: number } | null,
) => a ? !!b && a.index === b.index && a.total === b.total : b === null;

/**
 * The records this start recovers: its own (its shard's names, or the unsharded names), and
 * records of runners that cannot be live beside it for JobSpecs it owns: everything for an
 * unsharded runner (it holds the whole folder); for shard I/N, unsharded records and records
 * of other totals (both conflict with its lock, so their runners are gone) whose JobSpec is
 * in its share. Those are renamed to a free slot of its own first (atomic rename: the attempt
 * count carries over). Records of sibling shards (same N, other I) are never touched: they
 * may be running right now.
 */
async function adoptRecords(ctx: RunnerContext, found: Found[]): Promise<Found[]> {
  const { platform, folder } = ctx;
  const own = found.filter((f) => sameShard(ctx.shard, f.shard));
  const used = new Set(own.map((f) => f.slot));
  const out = [...own];
  for (const f of found) {
    if (sameShard(ctx.shard, f.shard)) continue;
    if (ctx.shard && f.shard && f.shard.total === ctx.shard.total) continue; // a sibling's
    if (ctx.shard) {
      if (f.read.kind !== "ok") continue;
      const rel = relativeTo(folder, f.read.record.jobspec_path);
      if (rel === null || !ownsName(ctx.shard, rel)) continue;
    }
    let slot = 0;
    while (used.has(slot)) slot++;
    used.add(slot);
    try {
      await platform.rename(inflightPath(folder, f.slot, f.shard), inflightPath(folder, slot, ctx.shard));
    } catch {
      continue; // gone meanwhile
    }
    out.push({ ...f, slot, shard: ctx.shard ?? null });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** One record. Returns true when the folder root changed. */
async function recoverOne(ctx: RunnerContext, slot: number, rec: InflightRecord): Promise<boolean> {
  const { platform, folder } = ctx;
  const path = rec.jobspec_path;
  const resultPath = resultPathFor(folder, path);
  await stopOrphanFfmpeg(ctx, rec);
  await removeOrphanResultTemp(ctx, path, resultPath);

  if (await platform.stat(resultPath)) {
    const status = await resultStatus(ctx, resultPath);
    // Its notifications may not have been made due before the crash (step 3a): make sure they are.
    const resultText = ctx.notifier ? await platform.readText(resultPath).catch(() => null) : null;
    const written = resultText === null ? null : { jobspecPath: path, sha256: rec.sha256, resultPath, resultText };
    if (written) await ctx.notifier!.resultWritten(written, ctx.onEvent);
    const movedTo = await moveJobSpec(ctx, path, status);
    await recordInManifest(ctx, path, rec.sha256, status);
    await clearInflight(platform, folder, slot, ctx.shard);
    ctx.counts.recovered++;
    ctx.onEvent({
      type: "recovered",
      jobspec_path: path,
      action: movedTo
        ? `result was written before the crash; moved JobSpec to ${movedTo} and recorded it (not re-run)`
        : `result was written before the crash; recorded it in the manifest (not re-run)`,
    });
    if (written) await ctx.notifier!.jobDone({ ...written, movedTo }, ctx.onEvent);
    return true;
  }

  const stat = await platform.stat(path);
  if (!stat || !stat.isFile) {
    await clearInflight(platform, folder, slot, ctx.shard);
    ctx.onEvent({
      type: "warning",
      message: `interrupted job ${path} has no result and its JobSpec is gone; nothing to recover`,
    });
    return true;
  }
  const sha = await sha256Hex(await platform.readFile(path));
  if (sha !== rec.sha256) {
    await clearInflight(platform, folder, slot, ctx.shard);
    ctx.onEvent({
      type: "recovered",
      jobspec_path: path,
      action: "JobSpec changed since the interrupted run; it is treated as a new job",
    });
    return true;
  }
  // Killed mid-run: what its FFmpeg was writing is garbage, whether the job runs again or is failed.
  if (ctx.cleanupPartials) {
    try {
      await ctx.cleanupPartials(rec);
    } catch (error) {
      ctx.onEvent({ type: "warning", message: `cleaning partial outputs of ${path} failed: ${messageOf(error)}` });
    }
  }
  if (rec.attempts >= MAX_ATTEMPTS) {
    const reason = `interrupted ${rec.attempts} times: the runner was killed while this job was running ` +
      `(last start ${rec.started_at}); not retried again. Fix the cause, then reset the job to run it again.`;
    await finishJob(ctx, path, sha, await runnerFailure(ctx, path, platform.now(), reason), slot);
    ctx.counts.recovered++;
    ctx.onEvent({
      type: "recovered",
      jobspec_path: path,
      action: `failed after ${rec.attempts} interruptions (poison job)`,
    });
    return true;
  }
  ctx.retries.set(path, { sha256: sha, attempts: rec.attempts, slot });
  ctx.counts.recovered++;
  ctx.onEvent({
    type: "recovered",
    jobspec_path: path,
    action: `interrupted mid-run (attempt ${rec.attempts} of ${MAX_ATTEMPTS}); it will run again`,
  });
  return false;
}

/** How long an orphan FFmpeg gets to die after SIGKILL before recovery goes on regardless. */
const ORPHAN_KILL_WAIT_MS = 5000;

/**
 * A kill -9 of the runner does not stop its FFmpeg: it goes on writing the job's temp file.
 * Left alone it could (re)create that file after this start cleaned it up, or race the
 * re-run writing the same name. So stop it first, but only after making sure the pid is
 * still that FFmpeg (its argv names the temp file): pids are reused, and a stranger must
 * never be signalled. Where argv cannot be read (not Linux), it is left alone, with a warning.
 */
export async function stopOrphanFfmpeg(ctx: RunnerContext, rec: InflightRecord): Promise<void> {
  const { platform } = ctx;
  const temp = rec.ffmpeg_temp_path;
  if (rec.pid === platform.pid || temp === undefined) return;
  // Killed between recording the temp path and recording the pid: look for it by its argv.
  const pid = rec.ffmpeg_pid ?? (await findByArg(ctx, fileArg(temp)));
  if (pid === undefined || !platform.isProcessAlive(pid)) return;
  const args = await platform.processArgs(pid);
  if (!args || !args.some((a) => a === temp || a === fileArg(temp))) {
    // On Linux no argv means gone or a zombie; elsewhere the OS was not asked.
    if (!args && platform.os !== "linux") {
      ctx.onEvent({
        type: "warning",
        message:
          `FFmpeg pid ${pid} of the killed runner may still be writing ${temp}; it could not be checked, so it was left alone`,
      });
    }
    return; // gone meanwhile, or the pid now belongs to another process
  }
  try {
    platform.killProcess(pid, "SIGKILL");
  } catch { /* exited just now */ }
  const deadline = platform.monotonic() + ORPHAN_KILL_WAIT_MS;
  // A killed orphan is a zombie until init reaps it: no argv any more counts as gone.
  while (platform.isProcessAlive(pid) && (await platform.processArgs(pid)) && platform.monotonic() < deadline) {
    await platform.sleep(20);
  }
  ctx.onEvent({
    type: "warning",
    message: `stopped FFmpeg pid ${pid}, left running by the killed runner (it was writing ${temp})`,
  });
}

/** A process whose argv has `arg`; undefined when none, or where processes cannot be listed (not Linux). */
async function findByArg(ctx: RunnerContext, arg: string): Promise<number | undefined> {
  return (await ctx.platform.listProcesses())?.find((p) => p.args.includes(arg))?.pid;
}

/** Status recorded in an existing result file; an unreadable one counts as FAILED (it still blocks re-runs). */
async function resultStatus(ctx: RunnerContext, resultPath: string): Promise<FinalStatus> {
  try {
    const status = JobResult.shape.final_status.safeParse(
      JSON.parse(await ctx.platform.readText(resultPath)).final_status,
    );
    if (status.success) return status.data;
  } catch { /* fall through */ }
  return "FAILED";
}

/**
 * The result's own `<name>.tmp-<pid>` when the result lives in a subfolder (a root one is
 * removed with the root's temps below). Only that name: other files there are not ours.
 */
async function removeOrphanResultTemp(ctx: RunnerContext, jobspecPath: string, resultPath: string): Promise<void> {
  const { platform, folder } = ctx;
  const relDir = relDirOf(relativeTo(folder, jobspecPath) ?? "");
  const dir = joinRel(folder, relDir);
  if (relDir === "" || !(await platform.lstat(dir))?.isDirectory) return;
  const name = baseName(resultPath);
  for (const entry of await platform.list(dir)) {
    if (entry.isFile && parseAtomicTempName(entry.name)?.target === name) {
      await platform.remove(joinPath(dir, entry.name));
    }
  }
}

/** `<our file>.tmp-<pid>` left by a kill -9 inside writeFileAtomic: the target is intact, the temp is garbage. */
async function removeOrphanTemps(ctx: RunnerContext, entries: DirEntry[]): Promise<boolean> {
  const { platform, folder } = ctx;
  let removed = false;
  for (const entry of entries) {
    const temp = entry.isFile ? parseAtomicTempName(entry.name) : null;
    if (!temp) continue;
    const base = temp.target;
    if (ctx.shard) {
      // Sibling shards write at the same moment: only temps of our own files are garbage.
      // (The manifest's temp is written under the fold lock by whichever runner folds.)
      const record = parseInflightName(base);
      const ours = record
        ? sameShard(ctx.shard, record.shard)
        : isResultName(base) && ownsName(ctx.shard, base.slice(0, -".result.json".length) + ".json");
      if (!ours) continue;
      await platform.remove(joinPath(folder, entry.name));
      removed = true;
      continue;
    }
    if (
      base === MANIFEST_NAME || parseInflightName(base) !== null || isResultName(base) ||
      base.startsWith(`${MANIFEST_NAME}.corrupt-`)
    ) {
      await platform.remove(joinPath(folder, entry.name));
      removed = true;
    }
  }
  return removed;
}
