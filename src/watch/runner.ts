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
 *
 * Coordinated (`coordination`, src/coordinator/): many runners on many hosts share the
 * folder, so none takes the folder lock (a live non-coordinated runner holding it is
 * refused), recovery is the takeover of a claim whose lease ran out, and instead of taking
 * the first pending file a scan enqueues every pending file with the coordinator and the
 * runner claims one job per free worker (docs/crash-safety.md "Coordinated runners").
 */
import type { DirEntry, Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { HashCache } from "./hash.ts";
import { acquireLock, isLockLive, LockHeldError, readLocks } from "./lock.ts";
import { loadManifestForRun, ManifestSerializer, messageOf } from "./manifest.ts";
import { JOURNAL_NAME, journalFor, shardJournalName } from "./manifest-journal.ts";
import { shardLabel, type ShardSpec } from "../shard/spec.ts";
import {
  finishJob,
  type JobClaim,
  resultPathFor,
  type RunJob,
  type RunnerContext,
  runnerFailure,
  takeJob,
} from "./job.ts";
import type { JobResult } from "../engine/result.ts";
import type { InflightRecord } from "./inflight.ts";
import type { JobNotifier } from "./job-notifier.ts";
import { classifyJobSpec, type Verdict } from "./classify.ts";
import { Mutex } from "./mutex.ts";
import { OrderedLog } from "./ordered-log.ts";
import { recover, stopOrphanFfmpeg } from "./recover.ts";
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
  /** Many runners, one queue: the coordinator (src/coordinator/watch-coordination.ts). */
  coordination?: WatchCoordination;
}

/** What a coordinated runner asks its coordinator; the JobSpec paths are absolute. */
export interface WatchCoordination {
  /** Make the pending JobSpecs of a scan known (idempotent). Throws when the coordinator is away. */
  enqueue(jobs: { path: string; sha256: string }[]): Promise<void>;
  /** Claim the next job, or null when none is claimable now. Throws when the coordinator is away. */
  claim(): Promise<ClaimedJob | null>;
  recordManifest: NonNullable<RunnerContext["recordManifest"]>;
  /** A job interrupted this many times (its runner lost the lease mid-run) is FAILED instead of run again. */
  maxAttempts: number;
}

export interface ClaimedJob {
  path: string;
  sha256: string;
  claim: JobClaim;
  /** Set when the job was running under another runner whose lease ran out. */
  takeover: { host: string | null; tempPath: string | null; ffmpegPid: number | null } | null;
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
  coordination?: WatchCoordination;
  /** Coordinated: the claim loop running now (drain waits for it too). */
  claiming: Promise<void> | null;
  /** Coordinated: asked to claim while the claim loop ran (jobs were enqueued meanwhile). */
  claimAgain: boolean;
  /** Coordinated: the wait before the next try while the coordinator is away (doubles, at most 30 s). */
  backoffMs: number;
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
  const coordination = options.coordination;
  const lock = coordination
    ? await refuseIfLocked(platform, folder)
    : await acquireLock(platform, folder, onEvent, { shard, signal: options.signal });
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
    recordManifest: coordination?.recordManifest,
  };
  // Coordinated: no journal (it is one runner's); each entry goes to the file under the coordinator's lock.
  if (!coordination) ctx.journal = journalFor(platform, folder, shard, new ManifestSerializer(), onEvent);
  let stopError: unknown = null;
  try {
    await platform.mkdir(joinPath(folder, PROCESSED_DIR));
    await platform.mkdir(joinPath(folder, FAILED_DIR));
    ctx.manifest = await loadManifestForRun(platform, folder, onEvent, shard);
    await options.notifier?.open(folder, onEvent);
    // One listing serves recovery and, when recovery changed nothing, the first scan.
    const entries = await platform.list(folder);
    // Coordinated: a dead runner's jobs are taken over through the coordinator, not from in-flight files.
    let listing: DirEntry[] | null = !coordination && (await recover(ctx, entries)) ? null : entries;
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
      coordination,
      claiming: null,
      claimAgain: false,
      backoffMs: 0,
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
        await sleepAbortable(platform, Math.max(wait, runner.backoffMs, 1), ctx.signal);
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
 *
 * Coordinated, the pending ones are enqueued as the scan finds them, in batches of doubling
 * size (1, 1, 2, 4, ...), and a free worker claims as soon as the first batch is in: the
 * first job starts after one JobSpec is classified, not after all of them (on a folder of
 * thousands, or with several runners starting at once on the same folder, classifying all
 * first left every runner idle for that long).
 */
async function scan(runner: Runner, giveUp: boolean, listing: DirEntry[] | null = null): Promise<void> {
  const { platform, folder } = runner.ctx;
  // Deliveries other runners of a shared outbox left due (one that died): resumed here.
  if (runner.coordination) await runner.ctx.notifier?.resume?.();
  const out = runner.log.block();
  const pending: string[] = [];
  const hashes: string[] = [];
  let enqueued = 0;
  let unreachable = false;
  const enqueueFound = async (all: boolean) => {
    const due = pending.length - enqueued;
    if (!runner.coordination || unreachable || due === 0 || (!all && due < Math.max(1, enqueued))) return;
    const batch = pending.slice(enqueued).map((path, i) => ({ path, sha256: hashes[enqueued + i]! }));
    enqueued = pending.length;
    // The coordinator away: the rest waits for the next scan (enqueueAndClaim set the backoff).
    unreachable = !(await enqueueAndClaim(runner, batch));
  };
  try {
    const entries = listing ?? (await platform.list(folder));
    const found = await findCandidates(platform, folder, entries, runner.recursive);
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
      if (verdict.kind === "pending") {
        pending.push(path);
        hashes.push(verdict.sha256);
        await enqueueFound(false);
      } else if (verdict.kind === "skip") {
        reportSkip(runner, path, verdict.stat, verdict.reason, out.emit);
        skipped++;
      } else if (verdict.kind === "settling") {
        noteSettling(runner, verdict, path, out.emit);
        settling++;
      }
    }
    out.emit({ type: "scan", folder, pending: pending.length, settling, skipped });
    runner.queue = { paths: runner.coordination ? [] : pending, giveUp };
  } finally {
    out.close();
  }
  if (runner.coordination) await enqueueFound(true);
  else fill(runner);
}

/** Start queued jobs while a worker is free. */
function fill(runner: Runner): void {
  while (runner.queue.paths.length > 0 && runner.running.size < runner.maxWorkers && !runner.stop.signal.aborted) {
    start(runner, runner.queue.paths.shift()!);
  }
}

function start(runner: Runner, path: string, claimed?: ClaimedJob): void {
  const out = runner.log.block();
  let settled!: () => void;
  runner.running.set(path, { done: new Promise<void>((resolve) => (settled = resolve)), slot: null });
  void (async () => {
    try {
      if (claimed) await runClaimed(runner, claimed, out.emit);
      else await runOne(runner, path, out.emit);
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
      if (runner.coordination) void claimMore(runner);
      else fill(runner);
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
  while (runner.running.size > 0 || runner.claiming) {
    await Promise.race([
      ...[...runner.running.values()].map((r) => r.done),
      ...(runner.claiming ? [runner.claiming] : []),
    ]);
  }
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

/** A coordinated runner takes no folder lock, but never works beside a live runner that holds one. */
/** Coordinated runners hold no file lock, but never start beside a live runner (whole folder or shard) that does. */
async function refuseIfLocked(
  platform: Platform,
  folder: string,
): Promise<{ lost: AbortSignal; release(): Promise<void> }> {
  for (const { name, info } of await readLocks(platform, folder)) {
    if (info && isLockLive(platform, joinPath(folder, name), info)) throw new LockHeldError(folder, info);
  }
  return { lost: new AbortController().signal, release: () => Promise.resolve() };
}

/** Coordinated scan: pending JobSpecs are enqueued, then one job is claimed per free worker. False: the coordinator is away. */
async function enqueueAndClaim(runner: Runner, pending: { path: string; sha256: string }[]): Promise<boolean> {
  try {
    await runner.coordination!.enqueue(pending);
    runner.backoffMs = 0;
  } catch {
    // The coordinator already warned; try again after a growing pause.
    runner.backoffMs = Math.min(30_000, Math.max(1000, runner.backoffMs * 2));
    return false;
  }
  await claimMore(runner);
  return true;
}

/** Claim jobs while a worker is free (one claim loop at a time). */
function claimMore(runner: Runner): Promise<void> {
  if (runner.claiming) {
    // The running loop's last claim may have been answered before rows enqueued since
    // committed: it goes round once more instead of ending on that stale "none".
    runner.claimAgain = true;
    return runner.claiming;
  }
  const run: Promise<void> = (async () => {
    await null; // runner.claiming is set before the loop runs
    try {
      do {
        runner.claimAgain = false;
        while (runner.running.size < runner.maxWorkers && !runner.stop.signal.aborted && runner.backoffMs === 0) {
          const next = await runner.coordination!.claim();
          if (!next) break;
          if (runner.running.has(next.path)) {
            // Cannot happen (one claim per job), but never run one JobSpec twice in one process.
            await next.claim.release();
            break;
          }
          start(runner, next.path, next);
        }
      } while (runner.claimAgain);
    } catch {
      runner.backoffMs = Math.min(30_000, Math.max(1000, runner.backoffMs * 2));
    } finally {
      runner.claiming = null;
    }
  })();
  runner.claiming = run;
  return run;
}

/** Every coordinated runner observed the file settle before enqueueing it: a claim does not wait again. */
const SETTLED = { settleMs: 0, observe: () => ({ settled: true, fresh: false, waitMs: 0 }) };

/**
 * One claimed job. A takeover first removes what the previous holder's FFmpeg was writing;
 * then the files decide, as always: a JobSpec gone or changed is dropped (nothing runs); a
 * result the previous holder wrote is finished (move, manifest); a job interrupted
 * `maxAttempts` times is FAILED; anything else runs.
 */
async function runClaimed(runner: Runner, next: ClaimedJob, emit: EventSink): Promise<void> {
  const { ctx } = runner;
  const { path, claim } = next;
  const max = runner.coordination!.maxAttempts;
  if (next.takeover) {
    const temp = next.takeover.tempPath;
    if (temp) {
      const record: InflightRecord = {
        version: 1,
        jobspec_path: path,
        sha256: next.sha256,
        attempts: Math.max(1, claim.attempts - 1),
        started_at: "",
        pid: 0,
        ffmpeg_temp_path: temp,
        ...(next.takeover.ffmpegPid !== null ? { ffmpeg_pid: next.takeover.ffmpegPid } : {}),
      };
      // An FFmpeg left running on this machine by a killed runner (its argv names the temp: never a stranger).
      await stopOrphanFfmpeg(ctx, record);
      await ctx.cleanupPartials?.(record).catch((error) =>
        emit({ type: "warning", message: `cleaning the partial output ${temp} of ${path} failed: ${messageOf(error)}` })
      );
    }
    ctx.counts.recovered++;
    emit({
      type: "recovered",
      jobspec_path: path,
      action: `taken over: the runner on ${next.takeover.host ?? "another host"} stopped renewing its lease mid-run ` +
        `(attempt ${claim.attempts - 1} of ${max})`,
    });
  }
  const { platform, folder, manifest } = ctx;
  const verdict = await classifyJobSpec(
    { platform, folder, manifest, settle: SETTLED, hashes: runner.hashes, giveUp: false },
    path,
  );
  try {
    const resultWritten =
      verdict.kind === "gone" || (verdict.kind === "skip" && verdict.reason === "result file exists")
        ? (await platform.lstat(resultPathFor(folder, path)))?.isFile === true
        : false;
    if (resultWritten) {
      // A holder wrote the result and lost its claim (died, or the database went away) before
      // the move or the manifest entry: finish that bookkeeping (each step skips what is done).
      const written = JSON.parse(await platform.readText(resultPathFor(folder, path))) as JobResult;
      await finishJob(ctx, path, next.sha256, written, 0, emit, claim, true);
      return;
    }
    if (verdict.kind !== "pending" || verdict.sha256 !== next.sha256) {
      if (verdict.kind === "skip") reportSkip(runner, path, verdict.stat, verdict.reason, emit);
      await claim.finish(null);
      return;
    }
    if (next.takeover && claim.attempts - 1 >= max) {
      const reason = `interrupted ${claim.attempts - 1} times: the runner running it stopped renewing its lease ` +
        `(last on ${
          next.takeover.host ?? "another host"
        }); not retried again. Fix the cause, then reset the job to run it again.`;
      await finishJob(ctx, path, next.sha256, await runnerFailure(ctx, path, platform.now(), reason), 0, emit, claim);
      return;
    }
    await takeJob(ctx, path, verdict.sha256, 0, emit, claim);
  } catch (error) {
    // A claim lost during the bookkeeping is the taker's to finish; anything else stops the runner.
    if (claim.lost.aborted) {
      emit({ type: "warning", message: `${path}: ${messageOf(error)}` });
      return;
    }
    throw error;
  } finally {
    runner.hashes.forget(path);
    runner.settle.forget(path);
    runner.reported.delete(path);
  }
}
