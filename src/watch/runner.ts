/**
 * The watch-folder runner: the seed's deterministic, sequential, idempotent processor of
 * `*.json` JobSpecs in a folder root, made crash-safe.
 *
 * Seed rules kept exactly: results `<stem>.result.json` in the root; JobSpecs moved to
 * `processed/` (COMPLETED) or `failed/` (anything else) as `<stem>_<YYYYmmddTHHMMSS>.json`
 * on a clash (then `_2`, `_3`); `processed_manifest.json` keyed by absolute path. Skip when
 * the result file exists (checked first: the result file always wins) or the manifest has
 * this path with the same SHA-256; otherwise run (no record, or changed hash). Files are
 * taken in code-unit name order, one at a time.
 *
 * Fixed seed defects: invalid JobSpecs come back from RunJob as PARTIAL and are recorded
 * and moved to failed/ like any result (never reported again); an exception from a job
 * becomes a FAILED result; half-written files wait until settled (settle.ts); one runner
 * per folder (lock.ts); writes are atomic; abort via `signal`.
 *
 * CRASH SAFETY — step order for one job (job.ts), and what a kill -9 after each leaves:
 *   1. write `.proxx.inflight.json` {path, sha256, attempts} atomically
 *        crash → record, no result: next start retries (attempt 2), or fails the job with
 *        "interrupted 2 times" once attempts ≥ 2 (poison job cannot loop).
 *   2. execute RunJob (the engine removes stale partial outputs when it re-runs)
 *        crash → same as 1.
 *   3. write `<stem>.result.json` atomically
 *        crash → record + result + JobSpec in root: next start moves it and adds the
 *        manifest entry; it does NOT re-run (result exists).
 *   4. rename the JobSpec into processed/ or failed/ (clash-free name)
 *        crash → record + result, JobSpec moved: next start adds the manifest entry.
 *   5. rewrite the manifest atomically with the entry
 *        crash → record + everything done: next start just clears the record.
 *   6. remove the in-flight record.
 * Atomic writes leave old-or-new content (a `.tmp-<pid>` orphan is removed at start), so
 * the manifest always parses; JobSpecs are only ever renamed, never rewritten or deleted,
 * so none is lost. Bookkeeping I/O errors (disk full...) are not swallowed: they stop the
 * runner with the in-flight record in place, which the next start treats as a crash.
 * A graceful stop (signal aborted, RunJob returns INTERRUPTED) writes no result and no
 * manifest entry, clears the record (not a crash) and leaves the JobSpec pending.
 * Full discussion: docs/crash-safety.md.
 *
 * SETTLING — a file is taken once size+mtime were unchanged for `settleSeconds` of our own
 * observation (first identical sighting starts the clock). `--once` waits (sleeping and
 * re-statting) for files that are settling, so a file dropped just before `--once` is still
 * processed in that pass; a file still changing after `onceSettleTimeoutSeconds` (default
 * 60) is left pending for the next run and reported with a `skip` event.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { HashCache } from "./hash.ts";
import { acquireLock } from "./lock.ts";
import { loadManifestForRun } from "./manifest.ts";
import { type RunJob, type RunnerContext, resultPathFor, takeJob } from "./job.ts";
import { recover } from "./recover.ts";
import { absoluteFolder, compareNames, FAILED_DIR, isCandidateName, joinPath, PROCESSED_DIR } from "./names.ts";
import { SettleTracker } from "./settle.ts";

export type { RunJob } from "./job.ts";

export interface WatchOptions {
  folder: string;
  /** Single pass (waiting for settling files), then return. */
  once: boolean;
  /** Seconds between scans in continuous mode. Default 2 (seed). */
  pollSeconds?: number;
  /** Seconds a file's size+mtime must stay unchanged before it is taken. Default 2; 0 = immediately. */
  settleSeconds?: number;
  /** `--once` only: stop waiting for files still changing after this many seconds. Default 60. */
  onceSettleTimeoutSeconds?: number;
  runJob: RunJob;
  onEvent?: EventSink;
  signal: AbortSignal;
  /** Called for a job failed after two interruptions, to remove its partial outputs. */
  cleanupPartials?: (jobspecPath: string) => Promise<void>;
  /** Stamped into results the runner makes itself (exceptions, poison jobs). */
  proxxVersion?: string;
}

export interface WatchSummary {
  /** Jobs that got a result file in this run (any status). */
  processed: number;
  completed: number;
  /** FAILED (and any other non-COMPLETED, non-PARTIAL status). */
  failed: number;
  /** PARTIAL: invalid JobSpecs. */
  invalid: number;
  /** Distinct skip decisions (result exists / manifest match / still changing), once per file state. */
  skipped: number;
  /** Crash leftovers handled at start. */
  recovered: number;
  /** True when `signal` was aborted (the CLI maps it to exit 130/143). */
  interrupted: boolean;
}

interface ScanOutcome {
  /** Shortest wait until a settling file could be taken; null when nothing is settling. */
  settlingWaitMs: number | null;
  stopped: boolean;
}

interface ScanState {
  ctx: RunnerContext;
  hashes: HashCache;
  settle: SettleTracker;
  settleSeconds: number;
  /** path -> "size:mtime:reason" of the last reported skip, so polls do not repeat it. */
  reported: Map<string, string>;
}

/** Run the watch folder until `signal` aborts (or one pass with `once`). Throws `LockHeldError` when another runner holds the folder. */
export async function runWatchFolder(platform: Platform, options: WatchOptions): Promise<WatchSummary> {
  const onEvent = options.onEvent ?? (() => {});
  const folder = await absoluteFolder(platform, options.folder);
  const pollMs = Math.max(0, (options.pollSeconds ?? 2) * 1000);
  const settleSeconds = Math.max(0, options.settleSeconds ?? 2);
  const lock = await acquireLock(platform, folder, onEvent);
  const ctx: RunnerContext = {
    platform,
    folder,
    manifest: { version: 1, entries: {} },
    onEvent,
    signal: options.signal,
    runJob: options.runJob,
    cleanupPartials: options.cleanupPartials,
    proxxVersion: options.proxxVersion ?? "unknown",
    retries: new Map(),
    counts: { processed: 0, completed: 0, failed: 0, invalid: 0, skipped: 0, recovered: 0 },
  };
  try {
    await platform.mkdir(joinPath(folder, PROCESSED_DIR));
    await platform.mkdir(joinPath(folder, FAILED_DIR));
    ctx.manifest = await loadManifestForRun(platform, folder, onEvent);
    await recover(ctx);
    const state: ScanState = {
      ctx,
      hashes: new HashCache(),
      settle: new SettleTracker(settleSeconds * 1000),
      settleSeconds,
      reported: new Map(),
    };
    if (options.once) {
      const deadline = platform.monotonic() + (options.onceSettleTimeoutSeconds ?? 60) * 1000;
      for (;;) {
        const outcome = await scan(state, false);
        if (outcome.stopped || outcome.settlingWaitMs === null) break;
        if (platform.monotonic() >= deadline) {
          await scan(state, true); // report what is still changing
          break;
        }
        await sleepAbortable(platform, Math.min(outcome.settlingWaitMs, Math.max(1, deadline - platform.monotonic())), options.signal);
      }
    } else {
      while (!options.signal.aborted) {
        const outcome = await scan(state, false);
        if (outcome.stopped) break;
        const wait = outcome.settlingWaitMs === null ? pollMs : Math.min(pollMs, outcome.settlingWaitMs);
        await sleepAbortable(platform, Math.max(wait, 1), options.signal);
      }
    }
  } finally {
    await lock.release();
  }
  return { ...ctx.counts, interrupted: options.signal.aborted };
}

/**
 * One scan: classify every candidate (skip / settling / pending), emit `scan`, then take the
 * pending ones in name order, re-checking each right before taking it (the folder may have
 * changed while an earlier job ran).
 */
async function scan(state: ScanState, giveUp: boolean): Promise<ScanOutcome> {
  const { ctx } = state;
  const { platform, folder } = ctx;
  const names = (await platform.list(folder))
    .filter((e) => e.isFile && !e.isDirectory && isCandidateName(e.name))
    .map((e) => e.name)
    .sort(compareNames);
  const pending: string[] = [];
  let settling = 0;
  let skipped = 0;
  let settlingWaitMs: number | null = null;
  for (const name of names) {
    const path = joinPath(folder, name);
    const verdict = await classify(state, path, giveUp);
    if (verdict.kind === "pending") pending.push(path);
    else if (verdict.kind === "skip") skipped++;
    else if (verdict.kind === "settling") {
      settling++;
      settlingWaitMs = settlingWaitMs === null ? verdict.waitMs : Math.min(settlingWaitMs, verdict.waitMs);
    }
  }
  ctx.onEvent({ type: "scan", folder, pending: pending.length, settling, skipped });
  for (const path of pending) {
    if (ctx.signal.aborted) return { settlingWaitMs, stopped: true };
    const verdict = await classify(state, path, giveUp);
    if (verdict.kind !== "pending") {
      if (verdict.kind === "settling") {
        settlingWaitMs = settlingWaitMs === null ? verdict.waitMs : Math.min(settlingWaitMs, verdict.waitMs);
      }
      continue;
    }
    const done = await takeJob(ctx, path, verdict.sha256);
    state.hashes.forget(path);
    state.settle.forget(path);
    state.reported.delete(path);
    if (!done) return { settlingWaitMs, stopped: true };
  }
  return { settlingWaitMs, stopped: ctx.signal.aborted };
}

type Verdict =
  | { kind: "gone" }
  | { kind: "skip" }
  | { kind: "settling"; waitMs: number }
  | { kind: "pending"; sha256: string };

async function classify(state: ScanState, path: string, giveUp: boolean): Promise<Verdict> {
  const { ctx } = state;
  const { platform } = ctx;
  const stat = await platform.stat(path);
  if (!stat || !stat.isFile) return { kind: "gone" };
  // Seed skip rule 1, checked first: an existing result file always wins.
  if (await platform.stat(resultPathFor(ctx.folder, path))) {
    reportSkip(state, path, stat, "result file exists");
    return { kind: "skip" };
  }
  const obs = state.settle.observe(path, stat.size, stat.mtimeMs, platform.now());
  if (!obs.settled) {
    if (giveUp) {
      reportSkip(state, path, stat, `still being written after waiting; left pending for the next run`);
      return { kind: "skip" };
    }
    if (obs.fresh) ctx.onEvent({ type: "settling", jobspec_path: path, settle_seconds: state.settleSeconds });
    return { kind: "settling", waitMs: obs.waitMs };
  }
  const sha256 = await state.hashes.hash(platform, path, stat);
  // Seed skip rule 2: same absolute path, same bytes already processed.
  const entry = ctx.manifest.entries[path];
  if (entry && entry.sha256 === sha256) {
    reportSkip(state, path, stat, "already processed (manifest hash match)");
    return { kind: "skip" };
  }
  return { kind: "pending", sha256 };
}

function reportSkip(state: ScanState, path: string, stat: { size: number; mtimeMs: number }, reason: string): void {
  const key = `${stat.size}:${stat.mtimeMs}:${reason}`;
  if (state.reported.get(path) === key) return;
  state.reported.set(path, key);
  state.ctx.counts.skipped++;
  state.ctx.onEvent({ type: "skip", jobspec_path: path, reason });
}

/** platform.sleep in short slices so an abort is noticed quickly. */
async function sleepAbortable(platform: Platform, ms: number, signal: AbortSignal): Promise<void> {
  const end = platform.monotonic() + ms;
  while (!signal.aborted) {
    const left = end - platform.monotonic();
    if (left <= 0) return;
    await platform.sleep(Math.min(left, 200));
  }
}
