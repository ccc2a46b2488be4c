/**
 * Source probes started ahead of time. FFmpeg leaves part of the CPU idle while it encodes
 * (it used 1.44 of 2 cores on a short HD clip before this), so the next clip's ffprobe (or
 * the next queued job's first clip, in the watch runner) runs during the current encode
 * instead of before the next one: ~100 ms less per clip on the critical path
 * (docs/performance.md).
 *
 * A prefetched probe is used only if the source is still the same file (size and mtime) and
 * was probed deeply enough; otherwise, and whenever the early probe failed, the source is
 * probed again at its turn, so a result never carries stale facts or a stale error.
 */
import type { Platform } from "../platform/types.ts";
import type { MediaFacts } from "./result.ts";
import { PROBE_TIMEOUT_MS, type ProbeNeeds, probeSource } from "../ffmpeg/probe.ts";

interface Early {
  size: number;
  mtimeMs: number;
  needs: ProbeNeeds;
  facts: Promise<MediaFacts | null>;
}

/** Enough for the next clip of every worker; older entries are dropped, never awaited. */
const KEEP = 8;

export class SourceProbes {
  readonly #early = new Map<string, Early>();

  constructor(
    private readonly platform: Platform,
    private readonly ffprobePath: string,
    private readonly timeoutMs: number = PROBE_TIMEOUT_MS,
  ) {}

  /** Start probing `path` now, if it is not being probed already. Never throws. */
  prefetch(path: string, needs: ProbeNeeds): void {
    if (this.#early.has(path)) return;
    const entry: Early = { size: -1, mtimeMs: -1, needs, facts: Promise.resolve(null) };
    entry.facts = (async () => {
      const stat = await this.platform.stat(path);
      if (!stat?.isFile) return null;
      entry.size = stat.size;
      entry.mtimeMs = stat.mtimeMs;
      return await probeSource(this.platform, this.ffprobePath, path, needs, this.timeoutMs);
    })().catch(() => null);
    this.#early.set(path, entry);
    while (this.#early.size > KEEP) this.#early.delete(this.#early.keys().next().value!);
  }

  /** The facts for `path`: the early probe when it still describes this file, else a probe now. */
  async get(path: string, needs: ProbeNeeds): Promise<MediaFacts> {
    const entry = this.#early.get(path);
    this.#early.delete(path);
    if (entry && (entry.needs.pixFmt || !needs.pixFmt)) {
      const facts = await entry.facts;
      const stat = facts ? await this.platform.stat(path).catch(() => null) : null;
      if (facts && stat && stat.size === entry.size && stat.mtimeMs === entry.mtimeMs) return facts;
    }
    return await probeSource(this.platform, this.ffprobePath, path, needs, this.timeoutMs);
  }
}
