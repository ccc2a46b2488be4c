/**
 * File names and paths of the watch folder: which root entries are JobSpecs, where a
 * JobSpec's result lives, and the never-overwrite names used when moving.
 *
 * Core code has no `node:path`; the watch folder is always handled as an absolute,
 * `/`-separated path (Windows accepts `/`), so simple joins are enough.
 */
import type { Platform } from "../platform/types.ts";

export const MANIFEST_NAME = "processed_manifest.json";
export const LOCK_NAME = ".proxx.lock";
export const INFLIGHT_NAME = ".proxx.inflight.json";
export const PROCESSED_DIR = "processed";
export const FAILED_DIR = "failed";
const RESULT_SUFFIX = ".result.json";

export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") || dir.endsWith("\\") ? dir + name : `${dir}/${name}`;
}

export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

/**
 * `path` relative to `folder` (`job.json`, `a/b/job.json`), or null when it is not inside.
 * JobSpec paths are built by `joinPath(folder, rel)`, so a prefix test is exact.
 */
export function relativeTo(folder: string, path: string): string | null {
  const prefix = folder.endsWith("/") || folder.endsWith("\\") ? folder : `${folder}/`;
  return path.startsWith(prefix) && path.length > prefix.length ? path.slice(prefix.length) : null;
}

/** The folder part of a relative path: `a/b` of `a/b/job.json`, "" for a root name. */
export function relDirOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/**
 * `dir/rel` for a relative folder (`""` is `dir` itself): where a JobSpec of subfolder
 * `rel` goes in processed/ or failed/, and where it comes back to.
 */
export function joinRel(dir: string, rel: string): string {
  return rel === "" ? dir : joinPath(dir, rel);
}

/** `job.json` → `job` (the seed names results after the stem). */
export function stemOf(name: string): string {
  return name.endsWith(".json") ? name.slice(0, -".json".length) : name;
}

/** `<stem>.result.json`, beside where the JobSpec was (seed: "sibling to original JobSpec location"). */
export function resultNameFor(jobspecName: string): string {
  return stemOf(jobspecName) + RESULT_SUFFIX;
}

export function isResultName(name: string): boolean {
  return name.endsWith(RESULT_SUFFIX);
}

/**
 * Whether a root entry name can be a pending JobSpec. The seed takes `*.json` minus results
 * and the manifest; we also ignore hidden and temporary names (`.*`, `*.tmp`, `*.part`,
 * `*~`) so editors, copy tools and our own lock / in-flight / atomic-write temp files are
 * never taken as jobs.
 */
export function isCandidateName(name: string): boolean {
  if (!name.endsWith(".json")) return false;
  if (name.startsWith(".")) return false;
  if (name.endsWith(".tmp") || name.endsWith(".part") || name.endsWith("~")) return false;
  if (isResultName(name)) return false;
  if (name === MANIFEST_NAME || name === LOCK_NAME || name === INFLIGHT_NAME) return false;
  return name.length > ".json".length;
}

/**
 * Why a symlinked `*.json` in the root is not taken. The runner renames JobSpecs; with a
 * link it would move the link while running its target, resolve relative paths against
 * the watch folder instead of the target's folder, and a relative link would dangle in
 * processed/. Copying the JobSpec in avoids all three.
 */
export const SYMLINK_SKIP_REASON =
  "is a symbolic link; JobSpecs must be regular files (copy it into the folder instead of linking)";

/** `YYYYmmddTHHMMSS` in UTC: the seed's clash suffix, also used for `.corrupt-<stamp>`. */
export function utcStamp(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Code-unit order: deterministic across runtimes and locales (seed: DETERMINISTIC). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A name in `dir` that does not exist yet: `name`, else `<stem>_<stamp>.json`, else
 * `<stem>_<stamp>_2.json`, `_3`, ... Nothing is ever overwritten (rename() would silently
 * replace a file on POSIX). Safe because only the lock holder moves files in the folder.
 */
export async function clashFreeName(platform: Platform, dir: string, name: string, nowMs: number): Promise<string> {
  if (!(await platform.lstat(joinPath(dir, name)))) return name;
  const ext = name.endsWith(".json") ? ".json" : "";
  const stem = ext ? stemOf(name) : name;
  const base = `${stem}_${utcStamp(nowMs)}`;
  if (!(await platform.lstat(joinPath(dir, base + ext)))) return base + ext;
  for (let n = 2;; n++) {
    const candidate = `${base}_${n}${ext}`;
    if (!(await platform.lstat(joinPath(dir, candidate)))) return candidate;
  }
}

/**
 * `top/<relDir>` as real folders, made where missing (processed/ or failed/ mirroring a
 * subfolder). A link or a file already at one of those names is never followed or
 * replaced: that level gets a clash-free name instead (`a_<stamp>`), so a planted link
 * cannot carry a JobSpec out of the watch folder and nothing there is lost.
 */
export async function mirroredFolder(platform: Platform, top: string, relDir: string, nowMs: number): Promise<string> {
  let dir = top;
  for (const part of relDir === "" ? [] : relDir.split("/")) {
    let next = joinPath(dir, part);
    const stat = await platform.lstat(next);
    if (stat && (stat.isSymlink || !stat.isDirectory)) {
      next = joinPath(dir, await clashFreeName(platform, dir, part, nowMs));
    }
    if (!stat || next !== joinPath(dir, part)) await platform.mkdir(next);
    dir = next;
  }
  return dir;
}

/** Absolute, normalised folder path, so manifest keys are stable whatever the caller typed. */
export async function absoluteFolder(platform: Platform, folder: string): Promise<string> {
  const path = await platform.realPath(folder);
  return path.length > 1 && (path.endsWith("/") || path.endsWith("\\")) ? path.slice(0, -1) : path;
}
