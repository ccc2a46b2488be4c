/**
 * Start-up recovery, run under the lock before the first scan. It reads the in-flight
 * record and finishes whatever a kill -9 interrupted (crash points in docs/crash-safety.md):
 *
 * - result written (crash after step 3, 4 or 5): never re-run. Move the JobSpec if it is
 *   still in the root, add the manifest entry if missing, clear the record.
 * - no result, JobSpec unchanged in the root (crash during step 2): retry — the record stays
 *   and the next execution is attempt n+1 — unless it was already attempted `MAX_ATTEMPTS`
 *   times: then `cleanupPartials` runs and the job is failed with a clear reason.
 * - no result, JobSpec changed or gone: the record is stale; clear it.
 *
 * Without an in-flight record, a JobSpec in the root whose result exists is *skipped*, not
 * moved: that is the seed's skip rule 1, and it is how an operator re-drops a file.
 * Also removes our own orphaned atomic-write temp files (`<name>.tmp-<pid>`).
 */
import { JobResult } from "../engine/result.ts";
import { sha256Hex } from "./hash.ts";
import { clearInflight, MAX_ATTEMPTS, readInflight } from "./inflight.ts";
import { finishJob, moveJobSpec, recordInManifest, resultPathFor, type RunnerContext, runnerFailure } from "./job.ts";
import { messageOf } from "./manifest.ts";
import { INFLIGHT_NAME, isResultName, MANIFEST_NAME, joinPath } from "./names.ts";

export async function recover(ctx: RunnerContext): Promise<void> {
  await removeOrphanTemps(ctx);
  const { platform, folder } = ctx;
  const read = await readInflight(platform, folder);
  if (read.kind === "none") return;
  if (read.kind === "corrupt") {
    ctx.onEvent({ type: "warning", message: `ignoring unreadable ${INFLIGHT_NAME} (${read.reason})` });
    await clearInflight(platform, folder);
    return;
  }
  const rec = read.record;
  const path = rec.jobspec_path;
  const resultPath = resultPathFor(folder, path);

  if (await platform.stat(resultPath)) {
    const status = await resultStatus(ctx, resultPath);
    const movedTo = await moveJobSpec(ctx, path, status);
    await recordInManifest(ctx, path, rec.sha256, status);
    await clearInflight(platform, folder);
    ctx.counts.recovered++;
    ctx.onEvent({
      type: "recovered",
      jobspec_path: path,
      action: movedTo
        ? `result was written before the crash; moved JobSpec to ${movedTo} and recorded it (not re-run)`
        : `result was written before the crash; recorded it in the manifest (not re-run)`,
    });
    return;
  }

  const stat = await platform.stat(path);
  if (!stat || !stat.isFile) {
    await clearInflight(platform, folder);
    ctx.onEvent({ type: "warning", message: `interrupted job ${path} has no result and its JobSpec is gone; nothing to recover` });
    return;
  }
  const sha = await sha256Hex(await platform.readFile(path));
  if (sha !== rec.sha256) {
    await clearInflight(platform, folder);
    ctx.onEvent({ type: "recovered", jobspec_path: path, action: "JobSpec changed since the interrupted run; it is treated as a new job" });
    return;
  }
  if (rec.attempts >= MAX_ATTEMPTS) {
    const reason = `interrupted ${rec.attempts} times: the runner was killed while this job was running ` +
      `(last start ${rec.started_at}); not retried again. Fix the cause, then reset the job to run it again.`;
    if (ctx.cleanupPartials) {
      try {
        await ctx.cleanupPartials(path);
      } catch (error) {
        ctx.onEvent({ type: "warning", message: `cleaning partial outputs of ${path} failed: ${messageOf(error)}` });
      }
    }
    await finishJob(ctx, path, sha, await runnerFailure(ctx, path, platform.now(), reason));
    ctx.counts.recovered++;
    ctx.onEvent({ type: "recovered", jobspec_path: path, action: `failed after ${rec.attempts} interruptions (poison job)` });
    return;
  }
  ctx.retries.set(path, { sha256: sha, attempts: rec.attempts });
  ctx.counts.recovered++;
  ctx.onEvent({
    type: "recovered",
    jobspec_path: path,
    action: `interrupted mid-run (attempt ${rec.attempts} of ${MAX_ATTEMPTS}); it will run again`,
  });
}

/** Status recorded in an existing result file; an unreadable one counts as FAILED (it still blocks re-runs). */
async function resultStatus(ctx: RunnerContext, resultPath: string): Promise<string> {
  try {
    const status = JobResult.shape.final_status.safeParse(JSON.parse(await ctx.platform.readText(resultPath)).final_status);
    if (status.success) return status.data;
  } catch { /* fall through */ }
  return "FAILED";
}

/** `<our file>.tmp-<pid>` left by a kill -9 inside writeFileAtomic: the target is intact, the temp is garbage. */
async function removeOrphanTemps(ctx: RunnerContext): Promise<void> {
  const { platform, folder } = ctx;
  for (const entry of await platform.list(folder)) {
    const m = /^(.*)\.tmp-\d+$/.exec(entry.name);
    if (!m || !entry.isFile) continue;
    const base = m[1]!;
    if (base === MANIFEST_NAME || base === INFLIGHT_NAME || isResultName(base) || base.startsWith(`${MANIFEST_NAME}.corrupt-`)) {
      await platform.remove(joinPath(folder, entry.name));
    }
  }
}
