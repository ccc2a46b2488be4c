/**
 * Hooks and webhooks end to end: the real CLI as a process, real FFmpeg where a job must
 * complete, and a real HTTP receiver on 127.0.0.1 in this test process that records every
 * request. The retry schedule is shortened with the hidden PROXX_TEST_WEBHOOK_TIMING knob
 * (the real one-minute schedule is checked on the fake clock in tests/unit/notify.test.ts).
 * proxx runs with startProxx (async): a spawnSync would block the receiver in this process.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { makeClip } from "../helpers/media.ts";
import { startProxx, tempDir, waitFor } from "../helpers/cli.ts";
import type { ProxxEvent } from "../../src/engine/events.ts";

let root: string;
let media: string;
let server: Server;
let url = "";
let received: { headers: IncomingMessage["headers"]; body: string }[] = [];
let behaviour: (n: number) => number | "hang" = () => 200;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  root = tempDir("proxx-notify-");
  media = join(root, "media");
  mkdirSync(media);
  makeClip(media, "clip.mov", { width: 160, height: 120, seconds: 0.4 });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const answer = behaviour(received.length);
      if (answer === "hang") hanging.push(res);
      else res.writeHead(answer).end(answer >= 400 ? "refused\n" : "ok\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/proxx/T0/secret-token`;
});

afterAll(() => {
  spawnSync("pkill", ["-9", "-f", root]); // a kill -9'd runner's leftovers, if any
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  server.close();
  rmSync(root, { recursive: true, force: true });
});

function receiver(b: typeof behaviour) {
  received = [];
  behaviour = b;
}

let n = 0;
function folder(): string {
  const jobs = join(root, `case-${++n}`, "jobs");
  mkdirSync(jobs, { recursive: true });
  mkdirSync(join(root, `case-${n}`, "out"));
  return jobs;
}

/** A JobSpec that completes with real FFmpeg, or (invalid) one that ends PARTIAL without running anything. */
function dropJob(jobs: string, name: string, valid = true): string {
  const spec = valid
    ? {
      job_id: name,
      sources: [join(media, "clip.mov")],
      output_directory: join(jobs, "..", "out"),
      codec: "h264",
      container: "mp4",
      resolution: "quarter",
      naming_template: `{source_name}_${name}`,
    }
    : { job_id: name, sources: [], output_directory: "/nowhere", codec: "h264", naming_template: "{nope}" };
  const path = join(jobs, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

const SHORT = { PROXX_TEST_WEBHOOK_TIMING: "delay_ms=50 timeout_ms=1000" };

async function watchOnce(jobs: string, args: string[], env: Record<string, string> = {}) {
  const r = await startProxx(["watch", jobs, "--once", "--settle-seconds", "0", "--json", ...args], {
    env: { ...SHORT, ...env },
  }).done;
  const events = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as ProxxEvent);
  return { ...r, events };
}

function ofType<T extends ProxxEvent["type"]>(events: ProxxEvent[], type: T) {
  return events.filter((e): e is Extract<ProxxEvent, { type: T }> => e.type === type);
}

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** A hook script that appends its four PROXX_* variables (and whether the secret leaked) to `log`. */
function envHook(dir: string, log: string): string {
  const path = join(dir, "hook.sh");
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$PROXX_JOB_ID" "$PROXX_FINAL_STATUS" "$PROXX_RESULT_PATH" ` +
      `"$PROXX_JOBSPEC_PATH" "\${PROXX_WEBHOOK_SECRET:-none}" >> '${log}'\necho "hook saw $PROXX_JOB_ID"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("proxx watch --once with a hook and a webhook", () => {
  test("one signed POST per job with the result file as body; the hook sees the right environment", async () => {
    receiver(() => 200);
    const jobs = folder();
    const specA = readFileSync(dropJob(jobs, "a"));
    const specB = readFileSync(dropJob(jobs, "b", false));
    const log = join(jobs, "..", "hook.log");
    const hook = envHook(join(jobs, ".."), log);
    const r = await watchOnce(jobs, ["--webhook", url, "--on-job-done", `'${hook}'`], {
      PROXX_WEBHOOK_SECRET: "s3cret",
    });
    expect(r.code).toBe(1); // b is invalid (PARTIAL): the same exit code as without notifications
    expect(received.length).toBe(2);
    const resultA = readFileSync(join(jobs, "a.result.json"), "utf8");
    const resultB = readFileSync(join(jobs, "b.result.json"), "utf8");
    expect(new Set(received.map((q) => q.body))).toEqual(new Set([resultA, resultB]));
    for (const q of received) {
      expect(q.headers["content-type"]).toBe("application/json");
      expect(q.headers["user-agent"]).toMatch(/^proxx\/\d+\.\d+\.\d+$/);
      expect(q.headers["x-proxx-signature"]).toBe(
        `sha256=${createHmac("sha256", "s3cret").update(Buffer.from(q.body)).digest("hex")}`,
      );
    }
    const keyOf = (body: string) => received.find((q) => q.body === body)!.headers["idempotency-key"];
    expect(keyOf(resultA)).toBe(`${sha256(specA)}:${JSON.parse(resultA)._metadata.result_written_at}`);
    expect(keyOf(resultB)).toBe(`${sha256(specB)}:${JSON.parse(resultB)._metadata.result_written_at}`);
    expect(JSON.parse(resultA).final_status).toBe("COMPLETED");

    const lines = readFileSync(log, "utf8").trim().split("\n").map((l) => l.split("|"));
    expect(lines.length).toBe(2);
    const [a, b] = lines;
    expect(a!.slice(0, 3)).toEqual(["a", "COMPLETED", join(jobs, "a.result.json")]);
    expect(a![3]).toMatch(new RegExp(`^${jobs}/processed/a.*\\.json$`));
    expect(existsSync(a![3]!)).toBe(true);
    expect(b!.slice(0, 3)).toEqual(["b", "PARTIAL", join(jobs, "b.result.json")]);
    expect(b![3]).toMatch(new RegExp(`^${jobs}/failed/b.*\\.json$`));
    expect(a![4]).toBe("none"); // the secret is not handed to the hook

    const hooks = ofType(r.events, "hook_finished");
    expect(hooks.map((h) => [h.job_id, h.exit_code, h.timed_out, h.output_tail])).toEqual([
      ["a", 0, false, ["hook saw a"]],
      ["b", 0, false, ["hook saw b"]],
    ]);
    const delivered = ofType(r.events, "webhook_delivered");
    expect(delivered.map((d) => [d.job_id, d.status, d.attempts]).sort()).toEqual([["a", 200, 1], ["b", 200, 1]]);
    // The URL's path (a token, as Slack's are) and the secret appear nowhere in the output.
    expect(r.stdout + r.stderr).not.toContain("secret-token");
    expect(r.stdout + r.stderr).not.toContain("s3cret");
    expect(delivered[0]!.webhook).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    expect(readdirSync(join(jobs, ".proxx-outbox"))).toEqual([]);
  }, 60_000);

  test("500, 500, 200: three requests with the same key and body, then delivered", async () => {
    receiver((k) => (k <= 2 ? 500 : 200));
    const jobs = folder();
    dropJob(jobs, "retry", false);
    const r = await watchOnce(jobs, ["--webhook", url]);
    expect(received.length).toBe(3);
    expect(new Set(received.map((q) => q.headers["idempotency-key"])).size).toBe(1);
    expect(new Set(received.map((q) => q.body)).size).toBe(1);
    expect(ofType(r.events, "webhook_delivered").map((d) => [d.status, d.attempts])).toEqual([[200, 3]]);
  }, 30_000);

  test(
    "a 4xx is not retried: webhook_failed and a warning; a failing hook; the job still COMPLETED, exit 0",
    async () => {
      receiver(() => 410);
      const jobs = folder();
      dropJob(jobs, "gone");
      const r = await watchOnce(jobs, ["--webhook", url, "--on-job-done", "sh -c 'echo broken >&2; exit 3'"]);
      expect(r.code).toBe(0);
      expect(received.length).toBe(1);
      expect(JSON.parse(readFileSync(join(jobs, "gone.result.json"), "utf8")).final_status).toBe("COMPLETED");
      expect(readdirSync(join(jobs, "processed")).length).toBe(1);
      const failed = ofType(r.events, "webhook_failed");
      expect(failed.map((f) => [f.status, f.attempts])).toEqual([[410, 1]]);
      expect(failed[0]!.reason).toMatch(/^HTTP 410 Gone: refused; not retried/);
      expect(ofType(r.events, "warning").some((w) => w.message.includes("did not take the result of job gone"))).toBe(
        true,
      );
      expect(ofType(r.events, "hook_finished").map((h) => [h.exit_code, h.output_tail])).toEqual([[3, ["broken"]]]);
      expect(readdirSync(join(jobs, ".proxx-outbox"))).toEqual([]);
    },
    60_000,
  );

  test("a receiver that hangs is timed out and the delivery fails in the end; the runner goes on", async () => {
    receiver(() => "hang");
    const jobs = folder();
    dropJob(jobs, "slow", false);
    const r = await watchOnce(jobs, ["--webhook", url], {
      PROXX_TEST_WEBHOOK_TIMING: "delay_ms=50 timeout_ms=700 tries=2",
    });
    expect(received.length).toBe(2);
    const failed = ofType(r.events, "webhook_failed");
    expect(failed.map((f) => [f.status, f.attempts, f.reason])).toEqual([[
      null,
      2,
      "no answer within 0.7 s (2 tries)",
    ]]);
    expect(r.code).toBe(1); // PARTIAL, as without the webhook
  }, 30_000);

  test("a hook that sleeps past its timeout is killed and logged, and the next job runs", async () => {
    receiver(() => 200);
    const jobs = folder();
    dropJob(jobs, "h1", false);
    dropJob(jobs, "h2", false);
    const r = await startProxx(
      ["watch", jobs, "--once", "--settle-seconds", "0", "--on-job-done", "sleep 30", "--hook-timeout-seconds", "0.5"],
    ).done;
    expect(r.code).toBe(1);
    const logged = r.stderr.split("\n").filter((l) => l.startsWith("hook sleep"));
    expect(logged).toEqual([
      expect.stringMatching(/^hook sleep for job h1: timed out and was killed \(SIGTERM\) \(\d+\.\ds\)$/),
      expect.stringMatching(/^hook sleep for job h2: timed out and was killed \(SIGTERM\)/),
    ]);
    expect(readdirSync(join(jobs, "failed")).length).toBe(2);
  }, 30_000);
});

describe("a delivery due when the runner is killed", () => {
  test("is in the outbox (without the URL or the secret) and is sent by the next start", async () => {
    receiver(() => 503);
    const jobs = folder();
    dropJob(jobs, "crash", false);
    const env = { PROXX_WEBHOOK_SECRET: "s3cret", PROXX_TEST_WEBHOOK_TIMING: "delay_ms=200 timeout_ms=1000" };
    const runner = startProxx(["watch", jobs, "--settle-seconds", "0", "--poll-seconds", "0.2", "--webhook", url], {
      env,
    });
    await waitFor("the first delivery attempt", () => received.length >= 1);
    runner.child.kill("SIGKILL");
    await runner.done;
    const outbox = join(jobs, ".proxx-outbox");
    const files = readdirSync(outbox);
    expect(files.length).toBe(1);
    const stored = readFileSync(join(outbox, files[0]!), "utf8");
    expect(stored).not.toContain("secret-token");
    expect(stored).not.toContain("s3cret");
    const firstKey = received[0]!.headers["idempotency-key"];

    receiver(() => 200);
    const again = await watchOnce(jobs, ["--webhook", url], env);
    expect(received.length).toBe(1);
    expect(received[0]!.headers["idempotency-key"]).toBe(firstKey);
    expect(received[0]!.body).toBe(readFileSync(join(jobs, "crash.result.json"), "utf8"));
    expect(ofType(again.events, "webhook_delivered").map((d) => d.job_id)).toEqual(["crash"]);
    expect(readdirSync(outbox)).toEqual([]);
  }, 60_000);
});

describe("proxx run", () => {
  test("the hook gets a temporary result copy, the webhook the result JSON; the exit code is the job's", async () => {
    receiver(() => 200);
    const dir = join(root, "run");
    mkdirSync(dir, { recursive: true });
    const spec = dropJob(dir, "single", false);
    const log = join(dir, "hook.log");
    const hook = join(dir, "copy.sh");
    writeFileSync(hook, `#!/bin/sh\ncat "$PROXX_RESULT_PATH" > '${log}'\necho "$PROXX_RESULT_PATH" > '${log}.path'\n`);
    chmodSync(hook, 0o755);
    const r = await startProxx(["run", spec, "--json", "--webhook", url, "--on-job-done", hook], { env: SHORT }).done;
    expect(r.code).toBe(3); // invalid JobSpec: nothing ran, as without notifications
    expect(received.map((q) => q.body)).toEqual([r.stdout]);
    expect(readFileSync(log, "utf8")).toBe(r.stdout);
    expect(existsSync(readFileSync(`${log}.path`, "utf8").trim())).toBe(false); // removed after the hook
    expect(r.stderr).toMatch(
      /webhook http:\/\/127\.0\.0\.1:\d+\/…: delivered the result of job single \(HTTP 200, 1 try\)/,
    );
  }, 30_000);

  test("bad hook and webhook settings are usage errors before anything runs", async () => {
    receiver(() => 200);
    mkdirSync(join(root, "run"), { recursive: true });
    const spec = dropJob(join(root, "run"), "never", false);
    const cases: [string[], RegExp][] = [
      [["--on-job-done", "cp $PROXX_RESULT_PATH /tmp"], /--on-job-done: '\$': variables are not expanded/],
      [["--on-job-done", "no-such-program-proxx"], /program 'no-such-program-proxx' not found/],
      [["--webhook", "ftp://user:pw@example.com/x"], /--webhook #1 must be an http:\/\/ or https:\/\/ URL/],
      [["--webhook-secret", "x"], /--webhook-secret needs --webhook/],
      [["--hook-timeout-seconds", "5"], /--hook-timeout-seconds needs --on-job-done/],
    ];
    for (const [args, message] of cases) {
      const r = await startProxx(["run", spec, ...args]).done;
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("user:pw");
    }
    expect(received.length).toBe(0);
  }, 30_000);
});
