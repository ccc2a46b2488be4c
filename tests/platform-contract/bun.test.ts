/** The platform contract (cases.ts) against the Bun adapter, under Bun. */
import { describe, test } from "bun:test";
import { bunPlatform } from "../../src/platform/bun.ts";
import { cases, type ContractHooks } from "./cases.ts";
import { runCase, runnable } from "./run-cases.ts";

// Bun's node:fs cannot be intercepted between two system calls: the case that needs it runs under Deno.
const hooks: ContractHooks = {};
const platform = bunPlatform();

describe("platform contract: Bun adapter", () => {
  for (const c of cases) {
    const name = runnable(c, hooks) ? c.name : `${c.name} (needs ${c.needs!.join(", ")}, not available under Bun)`;
    test.skipIf(!runnable(c, hooks))(name, () => runCase(c, platform, hooks));
  }
});
