/**
 * The compiled binary the tests may use (`bun scripts/build.ts --target <os>-<arch>`), and
 * whether it is fresh: a binary older than any file in src/ would test other code.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO } from "./cli.ts";

export const TARGET = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
export const BINARY = join(REPO, "dist", `proxx-${TARGET}${process.platform === "win32" ? ".exe" : ""}`);
/** Set by .ci/run right after the build: the binary must be there, and is used even if src/ is newer. */
export const BINARY_REQUIRED = process.env.PROXX_REQUIRE_BINARY === "1";

/** Newest modification time of the sources the binary is built from. */
export function newestSource(dir = join(REPO, "src")): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestSource(p) : s.mtimeMs);
  }
  return newest;
}

/** Whether `binary` exists and is not older than src/. */
export function isFresh(binary = BINARY): boolean {
  return existsSync(binary) && statSync(binary).mtimeMs >= newestSource();
}

/**
 * Whether a test file that needs the binary runs: a fresh binary, or any binary when it is
 * required. Otherwise says why it is skipped, naming `label`.
 */
export function binaryPresent(label: string): boolean {
  const exists = existsSync(BINARY);
  const present = exists && (isFresh() || BINARY_REQUIRED);
  if (!present && !BINARY_REQUIRED) {
    console.warn(
      `${label}: skipped, ${relative(REPO, BINARY)} is ${exists ? "older than src/" : "absent"} ` +
        `(build it: bun scripts/build.ts --target ${TARGET})`,
    );
  }
  return present;
}
