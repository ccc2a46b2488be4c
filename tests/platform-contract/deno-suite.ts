/**
 * The platform contract (cases.ts) against the Deno adapter, under Deno:
 *   deno test --allow-all --config deno.json tests/platform-contract/deno-suite.ts
 * `deno.test.ts` runs exactly that as part of `bun test`.
 */
import { denoPlatform } from "../../src/platform/deno.ts";
import { cases, type ContractHooks } from "./cases.ts";
import { runCase, runnable } from "./run-cases.ts";

const hooks: ContractHooks = {
  // Deno's own lstat can be wrapped: an adapter that checks with it before opening is caught in the gap.
  afterLstat(fn) {
    const original = Deno.lstat;
    Deno.lstat = async (path) => {
      try {
        return await original(path);
      } finally {
        fn(String(path));
      }
    };
    return () => void (Deno.lstat = original);
  },
};
const platform = denoPlatform();

for (const c of cases) {
  Deno.test({ name: c.name, ignore: !runnable(c, hooks), fn: () => runCase(c, platform, hooks) });
}
