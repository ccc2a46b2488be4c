/**
 * src/coordinator/sql.ts, statement by statement, against a private PostgreSQL server
 * (tests/helpers/pg-server.ts): migrations and the schema version, idempotent enqueue,
 * SKIP LOCKED claims, leases on the server's clock, the fencing token, release, status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type PgServer, startPgServer } from "../helpers/pg-server.ts";
import { connect, type Connection, describeError, openCoordinator } from "../../src/coordinator/connection.ts";
import * as q from "../../src/coordinator/sql.ts";
import { bunPlatform } from "../../src/platform/bun.ts";
import { parseCoordinatorUrl, redactSecrets } from "../../src/coordinator/url.ts";

let pg: PgServer;
let db: Connection;
const runner = (id: number, leaseSeconds = 60) => ({ runnerId: id, host: `h${id}`, leaseSeconds });

beforeAll(async () => {
  pg = await startPgServer();
  db = await openCoordinator(bunPlatform(), parseCoordinatorUrl(pg.url));
}, 60_000);

afterAll(async () => {
  await db?.close();
  await pg?.stop();
});

describe("coordinator SQL", () => {
  test("migrate is idempotent and writes the schema version row", async () => {
    expect(await q.migrate(db.sql)).toEqual({ from: q.SCHEMA_VERSION, to: q.SCHEMA_VERSION });
    expect(pg.psql("SELECT version FROM proxx_schema").trim()).toBe(String(q.SCHEMA_VERSION));
  });

  test("enqueue is idempotent: the same (name, hash) twice is one row", async () => {
    await q.enqueue(db.sql, "f-enq", [{ name: "a.json", sha256: "1" }, { name: "b.json", sha256: "2" }]);
    await q.enqueue(db.sql, "f-enq", [{ name: "a.json", sha256: "1" }]);
    expect(pg.psql("SELECT name, state FROM proxx_jobs WHERE folder_id = 'f-enq' ORDER BY name").trim())
      .toBe("a.json|pending\nb.json|pending");
  });

  test("parallel claims get different rows (FOR UPDATE SKIP LOCKED), in name order, then none", async () => {
    const jobs = Array.from({ length: 8 }, (_, i) => ({ name: `j${i}.json`, sha256: "x" }));
    await q.enqueue(db.sql, "f-par", jobs);
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => q.claim(db.sql, "f-par", runner(i + 1))));
    const got = claims.filter((c) => c !== null).map((c) => c!.name).sort();
    expect(got).toEqual(jobs.map((j) => j.name));
    expect(claims.filter((c) => c === null).length).toBe(2);
    expect(new Set(claims.filter((c) => c).map((c) => c!.fence)).size).toBe(8);
  });

  test("the fencing token: after a takeover the old holder's guard, heartbeat and finish are refused", async () => {
    await q.enqueue(db.sql, "f-fence", [{ name: "a.json", sha256: "x" }]);
    const first = (await q.claim(db.sql, "f-fence", runner(1, 1)))!;
    expect(first.takeover).toBe(false);
    expect(await q.guard(db.sql, first.fence, 1)).toBe(true);
    expect(await q.noteSpawn(db.sql, first.fence, "/out/.a.mov.h1-1.proxx-partial", 4242)).toBe(true);
    // Not claimable while the lease runs (server clock)...
    expect(await q.claim(db.sql, "f-fence", runner(2))).toBeNull();
    await Bun.sleep(1300);
    // ...and once it ran out, a takeover that names what the old holder was writing.
    const second = (await q.claim(db.sql, "f-fence", runner(2)))!;
    expect(second.takeover).toBe(true);
    expect(second.attempts).toBe(2);
    expect(second.previousTemp).toBe("/out/.a.mov.h1-1.proxx-partial");
    expect(second.previousPid).toBe(4242);
    expect(second.previousHost).toBe("h1");
    expect(second.fence).toBeGreaterThan(first.fence);
    expect(await q.guard(db.sql, first.fence, 60)).toBe(false);
    expect([...(await q.heartbeat(db.sql, 1, [first.fence], 60))]).toEqual([]);
    expect(await q.finish(db.sql, first.fence, "COMPLETED")).toBe(false);
    expect(await q.release(db.sql, [first.fence])).toBe(0);
    // The new holder is unaffected.
    expect([...(await q.heartbeat(db.sql, 2, [second.fence], 60))]).toEqual([second.fence]);
    expect(await q.finish(db.sql, second.fence, "COMPLETED")).toBe(true);
    expect(pg.psql("SELECT state, final_status FROM proxx_jobs WHERE folder_id = 'f-fence'").trim()).toBe(
      "done|COMPLETED",
    );
  });

  test("a lease that ran out is refused by guard even before anyone took the job over", async () => {
    await q.enqueue(db.sql, "f-late", [{ name: "a.json", sha256: "x" }]);
    const c = (await q.claim(db.sql, "f-late", runner(1, 1)))!;
    await Bun.sleep(1300);
    expect(await q.guard(db.sql, c.fence, 60)).toBe(false);
  });

  test("release: pending again at once, the attempt not counted", async () => {
    await q.enqueue(db.sql, "f-rel", [{ name: "a.json", sha256: "x" }]);
    const c = (await q.claim(db.sql, "f-rel", runner(1)))!;
    expect(c.attempts).toBe(1);
    expect(await q.release(db.sql, [c.fence])).toBe(1);
    const again = (await q.claim(db.sql, "f-rel", runner(2)))!;
    expect(again.attempts).toBe(1);
    expect(again.takeover).toBe(false);
  });

  test("a done row the files say is pending again (reset) is re-queued with fresh attempts", async () => {
    await q.enqueue(db.sql, "f-reset", [{ name: "a.json", sha256: "x" }]);
    const c = (await q.claim(db.sql, "f-reset", runner(1)))!;
    await q.finish(db.sql, c.fence, "FAILED");
    await q.enqueue(db.sql, "f-reset", [{ name: "a.json", sha256: "x" }]);
    const again = (await q.claim(db.sql, "f-reset", runner(1)))!;
    expect(again.name).toBe("a.json");
    expect(again.attempts).toBe(1);
  });

  test("status: runners with heartbeat age, running jobs with lease left", async () => {
    const id = await q.registerRunner(db.sql, {
      folderId: "f-status",
      host: "edit-3",
      pid: 77,
      version: "test",
      path: "/mnt/jobs",
      leaseSeconds: 30,
    });
    await q.enqueue(db.sql, "f-status", [{ name: "a.json", sha256: "x" }, { name: "b.json", sha256: "y" }]);
    await q.claim(db.sql, "f-status", { runnerId: id, host: "edit-3", leaseSeconds: 30 });
    const s = await q.status(db.sql, "f-status");
    expect(s.runners.map((r) => [r.host, r.pid, r.version])).toEqual([["edit-3", 77, "test"]]);
    expect(s.running.map((j) => [j.name, j.host, j.attempts])).toEqual([["a.json", "edit-3", 1]]);
    expect(s.running[0]!.lease_left_seconds).toBeGreaterThan(25);
    expect(s.counts).toEqual([{ folder_id: "f-status", pending: 1, running: 1, done: 0 }]);
  });

  test("the manifest lock serialises holders of one folder", async () => {
    const order: string[] = [];
    const hold = (tag: string, ms: number) =>
      q.withManifestLock(db.sql, "f-lock", async (stillHeld) => {
        order.push(`${tag}+`);
        await Bun.sleep(ms);
        await stillHeld();
        order.push(`${tag}-`);
      });
    await Promise.all([hold("a", 150), hold("b", 10)]);
    expect([order.slice(0, 2), order.slice(2)].map((p) => p[0]!.slice(0, 1) === p[1]!.slice(0, 1))).toEqual([
      true,
      true,
    ]);
  });

  test("a schema newer than the binary is refused", async () => {
    pg.psql(`CREATE DATABASE newer OWNER proxx`);
    const url = parseCoordinatorUrl(pg.url.replace(/\/proxx$/, "/newer"));
    const other = connect(bunPlatform(), url);
    try {
      await q.migrate(other.sql);
      await other.sql`UPDATE proxx_schema SET version = ${q.SCHEMA_VERSION + 1}`;
      await expect(q.migrate(other.sql)).rejects.toThrow(`newer than this proxx knows (${q.SCHEMA_VERSION})`);
    } finally {
      await other.close();
    }
  });
});

describe("coordinator URL", () => {
  test("postgres:// and postgresql:// parse; the password is only in .url", () => {
    const u = parseCoordinatorUrl("postgresql://editor:p%40ss@db.local:6543/proxx");
    expect([u.user, u.password, u.host, u.port, u.database, u.redacted]).toEqual([
      "editor",
      "p@ss",
      "db.local",
      6543,
      "proxx",
      "editor@db.local:6543/proxx",
    ]);
    expect(parseCoordinatorUrl("postgres://u@h/d").port).toBe(5432);
  });

  test("not postgres, no host, no user, no database: clear errors without the password", () => {
    expect(() => parseCoordinatorUrl("mysql://u:pw123@h/d")).toThrow("got a mysql:// URL");
    expect(() => parseCoordinatorUrl("db.local")).toThrow("must be a URL like postgres://");
    expect(() => parseCoordinatorUrl("postgres://u:pw123@/d")).toThrow();
    expect(() => parseCoordinatorUrl("postgres://h/d")).toThrow("names no user");
    expect(() => parseCoordinatorUrl("postgres://u@h")).toThrow("names no database");
    try {
      parseCoordinatorUrl("redis://u:pw123@h/d");
    } catch (error) {
      expect(String(error)).not.toContain("pw123");
    }
  });

  test("redactSecrets scrubs the password and any user:pass@ from driver messages", () => {
    expect(redactSecrets("failed for postgres://u:sekrit@h/d (sekrit)", "sekrit")).toBe(
      "failed for postgres://u:***@h/d (***)",
    );
    const e = describeError(parseCoordinatorUrl("postgres://u:sekrit@h:1/d"), { code: "ECONNREFUSED", message: "x" });
    expect(e.message).toBe("coordinator u@h:1/d: cannot reach h:1 (x)");
  });
});
