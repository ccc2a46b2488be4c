/** Runs one contract case in a fresh temporary directory, removed afterwards (shared by both registrations). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Platform } from "../../src/platform/types.ts";
import type { ContractCase, ContractHooks } from "./cases.ts";

export async function runCase(c: ContractCase, platform: Platform, hooks: ContractHooks): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "proxx-contract-"));
  try {
    await c.run({ platform, dir, hooks });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether every hook the case needs is there. */
export const runnable = (c: ContractCase, hooks: ContractHooks) => (c.needs ?? []).every((h) => hooks[h]);
