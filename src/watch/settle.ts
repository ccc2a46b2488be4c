/**
 * "Half-written JobSpecs are not taken": a file is taken only after its size and mtime
 * have been seen unchanged for `settleSeconds`. Observations live in memory for the
 * runner's lifetime (no history on disk: a restart simply observes again).
 *
 * Rule: the first sighting of a (size, mtime) pair starts the clock; any change restarts
 * it; the file is settled once `settleSeconds` have elapsed since the first identical
 * observation and the latest observation still matches. `settleSeconds` 0 takes files
 * immediately. We deliberately do not trust the mtime's age alone: on network shares the
 * writer's clock may be skewed, while our own observations use our own clock.
 */

export interface SettleObservation {
  settled: boolean;
  /** True the first time this (size, mtime) pair is seen: emit `settling` once, not every poll. */
  fresh: boolean;
  /** Milliseconds until the file could be settled if it stays unchanged (0 when settled). */
  waitMs: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  sinceMs: number;
}

/** The settle question the skip rules ask (classify.ts): has this file stayed unchanged long enough? */
export interface SettleJudge {
  readonly settleMs: number;
  observe(path: string, size: number, mtimeMs: number, nowMs: number): SettleObservation;
}

export class SettleTracker implements SettleJudge {
  private readonly seen = new Map<string, Seen>();

  constructor(readonly settleMs: number) {}

  observe(path: string, size: number, mtimeMs: number, nowMs: number): SettleObservation {
    if (this.settleMs <= 0) return { settled: true, fresh: false, waitMs: 0 };
    const prev = this.seen.get(path);
    if (!prev || prev.size !== size || prev.mtimeMs !== mtimeMs) {
      this.seen.set(path, { size, mtimeMs, sinceMs: nowMs });
      return { settled: false, fresh: true, waitMs: this.settleMs };
    }
    const elapsed = nowMs - prev.sinceMs;
    if (elapsed >= this.settleMs) return { settled: true, fresh: false, waitMs: 0 };
    return { settled: false, fresh: false, waitMs: this.settleMs - elapsed };
  }

  forget(path: string): void {
    this.seen.delete(path);
  }
}

/**
 * The same rule for a reader with one look and no sightings of its own (`proxx status`):
 * the file's mtime stands in for the first sighting, never later than now, so a file
 * stamped in the future counts as not seen settled. An estimate, said so in `status`'s help:
 * with a writer's clock behind ours a file still being written can pass here, while the
 * runner, which times its own sightings, still waits for it.
 */
export function oneLookSettle(settleMs: number): SettleJudge {
  const tracker = new SettleTracker(settleMs);
  return {
    settleMs,
    observe(path, size, mtimeMs, nowMs) {
      tracker.observe(path, size, mtimeMs, Math.min(mtimeMs, nowMs));
      return tracker.observe(path, size, mtimeMs, nowMs);
    },
  };
}
