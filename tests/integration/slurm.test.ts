/**
 * A real Slurm job array runs proxx: `sbatch --array=0-3 deploy/slurm/proxx-array.sbatch`
 * (the built binary as `proxx`, `--shard auto`) over one watch folder of 24 short jobs, on a
 * one-host cluster started for the test (tests/helpers/slurm-cluster.ts). Then the same on a
 * fresh folder where one task is `kill -9`ed mid-encode and its index is requeued: the
 * folder must end the same.
 *
 * Skipped, saying why, when the Slurm or munge programs are missing, except in CI
 * (CI=true), where scripts/setup installs them and a missing one is a failure.
 * Builds dist/proxx-linux-x64 when it is missing or older than src/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { shardOf } from "../../src/shard/assign.ts";
import { setTimer } from "../../src/platform/shared.ts";
import { sleepOn } from "../../src/util/timers.ts";
import { IN_CI, REPO, tempDir } from "../helpers/cli.ts";
import { isFresh } from "../helpers/binary.ts";
import { checkFolder, encodes, makeShardFolder, type ShardFolder } from "../helpers/shard-folder.ts";
import { type SlurmCluster, slurmMissing, startSlurmCluster } from "../helpers/slurm-cluster.ts";

const BINARY = join(REPO, "dist", "proxx-linux-x64");
const SCRIPT = join(REPO, "deploy", "slurm", "proxx-array.sbatch");
const TASKS = 4;
const JOBS = 24;
const missing = process.platform === "linux" ? slurmMissing() : "Slurm runs on Linux only";
if (missing && !IN_CI) console.warn(`slurm: skipped, ${missing}`);

test.skipIf(!IN_CI)("Slurm and munge are installed in CI (scripts/setup)", () => {
  expect(missing).toBeNull();
});

describe.skipIf(missing !== null)("a Slurm job array over one watch folder (--shard auto)", () => {
  let cluster: SlurmCluster;
  let dir = "";
  let bin = "";

  beforeAll(async () => {
    if (!isFresh(BINARY)) {
      const r = spawnSync(process.execPath, [join(REPO, "scripts", "build.ts"), "--target", "linux-x64"], {
        cwd: REPO,
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`building ${relative(REPO, BINARY)} failed:\n${r.stderr}`);
    }
    dir = tempDir("proxx-slurm-test-");
    // The batch script calls `proxx`: the built binary, first on PATH (sbatch passes our environment on).
    bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(BINARY, join(bin, "proxx"));
    cluster = await startSlurmCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    spawnSync("rm", ["-rf", dir]);
  });

  /** Submits the deploy script as it is, for `folder`; each task's output goes to task-<index>.log. */
  function submit(folder: ShardFolder): string {
    return cluster.sbatch([
      `--chdir=${folder.root}`,
      `--output=${join(folder.root, "task-%a.log")}`,
      "--open-mode=append",
      `--export=ALL,PATH=${bin}:${process.env.PATH},PROXX_WATCH_FOLDER=${folder.jobs},PROXX_FFMPEG=${folder.ffmpeg},NO_COLOR=1`,
      SCRIPT,
    ]);
  }
  const taskLog = (folder: ShardFolder, index: number) => readFileSync(join(folder.root, `task-${index}.log`), "utf8");
  /** The JobSpecs each task's log says it took. */
  const taken = (folder: ShardFolder, index: number) =>
    [...taskLog(folder, index).matchAll(/^job taken: (\S+)$/gm)].map((m) => m[1]!);
  /** The folder's end state without paths or times: where each JobSpec is and its result, the manifest's names. */
  function endState(folder: ShardFolder) {
    const manifest = JSON.parse(readFileSync(join(folder.jobs, "processed_manifest.json"), "utf8"));
    return {
      root: readdirSync(folder.jobs).filter((n) => !n.startsWith(".")).sort(),
      processed: readdirSync(join(folder.jobs, "processed")).sort(),
      failed: readdirSync(join(folder.jobs, "failed")).sort(),
      manifest: Object.keys(manifest.entries).map((k) => relative(folder.jobs, k)).sort(),
      out: readdirSync(folder.out).sort(),
    };
  }
  let first: ReturnType<typeof endState> | null = null;

  test("4 array tasks: every JobSpec processed exactly once, each task only its shard, nothing left", async () => {
    const folder = makeShardFolder(join(dir, "one"), JOBS);
    const job = submit(folder);
    const tasks = await cluster.waitForJob(job, 60_000);
    expect(tasks.map((t) => [t.index, t.state, t.exitCode])).toEqual(
      [0, 1, 2, 3].map((i) => [i, "COMPLETED", "0:0"]),
    );
    expect(checkFolder(folder)).toEqual([]);
    for (let i = 0; i < TASKS; i++) {
      // Array index i is shard i+1 of 4, and says so (and where it came from) first.
      expect(taskLog(folder, i)).toContain(`${i + 1}/${TASKS}`);
      expect(taskLog(folder, i)).toContain("SLURM_ARRAY_TASK_ID");
      const mine = folder.names.filter((n) => shardOf(n, TASKS) === i + 1);
      expect(taken(folder, i).sort()).toEqual(mine);
      expect(encodes(folder).filter((e) => e.task === String(i)).map((e) => e.name).sort()).toEqual(mine);
    }
    first = endState(folder);
  }, 90_000);

  test("a task killed mid-encode (kill -9) and requeued: the folder ends the same", async () => {
    const folder = makeShardFolder(join(dir, "two"), JOBS);
    spawnSync("touch", [folder.slowMarker]);
    const job = submit(folder);
    const clock = { setTimer };
    const end = Date.now() + 60_000;
    let slow = encodes(folder).find((e) => e.slow);
    while (!slow && Date.now() < end) {
      await sleepOn(clock, 100);
      slow = encodes(folder).find((e) => e.slow);
    }
    expect(slow).toBeDefined();
    const victim = Number(slow!.task);
    process.kill(slow!.runnerPid, "SIGKILL");
    // Its FFmpeg-to-be (the wrapper, sleeping) is an orphan Slurm may not track (proctrack/linuxproc
    // follows parents): end it, or it would write into the folder a minute later.
    spawnSync("pkill", ["-KILL", "-P", String(slow!.wrapperPid)]);
    spawnSync("kill", ["-KILL", String(slow!.wrapperPid)]);
    const afterKill = await cluster.waitForJob(job, 60_000);
    expect(afterKill.map((t) => t.state)).toEqual([0, 1, 2, 3].map((i) => i === victim ? "FAILED" : "COMPLETED"));
    // The killed shard's JobSpec is still pending, with its in-flight record; the others are done.
    expect(checkFolder(folder)).toContain(`${slow!.name}: result (no result)`);

    cluster.requeue(job, victim);
    const tasks = await cluster.waitForJob(job, 60_000);
    expect(tasks.map((t) => [t.index, t.state, t.exitCode])).toEqual(
      [0, 1, 2, 3].map((i) => [i, "COMPLETED", "0:0"]),
    );
    expect(tasks[victim]!.restarts).toBe(1);
    expect(checkFolder(folder)).toEqual([]);
    // The interrupted JobSpec was encoded again (by the same shard); no other was.
    const again = encodes(folder).filter((e) => e.name === slow!.name);
    expect(again.map((e) => [e.task, e.slow])).toEqual([[String(victim), true], [String(victim), false]]);
    expect(encodes(folder).length).toBe(JOBS + 1);
    if (first) expect(endState(folder)).toEqual(first);
  }, 120_000);
});
