/**
 * `--max-workers N` on the fake platform: the same results, manifest, moves and log as a
 * sequential run; jobs really overlap; one in-flight record per running job; crash
 * recovery with several jobs in flight; stop and bookkeeping failure with jobs running.
 */
import { describe, expect, test } from "bun:test";
import type { ProxxEvent } from "../../src/engine/events.ts";
import type { RunJob } from "../../src/watch/runner.ts";
import { sha256Hex } from "../../src/watch/hash.ts";
import { inflightName, inflightSlotOf } from "../../src/watch/inflight.ts";
import { ManifestSerializer, serializeManifest } from "../../src/watch/manifest.ts";
import { OrderedLog } from "../../src/watch/ordered-log.ts";
import type { FakePlatform } from "../helpers/fake-platform.ts";
import { type FakeJobSpec, fakeResult, job, setup, W } from "../helpers/watch-fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * An engine-like fake job: emits job_started, a progress event per step, job_finished
 * through the sink the runner hands it, and takes `steps` sleeps of 100 ms (so jobs of
 * different lengths overlap and finish out of order). Records how many run at once.
 */
function engine(platform: FakePlatform) {
  const stats = { active: 0, maxActive: 0, calls: [] as string[], inflightSeen: new Set<string>() };
  // The fake clock's sleep resolves through microtasks only; a real macrotask turn per step
  // lets the runner's real async work (WebCrypto hashing) progress while a job "runs".
  const step = async () => {
    await platform.sleep(100);
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  const runJob: RunJob = async (path, signal, onEvent) => {
    stats.calls.push(path);
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    try {
      for (const f of platform.filesUnder(W)) {
        const name = f.slice(W.length + 1);
        if (inflightSlotOf(name) !== null) stats.inflightSeen.add(name);
      }
      let spec: FakeJobSpec;
      try {
        spec = JSON.parse(platform.text(path));
      } catch {
        return fakeResult("PARTIAL", "invalid", "unreadable JobSpec");
      }
      if (spec.throw) throw new Error(spec.throw);
      const id = spec.job_id ?? "job";
      onEvent({ type: "job_started", job_id: id, jobspec_path: path, total_clips: 1 });
      for (let i = 0; i < (spec.steps ?? 1); i++) {
        if (signal.aborted) {
          onEvent({
            type: "job_finished",
            job_id: id,
            jobspec_path: path,
            final_status: "INTERRUPTED",
            total_clips: 1,
            completed_clips: 0,
            failed_clips: 0,
            duration_seconds: 0,
          });
          return fakeResult("INTERRUPTED", id, "stopped");
        }
        onEvent({
          type: "progress",
          job_id: id,
          index: 0,
          total: 1,
          source_path: "/m/x.mov",
          frame: i,
          out_time_seconds: i,
          percent: null,
          fps: null,
          speed: null,
        });
        await step();
      }
      if (spec.hang) { while (!signal.aborted) await step(); }
      const status = signal.aborted && spec.hang ? "INTERRUPTED" : spec.outcome ?? "COMPLETED";
      onEvent({
        type: "job_finished",
        job_id: id,
        jobspec_path: path,
        final_status: status,
        total_clips: 1,
        completed_clips: 1,
        failed_clips: 0,
        duration_seconds: 1,
      });
      return fakeResult(status, id, status === "FAILED" ? "ffmpeg exited with code 1" : null);
    } finally {
      stats.active--;
    }
  };
  return { runJob, stats };
}

/** Folder contents with timestamps and clash stamps masked: what must not depend on N. */
function normalized(platform: FakePlatform): Record<string, string> {
  const mask = (s: string) =>
    s.replace(/^\d+ /, "").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00/g, "<time>").replace(
      /_\d{8}T\d{6}/g,
      "_<stamp>",
    )
      .replace(/"duration_seconds": [\d.]+/g, '"duration_seconds": <d>');
  return Object.fromEntries(Object.entries(platform.snapshot(W)).map(([k, v]) => [mask(k), mask(v)]));
}

function withoutProgress(events: ProxxEvent[]): ProxxEvent[] {
  return events.filter((e) => e.type !== "progress");
}

const MIX = {
  // long first, short later: with 2 workers the later ones finish first
  "a.json": job("a", { steps: 6 }),
  "b.json": job("b", { steps: 1 }),
  "c.json": job("c", { steps: 3, outcome: "FAILED" }),
  "d.json": "{ not json",
  "e.json": JSON.stringify({ job_id: "e", throw: "kaput" }),
  "f.json": job("f", { steps: 2 }),
  "g.json": job("g"),
  "g.result.json": "{}\n", // skip rule 1
};

async function runMix(workers: number) {
  const s = setup(MIX);
  const e = engine(s.platform);
  const summary = await s.run({ runJob: e.runJob, maxWorkers: workers });
  return { ...s, summary, stats: e.stats };
}

describe("--max-workers: same outcome as sequential", () => {
  test("results, manifest, moves and summary equal N=1 (timestamps aside); jobs overlap", async () => {
    const one = await runMix(1);
    expect(one.stats.maxActive).toBe(1);
    for (const n of [2, 3, 8]) {
      const many = await runMix(n);
      expect(many.stats.maxActive).toBeGreaterThanOrEqual(Math.min(n, 3));
      expect(many.stats.maxActive).toBeLessThanOrEqual(n);
      expect(many.summary).toEqual(one.summary);
      expect(normalized(many.platform)).toEqual(normalized(one.platform));
      // started in name order
      expect(many.stats.calls).toEqual(one.stats.calls);
    }
    expect(one.summary).toMatchObject({ processed: 6, completed: 3, failed: 2, invalid: 1, skipped: 1 });
  });

  test("the log is in the same order as sequential (each job one block), although jobs finish out of order", async () => {
    const one = await runMix(1);
    const two = await runMix(2);
    const four = await runMix(4);
    expect(withoutProgress(two.events)).toEqual(withoutProgress(one.events));
    expect(withoutProgress(four.events)).toEqual(withoutProgress(one.events));
    // sanity: the order is job by job
    const taken = one.events.filter((e) => e.type === "job_taken").map((e) =>
      (e as { jobspec_path: string }).jobspec_path.slice(W.length + 1)
    );
    expect(taken).toEqual(["a.json", "b.json", "c.json", "d.json", "e.json", "f.json"]);
    // and deterministic: the same run twice logs the same
    expect(withoutProgress((await runMix(2)).events)).toEqual(withoutProgress(two.events));
  });

  test("one in-flight record per running job: slot files 0..N-1, all removed at the end", async () => {
    const two = await runMix(2);
    expect([...two.stats.inflightSeen].sort()).toEqual([".proxx.inflight-1.json", ".proxx.inflight.json"]);
    expect(two.platform.filesUnder(W).filter((f) => f.includes("inflight"))).toEqual([]);
    const one = await runMix(1);
    expect([...one.stats.inflightSeen]).toEqual([".proxx.inflight.json"]);
  });

  test("manifest bytes are the canonical serialisation", async () => {
    const three = await runMix(3);
    const m = three.platform.json(`${W}/processed_manifest.json`);
    expect(three.platform.text(`${W}/processed_manifest.json`)).toBe(serializeManifest(m));
    expect(Object.keys(m.entries).length).toBe(6);
  });
});

async function record(path: string, body: string, attempts: number) {
  return JSON.stringify({
    version: 1,
    jobspec_path: path,
    sha256: await sha256Hex(enc(body)),
    attempts,
    started_at: "2025-12-28T11:00:00.000000+00:00",
    pid: 999,
  });
}

describe("crash recovery with several jobs in flight", () => {
  test("kill -9 with 2 jobs mid-run: both run again as attempt 2, each in its own slot", async () => {
    for (const workers of [1, 2]) {
      const a = job("a"), b = job("b");
      const { platform, run, events } = setup({
        "a.json": a,
        "b.json": b,
        "c.json": job("c"),
        [inflightName(0)]: await record(`${W}/a.json`, a, 1),
        [inflightName(1)]: await record(`${W}/b.json`, b, 1),
      });
      const seen = new Map<string, { slot: number; attempts: number }>();
      const e = engine(platform);
      const runJob: RunJob = (path, signal, onEvent) => {
        for (const f of platform.filesUnder(W)) {
          const slot = inflightSlotOf(f.slice(W.length + 1));
          if (slot === null) continue;
          const r = platform.json(f);
          if (r.jobspec_path === path) seen.set(path.slice(W.length + 1), { slot, attempts: r.attempts });
        }
        return e.runJob(path, signal, onEvent);
      };
      const s = await run({ runJob, maxWorkers: workers });
      expect(s).toMatchObject({ recovered: 2, completed: 3 });
      // the retry overwrote the interrupted attempt's own record
      expect(seen.get("a.json")).toEqual({ slot: 0, attempts: 2 });
      expect(seen.get("b.json")).toEqual({ slot: 1, attempts: 2 });
      // c never takes slot 1 while b's interrupted attempt is recorded there
      expect(seen.get("c.json")?.attempts).toBe(1);
      expect(seen.get("c.json")?.slot).not.toBe(1);
      expect(platform.filesUnder(`${W}/processed`).length).toBe(3);
      expect(platform.filesUnder(W).filter((f) => f.includes("inflight"))).toEqual([]);
      expect(events.filter((x) => x.type === "recovered").length).toBe(2);
    }
  });

  test("two poison jobs (attempt 2 each) are failed, not run; partials cleaned for both", async () => {
    const a = job("a"), b = job("b");
    const { platform, run } = setup({
      "a.json": a,
      "b.json": b,
      [inflightName(0)]: await record(`${W}/a.json`, a, 2),
      [inflightName(3)]: await record(`${W}/b.json`, b, 2),
    });
    const e = engine(platform);
    const cleaned: string[] = [];
    const s = await run({
      runJob: e.runJob,
      maxWorkers: 2,
      cleanupPartials: (r) => Promise.resolve(void cleaned.push(r.jobspec_path)),
    });
    expect(e.stats.calls).toEqual([]);
    expect(cleaned).toEqual([`${W}/a.json`, `${W}/b.json`]);
    expect(s).toMatchObject({ failed: 2, recovered: 2 });
    for (const n of ["a", "b"]) {
      expect(platform.json(`${W}/${n}.result.json`).failure_reason).toContain("interrupted 2 times");
    }
    expect(platform.filesUnder(W).filter((f) => f.includes("inflight"))).toEqual([]);
  });

  test("records at different steps: one after its result (moved, not re-run), one mid-run (re-run)", async () => {
    const a = job("a"), b = job("b");
    const { platform, run } = setup({
      "a.json": a,
      "a.result.json": JSON.stringify({ job_id: "a", final_status: "FAILED" }) + "\n",
      "b.json": b,
      [inflightName(0)]: await record(`${W}/a.json`, a, 1),
      [inflightName(1)]: await record(`${W}/b.json`, b, 1),
    });
    const e = engine(platform);
    await run({ runJob: e.runJob, maxWorkers: 2 });
    expect(e.stats.calls).toEqual([`${W}/b.json`]);
    expect(platform.exists(`${W}/failed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/processed/b.json`)).toBe(true);
    const m = platform.json(`${W}/processed_manifest.json`).entries;
    expect(m[`${W}/a.json`].result_status).toBe("FAILED");
    expect(m[`${W}/b.json`].result_status).toBe("COMPLETED");
  });

  test("duplicate records for one JobSpec: the higher attempt count wins", async () => {
    const a = job("a");
    const { platform, run } = setup({
      "a.json": a,
      [inflightName(0)]: await record(`${W}/a.json`, a, 1),
      [inflightName(2)]: await record(`${W}/a.json`, a, 2),
    });
    const e = engine(platform);
    await run({ runJob: e.runJob, maxWorkers: 2 });
    expect(e.stats.calls).toEqual([]);
    expect(platform.json(`${W}/a.result.json`).failure_reason).toContain("interrupted 2 times");
    expect(platform.filesUnder(W).filter((f) => f.includes("inflight"))).toEqual([]);
  });

  test("orphan temp files of any slot's record are removed at start", async () => {
    const { platform, run } = setup({ ".proxx.inflight-1.json.tmp-77": "{", ".proxx.inflight-12.json.tmp-77": "{" });
    await run({ maxWorkers: 2 });
    expect(platform.filesUnder(W).filter((f) => f.includes("tmp"))).toEqual([]);
  });
});

describe("stopping with several jobs running", () => {
  test("a stop request: every running job stops cleanly, stays pending, no result, records cleared", async () => {
    const { platform, run, controller } = setup({
      "a.json": job("a", { hang: true }),
      "b.json": job("b", { hang: true }),
      "c.json": job("c"),
    });
    const e = engine(platform);
    let sleeps = 0;
    platform.onSleep.push(() => {
      if (++sleeps === 10) controller.abort();
    });
    const s = await run({ runJob: e.runJob, maxWorkers: 2 });
    expect(s.interrupted).toBe(true);
    expect(e.stats.calls).toEqual([`${W}/a.json`, `${W}/b.json`]);
    for (const n of ["a", "b", "c"]) {
      expect(platform.exists(`${W}/${n}.json`)).toBe(true);
      expect(platform.exists(`${W}/${n}.result.json`)).toBe(false);
    }
    expect(platform.filesUnder(W).filter((f) => f.includes("inflight") || f.includes("lock"))).toEqual([]);
  });

  test("a bookkeeping I/O error in one job stops the other cleanly and is rethrown; the next start recovers", async () => {
    const { platform, run } = setup({ "a.json": job("a", { steps: 1 }), "b.json": job("b", { hang: true }) });
    const e = engine(platform);
    let failed = false;
    const runJob: RunJob = (path, signal, onEvent) => {
      if (path.endsWith("a.json") && !failed) {
        failed = true;
        platform.failNext("rename"); // a's move fails after its result was written
      }
      return e.runJob(path, signal, onEvent);
    };
    await expect(run({ runJob, maxWorkers: 2 })).rejects.toThrow("EIO");
    expect(platform.exists(`${W}/.proxx.lock`)).toBe(false);
    expect(platform.exists(`${W}/a.result.json`)).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(true); // a: recovery finishes it
    expect(platform.exists(`${W}/b.result.json`)).toBe(false); // b: stopped, pending, record cleared
    expect(platform.exists(`${W}/.proxx.inflight-1.json`)).toBe(false);
    platform.writeFile(`${W}/b.json`, job("b"));
    platform.advance(10_000);
    await run({ runJob: e.runJob, maxWorkers: 2 });
    expect(platform.exists(`${W}/processed/a.json`)).toBe(true);
    expect(platform.exists(`${W}/processed/b.json`)).toBe(true);
    expect(e.stats.calls.filter((p) => p.endsWith("a.json")).length).toBe(1);
  });
});

describe("continuous mode", () => {
  test("a free worker takes a new file while a long job still runs", async () => {
    const { platform, run, controller } = setup({ "long.json": job("long", { steps: 200 }) });
    const e = engine(platform);
    const finishedAt = new Map<string, number>();
    const runJob: RunJob = async (path, signal, onEvent) => {
      const r = await e.runJob(path, signal, onEvent);
      finishedAt.set(path.slice(W.length + 1), platform.now());
      return r;
    };
    let sleeps = 0;
    platform.onSleep.push(async () => {
      sleeps++;
      if (sleeps === 5) platform.writeFile(`${W}/short.json`, job("short"));
      if (finishedAt.has("long.json") && finishedAt.has("short.json")) controller.abort();
      // The runner's idle sleep is microtasks only on the fake clock; a macrotask turn lets
      // the jobs (whose steps wait on one) make progress meanwhile, as real time would.
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    await run({ runJob, maxWorkers: 2, once: false, pollSeconds: 1, settleSeconds: 0 });
    expect(finishedAt.get("short.json")!).toBeLessThan(finishedAt.get("long.json")!);
    expect(platform.filesUnder(`${W}/processed`).length).toBe(2);
  });
});

describe("ordered log", () => {
  test("blocks come out in opening order; later blocks buffer until earlier ones close; buffered progress is dropped", () => {
    const out: string[] = [];
    const log = new OrderedLog((e) => out.push(e.type === "warning" ? e.message : e.type));
    const a = log.block();
    const b = log.block();
    const c = log.block();
    const w = (m: string) => ({ type: "warning" as const, message: m });
    const progress = {
      type: "progress" as const,
      job_id: "x",
      index: 0,
      total: 1,
      source_path: "s",
      frame: 1,
      out_time_seconds: 1,
      percent: 1,
      fps: 1,
      speed: 1,
    };
    a.emit(w("a1"));
    c.emit(w("c1"));
    b.emit(w("b1"));
    b.emit(progress);
    a.emit(progress);
    c.close();
    b.emit(w("b2"));
    expect(out).toEqual(["a1", "progress"]);
    a.close();
    expect(out).toEqual(["a1", "progress", "b1", "b2"]);
    b.emit(progress); // live now
    b.close();
    expect(out).toEqual(["a1", "progress", "b1", "b2", "progress", "c1"]);
    expect(log.pending).toBe(0);
  });
});

describe("manifest serializer", () => {
  test("incremental serialisation is byte-identical to serializeManifest as entries come and go", () => {
    const ser = new ManifestSerializer();
    let entries: Record<string, { sha256: string; processed_at: string; result_status: string }> = {};
    const rnd = (() => {
      let x = 7;
      return () => (x = (x * 1103515245 + 12345) % 2 ** 31);
    })();
    const names = [
      "/w/a.json",
      "/w/B.json",
      "/w/ü.json",
      "/w/a b.json",
      '/w/"q".json',
      "/w/z.json",
      "/w/0.json",
      "/w/a\\b.json",
    ];
    for (let i = 0; i < 200; i++) {
      const key = names[rnd() % names.length]! + (rnd() % 3 === 0 ? String(rnd() % 50) : "");
      if (rnd() % 5 === 0) {
        const { [key]: _, ...rest } = entries;
        entries = rest;
      } else {
        entries = {
          ...entries,
          [key]: {
            sha256: (rnd() % 16).toString(16).repeat(64),
            processed_at: `t${i}`,
            result_status: i % 2 ? "COMPLETED" : "FAILED",
          },
        };
      }
      const m = { version: 1 as const, entries };
      expect(ser.serialize(m)).toBe(serializeManifest(m));
    }
    expect(ser.serialize({ version: 1, entries: {} })).toBe(serializeManifest({ version: 1, entries: {} }));
  });
});
