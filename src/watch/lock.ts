/**
 * Runner locks, made only of primitives that are safe on NFSv3/v4 and SMB: exclusive create
 * (O_EXCL), atomic rename, hard link (no flock/fcntl, no shared append file).
 *
 * - An unsharded runner holds `.proxx.lock` (the whole folder); a runner of shard I/N holds
 *   `.proxx.lock.<I>of<N>`. A second runner of the same lock gets `LockHeldError` (exit 5).
 *   After taking its own lock a runner looks at the others and gives its lock back when one
 *   conflicts: the whole-folder lock conflicts with every shard lock and the other way round,
 *   and shards of different totals (1/3 beside 2/4) conflict, because their shares overlap.
 *   Take-then-look on both sides means two starters racing see at least one of each other
 *   (both may refuse; never both run).
 * - Content `{"pid","host","started_at","lease_seconds","renewals","shard"?}`. The holder
 *   renews the lease: every lease/6 it checks the file is still its own (else it has lost the
 *   lock and stops: `lost`) and rewrites it atomically with `renewals` + 1.
 * - Takeover of a stale lock. Same host: the holder's pid is dead (or is our own pid and we
 *   did not take it: pid reuse in containers), judged at once. Another host: its pid cannot
 *   be checked, so the taker watches the file for one whole lease (the holder's
 *   `lease_seconds`) on its *own* monotonic clock: any change is a renewal (live, exit 5);
 *   no change for a whole lease means the holder stopped renewing (stale). Clocks of two
 *   hosts are never compared. A file that does not parse (a holder killed between create and
 *   write) is re-read after a short pause and then stale.
 * - Two challengers at once: the taker renames the stale file to a name of its own
 *   (`<lock>.takeover-<host>-<pid>`; rename is atomic, so one rename wins), checks the bytes
 *   it moved are the ones it judged stale (if not, it moved a newer live lock and links it
 *   back), removes them and goes back to exclusive create, where again only one wins.
 * - A lock without `lease_seconds` (written by a proxx before leases, which never renews) is
 *   never taken over from another host, as before: remove it by hand once that runner is gone.
 *
 * `PROXX_LOCK_LEASE_SECONDS` (default 60) sets the lease: a test knob, and for sites whose
 * runners may stall longer (a lease shorter than a stall lets another host take over).
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { isoUtc } from "../engine/result.ts";
import { joinPath, LOCK_NAME } from "./names.ts";
import { shardLabel, type ShardSpec, shardTag } from "../shard/spec.ts";

export const LockInfo = z.object({
  pid: z.number().int(),
  host: z.string(),
  started_at: z.string(),
  /** The holder renews every lease/6. Absent in locks of proxx before leases: never taken over from another host. */
  lease_seconds: z.number().positive().optional(),
  renewals: z.number().int().optional(),
  /** `I/N` for a shard's lock; absent for the whole folder. */
  shard: z.string().optional(),
});
export type LockInfo = z.infer<typeof LockInfo>;

export const DEFAULT_LEASE_SECONDS = 60;

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
  constructor(
    readonly folder: string,
    /** The holder, or null when the lock file exists but could not be read. */
    readonly holder: LockInfo | null,
    message?: string,
  ) {
    super(
      message ??
        (holder
          ? `watch folder ${folder} is locked by pid ${holder.pid} on ${holder.host} (since ${holder.started_at})`
          : `watch folder ${folder} is locked (${LOCK_NAME} exists but is unreadable)`),
    );
  }
}

export interface HeldLock {
  info: LockInfo;
  path: string;
  /** Aborted when a renewal finds the lock is no longer ours (taken over after a stall): stop taking jobs. */
  lost: AbortSignal;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Lock paths taken by this process, per platform: tells "our pid, but not our lock" apart. */
const heldByUs = new WeakMap<Platform, Set<string>>();

/** `.proxx.lock`, or `.proxx.lock.<I>of<N>` for a shard. */
export function lockName(shard?: Pick<ShardSpec, "index" | "total"> | null): string {
  return shard ? `${LOCK_NAME}.${shardTag(shard)}` : LOCK_NAME;
}

export function lockPath(folder: string, shard?: Pick<ShardSpec, "index" | "total"> | null): string {
  return joinPath(folder, lockName(shard));
}

const SHARD_LOCK = /^\.proxx\.lock\.([1-9][0-9]*)of([1-9][0-9]*)$/;

/** The shard of a lock file name: null for `.proxx.lock`, undefined for a name that is no lock. */
export function shardOfLockName(name: string): { index: number; total: number } | null | undefined {
  if (name === LOCK_NAME) return null;
  const m = SHARD_LOCK.exec(name);
  return m ? { index: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** The lease this process uses: `PROXX_LOCK_LEASE_SECONDS`, default 60. */
export function leaseSeconds(platform: Platform): number {
  const raw = platform.env("PROXX_LOCK_LEASE_SECONDS");
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_LEASE_SECONDS;
}

/** Current holder of the whole-folder lock (or of `shard`'s), or null. For `status` / `reset`. */
export async function readLock(
  platform: Platform,
  folder: string,
  shard?: Pick<ShardSpec, "index" | "total"> | null,
): Promise<LockInfo | null> {
  return (await readRaw(platform, lockPath(folder, shard))).info;
}

/** The holder recorded in the lock file at `path`, or null. */
export async function readLockFile(platform: Platform, path: string): Promise<LockInfo | null> {
  return (await readRaw(platform, path)).info;
}

/** Every lock in the folder root (whole folder and shards), by file name. */
export async function readLocks(
  platform: Platform,
  folder: string,
): Promise<{ name: string; shard: string | null; info: LockInfo | null }[]> {
  const out: { name: string; shard: string | null; info: LockInfo | null }[] = [];
  for (const e of await platform.list(folder)) {
    const shard = shardOfLockName(e.name);
    if (shard === undefined || !e.isFile) continue;
    out.push({
      name: e.name,
      shard: shard ? shardLabel(shard) : null,
      info: (await readRaw(platform, joinPath(folder, e.name))).info,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Raw {
  exists: boolean;
  text: string;
  info: LockInfo | null;
}

async function readRaw(platform: Platform, path: string): Promise<Raw> {
  let text: string;
  try {
    if (!(await platform.lstat(path))) return { exists: false, text: "", info: null };
    text = await platform.readText(path);
  } catch {
    return { exists: false, text: "", info: null };
  }
  try {
    const parsed = LockInfo.safeParse(JSON.parse(text));
    return { exists: true, text, info: parsed.success ? parsed.data : null };
  } catch {
    return { exists: true, text, info: null };
  }
}

/**
 * Whether `holder` looks live at one look (this host: pid alive and not a reused pid of
 * ours; another host: assumed live, only watching its renewals can tell). `path` is the
 * lock file (or the folder, for the whole-folder lock).
 */
export function isLockLive(platform: Platform, pathOrFolder: string, holder: LockInfo): boolean {
  const name = baseOf(pathOrFolder);
  const isLockFile = shardOfLockName(name) !== undefined || name === FOLD_LOCK_NAME;
  return isHolderLive(platform, isLockFile ? pathOrFolder : lockPath(pathOrFolder), holder);
}

/** `isLockLive` for the lock file at `path`. */
function isHolderLive(platform: Platform, path: string, holder: LockInfo): boolean {
  if (holder.host !== platform.hostname()) return true;
  if (holder.pid === platform.pid) return heldByUs.get(platform)?.has(path) ?? false;
  return platform.isProcessAlive(holder.pid);
}

function baseOf(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

type Judgement = { kind: "gone" } | { kind: "live"; info: LockInfo | null } | { kind: "stale"; raw: Raw };

/**
 * Live or stale, by the takeover rule above. For another host's lock this waits until a
 * renewal is seen (live) or a whole lease passed without one (stale).
 */
async function judge(
  platform: Platform,
  path: string,
  onEvent: EventSink,
  signal?: AbortSignal,
): Promise<Judgement> {
  let raw = await readRaw(platform, path);
  if (!raw.exists) return { kind: "gone" };
  if (!raw.info) {
    await platform.sleep(250, signal); // the holder may be between O_EXCL create and write
    const again = await readRaw(platform, path);
    if (!again.exists) return { kind: "gone" };
    if (again.text !== raw.text) {
      return again.info ? judge(platform, path, onEvent, signal) : { kind: "live", info: null };
    }
    return { kind: "stale", raw };
  }
  const info = raw.info;
  if (info.host === platform.hostname()) {
    return isHolderLive(platform, path, info) ? { kind: "live", info } : { kind: "stale", raw };
  }
  // A lock of a proxx without leases (no `lease_seconds`) is never renewed, so watching it
  // proves nothing: as before leases, another host's such lock is never taken over.
  if (info.lease_seconds === undefined) return { kind: "live", info };
  // Another host: watch for a renewal for one whole lease, on our own clock.
  const leaseMs = info.lease_seconds * 1000;
  const start = platform.monotonic();
  const step = Math.max(20, Math.min(1000, leaseMs / 12));
  onEvent({
    type: "warning",
    message: `${baseOf(path)} is held by pid ${info.pid} on ${info.host}: watching up to ${
      Math.round(leaseMs / 100) / 10
    } s for its lease renewal before taking it over`,
  });
  while (platform.monotonic() - start < leaseMs) {
    if (signal?.aborted) return { kind: "live", info };
    await platform.sleep(Math.min(step, Math.max(1, leaseMs - (platform.monotonic() - start))), signal);
    const now = await readRaw(platform, path);
    if (!now.exists) return { kind: "gone" };
    if (now.text !== raw.text) return { kind: "live", info: now.info ?? info };
    raw = now;
  }
  return { kind: "stale", raw };
}

/**
 * Remove a lock judged stale, so that of two challengers only one removes it: rename it to a
 * name of our own (atomic), check it is what we judged, else put it back.
 */
async function takeOver(platform: Platform, path: string, stale: Raw): Promise<boolean> {
  const tomb = `${path}.takeover-${platform.hostname()}-${platform.pid}`;
  try {
    await platform.rename(path, tomb);
  } catch {
    return false; // gone: somebody else took it over (or it was released)
  }
  let moved = "";
  try {
    moved = await platform.readText(tomb);
  } catch { /* treat as not ours to remove */ }
  if (moved !== stale.text) {
    // We moved a newer lock (another challenger's, just created): put it back unless a third took the name.
    await platform.link(tomb, path).catch(() => {});
    await platform.remove(tomb);
    return false;
  }
  await platform.remove(tomb);
  return true;
}

function describe(info: LockInfo | null, name: string): string {
  return info ? `pid ${info.pid} on ${info.host} (since ${info.started_at})` : `${name} (unreadable)`;
}

/** Take `path` by exclusive create, taking over a stale holder; throws `LockHeldError` when it is live. */
async function takeFile(
  platform: Platform,
  folder: string,
  path: string,
  text: string,
  onEvent: EventSink,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await platform.createExclusive(path, text)) {
      set(platform).add(path); // at once: a challenger in this process must see it as ours
      return;
    }
    const j = await judge(platform, path, onEvent, signal);
    if (j.kind === "gone") continue;
    if (j.kind === "live") {
      throw new LockHeldError(
        folder,
        j.info,
        baseOf(path) === LOCK_NAME
          ? undefined
          : `${baseOf(path)} in ${folder} is held by ${describe(j.info, baseOf(path))}`,
      );
    }
    if (await takeOver(platform, path, j.raw)) {
      onEvent({
        type: "warning",
        message: j.raw.info
          ? `took over stale lock of pid ${j.raw.info.pid} on ${j.raw.info.host} (since ${j.raw.info.started_at}): ${
            j.raw.info.host === platform.hostname() ? "process is gone" : "its lease was not renewed"
          } (${baseOf(path)})`
          : `took over unreadable lock file ${baseOf(path)}`,
      });
    }
  }
  throw new LockHeldError(folder, (await readRaw(platform, path)).info);
}

/** Whether a lock named `name` conflicts with ours (`shard` null: the whole folder). */
function conflicts(ours: { index: number; total: number } | null, theirs: { index: number; total: number } | null) {
  if (ours === null || theirs === null) return true;
  return ours.total !== theirs.total; // same total, other index: disjoint shares
}

function conflictMessage(folder: string, ours: ShardSpec | null, name: string, info: LockInfo | null): string {
  const theirs = shardOfLockName(name);
  const who = describe(info, name);
  if (ours === null) {
    return `watch folder ${folder} has a live shard runner (shard ${
      theirs ? shardLabel(theirs) : "?"
    }, ${who}): an unsharded runner would take its JobSpecs too; stop the shards first`;
  }
  if (theirs === null) {
    return `watch folder ${folder} is locked by an unsharded runner (${who}), which takes every JobSpec: shard ${
      shardLabel(ours)
    } cannot run beside it`;
  }
  return `shard ${shardLabel(ours)} cannot run beside shard ${
    theirs ? shardLabel(theirs) : "?"
  } of ${folder} (${who}): shards of different totals overlap; run every shard with the same N`;
}

/** Take the folder lock (or shard `shard`'s) or throw `LockHeldError`. */
export async function acquireLock(
  platform: Platform,
  folder: string,
  onEvent: EventSink = () => {},
  options: { shard?: ShardSpec | null; signal?: AbortSignal } = {},
): Promise<HeldLock> {
  const shard = options.shard ?? null;
  const path = lockPath(folder, shard);
  const lease = leaseSeconds(platform);
  const info: LockInfo = {
    pid: platform.pid,
    host: platform.hostname(),
    started_at: isoUtc(platform.now()),
    lease_seconds: lease,
    renewals: 0,
    ...(shard ? { shard: shardLabel(shard) } : {}),
  };
  const text = JSON.stringify(info, null, 2) + "\n";
  await takeFile(platform, folder, path, text, onEvent, options.signal);
  const lock = held(platform, path, info, text, lease, onEvent);
  try {
    // Ours now; any conflicting lock taken before ours (or at the same moment) wins over us.
    for (const e of await platform.list(folder)) {
      const theirs = shardOfLockName(e.name);
      if (theirs === undefined || e.name === baseOf(path)) continue;
      if (!conflicts(shard, theirs)) continue;
      const other = joinPath(folder, e.name);
      const j = await judge(platform, other, onEvent, options.signal);
      if (j.kind === "live") throw new LockHeldError(folder, j.info, conflictMessage(folder, shard, e.name, j.info));
      if (j.kind === "stale" && (await takeOver(platform, other, j.raw))) {
        onEvent({ type: "warning", message: `removed stale lock ${e.name} (${describe(j.raw.info, e.name)})` });
      }
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}

function held(
  platform: Platform,
  path: string,
  info: LockInfo,
  text: string,
  lease: number,
  onEvent: EventSink,
): HeldLock {
  let set = heldByUs.get(platform);
  if (!set) heldByUs.set(platform, set = new Set());
  set.add(path);
  let released = false;
  let current = text;
  let renewals = 0;
  let renewing: Promise<void> = Promise.resolve();
  const lost = new AbortController();
  const intervalMs = Math.max(50, (lease * 1000) / 6);
  let cancel: () => void = () => {};
  const schedule = () => {
    cancel = platform.setTimer(intervalMs, () => {
      renewing = renew().then(() => {
        if (!released && !lost.signal.aborted) schedule();
      });
    });
  };
  const renew = async () => {
    if (released) return;
    try {
      const now = await readRaw(platform, path);
      if (released) return;
      if (now.text !== current) {
        lost.abort();
        onEvent({
          type: "warning",
          message: `lost ${baseOf(path)}: ${
            now.exists ? `now held by ${describe(now.info, baseOf(path))}` : "it was removed"
          }; taking no more jobs`,
        });
        return;
      }
      const next = JSON.stringify({ ...info, renewals: ++renewals }, null, 2) + "\n";
      await platform.writeFileAtomic(path, next);
      current = next;
    } catch (error) {
      // A failed renewal is retried at the next interval; a lease is several intervals long.
      onEvent({
        type: "warning",
        message: `could not renew ${baseOf(path)}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };
  schedule();
  return {
    info,
    path,
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      cancel();
      await renewing;
      set!.delete(path);
      const now = await readRaw(platform, path);
      if (now.exists && now.text === current) await platform.remove(path);
    },
  };
}

/**
 * The manifest fold's short exclusive lock (`.proxx.manifest.lock`): waits while another
 * runner folds (milliseconds), takes over a stale one by the same rule as runner locks.
 * Returns the release function.
 */
export async function acquireFoldLock(
  platform: Platform,
  folder: string,
  onEvent: EventSink = () => {},
): Promise<() => Promise<void>> {
  const path = joinPath(folder, FOLD_LOCK_NAME);
  const info: LockInfo = {
    pid: platform.pid,
    host: platform.hostname(),
    started_at: isoUtc(platform.now()),
    lease_seconds: leaseSeconds(platform),
  };
  const text = JSON.stringify(info) + "\n";
  const start = platform.monotonic();
  let wait = 5;
  // Another host's holder is judged by watching its bytes on our own clock (polling fast: a
  // fold takes milliseconds); unchanged for a whole lease, it is stale.
  let seen: { text: string; since: number } | null = null;
  for (;;) {
    if (await platform.createExclusive(path, text)) break;
    const raw = await readRaw(platform, path);
    if (!raw.exists) continue;
    const local = raw.info !== null && raw.info.host === platform.hostname();
    let stale = local && !isHolderLive(platform, path, raw.info!);
    if (!local) {
      if (!seen || seen.text !== raw.text) seen = { text: raw.text, since: platform.monotonic() };
      const leaseMs = (raw.info?.lease_seconds ?? leaseSeconds(platform)) * 1000;
      stale = platform.monotonic() - seen.since >= leaseMs;
    }
    if (stale) {
      if (await takeOver(platform, path, raw)) {
        onEvent({
          type: "warning",
          message: `took over stale ${FOLD_LOCK_NAME} (${describe(raw.info, FOLD_LOCK_NAME)})`,
        });
      }
      seen = null;
      continue;
    }
    await platform.sleep(wait);
    wait = Math.min(100, wait * 2);
    if (platform.monotonic() - start > 10 * leaseSeconds(platform) * 1000) {
      throw new Error(`could not take ${path} for ${Math.round((platform.monotonic() - start) / 1000)} s`);
    }
  }
  set(platform).add(path);
  return async () => {
    set(platform).delete(path);
    const now = await readRaw(platform, path);
    if (now.exists && now.text === text) await platform.remove(path);
  };
}

export const FOLD_LOCK_NAME = ".proxx.manifest.lock";

function set(platform: Platform): Set<string> {
  let s = heldByUs.get(platform);
  if (!s) heldByUs.set(platform, s = new Set());
  return s;
}
