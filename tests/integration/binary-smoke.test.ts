/**
 * The compiled binary behaves exactly like the source: `run` of a multi-clip JobSpec and
 * `watch --once` over a valid, an invalid and a failing JobSpec give the same results,
 * manifest, folder layout and proxies (apart from timestamps and durations), and every
 * FFmpeg/ffprobe is a direct child of the binary: it never starts a copy of itself.
 *
 * Needs dist/proxx-<os>-<arch> (`bun scripts/build.ts --target linux-x64`); skipped when it
 * is absent, except when PROXX_REQUIRE_BINARY=1 (.ci/run builds it and sets that).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { MAIN, REPO, tempDir } from "../helpers/cli.ts";
import { BINARY, BINARY_REQUIRED as required, binaryPresent } from "../helpers/binary.ts";
import { buildTemplate, comparable, type Outcome, runScenario, toolWrappers } from "../helpers/parity.ts";

const present = binaryPresent("binary-smoke");

// Only asked for by .ci/run (PROXX_REQUIRE_BINARY=1, right after the build); otherwise reported skipped.
test.skipIf(!required)("the binary exists when it is required (PROXX_REQUIRE_BINARY=1)", () => {
  expect(existsSync(BINARY)).toBe(true);
});

describe.skipIf(!present)(`compiled binary ${relative(REPO, BINARY)}`, () => {
  let dir = "";
  let fromSource: Outcome;
  let fromBinary: Outcome;

  beforeAll(() => {
    dir = tempDir("proxx-binary-smoke-");
    const template = buildTemplate(dir);
    const tools = toolWrappers(dir);
    fromSource = runScenario([process.execPath, MAIN], template, join(dir, "source"), tools);
    fromBinary = runScenario([BINARY], template, join(dir, "binary"), tools);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("--version names the git commit it was built from", () => {
    const r = spawnSync(BINARY, ["--version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^proxx \d+\.\d+\.\d+ \(commit ([0-9a-f]{4,}|unknown); bun /);
    expect(r.stdout).not.toContain("commit source");
  });

  test("the scenario does what it should (run COMPLETED; watch: COMPLETED, PARTIAL, FAILED)", () => {
    const o = fromBinary;
    expect(o.run.code).toBe(0);
    expect((o.run.result as { final_status: string }).final_status).toBe("COMPLETED");
    expect(o.watch.code).toBe(1);
    const status = (name: string) => (o.results[name] as { final_status: string } | undefined)?.final_status;
    expect([status("a_valid.result.json"), status("b_invalid.result.json"), status("c_failing.result.json")])
      .toEqual(["COMPLETED", "PARTIAL", "FAILED"]);
    expect(o.layout).toContain("processed/a_valid.json");
    expect(o.layout).toContain("failed/b_invalid.json");
    expect(o.layout).toContain("failed/c_failing.json");
    expect(Object.keys(o.proxies)).toEqual([
      "proxies/clip_a_fail_000.mp4",
      "proxies/clip_a_proxy_000.mov",
      "proxies/clip_b_proxy_001.mov",
      "proxies/clip_c_proxy_002.mov",
      "proxies-run/clip_a_proxy_000.mov",
      "proxies-run/clip_b_proxy_001.mov",
      "proxies-run/clip_c_proxy_002.mov",
    ]);
  });

  test("results, manifest, layout and proxies equal the source run's, apart from timestamps and durations", () => {
    if (
      JSON.stringify(comparable(fromBinary, join(dir, "binary"))) !==
        JSON.stringify(comparable(fromSource, join(dir, "source")))
    ) {
      console.error(fromBinary.stderr);
    }
    expect(comparable(fromBinary, join(dir, "binary"))).toEqual(comparable(fromSource, join(dir, "source")));
  });

  test("every ffmpeg/ffprobe is a direct child of the binary (it never forks itself)", () => {
    expect(fromBinary.spawnParents.length).toBeGreaterThan(0);
    for (const parent of fromBinary.spawnParents) expect(fromBinary.proxxPids).toContain(parent);
  });

  test("no partial output is left behind", () => {
    const proxies = join(dir, "binary", "proxies");
    expect(readdirSync(proxies).filter((n) => n.includes("proxx-partial"))).toEqual([]);
  });
});

test("core code never starts its own executable (only FFmpeg and ffprobe)", () => {
  // The adapters may report execPath (doctor, --version); nothing else may even read it.
  const offenders: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.includes(`${join("src", "platform")}`)) {
        const text = readFileSync(p, "utf8");
        if (/execPath|process\.argv0|Bun\.argv|Deno\.execPath/.test(text)) offenders.push(relative(REPO, p));
      }
    }
  };
  walk(join(REPO, "src"));
  expect(offenders).toEqual([]);
});
