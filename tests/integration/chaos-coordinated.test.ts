/**
 * Chaos across hosts, CI round: scripts/chaos-coordinated.ts with three coordinated runners on
 * one folder of 24 mixed jobs, kill -9, SIGSTOP past the lease and a database restart at seeded
 * moments; every whole-folder invariant is checked after the round. Replay a failure with
 *   bun scripts/chaos.ts --coordinated --rounds 1 --jobs 30 --seed <seed> --keep
 * The soak is `bun scripts/chaos.ts --coordinated` (10 rounds).
 */
import { expect, test } from "bun:test";
import { runCoordinatedChaos } from "../../scripts/chaos-coordinated.ts";

const seed = Number(process.env.PROXX_CHAOS_SEED ?? 20261202);

test(
  `coordinated chaos: 3 runners, kill -9 / SIGSTOP / database restart, nothing lost or run twice (seed ${seed})`,
  async () => {
    const lines: string[] = [];
    const report = await runCoordinatedChaos({ rounds: 1, jobs: 24, seed, log: (l) => lines.push(l) });
    if (report.violations.length) console.log(lines.join("\n"), report);
    expect(report.violations).toEqual([]);
    expect(report.dbRestarts).toBe(1);
    expect(report.kills + report.freezes).toBeGreaterThan(0);
    expect(Object.values(report.statuses).reduce((a, b) => a + b, 0)).toBe(24);
  },
  200_000,
);
