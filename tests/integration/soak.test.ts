/**
 * CI size of the load soak (scripts/soak.ts): 300 JobSpecs dropped at once, one real
 * `proxx watch --once --json` child with the replaying FFmpeg/ffprobe stand-ins. The point
 * here is that the soak runs and its bookkeeping is right; the thresholds are lenient
 * (a shared 2-core CI box is noisy). The real soak is `bun scripts/soak.ts` (10,000 jobs).
 */
import { expect, test } from "bun:test";
import { runSoak } from "../../scripts/soak.ts";

const JOBS = 300;

test(`soak: ${JOBS} JobSpecs dropped at once are all processed, memory and per-job time stay flat`, async () => {
  const log: string[] = [];
  const report = await runSoak({
    jobs: JOBS,
    seed: Number(process.env.PROXX_SOAK_SEED ?? 1),
    maxRssGrowthMb: 100,
    maxSlowdown: 3,
    log: (line) => log.push(line),
  });
  console.log(
    `soak CI: ${report.jobs} jobs in ${report.totalSeconds} s (${report.jobsPerSecond} jobs/s), results ${
      JSON.stringify(report.results)
    }; ` +
      `RSS ${report.rssMb.at10} → ${report.rssMb.end} MB; per-job median first ${report.perJobMs.window} ${report.perJobMs.firstMedian} ms, ` +
      `last ${report.perJobMs.lastMedian} ms (${report.perJobMs.ratio}×)`,
  );
  if (!report.pass) console.log(log.join("\n"));

  expect(report.checks.filter((c) => !c.pass)).toEqual([]);
  expect(report.pass).toBe(true);
  // The bookkeeping, field by field.
  const expectedTotal = Object.values(report.expected).reduce((a, b) => a + b, 0);
  expect(expectedTotal).toBe(JOBS);
  expect(report.results).toEqual(report.expected);
  expect(report.expected.COMPLETED).toBeGreaterThan(0);
  expect((report.expected.PARTIAL ?? 0) + (report.expected.FAILED ?? 0)).toBeGreaterThan(0);
  expect(report.resultFiles).toBe(JOBS);
  expect(report.processedDir + report.failedDir).toBe(JOBS);
  expect(report.processedDir).toBe(report.expected.COMPLETED!);
  expect(report.manifestEntries).toBe(JOBS);
  expect(report.outputs).toBe(report.expected.COMPLETED!);
  expect(report.exitCode).toBe(1);
  // The measurements exist and are sane.
  expect(report.perJobMs.window).toBe(100);
  expect(report.perJobMs.firstMedian).toBeGreaterThan(0);
  expect(report.perJobMs.ratio).toBeLessThanOrEqual(3);
  expect(report.rssMb.samples).toBeGreaterThan(3);
  expect(report.rssMb.at10).toBeGreaterThan(0);
  expect(report.rssMb.growth).toBeLessThanOrEqual(100);
  expect(report.sandbox).toBeNull();
}, 120_000);
