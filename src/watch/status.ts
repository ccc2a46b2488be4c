/**
 * `proxx watch status`: a read-only view of a watch folder. It never writes, never takes
 * the lock, and applies the runner's own skip rules so "pending" means "the next runner
 * would take this". Without the runner's in-memory settle history, "settling" is
 * approximated as "modified less than settleSeconds ago".
 */
import type { Platform } from "../platform/types.ts";
import { sha256Hex } from "./hash.ts";
import { type InflightRecord, readAllInflight } from "./inflight.ts";
import { isLockLive, type LockInfo, readLock } from "./lock.ts";
import { readManifest } from "./manifest.ts";
import {
  absoluteFolder,
  compareNames,
  FAILED_DIR,
  isCandidateName,
  joinPath,
  PROCESSED_DIR,
  resultNameFor,
  SYMLINK_SKIP_REASON,
} from "./names.ts";

export interface FolderStatus {
  folder: string;
  /** Absolute paths the next scan would take, in processing order. */
  pending: string[];
  /** Absolute paths modified less than `settleSeconds` ago. */
  settling: string[];
  /** Root JobSpecs the runner skips, with the seed rule that skips them. */
  skipped: { path: string; reason: string }[];
  /** `*.json` files in processed/ and failed/. */
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
}

export async function folderStatus(
  platform: Platform,
  folderArg: string,
  options: { settleSeconds?: number; recent?: number } = {},
): Promise<FolderStatus> {
  const folder = await absoluteFolder(platform, folderArg);
  const settleMs = (options.settleSeconds ?? 2) * 1000;
  const manifestRead = await readManifest(platform, folder);
  const entries = manifestRead.manifest.entries;
  const status: FolderStatus = {
    folder,
    pending: [],
    settling: [],
    skipped: [],
    processed: await countJson(platform, joinPath(folder, PROCESSED_DIR)),
    failed: await countJson(platform, joinPath(folder, FAILED_DIR)),
    recent: Object.entries(entries)
      .map(([path, e]) => ({ path, status: e.result_status, time: e.processed_at }))
      .sort((a, b) => compareNames(b.time, a.time) || compareNames(a.path, b.path))
      .slice(0, options.recent ?? 10),
    manifest: manifestRead.kind === "corrupt" ? `corrupt: ${manifestRead.reason}` : manifestRead.kind,
    lock: await readLock(platform, folder),
    lock_live: false,
    inflight: null,
    inflight_all: [],
  };
  status.lock_live = status.lock ? isLockLive(platform, folder, status.lock) : false;
  const rootEntries = await platform.list(folder);
  const listing = rootEntries.filter((e) => e.isFile).map((e) => e.name);
  for (const { read } of await readAllInflight(platform, folder, listing)) {
    if (read.kind === "ok") status.inflight_all.push(read.record);
  }
  status.inflight = status.inflight_all[0] ?? null;

  const links = new Set(rootEntries.filter((e) => e.isSymlink).map((e) => e.name));
  const names = [...listing, ...links].filter(isCandidateName).sort(compareNames);
  for (const name of names) {
    const path = joinPath(folder, name);
    if (links.has(name)) {
      status.skipped.push({ path, reason: SYMLINK_SKIP_REASON });
      continue;
    }
    const stat = await platform.stat(path);
    if (!stat) continue;
    if (await platform.lstat(joinPath(folder, resultNameFor(name)))) {
      status.skipped.push({ path, reason: "result file exists" });
    } else if (platform.now() - stat.mtimeMs < settleMs) {
      status.settling.push(path);
    } else if (entries[path] && entries[path].sha256 === await sha256Hex(await platform.readFile(path))) {
      status.skipped.push({ path, reason: "already processed (manifest hash match)" });
    } else {
      status.pending.push(path);
    }
  }
  return status;
}

async function countJson(platform: Platform, dir: string): Promise<number> {
  const stat = await platform.stat(dir);
  if (!stat?.isDirectory) return 0;
  return (await platform.list(dir)).filter((e) => e.isFile && e.name.endsWith(".json")).length;
}
