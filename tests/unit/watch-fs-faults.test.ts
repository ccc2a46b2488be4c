/**
 * Filesystem faults in the watch-folder runner, on the fake platform (docs/reliability.md,
 * "Filesystem faults and security"): a disk that fills up (ENOSPC), a folder that turns
 * read-only (EROFS/EACCES), JobSpecs deleted or replaced between scan and claim, a JobSpec
 * that cannot be read. Faults are injected per path through the adapter, so each test hits
 * exactly one step of docs/crash-safety.md.
 *
 * Every case checks the same four things: a clear reason naming the file (an event, or the
 * thrown error), nothing lost (every JobSpec in the root, processed/ or failed/), the
 * manifest still parses, and the runner either goes on or stops with the lock released and
 * the next start finishing the job.
 */
import { describe, expect, test } from "bun:test";
import type { ProxxEvent } from "../../src/engine/events.ts";
import { sha256Hex } from "../../src/watch/hash.ts";
import { SYMLINK_SKIP_REASON } from "../../src/watch/names.ts";
import type { FakePlatform } from "../helpers/fake-platform.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

type Op = "writeFileAtomic" | "appendFileDurable" | "rename" | "createExclusive" | "readFile" | "mkdir" | "remove";

function osError(code: string, op: string, path: string): Error {
  const text: Record<string, string> = {
    ENOSPC: "no space left on device",
    EROFS: "read-only file system",
    EACCES: "permission denied",
  };
  return Object.assign(new Error(`${code}: ${text[code] ?? "error"}, ${op} '${path}'`), { code, path });
}

/** The next `times` calls of `op` whose first path argument satisfies `match` fail with `code`. */
function failOn(p: FakePlatform, op: Op, match: (path: string) => boolean, code: string, times = 1): void {
  const real = (p[op] as (...a: unknown[]) => Promise<unknown>).bind(p);
  let left = times;
  (p as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => {
    const path = String(args[0]);
    if (left > 0 && match(path)) {
      left--;
      return Promise.reject(osError(code, op, path));
    }
    return real(...args);
  };
}

const warnings = (events: ProxxEvent[]) => events.flatMap((e) => (e.type === "warning" ? [e.message] : []));

/** Every JobSpec name still somewhere: root, processed/ or failed/ (possibly renamed on a clash). */
function whereIs(p: FakePlatform, stem: string): string[] {
  return p.filesUnder(W).filter((f) =>
    [`${W}/${stem}.json`, `${W}/processed/${stem}`, `${W}/failed/${stem}`].some((prefix) => f.startsWith(prefix)) &&
    !f.includes(".result.")
  );
}

function manifestParses(p: FakePlatform): void {
  if (p.exists(`${W}/processed_manifest.json`)) expect(p.json(`${W}/processed_manifest.json`).version).toBe(1);
}

describe("disk full (ENOSPC) and read-only folder during bookkeeping", () => {
  test("ENOSPC writing the result: warning names the file, runner stops, lock released; the next start re-runs and finishes", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    failOn(platform, "writeFileAtomic", (path) => path === `${W}/a.result.json`, "ENOSPC");
    await expect(run()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(
      warnings(events).some((m) =>
        m.includes(`could not write the result file ${W}/a.result.json`) && m.includes("ENOSPC") &&
        m.includes("runner stops")
      ),
    ).toBe(true);
    expect(jobs.calls).toEqual([`${W}/a.json`]); // b was not started: the runner stopped cleanly
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    expect(platform.exists(`${W}/a.result.json`)).toBe(false);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(true); // recovery knows what was interrupted
    expect(whereIs(platform, "a")).toEqual([`${W}/a.json`]);
    expect(whereIs(platform, "b")).toEqual([`${W}/b.json`]);
    manifestParses(platform);

    const second = await run(); // space freed
    expect(second).toMatchObject({ processed: 2, completed: 2 });
    expect(whereIs(platform, "a")).toEqual([`${W}/processed/a.json`]);
    expect(whereIs(platform, "b")).toEqual([`${W}/processed/b.json`]);
    expect(Object.keys(platform.json(`${W}/processed_manifest.json`).entries).sort()).toEqual([
      `${W}/a.json`,
      `${W}/b.json`,
    ]);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("ENOSPC appending the manifest entry: the old manifest is intact; the next start records the entry without re-running", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a") });
    await run();
    const before = platform.text(`${W}/processed_manifest.json`);
    platform.writeFile(`${W}/b.json`, job("b"));
    platform.advance(10_000);
    failOn(platform, "appendFileDurable", (path) => path === `${W}/.proxx.manifest-journal`, "ENOSPC");
    await expect(run()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(warnings(events).some((m) => m.includes(`could not update ${W}/processed_manifest.json`))).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(true);
    expect(platform.text(`${W}/processed_manifest.json`)).toBe(before);
    expect(platform.json(`${W}/b.result.json`).final_status).toBe("COMPLETED");
    expect(whereIs(platform, "b")).toEqual([`${W}/processed/b.json`]);
    await run();
    expect(jobs.calls.filter((c) => c.endsWith("b.json")).length).toBe(1);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/b.json`].sha256).toBe(
      await sha256Hex(new TextEncoder().encode(job("b"))),
    );
  });

  test("ENOSPC folding the journal into the manifest: the file is intact, the entry is safe in the journal, the next start folds it", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a") });
    await run();
    const before = platform.text(`${W}/processed_manifest.json`);
    platform.writeFile(`${W}/b.json`, job("b"));
    platform.advance(10_000);
    failOn(platform, "writeFileAtomic", (path) => path === `${W}/processed_manifest.json`, "ENOSPC");
    await expect(run()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(
      warnings(events).some((m) =>
        m.includes(`could not update ${W}/processed_manifest.json`) && m.includes(".proxx.manifest-journal")
      ),
    ).toBe(true);
    expect(platform.text(`${W}/processed_manifest.json`)).toBe(before);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
    expect(platform.text(`${W}/.proxx.manifest-journal`)).toContain(`${W}/b.json`);
    await run();
    expect(jobs.calls.filter((c) => c.endsWith("b.json")).length).toBe(1);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/b.json`].result_status).toBe("COMPLETED");
    expect(platform.exists(`${W}/.proxx.manifest-journal`)).toBe(false);
  });

  test("processed/ turned read-only (EROFS on the move): the JobSpec stays in the root; the next start moves it, not re-run", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a") });
    failOn(platform, "rename", (path) => path === `${W}/a.json`, "EROFS");
    await expect(run()).rejects.toMatchObject({ code: "EROFS" });
    expect(
      warnings(events).some((m) =>
        m.includes(`could not move ${W}/a.json into ${W}/processed/`) && m.includes("read-only")
      ),
    ).toBe(true);
    expect(whereIs(platform, "a")).toEqual([`${W}/a.json`]);
    expect(platform.exists(`${W}/a.result.json`)).toBe(true);
    await run();
    expect(jobs.calls.length).toBe(1);
    expect(whereIs(platform, "a")).toEqual([`${W}/processed/a.json`]);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/a.json`].result_status).toBe("COMPLETED");
  });

  test("watch folder not writable (EACCES on the in-flight record): nothing runs, nothing moves, the runner stops", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a") });
    failOn(platform, "writeFileAtomic", (path) => path.startsWith(`${W}/.proxx.inflight`), "EACCES");
    await expect(run()).rejects.toMatchObject({ code: "EACCES" });
    expect(jobs.calls).toEqual([]);
    expect(
      warnings(events).some((m) =>
        m.includes(`could not write the in-flight record in ${W}`) && m.includes(`${W}/a.json`)
      ),
    ).toBe(true);
    expect(whereIs(platform, "a")).toEqual([`${W}/a.json`]);
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    await run();
    expect(whereIs(platform, "a")).toEqual([`${W}/processed/a.json`]);
  });

  test("watch folder read-only from the start (EROFS on the lock): the error names the lock file and nothing is touched", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    const before = platform.snapshot(W);
    failOn(platform, "createExclusive", (path) => path === `${W}/.proxx.lock`, "EROFS");
    await expect(run()).rejects.toThrow(`${W}/.proxx.lock`);
    expect(jobs.calls).toEqual([]);
    expect(platform.snapshot(W)).toEqual(before);
  });

  test("a corrupt manifest that cannot be copied aside (ENOSPC) is not replaced: the runner does not start", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "processed_manifest.json": "{ not json" });
    failOn(platform, "writeFileAtomic", (path) => path.includes(".corrupt-"), "ENOSPC");
    await expect(run()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(jobs.calls).toEqual([]);
    expect(platform.text(`${W}/processed_manifest.json`)).toBe("{ not json");
    expect(warnings(events).some((m) => m.includes("could not be copied aside") && m.includes("not starting"))).toBe(
      true,
    );
    await run(); // space freed: copied aside, then processed as usual
    expect(platform.filesUnder(W).some((f) => f.includes("processed_manifest.json.corrupt-"))).toBe(true);
    expect(whereIs(platform, "a")).toEqual([`${W}/processed/a.json`]);
    manifestParses(platform);
  });
});

describe("JobSpecs that change between scan and claim", () => {
  test("deleted after the scan, before its turn: not run, no result, reported; the runner goes on", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "b.json": job("b"), "c.json": job("c") });
    jobs.during = (path) => {
      if (path.endsWith("a.json")) void platform.remove(`${W}/b.json`);
    };
    const summary = await run();
    expect(jobs.calls).toEqual([`${W}/a.json`, `${W}/c.json`]);
    expect(summary).toMatchObject({ processed: 2, completed: 2 });
    expect(platform.exists(`${W}/b.result.json`)).toBe(false);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/b.json`]).toBeUndefined();
    expect(events).toContainEqual({
      type: "skip",
      jobspec_path: `${W}/b.json`,
      reason: "gone before it was taken (removed, renamed or replaced by a link); nothing ran",
    });
  });

  test("replaced after the scan (settle 0): the new bytes run and the manifest records their hash", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    const replacement = job("b2", { outcome: "FAILED" });
    jobs.during = (path) => {
      if (path.endsWith("a.json")) platform.writeFile(`${W}/b.json`, replacement);
    };
    await run();
    expect(platform.json(`${W}/b.result.json`)).toMatchObject({ job_id: "b2", final_status: "FAILED" });
    expect(platform.text(`${W}/failed/b.json`)).toBe(replacement);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/b.json`].sha256).toBe(
      await sha256Hex(new TextEncoder().encode(replacement)),
    );
  });

  test("replaced after the scan (settle 2 s): it waits until the new file has settled, then runs the new bytes", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    jobs.during = (path) => {
      if (path.endsWith("a.json")) platform.writeFile(`${W}/b.json`, job("b2"));
    };
    // settle 2 s: the first sighting starts the clock, so everything waits one settle period.
    await run({ settleSeconds: 2 });
    expect(jobs.calls).toEqual([`${W}/a.json`, `${W}/b.json`]);
    expect(events.some((e) => e.type === "settling" && e.jobspec_path === `${W}/b.json`)).toBe(true);
    expect(platform.json(`${W}/b.result.json`).job_id).toBe("b2");
  });

  test("deleted after it was claimed, before it was read: the result says why; nothing else is touched", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    jobs.during = (path) => {
      if (path.endsWith("a.json")) void platform.remove(path);
    };
    const summary = await run();
    expect(summary).toMatchObject({ processed: 2, invalid: 1, completed: 1 });
    const result = platform.json(`${W}/a.result.json`);
    expect(result.final_status).toBe("PARTIAL");
    expect(result.failure_reason).toContain("ENOENT");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "job_result", jobspec_path: `${W}/a.json`, moved_to: "" }),
    );
    expect(whereIs(platform, "b")).toEqual([`${W}/processed/b.json`]);
    manifestParses(platform);
  });

  test("a JobSpec that cannot be read (EACCES) is skipped with the reason and left in place; the others run", async () => {
    const { platform, jobs, events, run } = setup({ "a.json": job("a"), "b.json": job("b") });
    failOn(platform, "readFile", (path) => path === `${W}/a.json`, "EACCES");
    const summary = await run();
    expect(jobs.calls).toEqual([`${W}/b.json`]);
    expect(summary).toMatchObject({ processed: 1, skipped: 1 });
    const skip = events.find((e) => e.type === "skip" && e.jobspec_path === `${W}/a.json`);
    expect(skip && skip.type === "skip" && skip.reason).toContain("cannot be read (EACCES");
    expect(whereIs(platform, "a")).toEqual([`${W}/a.json`]);
    await run(); // permission fixed
    expect(whereIs(platform, "a")).toEqual([`${W}/processed/a.json`]);
  });
});

test("the symlink skip reason says what to do", () => {
  expect(SYMLINK_SKIP_REASON).toContain("symbolic link");
  expect(SYMLINK_SKIP_REASON).toContain("copy it into the folder");
});
