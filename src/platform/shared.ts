/**
 * The primitives Bun and Deno implement alike through `node:fs`, `node:process` and `node:os`
 * (Deno 2.9's node:fs honours O_NOFOLLOW and O_EXCL), plus helpers for the per-runtime files.
 * No runtime globals here.
 */
import * as fs from "node:fs/promises";
import { constants as O } from "node:fs";
import * as os from "node:os";
import process from "node:process";
import { deadline } from "../util/timers.ts";
import type { DirEntry, FileStat, OpenFlags, ProcessInfo, System, WritableFile } from "./types.ts";

/** Everything but spawn, signal handlers and the standard streams, which differ per runtime. */
export type SharedSystem = Omit<
  System,
  "runtime" | "spawn" | "onSignal" | "writeStdout" | "writeStderr" | "isStderrTTY" | "isStdoutTTY"
>;

export function sharedSystem(): SharedSystem {
  return {
    os: process.platform === "win32" ? "windows" : process.platform,
    arch: process.arch,

    readFile: async (path) => new Uint8Array(await fs.readFile(path)),
    readText: (path) => fs.readFile(path, "utf8"),
    open: openFile,
    rename: (from, to) => fs.rename(from, to),
    link: (from, to) => fs.link(from, to),
    remove: (path) => fs.rm(path, { force: true }),
    mkdir: async (path) => {
      await fs.mkdir(path, { recursive: true });
    },
    async list(dir): Promise<DirEntry[]> {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      return entries.map((e) => ({
        name: e.name,
        isFile: e.isFile(),
        isDirectory: e.isDirectory(),
        isSymlink: e.isSymbolicLink(),
      }));
    },
    stat: (path) => statOrNull(path, false),
    lstat: (path) => statOrNull(path, true),
    realPath: (path) => fs.realpath(path),
    tempDir: () => os.tmpdir(),

    isProcessAlive(pid) {
      try {
        process.kill(pid, 0); // signal 0: existence and permission are checked, nothing is delivered
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
    killProcess(pid, signal) {
      process.kill(pid, signal);
    },
    processArgs,
    async listProcesses(): Promise<ProcessInfo[] | null> {
      if (process.platform !== "linux") return null;
      let names: string[];
      try {
        names = await fs.readdir("/proc");
      } catch {
        return null;
      }
      const out: ProcessInfo[] = [];
      for (const name of names) {
        if (!/^[0-9]+$/.test(name)) continue;
        const args = await processArgs(Number(name));
        if (args) out.push({ pid: Number(name), args });
      }
      return out;
    },
    pid: process.pid,
    hostname: () => os.hostname(),

    env: (name) => process.env[name],
    cwd: () => process.cwd(),
    execPath: () => process.execPath,

    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimer,

    onUncaughtException(handler) {
      process.on("uncaughtException", handler);
      return () => void process.off("uncaughtException", handler);
    },
    exit: (code) => process.exit(code),
  };
}

export function setTimer(ms: number, callback: () => void): () => void {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
}

async function openFile(path: string, flags: OpenFlags): Promise<WritableFile> {
  const mode = O.O_WRONLY | (flags.create ? O.O_CREAT : 0) | (flags.exclusive ? O.O_EXCL : 0) |
    (flags.append ? O.O_APPEND : 0) | (flags.noFollow ? O.O_NOFOLLOW : 0);
  const handle = await fs.open(path, mode);
  return {
    async write(bytes) {
      let written = 0;
      while (written < bytes.length) {
        written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
      }
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
}

async function processArgs(pid: number): Promise<string[] | null> {
  if (process.platform !== "linux") return null;
  try {
    return parseProcCmdline(await fs.readFile(`/proc/${pid}/cmdline`));
  } catch {
    return null;
  }
}

async function statOrNull(path: string, link: boolean): Promise<FileStat | null> {
  try {
    const s = link ? await fs.lstat(path) : await fs.stat(path);
    return {
      size: Number(s.size),
      mtimeMs: Number(s.mtimeMs),
      isFile: s.isFile(),
      isDirectory: s.isDirectory(),
      isSymlink: s.isSymbolicLink(),
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
}

/** `/proc/<pid>/cmdline`: NUL-separated arguments (with a trailing NUL). */
export function parseProcCmdline(bytes: Uint8Array): string[] | null {
  const text = new TextDecoder().decode(bytes);
  const args = text.split("\0");
  if (args.at(-1) === "") args.pop();
  return args.length > 0 ? args : null;
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

/**
 * After a child exits, wait for its pipes to drain, but not forever: a grandchild that
 * inherited them (a wrapper script that forks FFmpeg instead of exec-ing it) can hold them
 * open long after the child we reaped is gone.
 */
export async function drainedOrLate(drained: Promise<unknown>, graceMs = 2000): Promise<void> {
  await deadline({ setTimer }, drained, graceMs).catch(() => {});
}
