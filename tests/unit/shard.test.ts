/**
 * Sharding (issue 14): `--shard` parsing and the engine table, the assignment's stability and
 * evenness, shard locks (conflicts, leases, takeover), and several shards recording into one
 * manifest, on the fake platform. Real processes: tests/integration/shard.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { parseShard, ShardSpecError } from "../../src/shard/spec.ts";
import { ENGINES } from "../../src/shard/env.ts";
import { ownsName, shardOf } from "../../src/shard/assign.ts";
import { acquireLock, LockHeldError } from "../../src/watch/lock.ts";
import { readManifest } from "../../src/watch/manifest.ts";
import { folderStatus } from "../../src/watch/status.ts";
import { resetJobs } from "../../src/watch/reset.ts";
import { inflightName } from "../../src/watch/inflight.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { main } from "../../src/cli/main.ts";
import { openjdProgress } from "../../src/cli/openjd.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const none = env({});
const parseError = (value: string, vars: Record<string, string> = {}) => {
  try {
    parseShard(value, env(vars));
  } catch (error) {
    expect(error).toBeInstanceOf(ShardSpecError);
    return (error as Error).message;
  }
  throw new Error(`--shard ${value} parsed`);
};

describe("--shard parsing", () => {
  test("I/N is 1-based; the source says the flag", () => {
    expect(parseShard("1/3", none)).toEqual({ index: 1, total: 3, source: "--shard 1/3" });
    expect(parseShard("3/3", none)).toMatchObject({ index: 3, total: 3 });
    expect(parseShard("1/1", none)).toMatchObject({ index: 1, total: 1 });
  });

  test("0/N, I>N, N<1 and garbage are errors that say how to write it and mention auto", () => {
    for (const bad of ["0/3", "4/3", "1/0", "0/0", "x", "1/", "/3", "-1/3", "1.5/3", "a/3", "2"]) {
      const message = parseError(bad);
      expect(message).toContain("I/N");
      expect(message).toContain("auto");
    }
    expect(parseError("0/3")).toContain("numbered from 1");
    expect(parseError("4/3")).toContain("greater than the total");
  });

  test("every engine of the table, with its base", () => {
    const cases: [Record<string, string>, string, number, number][] = [
      [{ JOB_COMPLETION_INDEX: "0" }, "auto/4", 1, 4],
      [{ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" }, "auto", 4, 4],
      [{ AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "2" }, "auto", 1, 2],
      [{ CLOUD_RUN_TASK_INDEX: "2", CLOUD_RUN_TASK_COUNT: "3" }, "auto", 3, 3],
      [{ BATCH_TASK_INDEX: "1", BATCH_TASK_COUNT: "3" }, "auto", 2, 3],
      [{ CI_NODE_INDEX: "1", CI_NODE_TOTAL: "5" }, "auto", 1, 5],
      [{ CIRCLE_NODE_INDEX: "4", CIRCLE_NODE_TOTAL: "5" }, "auto", 5, 5],
      [{ BUILDKITE_PARALLEL_JOB: "0", BUILDKITE_PARALLEL_JOB_COUNT: "2" }, "auto", 1, 2],
      [{ SYSTEM_JOBPOSITIONINPHASE: "2", SYSTEM_TOTALJOBSINPHASE: "2" }, "auto", 2, 2],
      [{ NOMAD_ALLOC_INDEX: "2" }, "auto/3", 3, 3],
    ];
    expect(cases.length).toBe(ENGINES.length);
    for (const [vars, form, index, total] of cases) {
      const spec = parseShard(form, env(vars));
      expect({ vars, index: spec.index, total: spec.total }).toEqual({ vars, index, total });
      for (const name of Object.keys(vars)) expect(spec.source).toContain(name);
    }
  });

  test("Slurm: the position in the array from MIN and STEP (--array=4-10:2)", () => {
    const slurm = (id: number) =>
      parseShard(
        "auto",
        env({
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_MIN: "4",
          SLURM_ARRAY_TASK_STEP: "2",
          SLURM_ARRAY_TASK_COUNT: "4",
        }),
      );
    expect([4, 6, 8, 10].map((id) => slurm(id).index)).toEqual([1, 2, 3, 4]);
    expect(() => slurm(5)).toThrow(/not on the array's grid/);
    expect(
      parseShard("auto", env({ SLURM_ARRAY_TASK_ID: "7", SLURM_ARRAY_TASK_MIN: "5", SLURM_ARRAY_TASK_COUNT: "3" })),
    )
      .toMatchObject({ index: 3, total: 3 });
  });

  test("auto with no engine, with disagreeing engines, without a total, beyond the total", () => {
    expect(parseError("auto")).toContain("no job engine found");
    expect(
      parseError("auto", {
        SLURM_ARRAY_TASK_ID: "0",
        SLURM_ARRAY_TASK_COUNT: "2",
        CI_NODE_INDEX: "2",
        CI_NODE_TOTAL: "2",
      }),
    )
      .toMatch(/disagree: Slurm job array says 1\/2.*GitLab CI parallel says 2\/2/);
    expect(parseError("auto", { JOB_COMPLETION_INDEX: "1" })).toContain("auto/N");
    expect(parseError("auto/2", { JOB_COMPLETION_INDEX: "2" })).toContain("beyond the total");
    expect(parseError("auto/3", { AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "2" })).toContain("not 3");
    expect(parseError("auto", { CI_NODE_INDEX: "0", CI_NODE_TOTAL: "2" })).toContain("numbers its tasks from 1");
    // Two engines that agree are fine (a CI job inside a Kubernetes pod, say).
    expect(
      parseShard(
        "auto",
        env({ CI_NODE_INDEX: "2", CI_NODE_TOTAL: "3", CIRCLE_NODE_INDEX: "1", CIRCLE_NODE_TOTAL: "3" }),
      ),
    )
      .toMatchObject({ index: 2, total: 3 });
  });
});

describe("assignment", () => {
  const numbered = Array.from({ length: 2000 }, (_, i) => `A${String(i).padStart(4, "0")}.json`);
  const hashed = Array.from({ length: 2000 }, (_, i) => `clip-${(i * 7919).toString(36)}-take.json`);

  test("depends on the name and N only: the same in any set, in any order", () => {
    for (const names of [numbered, hashed]) {
      const alone = names.slice(0, 50).map((n) => shardOf(n, 5));
      const again = new Map([...names].reverse().map((n) => [n, shardOf(n, 5)] as const));
      expect(names.slice(0, 50).map((n) => again.get(n))).toEqual(alone);
    }
  });

  test("a numbered series is dealt round-robin: exactly even, consecutive names on consecutive shards", () => {
    for (const [count, n] of [[24, 4], [200, 8], [2000, 3]] as const) {
      const per = new Array(n).fill(0);
      for (const name of numbered.slice(0, count)) per[shardOf(name, n) - 1]++;
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    const first = shardOf("card-000.json", 4);
    expect(["card-001.json", "card-002.json", "card-007.json"].map((x) => shardOf(x, 4))).toEqual(
      [1, 2, 7].map((k) => ((first - 1 + k) % 4) + 1),
    );
    // A subfolder's series is a series of its own, with a start of its own.
    expect(shardOf("a/card-000.json", 4)).toBe(shardOf("a/card-004.json", 4));
  });

  test("other names: rendezvous; going from N to N+1 moves a name only to the new shard, about 1/(N+1)", () => {
    for (const n of [1, 2, 3, 7]) {
      let moved = 0;
      for (const name of hashed) {
        const before = shardOf(name, n);
        const after = shardOf(name, n + 1);
        if (after !== before) {
          expect(after).toBe(n + 1);
          moved++;
        }
      }
      expect(moved / hashed.length).toBeGreaterThan(0.7 / (n + 1));
      expect(moved / hashed.length).toBeLessThan(1.3 / (n + 1));
    }
  });

  test("even: max/mean jobs per shard for 200 and 2,000 hashed names", () => {
    for (const [count, limit] of [[200, 1.4], [2000, 1.12]] as const) {
      for (const n of [2, 4, 8]) {
        const per = new Array(n).fill(0);
        for (const name of hashed.slice(0, count)) per[shardOf(name, n) - 1]++;
        expect(Math.max(...per) / (count / n)).toBeLessThan(limit);
      }
    }
  });

  test("each name has exactly one owner; 1/1 owns everything", () => {
    for (const name of [...numbered.slice(0, 50), ...hashed.slice(0, 50)]) {
      expect([1, 2, 3].filter((i) => ownsName({ index: i, total: 3 }, name)).length).toBe(1);
      expect(ownsName({ index: 1, total: 1 }, name)).toBe(true);
    }
  });
});

const hidden = (platform: { filesUnder(dir: string): string[] }) =>
  platform.filesUnder(W).map((p) => p.slice(W.length + 1)).filter((n) => n.startsWith("."));
const settle = () => new Promise((r) => setTimeout(r, 20));
const files = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`j${i}.json`, job(`j${i}`)]));

describe("shards of one folder", () => {
  test("each shard takes only its own; together every JobSpec once; one manifest with all", async () => {
    const { platform, jobs, run } = setup(files(30));
    for (let i = 1; i <= 3; i++) await run({ shard: { index: i, total: 3, source: "test" } });
    expect(jobs.calls.length).toBe(30);
    expect(new Set(jobs.calls).size).toBe(30);
    const entries = (await readManifest(platform, W)).manifest.entries;
    expect(Object.keys(entries).length).toBe(30);
    expect(JSON.parse(platform.text(`${W}/processed_manifest.json`)).entries).toEqual(entries);
    expect(hidden(platform)).toEqual([]);
  });

  test("three shards at once in one process: no entry lost, journals folded, no lock left", async () => {
    const { platform, jobs, run } = setup(files(40));
    await Promise.all([1, 2, 3].map((i) => run({ shard: { index: i, total: 3, source: "test" }, maxWorkers: 2 })));
    expect(new Set(jobs.calls).size).toBe(40);
    expect(jobs.calls.length).toBe(40);
    const manifest = JSON.parse(platform.text(`${W}/processed_manifest.json`));
    expect(Object.keys(manifest.entries).length).toBe(40);
    expect(hidden(platform)).toEqual([]);
  });

  test("the first event names the shard and its source", async () => {
    const { events, run } = setup(files(2));
    await run({ shard: { index: 2, total: 2, source: "--shard 2/2" } });
    expect(events[0]).toEqual({ type: "shard", folder: W, index: 2, total: 2, source: "--shard 2/2" });
  });

  test("status --shard lists what that shard owns; reset --shard touches only its own", async () => {
    const { platform, run } = setup(files(12));
    const spec = (i: number) => ({ index: i, total: 3, source: "test" });
    const owned = (i: number) =>
      Array.from({ length: 12 }, (_, k) => `j${k}.json`).filter((n) => shardOf(n, 3) === i).map((n) => `${W}/${n}`);
    for (let i = 1; i <= 3; i++) {
      expect((await folderStatus(platform, W, { shard: spec(i) })).pending).toEqual(owned(i).sort());
    }
    for (let i = 1; i <= 3; i++) await run({ shard: spec(i) });
    const actions = await resetJobs(platform, W, { all: true, shard: spec(2) });
    const moved = actions.filter((a) => a.action === "moved").map((a) => (a as { to: string }).to).sort();
    expect(moved).toEqual(owned(2).sort());
    const entries = (await readManifest(platform, W)).manifest.entries;
    expect(Object.keys(entries).sort()).toEqual([...owned(1), ...owned(3)].sort());
    const other = owned(1)[0]!.slice(W.length + 1).replace(/\.json$/, "");
    const refused = await resetJobs(platform, W, { jobs: [other], shard: spec(2) });
    expect(refused).toEqual([{ action: "refused", path: other, reason: "belongs to shard 1/3, not 2/3" }]);
  });

  test("kill -9 of one shard: its restart recovers only its own in-flight record, a sibling's is left", async () => {
    const { platform, jobs, run } = setup(files(9));
    const mine = { index: 1, total: 3, source: "t" };
    const sibling = { index: 2, total: 3 };
    const ownJob = [...Array(9).keys()].map((k) => `j${k}.json`).find((n) => shardOf(n, 3) === 1)!;
    const siblingJob = [...Array(9).keys()].map((k) => `j${k}.json`).find((n) => shardOf(n, 3) === 2)!;
    const sha = async (name: string) => {
      const { sha256Hex } = await import("../../src/util/sha256.ts");
      return sha256Hex(await platform.readFile(`${W}/${name}`));
    };
    const record = async (name: string) =>
      JSON.stringify({
        version: 1,
        jobspec_path: `${W}/${name}`,
        sha256: await sha(name),
        attempts: 1,
        started_at: "t",
        pid: 999,
      });
    platform.writeFile(`${W}/${inflightName(0, mine)}`, await record(ownJob));
    platform.writeFile(`${W}/${inflightName(0, sibling)}`, await record(siblingJob));
    const summary = await run({ shard: mine });
    expect(summary.recovered).toBe(1);
    expect(platform.exists(`${W}/${inflightName(0, sibling)}`)).toBe(true);
    expect(platform.exists(`${W}/${inflightName(0, mine)}`)).toBe(false);
    expect(jobs.calls).toContain(`${W}/${ownJob}`);
    expect(jobs.calls).not.toContain(`${W}/${siblingJob}`);
  });
});

describe("more shard cases", () => {
  test("with --recursive the relative path is the name", async () => {
    const names = ["a.json", "d1/a.json", "d1/b.json", "d2/a.json", "d2/x/y.json", "d3/c.json"];
    const { platform, jobs, run } = setup(Object.fromEntries(names.map((n) => [n, job(n)])));
    for (let i = 1; i <= 2; i++) {
      jobs.calls.length = 0;
      await run({ shard: { index: i, total: 2, source: "t" }, recursive: true });
      expect(jobs.calls).toEqual(names.filter((n) => shardOf(n, 2) === i).map((n) => `${W}/${n}`));
    }
    expect(Object.keys((await readManifest(platform, W)).manifest.entries).length).toBe(names.length);
  });

  test("a fold lock left by a dead runner is taken over: same host at once, another host after its lease", async () => {
    const { platform, run, events } = setup(files(3));
    platform.writeFile(`${W}/.proxx.manifest.lock`, JSON.stringify({ pid: 777, host: "fakehost", started_at: "t" }));
    await run({ shard: { index: 1, total: 1, source: "t" } });
    expect(events.some((e) => e.type === "warning" && e.message.includes("took over stale .proxx.manifest.lock")))
      .toBe(true);
    const second = setup(files(3));
    second.platform.writeFile(
      `${W}/.proxx.manifest.lock`,
      JSON.stringify({ pid: 1, host: "elsewhere", started_at: "t", lease_seconds: 30 }),
    );
    const t0 = second.platform.monotonic();
    await second.run({ shard: { index: 1, total: 1, source: "t" } });
    expect(second.platform.monotonic() - t0).toBeGreaterThanOrEqual(30_000);
    expect(Object.keys(second.platform.json(`${W}/processed_manifest.json`).entries).length).toBe(3);
    expect(second.platform.exists(`${W}/.proxx.manifest.lock`)).toBe(false);
    expect(platform.exists(`${W}/.proxx.manifest.lock`)).toBe(false);
  });

  test("an unsharded start folds shard journals left by stopped shards; nothing is lost", async () => {
    const { platform, run } = setup(files(6));
    const spec = { index: 1, total: 2, source: "t" };
    await run({ shard: spec });
    // A crash between append and fold: the entries sit in the shard's journal only.
    platform.writeFile(
      `${W}/.proxx.manifest-journal.2of2`,
      '{"journal":2,"shard":"2/2"}\n{"path":"/w/zz.json","entry":{"sha256":"' + "a".repeat(64) +
        '","processed_at":"t","result_status":"COMPLETED"}}\n',
    );
    expect((await readManifest(platform, W)).manifest.entries["/w/zz.json"]).toBeDefined();
    await run();
    expect(platform.json(`${W}/processed_manifest.json`).entries["/w/zz.json"]).toBeDefined();
    expect(hidden(platform)).toEqual([]);
  });
});

describe("a runner that loses its lock", () => {
  test("stops its job (left pending) and fails with LockHeldError", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a", { hang: true }) });
    jobs.during = () => {
      // Taken over meanwhile by a runner elsewhere (this one stalled for longer than its lease).
      platform.writeFile(`${W}/.proxx.lock.1of1`, JSON.stringify({ pid: 9, host: "elsewhere", started_at: "t" }));
    };
    const error = await run({ shard: { index: 1, total: 1, source: "t" } }).catch((e) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error.message).toContain("lock lost");
    expect(platform.exists(`${W}/a.json`)).toBe(true);
    expect(platform.exists(`${W}/a.result.json`)).toBe(false);
    expect(platform.text(`${W}/.proxx.lock.1of1`)).toContain("elsewhere"); // not removed: not ours
  });
});

describe("shard locks", () => {
  const s = (index: number, total: number) => ({ index, total, source: "test" });

  test("shards of one N hold their own locks side by side; a second runner of one shard is refused", async () => {
    const { platform } = setup({});
    const a = await acquireLock(platform, W, () => {}, { shard: s(1, 3) });
    const b = await acquireLock(platform, W, () => {}, { shard: s(2, 3) });
    await expect(acquireLock(platform, W, () => {}, { shard: s(1, 3) })).rejects.toBeInstanceOf(LockHeldError);
    expect(platform.exists(`${W}/.proxx.lock.1of3`)).toBe(true);
    await a.release();
    await b.release();
    expect(platform.filesUnder(W)).toEqual([]);
  });

  test("the whole-folder lock conflicts with every shard, and the other way round", async () => {
    const { platform } = setup({});
    const shard = await acquireLock(platform, W, () => {}, { shard: s(2, 3) });
    const e1 = await acquireLock(platform, W).catch((e) => e);
    expect(e1).toBeInstanceOf(LockHeldError);
    expect(e1.message).toContain("live shard runner (shard 2/3");
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false); // given back
    await shard.release();
    const whole = await acquireLock(platform, W);
    const e2 = await acquireLock(platform, W, () => {}, { shard: s(1, 2) }).catch((e) => e);
    expect(e2).toBeInstanceOf(LockHeldError);
    expect(e2.message).toContain("unsharded runner");
    expect(platform.exists(`${W}/.proxx.lock.1of2`)).toBe(false);
    await whole.release();
  });

  test("shards of different totals overlap: refused with a clear message", async () => {
    const { platform } = setup({});
    const a = await acquireLock(platform, W, () => {}, { shard: s(1, 3) });
    const e = await acquireLock(platform, W, () => {}, { shard: s(2, 4) }).catch((x) => x);
    expect(e).toBeInstanceOf(LockHeldError);
    expect(e.message).toContain("shard 2/4 cannot run beside shard 1/3");
    await a.release();
  });

  const remote = (renewals = 0, lease = 5) =>
    JSON.stringify({ pid: 1, host: "otherhost", started_at: "t", lease_seconds: lease, renewals, shard: "1/2" });

  test("another host's lock that is renewed is live: refused, without waiting a whole lease", async () => {
    const { platform } = setup({ ".proxx.lock.1of2": remote() });
    let n = 0;
    const renew = () => {
      platform.writeFile(`${W}/.proxx.lock.1of2`, remote(++n));
      if (n < 20) platform.setTimer(800, renew);
    };
    platform.setTimer(800, renew);
    const t0 = platform.monotonic();
    await expect(acquireLock(platform, W, () => {}, { shard: s(1, 2) })).rejects.toBeInstanceOf(LockHeldError);
    expect(platform.monotonic() - t0).toBeLessThan(5000);
  });

  test("another host's lock not renewed for its lease is taken over; two challengers at once: one wins", async () => {
    const { platform } = setup({ ".proxx.lock.1of2": remote() });
    const t0 = platform.monotonic();
    const results = await Promise.allSettled([
      acquireLock(platform, W, () => {}, { shard: s(1, 2) }),
      acquireLock(platform, W, () => {}, { shard: s(1, 2) }),
    ]);
    expect(platform.monotonic() - t0).toBeGreaterThanOrEqual(5000);
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won.length).toBe(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(
      LockHeldError,
    );
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
  });

  test("the holder renews its lease; a holder whose lock was taken over finds out and stops", async () => {
    const { platform } = setup({});
    const held = await acquireLock(platform, W, () => {}, { shard: s(1, 2) });
    const before = JSON.parse(platform.text(`${W}/.proxx.lock.1of2`)).renewals;
    platform.advance(25_000);
    await settle();
    expect(JSON.parse(platform.text(`${W}/.proxx.lock.1of2`)).renewals).toBeGreaterThan(before);
    platform.writeFile(`${W}/.proxx.lock.1of2`, remote());
    platform.advance(11_000);
    await settle();
    expect(held.lost.aborted).toBe(true);
    await held.release();
    expect(platform.text(`${W}/.proxx.lock.1of2`)).toBe(remote()); // not removed: not ours
  });
});

async function cli(p: FakePlatform, ...args: string[]) {
  p.stdout = "";
  p.stderr = "";
  const code = await main(p, args);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

describe("the CLI", () => {
  test("shard-of prints the 1-based shard (one name: the number alone), --json, usage errors exit 2", async () => {
    const p = new FakePlatform();
    expect(await cli(p, "shard-of", "A001.json", "--shards", "4")).toEqual({
      code: 0,
      stdout: `${shardOf("A001.json", 4)}\n`,
      stderr: "",
    });
    const two = await cli(p, "shard-of", "./a.json", "b/c.json", "--shards", "3", "--json");
    expect(JSON.parse(two.stdout)).toEqual([
      { name: "a.json", shard: shardOf("a.json", 3), shards: 3 },
      { name: "b/c.json", shard: shardOf("b/c.json", 3), shards: 3 },
    ]);
    expect((await cli(p, "shard-of", "a.json")).code).toBe(2);
    expect((await cli(p, "shard-of", "a.json", "--shards", "0")).code).toBe(2);
  });

  test("watch --shard usage errors exit 2 and mention auto; --progress openjd with --json is refused", async () => {
    const p = new FakePlatform({
      env: { CI_NODE_INDEX: "1", CI_NODE_TOTAL: "2", CIRCLE_NODE_INDEX: "1", CIRCLE_NODE_TOTAL: "2" },
    });
    p.mkdirSync(W);
    for (const bad of ["0/3", "4/3", "3/0", "auto"]) {
      const r = await cli(p, "watch", W, "--once", "--shard", bad);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toContain("auto");
    }
    expect((await cli(p, "watch", W, "--once", "--shard", "auto")).stderr).toContain("disagree");
    expect((await cli(p, "watch", W, "--once", "--progress", "openjd", "--json")).code).toBe(2);
    expect((await cli(p, "watch", W, "--once", "--progress", "tqdm")).code).toBe(2);
  });

  test("new --split N: consecutive chunks, names that sort in source order", async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 11; i++) files[`/work/card/C${String(i).padStart(3, "0")}.mov`] = "v";
    const p = new FakePlatform({ files, cwd: "/work" });
    p.mkdirSync("/work/out");
    p.mkdirSync("/work/jobs");
    const r = await cli(
      p,
      "new",
      "-s",
      "card/*.mov",
      "-o",
      "out",
      "--split",
      "4",
      "--job-id",
      "card",
      "--into",
      "jobs",
      "--no-paths",
    );
    expect(r.code).toBe(0);
    const written = r.stdout.trim().split("\n");
    expect(written).toEqual(["000", "001", "002", "003"].map((n) => `/work/jobs/card-${n}.json`));
    const sizes = written.map((f) => p.json(f).sources.length);
    expect(sizes).toEqual([3, 3, 3, 2]);
    const order = written.flatMap((f) => p.json(f).sources as string[]);
    expect(order).toEqual([...order].sort());
    const k = await cli(p, "new", "-s", "card/*.mov", "-o", "out", "--clips-per-job", "5", "--no-paths");
    expect(k.stdout.trim().split("\n").map((l) => JSON.parse(l).sources.length)).toEqual([5, 5, 1]);
    expect((await cli(p, "new", "-s", "card/*.mov", "-o", "out", "--split", "2", "--clips-per-job", "2")).code).toBe(2);
  });

  test("--progress openjd: progress lines that never go down, status lines, one write per line", () => {
    const out: string[] = [];
    const feed = openjdProgress((line) => out.push(line), (p) => p.split("/").pop()!);
    feed({ type: "shard", folder: W, index: 1, total: 2, source: "t" });
    feed({ type: "scan", folder: W, pending: 2, settling: 0, skipped: 0 });
    feed({ type: "job_taken", jobspec_path: `${W}/a.json` });
    feed({ type: "job_started", job_id: "a", jobspec_path: `${W}/a.json`, total_clips: 2 });
    const progress = (index: number, percent: number) =>
      feed({
        type: "progress",
        job_id: "a",
        index,
        total: 2,
        source_path: "s",
        frame: 1,
        out_time_seconds: 1,
        percent,
        fps: null,
        speed: null,
      });
    progress(0, 50);
    progress(1, 0);
    progress(0, 10); // out of order: never down
    feed({
      type: "job_result",
      jobspec_path: `${W}/a.json`,
      final_status: "COMPLETED",
      result_path: "r",
      moved_to: "m",
      failure_reason: null,
    });
    feed({ type: "job_taken", jobspec_path: `${W}/b.json` });
    feed({
      type: "job_result",
      jobspec_path: `${W}/b.json`,
      final_status: "FAILED",
      result_path: "r",
      moved_to: "m",
      failure_reason: "x",
    });
    expect(out.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1)).toBe(true);
    expect(out.filter((l) => l.startsWith("openjd_progress: "))).toEqual([
      "openjd_progress: 0\n",
      "openjd_progress: 12\n",
      "openjd_progress: 25\n",
      "openjd_progress: 50\n",
      "openjd_progress: 100\n",
    ]);
    expect(out.filter((l) => l.startsWith("openjd_status: "))).toEqual([
      `openjd_status: shard 1/2 of ${W}\n`,
      "openjd_status: job 1 of 2: a.json\n",
      "openjd_status: COMPLETED a.json (1 done)\n",
      "openjd_status: job 2 of 2: b.json\n",
      "openjd_status: FAILED b.json (2 done, 1 not completed)\n",
    ]);
  });
});
