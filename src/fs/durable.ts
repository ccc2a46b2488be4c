/**
 * Durable writes and the no-follow policy, written once on top of the adapter's primitives
 * (`System.open` with flags, `rename`, `remove`), so that Bun, Deno and the fake platform
 * cannot drift apart (they did when each adapter carried its own copy).
 *
 * - atomic write: `<path>.tmp-<pid>`, fsync, rename over `path`: readers see old or new.
 * - durable append: O_APPEND | O_NOFOLLOW, then fsync.
 * - exclusive create: O_EXCL (never follows a link: anything at the name counts as existing).
 * - never through a symbolic link: the temp name is removed first and created with O_EXCL,
 *   the rename replaces a link at the target instead of writing into what it points at, and
 *   an append refuses a link in the open itself (ELOOP), with no check-then-open window.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomicTempName, parseAtomicTempName } from "./durable.ts";
 * const name = atomicTempName("processed_manifest.json", 77);
 * assert.equal(parseAtomicTempName(name)?.target, "processed_manifest.json");
 * ```
 */
import type { Platform, System } from "../platform/types.ts";

/** The primitives these rules are built on. */
export type DurableIo = Pick<System, "open" | "rename" | "remove">;

/** The `Platform` methods built here. */
export type DurableFs = Pick<Platform, "writeFileAtomic" | "appendFileDurable" | "createExclusive" | "isWritableDir">;

const TEMP_NAME = /^(.*)\.tmp-(\d+)$/;

/** Temp name beside the target, so the final rename stays on one filesystem (atomic). */
export function atomicTempName(path: string, pid: number): string {
  return `${path}.tmp-${pid}`;
}

/** The target and writer pid of a name made by `atomicTempName`; null for any other name. */
export function parseAtomicTempName(name: string): { target: string; pid: number } | null {
  const m = TEMP_NAME.exec(name);
  return m ? { target: m[1]!, pid: Number(m[2]) } : null;
}

/** The durable-write methods of a `Platform`, over `io`'s primitives; `pid` names the temp files. */
export function durableFs(io: DurableIo, pid: number): DurableFs {
  return {
    writeFileAtomic: (path, data) => writeFileAtomic(io, pid, path, data),
    appendFileDurable: (path, data) => appendFileDurable(io, path, data),
    createExclusive: (path, data) => createExclusive(io, path, data),
    isWritableDir: (dir) => isWritableDir(io, pid, dir),
  };
}

export async function writeFileAtomic(io: DurableIo, pid: number, path: string, data: string | Uint8Array) {
  const tmp = atomicTempName(path, pid);
  // Whatever sits at the temp name (a crashed run's half file, a planted link) is removed,
  // never written through; O_EXCL then fails rather than follow a link planted in between.
  await io.remove(tmp);
  try {
    await writeAndSync(io, tmp, { create: true, exclusive: true, noFollow: true }, bytesOf(data));
    await io.rename(tmp, path);
  } catch (error) {
    await io.remove(tmp).catch(() => {}); // disk full mid-write, rename refused: no half temp file left
    throw error;
  }
}

export async function appendFileDurable(io: DurableIo, path: string, data: string): Promise<void> {
  // O_NOFOLLOW in the open itself: a link planted at the name fails (ELOOP) instead of being appended through.
  await writeAndSync(io, path, { create: true, append: true, noFollow: true }, bytesOf(data));
}

export async function createExclusive(io: DurableIo, path: string, data: string): Promise<boolean> {
  try {
    await writeAndSync(io, path, { create: true, exclusive: true, noFollow: true }, bytesOf(data));
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Create (and remove) a probe file: the only answer that is the same on every runtime and
 * true for root, ACLs and read-only mounts (`access(W_OK)` is answered from the mode bits by
 * Deno's node:fs, by the kernel under Bun).
 */
export async function isWritableDir(io: DurableIo, pid: number, dir: string): Promise<boolean> {
  const probe = `${dir}/.proxx-write-test-${pid}`;
  try {
    await io.remove(probe); // left by a killed run: it would read as "exists", not "read-only"
    await (await io.open(probe, { create: true, exclusive: true, noFollow: true })).close();
  } catch {
    return false;
  }
  await io.remove(probe).catch(() => {});
  return true;
}

async function writeAndSync(io: DurableIo, path: string, flags: Parameters<System["open"]>[1], bytes: Uint8Array) {
  const file = await io.open(path, flags);
  try {
    await file.write(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

const encoder = new TextEncoder();
const bytesOf = (data: string | Uint8Array) => (typeof data === "string" ? encoder.encode(data) : data);
