/**
 * The in-flight record `.proxx.inflight.json`: written atomically *before* a job executes
 * and removed only after its manifest entry is written. It is how the next start knows a
 * kill -9 happened mid-job and how far the job got (see docs/crash-safety.md):
 * `attempts` counts executions started for this exact (path, sha256), so a job that kills
 * the runner every time (poison job) is failed after two interruptions instead of looping.
 *
 * The runner is sequential, so one record is enough. Hidden name: never taken as a JobSpec.
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
});
export type InflightRecord = z.infer<typeof InflightRecord>;

export function inflightPath(folder: string): string {
  return joinPath(folder, INFLIGHT_NAME);
}

/** The record, or null when absent. An unparseable record (cannot happen with atomic writes) is reported as `corrupt`. */
export async function readInflight(
  platform: Platform,
  folder: string,
): Promise<{ kind: "none" } | { kind: "ok"; record: InflightRecord } | { kind: "corrupt"; reason: string }> {
  const path = inflightPath(folder);
  if (!(await platform.stat(path))) return { kind: "none" };
  try {
    const parsed = InflightRecord.safeParse(JSON.parse(await platform.readText(path)));
    if (parsed.success) return { kind: "ok", record: parsed.data };
    return { kind: "corrupt", reason: parsed.error.issues[0]?.message ?? "schema" };
  } catch (error) {
    return { kind: "corrupt", reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function writeInflight(platform: Platform, folder: string, record: InflightRecord): Promise<void> {
  await platform.writeFileAtomic(inflightPath(folder), JSON.stringify(record, null, 2) + "\n");
}

export async function clearInflight(platform: Platform, folder: string): Promise<void> {
  await platform.remove(inflightPath(folder));
}
