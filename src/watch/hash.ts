/**
 * SHA-256 of JobSpec bytes for the seed's manifest rule ("path + SHA256 already in the
 * manifest" = skip), with a per-process cache keyed by size + mtime so a continuous runner
 * polling every 2 s does not re-read and re-hash every skipped file on every scan.
 */
import type { FileStat, Platform } from "../platform/types.ts";
import { sha256Hex } from "../util/sha256.ts";

export { sha256Hex };

interface Cached {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class HashCache {
  private readonly entries = new Map<string, Cached>();

  /** Hash `path`, reusing the cached digest when size and mtime are unchanged. */
  async hash(platform: Platform, path: string, stat: Pick<FileStat, "size" | "mtimeMs">): Promise<string> {
    const hit = this.entries.get(path);
    if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit.sha256;
    const sha256 = await sha256Hex(await platform.readFile(path));
    this.entries.set(path, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
    return sha256;
  }

  /** How many files were actually read and hashed (for tests of the cache). */
  get size(): number {
    return this.entries.size;
  }

  forget(path: string): void {
    this.entries.delete(path);
  }
}
