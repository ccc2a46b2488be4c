/**
 * In-flight records: written atomically *before* a job executes and removed only after its
 * manifest entry is written. They are how the next start knows a kill -9 happened mid-job
 * and how far the job got (see docs/crash-safety.md): `attempts` counts executions started
 * for this exact (path, sha256), so a job that kills the runner every time (poison job) is
 * failed after two interruptions instead of looping.
 *
 * One record file per running job, named by the worker *slot* that runs it:
 * slot 0 is `.proxx.inflight.json` (the only one a sequential runner ever writes, so a
 * folder worked by `--max-workers 1` looks exactly as before), slot k ≥ 1 is
 * `.proxx.inflight-<k>.json`. A slot runs one job at a time, so each file holds one record
 * in the same format as ever, and the files are independent: no shared file is rewritten
 * by two jobs. Recovery reads every slot file it finds, whatever `--max-workers` the
 * crashed runner had. Hidden names: never taken as JobSpecs.
 *
 * A runner of shard I/N names its records `.proxx.inflight.<I>of<N>.json` and
 * `.proxx.inflight.<I>of<N>-<k>.json`: shards of one folder run at once, each recovers only
 * its own records, and no two shards write the same record file.
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import { INFLIGHT_NAME, joinPath } from "./names.ts";

/** A runner's record namespace: a shard runner's records carry its shard (`--shard I/N`). */
export type RecordShard = { index: number; total: number } | null | undefined;

/** A job interrupted this many times (kill -9 mid-run) is failed instead of retried. */
export const MAX_ATTEMPTS = 2;

export const InflightRecord = z.object({
  version: z.literal(1),
  jobspec_path: z.string(),
  sha256: z.string(),
  attempts: z.number().int().min(1),
  started_at: z.string(),
  pid: z.number().int(),
  /** The FFmpeg running for this job (the latest clip's), and the temp file it writes. */
  ffmpeg_pid: z.number().int().optional(),
  ffmpeg_temp_path: z.string().optional(),
});
export type InflightRecord = z.infer<typeof InflightRecord>;

/** `.proxx.inflight.json` for slot 0, `.proxx.inflight-<k>.json` for slot k (with a shard: `.proxx.inflight.<I>of<N>[-<k>].json`). */
export function inflightName(slot = 0, shard?: RecordShard): string {
  if (shard) return `.proxx.inflight.${shard.index}of${shard.total}${slot === 0 ? "" : `-${slot}`}.json`;
  return slot === 0 ? INFLIGHT_NAME : `.proxx.inflight-${slot}.json`;
}

const SLOT_NAME = /^\.proxx\.inflight(?:-([1-9][0-9]{0,5}))?\.json$/;
const SHARD_SLOT_NAME = /^\.proxx\.inflight\.([1-9][0-9]*)of([1-9][0-9]*)(?:-([1-9][0-9]{0,5}))?\.json$/;

/** The slot of an unsharded runner's in-flight record file name, or null when `name` is not one. */
export function inflightSlotOf(name: string): number | null {
  const m = SLOT_NAME.exec(name);
  if (!m) return null;
  return m[1] === undefined ? 0 : Number(m[1]);
}

/** Slot and shard of any runner's record file name (null: not a record). */
export function parseInflightName(
  name: string,
): { slot: number; shard: { index: number; total: number } | null } | null {
  const slot = inflightSlotOf(name);
  if (slot !== null) return { slot, shard: null };
  const m = SHARD_SLOT_NAME.exec(name);
  if (!m) return null;
  return { slot: m[3] === undefined ? 0 : Number(m[3]), shard: { index: Number(m[1]), total: Number(m[2]) } };
}

export function inflightPath(folder: string, slot = 0, shard?: RecordShard): string {
  return joinPath(folder, inflightName(slot, shard));
}

export type InflightRead = { kind: "none" } | { kind: "ok"; record: InflightRecord } | {
  kind: "corrupt";
  reason: string;
};

/** The record of one slot, or none. An unparseable record (cannot happen with atomic writes) is reported as `corrupt`. */
export async function readInflight(
  platform: Platform,
  folder: string,
  slot = 0,
  shard?: RecordShard,
): Promise<InflightRead> {
  const path = inflightPath(folder, slot, shard);
  if (!(await platform.stat(path))) return { kind: "none" };
  try {
    const parsed = InflightRecord.safeParse(JSON.parse(await platform.readText(path)));
    if (parsed.success) return { kind: "ok", record: parsed.data };
    return { kind: "corrupt", reason: parsed.error.issues[0]?.message ?? "schema" };
  } catch (error) {
    return { kind: "corrupt", reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Every slot's record, in slot order. `names` is a listing of the folder root when the
 * caller already has one (saves a second listing of a folder with 10,000 result files).
 * `scope`: whose records: an unsharded runner's (default), one shard's, or `"all"`
 * (status; an unsharded start, which holds the whole folder), the unsharded ones first.
 */
export async function readAllInflight(
  platform: Platform,
  folder: string,
  names?: string[],
  scope: RecordShard | "all" = null,
): Promise<
  { slot: number; shard: { index: number; total: number } | null; read: Exclude<InflightRead, { kind: "none" }> }[]
> {
  const listed = names ?? (await platform.list(folder)).filter((e) => e.isFile).map((e) => e.name);
  const wanted = (shard: { index: number; total: number } | null) =>
    scope === "all" ||
    (shard === null ? !scope : !!scope && scope.index === shard.index && scope.total === shard.total);
  const found = listed.map(parseInflightName).filter((p): p is NonNullable<typeof p> => p !== null && wanted(p.shard));
  const key = (p: (typeof found)[number]) =>
    p.shard ? `1:${String(p.shard.total).padStart(6, "0")}:${String(p.shard.index).padStart(6, "0")}` : "0";
  found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.slot - b.slot));
  const out: {
    slot: number;
    shard: { index: number; total: number } | null;
    read: Exclude<InflightRead, { kind: "none" }>;
  }[] = [];
  for (const { slot, shard } of found) {
    const read = await readInflight(platform, folder, slot, shard);
    if (read.kind !== "none") out.push({ slot, shard, read });
  }
  return out;
}

export async function writeInflight(
  platform: Platform,
  folder: string,
  record: InflightRecord,
  slot = 0,
  shard?: RecordShard,
): Promise<void> {
  await platform.writeFileAtomic(inflightPath(folder, slot, shard), JSON.stringify(record, null, 2) + "\n");
}

export async function clearInflight(platform: Platform, folder: string, slot = 0, shard?: RecordShard): Promise<void> {
  await platform.remove(inflightPath(folder, slot, shard));
}
