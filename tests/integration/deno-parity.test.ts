/**
 * The same core on two runtimes: `deno run -A src/main.ts` and `bun src/main.ts` run the same
 * multi-clip JobSpec and the same watch folder (a valid, an invalid and a failing JobSpec)
 * and must produce the same results, manifest, folder layout and proxies, apart from
 * timestamps, durations and version strings.
 *
 * Skipped, with the reason printed, only when deno is not installed, and never in CI
 * (CI=true), where scripts/setup installs it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { findDeno, IN_CI, MAIN, REPO, tempDir } from "../helpers/cli.ts";
import { buildTemplate, comparable, type Outcome, runScenario, toolWrappers } from "../helpers/parity.ts";

const DENO = findDeno();
const inCI = IN_CI;
if (!DENO && !inCI) {
  console.warn("deno-parity: skipped, deno is not installed (scripts/setup installs it into .tools/)");
}

// Outside CI a missing deno is reported as skipped (the warning above says why), never as an empty pass.
test.skipIf(!inCI)("deno is installed in CI (CI=true)", () => {
  expect(DENO).not.toBeNull();
});

describe.skipIf(!DENO)("Deno and Bun give the same results", () => {
  let dir = "";
  let bun: Outcome;
  let deno: Outcome;

  beforeAll(() => {
    dir = tempDir("proxx-deno-parity-");
    const template = buildTemplate(dir);
    const tools = toolWrappers(dir);
    bun = runScenario([process.execPath, MAIN], template, join(dir, "bun"), tools);
    deno = runScenario(
      [DENO!, "run", "--allow-all", "--config", join(REPO, "deno.json"), MAIN],
      template,
      join(dir, "deno"),
      tools,
    );
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("deno really ran proxx (run COMPLETED, watch exit 1 for the invalid and failing jobs)", () => {
    if (deno.run.code !== 0) console.error(deno.stderr);
    expect(deno.run.code).toBe(0);
    expect((deno.run.result as { final_status: string }).final_status).toBe("COMPLETED");
    expect(deno.watch.code).toBe(1);
    expect(Object.keys(deno.results)).toEqual([
      "a_valid.result.json",
      "b_invalid.result.json",
      "c_failing.result.json",
    ]);
  });

  test("results, manifest, layout and proxies are equal apart from timestamps, durations and versions", () => {
    expect(comparable(deno, join(dir, "deno"))).toEqual(comparable(bun, join(dir, "bun")));
  });

  test("under Deno too, every ffmpeg/ffprobe is a direct child of proxx", () => {
    expect(deno.spawnParents.length).toBeGreaterThan(0);
    for (const parent of deno.spawnParents) expect(deno.proxxPids).toContain(parent);
  });
});
