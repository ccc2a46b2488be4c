/** Bun implementation of the platform adapter: primitives only, no proxx rules. */
import * as fs from "node:fs/promises";
import { constants as fsConstants, writeSync } from "node:fs";
import * as os from "node:os";
import process from "node:process";
import type { ChildProcess, DirEntry, FileStat, Platform, SpawnOptions } from "./types.ts";
import { atomicTempName, drainedOrLate, parseProcCmdline, pumpText, toFileStat } from "./shared.ts";

export function bunPlatform(): Platform {
  return {
    runtime: `bun ${Bun.version}`,
    os: process.platform === "win32" ? "windows" : process.platform,
    arch: process.arch,

    readFile: async (path) => new Uint8Array(await fs.readFile(path)),
    readText: (path) => fs.readFile(path, "utf8"),
    async writeFileAtomic(path, data) {
      const tmp = atomicTempName(path, process.pid);
      // Never write through whatever sits at the temp name: "w" follows a symlink planted
      // there and would overwrite its target. Remove the entry (rm removes a link itself),
      // then create with O_EXCL, which fails rather than follow a link planted in between.
      await fs.rm(tmp, { force: true });
      const handle = await fs.open(tmp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
      try {
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        await fs.rm(tmp, { force: true }); // disk full mid-write: leave no half temp file behind
        throw error;
      }
      try {
        await fs.rename(tmp, path);
      } catch (error) {
        await fs.rm(tmp, { force: true });
        throw error;
      }
    },
    async appendFileDurable(path, data) {
      // O_NOFOLLOW: a link planted at the journal's name makes open fail instead of appending to its target.
      const handle = await fs.open(
        path,
        fsConstants.O_CREAT | fsConstants.O_APPEND | fsConstants.O_WRONLY | fsConstants.O_NOFOLLOW,
      );
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async createExclusive(path, data) {
      try {
        const handle = await fs.open(path, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
        try {
          await handle.writeFile(data);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
      }
    },
    rename: (from, to) => fs.rename(from, to),
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
    async isWritableDir(dir) {
      try {
        await fs.access(dir, fsConstants.W_OK);
        return (await fs.stat(dir)).isDirectory();
      } catch {
        return false;
      }
    },
    tempDir: () => os.tmpdir(),

    spawn(cmd, args, options: SpawnOptions = {}): ChildProcess {
      const child = Bun.spawn([cmd, ...args], {
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : undefined,
        stdin: options.pipeStdin ? "pipe" : "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const drained = Promise.all([
        pumpText(child.stdout, options.onStdout),
        pumpText(child.stderr, options.onStderr),
      ]);
      return {
        pid: child.pid,
        exited: child.exited.then(async () => {
          await drainedOrLate(drained);
          const signal = child.signalCode == null ? null : String(child.signalCode);
          return { code: signal ? null : child.exitCode, signal };
        }),
        writeStdin(text) {
          try {
            const sink = child.stdin as import("bun").FileSink | undefined;
            sink?.write(text);
            sink?.flush();
          } catch { /* the child may have exited already */ }
        },
        kill(signal) {
          try {
            child.kill(signal);
          } catch { /* already gone */ }
        },
      };
    },
    isProcessAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    },
    killProcess(pid, signal) {
      process.kill(pid, signal);
    },
    async processArgs(pid) {
      if (process.platform !== "linux") return null;
      try {
        return parseProcCmdline(await fs.readFile(`/proc/${pid}/cmdline`));
      } catch {
        return null;
      }
    },
    pid: process.pid,
    hostname: () => os.hostname(),

    env: (name) => process.env[name],
    cwd: () => process.cwd(),
    execPath: () => process.execPath,

    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),

    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
    // Synchronous, like Deno's writeSync: Bun's process.stdout.write() buffers what a pipe
    // does not take at once and process.exit() drops it (`proxx validate --json big.json |
    // wc -c` got 8-14 MB of 47 MB; the end of a `watch --json` stream could be lost too).
    writeStdout: (text) => writeAllSync(1, text),
    writeStderr: (text) => writeAllSync(2, text),
    isStderrTTY: () => Boolean(process.stderr.isTTY),
    isStdoutTTY: () => Boolean(process.stdout.isTTY),
    exit: (code) => process.exit(code),
  };
}

async function statOrNull(path: string, link: boolean): Promise<FileStat | null> {
  try {
    const s = link ? await fs.lstat(path) : await fs.stat(path);
    return toFileStat(s);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
}

/** Write all of `text` to `fd`, waiting out EAGAIN (a non-blocking pipe that is full). A closed reader (EPIPE) ends the output quietly. */
function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      if (code !== "EAGAIN") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}
