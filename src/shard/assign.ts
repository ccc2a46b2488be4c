/**
 * Which shard owns a JobSpec: a function of its name and N only.
 *
 * The name is the JobSpec's path relative to the watch folder, `/`-separated (`a.json`,
 * `Day01/CamA/job.json` with --recursive), without its `.json`:
 *
 * 1. A name that ends in digits is one of a numbered series (`card1-007` from `proxx new
 *    --split`, camera clips `A001C003`): its shard is `(start(P) − 1 + K) mod N + 1`, where
 *    K is the number the digits spell (`007` → 7), P the part before them (`card1-`), and
 *    start(P) the shard rule 2 gives P. A series is dealt round-robin from a start its prefix
 *    picks, so its members spread exactly evenly (24 split jobs on 4 shards: 6 each), and
 *    different series start on different shards.
 * 2. Any other name: rendezvous (highest-random-weight) hashing. For each shard i = 1…N the
 *    score is the first 8 bytes (big-endian) of SHA-256 over the UTF-8 text `<i>:<name>`;
 *    the highest score wins (a tie, never seen in practice, goes to the lower i). Going from
 *    N to N+1 moves only the names the new shard wins, about 1/(N+1) of them.
 *
 * Either way the owner depends only on the name and N, never on what else is in the folder,
 * the order of listing or the file's content: files added later never move old ones, and an
 * edited JobSpec stays put. Why not rendezvous alone: hashing spreads a few dozen JobSpecs
 * unevenly (200 over 4 shards gave 63/54/37/46, max/mean 1.26), and the slowest shard sets
 * when an array job is done; numbered series, the common case of many JobSpecs, are dealt
 * exactly. The price: changing N re-deals numbered names (change N only once every shard of
 * the old N has stopped, docs/crash-safety.md).
 */
import { createHash } from "node:crypto";

function score(index: number, name: string): bigint {
  return createHash("sha256").update(`${index}:${name}`, "utf8").digest().readBigUInt64BE(0);
}

/** Names already placed (a polling runner asks about the same names at every scan). */
const memo = new Map<string, number>();
const MEMO_LIMIT = 200_000;

/** 1-based shard of `relativeName` (e.g. `a/job.json`) among `total`. */
export function shardOf(relativeName: string, total: number): number {
  const key = `${total}\0${relativeName}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const shard = computeShard(relativeName, total);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, shard);
  return shard;
}

const NUMBERED = /^(.*?)([0-9]+)$/s;

function computeShard(relativeName: string, total: number): number {
  if (total <= 1) return 1;
  const stem = relativeName.endsWith(".json") ? relativeName.slice(0, -".json".length) : relativeName;
  const m = NUMBERED.exec(stem);
  if (!m) return rendezvous(stem, total);
  const start = rendezvous(`${m[1]}#`, total);
  const k = Number(BigInt(m[2]!) % BigInt(total));
  return ((start - 1 + k) % total) + 1;
}

/** Rule 2: the shard with the highest SHA-256 score for `name`. */
export function rendezvous(name: string, total: number): number {
  let best = 1;
  let bestScore = -1n;
  for (let i = 1; i <= total; i++) {
    const s = score(i, name);
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
