/** Small helpers shared by the runtime adapters (no runtime globals here). */
import type { FileStat } from "./types.ts";

/** `/proc/<pid>/cmdline`: NUL-separated arguments (with a trailing NUL). */
export function parseProcCmdline(bytes: Uint8Array): string[] | null {
  const text = new TextDecoder().decode(bytes);
  const args = text.split("\0");
  if (args.at(-1) === "") args.pop();
  return args.length > 0 ? args : null;
}

/** Temp name beside the target, so the final rename stays on one filesystem (atomic). */
export function atomicTempName(path: string, pid: number): string {
  return `${path}.tmp-${pid}`;
}

/** Decode a byte stream to text chunks; resolves when the stream ends. */
export async function pumpText(
  stream: ReadableStream<Uint8Array> | null | undefined,
  onChunk?: (chunk: string) => void,
): Promise<void> {
  if (!stream) return;
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (onChunk && value) onChunk(decoder.decode(value, { stream: true }));
    }
    const rest = decoder.decode();
    if (onChunk && rest) onChunk(rest);
  } catch {
    // A killed child can error its pipe; what was read is all there is.
  } finally {
    reader.releaseLock();
  }
}

interface NodeLikeStat {
  size: number | bigint;
  mtimeMs: number | bigint;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export function toFileStat(s: NodeLikeStat): FileStat {
  return {
    size: Number(s.size),
    mtimeMs: Number(s.mtimeMs),
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
  };
}

/**
 * After a child exits, wait for its pipes to drain, but not forever: a grandchild that
 * inherited them (a wrapper script that forks FFmpeg instead of exec-ing it) can hold them
 * open long after the child we reaped is gone.
 */
export async function drainedOrLate(drained: Promise<unknown>, graceMs = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
}
