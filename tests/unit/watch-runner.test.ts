import { describe, expect, test } from "bun:test";
import { sha256Hex } from "../../src/watch/hash.ts";
import { serializeManifest } from "../../src/watch/manifest.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("seed idempotency table", () => {
  test("no prior record: runs, writes result beside it, moves to processed/, records manifest", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    const summary = await run();
    expect(jobs.calls).toEqual([`${W}/a.json`]);
    expect(summary).toMatchObject({ processed: 1, completed: 1, failed: 0, invalid: 0, interrupted: false });
    const result = platform.json(`${W}/a.result.json`);
    expect(result.final_status).toBe("COMPLETED");
    expect(result._metadata.jobspec_path).toBe(`${W}/a.json`);
    expect(result._metadata.result_written_at).toMatch(/^\d{4}-\d\d-\d\dT.*\+00:00$/);
    expect(platform.text(`${W}/a.result.json`).endsWith("}\n")).toBe(true);
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/a.json`)).toBe(false);
    const manifest = platform.json(`${W}/processed_manifest.json`);
    expect(manifest.version).toBe(1);
    expect(manifest.entries[`${W}/a.json`]).toEqual({
      sha256: await sha256Hex(enc(job("a"))),
      processed_at: expect.stringMatching(/\+00:00$/),
      result_status: "COMPLETED",
    });
    expect(platform.text(`${W}/processed_manifest.json`)).toBe(serializeManifest(manifest));
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("skip 1: result file exists (even with no manifest record)", async () => {
    const { platform, jobs, run, events } = setup({ "a.json": job("a"), "a.result.json": "{}\n" });
    const summary = await run();
    expect(jobs.calls).toEqual([]);
    expect(summary.skipped).toBe(1);
    expect(platform.exists(`${W}/a.json`)).toBe(true);
    expect(events).toContainEqual({ type: "skip", jobspec_path: `${W}/a.json`, reason: "result file exists" });
  });

  test("skip 2: manifest has this path with the same sha256", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    platform.writeFile(
      `${W}/processed_manifest.json`,
      serializeManifest({
        version: 1,
        entries: {
          [`${W}/a.json`]: { sha256: await sha256Hex(enc(job("a"))), processed_at: "x", result_status: "COMPLETED" },
        },
      }),
    );
    expect((await run()).skipped).toBe(1);
    expect(jobs.calls).toEqual([]);
  });

  test("re-process: hash differs from manifest and no result file", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a", { v: 2 }) });
    platform.writeFile(
      `${W}/processed_manifest.json`,
      serializeManifest({
        version: 1,
        entries: {
          [`${W}/a.json`]: { sha256: await sha256Hex(enc(job("a"))), processed_at: "x", result_status: "COMPLETED" },
        },
      }),
    );
    await run();
    expect(jobs.calls).toEqual([`${W}/a.json`]);
    expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/a.json`].sha256).toBe(
      await sha256Hex(enc(job("a", { v: 2 }))),
    );
  });

  test("hash differs but result present: the result file wins (skipped)", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a", { v: 2 }), "a.result.json": "{}\n" });
    platform.writeFile(
      `${W}/processed_manifest.json`,
      serializeManifest({
        version: 1,
        entries: {
          [`${W}/a.json`]: { sha256: await sha256Hex(enc(job("a"))), processed_at: "x", result_status: "COMPLETED" },
        },
      }),
    );
    expect((await run()).skipped).toBe(1);
    expect(jobs.calls).toEqual([]);
  });
});

describe("re-runs", () => {
  test("a second --once changes nothing (byte-identical folder)", async () => {
    const { platform, jobs, run } = setup({
      "a.json": job("a"),
      "b.json": job("b", { outcome: "FAILED" }),
      "c.json": "nope",
    });
    const first = await run();
    expect(first).toMatchObject({ processed: 3, completed: 1, failed: 1, invalid: 1 });
    const before = platform.snapshot(W);
    platform.advance(60_000);
    const second = await run();
    expect(second).toMatchObject({ processed: 0, skipped: 0 });
    expect(platform.snapshot(W)).toEqual(before);
    expect(jobs.calls.length).toBe(3);
  });

  test("modified JobSpec dropped again: result present → skipped; result removed → runs again", async () => {
    const { platform, jobs, run } = setup({ "a.json": job("a") });
    await run();
    platform.writeFile(`${W}/a.json`, job("a", { v: 2 }));
    await run();
    expect(jobs.calls.length).toBe(1);
    await platform.remove(`${W}/a.result.json`);
    await run();
    expect(jobs.calls.length).toBe(2);
    // moved under a clash name: the first one is in processed/a.json already
    const moved = platform.filesUnder(`${W}/processed`);
    expect(moved.length).toBe(2);
    expect(moved[0]).toBe(`${W}/processed/a.json`);
    expect(moved[1]).toMatch(/\/processed\/a_\d{8}T\d{6}\.json$/);
  });

  test("name clash: _<stamp> then _2, _3; nothing overwritten", async () => {
    const { platform, run } = setup({ "a.json": job("a") });
    platform.writeFile(`${W}/processed/a.json`, "old0");
    platform.writeFile(`${W}/processed/a_20251228T120010.json`, "old1"); // setup advanced 10 s
    platform.writeFile(`${W}/processed/a_20251228T120010_2.json`, "old2");
    await run();
    expect(platform.text(`${W}/processed/a.json`)).toBe("old0");
    expect(platform.text(`${W}/processed/a_20251228T120010.json`)).toBe("old1");
    expect(platform.text(`${W}/processed/a_20251228T120010_2.json`)).toBe("old2");
    expect(platform.text(`${W}/processed/a_20251228T120010_3.json`)).toBe(job("a"));
  });

  test("sorted, sequential processing in code-unit order", async () => {
    const { jobs, run } = setup({ "b.json": job("b"), "B.json": job("B"), "a.json": job("a"), "a_1.json": job("a1") });
    await run();
    expect(jobs.calls.map((p) => p.slice(W.length + 1))).toEqual(["B.json", "a.json", "a_1.json", "b.json"]);
  });

  test("unchanged files are hashed once per process (cache)", async () => {
    const { platform, run, controller } = setup({ "a.json": job("a"), "a.result.json": "{}\n", "m.json": job("m") });
    platform.writeFile(
      `${W}/processed_manifest.json`,
      serializeManifest({
        version: 1,
        entries: {
          [`${W}/m.json`]: { sha256: await sha256Hex(enc(job("m"))), processed_at: "x", result_status: "COMPLETED" },
        },
      }),
    );
    let sleeps = 0;
    platform.onSleep.push(() => {
      if (++sleeps >= 50) controller.abort();
    });
    const summary = await run({ once: false, pollSeconds: 1 });
    expect(summary.interrupted).toBe(true);
    expect(summary.skipped).toBe(2); // reported once each, not every poll
    expect(platform.log.filter((l) => l === `readFile ${W}/m.json`).length).toBe(1);
  });
});

describe("invalid JobSpecs and failing jobs never stop the runner", () => {
  const cases: Record<string, string | Uint8Array> = {
    "bad-json.json": "{ nope",
    "array.json": "[1,2]",
    "empty.json": "",
    "latin1.json": new Uint8Array([0x7b, 0xe9, 0x7d]),
  };
  for (const [name, body] of Object.entries(cases)) {
    test(`${name} → PARTIAL result, failed/, manifest, never again`, async () => {
      const { platform, jobs, run } = setup({ "z.json": job("z") });
      platform.writeFile(`${W}/${name}`, body);
      const s = await run();
      expect(s).toMatchObject({ processed: 2, invalid: 1, completed: 1 });
      const stem = name.slice(0, -5);
      expect(platform.json(`${W}/${stem}.result.json`).final_status).toBe("PARTIAL");
      expect(platform.exists(`${W}/failed/${name}`)).toBe(true);
      expect(platform.json(`${W}/processed_manifest.json`).entries[`${W}/${name}`].result_status).toBe("PARTIAL");
      await run();
      expect(jobs.calls.length).toBe(2);
    });
  }

  test("a RunJob that throws becomes FAILED with the reason; next job still runs", async () => {
    const { platform, run } = setup({
      "a.json": JSON.stringify({ job_id: "boom", throw: "kaput" }),
      "b.json": job("b"),
    });
    const s = await run();
    expect(s).toMatchObject({ processed: 2, failed: 1, completed: 1 });
    const r = platform.json(`${W}/a.result.json`);
    expect(r.final_status).toBe("FAILED");
    expect(r.job_id).toBe("boom");
    expect(r.failure_reason).toContain("kaput");
    expect(platform.exists(`${W}/failed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/processed/b.json`)).toBe(true);
  });

  test("a RunJob returning a non-JobResult becomes FAILED", async () => {
    const { platform, run } = setup({ "a.json": JSON.stringify({ bogus: true }) });
    await run();
    expect(platform.json(`${W}/a.result.json`).failure_reason).toContain("invalid JobResult");
  });

  test("FAILED job goes to failed/", async () => {
    const { platform, run } = setup({ "a.json": job("a", { outcome: "FAILED" }) });
    expect((await run()).failed).toBe(1);
    expect(platform.exists(`${W}/failed/a.json`)).toBe(true);
  });
});

describe("what is taken", () => {
  test("hidden, temporary, result, manifest, lock, non-json and directories are ignored", async () => {
    const { platform, jobs, run } = setup({
      ".hidden.json": job("h"),
      "x.tmp": job("t"),
      "x.json.tmp": job("t"),
      "x.json.part": job("p"),
      "x.json~": job("e"),
      "notes.txt": "hi",
      "real.json": job("r"),
    });
    platform.mkdirSync(`${W}/dir.json`);
    platform.writeFile(`${W}/sub/inner.json`, job("i"));
    await run();
    expect(jobs.calls).toEqual([`${W}/real.json`]);
  });

  test("settle: a file growing across scans is not taken until unchanged for settleSeconds", async () => {
    const { platform, jobs, run, events } = setup({}, { age: 0 });
    platform.writeFile(`${W}/a.json`, '{"job_id":');
    let grows = 3;
    let firstCallAt = -1;
    jobs.during = () => {
      firstCallAt = platform.now();
    };
    const start = platform.now();
    platform.onSleep.push(() => {
      if (grows-- > 0) platform.appendFile(`${W}/a.json`, " ");
      else if (grows === -1) platform.writeFile(`${W}/a.json`, job("a"));
    });
    await run({ settleSeconds: 2 });
    expect(jobs.calls).toEqual([`${W}/a.json`]);
    expect(platform.json(`${W}/a.result.json`).final_status).toBe("COMPLETED");
    expect(firstCallAt - start).toBeGreaterThanOrEqual(2000);
    expect(events.some((e) => e.type === "settling")).toBe(true);
  });

  test("--once waits for a just-dropped file, then processes it", async () => {
    const { platform, jobs, run } = setup({}, { age: 0 });
    platform.writeFile(`${W}/a.json`, job("a"));
    await run({ settleSeconds: 2 });
    expect(jobs.calls.length).toBe(1);
    expect(platform.now()).toBeGreaterThanOrEqual(2000 + Date.UTC(2025, 11, 28, 12));
  });

  test("--once gives up on a file that never stops changing", async () => {
    const { platform, jobs, run, events } = setup({}, { age: 0 });
    platform.writeFile(`${W}/a.json`, "{");
    platform.onSleep.push(() => platform.appendFile(`${W}/a.json`, " "));
    const s = await run({ settleSeconds: 2, onceSettleTimeoutSeconds: 10 });
    expect(jobs.calls).toEqual([]);
    expect(s.skipped).toBe(1);
    expect(events.some((e) => e.type === "skip" && e.reason.includes("still being written"))).toBe(true);
    expect(platform.exists(`${W}/a.json`)).toBe(true);
  });
});

describe("corrupt manifest", () => {
  test("copied aside, warning, empty manifest; result files still prevent re-runs", async () => {
    const { platform, jobs, run, events } = setup({ "a.json": job("a"), "a.result.json": "{}\n", "b.json": job("b") });
    platform.writeFile(`${W}/processed_manifest.json`, "{ truncated");
    await run();
    expect(platform.text(`${W}/processed_manifest.json.corrupt-20251228T120010`)).toBe("{ truncated");
    expect(events.some((e) => e.type === "warning" && e.message.includes("corrupt"))).toBe(true);
    expect(jobs.calls).toEqual([`${W}/b.json`]);
    expect(Object.keys(platform.json(`${W}/processed_manifest.json`).entries)).toEqual([`${W}/b.json`]);
  });

  test("schema-invalid manifest is corrupt too", async () => {
    const { platform, events, run } = setup({});
    platform.writeFile(`${W}/processed_manifest.json`, '{"version":2,"entries":{}}');
    await run();
    expect(events.some((e) => e.type === "warning" && e.message.includes("version"))).toBe(true);
    expect(platform.json(`${W}/processed_manifest.json`)).toEqual({ version: 1, entries: {} });
  });
});

describe("abort", () => {
  test("abort mid-job: JobSpec stays pending, no result, no manifest entry, lock released", async () => {
    const { platform, jobs, run, controller, events } = setup({
      "a.json": JSON.stringify({ hang: true }),
      "b.json": job("b"),
    });
    jobs.during = () => {
      platform.onSleep.push(() => controller.abort());
    };
    const s = await run();
    expect(s.interrupted).toBe(true);
    expect(events.filter((e) => e.type === "job_left_pending").map((e) => (e as { jobspec_path: string }).jobspec_path))
      .toEqual([`${W}/a.json`]);
    expect(jobs.calls).toEqual([`${W}/a.json`]);
    expect(platform.exists(`${W}/a.json`)).toBe(true);
    expect(platform.exists(`${W}/a.result.json`)).toBe(false);
    expect(platform.exists(`${W}/processed_manifest.json`)).toBe(false);
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("continuous mode polls until aborted and picks up new files", async () => {
    const { platform, jobs, run, controller } = setup({ "a.json": job("a") });
    let sleeps = 0;
    platform.onSleep.push(() => {
      sleeps++;
      if (sleeps === 20) platform.writeFile(`${W}/b.json`, job("b"));
      if (sleeps === 100) controller.abort();
    });
    const s = await run({ once: false, settleSeconds: 2, pollSeconds: 2 });
    expect(s).toMatchObject({ processed: 2, interrupted: true });
    expect(jobs.calls).toEqual([`${W}/a.json`, `${W}/b.json`]);
  });

  test("INTERRUPTED without a stop request is recorded as FAILED (no retry loop)", async () => {
    const { platform, run, jobs } = setup({ "a.json": job("a") });
    jobs.runJob = async () =>
      (await import("../helpers/watch-fixtures.ts")).fakeResult("INTERRUPTED", "a", "ffmpeg got SIGINT");
    await run();
    expect(platform.json(`${W}/a.result.json`).final_status).toBe("FAILED");
  });
});

describe("prefetch hint", () => {
  test("each job taken names the next queued JobSpec, in order; the hint changes no outcome", async () => {
    const files = { "a.json": job("a"), "b.json": job("b", { outcome: "FAILED" }), "c.json": job("c") };
    const hinted = setup(files);
    const hints: string[] = [];
    const withHints = await hinted.run({ prefetch: (path) => hints.push(path) });
    expect(hints).toEqual([`${W}/b.json`, `${W}/c.json`]);
    expect(hinted.jobs.calls).toEqual([`${W}/a.json`, `${W}/b.json`, `${W}/c.json`]);

    const plain = setup(files);
    expect(await plain.run()).toEqual(withHints);
    expect(plain.platform.snapshot(W)).toEqual(hinted.platform.snapshot(W));
  });
});
