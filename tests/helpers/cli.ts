/**
 * Drive the real CLI as a separate process (`bun src/main.ts …`), the way operators and
 * cron do, for tests that need real signals, real kill -9 and real exit codes.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const MAIN = join(REPO, "src/main.ts");

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `proxx <args>` to completion. */
export function proxx(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start `proxx <args>` in the background; collect its output. */
export function startProxx(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((res) =>
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr }))
  );
  return { child, done, output: () => ({ stdout, stderr }) };
}

export function tempDir(prefix = "proxx-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Wait until `predicate` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * An ffmpeg wrapper that logs every invocation's output path to `log`, optionally sleeping
 * first, then runs the real ffmpeg: lets tests count encodes and catch a job mid-encode.
 */
export function ffmpegWrapper(dir: string, log: string, sleepSeconds = 0): string {
  const real = spawnSync("sh", ["-c", "command -v ffmpeg"], { encoding: "utf8" }).stdout.trim();
  const path = join(dir, "ffmpeg-wrapper.sh");
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do last="$a"; done\necho "$last" >> '${log}'\n` +
      (sleepSeconds > 0 ? `sleep ${sleepSeconds}\n` : "") + `exec '${real}' "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

export function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

/** The pinned deno (scripts/setup puts it in .tools/), else one on PATH; null when there is none. */
export function findDeno(): string | null {
  const local = join(REPO, ".tools", "node_modules", ".bin", "deno");
  if (existsSync(local)) return local;
  const r = spawnSync("sh", ["-c", "command -v deno"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** CI=true (as .ci/run sets it): checks that may be skipped on a developer's machine must run. */
export const IN_CI = (process.env.CI ?? "") !== "" && process.env.CI !== "false";
