/**
 * The watch-folder runner: the seed's deterministic, sequential, idempotent processor of
 * `*.json` JobSpecs in a folder root, made crash-safe.
 *
 * Seed rules kept exactly: results `<stem>.result.json` in the root; JobSpecs moved to
 * `processed/` (COMPLETED) or `failed/` (anything else) as `<stem>_<YYYYmmddTHHMMSS>.json`
 * on a clash (then `_2`, `_3`); `processed_manifest.json` keyed by absolute path. Skip when
 * the result file exists (checked first: the result file always wins) or the manifest has
 * this path with the same SHA-256; otherwise run (no record, or changed hash). Files are
 * taken in code-unit name order, one at a time (default) or up to `maxWorkers` at a time.
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
 * WORKERS (`maxWorkers` N > 1, opt-in; the seed's planned concurrency) — jobs are started
 * in the same name order, up to N at once; clips within a job stay sequential and
 * fail-fast (that is the engine). Each running job has its own in-flight record file (its
 * slot, inflight.ts), so recovery after a kill -9 with several jobs in flight finishes or
 * retries each of them exactly as it would a single one. Moves and manifest rewrites go
 * through one lock (a single writer). Results, manifest entries and moves are those of a
 * sequential run; the log is too, in the same order (ordered-log.ts): each job's events are
 * emitted as one block, blocks in submission order. In continuous mode a free worker takes
 * new files at the next poll while others still run. A bookkeeping I/O error stops the
 * other running jobs cleanly (as a stop request would) and is rethrown.
 *
 * SETTLING — a file is taken once size+mtime were unchanged for `settleSeconds` of our own
 * observation (first identical sighting starts the clock). `--once` waits (sleeping and
 * re-statting) for files that are settling, so a file dropped just before `--once` is still
 * processed in that pass; a file still changing after `onceSettleTimeoutSeconds` (default
 * 60) is left pending for the next run and reported with a `skip` event.
 */
import type { DirEntry, Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { HashCache } from "./hash.ts";
import { acquireLock } from "./lock.ts";
import { loadManifestForRun, ManifestSerializer, messageOf, writeManifest } from "./manifest.ts";
import { JOURNAL_NAME, ManifestJournal } from "./manifest-journal.ts";
import { resultPathFor, type RunJob, type RunnerContext, takeJob } from "./job.ts";
import { Mutex } from "./mutex.ts";
import { OrderedLog } from "./ordered-log.ts";
import { recover } from "./recover.ts";
import {
  absoluteFolder,
  compareNames,
  FAILED_DIR,
  isCandidateName,
  joinPath,
  MANIFEST_NAME,
  PROCESSED_DIR,
  SYMLINK_SKIP_REASON,
} from "./names.ts";
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
  /** Jobs run at the same time. Default 1 (sequential, the seed's behaviour). */
  maxWorkers?: number;
  runJob: RunJob;
  onEvent?: EventSink;
  signal: AbortSignal;
  /** Called for a job failed after two interruptions, to remove its partial outputs. */
  cleanupPartials?: (jobspecPath: string) => Promise<void>;
  /**
   * Told the next queued JobSpec whenever a job is taken, so its first source can be
   * probed during this job's encode. A hint only: it must not write or report anything.
   */
  prefetch?: (jobspecPath: string) => void;
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

interface ScanState {
  ctx: RunnerContext;
  hashes: HashCache;
  settle: SettleTracker;
  settleSeconds: number;
  /** path -> "size:mtime:reason" of the last reported skip, so polls do not repeat it. */
  reported: Map<string, string>;
  maxWorkers: number;
  /** Every event goes through here: per-job blocks in submission order. */
  log: OrderedLog;
  /** Pending paths of the latest scan not started yet, in name order. */
  queue: string[];
  /** The give-up flag of the scan that filled `queue` (`--once` after the settle timeout). */
  giveUp: boolean;
  /** Jobs running (or being re-checked before running), by JobSpec path. */
  running: Map<string, Promise<void>>;
  /** In-flight record slots in use by running jobs. */
  slotsInUse: Set<number>;
  /** Shortest wait until a settling file could be taken; null when nothing is settling. */
  settlingWaitMs: number | null;
  /** A job was stopped by the signal, or bookkeeping failed: take nothing new. */
  stopped: boolean;
  failure: { error: unknown } | null;
  /** Stop every running job (bookkeeping failure). */
  abortAll: () => void;
  prefetch?: (jobspecPath: string) => void;
}

/** Run the watch folder until `signal` aborts (or one pass with `once`). Throws `LockHeldError` when another runner holds the folder. */
export async function runWatchFolder(platform: Platform, options: WatchOptions): Promise<WatchSummary> {
  const onEvent = options.onEvent ?? (() => {});
  const folder = await absoluteFolder(platform, options.folder);
  const pollMs = Math.max(0, (options.pollSeconds ?? 2) * 1000);
  const settleSeconds = Math.max(0, options.settleSeconds ?? 2);
  const maxWorkers = Math.max(1, Math.floor(options.maxWorkers ?? 1));
  const lock = await acquireLock(platform, folder, onEvent);
  // Jobs see this signal: the caller's stop request, or our own when bookkeeping failed.
  const internal = new AbortController();
  const forward = () => internal.abort();
  if (options.signal.aborted) internal.abort();
  else options.signal.addEventListener("abort", forward, { once: true });
  const ctx: RunnerContext = {
    platform,
    folder,
    manifest: { version: 1, entries: {} },
    onEvent,
    signal: internal.signal,
    runJob: options.runJob,
    cleanupPartials: options.cleanupPartials,
    proxxVersion: options.proxxVersion ?? "unknown",
    retries: new Map(),
    counts: { processed: 0, completed: 0, failed: 0, invalid: 0, skipped: 0, recovered: 0 },
    bookkeeping: new Mutex(),
  };
  const serializer = new ManifestSerializer();
  ctx.journal = new ManifestJournal(
    platform,
    folder,
    (manifest) => writeManifest(platform, folder, manifest, serializer),
  );
  let stopError: unknown = null;
  try {
    await platform.mkdir(joinPath(folder, PROCESSED_DIR));
    await platform.mkdir(joinPath(folder, FAILED_DIR));
    ctx.manifest = await loadManifestForRun(platform, folder, onEvent);
    // One listing serves recovery and, when recovery changed nothing, the first scan.
    const entries = await platform.list(folder);
    let listing: DirEntry[] | null = (await recover(ctx, entries)) ? null : entries;
    const state: ScanState = {
      ctx,
      hashes: new HashCache(),
      settle: new SettleTracker(settleSeconds * 1000),
      settleSeconds,
      reported: new Map(),
      maxWorkers,
      log: new OrderedLog(onEvent),
      queue: [],
      giveUp: false,
      running: new Map(),
      slotsInUse: new Set(),
      settlingWaitMs: null,
      stopped: false,
      failure: null,
      abortAll: () => internal.abort(),
      prefetch: options.prefetch,
    };
    const firstListing = () => {
      const l = listing;
      listing = null;
      return l;
    };
    if (options.once) {
      const deadline = platform.monotonic() + (options.onceSettleTimeoutSeconds ?? 60) * 1000;
      for (;;) {
        await scan(state, false, firstListing());
        await drain(state);
        if (state.stopped || ctx.signal.aborted || state.settlingWaitMs === null) break;
        if (platform.monotonic() >= deadline) {
          await scan(state, true); // report what is still changing
          await drain(state);
          break;
        }
        await sleepAbortable(
          platform,
          Math.min(state.settlingWaitMs, Math.max(1, deadline - platform.monotonic())),
          ctx.signal,
        );
      }
    } else {
      while (!ctx.signal.aborted && !state.stopped) {
        // Scan when a worker is free and nothing from the last scan is waiting for one.
        if (state.queue.length === 0 && state.running.size < maxWorkers) {
          await scan(state, false, firstListing());
          // One worker: finish the scan's jobs before sleeping, exactly the sequential loop.
          if (maxWorkers === 1) await drain(state);
        }
        if (ctx.signal.aborted || state.stopped) break;
        const wait = state.settlingWaitMs === null ? pollMs : Math.min(pollMs, state.settlingWaitMs);
        await sleepAbortable(platform, Math.max(wait, 1), ctx.signal);
      }
      await drain(state);
    }
    if (state.failure) throw state.failure.error;
  } catch (error) {
    stopError = error;
    throw error;
  } finally {
    options.signal.removeEventListener("abort", forward);
    // Leave the manifest file complete. After a bookkeeping failure the journal stays as it
    // is (the next start folds it), rather than risk another write on a failing disk.
    if (stopError === null) await flushJournal(ctx);
    await lock.release();
  }
  return { ...ctx.counts, interrupted: options.signal.aborted };
}

/**
 * One scan: classify every candidate not already running (skip / settling / pending), emit
 * `scan`, queue the pending ones in name order and start as many as there are free workers.
 * Each is re-checked right before it is taken (the folder may have changed meanwhile).
 */
async function scan(state: ScanState, giveUp: boolean, listing: DirEntry[] | null = null): Promise<void> {
  const { ctx } = state;
  const { platform, folder } = ctx;
  const out = state.log.block();
  try {
    const entries = listing ?? (await platform.list(folder));
    const names = entries
      .filter((e) => e.isFile && !e.isDirectory && isCandidateName(e.name))
      .map((e) => e.name)
      .sort(compareNames);
    const pending: string[] = [];
    let settling = 0;
    let skipped = 0;
    state.settlingWaitMs = null;
    // Symlinked JobSpecs are never taken (policy: docs/reliability.md), but said so once,
    // rather than silently ignored: the link, not its target, is what would be moved.
    for (
      const e of entries.filter((e) => e.isSymlink && isCandidateName(e.name)).sort((a, b) =>
        compareNames(a.name, b.name)
      )
    ) {
      const path = joinPath(folder, e.name);
      const stat = await platform.lstat(path);
      if (!stat) continue;
      reportSkip(state, path, stat, SYMLINK_SKIP_REASON, out.emit);
      skipped++;
    }
    for (const name of names) {
      const path = joinPath(folder, name);
      if (state.running.has(path)) continue;
      const verdict = await classify(state, path, giveUp, out.emit);
      if (verdict.kind === "pending") pending.push(path);
      else if (verdict.kind === "skip") skipped++;
      else if (verdict.kind === "settling") {
        settling++;
        noteSettling(state, verdict.waitMs);
      }
    }
    out.emit({ type: "scan", folder, pending: pending.length, settling, skipped });
    state.queue = pending;
    state.giveUp = giveUp;
  } finally {
    out.close();
  }
  fill(state);
}

/** Start queued jobs while a worker is free. */
function fill(state: ScanState): void {
  while (
    state.queue.length > 0 && state.running.size < state.maxWorkers &&
    !state.stopped && !state.failure && !state.ctx.signal.aborted
  ) {
    start(state, state.queue.shift()!);
  }
}

function start(state: ScanState, path: string): void {
  const out = state.log.block();
  let settled!: () => void;
  state.running.set(path, new Promise<void>((resolve) => (settled = resolve)));
  void (async () => {
    try {
      await runOne(state, path, out.emit);
    } catch (error) {
      // Bookkeeping I/O failed (disk full...): stop the others cleanly, rethrow at the end.
      if (!state.failure) state.failure = { error };
      state.stopped = true;
      state.abortAll();
    } finally {
      out.close();
      state.running.delete(path);
      // Idle (nothing running, nothing queued): bring the manifest file up to date now.
      if (state.running.size === 0 && state.queue.length === 0 && !state.failure) {
        try {
          await flushJournal(state.ctx);
        } catch (error) {
          state.failure = { error };
          state.stopped = true;
        }
      }
      settled();
      fill(state);
    }
  })();
}

/** Fold the manifest journal into the file, as the single bookkeeping writer. */
async function flushJournal(ctx: RunnerContext): Promise<void> {
  const journal = ctx.journal;
  if (!journal || journal.unfolded === 0) return;
  try {
    await ctx.bookkeeping.run(() => journal.flush(ctx.manifest));
  } catch (error) {
    ctx.onEvent({
      type: "warning",
      message: `could not update ${joinPath(ctx.folder, MANIFEST_NAME)} (${
        messageOf(error)
      }); its new entries are safe in ${JOURNAL_NAME}, which the next start folds in`,
    });
    throw error;
  }
}

async function runOne(state: ScanState, path: string, emit: EventSink): Promise<void> {
  const { ctx } = state;
  const verdict = await classify(state, path, state.giveUp, emit);
  if (verdict.kind === "settling") noteSettling(state, verdict.waitMs);
  if (verdict.kind === "gone") {
    // Removed or renamed between the scan and now: nothing ran, nothing to record.
    emit({
      type: "skip",
      jobspec_path: path,
      reason: "gone before it was taken (removed, renamed or replaced by a link); nothing ran",
    });
    return;
  }
  if (verdict.kind !== "pending") return;
  if (ctx.signal.aborted) return;
  const slot = takeSlot(state, path);
  state.slotsInUse.add(slot);
  const next = state.queue[0];
  if (next) state.prefetch?.(next);
  let done: boolean;
  try {
    done = await takeJob(ctx, path, verdict.sha256, slot, emit);
  } finally {
    state.slotsInUse.delete(slot);
  }
  state.hashes.forget(path);
  state.settle.forget(path);
  state.reported.delete(path);
  if (!done) state.stopped = true;
}

/**
 * The in-flight slot for a job: the slot whose record still holds this job's interrupted
 * attempt (recovery), else the lowest slot neither running a job nor holding another
 * job's interrupted attempt. With one worker and no leftovers that is always slot 0.
 */
function takeSlot(state: ScanState, path: string): number {
  const own = state.ctx.retries.get(path);
  if (own && !state.slotsInUse.has(own.slot)) return own.slot;
  const reserved = new Set([...state.ctx.retries.values()].map((r) => r.slot));
  for (let slot = 0;; slot++) {
    if (!state.slotsInUse.has(slot) && !reserved.has(slot)) return slot;
  }
}

/** Wait until no job is running (jobs start more queued jobs as they finish). */
async function drain(state: ScanState): Promise<void> {
  while (state.running.size > 0) await Promise.race(state.running.values());
}

function noteSettling(state: ScanState, waitMs: number): void {
  state.settlingWaitMs = state.settlingWaitMs === null ? waitMs : Math.min(state.settlingWaitMs, waitMs);
}

type Verdict =
  | { kind: "gone" }
  | { kind: "skip" }
  | { kind: "settling"; waitMs: number }
  | { kind: "pending"; sha256: string };

async function classify(state: ScanState, path: string, giveUp: boolean, emit: EventSink): Promise<Verdict> {
  const { ctx } = state;
  const { platform } = ctx;
  // lstat: a JobSpec swapped for a symlink since the scan is not taken either.
  const stat = await platform.lstat(path);
  if (!stat || !stat.isFile) return { kind: "gone" };
  // Seed skip rule 1, checked first: an existing result file always wins. lstat: anything
  // at that name counts (a dangling or looping symlink too), so it is never written over.
  if (await platform.lstat(resultPathFor(ctx.folder, path))) {
    reportSkip(state, path, stat, "result file exists", emit);
    return { kind: "skip" };
  }
  const obs = state.settle.observe(path, stat.size, stat.mtimeMs, platform.now());
  if (!obs.settled) {
    if (giveUp) {
      reportSkip(state, path, stat, `still being written after waiting; left pending for the next run`, emit);
      return { kind: "skip" };
    }
    if (obs.fresh) emit({ type: "settling", jobspec_path: path, settle_seconds: state.settleSeconds });
    return { kind: "settling", waitMs: obs.waitMs };
  }
  let sha256: string;
  try {
    sha256 = await state.hashes.hash(platform, path, stat);
  } catch (error) {
    // One unreadable JobSpec (permissions, EIO) must not stop the runner for every other one.
    if (!(await platform.lstat(path).catch(() => null))) return { kind: "gone" };
    reportSkip(state, path, stat, `cannot be read (${messageOf(error)}); left in place`, emit);
    return { kind: "skip" };
  }
  // Seed skip rule 2: same absolute path, same bytes already processed.
  const entry = ctx.manifest.entries[path];
  if (entry && entry.sha256 === sha256) {
    reportSkip(state, path, stat, "already processed (manifest hash match)", emit);
    return { kind: "skip" };
  }
  return { kind: "pending", sha256 };
}

function reportSkip(
  state: ScanState,
  path: string,
  stat: { size: number; mtimeMs: number },
  reason: string,
  emit: EventSink,
): void {
  const key = `${stat.size}:${stat.mtimeMs}:${reason}`;
  if (state.reported.get(path) === key) return;
  state.reported.set(path, key);
  state.ctx.counts.skipped++;
  emit({ type: "skip", jobspec_path: path, reason });
}

/** Ends early on an abort (the platform's sleep takes the signal). */
function sleepAbortable(platform: Platform, ms: number, signal: AbortSignal): Promise<void> {
  return platform.sleep(ms, signal);
}
