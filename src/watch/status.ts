/**
 * `proxx status`: a read-only view of a watch folder. It never writes, never takes the
 * lock, and applies the runner's own skip rules (classify.ts), so "pending" means "the
 * next runner would take this". It has one look and none of the runner's sightings, so
 * whether a file has settled is estimated from its mtime (settle.ts, `oneLookSettle`).
 * With `recursive` it looks at the tree a `proxx watch --recursive` runner walks (tree.ts).
 */
import type { Platform } from "../platform/types.ts";
import { HashCache } from "./hash.ts";
import { classifyJobSpec } from "./classify.ts";
import { type InflightRecord, readAllInflight } from "./inflight.ts";
import { isLockLive, type LockInfo, readLock, readLocks } from "./lock.ts";
import { shardLabel, type ShardSpec } from "../shard/spec.ts";
import { readManifest } from "./manifest.ts";
import { oneLookSettle } from "./settle.ts";
import { absoluteFolder, compareNames, FAILED_DIR, joinPath, PROCESSED_DIR, SYMLINK_SKIP_REASON } from "./names.ts";
import { findCandidates, listJsonTree } from "./tree.ts";

export interface FolderStatus {
  folder: string;
  /** Absolute paths the next scan would take, in processing order. */
  pending: string[];
  /** Absolute paths not seen unchanged for `settleSeconds` yet (judged by their mtime: one look). */
  settling: string[];
  /** Root JobSpecs the runner skips, with the seed rule that skips them. */
  skipped: { path: string; reason: string }[];
  /** `*.json` files in processed/ and failed/ (with `recursive`, in their subfolders too). */
  processed: number;
  failed: number;
  /** Latest manifest entries, newest first. */
  recent: { path: string; status: string; time: string }[];
  manifest: "ok" | "missing" | `corrupt: ${string}`;
  /** Lock holder, or null when the folder is not locked. */
  lock: LockInfo | null;
  /** Whether the holder looks alive (false: stale lock, the next runner takes it over). */
  lock_live: boolean;
  /** A job the last runner was executing when it stopped (a crash, if no runner is live): the first of `inflight_all`. */
  inflight: InflightRecord | null;
  /** Every in-flight record, in slot order (several with `--max-workers`). */
  inflight_all: InflightRecord[];
  /** `recursive` only: subfolders a runner would not walk, and why (a live runner of their own, unreadable). */
  passed_over?: { path: string; reason: string }[];
  /** `--shard I/N`: pending, settling and skipped are this shard's JobSpecs only. */
  shard: string | null;
  /** Every runner lock in the folder root: `.proxx.lock` (shard null) and each shard's. */
  locks: { name: string; shard: string | null; info: LockInfo | null }[];
}

export async function folderStatus(
  platform: Platform,
  folderArg: string,
  options: { settleSeconds?: number; recent?: number; recursive?: boolean; shard?: ShardSpec | null } = {},
): Promise<FolderStatus> {
  const folder = await absoluteFolder(platform, folderArg);
  const settleMs = (options.settleSeconds ?? 2) * 1000;
  const recursive = Boolean(options.recursive);
  const count = (dir: string) => recursive ? countJsonTree(platform, dir) : countJson(platform, dir);
  const manifestRead = await readManifest(platform, folder);
  const entries = manifestRead.manifest.entries;
  const status: FolderStatus = {
    folder,
    pending: [],
    settling: [],
    skipped: [],
    processed: await count(joinPath(folder, PROCESSED_DIR)),
    failed: await count(joinPath(folder, FAILED_DIR)),
    recent: Object.entries(entries)
      .map(([path, e]) => ({ path, status: e.result_status, time: e.processed_at }))
      .sort((a, b) => compareNames(b.time, a.time) || compareNames(a.path, b.path))
      .slice(0, options.recent ?? 10),
    manifest: manifestRead.kind === "corrupt" ? `corrupt: ${manifestRead.reason}` : manifestRead.kind,
    lock: await readLock(platform, folder),
    lock_live: false,
    inflight: null,
    inflight_all: [],
    shard: options.shard ? shardLabel(options.shard) : null,
    locks: await readLocks(platform, folder),
  };
  status.lock_live = status.lock ? isLockLive(platform, folder, status.lock) : false;
  const rootEntries = await platform.list(folder);
  const listing = rootEntries.filter((e) => e.isFile).map((e) => e.name);
  for (const { read } of await readAllInflight(platform, folder, listing, "all")) {
    if (read.kind === "ok") status.inflight_all.push(read.record);
  }
  status.inflight = status.inflight_all[0] ?? null;

  // The runner's own skip rules (classify.ts), with the one look a read-only view has.
  const look = {
    platform,
    folder,
    manifest: manifestRead.manifest,
    settle: oneLookSettle(settleMs),
    hashes: new HashCache(),
    shard: options.shard ?? null,
  };
  const found = await findCandidates(platform, folder, rootEntries, recursive);
  if (recursive) status.passed_over = found.passedOver;
  // Links are classified too (as `link`: skipped), in the one processing order.
  for (const path of [...found.files, ...found.links].sort(compareNames)) {
    const verdict = await classifyJobSpec(look, path);
    if (verdict.kind === "pending") status.pending.push(path);
    else if (verdict.kind === "settling") status.settling.push(path);
    else if (verdict.kind === "skip") status.skipped.push({ path, reason: verdict.reason });
    else if (verdict.kind === "link") status.skipped.push({ path, reason: SYMLINK_SKIP_REASON });
  }
  return status;
}

async function countJsonTree(platform: Platform, dir: string): Promise<number> {
  return (await listJsonTree(platform, dir, (name) => name.endsWith(".json"))).length;
}

async function countJson(platform: Platform, dir: string): Promise<number> {
  const stat = await platform.stat(dir);
  if (!stat?.isDirectory) return 0;
  return (await platform.list(dir)).filter((e) => e.isFile && e.name.endsWith(".json")).length;
}
