/**
 * Simulated kill -9 at each step of the job order: build the on-disk state the crash
 * would leave, start a fresh runner, check the final state and that no job whose result
 * was written runs again.
 */
import { describe, expect, test } from "bun:test";
import { sha256Hex } from "../../src/watch/hash.ts";
import { serializeManifest } from "../../src/watch/manifest.ts";
import { fakeResult, job, setup, W } from "../helpers/watch-fixtures.ts";

const A = `${W}/a.json`;
const enc = (s: string) => new TextEncoder().encode(s);

async function inflight(attempts = 1, body = job("a"), extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    version: 1,
    jobspec_path: A,
    sha256: await sha256Hex(enc(body)),
    attempts,
    started_at: "2025-12-28T11:00:00.000000+00:00",
    pid: 999,
    ...extra,
  });
}

const RESULT = JSON.stringify({ job_id: "a", final_status: "COMPLETED", _metadata: { jobspec_path: A } }, null, 2) +
  "\n";

describe("crash points", () => {
  test("after in-flight mark (mid-encode): re-runs, attempt 2", async () => {
    const { platform, jobs, run, events } = setup({ "a.json": job("a"), ".proxx.inflight.json": await inflight(1) });
    const inflightSeen: number[] = [];
    jobs.during = () => void inflightSeen.push(platform.json(`${W}/.proxx.inflight.json`).attempts);
    const s = await run();
    expect(jobs.calls).toEqual([A]);
    expect(inflightSeen).toEqual([2]);
    expect(s.recovered).toBe(1);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
    expect(events.some((e) => e.type === "recovered" && e.action.includes("run again"))).toBe(true);
  });

  test("interrupted twice: failed with a clear reason, cleanupPartials called, not run", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), ".proxx.inflight.json": await inflight(2) });
    const cleaned: string[] = [];
    const s = await run({ cleanupPartials: (r) => Promise.resolve(void cleaned.push(r.jobspec_path)) });
    expect(jobs.calls).toEqual([]);
    expect(cleaned).toEqual([A]);
    expect(s).toMatchObject({ failed: 1, recovered: 1 });
    const r = platform.json(`${W}/a.result.json`);
    expect(r.final_status).toBe("FAILED");
    expect(r.failure_reason).toContain("interrupted 2 times");
    expect(platform.exists(`${W}/failed/a.json`)).toBe(true);
    expect(platform.json(`${W}/processed_manifest.json`).entries[A].result_status).toBe("FAILED");
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("a poison job that crashes the runner every time ends failed after two starts", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    const crash = new Error("kill -9");
    // Simulate the kill: the runner dies while the job runs, so bookkeeping never happens.
    jobs.runJob = async (path) => {
      jobs.calls.push(path);
      platform.failNext("writeFileAtomic", crash); // the result write "never happens"
      return (await import("../helpers/watch-fixtures.ts")).fakeResult("COMPLETED", "a");
    };
    await expect(run()).rejects.toBe(crash);
    expect(platform.json(`${W}/.proxx.inflight.json`).attempts).toBe(1);
    await expect(run()).rejects.toBe(crash);
    expect(platform.json(`${W}/.proxx.inflight.json`).attempts).toBe(2);
    await run();
    expect(jobs.calls.length).toBe(2);
    expect(platform.json(`${W}/a.result.json`).failure_reason).toContain("interrupted 2 times");
  });

  test("after result, before move: moved + recorded, NOT re-run, result untouched", async () => {
    const { platform, jobs, run } = setup({
      "a.json": job("a"),
      "a.result.json": RESULT,
      ".proxx.inflight.json": await inflight(1),
    });
    await run();
    expect(jobs.calls).toEqual([]);
    expect(platform.text(`${W}/a.result.json`)).toBe(RESULT);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.json(`${W}/processed_manifest.json`).entries[A]).toMatchObject({
      sha256: await sha256Hex(enc(job("a"))),
      result_status: "COMPLETED",
    });
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("after move, before manifest: entry added, not re-run", async () => {
    const { platform, jobs, run } = setup({
      "processed/a.json": job("a"),
      "a.result.json": RESULT,
      ".proxx.inflight.json": await inflight(1),
    });
    await run();
    expect(jobs.calls).toEqual([]);
    expect(platform.json(`${W}/processed_manifest.json`).entries[A].result_status).toBe("COMPLETED");
    expect(platform.filesUnder(`${W}/processed`)).toEqual([`${W}/processed/a.json`]);
  });

  test("after manifest, before clearing in-flight: record cleared, manifest unchanged", async () => {
    const manifest = serializeManifest({
      version: 1,
      entries: {
        [A]: {
          sha256: await sha256Hex(enc(job("a"))),
          processed_at: "2025-12-28T11:00:01.000000+00:00",
          result_status: "COMPLETED",
        },
      },
    });
    const { platform, jobs, run } = setup({
      "processed/a.json": job("a"),
      "a.result.json": RESULT,
      "processed_manifest.json": manifest,
      ".proxx.inflight.json": await inflight(1),
    });
    await run();
    expect(jobs.calls).toEqual([]);
    expect(platform.text(`${W}/processed_manifest.json`)).toBe(manifest);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("result exists + JobSpec in root WITHOUT in-flight record: seed skip, not moved", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), "a.result.json": RESULT });
    await run();
    expect(jobs.calls).toEqual([]);
    expect(platform.exists(A)).toBe(true);
  });

  test("in-flight record for a JobSpec changed since: cleared, runs as a new job", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a", { v: 2 }), ".proxx.inflight.json": await inflight(2) });
    await run();
    expect(jobs.calls).toEqual([A]);
    expect(platform.json(`${W}/a.result.json`).final_status).toBe("COMPLETED");
  });

  test("in-flight record whose JobSpec is gone: cleared with a warning", async () => {
    const { platform, events, run } = setup({ ".proxx.inflight.json": await inflight(1) });
    await run();
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
    expect(events.some((e) => e.type === "warning" && e.message.includes("gone"))).toBe(true);
  });

  test("orphan atomic-write temp files are removed; the target is intact", async () => {
    const { platform, run } = setup({
      "processed_manifest.json.tmp-77": "{ half",
      "a.result.json.tmp-77": "{ half",
      "user.json.tmp-77": "not ours? ends .json.tmp-N but is a user file",
    });
    await run();
    expect(platform.exists(`${W}/processed_manifest.json.tmp-77`)).toBe(false);
    expect(platform.exists(`${W}/a.result.json.tmp-77`)).toBe(false);
    expect(platform.exists(`${W}/user.json.tmp-77`)).toBe(true);
  });

  test("an I/O error in bookkeeping stops the runner, lock released, in-flight kept for recovery", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    jobs.during = () => platform.failNext("rename"); // the move fails after the result is written
    await expect(run()).rejects.toThrow("EIO");
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    expect(platform.exists(`${W}/a.result.json`)).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(true);
    await run();
    expect(jobs.calls.length).toBe(1);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("step order on disk: inflight → result → move → manifest entry (journal) → clear, then the fold when idle", async () => {
    const { platform, run } = setup({ "a.json": job("a") });
    await run();
    const writes = platform.log.filter((l) =>
      /^(writeFileAtomic|rename|remove|appendFileDurable) /.test(l) && !l.includes(".proxx.lock")
    );
    expect(writes).toEqual([
      `writeFileAtomic ${W}/.proxx.inflight.json`,
      `writeFileAtomic ${W}/a.result.json`,
      `rename ${A} -> ${W}/processed/a.json`,
      `remove ${W}/.proxx.manifest-journal`,
      `appendFileDurable ${W}/.proxx.manifest-journal`,
      `remove ${W}/.proxx.inflight.json`,
      `writeFileAtomic ${W}/processed_manifest.json`,
      `remove ${W}/.proxx.manifest-journal`,
    ]);
  });
});

describe("FFmpeg left running by a killed runner", () => {
  const TEMP = "/out/.a_proxy.mov.proxx-partial";
  const orphan = { ffmpeg_pid: 4321, ffmpeg_temp_path: TEMP };

  test("is stopped (SIGKILL) before the job runs again, once its argv shows it is that FFmpeg", async () => {
    const { platform, jobs, run, events } = setup({
      "a.json": job("a"),
      ".proxx.inflight.json": await inflight(1, job("a"), orphan),
    });
    platform.alivePids.add(4321);
    platform.processTable.set(4321, ["/usr/bin/ffmpeg", "-i", "file:/m/a.mov", "-f", "mov", `file:${TEMP}`]);
    let killedBeforeRun = false;
    jobs.during = () => void (killedBeforeRun = platform.kills.some((k) => k.pid === 4321));
    await run();
    expect(platform.kills).toEqual([{ pid: 4321, signal: "SIGKILL" }]);
    expect(killedBeforeRun).toBe(true);
    expect(events.some((e) => e.type === "warning" && e.message.includes("stopped FFmpeg pid 4321"))).toBe(true);
    expect(jobs.calls).toEqual([A]);
  });

  test("also before a poison job is failed and its partials cleaned", async () => {
    const { platform, run } = setup({
      "a.json": job("a"),
      ".proxx.inflight.json": await inflight(2, job("a"), orphan),
    });
    platform.alivePids.add(4321);
    platform.processTable.set(4321, ["ffmpeg", `file:${TEMP}`]);
    const order: string[] = [];
    await run({
      cleanupPartials: () => Promise.resolve(void order.push(`cleanup after ${platform.kills.length} kill(s)`)),
    });
    expect(order).toEqual(["cleanup after 1 kill(s)"]);
  });

  test("killed between recording the temp path and the pid: the FFmpeg is found by its argv in /proc", async () => {
    const { platform, jobs, run } = setup({
      "a.json": job("a"),
      ".proxx.inflight.json": await inflight(1, job("a"), { ffmpeg_temp_path: TEMP }),
    });
    for (const pid of [1, 4321, 5000]) platform.mkdirSync(`/proc/${pid}`);
    platform.alivePids.add(4321).add(5000);
    platform.processTable.set(5000, ["/usr/sbin/sshd", "-D"]);
    platform.processTable.set(4321, ["ffmpeg", "-i", "file:/m/a.mov", `file:${TEMP}`]);
    await run();
    expect(platform.kills).toEqual([{ pid: 4321, signal: "SIGKILL" }]);
    expect(jobs.calls).toEqual([A]);
  });

  test("the temp path is in the record before FFmpeg starts (the engine awaits beforeSpawn)", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    const seen: unknown[] = [];
    jobs.runJob = async (_path, _signal, _onEvent, hooks) => {
      await hooks!.beforeSpawn(TEMP);
      seen.push(platform.json(`${W}/.proxx.inflight.json`));
      return fakeResult("COMPLETED", "a", null);
    };
    await run();
    expect(seen).toEqual([expect.objectContaining({ jobspec_path: A, ffmpeg_temp_path: TEMP })]);
  });

  test("a reused pid (another program's argv) is never signalled", async () => {
    const { platform, jobs, run } = setup({
      "a.json": job("a"),
      ".proxx.inflight.json": await inflight(1, job("a"), orphan),
    });
    platform.alivePids.add(4321);
    platform.processTable.set(4321, ["/usr/sbin/sshd", "-D"]);
    await run();
    expect(platform.kills).toEqual([]);
    expect(jobs.calls).toEqual([A]);
  });

  test("a pid that is gone: nothing to stop", async () => {
    const { platform, run, events } = setup({
      "a.json": job("a"),
      ".proxx.inflight.json": await inflight(1, job("a"), orphan),
    });
    await run();
    expect(platform.kills).toEqual([]);
    expect(events.some((e) => e.type === "warning" && e.message.includes("FFmpeg pid"))).toBe(false);
  });

  test("each FFmpeg's pid and temp file are written into the in-flight record while the job runs", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    const seen: unknown[] = [];
    jobs.runJob = async (_path, _signal, _onEvent, hooks) => {
      hooks!.afterSpawn(77, TEMP);
      await platform.sleep(1);
      seen.push(platform.json(`${W}/.proxx.inflight.json`));
      return fakeResult("COMPLETED", "a", null);
    };
    await run();
    expect(seen).toEqual([expect.objectContaining({ jobspec_path: A, ffmpeg_pid: 77, ffmpeg_temp_path: TEMP })]);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
  });
});
