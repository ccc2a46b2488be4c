import { describe, expect, test } from "bun:test";
import { acquireLock, LockHeldError, readLock } from "../../src/watch/lock.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

const lockText = (pid: number, host = "fakehost") =>
  JSON.stringify({ pid, host, started_at: "2025-12-28T11:00:00.000000+00:00" });

describe("folder lock", () => {
  test("a live holder → LockHeldError with the holder's info; nothing processed", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), ".proxx.lock": lockText(555) });
    platform.alivePids.add(555);
    const error = await run().catch((e) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect(error.holder).toEqual({ pid: 555, host: "fakehost", started_at: "2025-12-28T11:00:00.000000+00:00" });
    expect(jobs.calls).toEqual([]);
    expect(platform.text(`${W}/.proxx.lock`)).toBe(lockText(555));
  });

  test("another host's lock without a lease (a proxx before leases) is never taken over", async () => {
    const { run } = setup({ ".proxx.lock": lockText(555, "otherhost") });
    await expect(run()).rejects.toBeInstanceOf(LockHeldError);
  });

  test("another host's lock with a lease: taken over only after a whole lease without renewal, on our own clock", async () => {
    const { platform, run, events } = setup({
      ".proxx.lock": JSON.stringify({ pid: 555, host: "otherhost", started_at: "t", lease_seconds: 60, renewals: 3 }),
    });
    const t0 = platform.monotonic();
    await run();
    expect(platform.monotonic() - t0).toBeGreaterThanOrEqual(60_000);
    expect(events.some((e) => e.type === "warning" && e.message.includes("its lease was not renewed"))).toBe(true);
  });

  test("stale lock (same host, dead pid) is taken over with a warning, then released", async () => {
    const { platform, jobs, run, events } = setup({ "a.json": job("a"), ".proxx.lock": lockText(555) });
    await run();
    expect(jobs.calls.length).toBe(1);
    expect(events.some((e) => e.type === "warning" && e.message.includes("stale lock of pid 555"))).toBe(true);
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
  });

  test("a lock with our own pid that we do not hold is stale (pid reuse in containers)", async () => {
    const { platform, run } = setup({ ".proxx.lock": lockText(4242) });
    await run();
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
  });

  test("an empty lock (holder killed between create and write) is taken over", async () => {
    const { run, events } = setup({ ".proxx.lock": "" });
    await run();
    expect(events.some((e) => e.type === "warning" && e.message.includes("unreadable lock"))).toBe(true);
  });

  test("two runners in one process: the second gets LockHeldError while the first holds it", async () => {
    const { platform } = setup({});
    const held = await acquireLock(platform, W);
    expect(await readLock(platform, W)).toEqual(held.info);
    await expect(acquireLock(platform, W)).rejects.toBeInstanceOf(LockHeldError);
    await held.release();
    expect(await readLock(platform, W)).toBeNull();
    const again = await acquireLock(platform, W);
    await again.release();
  });

  test("release does not remove somebody else's lock", async () => {
    const { platform } = setup({});
    const held = await acquireLock(platform, W);
    platform.writeFile(`${W}/.proxx.lock`, lockText(777));
    await held.release();
    expect(platform.text(`${W}/.proxx.lock`)).toBe(lockText(777));
  });
});
