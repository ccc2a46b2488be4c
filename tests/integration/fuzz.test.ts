/**
 * CI mode of the JobSpec fuzzer (scripts/fuzz.ts): 2,000 seeded hostile JobSpecs through
 * `proxx validate` (in-process, and a sample through the real CLI) and through one watch
 * folder with the real runner and FFmpeg. The seed is fixed so CI is repeatable; set
 * PROXX_FUZZ_SEED to explore another one (the failing seed is in the summary line, and
 * `bun scripts/fuzz.ts --count 2000 --seed N --keep` reproduces it with the sandbox kept).
 *
 * Cost on a 2-core machine: ~55 s with the sandbox on disk, ~40 s on tmpfs. Profiled:
 * the runner is ~70 % of it. An invalid case costs ~8 ms there, ~6 ms of it the fsyncs of
 * the crash-safe bookkeeping (in-flight record, result, manifest); a valid one ~50-90 ms,
 * 3 spawns of the memoised FFmpeg/ffprobe wrappers per clip (only ~7 real encodes in all).
 * The rest is validating every case twice (the huge-string cases are ~420 MB together).
 * So CI puts the sandbox on tmpfs (/dev/shm) when it has room: same cases, same checks,
 * the fsyncs are still made; durability itself is what the chaos test checks, not this one.
 * The CLI sample is 100 cases (the script's default is 500): it checks that the real CLI
 * agrees with the in-process verdicts, which does not need more processes to show.
 */
import { expect, test } from "bun:test";
import { existsSync, statfsSync } from "node:fs";
import { MUTATION_KINDS, runFuzz } from "../../scripts/fuzz.ts";

const COUNT = 2000;
const SEED = Number(process.env.PROXX_FUZZ_SEED ?? 20251228);

/** /dev/shm when it exists with ≥ 2 GB free (Docker's default is 64 MB), else the OS temp folder. */
function sandboxRoot(): string | undefined {
  try {
    if (!existsSync("/dev/shm")) return undefined;
    const s = statfsSync("/dev/shm");
    return s.bavail * s.bsize >= 2 * 1024 ** 3 ? "/dev/shm" : undefined;
  } catch {
    return undefined;
  }
}

test(`fuzz: ${COUNT} hostile JobSpecs through validate and one watch folder (seed ${SEED})`, async () => {
  const log: string[] = [];
  const report = await runFuzz({
    count: COUNT,
    seed: SEED,
    cliSample: 100,
    tmpRoot: sandboxRoot(),
    log: (line) => log.push(line),
  });

  const kinds = Object.keys(report.byMutation);
  const results = Object.entries(report.results).map(([k, v]) => `${k} ${v}`).join(", ");
  const held = report.violations.length === 0 && report.lost === 0 && !report.runnerCrashed;
  console.log(
    `fuzz CI: seed ${report.seed}: tried ${report.cases} JobSpecs (${report.valid} valid, ${report.invalid} invalid, ` +
      `${kinds.length} mutation kinds), ${report.cliChecked} also through the real CLI; results ${results}; ` +
      `${held ? "held" : "BROKEN"}: ${report.violations.length} violations, ${report.lost} lost, ` +
      `runner ${
        report.runnerCrashed ? "CRASHED" : "never crashed"
      }, slowest validation ${report.slowestValidationMs} ms; ` +
      `${report.seconds} s (runner ${report.runnerSeconds} s)`,
  );
  if (!held) console.log(log.join("\n"));

  expect(report.violations).toEqual([]);
  expect(report.lost).toBe(0);
  expect(report.runnerCrashed).toBe(false);

  expect(report.cases).toBe(COUNT);
  expect(report.valid + report.invalid).toBe(COUNT);
  expect(Object.values(report.results).reduce((a, b) => a + b, 0)).toBe(COUNT);
  expect(report.cliChecked).toBeGreaterThanOrEqual(100);
  // Both sides were exercised: valid cases ran FFmpeg to COMPLETED, invalid ones ended PARTIAL.
  expect(report.valid).toBeGreaterThan(0);
  expect(report.invalid).toBeGreaterThan(0);
  expect(report.results.COMPLETED ?? 0).toBeGreaterThan(0);
  expect(report.results.PARTIAL).toBe(report.invalid);

  // Every mutation kind was drawn, and nothing outside the known kinds.
  expect(MUTATION_KINDS.filter((kind) => (report.byMutation[kind]?.cases ?? 0) === 0)).toEqual([]);
  expect(kinds.filter((k) => !(MUTATION_KINDS as readonly string[]).includes(k))).toEqual([]);
  // Unmutated and BOM-only JobSpecs are valid by construction.
  expect(report.byMutation.none!.valid).toBe(report.byMutation.none!.cases);
  expect(report.byMutation.bom!.valid).toBe(report.byMutation.bom!.cases);
}, 240_000);
