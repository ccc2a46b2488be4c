/**
 * `proxx watch --recursive` on the fake platform: the order of a tree with repeated names,
 * results beside their JobSpecs, mirrored moves, absolute manifest keys, the folders never
 * walked, settling, crash recovery of a job in a subfolder, `status` and `reset` on the
 * tree, and that without `recursive` a folder with subfolders is handled exactly as before
 * (same events, same files, no subfolder ever listed). Symbolic links need a real file
 * system: tests/integration/watch-recursive.test.ts.
 */
import { describe, expect, test } from "bun:test";
import type { ProxxEvent } from "../../src/engine/events.ts";
import { sha256Hex } from "../../src/watch/hash.ts";
import { resetJobs } from "../../src/watch/reset.ts";
import { folderStatus } from "../../src/watch/status.ts";
import { findCandidates } from "../../src/watch/tree.ts";
import { createRenderer } from "../../src/cli/render.ts";
import { main } from "../../src/cli/main.ts";
import { COMMANDS } from "../../src/cli/commands.ts";
import { completionScript } from "../../src/cli/completions.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Three levels, the same file name in several folders, and names that sort across levels. */
const TREE = {
  "job.json": job("root"),
  "a.json": job("a-file"),
  "a/job.json": job("a"),
  "a/x/y/job.json": job("axy"),
  "a-b/job.json": job("a-b"),
  "b/job.json": job("b", { outcome: "FAILED" }),
  "b/c/job.json": job("bc"),
};
/** Relative-path order, code units: '-' (2D) < '.' (2E) < '/' (2F). */
const ORDER = ["a-b/job.json", "a.json", "a/job.json", "a/x/y/job.json", "b/c/job.json", "b/job.json", "job.json"];

const taken = (events: ProxxEvent[]) =>
  events.flatMap((e) => (e.type === "job_taken" ? [e.jobspec_path.slice(W.length + 1)] : []));

describe("a tree with repeated names", () => {
  test("taken in relative-path order; each result beside its JobSpec; moves mirrored; manifest keys absolute", async () => {
    const { platform, jobs, run, events } = setup(TREE);
    const s = await run({ recursive: true });
    expect(jobs.calls).toEqual(ORDER.map((r) => `${W}/${r}`));
    expect(taken(events)).toEqual(ORDER);
    expect(s).toMatchObject({ processed: 7, completed: 6, failed: 1 });
    for (const rel of ORDER) {
      const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/") + 1) : "";
      const result = platform.json(`${W}/${dir}${rel.slice(dir.length, -".json".length)}.result.json`);
      expect(result._metadata.jobspec_path).toBe(`${W}/${rel}`);
      const moved = rel === "b/job.json" ? `${W}/failed/${rel}` : `${W}/processed/${rel}`;
      expect({ rel, moved: platform.exists(moved), left: platform.exists(`${W}/${rel}`) }).toEqual({
        rel,
        moved: true,
        left: false,
      });
      expect(platform.text(moved)).toBe(TREE[rel as keyof typeof TREE]);
    }
    const results = events.flatMap((e) => (e.type === "job_result" ? [[e.result_path, e.moved_to]] : []));
    expect(results).toContainEqual([
      `${W}/a/x/y/job.result.json`,
      `${W}/processed/a/x/y/job.json`,
    ]);
    const manifest = platform.json(`${W}/processed_manifest.json`).entries;
    expect(Object.keys(manifest).sort()).toEqual(ORDER.map((r) => `${W}/${r}`).sort());
    expect(manifest[`${W}/a/job.json`].sha256).toBe(await sha256Hex(enc(job("a"))));
    expect(manifest[`${W}/b/job.json`].result_status).toBe("FAILED");
    // The bookkeeping stays folder-level: one lock, one in-flight record, one manifest.
    expect(platform.filesUnder(W).filter((p) => /processed_manifest|\.proxx\./.test(p))).toEqual([
      `${W}/processed_manifest.json`,
    ]);
  });

  test("a second pass changes nothing; a re-dropped JobSpec is skipped by its own result, beside it", async () => {
    const { platform, jobs, run, events } = setup(TREE);
    await run({ recursive: true });
    const before = platform.snapshot(W);
    await run({ recursive: true });
    expect(platform.snapshot(W)).toEqual(before);
    platform.writeFile(`${W}/a/x/y/job.json`, job("axy"));
    platform.advance(10_000);
    events.length = 0;
    await run({ recursive: true });
    expect(jobs.calls.length).toBe(7);
    expect(events).toContainEqual({ type: "skip", jobspec_path: `${W}/a/x/y/job.json`, reason: "result file exists" });
  });

  test("with --max-workers 3 the tree ends exactly as a sequential run leaves it", async () => {
    const sequential = setup(TREE);
    await sequential.run({ recursive: true });
    const parallel = setup(TREE);
    await parallel.run({ recursive: true, maxWorkers: 3 });
    expect(parallel.platform.snapshot(W)).toEqual(sequential.platform.snapshot(W));
    expect(taken(parallel.events)).toEqual(ORDER);
  });

  test("a clash in a mirrored folder gets the clash-free name there", async () => {
    const { platform, run } = setup({ "a/job.json": job("a"), "processed/a/job.json": job("old") });
    await run({ recursive: true });
    const moved = platform.filesUnder(`${W}/processed/a`);
    expect(moved.length).toBe(2);
    expect(moved[0]).toBe(`${W}/processed/a/job.json`);
    expect(moved[1]).toMatch(/^\/w\/processed\/a\/job_\d{8}T\d{6}\.json$/);
    expect(platform.text(`${W}/processed/a/job.json`)).toBe(job("old"));
  });
});

describe("the mirrored folders", () => {
  test("a file standing at a mirrored folder's name is left alone: that level gets a clash-free name", async () => {
    const { platform, run, events } = setup({ "a/b/job.json": job("ab"), "processed/a": "not a folder" });
    await run({ recursive: true });
    expect(platform.text(`${W}/processed/a`)).toBe("not a folder");
    const moved = events.flatMap((e) => (e.type === "job_result" ? [e.moved_to] : []));
    expect(moved).toEqual([expect.stringMatching(/^\/w\/processed\/a_\d{8}T\d{6}\/b\/job\.json$/)]);
    expect(platform.text(moved[0]!)).toBe(job("ab"));
  });
});

describe("folders never walked", () => {
  test("hidden, processed/ and failed/ (at any depth) are not descended into; a stale nested lock does not stop the walk", async () => {
    const { platform, jobs, run } = setup({
      ".hidden/job.json": job("h"),
      ".git/x/job.json": job("g"),
      "processed/p.json": job("p"),
      "failed/f.json": job("f"),
      "processed/a/p.json": job("pa"),
      "a/processed/old.json": job("old"),
      "a/failed/old.json": job("old"),
      "a/.cache/job.json": job("c"),
      "stale/.proxx.lock": JSON.stringify({ pid: 77, host: "fakehost", started_at: "t" }),
      "stale/job.json": job("s"),
      "a/job.json": job("a"),
    });
    await run({ recursive: true });
    expect(jobs.calls).toEqual([`${W}/a/job.json`, `${W}/stale/job.json`]);
    expect(platform.exists(`${W}/a/processed/old.json`)).toBe(true);
    expect(platform.exists(`${W}/processed/processed`)).toBe(false);
    // The scan never lists the trees it must not walk.
    const listed = platform.log.filter((l) => l.startsWith("list ")).map((l) => l.slice(5));
    expect([...new Set(listed)].sort()).toEqual([W, `${W}/a`, `${W}/stale`]);
  });

  test("a subfolder whose own lock a live runner holds is left to that runner, with one warning per runner", async () => {
    const { platform, jobs, run, events } = setup({
      "own/.proxx.lock": JSON.stringify({ pid: 31, host: "fakehost", started_at: "2025-12-28T11:00:00+00:00" }),
      "own/job.json": job("own"),
      "z/job.json": job("z"),
    });
    platform.alivePids.add(31);
    await run({ recursive: true });
    expect(jobs.calls).toEqual([`${W}/z/job.json`]);
    const warnings = events.filter((e) => e.type === "warning").map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([
      `subfolder ${W}/own not walked: a runner of its own holds its lock (pid 31 on fakehost)`,
    ]);
    expect(platform.exists(`${W}/own/job.json`)).toBe(true);
  });

  test("continuous mode warns once about a passed-over subfolder, not at every poll", async () => {
    const { platform, run, events, controller } = setup({
      "own/.proxx.lock": JSON.stringify({ pid: 31, host: "fakehost", started_at: "t" }),
      "own/job.json": job("own"),
    });
    platform.alivePids.add(31);
    let sleeps = 0;
    platform.onSleep.push(() => void (++sleeps === 10 && controller.abort()));
    await run({ recursive: true, once: false, pollSeconds: 2 });
    expect(events.filter((e) => e.type === "warning").length).toBe(1);
  });

  test("an unreadable subfolder is passed over with its reason; the rest of the tree is walked", async () => {
    const platform = new FakePlatform();
    platform.writeFile(`${W}/a/job.json`, job("a"));
    platform.writeFile(`${W}/b/job.json`, job("b"));
    const root = await platform.list(W);
    platform.failNext("list"); // the first subfolder listed (the walk's own order)
    const found = await findCandidates(platform, W, root, true);
    expect(found.files.length).toBe(1);
    expect(found.passedOver).toEqual([{
      path: expect.stringMatching(/^\/w\/[ab]$/),
      reason: "not walked: cannot be listed (EIO: list '(injected)')",
    }]);
  });
});

describe("without --recursive: exactly as before", () => {
  test("a folder with subfolders: same events, same files as the root alone; no subfolder is even listed", async () => {
    const rootOnly = Object.fromEntries(Object.entries(TREE).filter(([rel]) => !rel.includes("/")));
    const plain = setup(rootOnly);
    await plain.run();
    const tree = setup(TREE);
    const subtree = () => Object.fromEntries(Object.entries(tree.platform.snapshot(W)).filter(([p]) => isSub(p)));
    const isSub = (p: string) => /^\/w\/(a|a-b|b)\//.test(p);
    const before = subtree();
    await tree.run();
    expect(tree.events).toEqual(plain.events);
    expect(tree.jobs.calls).toEqual(plain.jobs.calls);
    expect(subtree()).toEqual(before);
    const rootFiles = Object.fromEntries(Object.entries(tree.platform.snapshot(W)).filter(([p]) => !isSub(p)));
    expect(rootFiles).toEqual(plain.platform.snapshot(W));
    expect(tree.platform.log.filter((l) => /^list \/w\/(a|a-b|b)$/.test(l))).toEqual([]);
    const m = tree.platform.json(`${W}/processed_manifest.json`).entries;
    expect(Object.keys(m).sort()).toEqual([`${W}/a.json`, `${W}/job.json`]);
  });

  test("status without --recursive shows the root only, and the CLI notes a mirrored tree on stderr", async () => {
    const { platform, run } = setup(TREE);
    await run({ recursive: true });
    platform.writeFile(`${W}/a/new.json`, job("new"));
    platform.advance(10_000);
    const flat = await folderStatus(platform, W);
    expect(flat.pending).toEqual([]);
    expect(flat.processed).toBe(2);
    expect(flat.passed_over).toBeUndefined();
    platform.stdout = platform.stderr = "";
    expect(await main(platform, ["status", W])).toBe(0);
    expect(platform.stderr).toContain("add --recursive to include them");
    platform.stderr = "";
    expect(await main(platform, ["status", W, "--recursive"])).toBe(0);
    expect(platform.stderr).toBe("");
    expect(platform.stdout).toContain(`pending   ${W}/a/new.json`);
  });
});

describe("settling and crash recovery in subfolders", () => {
  test("a JobSpec still growing in a subfolder is not taken before it settles", async () => {
    const { platform, jobs, run, events } = setup({ "done/job.json": job("d") }, { age: 10_000 });
    platform.writeFile(`${W}/a/b/job.json`, '{"job_id":');
    let grows = 3;
    let takenAt = -1;
    const start = platform.now();
    jobs.during = (path) => void (path.endsWith("a/b/job.json") && (takenAt = platform.now()));
    platform.onSleep.push(() => {
      if (grows-- > 0) platform.appendFile(`${W}/a/b/job.json`, " ");
      else if (grows === -1) platform.writeFile(`${W}/a/b/job.json`, job("ab"));
    });
    await run({ recursive: true, settleSeconds: 2 });
    expect(jobs.calls).toEqual([`${W}/done/job.json`, `${W}/a/b/job.json`]);
    expect(takenAt - start).toBeGreaterThanOrEqual(2000);
    expect(events).toContainEqual({ type: "settling", jobspec_path: `${W}/a/b/job.json`, settle_seconds: 2 });
    expect(platform.json(`${W}/a/b/job.result.json`).final_status).toBe("COMPLETED");
  });

  const A = `${W}/a/b/job.json`;
  const record = async (attempts = 1) =>
    JSON.stringify({
      version: 1,
      jobspec_path: A,
      sha256: await sha256Hex(enc(job("ab"))),
      attempts,
      started_at: "2025-12-28T11:00:00.000000+00:00",
      pid: 999,
    });
  const RESULT = JSON.stringify({ job_id: "ab", final_status: "COMPLETED", _metadata: { jobspec_path: A } });

  test("killed mid-run: the job in the subfolder runs again as attempt 2, and ends in processed/a/b/", async () => {
    const { platform, jobs, run } = setup({ "a/b/job.json": job("ab"), ".proxx.inflight.json": await record(1) });
    const attempts: number[] = [];
    jobs.during = () => void attempts.push(platform.json(`${W}/.proxx.inflight.json`).attempts);
    await run({ recursive: true });
    expect(jobs.calls).toEqual([A]);
    expect(attempts).toEqual([2]);
    expect(platform.exists(`${W}/processed/a/b/job.json`)).toBe(true);
    expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
  });

  test("interrupted twice: failed as a poison job, result beside it, moved to failed/a/b/", async () => {
    const { platform, jobs, run } = setup({ "a/b/job.json": job("ab"), ".proxx.inflight.json": await record(2) });
    await run({ recursive: true });
    expect(jobs.calls).toEqual([]);
    expect(platform.json(`${W}/a/b/job.result.json`).failure_reason).toContain("interrupted 2 times");
    expect(platform.exists(`${W}/failed/a/b/job.json`)).toBe(true);
  });

  for (const recursive of [true, false]) {
    test(`after the result (restart ${recursive ? "with" : "without"} --recursive): moved to processed/a/b/, recorded, not re-run; the result's temp removed`, async () => {
      const { platform, jobs, run } = setup({
        "a/b/job.json": job("ab"),
        "a/b/job.result.json": RESULT,
        "a/b/job.result.json.tmp-999": "{ half",
        "a/b/other.json.tmp-999": "not ours",
        ".proxx.inflight.json": await record(1),
      });
      await run({ recursive });
      expect(jobs.calls).toEqual([]);
      expect(platform.text(`${W}/a/b/job.result.json`)).toBe(RESULT);
      expect(platform.exists(`${W}/processed/a/b/job.json`)).toBe(true);
      expect(platform.exists(`${W}/a/b/job.result.json.tmp-999`)).toBe(false);
      expect(platform.exists(`${W}/a/b/other.json.tmp-999`)).toBe(true);
      expect(platform.json(`${W}/processed_manifest.json`).entries[A].result_status).toBe("COMPLETED");
      expect(platform.exists(`${W}/.proxx.inflight.json`)).toBe(false);
    });
  }

  test("after the move, before the manifest: only the entry is added", async () => {
    const { platform, jobs, run } = setup({
      "processed/a/b/job.json": job("ab"),
      "a/b/job.result.json": RESULT,
      ".proxx.inflight.json": await record(1),
    });
    await run({ recursive: true });
    expect(jobs.calls).toEqual([]);
    expect(platform.filesUnder(`${W}/processed`)).toEqual([`${W}/processed/a/b/job.json`]);
    expect(platform.json(`${W}/processed_manifest.json`).entries[A].result_status).toBe("COMPLETED");
  });

  test("step order on disk for a job in a subfolder", async () => {
    const { platform, run } = setup({ "a/b/job.json": job("ab") });
    await run({ recursive: true });
    const writes = platform.log.filter((l) =>
      /^(writeFileAtomic|rename|remove|appendFileDurable) /.test(l) && !l.includes(".proxx.lock")
    );
    expect(writes).toEqual([
      `writeFileAtomic ${W}/.proxx.inflight.json`,
      `writeFileAtomic ${W}/a/b/job.result.json`,
      `rename ${A} -> ${W}/processed/a/b/job.json`,
      `remove ${W}/.proxx.manifest-journal`,
      `appendFileDurable ${W}/.proxx.manifest-journal`,
      `remove ${W}/.proxx.inflight.json`,
      `writeFileAtomic ${W}/processed_manifest.json`,
      `remove ${W}/.proxx.manifest-journal`,
    ]);
  });
});

describe("status and reset on the tree", () => {
  test("status --recursive: pending in processing order, counts over the mirrored trees, passed-over folders", async () => {
    const { platform, run } = setup(TREE);
    await run({ recursive: true });
    platform.advance(1000);
    platform.writeFile(`${W}/z/new.json`, job("n"));
    platform.writeFile(`${W}/a/x/new.json`, job("n"));
    platform.writeFile(`${W}/own/.proxx.lock`, JSON.stringify({ pid: 31, host: "fakehost", started_at: "t" }));
    platform.writeFile(`${W}/own/job.json`, job("own"));
    platform.alivePids.add(31);
    platform.advance(5000);
    platform.writeFile(`${W}/a/job.json`, job("a")); // re-dropped: its result exists
    platform.writeFile(`${W}/b/c/fresh.json`, job("f")); // just dropped
    const s = await folderStatus(platform, W, { recursive: true, settleSeconds: 2 });
    expect(s.pending).toEqual([`${W}/a/x/new.json`, `${W}/z/new.json`]);
    expect(s.settling).toEqual([`${W}/b/c/fresh.json`]);
    expect(s.skipped).toEqual([{ path: `${W}/a/job.json`, reason: "result file exists" }]);
    expect(s).toMatchObject({ processed: 6, failed: 1 });
    expect(s.passed_over).toEqual([{
      path: `${W}/own`,
      reason: "not walked: a runner of its own holds its lock (pid 31 on fakehost)",
    }]);
  });

  test("reset --recursive --failed: each JobSpec back to the subfolder it came from; then it runs again", async () => {
    const { platform, jobs, run } = setup(TREE);
    await run({ recursive: true });
    const actions = await resetJobs(platform, W, { failed: true, recursive: true });
    expect(actions).toEqual([
      { action: "removed_manifest_entry", path: `${W}/b/job.json` },
      { action: "removed_result", path: `${W}/b/job.result.json` },
      { action: "moved", from: `${W}/failed/b/job.json`, to: `${W}/b/job.json` },
    ]);
    await run({ recursive: true });
    expect(jobs.calls.slice(7)).toEqual([`${W}/b/job.json`]);
  });

  test("reset --recursive JOB: a relative path; plain 'job' is the root's; '..' is refused", async () => {
    const { platform, run } = setup(TREE);
    await run({ recursive: true });
    const actions = await resetJobs(platform, W, {
      jobs: ["a/x/y/job", "job", "../w/job", "nope/job"],
      recursive: true,
    });
    expect(actions).toEqual([
      { action: "refused", path: "../w/job", reason: "not a path inside the watch folder" },
      { action: "not_found", job: "nope/job" },
      { action: "removed_manifest_entry", path: `${W}/a/x/y/job.json` },
      { action: "removed_manifest_entry", path: `${W}/job.json` },
      { action: "removed_result", path: `${W}/a/x/y/job.result.json` },
      { action: "removed_result", path: `${W}/job.result.json` },
      { action: "moved", from: `${W}/processed/a/x/y/job.json`, to: `${W}/a/x/y/job.json` },
      { action: "moved", from: `${W}/processed/job.json`, to: `${W}/job.json` },
    ]);
    expect(platform.exists(`${W}/a/job.result.json`)).toBe(true);
    expect(platform.exists(`${W}/processed/a/job.json`)).toBe(true);
  });

  test("reset --recursive --all: the whole tree back, results and manifest gone; a removed subfolder is made again", async () => {
    const { platform, jobs, run } = setup(TREE);
    await run({ recursive: true });
    platform.writeFile(`${W}/q/orphan.result.json`, "{}"); // a result with no JobSpec anywhere
    for (const p of platform.filesUnder(`${W}/a/x`)) platform.files.delete(p);
    platform.dirs.delete(`${W}/a/x/y`);
    platform.dirs.delete(`${W}/a/x`);
    await resetJobs(platform, W, { all: true, recursive: true });
    for (const rel of ORDER) expect({ rel, back: platform.exists(`${W}/${rel}`) }).toEqual({ rel, back: true });
    expect(platform.filesUnder(W).filter((p) => p.endsWith(".result.json"))).toEqual([]);
    expect(platform.json(`${W}/processed_manifest.json`).entries).toEqual({});
    expect(platform.filesUnder(`${W}/processed`)).toEqual([]);
    await run({ recursive: true });
    expect(jobs.calls.slice(7)).toEqual(ORDER.map((r) => `${W}/${r}`));
  });

  test("reset never moves a JobSpec back through a file standing where its subfolder was", async () => {
    const { platform, run } = setup({ "a/job.json": job("a") });
    await run({ recursive: true });
    for (const p of platform.filesUnder(`${W}/a`)) platform.files.delete(p);
    platform.dirs.delete(`${W}/a`);
    platform.writeFile(`${W}/a`, "a file now");
    const actions = await resetJobs(platform, W, { jobs: ["a/job"], recursive: true });
    expect(actions).toEqual([{
      action: "refused",
      path: `${W}/processed/a/job.json`,
      reason: `${W}/a is not a folder (a link or a file); not moved`,
    }]);
    expect(platform.exists(`${W}/processed/a/job.json`)).toBe(true);
    expect(Object.keys(platform.json(`${W}/processed_manifest.json`).entries)).toEqual([`${W}/a/job.json`]);
  });

  test("reset without --recursive leaves the mirrored trees alone, as before, and the CLI says so", async () => {
    const { platform, run } = setup(TREE);
    await run({ recursive: true });
    platform.stdout = platform.stderr = "";
    expect(await main(platform, ["reset", W, "--failed"])).toBe(0);
    expect(platform.stdout).toBe("nothing to reset\n");
    expect(platform.stderr).toContain("add --recursive to include them");
    expect(platform.exists(`${W}/failed/b/job.json`)).toBe(true);
  });
});

describe("CLI", () => {
  test("--help of watch says what is never descended into; status and reset take --recursive; completions have it", () => {
    const help = (name: string) => COMMANDS.find((c) => c.name === name)!.help;
    expect(help("watch")).toContain("--recursive");
    expect(help("watch")).toMatch(
      /Never descended into: hidden\s+folders \(\.\*\), folders named processed or failed, symbolic links to folders/,
    );
    expect(help("status")).toContain("--recursive");
    expect(help("reset")).toContain("--recursive");
    const bash = completionScript("bash", COMMANDS);
    for (const command of ["watch", "status", "reset"]) {
      const section = bash.split(`\n    ${command})`)[1]!.split("\n      ;;")[0]!;
      expect({ command, has: section.includes("--recursive") }).toEqual({ command, has: true });
    }
    expect(completionScript("fish", COMMANDS)).toContain("__fish_seen_subcommand_from watch' -l recursive");
  });

  test("watch --recursive from the CLI; the log names JobSpecs by their path in the tree", async () => {
    const platform = new FakePlatform();
    platform.writeFile(`${W}/a/job.json`, "not json");
    platform.writeFile(`${W}/b/job.json`, "not json");
    platform.advance(10_000);
    const code = await main(platform, ["watch", W, "--recursive", "--once", "--settle-seconds", "0"]);
    expect(code).toBe(1); // both invalid (PARTIAL), no FFmpeg needed
    expect(platform.exists(`${W}/failed/a/job.json`)).toBe(true);
    expect(platform.exists(`${W}/b/job.result.json`)).toBe(true);
    expect(platform.stderr).toContain("job taken: a/job.json");
    expect(platform.stderr).toContain("job taken: b/job.json");
  });

  test("the renderer names root JobSpecs as before", () => {
    const out: string[] = [];
    const platform = new FakePlatform();
    platform.writeStderr = (t: string) => void out.push(t);
    const style = { live: false, color: false };
    const event: ProxxEvent = { type: "job_taken", jobspec_path: `${W}/job.json` };
    createRenderer(platform, { json: false, verbosity: "normal" }, style)(event);
    createRenderer(platform, { json: false, verbosity: "normal", jobspecRoot: W }, style)(event);
    expect(out[0]).toBe(out[1]);
  });
});
