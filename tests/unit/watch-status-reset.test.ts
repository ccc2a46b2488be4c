import { describe, expect, test } from "bun:test";
import { LockHeldError } from "../../src/watch/lock.ts";
import { resetJobs } from "../../src/watch/reset.ts";
import { folderStatus } from "../../src/watch/status.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

describe("folderStatus", () => {
  test("pending, settling, skipped, counts, recent, manifest health, lock", async () => {
    const { platform, run } = setup({ "a.json": job("a"), "b.json": job("b", { outcome: "FAILED" }) });
    await run();
    platform.advance(1000);
    platform.writeFile(`${W}/c.json`, job("c"));
    platform.advance(5000);
    platform.writeFile(`${W}/d.json`, job("d")); // just dropped
    platform.writeFile(`${W}/a.json`, job("a")); // re-dropped, result exists
    platform.writeFile(`${W}/.proxx.lock`, JSON.stringify({ pid: 31, host: "fakehost", started_at: "t" }));
    platform.alivePids.add(31);
    const s = await folderStatus(platform, W);
    expect(s.pending).toEqual([`${W}/c.json`]);
    expect(s.settling).toEqual([`${W}/d.json`]);
    expect(s.skipped).toEqual([{ path: `${W}/a.json`, reason: "result file exists" }]);
    expect(s).toMatchObject({
      processed: 1,
      failed: 1,
      manifest: "ok",
      lock: { pid: 31 },
      lock_live: true,
      inflight: null,
    });
    // same processed_at (the fake clock stood still): ties ordered by path
    expect(s.recent.map((r) => [r.path, r.status])).toEqual([[`${W}/a.json`, "COMPLETED"], [`${W}/b.json`, "FAILED"]]);
  });

  test("the runner's skip rules: an unreadable JobSpec is skipped with the runner's reason, not thrown", async () => {
    const { platform, run, events } = setup({ "a.json": job("a"), "b.json": job("b") });
    platform.failNext("readFile");
    const s = await folderStatus(platform, W);
    expect(s.skipped).toEqual([{
      path: `${W}/a.json`,
      reason: "cannot be read (EIO: readFile '(injected)'); left in place",
    }]);
    expect(s.pending).toEqual([`${W}/b.json`]);
    platform.failNext("readFile");
    await run();
    expect(events).toContainEqual({ type: "skip", jobspec_path: `${W}/a.json`, reason: s.skipped[0]!.reason });
  });

  test("missing and corrupt manifest", async () => {
    const { platform } = setup({});
    expect((await folderStatus(platform, W)).manifest).toBe("missing");
    platform.writeFile(`${W}/processed_manifest.json`, "[]");
    expect((await folderStatus(platform, W)).manifest).toMatch(/^corrupt: /);
  });

  test("recent is newest first", async () => {
    const { platform, run } = setup({ "a.json": job("a") });
    await run();
    platform.advance(1000);
    platform.writeFile(`${W}/b.json`, job("b"));
    platform.advance(5000);
    await run();
    const s = await folderStatus(platform, W, { recent: 1 });
    expect(s.recent.map((r) => r.path)).toEqual([`${W}/b.json`]);
  });
});

describe("resetJobs", () => {
  test("all: the seed's full reset, then a run processes everything again", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), "b.json": job("b", { outcome: "FAILED" }) });
    await run();
    const actions = await resetJobs(platform, W, { all: true });
    expect(actions).toContainEqual({ action: "moved", from: `${W}/processed/a.json`, to: `${W}/a.json` });
    expect(actions).toContainEqual({ action: "moved", from: `${W}/failed/b.json`, to: `${W}/b.json` });
    expect(actions).toContainEqual({ action: "removed_result", path: `${W}/a.result.json` });
    expect(actions).toContainEqual({ action: "removed_manifest_entry", path: `${W}/b.json` });
    expect(platform.json(`${W}/processed_manifest.json`)).toEqual({ version: 1, entries: {} });
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    await run();
    expect(jobs.calls.length).toBe(4);
  });

  test("failed only", async () => {
    const { platform, run } = setup({ "a.json": job("a"), "b.json": job("b", { outcome: "FAILED" }) });
    await run();
    await resetJobs(platform, W, { failed: true });
    expect(platform.exists(`${W}/b.json`)).toBe(true);
    expect(platform.exists(`${W}/b.result.json`)).toBe(false);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/a.result.json`)).toBe(true);
    expect(Object.keys(platform.json(`${W}/processed_manifest.json`).entries)).toEqual([`${W}/a.json`]);
  });

  test("jobs by stem or file name; unknown names reported", async () => {
    const { platform, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    await run();
    const actions = await resetJobs(platform, W, { jobs: ["a", "b.json", "zzz"] });
    expect(platform.exists(`${W}/a.json`)).toBe(true);
    expect(platform.exists(`${W}/b.json`)).toBe(true);
    expect(actions).toContainEqual({ action: "not_found", job: "zzz" });
  });

  test("a root JobSpec skipped because of its result is reset by name (rm result)", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), "a.result.json": "{}\n" });
    await resetJobs(platform, W, { jobs: ["a"] });
    expect(platform.exists(`${W}/a.result.json`)).toBe(false);
    await run();
    expect(jobs.calls.length).toBe(1);
  });

  test("never overwrites a root file: refused, its result and entry kept", async () => {
    const { platform, run } = setup({ "a.json": job("a") });
    await run();
    platform.writeFile(`${W}/a.json`, job("a", { v: 2 }));
    const actions = await resetJobs(platform, W, { all: true });
    expect(actions[0]).toMatchObject({ action: "refused", path: `${W}/processed/a.json` });
    expect(platform.text(`${W}/a.json`)).toBe(job("a", { v: 2 }));
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
  });

  test("all on a large folder: each JobSpec, result and record selected once; one name in both subfolders moves once", async () => {
    const { platform } = setup({});
    const n = 2000;
    const names = Array.from({ length: n }, (_, i) => `j${String(i).padStart(4, "0")}`);
    const sha = "0".repeat(64);
    const entries: Record<string, unknown> = {};
    for (const [i, stem] of names.entries()) {
      platform.writeFile(`${W}/${i % 4 ? "processed" : "failed"}/${stem}.json`, job(stem));
      platform.writeFile(`${W}/${stem}.result.json`, "{}\n");
      entries[`${W}/${stem}.json`] = { sha256: sha, processed_at: "t", result_status: "COMPLETED" };
    }
    for (let i = 0; i < 100; i++) {
      entries[`${W}/gone${i}.json`] = { sha256: sha, processed_at: "t", result_status: "COMPLETED" };
    }
    platform.writeFile(`${W}/orphan.result.json`, "{}\n");
    platform.writeFile(`${W}/processed/dup.json`, job("dup"));
    platform.writeFile(`${W}/failed/dup.json`, job("dup"));
    platform.writeFile(`${W}/processed_manifest.json`, JSON.stringify({ version: 1, entries }));

    const actions = await resetJobs(platform, W, { all: true });
    const of = (kind: string) => actions.filter((a) => a.action === kind);
    const sorted = (xs: string[]) => [...xs].sort();
    expect(sorted(of("moved").map((a) => (a as { to: string }).to))).toEqual(
      sorted([...names.map((s) => `${W}/${s}.json`), `${W}/dup.json`]),
    );
    expect(of("moved")).toContainEqual({ action: "moved", from: `${W}/processed/dup.json`, to: `${W}/dup.json` });
    expect(of("refused")).toEqual([
      { action: "refused", path: `${W}/failed/dup.json`, reason: `${W}/dup.json already exists; not overwritten` },
    ]);
    expect(sorted(of("removed_result").map((a) => (a as { path: string }).path))).toEqual(
      sorted([...names.map((s) => `${W}/${s}.result.json`), `${W}/orphan.result.json`]),
    );
    expect(of("removed_manifest_entry").length).toBe(n + 100);
    expect(platform.json(`${W}/processed_manifest.json`)).toEqual({ version: 1, entries: {} });
    expect(platform.filesUnder(`${W}/processed`)).toEqual([]);
    expect(platform.filesUnder(`${W}/failed`)).toEqual([`${W}/failed/dup.json`]);
  });

  test("refused while a live runner holds the lock", async () => {
    const { platform } = setup({ ".proxx.lock": JSON.stringify({ pid: 31, host: "fakehost", started_at: "t" }) });
    platform.alivePids.add(31);
    await expect(resetJobs(platform, W, { all: true })).rejects.toBeInstanceOf(LockHeldError);
  });

  test("resetting a job clears its in-flight record (fresh attempt count)", async () => {
    const { platform } = setup({ "a.json": job("a"), "a.result.json": "{}\n" });
    platform.writeFile(
      `${W}/.proxx.inflight.json`,
      JSON.stringify({ version: 1, jobspec_path: `${W}/a.json`, sha256: "x", attempts: 2, started_at: "t", pid: 1 }),
    );
    const actions = await resetJobs(platform, W, { jobs: ["a"] });
    expect(actions).toContainEqual({ action: "cleared_inflight", path: `${W}/a.json` });
  });
});
