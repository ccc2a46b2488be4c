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
import type { Manifest, ManifestEntry } from "./manifest.ts";
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
