/**
 * Crash points for tests: with `PROXX_FAILPOINT=<name>` in the environment the runner
 * kills itself with SIGKILL at that step, exactly as `kill -9` from outside would, so the
 * tests can prove the next start recovers from a crash at every step of docs/crash-safety.md.
 * Unset, this is one environment lookup per step.
 */
import type { Platform } from "../platform/types.ts";

export type FailpointName = "before-result" | "after-result" | "after-move" | "after-manifest";

export function failpoint(platform: Platform, name: FailpointName): void {
  if (platform.env("PROXX_FAILPOINT") === name) platform.killProcess(platform.pid, "SIGKILL");
}
