/**
 * Which shard owns a JobSpec: rendezvous (highest-random-weight) hashing of its name.
 *
 * The name is the JobSpec's path relative to the watch folder, `/`-separated (`a.json`,
 * `Day01/CamA/job.json` with --recursive). For each shard i = 1…N the score is the first 8
 * bytes (big-endian) of SHA-256 over the UTF-8 text `<i>:<name>`; the shard with the highest
 * score owns the name (a tie, never seen in practice, goes to the lower i).
 *
 * Why this one: the owner depends only on the name and N, never on what else is in the
 * folder, the order of listing or the file's content, so files added later never move old
 * ones and an edited JobSpec stays put. Going from N to N+1 shards moves only the names the
 * new shard wins (about 1/(N+1) of them), and each of the others keeps the rest; a modulo of
 * one hash would move almost every name. Cost: N hashes per name (fine for N up to the
 * hundreds; status of 10,000 JobSpecs over 8 shards is 80,000 short hashes).
 */
import { createHash } from "node:crypto";

function score(index: number, name: string): bigint {
  return createHash("sha256").update(`${index}:${name}`, "utf8").digest().readBigUInt64BE(0);
}

/** Names already placed (a polling runner asks about the same names at every scan). */
const memo = new Map<string, number>();
const MEMO_LIMIT = 200_000;

/** 1-based shard of `relativeName` among `total`. */
export function shardOf(relativeName: string, total: number): number {
  const key = `${total}\0${relativeName}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const shard = computeShard(relativeName, total);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, shard);
  return shard;
}

function computeShard(relativeName: string, total: number): number {
  let best = 1;
  let bestScore = -1n;
  for (let i = 1; i <= total; i++) {
    const s = score(i, relativeName);
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}

/** Whether shard `index` of `total` owns the name (always true for 1 of 1). */
export function ownsName(spec: { index: number; total: number }, relativeName: string): boolean {
  return spec.total === 1 || shardOf(relativeName, spec.total) === spec.index;
}
