/** Deno implementation of the platform adapter: primitives only, no proxx rules. */
import type { ChildProcess, DirEntry, FileStat, Platform, SpawnOptions } from "./types.ts";
import { atomicTempName, drainedOrLate, parseProcCmdline, pumpText } from "./shared.ts";

export function denoPlatform(): Platform {
  const os = Deno.build.os;
  return {
    runtime: `deno ${Deno.version.deno}`,
    os,
    arch: Deno.build.arch === "aarch64" ? "arm64" : Deno.build.arch === "x86_64" ? "x64" : Deno.build.arch,

    readFile: (path) => Deno.readFile(path),
    readText: (path) => Deno.readTextFile(path),
    async writeFileAtomic(path, data) {
      const tmp = atomicTempName(path, Deno.pid);
      // Never write through whatever sits at the temp name (a planted symlink would be
      // followed): remove the entry itself, then createNew (O_EXCL), which does not follow.
      await Deno.remove(tmp).catch(() => {});
      const file = await Deno.open(tmp, { write: true, createNew: true });
      try {
        try {
          const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
          let written = 0;
          while (written < bytes.length) written += await file.write(bytes.subarray(written));
          await file.sync();
        } finally {
          file.close();
        }
      } catch (error) {
        await Deno.remove(tmp).catch(() => {}); // disk full mid-write: no half temp file left
        throw error;
      }
      try {
        await Deno.rename(tmp, path);
      } catch (error) {
        await Deno.remove(tmp).catch(() => {});
        throw error;
      }
    },
    async appendFileDurable(path, data) {
      // Deno.open has no O_NOFOLLOW: refuse a link seen just before opening (a narrow window).
      const info = await Deno.lstat(path).catch(() => null);
      if (info?.isSymlink) {
        throw Object.assign(new Error(`ELOOP: refusing to append through a symbolic link: ${path}`), { code: "ELOOP" });
      }
      const file = await Deno.open(path, { write: true, append: true, create: true });
      try {
        const bytes = new TextEncoder().encode(data);
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
        await file.sync();
      } finally {
        file.close();
      }
    },
    async createExclusive(path, data) {
      try {
        const file = await Deno.open(path, { write: true, createNew: true });
        try {
          await file.write(new TextEncoder().encode(data));
          await file.sync();
        } finally {
          file.close();
        }
        return true;
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) return false;
        throw error;
      }
    },
    rename: (from, to) => Deno.rename(from, to),
    async remove(path) {
      try {
        await Deno.remove(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    },
    mkdir: (path) => Deno.mkdir(path, { recursive: true }),
    async list(dir): Promise<DirEntry[]> {
      const out: DirEntry[] = [];
      for await (const e of Deno.readDir(dir)) {
        out.push({ name: e.name, isFile: e.isFile, isDirectory: e.isDirectory, isSymlink: e.isSymlink });
      }
      return out;
    },
    stat: (path) => statOrNull(() => Deno.stat(path)),
    lstat: (path) => statOrNull(() => Deno.lstat(path)),
    realPath: (path) => Deno.realPath(path),
    async isWritableDir(dir) {
      const probe = `${dir}/.proxx-write-test-${Deno.pid}`;
      try {
        await Deno.writeTextFile(probe, "");
        await Deno.remove(probe);
        return true;
      } catch {
        return false;
      }
    },
    tempDir: () => Deno.env.get("TMPDIR") ?? (os === "windows" ? Deno.env.get("TEMP") ?? "C:\\Windows\\Temp" : "/tmp"),

    spawn(cmd, args, options: SpawnOptions = {}): ChildProcess {
      const child = new Deno.Command(cmd, {
        args,
        cwd: options.cwd,
        env: options.env,
        stdin: options.pipeStdin ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = options.pipeStdin ? child.stdin.getWriter() : undefined;
      const drained = Promise.all([
        pumpText(child.stdout, options.onStdout),
        pumpText(child.stderr, options.onStderr),
      ]);
      return {
        pid: child.pid,
        exited: child.status.then(async (status) => {
          await drainedOrLate(drained);
          await writer?.close().catch(() => {});
          return { code: status.signal ? null : status.code, signal: status.signal ?? null };
        }),
        writeStdin(text) {
          writer?.write(new TextEncoder().encode(text)).catch(() => {});
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
        // Signal 0 checks existence without touching the process.
        Deno.kill(pid, "SIGCONT" as Deno.Signal);
        return true;
      } catch (error) {
        return error instanceof Deno.errors.PermissionDenied;
      }
    },
    killProcess(pid, signal) {
      Deno.kill(pid, signal);
    },
    async processArgs(pid) {
      if (Deno.build.os !== "linux") return null;
      try {
        return parseProcCmdline(await Deno.readFile(`/proc/${pid}/cmdline`));
      } catch {
        return null;
      }
    },
    pid: Deno.pid,
    hostname: () => Deno.hostname(),

    env: (name) => Deno.env.get(name),
    cwd: () => Deno.cwd(),
    execPath: () => Deno.execPath(),

    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),

    onSignal(signal, handler) {
      Deno.addSignalListener(signal, handler);
      return () => Deno.removeSignalListener(signal, handler);
    },
    writeStdout: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
    writeStderr: (text) => void Deno.stderr.writeSync(new TextEncoder().encode(text)),
    isStderrTTY: () => Deno.stderr.isTerminal(),
    isStdoutTTY: () => Deno.stdout.isTerminal(),
    exit: (code) => Deno.exit(code),
  };
}

async function statOrNull(fn: () => Promise<Deno.FileInfo>): Promise<FileStat | null> {
  try {
    const s = await fn();
    return {
      size: s.size,
      mtimeMs: s.mtime?.getTime() ?? 0,
      isFile: s.isFile,
      isDirectory: s.isDirectory,
      isSymlink: s.isSymlink,
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw error;
  }
}
