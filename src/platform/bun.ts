/** Bun adapter: what differs from Deno (spawn, signals, the standard streams); the rest is shared.ts. */
import { writeSync } from "node:fs";
import process from "node:process";
import { composePlatform } from "./compose.ts";
import { drainedOrLate, pumpText, sharedSystem } from "./shared.ts";
import type { ChildProcess, Platform, SpawnOptions, System } from "./types.ts";

export function bunSystem(): System {
  return {
    ...sharedSystem(),
    runtime: `bun ${Bun.version}`,

    // Bun.spawn rather than node:child_process: Bun's native spawn is its fast path.
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
  };
}

export const bunPlatform = (): Platform => composePlatform(bunSystem());

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
