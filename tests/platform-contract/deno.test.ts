/**
 * The platform contract against the Deno adapter, under Deno, as part of `bun test`: runs
 *   deno test --allow-all --config deno.json tests/platform-contract/deno-suite.ts
 * and requires every case of cases.ts to have passed there (none ignored, none failed).
 *
 * Skipped, with the reason printed, only when deno is not installed, and never in CI
 * (CI=true), where scripts/setup installs it.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { findDeno, IN_CI, REPO } from "../helpers/cli.ts";
import { cases } from "./cases.ts";

const DENO = findDeno();
const inCI = IN_CI;
if (!DENO && !inCI) {
  console.warn("platform contract (Deno): skipped, deno is not installed (scripts/setup installs it)");
}

// Outside CI a missing deno is reported as skipped (the warning above says why), never as an empty pass.
test.skipIf(!inCI)("deno is installed in CI (CI=true)", () => {
  expect(DENO).not.toBeNull();
});

describe.skipIf(!DENO)("platform contract: Deno adapter", () => {
  test(`all ${cases.length} cases pass under deno test`, () => {
    const r = spawnSync(
      DENO!,
      ["test", "--allow-all", "--config", "deno.json", "tests/platform-contract/deno-suite.ts"],
      { cwd: REPO, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 180_000 },
    );
    const summary = /^(ok|FAILED) \| (\d+) passed \| (\d+) failed/m.exec(r.stdout);
    if (r.status !== 0 || !summary) console.error(r.stdout, r.stderr);
    expect(r.status).toBe(0);
    expect(summary?.slice(2, 4).map(Number)).toEqual([cases.length, 0]);
  }, 200_000);
});
