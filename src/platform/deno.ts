/** Deno adapter: what differs from Bun (spawn, signals, the standard streams, faster reads); the rest is shared.ts. */
import { composePlatform } from "./compose.ts";
import { drainedOrLate, pumpText, sharedSystem } from "./shared.ts";
import type { ChildProcess, DirEntry, Platform, SpawnOptions, System } from "./types.ts";

export function denoSystem(): System {
  return {
    ...sharedSystem(),
    runtime: `deno ${Deno.version.deno}`,

    // Deno's own reads: measured 4-8x faster than its node:fs readFile and readdir (withFileTypes),
    // the calls every scan makes. Writes stay shared: node:fs has O_NOFOLLOW, Deno.open has not.
    readFile: (path) => Deno.readFile(path),
    readText: (path) => Deno.readTextFile(path),
    async list(dir): Promise<DirEntry[]> {
      const out: DirEntry[] = [];
      for await (const e of Deno.readDir(dir)) {
        out.push({ name: e.name, isFile: e.isFile, isDirectory: e.isDirectory, isSymlink: e.isSymlink });
      }
      return out;
    },

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

    onSignal(signal, handler) {
      Deno.addSignalListener(signal, handler);
      return () => Deno.removeSignalListener(signal, handler);
    },
    writeStdout: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
    writeStderr: (text) => void Deno.stderr.writeSync(new TextEncoder().encode(text)),
    isStderrTTY: () => Deno.stderr.isTerminal(),
    isStdoutTTY: () => Deno.stdout.isTerminal(),
  };
}

export const denoPlatform = (): Platform => composePlatform(denoSystem());
