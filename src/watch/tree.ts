/**
 * Which files of a watch folder are JobSpec candidates: the root's `*.json` (names.ts,
 * `isCandidateName`), and with `recursive` (`proxx watch --recursive`) every subfolder's
 * too, in relative-path order (`a.json` < `a/job.json` < `b/job.json`, code units: one
 * sort of the whole list, so the order never depends on how the walk went).
 *
 * Not descended into, whatever their depth: hidden folders (`.*`), any folder named
 * `processed` or `failed` (the runner's own trees at the root; deeper, most likely the
 * trees of a folder once watched on its own, whose JobSpecs ran already), symbolic links
 * (never followed: `list` reports a link to a folder as a link, not a folder), and a
 * subfolder a live runner holds the lock of (a runner of its own works there; taking its
 * JobSpecs too would run them twice). An unreadable subfolder is passed over, said so by
 * the caller, rather than stopping the runner for every other folder.
 *
 * Without `recursive` this is exactly the root rule the runner always had: one listing
 * (the caller's), no other I/O.
 */
import type { DirEntry, Platform } from "../platform/types.ts";
import { isLockLive, readLockFile, shardOfLockName } from "./lock.ts";
import { messageOf } from "./manifest.ts";
import { compareNames, FAILED_DIR, isCandidateName, isResultName, joinPath, PROCESSED_DIR } from "./names.ts";

export interface Candidates {
  /** Regular files with a candidate name, as absolute paths, in relative-path order. */
  files: string[];
  /** Symbolic links with a candidate name, in the same order: never taken, reported as skipped. */
  links: string[];
  /** Subfolders passed over for a reason worth telling (locked by a live runner, unreadable). */
  passedOver: { path: string; reason: string }[];
  /** Result files (`*.result.json`) in the same folders, sorted; only when asked for (`reset --all`). */
  results: string[];
}

/** A folder never descended into, by its name alone: hidden, `processed`, `failed`. */
export function excludedFolderName(name: string): boolean {
  return name.startsWith(".") || name === PROCESSED_DIR || name === FAILED_DIR;
}

/**
 * The candidates of `folder` (absolute, as the runner holds it). `rootEntries` is the
 * caller's listing of the root: the runner reuses one listing for recovery and its first scan.
 */
export async function findCandidates(
  platform: Platform,
  folder: string,
  rootEntries: DirEntry[],
  recursive: boolean,
  options: { results?: boolean } = {},
): Promise<Candidates> {
  const files: string[] = [];
  const links: string[] = [];
  const results: string[] = [];
  const passedOver: Candidates["passedOver"] = [];
  const add = (dir: string, entries: DirEntry[], subdirs: string[]) => {
    for (const e of entries) {
      if (e.isSymlink) {
        if (isCandidateName(e.name)) links.push(joinPath(dir, e.name));
      } else if (e.isFile) {
        if (isCandidateName(e.name)) files.push(joinPath(dir, e.name));
        else if (options.results && isResultName(e.name)) results.push(joinPath(dir, e.name));
      } else if (e.isDirectory && recursive && !excludedFolderName(e.name)) {
        subdirs.push(joinPath(dir, e.name));
      }
    }
  };
  const pending: string[] = [];
  add(folder, rootEntries, pending);
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: DirEntry[];
    try {
      entries = await platform.list(dir);
    } catch (error) {
      // Removed (or replaced) since its parent was listed: nothing there to take.
      if ((error as { code?: string }).code === "ENOENT" || (error as { code?: string }).code === "ENOTDIR") continue;
      passedOver.push({ path: dir, reason: `not walked: cannot be listed (${messageOf(error)})` });
      continue;
    }
    // Its own runner's lock: `.proxx.lock`, or a shard's (`.proxx.lock.<I>of<N>`).
    const lockNames = entries.filter((e) => e.isFile && shardOfLockName(e.name) !== undefined).map((e) => e.name);
    for (const name of lockNames) {
      const lockFile = joinPath(dir, name);
      const holder = await readLockFile(platform, lockFile).catch(() => null);
      if (holder && isLockLive(platform, lockFile, holder)) {
        passedOver.push({
          path: dir,
          reason: `not walked: a runner of its own holds its lock (pid ${holder.pid} on ${holder.host})`,
        });
        break;
      }
    }
    if (passedOver.at(-1)?.path === dir) continue;
    add(dir, entries, pending);
  }
  // Every path starts with `folder/`, so sorting the absolute paths sorts the relative ones.
  files.sort(compareNames);
  links.sort(compareNames);
  passedOver.sort((a, b) => compareNames(a.path, b.path));
  results.sort(compareNames);
  return { files, links, passedOver, results };
}

/**
 * Every regular `*.json` file under `dir` (processed/ or failed/ of a recursive folder),
 * as paths relative to `dir`, sorted; hidden entries and links are not followed. Empty
 * when `dir` does not exist.
 */
export async function listJsonTree(
  platform: Platform,
  dir: string,
  accept: (name: string) => boolean,
): Promise<string[]> {
  const stat = await platform.lstat(dir);
  if (!stat?.isDirectory) return [];
  const out: string[] = [];
  const pending: string[] = [""];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    for (const e of await platform.list(rel ? joinPath(dir, rel) : dir)) {
      if (e.isSymlink || e.name.startsWith(".")) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) pending.push(child);
      else if (e.isFile && accept(e.name)) out.push(child);
    }
  }
  return out.sort(compareNames);
}

/**
 * Whether processed/ or failed/ has a subfolder: the trace of a `--recursive` runner, so
 * `status` and `reset` without `--recursive` can say what they leave out.
 */
export async function hasMirroredTree(platform: Platform, folder: string): Promise<boolean> {
  for (const top of [PROCESSED_DIR, FAILED_DIR]) {
    const dir = joinPath(folder, top);
    if (!(await platform.lstat(dir))?.isDirectory) continue;
    if ((await platform.list(dir)).some((e) => e.isDirectory && !e.isSymlink && !e.name.startsWith("."))) return true;
  }
  return false;
}
