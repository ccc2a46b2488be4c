/**
 * The watch-folder runner: takes each pending `*.json` JobSpec of a folder root (with
 * `recursive`, of its subfolders too: tree.ts), in name order (relative-path order), runs
 * it and records the outcome (result file beside it, move to processed/ or failed/,
 * manifest entry); idempotent, crash-safe, one runner per folder (lock.ts). The step
 * order for one job, what a kill -9 after each step leaves and what the next start does
 * with it: docs/crash-safety.md (code: job.ts, recover.ts). The skip rules: classify.ts.
 *
 * Workers (`maxWorkers` N > 1): up to N jobs at once, started in name order, each with its
 * own in-flight slot; results, moves, manifest entries and the log (ordered-log.ts) are
 * those of a sequential run. In continuous mode a free worker takes new files at the next
 * poll. `--once` waits for files still settling, at most `onceSettleTimeoutSeconds`, then
 * reports them with a `skip` and leaves them pending.
 */
import type { DirEntry, Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { HashCache } from "./hash.ts";
import { acquireLock, LockHeldError } from "./lock.ts";
import { loadManifestForRun, ManifestSerializer, messageOf } from "./manifest.ts";
import { JOURNAL_NAME, journalFor, shardJournalName } from "./manifest-journal.ts";
import { shardLabel, type ShardSpec } from "../shard/spec.ts";
import { type RunJob, type RunnerContext, takeJob } from "./job.ts";
import type { JobNotifier } from "./job-notifier.ts";
import { classifyJobSpec, type Verdict } from "./classify.ts";
import { Mutex } from "./mutex.ts";
import { OrderedLog } from "./ordered-log.ts";
import { recover } from "./recover.ts";
import { absoluteFolder, FAILED_DIR, joinPath, MANIFEST_NAME, PROCESSED_DIR, SYMLINK_SKIP_REASON } from "./names.ts";
import { SettleTracker } from "./settle.ts";
import { findCandidates } from "./tree.ts";

export type { RunJob } from "./job.ts";

export interface WatchOptions {
  folder: string;
  /** Single pass (waiting for settling files), then return. */
  once: boolean;
  /**
   * Take JobSpecs in subfolders too (tree.ts: which folders are walked), in relative-path
   * order; each result is written beside its JobSpec and moves mirror the subfolder
   * (`processed/<rel dir>/`). Default false: the folder root only.
   */
  recursive?: boolean;
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
  /** Called with the in-flight record of a job killed mid-run, before it runs again or is failed: remove what its FFmpeg was writing. */
  cleanupPartials?: RunnerContext["cleanupPartials"];
  /**
   * Told the next queued JobSpec whenever a job is taken, so its first source can be
   * probed during this job's encode. A hint only: it must not write or report anything.
   */
  prefetch?: (jobspecPath: string) => void;
  /** Stamped into results the runner makes itself (exceptions, poison jobs). */
  proxxVersion?: string;
  /** Who hears about each finished job (src/notify/: hook, webhooks and their outbox). */
  notifier?: JobNotifier;
  /** `--shard I/N`: take only this shard's JobSpecs (src/shard/assign.ts), under its own lock. */
  shard?: ShardSpec | null;
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

/** One runner's state across scans; the rest is derived from it. */
interface Runner {
  ctx: RunnerContext;
  maxWorkers: number;
  settleSeconds: number;
  recursive: boolean;
  prefetch?: (jobspecPath: string) => void;
  /**
   * The one stop signal (`ctx.signal` is its signal): aborted by the caller's signal, or
   * by a bookkeeping failure. Jobs see it; once aborted nothing new is taken.
   */
  stop: AbortController;
  /** The first bookkeeping I/O error (disk full...): it aborted `stop` and is rethrown at the end. */
  failure: { error: unknown } | null;
  /** What the skip rules remember between scans. */
  hashes: HashCache;
  settle: SettleTracker;
  /** path -> "size:mtime:reason" of the last reported skip, so polls do not repeat it. */
  reported: Map<string, string>;
  /** Subfolder -> reason of the last warning that it was passed over (recursive only), so polls do not repeat it. */
  passedOver: Map<string, string>;
  /** Every event goes through here: per-job blocks in submission order. */
  log: OrderedLog;
  /** Pending paths of the latest scan not started yet, in name order, and that scan's give-up flag. */
  queue: { paths: string[]; giveUp: boolean };
  /** Jobs running (or being re-checked before running), by JobSpec path, with their in-flight slot once taken. */
  running: Map<string, { done: Promise<void>; slot: number | null }>;
  /** Shortest wait until a settling file could be taken; null when nothing is settling. */
  settlingWaitMs: number | null;
}

/** Run the watch folder until `signal` aborts (or one pass with `once`). Throws `LockHeldError` when another runner holds the folder. */
export async function runWatchFolder(platform: Platform, options: WatchOptions): Promise<WatchSummary> {
  const onEvent = options.onEvent ?? (() => {});
  const folder = await absoluteFolder(platform, options.folder);
  const pollMs = Math.max(0, (options.pollSeconds ?? 2) * 1000);
  const settleSeconds = Math.max(0, options.settleSeconds ?? 2);
  const maxWorkers = Math.max(1, Math.floor(options.maxWorkers ?? 1));
  const shard = options.shard ?? null;
  if (shard) onEvent({ type: "shard", folder, index: shard.index, total: shard.total, source: shard.source });
  const lock = await acquireLock(platform, folder, onEvent, { shard, signal: options.signal });
  const stop = new AbortController();
  const forward = () => stop.abort();
  if (options.signal.aborted) stop.abort();
  else options.signal.addEventListener("abort", forward, { once: true });
  // Taken over after a stall longer than the lease: another runner has this share now.
  lock.lost.addEventListener("abort", () => stop.abort(), { once: true });
  const ctx: RunnerContext = {
    platform,
    folder,
    manifest: { version: 1, entries: {} },
    onEvent,
    signal: stop.signal,
    runJob: options.runJob,
    cleanupPartials: options.cleanupPartials,
    proxxVersion: options.proxxVersion ?? "unknown",
    retries: new Map(),
    counts: { processed: 0, completed: 0, failed: 0, invalid: 0, skipped: 0, recovered: 0 },
    bookkeeping: new Mutex(),
    notifier: options.notifier,
    shard,
  };
  ctx.journal = journalFor(platform, folder, shard, new ManifestSerializer(), onEvent);
  let stopError: unknown = null;
  try {
    await platform.mkdir(joinPath(folder, PROCESSED_DIR));
    await platform.mkdir(joinPath(folder, FAILED_DIR));
    ctx.manifest = await loadManifestForRun(platform, folder, onEvent, shard);
    await options.notifier?.open(folder, onEvent);
    // One listing serves recovery and, when recovery changed nothing, the first scan.
    const entries = await platform.list(folder);
    let listing: DirEntry[] | null = (await recover(ctx, entries)) ? null : entries;
    const runner: Runner = {
      ctx,
      maxWorkers,
      settleSeconds,
      recursive: Boolean(options.recursive),
      prefetch: options.prefetch,
      stop,
      failure: null,
      hashes: new HashCache(),
      settle: new SettleTracker(settleSeconds * 1000),
      reported: new Map(),
      passedOver: new Map(),
      log: new OrderedLog(onEvent),
      queue: { paths: [], giveUp: false },
      running: new Map(),
      settlingWaitMs: null,
    };
    const firstListing = () => {
      const l = listing;
      listing = null;
      return l;
    };
    if (options.once) {
      const deadline = platform.monotonic() + (options.onceSettleTimeoutSeconds ?? 60) * 1000;
      for (;;) {
        await scan(runner, false, firstListing());
        await drain(runner);
        if (ctx.signal.aborted || runner.settlingWaitMs === null) break;
        if (platform.monotonic() >= deadline) {
          await scan(runner, true); // report what is still changing
          await drain(runner);
          break;
        }
        await sleepAbortable(
          platform,
          Math.min(runner.settlingWaitMs, Math.max(1, deadline - platform.monotonic())),
          ctx.signal,
        );
      }
    } else {
      while (!ctx.signal.aborted) {
        // Scan when a worker is free and nothing from the last scan is waiting for one.
        if (runner.queue.paths.length === 0 && runner.running.size < maxWorkers) {
          await scan(runner, false, firstListing());
          // One worker: finish the scan's jobs before sleeping, exactly the sequential loop.
          if (maxWorkers === 1) await drain(runner);
        }
        if (ctx.signal.aborted) break;
        const wait = runner.settlingWaitMs === null ? pollMs : Math.min(pollMs, runner.settlingWaitMs);
        await sleepAbortable(platform, Math.max(wait, 1), ctx.signal);
      }
      await drain(runner);
    }
    if (runner.failure) throw runner.failure.error;
    if (lock.lost.aborted) {
      throw new LockHeldError(
        folder,
        null,
        `${
          shard ? `shard ${shardLabel(shard)} of ` : ""
        }${folder}: lock lost (taken over by another runner after a stall longer than its lease)`,
      );
    }
  } catch (error) {
    stopError = error;
    throw error;
  } finally {
    options.signal.removeEventListener("abort", forward);
    // Leave the manifest file complete. After a bookkeeping failure the journal stays as it
    // is (the next start folds it), rather than risk another write on a failing disk.
    if (stopError === null) await flushJournal(ctx);
    // --once waits for its deliveries (within their retry budget); a stop leaves them due in the outbox.
    await options.notifier?.close(options.once && !stop.signal.aborted);
    await lock.release();
  }
  return { ...ctx.counts, interrupted: options.signal.aborted };
}

/**
 * One scan: classify every candidate not already running, emit `scan`, queue the pending
 * ones in name order and start as many as there are free workers. Each is classified again
 * right before it is taken (the folder may have changed meanwhile).
 */
async function scan(runner: Runner, giveUp: boolean, listing: DirEntry[] | null = null): Promise<void> {
  const { platform, folder } = runner.ctx;
  const out = runner.log.block();
  try {
    const entries = listing ?? (await platform.list(folder));
    const found = await findCandidates(platform, folder, entries, runner.recursive);
    const pending: string[] = [];
    let settling = 0;
    let skipped = 0;
    runner.settlingWaitMs = null;
    notePassedOver(runner, found.passedOver, out.emit);
    // Symlinked JobSpecs are never taken (policy: docs/reliability.md), but said so once,
    // rather than silently ignored: the link, not its target, is what would be moved.
    for (const path of found.links) {
      const verdict = await classify(runner, path, giveUp);
      if (verdict.kind !== "link") continue;
      reportSkip(runner, path, verdict.stat, SYMLINK_SKIP_REASON, out.emit);
      skipped++;
    }
    for (const path of found.files) {
      if (runner.running.has(path)) continue;
      const verdict = await classify(runner, path, giveUp);
      if (verdict.kind === "pending") pending.push(path);
      else if (verdict.kind === "skip") {
        reportSkip(runner, path, verdict.stat, verdict.reason, out.emit);
        skipped++;
      } else if (verdict.kind === "settling") {
        noteSettling(runner, verdict, path, out.emit);
        settling++;
      }
    }
    out.emit({ type: "scan", folder, pending: pending.length, settling, skipped });
    runner.queue = { paths: pending, giveUp };
  } finally {
    out.close();
  }
  fill(runner);
}

/** Start queued jobs while a worker is free. */
function fill(runner: Runner): void {
  while (runner.queue.paths.length > 0 && runner.running.size < runner.maxWorkers && !runner.stop.signal.aborted) {
    start(runner, runner.queue.paths.shift()!);
  }
}

function start(runner: Runner, path: string): void {
  const out = runner.log.block();
  let settled!: () => void;
  runner.running.set(path, { done: new Promise<void>((resolve) => (settled = resolve)), slot: null });
  void (async () => {
    try {
      await runOne(runner, path, out.emit);
    } catch (error) {
      // Bookkeeping I/O failed (disk full...): stop the others cleanly, rethrow at the end.
      fail(runner, error);
    } finally {
      out.close();
      runner.running.delete(path);
      // Idle (nothing running, nothing queued): bring the manifest file up to date now.
      if (runner.running.size === 0 && runner.queue.paths.length === 0 && !runner.failure) {
        try {
          await flushJournal(runner.ctx);
        } catch (error) {
          fail(runner, error);
        }
      }
      settled();
      fill(runner);
    }
  })();
}

function fail(runner: Runner, error: unknown): void {
  runner.failure ??= { error };
  runner.stop.abort();
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
      }); its new entries are safe in ${
        ctx.shard ? shardJournalName(ctx.shard) : JOURNAL_NAME
      }, which the next start folds in`,
    });
    throw error;
  }
}

async function runOne(runner: Runner, path: string, emit: EventSink): Promise<void> {
  const { ctx } = runner;
  const verdict = await classify(runner, path, runner.queue.giveUp);
  if (verdict.kind === "skip") reportSkip(runner, path, verdict.stat, verdict.reason, emit);
  if (verdict.kind === "settling") noteSettling(runner, verdict, path, emit);
  if (verdict.kind === "gone" || verdict.kind === "link") {
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
  const slot = takeSlot(runner, path);
  runner.running.get(path)!.slot = slot;
  const next = runner.queue.paths[0];
  if (next) runner.prefetch?.(next);
  try {
    // False when the stop signal interrupted it: that signal already stops the runner.
    await takeJob(ctx, path, verdict.sha256, slot, emit);
  } finally {
    runner.running.get(path)!.slot = null;
  }
  runner.hashes.forget(path);
  runner.settle.forget(path);
  runner.reported.delete(path);
}

/**
 * The in-flight slot for a job: the slot whose record still holds this job's interrupted
 * attempt (recovery), else the lowest slot neither running a job nor holding another
 * job's interrupted attempt. With one worker and no leftovers that is always slot 0.
 */
function takeSlot(runner: Runner, path: string): number {
  const inUse = new Set([...runner.running.values()].map((r) => r.slot));
  const own = runner.ctx.retries.get(path);
  if (own && !inUse.has(own.slot)) return own.slot;
  const reserved = new Set([...runner.ctx.retries.values()].map((r) => r.slot));
  for (let slot = 0;; slot++) {
    if (!inUse.has(slot) && !reserved.has(slot)) return slot;
  }
}

/** Wait until no job is running (jobs start more queued jobs as they finish). */
async function drain(runner: Runner): Promise<void> {
  while (runner.running.size > 0) await Promise.race([...runner.running.values()].map((r) => r.done));
}

function classify(runner: Runner, path: string, giveUp: boolean): Promise<Verdict> {
  const { platform, folder, manifest } = runner.ctx;
  const shard = runner.ctx.shard;
  return classifyJobSpec(
    { platform, folder, manifest, settle: runner.settle, hashes: runner.hashes, giveUp, shard },
    path,
  );
}

function noteSettling(runner: Runner, verdict: { waitMs: number; fresh: boolean }, path: string, emit: EventSink) {
  if (verdict.fresh) emit({ type: "settling", jobspec_path: path, settle_seconds: runner.settleSeconds });
  runner.settlingWaitMs = runner.settlingWaitMs === null
    ? verdict.waitMs
    : Math.min(runner.settlingWaitMs, verdict.waitMs);
}

/** Warn once about each subfolder not walked (and again if the reason changes or it comes back). */
function notePassedOver(runner: Runner, now: { path: string; reason: string }[], emit: EventSink): void {
  const seen = new Set<string>();
  for (const { path, reason } of now) {
    seen.add(path);
    if (runner.passedOver.get(path) === reason) continue;
    runner.passedOver.set(path, reason);
    emit({ type: "warning", message: `subfolder ${path} ${reason}` });
  }
  for (const path of [...runner.passedOver.keys()]) if (!seen.has(path)) runner.passedOver.delete(path);
}

function reportSkip(
  runner: Runner,
  path: string,
  stat: { size: number; mtimeMs: number },
  reason: string,
  emit: EventSink,
): void {
  const key = `${stat.size}:${stat.mtimeMs}:${reason}`;
  if (runner.reported.get(path) === key) return;
  runner.reported.set(path, key);
  runner.ctx.counts.skipped++;
  emit({ type: "skip", jobspec_path: path, reason });
}

/** Ends early on an abort (the platform's sleep takes the signal). */
function sleepAbortable(platform: Platform, ms: number, signal: AbortSignal): Promise<void> {
  return platform.sleep(ms, signal);
}
