/**
 * `proxx watch reset`: the seed's "How to Reset" (move JobSpecs back from processed/ and
 * failed/, remove their result files and manifest entries) done safely:
 *
 * - it takes the folder lock for its duration, so it refuses (LockHeldError) while a live
 *   runner works there and no runner can start half-way through;
 * - it never overwrites: a JobSpec whose root name is taken is reported as `refused` and
 *   its result / manifest entry are left alone;
 * - order: manifest entries (one atomic write) → result files → moves. A crash part-way
 *   leaves JobSpecs that are either still in processed/failed (inert) or in the root with
 *   a result (skipped); running the same reset again finishes it, because root JobSpecs
 *   that match the selection are reset too.
 *
 * Selection: `all` = everything in processed/, failed/ and every root JobSpec with a result
 * or manifest entry; `failed` = failed/ only; `jobs` = stems or file names (`job` or
 * `job.json`) looked up in processed/, failed/ and the root. A JobSpec moved under a clash
 * name (`job_20251228T120000.json`) is restored under that name. With `recursive` the same
 * over the tree (tree.ts): `processed/a/job.json` goes back to `a/job.json`, and a JOB is a
 * relative path (`a/job`; plain `job` is the root's).
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { clearInflight, readAllInflight } from "./inflight.ts";
import { acquireLock } from "./lock.ts";
import { foldJournal, foldShard, readManifest, withoutEntries, writeManifest } from "./manifest.ts";
import { ownsName, shardOf } from "../shard/assign.ts";
import type { ShardSpec } from "../shard/spec.ts";
import { resultPathFor } from "./job.ts";
import {
  absoluteFolder,
  compareNames,
  FAILED_DIR,
  isResultName,
  joinPath,
  joinRel,
  PROCESSED_DIR,
  relDirOf,
} from "./names.ts";
import { findCandidates, listJsonTree } from "./tree.ts";

export interface ResetOptions {
  /**
   * The tree a `proxx watch --recursive` runner works on: processed/ and failed/ with their
   * subfolders (each JobSpec goes back to the subfolder it mirrors), JobSpecs and results
   * in subfolders, and JOB names as relative paths (`a/job`). Default: the root only.
   */
  recursive?: boolean;
  /** Stems or file names (`job` or `job.json`). */
  jobs?: string[];
  failed?: boolean;
  all?: boolean;
  onEvent?: EventSink;
  /**
   * `--shard I/N`: reset only JobSpecs this shard owns, under this shard's lock (so the
   * other shards may keep running); its manifest entries are removed under the fold lock.
   */
  shard?: ShardSpec | null;
  /**
   * Runs once the folder's lock is held, before anything moves; throws to refuse. Coordinated
   * runners hold no folder lock, so `proxx reset` asks their coordinator here whether any of
   * them is live (a runner starting later refuses beside the lock: either side sees the other).
   */
  whileLocked?: () => Promise<void>;
}

export type ResetAction =
  | { action: "moved"; from: string; to: string }
  | { action: "removed_result"; path: string }
  | { action: "removed_manifest_entry"; path: string }
  | { action: "cleared_inflight"; path: string }
  | { action: "refused"; path: string; reason: string }
  | { action: "not_found"; job: string };

interface Target {
  /** Where the JobSpec is now. */
  from: string;
  /** Its root path: the manifest key, and where it goes back to. */
  root: string;
}

export async function resetJobs(platform: Platform, folderArg: string, options: ResetOptions): Promise<ResetAction[]> {
  const folder = await absoluteFolder(platform, folderArg);
  const lock = await acquireLock(platform, folder, options.onEvent, { shard: options.shard ?? null });
  try {
    await options.whileLocked?.();
    return await resetLocked(platform, folder, options);
  } finally {
    await lock.release();
  }
}

async function resetLocked(platform: Platform, folder: string, options: ResetOptions): Promise<ResetAction[]> {
  const actions: ResetAction[] = [];
  const recursive = Boolean(options.recursive);
  // A journal left by a stopped runner is folded into the file first, so the rewrite below
  // cannot be undone by it (manifest-journal.ts).
  const shard = options.shard ?? null;
  // A shard reads everything (others keep running and recording) and writes under the fold lock.
  const manifestRead = shard
    ? await readManifest(platform, folder)
    : await foldJournal(platform, folder, options.onEvent);
  const manifest = manifestRead.manifest;
  const mine = (root: string) => !shard || ownsName(shard, root.slice(folder.length + 1));
  // processed/ and failed/ entries by their path relative to that tree (`a/job.json` with
  // `recursive`): the same relative path under the folder is where each came from.
  const sub = async (dir: string) =>
    (await (recursive
      ? listJsonTree(platform, joinPath(folder, dir), isJobSpecName)
      : listJson(platform, joinPath(folder, dir))))
      .map((rel) => ({ rel, from: joinPath(joinPath(folder, dir), rel) }));
  const processed = await sub(PROCESSED_DIR);
  const failed = await sub(FAILED_DIR);
  const tree = await findCandidates(platform, folder, await platform.list(folder), recursive, {
    results: Boolean(options.all),
  });
  const root = tree.files.map((path) => path.slice(folder.length + 1));
  const hasRecord = async (rel: string) =>
    Boolean(manifest.entries[joinPath(folder, rel)]) ||
    Boolean(await platform.stat(resultPathFor(folder, joinPath(folder, rel))));

  // Selection and planning stay linear (8,000 entries are a normal folder): every "already
  // chosen?" question is a Set lookup, never a scan of the list built so far.
  const targets: Target[] = [];
  const targeted = new Set<string>();
  const push = (t: Target) => {
    if (!mine(t.root)) return;
    targets.push(t);
    targeted.add(t.root);
  };
  const add = (rel: string, from: string) => push({ from, root: joinPath(folder, rel) });
  if (options.all) {
    for (const f of [...processed, ...failed]) add(f.rel, f.from);
    for (const rel of root) if (await hasRecord(rel)) add(rel, joinPath(folder, rel));
    // Seed: `rm processed_manifest.json; rm *.result.json` — records without a JobSpec too.
    for (const key of Object.keys(manifest.entries).sort(compareNames)) {
      if (key.startsWith(folder + "/") && !targeted.has(key)) push({ from: "", root: key });
    }
    for (const result of tree.results) {
      const key = result.slice(0, -".result.json".length) + ".json";
      if (!targeted.has(key)) push({ from: "", root: key });
    }
  } else if (options.failed) {
    for (const f of failed) add(f.rel, f.from);
  }
  const byRel = new Map<string, string[]>(); // processed/ and failed/ paths by relative path, in that order
  for (const f of [...processed, ...failed]) {
    const froms = byRel.get(f.rel);
    if (froms) froms.push(f.from);
    else byRel.set(f.rel, [f.from]);
  }
  const inRoot = new Set(root);
  for (const job of options.jobs ?? []) {
    const rel = job.endsWith(".json") ? job : `${job}.json`;
    if (!isInsideRel(rel)) {
      actions.push({ action: "refused", path: job, reason: "not a path inside the watch folder" });
      continue;
    }
    if (shard && !mine(joinPath(folder, rel))) {
      actions.push({
        action: "refused",
        path: job,
        reason: `belongs to shard ${shardOf(rel, shard.total)}/${shard.total}, not ${shard.index}/${shard.total}`,
      });
      continue;
    }
    let found = false;
    for (const from of byRel.get(rel) ?? []) add(rel, from), (found = true);
    if (inRoot.has(rel)) add(rel, joinPath(folder, rel)), (found = true);
    if (!found) {
      // A result with no JobSpec anywhere still blocks a future drop of that name.
      if (await hasRecord(rel)) add(rel, ""), (found = true);
      else actions.push({ action: "not_found", job });
    }
  }

  // Plan: refuse moves onto an existing root file or onto a root another planned target claims; dedupe.
  const plan: Target[] = [];
  const seen = new Set<string>();
  const claimed = new Set<string>();
  for (const t of targets) {
    const key = `${t.from}\0${t.root}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const moving = t.from !== "" && t.from !== t.root;
    if (moving && ((await platform.lstat(t.root)) || claimed.has(t.root))) {
      actions.push({ action: "refused", path: t.from, reason: `${t.root} already exists; not overwritten` });
      continue;
    }
    const blocked = moving ? await subfolderBlocked(platform, folder, t.root) : null;
    if (blocked) {
      actions.push({ action: "refused", path: t.from, reason: blocked });
      continue;
    }
    plan.push(t);
    if (t.from !== t.root) claimed.add(t.root);
  }
  if (plan.length === 0) return actions;

  // 1. manifest entries, one atomic write.
  const keys = plan.map((t) => t.root).filter((k) => manifest.entries[k]);
  if (keys.length && manifestRead.kind === "ok") {
    if (shard) await foldShard(platform, folder, shard, (m) => withoutEntries(m, keys), options.onEvent);
    else await writeManifest(platform, folder, withoutEntries(manifest, keys));
    for (const k of [...new Set(keys)]) actions.push({ action: "removed_manifest_entry", path: k });
  }
  // 2. result files.
  for (const t of plan) {
    const result = resultPathFor(folder, t.root);
    if (await platform.stat(result)) {
      await platform.remove(result);
      actions.push({ action: "removed_result", path: result });
    }
  }
  // 3. moves back to the root (re-checked: nothing is overwritten).
  for (const t of plan) {
    if (t.from === "" || t.from === t.root) continue;
    if (await platform.lstat(t.root)) {
      actions.push({ action: "refused", path: t.from, reason: `${t.root} already exists; not overwritten` });
      continue;
    }
    const blocked = await subfolderBlocked(platform, folder, t.root);
    if (blocked) {
      actions.push({ action: "refused", path: t.from, reason: blocked });
      continue;
    }
    const relDir = relDirOf(t.root.slice(folder.length + 1));
    if (relDir !== "") await platform.mkdir(joinRel(folder, relDir));
    await platform.rename(t.from, t.root);
    actions.push({ action: "moved", from: t.from, to: t.root });
  }
  // A reset job must start with a fresh attempt count (whichever slot holds its record).
  const planned = new Set(plan.map((t) => t.root));
  for (const { slot, shard: owner, read } of await readAllInflight(platform, folder, undefined, "all")) {
    if (read.kind === "ok" && planned.has(read.record.jobspec_path)) {
      await clearInflight(platform, folder, slot, owner);
      actions.push({ action: "cleared_inflight", path: read.record.jobspec_path });
    }
  }
  return actions;
}

function isJobSpecName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") && !isResultName(name);
}

async function listJson(platform: Platform, dir: string): Promise<string[]> {
  const stat = await platform.stat(dir);
  if (!stat?.isDirectory) return [];
  return (await platform.list(dir))
    .filter((e) => e.isFile && isJobSpecName(e.name))
    .map((e) => e.name)
    .sort(compareNames);
}

/** A JOB argument stays inside the folder: relative, no `..` or empty segments. */
function isInsideRel(rel: string): boolean {
  if (rel.startsWith("/") || rel.includes("\\") || /^[A-Za-z]:/.test(rel)) return false;
  return rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * A JobSpec going back to subfolder `a/b/` of the folder: each of `a`, `a/b` must be a real
 * folder or missing (then created before the move, like the runner's moves), never a link
 * or a file, so the rename cannot land outside the folder. Null when the move may go ahead.
 */
async function subfolderBlocked(platform: Platform, folder: string, target: string): Promise<string | null> {
  const relDir = relDirOf(target.slice(folder.length + 1));
  if (relDir === "") return null;
  let dir = folder;
  for (const part of relDir.split("/")) {
    dir = joinPath(dir, part);
    const stat = await platform.lstat(dir);
    if (!stat) break; // missing from here down: created below
    if (stat.isSymlink || !stat.isDirectory) return `${dir} is not a folder (a link or a file); not moved`;
  }
  return null;
}
