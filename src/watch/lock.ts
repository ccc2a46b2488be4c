/**
 * One runner per folder: `.proxx.lock` created with O_EXCL (`platform.createExclusive`),
 * holding `{"pid","host","started_at"}`. The seed had no lock, so two runners could take the
 * same JobSpec; with the lock a second runner gets `LockHeldError` (CLI exit code 5).
 *
 * Stale locks (kill -9 of the holder) are taken over when the holder is on this host and
 * its pid is not alive. A lock held by another host is never taken over: we cannot check
 * its pid. A lock whose content does not parse (a holder killed between the O_EXCL create
 * and the write) is re-read once after a short pause and then treated as stale.
 * Pid reuse: a holder with *our* pid that this process did not take is stale too (runners
 * in containers are often pid 1 on every start).
 */
import { z } from "zod";
import type { Platform } from "../platform/types.ts";
import type { EventSink } from "../engine/events.ts";
import { isoUtc } from "../engine/result.ts";
import { joinPath, LOCK_NAME } from "./names.ts";

export const LockInfo = z.object({
  pid: z.number().int(),
  host: z.string(),
  started_at: z.string(),
});
export type LockInfo = z.infer<typeof LockInfo>;

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
  constructor(
    readonly folder: string,
    /** The holder, or null when the lock file exists but could not be read. */
    readonly holder: LockInfo | null,
  ) {
    super(
      holder
        ? `watch folder ${folder} is locked by pid ${holder.pid} on ${holder.host} (since ${holder.started_at})`
        : `watch folder ${folder} is locked (${LOCK_NAME} exists but is unreadable)`,
    );
  }
}

export interface HeldLock {
  info: LockInfo;
  path: string;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Locks taken by this process, per platform: tells "our pid, but not our lock" apart. */
const heldByUs = new WeakMap<Platform, Set<string>>();

export function lockPath(folder: string): string {
  return joinPath(folder, LOCK_NAME);
}

/** Current holder, or null when there is no lock (or it does not parse). For `status` / `reset`. */
export async function readLock(platform: Platform, folder: string): Promise<LockInfo | null> {
  return (await readLockRaw(platform, folder)).info;
}

async function readLockRaw(
  platform: Platform,
  folder: string,
): Promise<{ exists: boolean; text: string; info: LockInfo | null }> {
  let text: string;
  try {
    if (!(await platform.stat(lockPath(folder)))) return { exists: false, text: "", info: null };
    text = await platform.readText(lockPath(folder));
  } catch {
    return { exists: false, text: "", info: null };
  }
  try {
    const parsed = LockInfo.safeParse(JSON.parse(text));
    return { exists: true, text, info: parsed.success ? parsed.data : null };
  } catch {
    return { exists: true, text, info: null };
  }
}

/** Whether `holder` is a live runner (this host and pid alive, and not a reused pid of ours). */
export function isLockLive(platform: Platform, folder: string, holder: LockInfo): boolean {
  if (holder.host !== platform.hostname()) return true;
  if (holder.pid === platform.pid) return heldByUs.get(platform)?.has(folder) ?? false;
  return platform.isProcessAlive(holder.pid);
}

/** Take the folder lock or throw `LockHeldError`. */
export async function acquireLock(
  platform: Platform,
  folder: string,
  onEvent: EventSink = () => {},
): Promise<HeldLock> {
  const path = lockPath(folder);
  const info: LockInfo = { pid: platform.pid, host: platform.hostname(), started_at: isoUtc(platform.now()) };
  const text = JSON.stringify(info, null, 2) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await platform.createExclusive(path, text)) return held(platform, folder, info, text);
    let current = await readLockRaw(platform, folder);
    if (!current.exists) continue; // released in between: try again
    if (!current.info) {
      await platform.sleep(250); // the holder may be between O_EXCL create and write
      current = await readLockRaw(platform, folder);
      if (!current.exists) continue;
    }
    if (current.info && isLockLive(platform, folder, current.info)) throw new LockHeldError(folder, current.info);
    // Stale. Re-read right before removing so we only remove what we judged stale
    // (narrows the race with another runner taking over at the same moment).
    const again = await readLockRaw(platform, folder);
    if (again.exists && again.text !== current.text) continue;
    await platform.remove(path);
    onEvent({
      type: "warning",
      message: current.info
        ? `took over stale lock of pid ${current.info.pid} on ${current.info.host} (since ${current.info.started_at}): process is gone`
        : `took over unreadable lock file ${LOCK_NAME}`,
    });
  }
  throw new LockHeldError(folder, await readLock(platform, folder));
}

function held(platform: Platform, folder: string, info: LockInfo, text: string): HeldLock {
  let set = heldByUs.get(platform);
  if (!set) heldByUs.set(platform, set = new Set());
  set.add(folder);
  let released = false;
  return {
    info,
    path: lockPath(folder),
    async release() {
      if (released) return;
      released = true;
      set!.delete(folder);
      const current = await readLockRaw(platform, folder);
      if (current.exists && current.text === text) await platform.remove(lockPath(folder));
    },
  };
}
