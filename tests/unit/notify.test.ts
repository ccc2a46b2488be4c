/**
 * Hooks and webhooks below the CLI: the delivery schedule against a real HTTP receiver on
 * 127.0.0.1 with the fake platform's clock (so the real one-minute schedule is checked
 * without waiting for it), signatures, URL redaction, the outbox, where the watch runner
 * tells the notifier, and that a JobSpec cannot carry a hook.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createHmac } from "node:crypto";
import { checkJobSpecBytes } from "../../src/jobspec/load.ts";
import type { Platform } from "../../src/platform/types.ts";
import {
  DEFAULT_RETRY_POLICY,
  deliver,
  parseWebhookUrl,
  redactUrl,
  retryPolicyFrom,
  signBody,
} from "../../src/notify/webhook.ts";
import { Outbox, type OutboxEntry } from "../../src/notify/outbox.ts";
import { hookEnvironment, KILL_GRACE_MS, runHook } from "../../src/notify/hook.ts";
import { currentPlatform } from "../../src/platform/current.ts";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobNotifier } from "../../src/watch/job-notifier.ts";
import type { ProxxEvent } from "../../src/engine/events.ts";
import { createRenderer } from "../../src/cli/render.ts";
import { FakePlatform } from "../helpers/fake-platform.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A loopback receiver answering request n with `behaviour(n)`: a status, or "hang". */
let server: Server;
let base = "";
let received: Received[] = [];
let behaviour: (n: number) => number | "hang" = () => 200;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const answer = behaviour(received.length);
      if (answer === "hang") hanging.push(res);
      else res.writeHead(answer, { "content-type": "text/plain" }).end(answer >= 400 ? "nope\n" : "ok\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(() => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  server.close();
});

function fresh(b: typeof behaviour) {
  received = [];
  behaviour = b;
}

const options = (_platform: FakePlatform, secret: string | null = null) => ({
  secret,
  userAgent: "proxx/test",
  policy: DEFAULT_RETRY_POLICY,
  signal: new AbortController().signal,
});

describe("deliver: the real schedule on the fake clock", () => {
  test("500, 500, 200: three requests, waiting 2 s then 5 s, same key and body each time", async () => {
    fresh((n) => (n <= 2 ? 500 : 200));
    const platform = new FakePlatform();
    const start = platform.monotonic();
    const outcome = await deliver(platform, parseWebhookUrl(`${base}/hook`), { key: "k1", body: '{"a":1}\n' }, {
      ...options(platform, "s3cret"),
    });
    expect(outcome).toEqual({ kind: "delivered", status: 200, attempts: 3 });
    expect(platform.monotonic() - start).toBe(7000);
    expect(received.map((r) => r.body)).toEqual(['{"a":1}\n', '{"a":1}\n', '{"a":1}\n']);
    expect(new Set(received.map((r) => r.headers["idempotency-key"]))).toEqual(new Set(["k1"]));
    const expected = `sha256=${createHmac("sha256", "s3cret").update('{"a":1}\n').digest("hex")}`;
    expect(received[0]!.headers["x-proxx-signature"]).toBe(expected);
    expect(received[0]!.headers["content-type"]).toBe("application/json");
    expect(received[0]!.headers["user-agent"]).toBe("proxx/test");
  });

  test("always 503: five tries within the minute (2 + 5 + 15 + 30 s of waiting), then failed", async () => {
    fresh(() => 503);
    const platform = new FakePlatform();
    const start = platform.monotonic();
    const outcome = await deliver(
      platform,
      parseWebhookUrl(`${base}/hook`),
      { key: "k2", body: "{}" },
      options(platform),
    );
    expect(outcome.kind).toBe("failed");
    expect(outcome.attempts).toBe(5);
    expect(received.length).toBe(5);
    expect(platform.monotonic() - start).toBe(52_000);
    expect(outcome.kind === "failed" && outcome.reason).toMatch(/^HTTP 503 Service Unavailable: nope \(5 tries\)$/);
  });

  test("a 4xx is not retried; a 3xx is not followed", async () => {
    fresh(() => 404);
    const platform = new FakePlatform();
    const outcome = await deliver(
      platform,
      parseWebhookUrl(`${base}/hook`),
      { key: "k3", body: "{}" },
      options(platform),
    );
    expect(outcome).toMatchObject({ kind: "failed", status: 404, attempts: 1 });
    expect(outcome.kind === "failed" && outcome.reason).toMatch(/not retried/);
    fresh(() => 302);
    const redirected = await deliver(
      platform,
      parseWebhookUrl(`${base}/r`),
      { key: "k4", body: "{}" },
      options(platform),
    );
    expect(redirected).toMatchObject({ kind: "failed", status: 302, attempts: 1 });
    expect(received.length).toBe(1);
  });

  test("a receiver that never answers is timed out after 10 s, and the next try gets through", async () => {
    fresh((n) => (n === 1 ? "hang" : 200));
    const platform = new FakePlatform();
    const start = platform.monotonic();
    const pending = deliver(platform, parseWebhookUrl(`${base}/slow`), { key: "k5", body: "{}" }, options(platform));
    while (received.length === 0) await new Promise((r) => setTimeout(r, 5));
    platform.advance(10_000); // the request's deadline, on the platform clock
    expect(await pending).toEqual({ kind: "delivered", status: 200, attempts: 2 });
    expect(platform.monotonic() - start).toBe(12_000);
  });

  test("nothing listening: network errors are retried, and the reason says what happened", async () => {
    const platform = new FakePlatform();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const address = closed.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise<void>((r) => closed.close(() => r()));
    const policy = { ...DEFAULT_RETRY_POLICY, tries: 2 };
    const outcome = await deliver(platform, parseWebhookUrl(`http://u:p@127.0.0.1:${port}/x`), {
      key: "k6",
      body: "{}",
    }, { ...options(platform), policy });
    expect(outcome).toMatchObject({ kind: "failed", status: null, attempts: 2 });
    expect(outcome.kind === "failed" && outcome.reason).not.toContain("u:p");
  });

  test("a stop ends a delivery at once, as still due", async () => {
    fresh(() => 500);
    const platform = new FakePlatform();
    const stop = new AbortController();
    stop.abort();
    const outcome = await deliver(platform, parseWebhookUrl(`${base}/x`), { key: "k7", body: "{}" }, {
      ...options(platform),
      signal: stop.signal,
    });
    expect(outcome).toEqual({ kind: "stopped", attempts: 0 });
    expect(received.length).toBe(0);
  });
});

describe("URLs, signatures, the test knob", () => {
  test("GitHub's published example signature", () => {
    expect(signBody("It's a Secret to Everybody", new TextEncoder().encode("Hello, World!"))).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  test("redaction keeps scheme, host and port only", () => {
    expect(redactUrl("https://hooks.slack.com/services/T0/B0/XXXX")).toBe("https://hooks.slack.com/…");
    expect(redactUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    expect(redactUrl("https://bot:hunter2@example.com/?token=abc")).toBe("https://***@example.com/…");
  });

  test("credentials move into an Authorization header; bad URLs are refused without echoing them", () => {
    const t = parseWebhookUrl("https://bot:p%40ss@example.com/in#frag");
    expect(t.url).toBe("https://example.com/in");
    expect(t.authorization).toBe(`Basic ${btoa("bot:p@ss")}`);
    expect(t.display).toBe("https://***@example.com/…");
    expect(() => parseWebhookUrl("ftp://secret.example/x")).toThrow(/http:\/\/ or https:\/\/ URL, not ftp:\/\/…$/);
    expect(() => parseWebhookUrl("not a url secret")).toThrow(/^is not a URL/);
  });

  test("the hidden timing knob; the defaults are the documented ones", () => {
    expect(retryPolicyFrom(undefined)).toEqual({
      tries: 5,
      delaysMs: [2000, 5000, 15000, 30000],
      budgetMs: 60_000,
      requestTimeoutMs: 10_000,
    });
    expect(retryPolicyFrom("delay_ms=20 timeout_ms=500 tries=2")).toMatchObject({
      tries: 2,
      delaysMs: [20],
      requestTimeoutMs: 500,
    });
    // It can shorten the schedule, never stretch it past the contract's limits.
    expect(retryPolicyFrom("tries=50 budget_ms=999999 timeout_ms=999999")).toMatchObject({
      tries: 5,
      budgetMs: 60_000,
      requestTimeoutMs: 10_000,
    });
  });

  test("one receiver keeps one id however its scheme and host are written", () => {
    expect(parseWebhookUrl("HTTPS://Hooks.Example.com:443/in").id).toBe(
      parseWebhookUrl("https://hooks.example.com/in").id,
    );
    expect(parseWebhookUrl("https://hooks.example.com/a").id).not.toBe(
      parseWebhookUrl("https://hooks.example.com/b").id,
    );
  });
});

describe("outbox", () => {
  const entry = (key: string, created: string): OutboxEntry => ({
    version: 1,
    webhook_id: "id-1",
    webhook: "https://example.com/…",
    idempotency_key: key,
    job_id: key,
    jobspec_path: `/w/${key}.json`,
    result_path: `/w/${key}.result.json`,
    created_at: created,
    body: `{"job_id":"${key}"}\n`,
  });

  test("put is idempotent, list is oldest first, leftovers of killed writes and garbage are removed", async () => {
    const platform = new FakePlatform();
    platform.mkdirSync("/w");
    const outbox = new Outbox(platform, "/w");
    await outbox.put(entry("b", "2025-12-28T12:00:02.000000+00:00"));
    await outbox.put(entry("a", "2025-12-28T12:00:01.000000+00:00"));
    await outbox.put(entry("a", "2025-12-28T12:00:01.000000+00:00"));
    platform.writeFile("/w/.proxx-outbox/0123.json.tmp-999", "{half");
    platform.writeFile("/w/.proxx-outbox/garbage.json", "{half");
    const bad: string[] = [];
    const listed = await outbox.list((name) => bad.push(name));
    expect(listed.map((e) => e.job_id)).toEqual(["a", "b"]);
    expect(bad).toEqual(["garbage.json"]);
    expect(platform.filesUnder("/w/.proxx-outbox").length).toBe(2);
    await outbox.remove(listed[0]!);
    expect((await outbox.list(() => {})).map((e) => e.job_id)).toEqual(["b"]);
  });

  test("shared by coordinated runners: a young temp file may be another runner's write and stays; an hour-old one goes", async () => {
    const platform = new FakePlatform();
    platform.mkdirSync("/w");
    const outbox = new Outbox(platform, "/w");
    await outbox.put(entry("a", "2025-12-28T12:00:01.000000+00:00"));
    platform.writeFile("/w/.proxx-outbox/0123.json.tmp-999", "{half");
    await outbox.list(() => {}, { shared: true });
    expect(platform.filesUnder("/w/.proxx-outbox").length).toBe(2);
    expect(await outbox.has(Outbox.nameOf(entry("a", "")))).toBe(true);
    platform.advance(3_600_001);
    expect((await outbox.list(() => {}, { shared: true })).map((e) => e.job_id)).toEqual(["a"]);
    expect(platform.filesUnder("/w/.proxx-outbox").length).toBe(1);
  });

  test("an entry from a newer proxx is left as it is, not deleted", async () => {
    const platform = new FakePlatform();
    platform.mkdirSync("/w");
    const outbox = new Outbox(platform, "/w");
    await outbox.put(entry("a", "2025-12-28T12:00:01.000000+00:00"));
    platform.writeFile("/w/.proxx-outbox/future.json", JSON.stringify({ ...entry("f", "x"), version: 2 }));
    const bad: string[] = [];
    expect((await outbox.list((name, reason) => bad.push(`${name}: ${reason}`))).map((e) => e.job_id)).toEqual(["a"]);
    expect(bad).toEqual(["future.json: written by a newer proxx (entry version 2): left as it is"]);
    expect(platform.filesUnder("/w/.proxx-outbox").length).toBe(2);
  });

  test("a link planted at .proxx-outbox is never written or read through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "proxx-outbox-link-"));
    try {
      mkdirSync(join(dir, "elsewhere"));
      symlinkSync(join(dir, "elsewhere"), join(dir, ".proxx-outbox"));
      const outbox = new Outbox(await currentPlatform(), dir);
      await expect(outbox.put(entry("a", "2025-12-28T12:00:01.000000+00:00"))).rejects.toThrow(
        "is a symbolic link: not written through",
      );
      expect(readdirSync(join(dir, "elsewhere"))).toEqual([]);
      const bad: string[] = [];
      expect(await outbox.list((name, reason) => bad.push(`${name} ${reason}`))).toEqual([]);
      expect(bad).toEqual([".proxx-outbox is a symbolic link: not read through, so nothing in it is resumed"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what a hook inherits", () => {
  test("the job's facts; neither the webhook secret nor the webhook URLs", () => {
    const platform = new FakePlatform({ env: { PROXX_WEBHOOK_SECRET: "s3cret", PROXX_WEBHOOK: "https://x/T/B/tok" } });
    const env = hookEnvironment(
      { resultPath: "/w/j.result.json", jobspecPath: "/w/processed/j.json", finalStatus: "FAILED", jobId: "j" },
      platform,
    );
    expect(env).toEqual({
      PROXX_RESULT_PATH: "/w/j.result.json",
      PROXX_JOBSPEC_PATH: "/w/processed/j.json",
      PROXX_FINAL_STATUS: "FAILED",
      PROXX_JOB_ID: "j",
      PROXX_WEBHOOK_SECRET: "",
      PROXX_WEBHOOK: "",
    });
  });
});

describe("where the runner tells the notifier", () => {
  /** Records each call with what the folder looked like at that moment. */
  function recording(platform: FakePlatform) {
    const calls: string[] = [];
    const notifier: JobNotifier = {
      open: (folder) => (calls.push(`open ${folder}`), Promise.resolve()),
      resultWritten: (r) => {
        calls.push(`result ${r.jobspecPath} moved=${!platform.exists(r.jobspecPath)} text=${r.resultText.length > 0}`);
        return Promise.resolve();
      },
      jobDone: (r) => {
        calls.push(`done ${r.jobspecPath} -> ${r.movedTo}`);
        return Promise.resolve();
      },
      close: (wait) => (calls.push(`close wait=${wait}`), Promise.resolve()),
    };
    return { calls, notifier };
  }

  test("after the result and before the move; after the job is recorded; --once waits at the end", async () => {
    const { platform, run, events } = setup({ "a.json": job("a"), "b.json": job("b", { outcome: "FAILED" }) });
    const { calls, notifier } = recording(platform);
    await run({ notifier });
    expect(calls[0]).toBe(`open ${W}`);
    expect(calls.slice(1, 3)).toEqual([
      `result ${W}/a.json moved=false text=true`,
      expect.stringMatching(/^done \/w\/a\.json -> \/w\/processed\/a/),
    ]);
    expect(calls[4]).toMatch(/^done \/w\/b\.json -> \/w\/failed\/b/);
    expect(calls.at(-1)).toBe("close wait=true");
    // jobDone comes after the job's job_result event
    expect(events.filter((e) => e.type === "job_result").length).toBe(2);
  });

  test("recovery of a job killed after its result was written tells the notifier again", async () => {
    const { platform, run } = setup({ "a.json": job("a") });
    platform.writeFile(`${W}/a.result.json`, '{"job_id":"a","final_status":"COMPLETED"}\n');
    platform.writeFile(
      `${W}/.proxx.inflight.json`,
      JSON.stringify({
        version: 1,
        jobspec_path: `${W}/a.json`,
        sha256: "0".repeat(64),
        attempts: 1,
        started_at: "2025-12-28T11:59:00.000000+00:00",
        pid: 424242,
      }),
    );
    const { calls, notifier } = recording(platform);
    await run({ notifier });
    expect(calls.slice(0, 3)).toEqual([
      `open ${W}`,
      `result ${W}/a.json moved=false text=true`,
      expect.stringMatching(/^done \/w\/a\.json -> \/w\/processed\/a/),
    ]);
  });

  test("a stopped runner does not wait for deliveries", async () => {
    const { platform, run, controller } = setup({ "a.json": job("a") });
    const { calls, notifier } = recording(platform);
    controller.abort();
    await run({ notifier });
    expect(calls.at(-1)).toBe("close wait=false");
  });
});

describe("a JobSpec cannot carry a hook", () => {
  const disk = {
    cwd: () => "/jobs",
    stat: (p: string) =>
      Promise.resolve(
        p === "/jobs/a.mov"
          ? { size: 1, mtimeMs: 0, isFile: true, isDirectory: false, isSymlink: false }
          : p === "/jobs/out"
          ? { size: 0, mtimeMs: 0, isFile: false, isDirectory: true, isSymlink: false }
          : null,
      ),
  } as unknown as Platform;

  for (const field of ["on_job_done", "webhook", "hooks"]) {
    test(`'${field}' is refused as an unknown field`, async () => {
      const spec = {
        sources: ["a.mov"],
        output_directory: "out",
        codec: "h264",
        container: "mp4",
        resolution: "half",
        naming_template: "{source_name}_proxy",
        [field]: "rm -rf /",
      };
      const outcome = await checkJobSpecBytes(disk, new TextEncoder().encode(JSON.stringify(spec)), "/jobs/j.json", {
        startedAtMs: 0,
      });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.issues.map((i) => i.message).join("\n")).toContain(`unknown field(s): '${field}'`);
    });
  }
});

describe("how the text log shows them", () => {
  const lines = (verbosity: "quiet" | "normal", events: ProxxEvent[]) => {
    const platform = new FakePlatform();
    const render = createRenderer(platform, { json: false, verbosity }, { live: false, color: false });
    events.forEach(render);
    return platform.stderr.split("\n").filter(Boolean);
  };
  const hook = (exit: number | null, timedOut = false): ProxxEvent => ({
    type: "hook_finished",
    job_id: "day1",
    jobspec_path: "/w/day1.json",
    command: ["./notify.sh", "--to", "edit"],
    exit_code: exit,
    signal: exit === null ? "SIGTERM" : null,
    timed_out: timedOut,
    duration_seconds: 60.004,
    output_tail: ["sent"],
    error: null,
  });
  const delivered: ProxxEvent = {
    type: "webhook_delivered",
    job_id: "day1",
    jobspec_path: "/w/day1.json",
    webhook: "https://hooks.example.com/…",
    idempotency_key: "k",
    status: 204,
    attempts: 3,
  };
  const failed: ProxxEvent = { ...delivered, type: "webhook_failed", status: 404, attempts: 1, reason: "HTTP 404" };

  test("normal: exit status and output tail of the hook, each delivery; a failure only through its warning", () => {
    expect(lines("normal", [hook(0), delivered, failed])).toEqual([
      "hook ./notify.sh for job day1: exited 0 (60.0s)",
      "  | sent",
      "webhook https://hooks.example.com/…: delivered the result of job day1 (HTTP 204, 3 tries)",
    ]);
  });

  test("quiet: only a hook that did not exit 0", () => {
    expect(lines("quiet", [hook(0), delivered, hook(null, true), hook(2)])).toEqual([
      "hook ./notify.sh for job day1: timed out and was killed (SIGTERM) (60.0s)",
      "  | sent",
      "hook ./notify.sh for job day1: exited 2 (60.0s)",
      "  | sent",
    ]);
  });
});

describe("a hook past its timeout", () => {
  test("gets SIGTERM at the timeout and the caller goes on; SIGKILL follows in the background", async () => {
    const p = new FakePlatform();
    const signals: string[] = [];
    let exit: (status: { code: number | null; signal: string | null }) => void = () => {};
    // A hook that ignores SIGTERM and only goes on SIGKILL.
    p.spawnImpl = () => ({
      pid: 4242,
      exited: new Promise((resolve) => (exit = resolve)),
      writeStdin: () => {},
      kill: (signal) => {
        signals.push(signal);
        if (signal === "SIGKILL") exit({ code: null, signal: "SIGKILL" });
      },
    });
    const job = {
      resultPath: "/w/j.result.json",
      jobspecPath: "/w/processed/j.json",
      finalStatus: "COMPLETED",
      jobId: "j",
    };
    const started = p.now();
    const running = runHook(p, { argv: ["./stubborn"], timeoutMs: 1000 }, job);
    p.advance(1000);
    const { outcome, gone } = await running;
    // Back to the caller at the timeout itself: the next job is not held up by the grace period.
    expect(p.now() - started).toBe(1000);
    expect(signals).toEqual(["SIGTERM"]);
    expect(outcome).toMatchObject({ timed_out: true, signal: "SIGTERM", exit_code: null });
    p.advance(KILL_GRACE_MS);
    // The log is told that SIGTERM was not enough.
    expect(await gone).toContain("ignored SIGTERM and was killed with SIGKILL");
    expect(signals).toEqual(["SIGTERM", "SIGKILL"]);
  });
});
