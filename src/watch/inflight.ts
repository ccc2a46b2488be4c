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
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import { INFLIGHT_NAME, joinPath } from "./names.ts";

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

/** `.proxx.inflight.json` for slot 0, `.proxx.inflight-<k>.json` for slot k. */
export function inflightName(slot = 0): string {
  return slot === 0 ? INFLIGHT_NAME : `.proxx.inflight-${slot}.json`;
}

const SLOT_NAME = /^\.proxx\.inflight(?:-([1-9][0-9]{0,5}))?\.json$/;

/** The slot of an in-flight record file name, or null when `name` is not one. */
export function inflightSlotOf(name: string): number | null {
  const m = SLOT_NAME.exec(name);
  if (!m) return null;
  return m[1] === undefined ? 0 : Number(m[1]);
}

export function inflightPath(folder: string, slot = 0): string {
  return joinPath(folder, inflightName(slot));
}

export type InflightRead = { kind: "none" } | { kind: "ok"; record: InflightRecord } | {
  kind: "corrupt";
  reason: string;
};

/** The record of one slot, or none. An unparseable record (cannot happen with atomic writes) is reported as `corrupt`. */
export async function readInflight(platform: Platform, folder: string, slot = 0): Promise<InflightRead> {
  const path = inflightPath(folder, slot);
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
 */
export async function readAllInflight(
  platform: Platform,
  folder: string,
  names?: string[],
): Promise<{ slot: number; read: Exclude<InflightRead, { kind: "none" }> }[]> {
  const listed = names ?? (await platform.list(folder)).filter((e) => e.isFile).map((e) => e.name);
  const slots = listed.map(inflightSlotOf).filter((s): s is number => s !== null).sort((a, b) => a - b);
  const out: { slot: number; read: Exclude<InflightRead, { kind: "none" }> }[] = [];
  for (const slot of slots) {
    const read = await readInflight(platform, folder, slot);
    if (read.kind !== "none") out.push({ slot, read });
  }
  return out;
}

export async function writeInflight(
  platform: Platform,
  folder: string,
  record: InflightRecord,
  slot = 0,
): Promise<void> {
  await platform.writeFileAtomic(inflightPath(folder, slot), JSON.stringify(record, null, 2) + "\n");
}

export async function clearInflight(platform: Platform, folder: string, slot = 0): Promise<void> {
  await platform.remove(inflightPath(folder, slot));
}
