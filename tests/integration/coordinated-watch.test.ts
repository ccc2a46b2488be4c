/**
 * Many runners, one queue: real `proxx watch --coordinator` processes (different
 * PROXX_HOSTNAMEs stand for different machines) against a private PostgreSQL server
 * (tests/helpers/pg-server.ts), with a fixed-time FFmpeg stand-in that copies a real proxy
 * (tests/helpers/coordinated.ts). Leases are 2 s so that takeovers happen within the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type PgServer, startPgServer } from "../helpers/pg-server.ts";
import { encodesByOutput, makeReplayKit, type ReplayKit, writeTimedJob } from "../helpers/coordinated.ts";
import { findDeno, MAIN, proxx, REPO, startProxx, tempDir, waitFor } from "../helpers/cli.ts";
import { spawn } from "node:child_process";
import { createServer } from "node:http";

let pg: PgServer;
let root: string;
let kitDir: string;
let kit: ReplayKit;
let n = 0;

beforeAll(async () => {
  pg = await startPgServer();
  root = tempDir("proxx-coordinated-");
  kitDir = join(root, "shared");
  kit = makeReplayKit(kitDir);
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh case folder with the kit linked in (the JobSpecs point at kit/clip.mov). */
function caseDir(): { dir: string; jobs: string; log: string; env: Record<string, string> } {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(dir, "kit"));
  for (const f of readdirSync(kit.dir)) {
    Bun.spawnSync(["cp", join(kit.dir, f), join(dir, "kit", f)]);
  }
  const local = makeLocalKit(dir);
  return { dir, jobs: join(dir, "jobs"), log: local.ffmpegLog, env: local.env };
}

/** The shared kit's files, with this case's own FFmpeg log. */
function makeLocalKit(dir: string): ReplayKit {
  const script = readFileSync(join(kit.dir, "ffmpeg-timed.sh"), "utf8").replace(kit.ffmpegLog, join(dir, "ffmpeg.log"));
  Bun.write(join(dir, "kit", "ffmpeg-timed.sh"), script);
  Bun.spawnSync(["chmod", "755", join(dir, "kit", "ffmpeg-timed.sh")]);
  return {
    dir: join(dir, "kit"),
    ffmpegLog: join(dir, "ffmpeg.log"),
    env: {
      ...kit.env,
      PROXX_FFMPEG: join(dir, "kit", "ffmpeg-timed.sh"),
      PROXX_REPLAY_OUTPUT: join(dir, "kit", "proxy.mov"),
      PROXX_REPLAY_SOURCE_PROBE: join(dir, "kit", "source.probe.json"),
      PROXX_REPLAY_OUTPUT_PROBE: join(dir, "kit", "proxy.probe.json"),
    },
  };
}

const COMMON = ["--settle-seconds", "0", "--poll-seconds", "0.2", "--lease-seconds", "2", "--json"];

function watch(c: { jobs: string; env: Record<string, string> }, host: string, extra: string[] = []) {
  return startProxx(["watch", c.jobs, "--coordinator", pg.url, ...COMMON, ...extra], {
    env: { ...c.env, PROXX_HOSTNAME: host },
  });
}

function events(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

function encodes(c: { log: string }): Map<string, string[]> {
  return encodesByOutput({ ffmpegLog: c.log } as ReplayKit);
}

function partials(dir: string): string[] {
  return readdirSync(join(dir, "out")).filter((f) => f.endsWith(".proxx-partial"));
}

function results(jobs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(jobs).filter((f) => f.endsWith(".result.json"))) {
    out[f.replace(".result.json", "")] = JSON.parse(readFileSync(join(jobs, f), "utf8")).final_status;
  }
  return out;
}

describe("coordinated runners", () => {
  test("each JobSpec runs once across 3 runners; one manifest with every entry", async () => {
    const c = caseDir();
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      const name = `j${String(i).padStart(2, "0")}`;
      writeTimedJob(c.dir, name, i % 4 === 0 ? 1 : 0.1);
      names.push(name);
    }
    const runners = ["host-a", "host-b", "host-c"].map((h) => watch(c, h, ["--once"]));
    const done = await Promise.all(runners.map((r) => r.done));
    for (const d of done) expect(d.code).toBe(0);
    const byOutput = encodes(c);
    for (const name of names) {
      expect(byOutput.get(`${name}-s${name === "j00" || name === "j04" || name === "j08" ? 1 : 0.1}x.mov`))
        .toHaveLength(1);
    }
    // Work was shared: more than one host encoded.
    expect(new Set([...byOutput.values()].flat()).size).toBeGreaterThan(1);
    expect(Object.values(results(c.jobs))).toEqual(names.map(() => "COMPLETED"));
    expect(readdirSync(join(c.jobs, "processed")).sort()).toEqual(names.map((x) => `${x}.json`));
    const manifest = JSON.parse(readFileSync(join(c.jobs, "processed_manifest.json"), "utf8"));
    expect(Object.keys(manifest.entries).length).toBe(12);
    expect(partials(c.dir)).toEqual([]);
    expect(existsSync(join(c.jobs, ".proxx.lock"))).toBe(false);
    // status shows the folder's counts, no password.
    const s = proxx(["coordinator", "status", c.jobs, "--coordinator", pg.url]);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("0 pending, 0 running, 12 done");
    expect(s.stdout + s.stderr).not.toContain("s3cret");
  }, 60_000);

  test("SIGSTOP past the lease: the frozen runner writes nothing, the taker finishes the job", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "long", 3);
    const a = watch(c, "host-a", ["--once"]);
    await waitFor("host-a's FFmpeg", () => (encodes(c).get("long-s3x.mov") ?? []).includes("host-a"));
    a.child.kill("SIGSTOP");
    const b = watch(c, "host-b");
    const result = join(c.jobs, "long.result.json");
    await waitFor("host-b's result", () => existsSync(result), 30_000);
    await waitFor("host-b records it", () => existsSync(join(c.jobs, "processed_manifest.json")));
    const proxy = join(c.dir, "out", "long-s3x.mov");
    const before = {
      result: statSync(result),
      proxy: statSync(proxy),
      manifest: readFileSync(join(c.jobs, "processed_manifest.json"), "utf8"),
    };
    a.child.kill("SIGCONT");
    const doneA = await a.done;
    // The frozen runner: its lease was lost, so no result, no move, no manifest entry, no rename.
    const evA = events(doneA.stdout);
    expect(evA.filter((e) => e.type === "job_result")).toEqual([]);
    expect(evA.some((e) => e.type === "job_left_pending" && String(e.reason).includes("lost its claim"))).toBe(true);
    expect(statSync(result).mtimeMs).toBe(before.result.mtimeMs);
    expect(statSync(proxy).ino).toBe(before.proxy.ino);
    expect(statSync(proxy).mtimeMs).toBe(before.proxy.mtimeMs);
    expect(readFileSync(join(c.jobs, "processed_manifest.json"), "utf8")).toBe(before.manifest);
    expect(JSON.parse(readFileSync(result, "utf8")).final_status).toBe("COMPLETED");
    b.child.kill("SIGTERM");
    const doneB = await b.done;
    expect(doneB.code).toBe(143);
    expect(events(doneB.stdout).some((e) => e.type === "recovered" && String(e.action).includes("taken over"))).toBe(
      true,
    );
    expect(encodes(c).get("long-s3x.mov")).toEqual(["host-a", "host-b"]);
    expect(partials(c.dir)).toEqual([]);
  }, 60_000);

  test("kill -9 mid-job: another runner takes it over within lease + poll and cleans the temp output", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "victim", 2);
    const a = watch(c, "host-a");
    await waitFor("host-a's FFmpeg", () => (encodes(c).get("victim-s2x.mov") ?? []).includes("host-a"));
    const b = watch(c, "host-b");
    a.child.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor("host-b's FFmpeg", () => (encodes(c).get("victim-s2x.mov") ?? []).includes("host-b"), 20_000);
    const takeoverMs = Date.now() - killedAt;
    await waitFor("the result", () => existsSync(join(c.jobs, "processed", "victim.json")), 20_000);
    b.child.kill("SIGTERM");
    await b.done;
    console.log(`takeover after kill -9: ${takeoverMs} ms (lease 2 s, poll 0.2 s)`);
    expect(results(c.jobs)).toEqual({ victim: "COMPLETED" });
    // host-a's orphaned FFmpeg (the stand-in) was stopped, its temp file removed.
    await Bun.sleep(2500);
    expect(partials(c.dir)).toEqual([]);
    expect(encodes(c).get("victim-s2x.mov")).toEqual(["host-a", "host-b"]);
  }, 60_000);

  test("--max-attempts: a job whose runner dies each time ends FAILED 'interrupted N times'", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "poison", 30);
    for (const host of ["host-a", "host-b"]) {
      const r = watch(c, host, ["--max-attempts", "2"]);
      await waitFor(`${host}'s FFmpeg`, () => (encodes(c).get("poison-s30x.mov") ?? []).includes(host), 20_000);
      r.child.kill("SIGKILL");
    }
    const last = watch(c, "host-c", ["--max-attempts", "2", "--once"]);
    await Bun.sleep(2200); // the lease of host-b's claim runs out
    const done = await last.done;
    if (!existsSync(join(c.jobs, "poison.result.json"))) {
      // --once may have looked before the lease ran out: once more.
      await watch(c, "host-c", ["--max-attempts", "2", "--once"]).done;
    }
    void done;
    const result = JSON.parse(readFileSync(join(c.jobs, "poison.result.json"), "utf8"));
    expect(result.final_status).toBe("FAILED");
    expect(result.failure_reason).toContain("interrupted 2 times");
    expect(existsSync(join(c.jobs, "failed", "poison.json"))).toBe(true);
    expect(encodes(c).get("poison-s30x.mov")).toEqual(["host-a", "host-b"]);
    expect(partials(c.dir)).toEqual([]);
  }, 60_000);

  test("SIGTERM releases the claim at once: another runner takes the job without waiting for the lease", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "handoff", 1.5);
    const a = watch(c, "host-a", ["--lease-seconds", "30"]);
    await waitFor("host-a's FFmpeg", () => (encodes(c).get("handoff-s1.5x.mov") ?? []).includes("host-a"));
    a.child.kill("SIGTERM");
    const doneA = await a.done;
    expect(doneA.code).toBe(143);
    // A 30 s lease: were the claim not released, this --once would find nothing to take.
    const b = await watch(c, "host-b", ["--once", "--lease-seconds", "30"]).done;
    expect(b.code).toBe(0);
    expect(results(c.jobs)).toEqual({ handoff: "COMPLETED" });
    expect(encodes(c).get("handoff-s1.5x.mov")).toEqual(["host-a", "host-b"]);
  }, 60_000);

  test("the database restarts mid-run (pg_ctl restart -m immediate): nothing lost, nothing run twice", async () => {
    const c = caseDir();
    const names = ["r0", "r1", "r2", "r3", "r4", "r5"];
    for (const name of names) writeTimedJob(c.dir, name, 0.8);
    const runners = ["host-a", "host-b"].map((h) => watch(c, h));
    await waitFor(
      "a first result",
      () => existsSync(join(c.jobs, "processed", "r0.json")) || existsSync(join(c.jobs, "processed", "r1.json")),
      20_000,
    );
    pg.restartImmediate();
    await waitFor("every job processed", () => readdirSync(join(c.jobs, "processed")).length === names.length, 40_000);
    const entries = () => {
      try {
        return Object.keys(JSON.parse(readFileSync(join(c.jobs, "processed_manifest.json"), "utf8")).entries).length;
      } catch {
        return 0;
      }
    };
    await waitFor("every manifest entry", () => entries() === names.length, 20_000).catch(() => {});
    for (const r of runners) r.child.kill("SIGTERM");
    const done = await Promise.all(runners.map((r) => r.done));
    if (entries() !== names.length) {
      for (const d of done) {
        console.log(
          d.code,
          d.stderr,
          events(d.stdout).filter((e) => e.type !== "progress" && e.type !== "clip_progress"),
        );
      }
    }
    expect(Object.values(results(c.jobs))).toEqual(names.map(() => "COMPLETED"));
    const manifest = JSON.parse(readFileSync(join(c.jobs, "processed_manifest.json"), "utf8"));
    expect(Object.keys(manifest.entries).length).toBe(names.length);
    // Only a job whose lease could not be renewed may run again, and it wrote nothing the first time.
    const byOutput = encodes(c);
    for (const name of names) expect((byOutput.get(`${name}-s0.8x.mov`) ?? []).length).toBeGreaterThanOrEqual(1);
    expect(partials(c.dir)).toEqual([]);
  }, 90_000);
});

describe("one queue, three runtimes", () => {
  const deno = findDeno();
  const binary = join(REPO, "dist", "proxx-linux-x64");
  test.skipIf(!deno)("runners on Bun, on Deno (and the compiled binary when built) share one queue", async () => {
    const c = caseDir();
    const names = ["m0", "m1", "m2", "m3", "m4", "m5"];
    for (const name of names) writeTimedJob(c.dir, name, 0.3);
    const args = [
      "watch",
      c.jobs,
      "--once",
      "--coordinator",
      pg.url,
      "--settle-seconds",
      "0",
      "--lease-seconds",
      "5",
      "-q",
    ];
    const commands: [string, string[], string][] = [
      [process.execPath, [MAIN, ...args], "bun-host"],
      [deno!, ["run", "--allow-all", MAIN, ...args], "deno-host"],
      ...(existsSync(binary) ? [[binary, args, "binary-host"] as [string, string[], string]] : []),
    ];
    const codes = await Promise.all(commands.map(([cmd, argv, host]) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(cmd, argv, { env: { ...process.env, ...c.env, NO_COLOR: "1", PROXX_HOSTNAME: host } });
        child.on("close", (code) => resolve(code));
      })
    ));
    expect(codes.every((code) => code === 0)).toBe(true);
    expect(Object.values(results(c.jobs))).toEqual(names.map(() => "COMPLETED"));
    for (const name of names) expect(encodes(c).get(`${name}-s0.3x.mov`)).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(c.jobs, "processed_manifest.json"), "utf8"));
    expect(Object.keys(manifest.entries).length).toBe(names.length);
  }, 60_000);
});

describe("bad input: clear error, documented exit code, folder untouched", () => {
  function untouched(jobs: string): string[] {
    return readdirSync(jobs).sort();
  }

  test("unreachable host: exit 4 naming the host, no password", () => {
    const c = caseDir();
    writeTimedJob(c.dir, "x", 0.1);
    const r = proxx(["watch", c.jobs, "--once", "--coordinator", "postgres://proxx:hunter22@127.0.0.1:1/proxx"], {
      env: c.env,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("proxx@127.0.0.1:1/proxx");
    expect(r.stderr).toContain("cannot reach");
    expect(r.stderr + r.stdout).not.toContain("hunter22");
    expect(untouched(c.jobs)).toEqual(["x.json"]);
  });

  test("wrong password: exit 4, authentication failed, the password not shown", () => {
    const c = caseDir();
    writeTimedJob(c.dir, "x", 0.1);
    const url = pg.url.replace(/:[^:@]+@/, ":wrong-pass-99@");
    const r = proxx(["watch", c.jobs, "--once"], { env: { ...c.env, PROXX_COORDINATOR: url } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("authentication failed");
    expect(r.stderr + r.stdout).not.toContain("wrong-pass-99");
    expect(untouched(c.jobs)).toEqual(["x.json"]);
  });

  test("no right to create tables: exit 4 saying what to grant", () => {
    const c = caseDir();
    writeTimedJob(c.dir, "x", 0.1);
    // A fresh database the reader role may connect to but not create in.
    pg.psql("DROP DATABASE IF EXISTS empty_db");
    Bun.spawnSync(["true"]);
    const sql = `CREATE DATABASE empty_db OWNER postgres`;
    pg.psql(sql);
    const url = pg.readOnlyUrl.replace(/\/proxx$/, "/empty_db");
    const r = proxx(["watch", c.jobs, "--once", "--coordinator", url], { env: c.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("permission denied");
    expect(r.stderr).toContain("GRANT CREATE ON SCHEMA public TO reader");
    expect(untouched(c.jobs)).toEqual(["x.json"]);
  });

  test("a URL that is not postgres: usage error (exit 2)", () => {
    const c = caseDir();
    writeTimedJob(c.dir, "x", 0.1);
    const r = proxx(["watch", c.jobs, "--once", "--coordinator", "mysql://u:topsecret@db/x"], { env: c.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("PostgreSQL URL");
    expect(r.stderr).not.toContain("topsecret");
    expect(untouched(c.jobs)).toEqual(["x.json"]);
  });

  test("another folder with the same --folder-id: exit 4 naming the other folder", () => {
    const first = caseDir();
    writeTimedJob(first.dir, "x", 0.1);
    const ok = proxx([
      "watch",
      first.jobs,
      "--once",
      "--settle-seconds",
      "0",
      "--folder-id",
      "shared-name",
      "--coordinator",
      pg.url,
    ], {
      env: first.env,
    });
    expect(ok.code).toBe(0);
    const second = caseDir();
    writeTimedJob(second.dir, "y", 0.1);
    const r = proxx(["watch", second.jobs, "--once", "--folder-id", "shared-name", "--coordinator", pg.url], {
      env: second.env,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("folder id 'shared-name' is already used by another folder");
    expect(r.stderr).toContain(first.jobs);
    expect(untouched(second.jobs)).toEqual(["y.json"]);
  });

  test("a schema newer than this proxx: exit 4, refused", () => {
    const c = caseDir();
    writeTimedJob(c.dir, "x", 0.1);
    pg.psql("DROP DATABASE IF EXISTS future_db");
    pg.psql("CREATE DATABASE future_db OWNER proxx");
    const url = pg.url.replace(/\/proxx$/, "/future_db");
    pg.psqlDb(
      "future_db",
      "CREATE TABLE proxx_schema (singleton boolean PRIMARY KEY DEFAULT true, version integer NOT NULL); INSERT INTO proxx_schema VALUES (true, 99); ALTER TABLE proxx_schema OWNER TO proxx;",
    );
    const r = proxx(["watch", c.jobs, "--once", "--coordinator", url], { env: c.env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("schema version 99, newer than this proxx knows");
    expect(untouched(c.jobs)).toEqual(["x.json"]);
  });

  test("a live runner without --coordinator holds the folder: refused (exit 5)", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "slow", 3);
    const single = startProxx(["watch", c.jobs, "--settle-seconds", "0"], { env: c.env });
    await waitFor("the lock", () => existsSync(join(c.jobs, ".proxx.lock")));
    const r = proxx(["watch", c.jobs, "--once", "--coordinator", pg.url], { env: c.env });
    single.child.kill("SIGTERM");
    await single.done;
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("is locked by pid");
  });
});

describe("webhooks: one outbox, shared by the coordinated runners", () => {
  /** A receiver on 127.0.0.1 in this process: what `answer` says per request (a number, or "hang": never answered). */
  async function receiverServer(answer: (n: number) => number | "hang") {
    const got: { key: string; body: string }[] = [];
    const hanging: import("node:http").ServerResponse[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        got.push({ key: String(req.headers["idempotency-key"]), body: Buffer.concat(chunks).toString("utf8") });
        const a = answer(got.length);
        if (a === "hang") hanging.push(res);
        else res.writeHead(a).end("ok\n");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
    const close = () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
    };
    return { got, url, close };
  }
  const keysOf = (got: { key: string }[]) => got.map((g) => g.key);

  test(
    "a delivery in flight on one runner is not sent by another; when that runner dies, the other sends it",
    async () => {
      // The first request hangs (runner A's delivery in flight); every later one is taken.
      const r = await receiverServer((n) => (n === 1 ? "hang" : 200));
      try {
        const c = caseDir();
        writeTimedJob(c.dir, "hooked", 0.1);
        const timing = { PROXX_TEST_WEBHOOK_TIMING: "delay_ms=200 timeout_ms=10000" };
        const a = startProxx(["watch", c.jobs, "--coordinator", pg.url, ...COMMON, "--webhook", r.url], {
          env: { ...c.env, ...timing, PROXX_HOSTNAME: "host-a" },
        });
        await waitFor("runner A's delivery", () => r.got.length >= 1, 20_000);
        const b = startProxx(["watch", c.jobs, "--coordinator", pg.url, ...COMMON, "--webhook", r.url], {
          env: { ...c.env, ...timing, PROXX_HOSTNAME: "host-b" },
        });
        // B starts (its open lists the entry) and scans for longer than the lease (2 s): from then
        // on the entry is old enough to resume, and only A's lock on it keeps B from sending it.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect(events(b.output().stdout).filter((e) => e.type === "scan").length).toBeGreaterThanOrEqual(5);
        expect(keysOf(r.got)).toHaveLength(1);
        const outbox = join(c.jobs, ".proxx-outbox");
        expect(readdirSync(outbox)).toHaveLength(1);
        // A dies mid-delivery: its lock goes with its connection, and B's next scan sends the entry.
        a.child.kill("SIGKILL");
        await a.done;
        await waitFor("B's delivery", () => r.got.length >= 2, 20_000);
        await waitFor("the outbox emptied", () => readdirSync(outbox).length === 0);
        b.child.kill("SIGTERM");
        const bDone = await b.done;
        expect(r.got).toHaveLength(2);
        expect(r.got[1]!.key).toBe(r.got[0]!.key);
        expect(r.got[1]!.body).toBe(readFileSync(join(c.jobs, "hooked.result.json"), "utf8"));
        expect(events(bDone.stdout).filter((e) => e.type === "webhook_delivered").map((e) => e.job_id)).toEqual([
          "hooked",
        ]);
      } finally {
        r.close();
      }
    },
    60_000,
  );

  test("three runners, one receiver: each job's result is delivered once, by one of them", async () => {
    // The runners start 0.3 s apart, so each one's open and scans meet the others' deliveries.
    const r = await receiverServer(() => 200);
    try {
      const c = caseDir();
      const names = Array.from({ length: 9 }, (_, i) => `w${i}`);
      for (const name of names) writeTimedJob(c.dir, name, 0.1);
      const env = { ...c.env, PROXX_TEST_WEBHOOK_TIMING: "delay_ms=200 timeout_ms=5000" };
      const runners = ["host-a", "host-b", "host-c"].map((h, i) =>
        new Promise<Awaited<ReturnType<typeof watch>["done"]>>((resolve) =>
          setTimeout(() => {
            const p = startProxx(["watch", c.jobs, "--coordinator", pg.url, ...COMMON, "--once", "--webhook", r.url], {
              env: { ...env, PROXX_HOSTNAME: h },
            });
            void p.done.then(resolve);
          }, i * 300)
        )
      );
      const done = await Promise.all(runners);
      for (const d of done) expect(d.code).toBe(0);
      const keys = keysOf(r.got);
      expect(new Set(keys).size).toBe(names.length);
      expect(keys).toHaveLength(names.length);
      const delivered = done.flatMap((d) => events(d.stdout).filter((e) => e.type === "webhook_delivered"));
      expect(delivered.map((e) => e.job_id).sort()).toEqual(names);
      expect(readdirSync(join(c.jobs, ".proxx-outbox"))).toEqual([]);
    } finally {
      r.close();
    }
  }, 60_000);
});

describe("reset on a coordinated folder", () => {
  test("needs --coordinator, is refused while a runner is live, and re-runs the job once they stopped", async () => {
    const c = caseDir();
    writeTimedJob(c.dir, "again", 0.1);
    const first = await watch(c, "host-a", ["--once"]).done;
    expect(first.code).toBe(0);
    expect(readdirSync(join(c.jobs, "processed"))).toEqual(["again.json"]);
    const env = { ...c.env, PROXX_HOSTNAME: "host-r" };

    // The folder carries .proxx-coordinator.json: without the coordinator reset cannot know who runs.
    const blind = proxx(["reset", c.jobs, "--all"], { env });
    expect(blind.code).toBe(2);
    expect(blind.stderr).toContain(".proxx-coordinator.json");
    expect(blind.stderr).toContain("--coordinator");

    // A live coordinated runner (idle, polling): refused, nothing moved.
    const live = watch(c, "host-b");
    await waitFor("runner B registered", () => events(live.output().stdout).some((e) => e.type === "scan"));
    const refused = proxx(["reset", c.jobs, "--all", "--coordinator", pg.url], { env });
    live.child.kill("SIGTERM");
    await live.done;
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("host-b");
    expect(refused.stderr).not.toContain("s3cret");
    expect(readdirSync(join(c.jobs, "processed"))).toEqual(["again.json"]);
    expect(existsSync(join(c.jobs, "again.result.json"))).toBe(true);

    // A folder id that is not the one in the folder's marker: refused before anything is asked.
    const wrongId = proxx(["reset", c.jobs, "--all", "--coordinator", pg.url, "--folder-id", "elsewhere"], { env });
    expect(wrongId.code).toBe(2);
    expect(wrongId.stderr).toContain("'elsewhere' is not this folder's");

    // Every runner stopped: reset, and the next coordinated run takes the job again.
    const ok = proxx(["reset", c.jobs, "--all", "--coordinator", pg.url], { env });
    expect(ok.code).toBe(0);
    expect(existsSync(join(c.jobs, "again.json"))).toBe(true);
    const second = await watch(c, "host-c", ["--once"]).done;
    expect(second.code).toBe(0);
    expect(results(c.jobs)).toEqual({ again: "COMPLETED" });
    expect(encodes(c).get("again-s0.1x.mov")).toEqual(["host-a", "host-c"]);
  }, 60_000);
});
