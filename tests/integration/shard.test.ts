/**
 * `proxx watch --shard` as real processes on one folder (issue 14): three shards at once,
 * the locks between runners (same shard, whole folder, other totals), a lease takeover from
 * a dead "other host", two challengers at once, and a kill -9 of one shard then its re-run.
 * Real FFmpeg through a wrapper that logs every output it writes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "../helpers/media.ts";
import { ffmpegWrapper, lines, proxx, startProxx, tempDir, waitFor } from "../helpers/cli.ts";
import { shardOf } from "../../src/shard/assign.ts";

let root: string;
let media: string;

beforeAll(() => {
  root = tempDir("proxx-shard-");
  media = join(root, "media");
  mkdirSync(media);
  makeClip(media, "a.mov", { width: 160, height: 120, seconds: 0.2, audioChannels: [] });
});

afterAll(() => {
  // The FFmpeg left by the kill -9'd runner is stopped by its re-run's recovery (by pid, once its argv is checked).
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function folder(jobs: number) {
  const base = join(root, `case-${++n}`);
  const dir = join(base, "jobs");
  const out = join(base, "out");
  mkdirSync(dir, { recursive: true });
  mkdirSync(out);
  const names = Array.from({ length: jobs }, (_, i) => `job-${String(i).padStart(2, "0")}.json`);
  for (const name of names) {
    writeFileSync(
      join(dir, name),
      JSON.stringify({
        sources: [join(media, "a.mov")],
        output_directory: out,
        codec: "prores_proxy",
        container: "mov",
        resolution: "half",
        naming_template: name.replace(".json", ""),
      }),
    );
  }
  return { base, dir, out, names, log: join(base, "ffmpeg.log") };
}

const watch = (dir: string, extra: string[]) => ["watch", dir, "--once", "--settle-seconds", "0", ...extra];
const manifestKeys = (dir: string) =>
  Object.keys(JSON.parse(readFileSync(join(dir, "processed_manifest.json"), "utf8")).entries).sort();
const encodes = (log: string, name: string) =>
  (existsSync(log) ? lines(log) : []).filter((l) => l.includes(name.replace(".json", ".mov"))).length;
const hiddenLeft = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(".proxx"));

describe("shards of one folder, as real processes", () => {
  test(
    "three shards at once: each takes only its own, every JobSpec once, one complete manifest, no lock left",
    async () => {
      const f = folder(12);
      const ffmpeg = ffmpegWrapper(f.base, f.log);
      const runs = [1, 2, 3].map((i) => startProxx(watch(f.dir, ["--shard", `${i}/3`, "--ffmpeg", ffmpeg])));
      const results = await Promise.all(runs.map((r) => r.done));
      for (const [k, r] of results.entries()) {
        expect({ shard: k + 1, code: r.code, stderr: r.stderr.includes("warning") ? r.stderr : "" }).toEqual({
          shard: k + 1,
          code: 0,
          stderr: "",
        });
        expect(r.stderr.split("\n")[0]).toBe(`shard ${k + 1}/3 of ${f.dir} (from --shard ${k + 1}/3)`);
        const taken = r.stderr.split("\n").filter((l) => l.startsWith("job taken: ")).map((l) => l.slice(11));
        expect(taken).toEqual(f.names.filter((name) => shardOf(name, 3) === k + 1));
      }
      for (const name of f.names) expect({ name, encodes: encodes(f.log, name) }).toEqual({ name, encodes: 1 });
      expect(manifestKeys(f.dir)).toEqual(f.names.map((name) => join(f.dir, name)));
      expect(readdirSync(join(f.dir, "processed")).sort()).toEqual(f.names);
      expect(hiddenLeft(f.dir)).toEqual([]);
      // status of one shard: nothing pending; shard-of agrees with the assignment.
      const of = proxx(["shard-of", ...f.names, "--shards", "3", "--json"]);
      expect(JSON.parse(of.stdout).map((r: { shard: number }) => r.shard)).toEqual(f.names.map((x) => shardOf(x, 3)));
    },
    60_000,
  );

  test("locks: same shard → exit 5; unsharded and other totals → exit 5; a sibling shard runs", async () => {
    const f = folder(4);
    const slow = ffmpegWrapper(f.base, f.log, 3);
    const holder = startProxx(watch(f.dir, ["--shard", "1/2", "--ffmpeg", slow]));
    await waitFor("shard 1/2 holding its lock", () => existsSync(join(f.dir, ".proxx.lock.1of2")));
    const same = proxx(watch(f.dir, ["--shard", "1/2"]));
    expect(same.code).toBe(5);
    expect(same.stderr).toContain(".proxx.lock.1of2");
    const whole = proxx(watch(f.dir, []));
    expect(whole.code).toBe(5);
    expect(whole.stderr).toContain("live shard runner (shard 1/2");
    const mixed = proxx(watch(f.dir, ["--shard", "2/4"]));
    expect(mixed.code).toBe(5);
    expect(mixed.stderr).toContain("shards of different totals overlap");
    const sibling = proxx(watch(f.dir, ["--shard", "2/2", "--ffmpeg", ffmpegWrapper(join(f.base, ".."), f.log)]));
    expect(sibling.code).toBe(0);
    holder.child.kill("SIGTERM");
    await holder.done;
  }, 60_000);

  test(
    "another host's lock: renewed → refused; renewals stop → taken over after the lease; two challengers: one wins",
    async () => {
      const f = folder(2);
      const lockFile = join(f.dir, ".proxx.lock.1of1");
      const lock = (renewals: number) =>
        JSON.stringify({ pid: 1, host: "render-07", started_at: "t", lease_seconds: 1.5, renewals, shard: "1/1" });
      writeFileSync(lockFile, lock(0));
      // A live holder elsewhere: its renewals, from a process of its own.
      const renewer = spawn("sh", [
        "-c",
        `i=0; while :; do i=$((i+1)); printf '%s' '${
          lock(0)
        }' | sed "s/\\"renewals\\":0/\\"renewals\\":$i/" > '${lockFile}.tmp' && mv '${lockFile}.tmp' '${lockFile}'; sleep 0.2; done`,
      ]);
      const refused = proxx(watch(f.dir, ["--shard", "1/1"]));
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain("render-07");
      renewer.kill("SIGKILL");
      await new Promise((r) => renewer.on("close", r));
      writeFileSync(lockFile, lock(99));
      // Renewals stopped: two challengers at once; the winner holds the lock while it works.
      const slow = ffmpegWrapper(f.base, f.log, 2);
      const a = startProxx(watch(f.dir, ["--shard", "1/1", "--ffmpeg", slow]));
      const b = startProxx(watch(f.dir, ["--shard", "1/1", "--ffmpeg", slow]));
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.code, rb.code].sort()).toEqual([0, 5]);
      // One of them took the stale lock over; the winner is either that one or the other,
      // which found the file gone after the takeover and created it before the taker could.
      expect(ra.stderr + rb.stderr).toContain("its lease was not renewed");
      for (const name of f.names) expect(encodes(f.log, name)).toBe(1);
      expect(hiddenLeft(f.dir)).toEqual([]);
    },
    60_000,
  );

  test("kill -9 of one shard mid-encode while another runs; its re-run finishes only the unfinished", async () => {
    const f = folder(8);
    const slow = ffmpegWrapper(f.base, f.log, 1);
    const mine = f.names.filter((x) => shardOf(x, 2) === 1);
    const victim = startProxx(watch(f.dir, ["--shard", "1/2", "--ffmpeg", slow]));
    const other = startProxx(watch(f.dir, ["--shard", "2/2", "--ffmpeg", slow]));
    await waitFor("shard 1 encoding its second job", () => mine.slice(0, 2).every((x) => encodes(f.log, x) === 1));
    victim.child.kill("SIGKILL");
    await victim.done;
    expect((await other.done).code).toBe(0);
    expect(readdirSync(f.dir)).toContain(".proxx.inflight.1of2.json");
    const again = proxx(watch(f.dir, ["--shard", "1/2", "--ffmpeg", ffmpegWrapper(join(f.base, ".."), f.log)]));
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("interrupted mid-run");
    // The first job was finished before the kill: not encoded again; the killed one twice.
    expect(encodes(f.log, mine[0]!)).toBe(1);
    expect(encodes(f.log, mine[1]!)).toBe(2);
    for (const name of f.names.filter((x) => !mine.includes(x))) expect(encodes(f.log, name)).toBe(1);
    expect(manifestKeys(f.dir)).toEqual(f.names.map((x) => join(f.dir, x)));
    expect(hiddenLeft(f.dir)).toEqual([]);
    const status = JSON.parse(proxx(["status", f.dir, "--shard", "1/2", "--json"]).stdout);
    expect(status.pending).toEqual([]);
    expect(status.shard).toBe("1/2");
  }, 60_000);
});
