/**
 * The manifest journal, `.proxx.manifest-journal`: new manifest entries are appended here
 * (one fsync'd line per job) and folded into `processed_manifest.json` at most every
 * `FLUSH_INTERVAL_MS`, when the runner goes idle, and when it stops.
 *
 * Why: the seed's manifest is one JSON file, and rewriting it after every job costs time
 * in proportion to its size (about 10 ms per job at 10,000 entries: serialise 2 MB, write,
 * fsync). A burst of small jobs then slows down as the folder fills (scripts/soak.ts). With
 * the journal a job costs one small append, whatever the manifest's size; jobs that take
 * longer than the interval still see the manifest rewritten after each one.
 *
 * Format, one JSON object per line:
 *   {"journal":1,"base":"<sha256 of the manifest bytes it applies to>"|null}
 *   {"path":"<abs JobSpec path>","entry":{"sha256","processed_at","result_status"}}
 *
 * Crash safety: an entry is durable once its line is appended (the in-flight record is
 * cleared only after that). Every reader of the manifest (`readManifest`) applies the
 * journal on top, so a crash between append and fold loses nothing. The fold writes the
 * manifest atomically and then removes the journal; a crash in between leaves a journal
 * whose `base` no longer matches the manifest's bytes, and such a journal is ignored, so an
 * entry removed by `proxx reset` can never come back from an old journal. A torn last line
 * (power loss) is skipped; its job still has its in-flight record, which re-adds the entry.
 */
import type { Platform } from "../platform/types.ts";
import { sha256Hex } from "../util/sha256.ts";
import { foldShard, type Manifest, type ManifestEntry, type ManifestSerializer, writeManifest } from "./manifest.ts";
import type { EventSink } from "../engine/events.ts";
import { joinPath, MANIFEST_NAME } from "./names.ts";

export const JOURNAL_NAME = ".proxx.manifest-journal";

/** Fold the journal into the manifest at least this often while jobs keep finishing. */
export const FLUSH_INTERVAL_MS = 2000;

export function journalPath(folder: string): string {
  return joinPath(folder, JOURNAL_NAME);
}

export interface JournalApplied {
  manifest: Manifest;
  /** Entries applied. */
  applied: number;
  /** Lines that did not parse (a torn last line after a power cut). */
  skipped: number;
  /** The journal belonged to an older manifest (a fold finished but its removal did not). */
  stale: boolean;
  /** Shard journal files applied (readManifest): a whole-folder fold removes them. */
  shardFiles?: string[];
}

/**
 * `manifest` with the journal's entries applied, when the journal exists and was written on
 * top of exactly these manifest bytes (`manifestBytes` null: no manifest file).
 */
export async function applyJournal(
  platform: Platform,
  folder: string,
  manifest: Manifest,
  manifestBytes: Uint8Array | null,
): Promise<JournalApplied | null> {
  const path = journalPath(folder);
  const stat = await platform.lstat(path);
  if (!stat || !stat.isFile) return null;
  const lines = (await platform.readText(path)).split("\n").filter((l) => l.trim() !== "");
  const header = parseLine(lines[0]);
  const base = manifestBytes ? await sha256Hex(manifestBytes) : null;
  if (!header || header.journal !== 1 || header.base !== base) {
    return { manifest, applied: 0, skipped: 0, stale: true };
  }
  const entries = { ...manifest.entries };
  let applied = 0;
  let skipped = 0;
  for (const line of lines.slice(1)) {
    const item = parseLine(line);
    const entry = item?.entry;
    if (typeof item?.path !== "string" || !isEntry(entry)) {
      skipped++;
      continue;
    }
    entries[item.path] = { sha256: entry.sha256, processed_at: entry.processed_at, result_status: entry.result_status };
    applied++;
  }
  return { manifest: { version: 1, entries }, applied, skipped, stale: false };
}

/**
 * The runner's side: append entries, fold when due. `fold` is the caller's atomic manifest
 * rewrite (it returns the bytes it wrote, the base of the next journal).
 */
export class ManifestJournal {
  private pending = 0;
  private lastFoldMs: number;
  private base: string | null | undefined;

  constructor(
    private readonly platform: Platform,
    private readonly folder: string,
    private readonly fold: (manifest: Manifest) => Promise<Uint8Array>,
  ) {
    this.lastFoldMs = platform.monotonic();
  }

  /** Entries appended since the last fold. */
  get unfolded(): number {
    return this.pending;
  }

  /** Make `entry` durable; `manifest` already contains it (folded when the interval is up). */
  async record(manifest: Manifest, path: string, entry: ManifestEntry): Promise<void> {
    let text = JSON.stringify({ path, entry }) + "\n";
    if (this.pending === 0) {
      // A new journal starts with the hash of the manifest bytes it applies to.
      if (this.base === undefined) this.base = await this.currentManifestHash();
      await this.platform.remove(journalPath(this.folder));
      text = JSON.stringify({ journal: 1, base: this.base }) + "\n" + text;
    }
    await this.platform.appendFileDurable(journalPath(this.folder), text);
    this.pending++;
    if (this.platform.monotonic() - this.lastFoldMs >= FLUSH_INTERVAL_MS) await this.flush(manifest);
  }

  /** Fold now if anything is unfolded. */
  async flush(manifest: Manifest): Promise<void> {
    if (this.pending === 0) return;
    const bytes = await this.fold(manifest);
    this.base = await sha256Hex(bytes);
    this.pending = 0;
    this.lastFoldMs = this.platform.monotonic();
    await this.platform.remove(journalPath(this.folder));
  }

  private async currentManifestHash(): Promise<string | null> {
    try {
      return await sha256Hex(await this.platform.readFile(joinPath(this.folder, MANIFEST_NAME)));
    } catch {
      return null;
    }
  }
}

function parseLine(line: string | undefined): Record<string, unknown> | null {
  if (line === undefined) return null;
  try {
    const v = JSON.parse(line);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function isEntry(v: unknown): v is ManifestEntry {
  if (!v || typeof v !== "object") return false;
  const e = v as Record<string, unknown>;
  return typeof e.sha256 === "string" && /^[0-9a-f]{64}$/.test(e.sha256) &&
    typeof e.processed_at === "string" && typeof e.result_status === "string";
}

// ---------------------------------------------------------------------------------------
// Shards: one journal per shard, folded under an exclusive lock (docs/crash-safety.md,
// "Several runners on one folder").
//
// A runner of shard I/N appends to `.proxx.manifest-journal.<I>of<N>` (no append file is
// shared, so O_APPEND's lack of atomicity over NFS does not matter). Its fold, under
// `.proxx.manifest.lock` (O_EXCL): read and parse the manifest (the other shards' folds),
// apply this journal (and the unsharded journal a stopped unsharded runner left, when it
// still applies to these bytes), rename the journal to `….folding-<sha256 of the bytes about
// to be written>`, write the manifest atomically, remove the folding file, release the lock.
// Readers apply every shard journal, and a folding file unless the manifest's hash is its
// own (the fold finished, its removal did not); applying one twice changes nothing, since
// shards own disjoint JobSpecs and an entry is the same both times.

const SHARD_JOURNAL = /^\.proxx\.manifest-journal\.([1-9][0-9]*)of([1-9][0-9]*)(?:\.folding-([0-9a-f]{64}))?$/;

export function shardJournalName(shard: { index: number; total: number }): string {
  return `${JOURNAL_NAME}.${shard.index}of${shard.total}`;
}

/** A shard journal file (or its folding rename) of the folder root. */
export interface ShardJournalFile {
  name: string;
  shard: { index: number; total: number };
  /** The manifest hash a folding file was renamed for; null for a live journal. */
  folding: string | null;
}

export function parseShardJournalName(name: string): ShardJournalFile | null {
  const m = SHARD_JOURNAL.exec(name);
  return m ? { name, shard: { index: Number(m[1]), total: Number(m[2]) }, folding: m[3] ?? null } : null;
}

export async function listShardJournals(platform: Platform, folder: string): Promise<ShardJournalFile[]> {
  const out: ShardJournalFile[] = [];
  for (const e of await platform.list(folder)) {
    const j = e.isFile ? parseShardJournalName(e.name) : null;
    if (j) out.push(j);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The entries of journal files read now (read before the manifest: an entry a fold moves in between is in one or the other). */
export interface ShardJournalRead {
  file: ShardJournalFile;
  entries: [string, ManifestEntry][];
  skipped: number;
}

export async function readShardJournals(
  platform: Platform,
  folder: string,
  only?: { index: number; total: number } | null,
): Promise<ShardJournalRead[]> {
  const out: ShardJournalRead[] = [];
  for (const file of await listShardJournals(platform, folder)) {
    if (only && (file.shard.index !== only.index || file.shard.total !== only.total)) continue;
    let text: string;
    try {
      text = await platform.readText(joinPath(folder, file.name));
    } catch {
      continue; // folded and removed meanwhile: its entries are in the manifest now
    }
    const entries: [string, ManifestEntry][] = [];
    let skipped = 0;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const item = parseLine(line);
      if (item && "journal" in item) continue; // header
      const entry = item?.entry;
      if (typeof item?.path !== "string" || !isEntry(entry)) {
        skipped++;
        continue;
      }
      entries.push([item.path, {
        sha256: entry.sha256,
        processed_at: entry.processed_at,
        result_status: entry.result_status,
      }]);
    }
    out.push({ file, entries, skipped });
  }
  return out;
}

/** `manifest` with the shard journals applied; a folding file whose hash is `manifestSha` is done and skipped. */
export function applyShardJournals(
  manifest: Manifest,
  reads: ShardJournalRead[],
  manifestSha: string | null,
): { manifest: Manifest; applied: number; skipped: number } {
  if (reads.length === 0) return { manifest, applied: 0, skipped: 0 };
  const entries = { ...manifest.entries };
  let applied = 0;
  let skipped = 0;
  for (const r of reads) {
    if (r.file.folding !== null && r.file.folding === manifestSha) continue;
    for (const [path, entry] of r.entries) {
      entries[path] = entry;
      applied++;
    }
    skipped += r.skipped;
  }
  return { manifest: { version: 1, entries }, applied, skipped };
}

/**
 * What a shard's fold does with the manifest file, given by manifest.ts (which owns reading,
 * corrupt handling and writing): under the fold lock, `merge` gets the manifest as on disk
 * (with the unsharded journal applied when it still applies) and returns the manifest to
 * write; `foldUnderLock` does the lock, the folding rename and the atomic write.
 */
export type FoldUnderLock = (
  shard: { index: number; total: number },
  add: (onDisk: Manifest) => Manifest,
) => Promise<Manifest>;

/** A shard runner's journal: the same interface as `ManifestJournal`, folded under the fold lock. */
export class ShardJournal extends ManifestJournal {
  private readonly pendingEntries = new Map<string, ManifestEntry>();
  private last: number;

  constructor(
    private readonly p: Platform,
    private readonly dir: string,
    private readonly shard: { index: number; total: number },
    private readonly foldUnderLock: FoldUnderLock,
  ) {
    super(p, dir, () => Promise.resolve(new Uint8Array()));
    this.last = p.monotonic();
  }

  override get unfolded(): number {
    return this.pendingEntries.size;
  }

  override async record(manifest: Manifest, path: string, entry: ManifestEntry): Promise<void> {
    const file = joinPath(this.dir, shardJournalName(this.shard));
    let text = JSON.stringify({ path, entry }) + "\n";
    if (this.pendingEntries.size === 0) {
      await this.p.remove(file);
      text = JSON.stringify({ journal: 2, shard: `${this.shard.index}/${this.shard.total}` }) + "\n" + text;
    }
    await this.p.appendFileDurable(file, text);
    this.pendingEntries.set(path, entry);
    if (this.p.monotonic() - this.last >= FLUSH_INTERVAL_MS) await this.flush(manifest);
  }

  override async flush(_manifest: Manifest): Promise<void> {
    if (this.pendingEntries.size === 0) return;
    const pending = [...this.pendingEntries];
    await this.foldUnderLock(this.shard, (onDisk) => {
      const entries = { ...onDisk.entries };
      for (const [path, entry] of pending) entries[path] = entry;
      return { version: 1, entries };
    });
    this.pendingEntries.clear();
    this.last = this.p.monotonic();
  }
}

/**
 * The runner's journal: the unsharded one (one writer, the `.proxx.lock` holder), or a
 * shard's, folded under the fold lock.
 */
export function journalFor(
  platform: Platform,
  folder: string,
  shard: { index: number; total: number } | null,
  serializer: ManifestSerializer,
  onEvent: EventSink,
): ManifestJournal {
  if (!shard) {
    return new ManifestJournal(platform, folder, (manifest) => writeManifest(platform, folder, manifest, serializer));
  }
  return new ShardJournal(
    platform,
    folder,
    shard,
    (s, add) => foldShard(platform, folder, s, add, onEvent, serializer),
  );
}
