/**
 * The skip rules, in one place: whether a JobSpec in the folder root is taken (pending),
 * waits until it stops changing (settling), or is skipped, and why. The runner asks at
 * every scan and again right before it takes a job; `proxx status` asks the same, so its
 * "pending" is what a runner would take.
 *
 * In order: another shard's name (`--shard`) → not a regular file (gone; a symlink is never taken) → a result file exists
 * (seed rule 1, first: the result file always wins) → still changing (settle.ts) →
 * unreadable (left in place) → same path and SHA-256 in the manifest (seed rule 2).
 */
import type { FileStat, Platform } from "../platform/types.ts";
import type { HashCache } from "./hash.ts";
import { resultPathFor } from "./job.ts";
import { type Manifest, messageOf } from "./manifest.ts";
import type { SettleJudge } from "./settle.ts";
import { relativeTo } from "./names.ts";
import { ownsName } from "../shard/assign.ts";

export type Verdict =
  | { kind: "gone" }
  /** Another shard's JobSpec (`--shard I/N`): neither taken nor reported. */
  | { kind: "other-shard" }
  /** A symlink at the JobSpec's name: never taken (SYMLINK_SKIP_REASON, docs/reliability.md). */
  | { kind: "link"; stat: FileStat }
  | { kind: "skip"; reason: string; stat: FileStat }
  /** `fresh`: the first sighting of this size and mtime. */
  | { kind: "settling"; waitMs: number; fresh: boolean; stat: FileStat }
  | { kind: "pending"; sha256: string; stat: FileStat };

export interface Look {
  platform: Platform;
  folder: string;
  manifest: Manifest;
  settle: SettleJudge;
  hashes: HashCache;
  /** `--once` after its settle timeout: a file still changing is skipped, not waited for. */
  giveUp?: boolean;
  /** `--shard I/N`: only the JobSpecs this shard owns (src/shard/assign.ts) are looked at. */
  shard?: { index: number; total: number } | null;
}

export async function classifyJobSpec(look: Look, path: string): Promise<Verdict> {
  const { platform } = look;
  // First, and by name alone: another shard's files are not even stat'ed.
  if (look.shard && !ownsName(look.shard, relativeTo(look.folder, path) ?? path)) return { kind: "other-shard" };
  // lstat: a JobSpec swapped for a symlink is not taken either.
  const stat = await platform.lstat(path);
  if (stat?.isSymlink) return { kind: "link", stat };
  if (!stat || !stat.isFile) return { kind: "gone" };
  // lstat: anything at the result's name counts (a dangling or looping symlink too), so it is never written over.
  if (await platform.lstat(resultPathFor(look.folder, path))) {
    return { kind: "skip", reason: "result file exists", stat };
  }
  const obs = look.settle.observe(path, stat.size, stat.mtimeMs, platform.now());
  if (!obs.settled) {
    if (look.giveUp) {
      return { kind: "skip", reason: "still being written after waiting; left pending for the next run", stat };
    }
    return { kind: "settling", waitMs: obs.waitMs, fresh: obs.fresh, stat };
  }
  let sha256: string;
  try {
    sha256 = await look.hashes.hash(platform, path, stat);
  } catch (error) {
    // One unreadable JobSpec (permissions, EIO) must not stop the runner for every other one.
    if (!(await platform.lstat(path).catch(() => null))) return { kind: "gone" };
    return { kind: "skip", reason: `cannot be read (${messageOf(error)}); left in place`, stat };
  }
  const entry = look.manifest.entries[path];
  if (entry && entry.sha256 === sha256) {
    return { kind: "skip", reason: "already processed (manifest hash match)", stat };
  }
  return { kind: "pending", sha256, stat };
}
