/**
 * `--shard I/N | auto | auto/N`: which share of a watch folder this runner takes. I is
 * 1-based (`1/3 … 3/3`, as Playwright and Jest write it). `auto` reads index and total from
 * the engine that started us (env.ts); `auto/N` reads only the index (Kubernetes Indexed
 * Jobs and Nomad expose no total).
 */
import { type EnvReader, shardFromEnvironment } from "./env.ts";

export interface ShardSpec {
  /** 1-based. */
  index: number;
  total: number;
  /** Where it came from: `--shard 2/3`, or the engine and its variables. */
  source: string;
}

/** A `--shard` value that cannot be used (the CLI maps it to a usage error, exit 2). */
export class ShardSpecError extends Error {
  override readonly name = "ShardSpecError";
}

export const SHARD_FORMS =
  "write it as I/N with 1 <= I <= N (1-based: 1/3, 2/3, 3/3), or 'auto' (index and total from the job engine's environment), or 'auto/N' (index from the environment, total N)";

const WHOLE = /^[0-9]+$/;

/** The label used in logs, lock and journal names: `2/3`. */
export function shardLabel(spec: Pick<ShardSpec, "index" | "total">): string {
  return `${spec.index}/${spec.total}`;
}

/** The file-name form: `2of3` (no slash). */
export function shardTag(spec: Pick<ShardSpec, "index" | "total">): string {
  return `${spec.index}of${spec.total}`;
}

function total(text: string, value: string): number {
  if (!WHOLE.test(text)) {
    throw new ShardSpecError(`--shard '${value}': the total '${text}' is not a whole number; ${SHARD_FORMS}`);
  }
  const n = Number(text);
  if (n < 1) throw new ShardSpecError(`--shard '${value}': the total must be at least 1 (N<1); ${SHARD_FORMS}`);
  if (n > 100000) throw new ShardSpecError(`--shard '${value}': a total above 100000 is not supported; ${SHARD_FORMS}`);
  return n;
}

/** Parse a `--shard` value; `env` is consulted only for `auto` forms. */
export function parseShard(value: string, env: EnvReader): ShardSpec {
  const text = value.trim();
  if (text === "auto") return shardFromEnvironment(env, null);
  const slash = text.indexOf("/");
  if (slash < 0) throw new ShardSpecError(`--shard '${value}' is not a shard; ${SHARD_FORMS}`);
  const left = text.slice(0, slash);
  const n = total(text.slice(slash + 1), value);
  if (left === "auto") return shardFromEnvironment(env, n);
  if (!WHOLE.test(left)) {
    throw new ShardSpecError(`--shard '${value}': the index '${left}' is not a whole number; ${SHARD_FORMS}`);
  }
  const i = Number(left);
  if (i === 0) {
    throw new ShardSpecError(`--shard '${value}': shards are numbered from 1 (0/N is not a shard); ${SHARD_FORMS}`);
  }
  if (i > n) {
    throw new ShardSpecError(`--shard '${value}': index ${i} is greater than the total ${n} (I>N); ${SHARD_FORMS}`);
  }
  return { index: i, total: n, source: `--shard ${i}/${n}` };
}

/** `--shards N` of `shard-of` (a total alone). */
export function parseTotal(value: string): number {
  if (!WHOLE.test(value.trim()) || Number(value) < 1 || Number(value) > 100000) {
    throw new ShardSpecError(`--shards '${value}' must be a whole number from 1 to 100000`);
  }
  return Number(value);
}
