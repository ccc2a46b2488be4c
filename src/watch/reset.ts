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
 * name (`job_20251228T120000.json`) is restored under that name.
 */
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { clearInflight, readAllInflight } from "./inflight.ts";
import { acquireLock } from "./lock.ts";
import { foldJournal, withoutEntries, writeManifest } from "./manifest.ts";
import {
  absoluteFolder,
  compareNames,
  FAILED_DIR,
  isCandidateName,
  isResultName,
  joinPath,
  PROCESSED_DIR,
  resultNameFor,
  stemOf,
} from "./names.ts";

export interface ResetOptions {
  /** Stems or file names (`job` or `job.json`). */
  jobs?: string[];
  failed?: boolean;
  all?: boolean;
  onEvent?: EventSink;
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
  const lock = await acquireLock(platform, folder, options.onEvent);
  try {
    return await resetLocked(platform, folder, options);
  } finally {
    await lock.release();
  }
}

async function resetLocked(platform: Platform, folder: string, options: ResetOptions): Promise<ResetAction[]> {
  const actions: ResetAction[] = [];
  // A journal left by a stopped runner is folded into the file first, so the rewrite below
  // cannot be undone by it (manifest-journal.ts).
  const manifestRead = await foldJournal(platform, folder, options.onEvent);
  const manifest = manifestRead.manifest;
  const sub = async (dir: string) =>
    (await listJson(platform, joinPath(folder, dir))).map((n) => ({
      name: n,
      from: joinPath(joinPath(folder, dir), n),
    }));
  const processed = await sub(PROCESSED_DIR);
  const failed = await sub(FAILED_DIR);
  const root = (await platform.list(folder)).filter((e) => e.isFile && isCandidateName(e.name)).map((e) => e.name).sort(
    compareNames,
  );
  const hasRecord = async (name: string) =>
    Boolean(manifest.entries[joinPath(folder, name)]) ||
    Boolean(await platform.stat(joinPath(folder, resultNameFor(name))));

  // Selection and planning stay linear (8,000 entries are a normal folder): every "already
  // chosen?" question is a Set lookup, never a scan of the list built so far.
  const targets: Target[] = [];
  const targeted = new Set<string>();
  const push = (t: Target) => {
    targets.push(t);
    targeted.add(t.root);
  };
  const add = (name: string, from: string) => push({ from, root: joinPath(folder, name) });
  if (options.all) {
    for (const f of [...processed, ...failed]) add(f.name, f.from);
    for (const name of root) if (await hasRecord(name)) add(name, joinPath(folder, name));
    // Seed: `rm processed_manifest.json; rm *.result.json` — records without a JobSpec too.
    for (const key of Object.keys(manifest.entries).sort(compareNames)) {
      if (key.startsWith(folder + "/") && !targeted.has(key)) push({ from: "", root: key });
    }
    for (const e of await platform.list(folder)) {
      if (!e.isFile || !isResultName(e.name)) continue;
      const key = joinPath(folder, e.name.slice(0, -".result.json".length) + ".json");
      if (!targeted.has(key)) push({ from: "", root: key });
    }
  } else if (options.failed) {
    for (const f of failed) add(f.name, f.from);
  }
  const byName = new Map<string, string[]>(); // processed/ and failed/ paths by file name, in that order
  for (const f of [...processed, ...failed]) {
    const froms = byName.get(f.name);
    if (froms) froms.push(f.from);
    else byName.set(f.name, [f.from]);
  }
  const inRoot = new Set(root);
  for (const job of options.jobs ?? []) {
    const name = job.endsWith(".json") ? job : `${job}.json`;
    let found = false;
    for (const from of byName.get(name) ?? []) add(name, from), (found = true);
    if (inRoot.has(name)) add(name, joinPath(folder, name)), (found = true);
    if (!found) {
      // A result with no JobSpec anywhere still blocks a future drop of that name.
      if (await hasRecord(name)) add(name, ""), (found = true);
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
    plan.push(t);
    if (t.from !== t.root) claimed.add(t.root);
  }
  if (plan.length === 0) return actions;

  // 1. manifest entries, one atomic write.
  const keys = plan.map((t) => t.root).filter((k) => manifest.entries[k]);
  if (keys.length && manifestRead.kind === "ok") {
    await writeManifest(platform, folder, withoutEntries(manifest, keys));
    for (const k of [...new Set(keys)]) actions.push({ action: "removed_manifest_entry", path: k });
  }
  // 2. result files.
  for (const t of plan) {
    const result = joinPath(folder, resultNameFor(stemOf(t.root.slice(folder.length + 1)) + ".json"));
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
    await platform.rename(t.from, t.root);
    actions.push({ action: "moved", from: t.from, to: t.root });
  }
  // A reset job must start with a fresh attempt count (whichever slot holds its record).
  const planned = new Set(plan.map((t) => t.root));
  for (const { slot, read } of await readAllInflight(platform, folder)) {
    if (read.kind === "ok" && planned.has(read.record.jobspec_path)) {
      await clearInflight(platform, folder, slot);
      actions.push({ action: "cleared_inflight", path: read.record.jobspec_path });
    }
  }
  return actions;
}

async function listJson(platform: Platform, dir: string): Promise<string[]> {
  const stat = await platform.stat(dir);
  if (!stat?.isDirectory) return [];
  return (await platform.list(dir))
    .filter((e) => e.isFile && e.name.endsWith(".json") && !e.name.startsWith(".") && !isResultName(e.name))
    .map((e) => e.name)
    .sort(compareNames);
}
