/**
 * `processed_manifest.json`, the seed's idempotency record:
 * `{"version":1,"entries":{"<abs path>":{"sha256","processed_at","result_status"}}}`,
 * indent 2, sorted keys (so the same state is always the same bytes).
 *
 * Always written with `platform.writeFileAtomic`: a kill -9 leaves the old or the new
 * manifest, never half of one ("manifest always parses"). While a runner works through a
 * burst of jobs, new entries go to the append-only journal first (manifest-journal.ts) and
 * are folded in here at least every 2 s; `readManifest` always includes them. A manifest that does not parse
 * anyway (hand edit, disk fault) is copied aside and treated as empty; result files still
 * prevent re-execution, because the result file check comes first.
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { clashFreeName, joinPath, MANIFEST_NAME, utcStamp } from "./names.ts";
import {
  applyJournal,
  applyShardJournals,
  JOURNAL_NAME,
  type JournalApplied,
  journalPath,
  readShardJournals,
  shardJournalName,
} from "./manifest-journal.ts";
import { acquireFoldLock } from "./lock.ts";
import { sha256Hex } from "../util/sha256.ts";

export const ManifestEntry = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  processed_at: z.string(),
  result_status: z.string(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const Manifest = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), ManifestEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export type ManifestRead =
  /** `journal`: what the manifest journal added on top of the file (manifest-journal.ts). */
  | { kind: "ok"; manifest: Manifest; journal?: JournalApplied }
  | { kind: "missing"; manifest: Manifest; journal?: JournalApplied }
  /** `link`: the manifest name is a symbolic link (never read through: see readManifest). */
  | { kind: "corrupt"; manifest: Manifest; reason: string; link?: boolean };

export function emptyManifest(): Manifest {
  return { version: 1, entries: {} };
}

export function manifestPath(folder: string): string {
  return joinPath(folder, MANIFEST_NAME);
}

/**
 * Read and validate, with the manifest journal's entries applied on top (the state the
 * runner has recorded, folded into the file or not); never throws for bad content
 * (missing / corrupt are states, not errors).
 */
export async function readManifest(platform: Platform, folder: string): Promise<ManifestRead> {
  // Shard journals first: an entry a shard folds meanwhile is then in the journal read or in the file read.
  const shards = await readShardJournals(platform, folder);
  const read = await readManifestFile(platform, folder);
  if (read.kind === "corrupt") return read;
  const bytes = read.kind === "ok" ? read.bytes : null;
  const journal = await applyJournal(platform, folder, read.manifest, bytes);
  const base = journal ? journal.manifest : read.manifest;
  if (shards.length === 0) {
    return journal ? { kind: read.kind, manifest: base, journal } : { kind: read.kind, manifest: base };
  }
  const applied = applyShardJournals(base, shards, bytes ? await sha256Hex(bytes) : null);
  return {
    kind: read.kind,
    manifest: applied.manifest,
    journal: {
      manifest: applied.manifest,
      applied: (journal?.applied ?? 0) + applied.applied,
      skipped: (journal?.skipped ?? 0) + applied.skipped,
      stale: journal?.stale ?? false,
      shardFiles: shards.map((r) => r.file.name),
    },
  };
}

/**
 * Fold a journal left by a stopped or crashed runner into the file (or drop it when it is
 * stale), for writers that hold the lock: the runner at start, `reset`. Afterwards the
 * file alone is the manifest, so rewriting it cannot bring back a journal's entries.
 */
export async function foldJournal(platform: Platform, folder: string, onEvent?: EventSink): Promise<ManifestRead> {
  const read = await readManifest(platform, folder);
  if (read.kind === "corrupt" || !read.journal) return read;
  const { applied, skipped, stale } = read.journal;
  if (applied > 0) await writeManifest(platform, folder, read.manifest);
  await platform.remove(journalPath(folder));
  // The caller holds the whole folder: every shard's journal is folded in now.
  for (const name of read.journal.shardFiles ?? []) await platform.remove(joinPath(folder, name));
  if (skipped > 0) {
    onEvent?.({
      type: "warning",
      message:
        `${JOURNAL_NAME}: skipped ${skipped} unreadable line(s) (a write cut short by a crash); the in-flight record re-adds such an entry`,
    });
  }
  if (stale) {
    onEvent?.({
      type: "warning",
      message: `${JOURNAL_NAME} belonged to an earlier ${MANIFEST_NAME} (its fold had finished); removed`,
    });
  }
  return { kind: read.kind === "missing" && applied > 0 ? "ok" : read.kind, manifest: read.manifest };
}

async function readManifestFile(
  platform: Platform,
  folder: string,
): Promise<{ kind: "ok"; manifest: Manifest; bytes: Uint8Array } | Exclude<ManifestRead, { kind: "ok" }>> {
  const path = manifestPath(folder);
  const entry = await platform.lstat(path);
  if (!entry) return { kind: "missing", manifest: emptyManifest() };
  // Not read through a link: the corrupt-manifest copy would put the target's bytes (any
  // file the runner can read) into the watch folder, and every rewrite replaces the link.
  if (entry.isSymlink) {
    return {
      kind: "corrupt",
      manifest: emptyManifest(),
      reason: "is a symbolic link; proxx keeps its manifest as a regular file",
      link: true,
    };
  }
  let text: string;
  let bytes: Uint8Array;
  try {
    bytes = await platform.readFile(path);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    return { kind: "corrupt", manifest: emptyManifest(), reason: `unreadable: ${messageOf(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: "corrupt", manifest: emptyManifest(), reason: `invalid JSON: ${messageOf(error)}` };
  }
  const fast = wellFormed(json);
  if (fast) return { kind: "ok", manifest: fast, bytes };
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join(".") : "(root)";
    return { kind: "corrupt", manifest: emptyManifest(), reason: `schema: ${where}: ${issue?.message ?? "invalid"}` };
  }
  return { kind: "ok", manifest: parsed.data, bytes };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The common case checked by hand: exactly `{version: 1, entries}` and every entry exactly
 * the three schema fields with valid types. Then the parsed JSON *is* what zod would return
 * (zod's only change is dropping unknown keys, and there are none), and a 10,000-entry
 * manifest loads in a few ms instead of ~30 ms. Anything else goes through zod, for its
 * stripping and its error messages.
 */
function wellFormed(json: unknown): Manifest | null {
  if (!isPlainObject(json) || json.version !== 1 || !isPlainObject(json.entries)) return null;
  if (Object.keys(json).length !== 2) return null;
  for (const key in json.entries) {
    if (!Object.hasOwn(json.entries, key)) return null;
    const e = json.entries[key];
    if (!isPlainObject(e)) return null;
    if (typeof e.sha256 !== "string" || !SHA256_HEX.test(e.sha256)) return null;
    if (typeof e.processed_at !== "string" || typeof e.result_status !== "string") return null;
    let n = 0;
    for (const _ in e) n++;
    if (n !== 3) return null;
  }
  return json as Manifest;
}

// deno-lint-ignore no-explicit-any
function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * For a runner start: a corrupt manifest is copied to
 * `processed_manifest.json.corrupt-<YYYYmmddTHHMMSS>` (copy first, so a crash cannot lose
 * it), then replaced atomically by an empty one; a `warning` is emitted and the run goes
 * on. If the copy fails (disk full, read-only folder) the runner does not start: the first
 * job's manifest rewrite would otherwise replace the only copy of the corrupt file.
 */
export async function loadManifestForRun(
  platform: Platform,
  folder: string,
  onEvent: EventSink,
  shard?: { index: number; total: number } | null,
): Promise<Manifest> {
  if (shard) {
    // Fold what a crashed run of this shard left (and an unsharded runner's journal) under the fold lock.
    await foldShard(platform, folder, shard, null, onEvent);
    return (await readManifest(platform, folder)).manifest;
  }
  const read = await foldJournal(platform, folder, onEvent);
  if (read.kind !== "corrupt") return read.manifest;
  const copyName = await setAsideCorrupt(platform, folder, read, onEvent);
  if (copyName === null) return read.manifest;
  let copied = `; copied to ${copyName}`;
  try {
    // Replace it only once the copy exists, so later starts see a healthy (empty) manifest.
    await writeManifest(platform, folder, read.manifest);
  } catch (error) {
    copied += ` (replacing it failed: ${messageOf(error)})`;
  }
  onEvent({
    type: "warning",
    message:
      `corrupt ${MANIFEST_NAME} (${read.reason})${copied}; continuing with an empty manifest (result files still prevent re-runs)`,
  });
  return read.manifest;
}

/**
 * A shard's fold (manifest-journal.ts, "Shards"): under `.proxx.manifest-journal`'s fold
 * lock, the manifest as on disk + the unsharded journal when it still applies + this shard's
 * journal files + `add` (the entries in memory), written atomically after renaming this
 * shard's journal to its folding name. `add` null: only fold leftovers (a start), and write
 * nothing when there are none. A corrupt manifest is set aside first, as at an unsharded start.
 */
export async function foldShard(
  platform: Platform,
  folder: string,
  shard: { index: number; total: number },
  add: ((onDisk: Manifest) => Manifest) | null,
  onEvent: EventSink = () => {},
  serializer?: ManifestSerializer,
): Promise<Manifest> {
  const release = await acquireFoldLock(platform, folder, onEvent);
  try {
    // Ours, and those of other totals: their runners cannot be live beside our lock (lock.ts), so they are folded too.
    const own = (await readShardJournals(platform, folder)).filter((r) =>
      r.file.shard.total !== shard.total || r.file.shard.index === shard.index
    );
    const file = await readManifestFile(platform, folder);
    let base = file.manifest;
    let bytes: Uint8Array | null = file.kind === "ok" ? file.bytes : null;
    if (file.kind === "corrupt") {
      const copyName = await setAsideCorrupt(platform, folder, file, onEvent);
      if (copyName !== null) {
        onEvent({
          type: "warning",
          message:
            `corrupt ${MANIFEST_NAME} (${file.reason}); copied to ${copyName}; continuing with this shard's entries (result files still prevent re-runs)`,
        });
      }
      bytes = null;
    }
    const legacy = file.kind === "corrupt" ? null : await applyJournal(platform, folder, base, bytes);
    if (legacy && !legacy.stale) base = legacy.manifest;
    if (add === null && own.length === 0 && !legacy && file.kind !== "corrupt") return base;
    const folding = own.some((r) => r.file.folding !== null);
    base = applyShardJournals(base, own, folding && bytes ? await sha256Hex(bytes) : null).manifest;
    // Entries unchanged since this serialiser's last write keep its objects, so their text is reused.
    const next = serializer ? serializer.reuse(add ? add(base) : base) : add ? add(base) : base;
    const text = new TextEncoder().encode(serializer ? serializer.serialize(next) : serializeManifest(next));
    const sha = await sha256Hex(text);
    const live = joinPath(folder, shardJournalName(shard));
    const foldingName = `${live}.folding-${sha}`;
    if (own.some((r) => r.file.name === shardJournalName(shard))) await platform.rename(live, foldingName);
    await platform.writeFileAtomic(manifestPath(folder), text);
    for (const r of own) {
      if (r.file.name !== shardJournalName(shard)) await platform.remove(joinPath(folder, r.file.name));
    }
    await platform.remove(foldingName);
    if (legacy) await platform.remove(journalPath(folder));
    return next;
  } finally {
    await release();
  }
}

/** Copy a corrupt manifest aside and return the copy's name; null when it was a link, moved aside (nothing to replace). Throws when the copy fails. */
async function setAsideCorrupt(
  platform: Platform,
  folder: string,
  read: Extract<ManifestRead, { kind: "corrupt" }>,
  onEvent: EventSink,
): Promise<string | null> {
  const copyName = await clashFreeName(
    platform,
    folder,
    `${MANIFEST_NAME}.corrupt-${utcStamp(platform.now())}`,
    platform.now(),
  );
  try {
    if (read.link) {
      // The link itself is moved aside (kept for the operator); its target is never read.
      await platform.rename(manifestPath(folder), joinPath(folder, copyName));
      onEvent({
        type: "warning",
        message:
          `${MANIFEST_NAME} ${read.reason}: moved the link to ${copyName}; continuing with an empty manifest (result files still prevent re-runs)`,
      });
      return null;
    }
    await platform.writeFileAtomic(joinPath(folder, copyName), await platform.readFile(manifestPath(folder)));
  } catch (error) {
    onEvent({
      type: "warning",
      message:
        `corrupt ${MANIFEST_NAME} (${read.reason}) could not be copied aside to ${copyName} (${messageOf(error)}); ` +
        `not starting, so that it is not replaced: free space or move it away, then start again`,
    });
    throw error;
  }
  return copyName;
}

/** JSON with every object's keys sorted, indent 2, trailing newline: same state, same bytes. */
export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(sortKeys(manifest), null, 2) + "\n";
}

/**
 * `serializeManifest`, incrementally: the runner rewrites the whole manifest after every
 * job (it is the seed's format, and atomic replacement is what keeps it parseable), so with
 * 10,000 entries re-sorting and re-stringifying everything each time cost ~15 ms per job.
 * This keeps the sorted key list and each entry's text (by entry object identity: entries
 * are immutable, `withEntry` makes new objects only for what changed) and just joins them.
 * Byte-identical to `serializeManifest` (unit-tested); falls back to it for shapes it does
 * not handle (array-index keys, which JavaScript orders first).
 */
export class ManifestSerializer {
  private readonly texts = new WeakMap<object, { key: string; text: string }>();
  private keys: string[] = [];
  private keySet = new Set<string>();
  private last: Record<string, ManifestEntry> = {};

  /**
   * `manifest` with each entry equal to the one last serialised under its key replaced by
   * that object: a manifest parsed again (a shard's fold reads what the others wrote) then
   * reuses the cached texts of everything that did not change.
   */
  reuse(manifest: Manifest): Manifest {
    const entries: Record<string, ManifestEntry> = {};
    for (const key in manifest.entries) {
      const fresh = manifest.entries[key]!;
      const old = this.last[key];
      entries[key] = old && old.sha256 === fresh.sha256 && old.processed_at === fresh.processed_at &&
          old.result_status === fresh.result_status
        ? old
        : fresh;
    }
    return { version: 1, entries };
  }

  serialize(manifest: Manifest): string {
    const entries = manifest.entries;
    if (Object.keys(manifest).length !== 2) return serializeManifest(manifest);
    const current = Object.keys(entries);
    if (current.some(isArrayIndex)) return serializeManifest(manifest);
    const added = current.filter((k) => !this.keySet.has(k));
    const removed = this.keys.length + added.length - current.length;
    if (removed === 0 && added.length <= 64) {
      for (const key of added) this.keys.splice(lowerBound(this.keys, key), 0, key);
    } else {
      this.keys = current.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    this.keySet = new Set(this.keys);
    this.last = entries;
    if (this.keys.length === 0) return `{\n  "entries": {},\n  "version": 1\n}\n`;
    const parts: string[] = new Array(this.keys.length);
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      const entry = entries[key]!;
      let cached = this.texts.get(entry);
      if (!cached || cached.key !== key) {
        const body = JSON.stringify(sortKeys(entry), null, 2).replaceAll("\n", "\n    ");
        cached = { key, text: `    ${JSON.stringify(key)}: ${body}` };
        this.texts.set(entry, cached);
      }
      parts[i] = cached.text;
    }
    return `{\n  "entries": {\n${parts.join(",\n")}\n  },\n  "version": 1\n}\n`;
  }
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Atomic rewrite of the whole file; returns the bytes written. */
export async function writeManifest(
  platform: Platform,
  folder: string,
  manifest: Manifest,
  serializer?: ManifestSerializer,
): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(serializer ? serializer.serialize(manifest) : serializeManifest(manifest));
  await platform.writeFileAtomic(manifestPath(folder), bytes);
  return bytes;
}

export function withEntry(manifest: Manifest, path: string, entry: ManifestEntry): Manifest {
  return { version: 1, entries: { ...manifest.entries, [path]: entry } };
}

export function withoutEntries(manifest: Manifest, paths: Iterable<string>): Manifest {
  const entries = { ...manifest.entries };
  for (const p of paths) delete entries[p];
  return { version: 1, entries };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
