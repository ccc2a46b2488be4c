/**
 * The manifest step (steps 5 and 7 of docs/crash-safety.md) timed alone, on the real Bun
 * adapter and disk, at several manifest sizes: `bun scripts/soak.ts --bookkeeping`
 * (docs/performance.md, "Manifest bookkeeping"). The load soak sees the same cost only mixed
 * with the rest of a job; this separates it, and also times the designs several runners on
 * one folder would need (only exclusive create and atomic rename to coordinate).
 *
 * Each variant makes one new entry durable, starting from the state a runner keeps in memory:
 *   - `rewrite`: the whole manifest written atomically (incremental serialisation, temp file,
 *     fsync, rename): `writeManifest` with a `ManifestSerializer`, the journal's fold, and
 *     what every job would pay without a journal.
 *   - `append`: one fsync'd line appended to a journal (`platform.appendFileDurable`, what
 *     `ManifestJournal.record` does between folds, and what a per-runner journal pays per
 *     job); the fold is `rewrite` (one runner) or `locked-merge` (several), once per 2 s.
 *   - `locked`: a runner that shares the manifest: create a lock file (O_EXCL), read the
 *     manifest, see it is still the bytes it last wrote, rewrite it, remove the lock.
 *   - `locked-merge`: the same when another runner wrote in between: the manifest is parsed,
 *     merged with what this runner knows (unchanged entries keep their objects, so the
 *     serialiser's cache holds), then rewritten. This is also the cost of folding a
 *     per-runner journal under the lock.
 *   - `shard-append`: what a `--shard I/N` runner pays per job between folds: one fsync'd line
 *     appended to its own journal (`ShardJournal.record`, the real code).
 *   - `shard-fold`: a shard's fold, the real `foldShard`: the fold lock (O_EXCL), read and
 *     parse the manifest another shard has just rewritten, apply this shard's journal, rename
 *     the journal to its folding name, write atomically, remove it, release the lock. A shard
 *     pays it once per 2 s while jobs keep finishing (or once per job slower than that).
 * The variants alternate in every round (rotating order), so the machine's noise hits them alike.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunPlatform } from "../src/platform/bun.ts";
import { ShardJournal } from "../src/watch/manifest-journal.ts";
import { foldShard } from "../src/watch/manifest.ts";
import {
  type Manifest,
  type ManifestEntry,
  ManifestSerializer,
  readManifest,
  withEntry,
  writeManifest,
} from "../src/watch/manifest.ts";

export const VARIANTS = ["rewrite", "append", "locked", "locked-merge", "shard-append", "shard-fold"] as const;
export type Variant = (typeof VARIANTS)[number];

export interface BookkeepingRow {
  entries: number;
  variant: Variant;
  /** Milliseconds per recorded entry. */
  median: number;
  p10: number;
  p90: number;
  rounds: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

function entryFor(i: number): ManifestEntry {
  return {
    sha256: (i.toString(16).padStart(8, "0") + "ab").repeat(7).slice(0, 64),
    processed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60, i % 1000)).toISOString(),
    result_status: i % 20 === 0 ? "FAILED" : "COMPLETED",
  };
}

/** One variant's folder and the state its runner keeps in memory. */
interface Lane {
  folder: string;
  manifest: Manifest;
  serializer: ManifestSerializer;
  lastWritten: Uint8Array;
  next: number;
  journal?: ShardJournal;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

export async function runBookkeepingBench(
  /** `dir`: where the folders go (default the temp dir): a mount point to measure another filesystem (NFS, SMB). */
  options: { sizes?: number[]; rounds?: number; dir?: string; log?: (line: string) => void } = {},
): Promise<BookkeepingRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes = options.sizes ?? [1000, 5000, 10000];
  const rounds = options.rounds ?? 40;
  const platform = bunPlatform();
  const sandbox = mkdtempSync(join(options.dir ?? tmpdir(), "proxx-bookkeeping-"));
  const rows: BookkeepingRow[] = [];
  log(`bookkeeping: in ${sandbox}, sizes ${sizes.join(", ")}, ${rounds} rounds, variants in rotating order`);
  try {
    for (const size of sizes) {
      const lanes = new Map<Variant, Lane>();
      for (const variant of VARIANTS) {
        const folder = join(sandbox, `${size}-${variant}`);
        mkdirSync(folder);
        const entries: Record<string, ManifestEntry> = {};
        for (let i = 0; i < size; i++) entries[join(folder, `job-${String(i).padStart(6, "0")}.json`)] = entryFor(i);
        const manifest: Manifest = { version: 1, entries };
        const serializer = new ManifestSerializer();
        const lastWritten = await writeManifest(platform, folder, manifest, serializer);
        lanes.set(variant, { folder, manifest, serializer, lastWritten, next: size });
      }
      const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const variant = VARIANTS[(r + k) % VARIANTS.length]!;
          const lane = lanes.get(variant)!;
          if (variant === "locked-merge" || variant === "shard-fold") {
            // Another runner records an entry of its own (not timed).
            const other = withEntry(lane.manifest, join(lane.folder, `other-${r}.json`), entryFor(r));
            await writeManifest(platform, lane.folder, other);
          }
          const path = join(lane.folder, `new-${String(lane.next).padStart(6, "0")}.json`);
          const entry = entryFor(lane.next++);
          const t0 = performance.now();
          await recordOnce(variant, lane, path, entry);
          times.get(variant)!.push(performance.now() - t0);
        }
      }
      for (const variant of VARIANTS) {
        const xs = times.get(variant)!;
        const row = {
          entries: size,
          variant,
          median: round2(quantile(xs, 0.5)),
          p10: round2(quantile(xs, 0.1)),
          p90: round2(quantile(xs, 0.9)),
          rounds,
        };
        rows.push(row);
        log(
          `bookkeeping: ${size} entries, ${
            variant.padEnd(12)
          } median ${row.median} ms (p10 ${row.p10}, p90 ${row.p90}, ${rounds} rounds)`,
        );
      }
    }
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
  return rows;

  async function recordOnce(variant: Variant, lane: Lane, path: string, entry: ManifestEntry): Promise<void> {
    const manifestFile = join(lane.folder, "processed_manifest.json");
    const shard = { index: 1, total: 2 };
    if (variant === "shard-append") {
      // The fold is timed on its own (`shard-fold`); here it is a no-op.
      lane.journal ??= new ShardJournal(platform, lane.folder, shard, () => Promise.resolve(lane.manifest));
      await lane.journal.record(lane.manifest, path, entry);
      lane.manifest = withEntry(lane.manifest, path, entry);
      return;
    }
    if (variant === "shard-fold") {
      await platform.appendFileDurable(
        join(lane.folder, ".proxx.manifest-journal.1of2"),
        JSON.stringify({ path, entry }) + "\n",
      );
      lane.manifest = await foldShard(
        platform,
        lane.folder,
        shard,
        (m) => withEntry(m, path, entry),
        () => {},
        lane.serializer,
      );
      return;
    }
    if (variant === "append") {
      await platform.appendFileDurable(join(lane.folder, ".journal"), JSON.stringify({ path, entry }) + "\n");
      lane.manifest = withEntry(lane.manifest, path, entry);
      return;
    }
    if (variant === "rewrite") {
      lane.manifest = withEntry(lane.manifest, path, entry);
      lane.lastWritten = await writeManifest(platform, lane.folder, lane.manifest, lane.serializer);
      return;
    }
    const lock = join(lane.folder, ".manifest.lock");
    if (!(await platform.createExclusive(lock, String(process.pid)))) throw new Error("bench lock held");
    try {
      const bytes = await platform.readFile(manifestFile);
      if (!sameBytes(bytes, lane.lastWritten)) {
        const read = await readManifest(platform, lane.folder);
        if (read.kind !== "ok") throw new Error(`bench manifest ${read.kind}`);
        // Keep this runner's objects for unchanged entries: the serialiser's cache is by identity.
        const merged: Record<string, ManifestEntry> = {};
        for (const [key, fresh] of Object.entries(read.manifest.entries)) {
          const mine = lane.manifest.entries[key];
          merged[key] = mine && mine.sha256 === fresh.sha256 && mine.processed_at === fresh.processed_at &&
              mine.result_status === fresh.result_status
            ? mine
            : fresh;
        }
        lane.manifest = { version: 1, entries: merged };
      }
      lane.manifest = withEntry(lane.manifest, path, entry);
      lane.lastWritten = await writeManifest(platform, lane.folder, lane.manifest, lane.serializer);
    } finally {
      await platform.remove(lock);
    }
  }
}
