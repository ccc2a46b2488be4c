/**
 * The manifest journal (src/watch/manifest-journal.ts): entries are appended per job and
 * folded into processed_manifest.json every 2 s, when idle and at exit; every reader sees
 * them; a crash at any point loses nothing and brings back nothing `reset` removed.
 */
import { describe, expect, test } from "bun:test";
import { sha256Hex } from "../../src/watch/hash.ts";
import { readManifest, serializeManifest } from "../../src/watch/manifest.ts";
import { resetJobs } from "../../src/watch/reset.ts";
import { folderStatus } from "../../src/watch/status.ts";
import { job, setup, W } from "../helpers/watch-fixtures.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const JOURNAL = `${W}/.proxx.manifest-journal`;
const MANIFEST = `${W}/processed_manifest.json`;

const entry = async (id: string, status = "COMPLETED") => ({
  sha256: await sha256Hex(enc(job(id))),
  processed_at: "2025-12-28T11:00:00.000000+00:00",
  result_status: status,
});

/** A journal as a crashed runner leaves it: header on top of `manifestText` (null: no manifest file), then entries. */
async function journal(manifestText: string | null, lines: { path: string; entry: unknown }[], torn = "") {
  const base = manifestText === null ? null : await sha256Hex(enc(manifestText));
  return [JSON.stringify({ journal: 1, base }), ...lines.map((l) => JSON.stringify(l))].join("\n") + "\n" + torn;
}

describe("manifest journal", () => {
  test("a burst of jobs: one append each, few manifest rewrites, and the final file is complete and canonical", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`j${String(i).padStart(2, "0")}.json`] = job(`j${i}`);
    const { platform, run, jobs } = setup(files);
    // Each job "takes" 300 ms: the 2 s fold interval passes a few times during the burst.
    jobs.during = () => platform.sleep(300);
    await run();
    const appends = platform.log.filter((l) => l === `appendFileDurable ${JOURNAL}`).length;
    const rewrites = platform.log.filter((l) => l === `writeFileAtomic ${MANIFEST}`).length;
    expect(appends).toBe(30);
    expect(rewrites).toBeGreaterThanOrEqual(2);
    expect(rewrites).toBeLessThanOrEqual(8);
    const m = platform.json(MANIFEST);
    expect(Object.keys(m.entries).length).toBe(30);
    expect(platform.text(MANIFEST)).toBe(serializeManifest(m));
    expect(platform.exists(JOURNAL)).toBe(false);
  });

  test("readers (status, the next start) see entries that are only in the journal", async () => {
    const manifestText = serializeManifest({ version: 1, entries: { [`${W}/a.json`]: await entry("a") } });
    const { platform, run, jobs } = setup({
      "processed/a.json": job("a"),
      "processed/b.json": job("b"),
      "b.result.json": "{}\n",
      "processed_manifest.json": manifestText,
      ".proxx.manifest-journal": await journal(manifestText, [{ path: `${W}/b.json`, entry: await entry("b") }]),
    });
    const status = await folderStatus(platform, W);
    expect(status.processed).toBe(2);
    expect(Object.keys((await readManifest(platform, W)).manifest.entries).sort()).toEqual([
      `${W}/a.json`,
      `${W}/b.json`,
    ]);
    // The file itself is untouched by readers.
    expect(platform.text(MANIFEST)).toBe(manifestText);
    await run();
    expect(jobs.calls).toEqual([]);
    expect(Object.keys(platform.json(MANIFEST).entries).sort()).toEqual([`${W}/a.json`, `${W}/b.json`]);
    expect(platform.exists(JOURNAL)).toBe(false);
  });

  test("a journal on top of no manifest file at all is applied too", async () => {
    const { platform, run } = setup({
      "processed/a.json": job("a"),
      "a.result.json": "{}\n",
      ".proxx.manifest-journal": await journal(null, [{ path: `${W}/a.json`, entry: await entry("a") }]),
    });
    await run();
    expect(platform.json(MANIFEST).entries[`${W}/a.json`].result_status).toBe("COMPLETED");
  });

  test("a stale journal (its fold finished, its removal did not) is ignored, with a warning", async () => {
    const older = serializeManifest({ version: 1, entries: {} });
    const current = serializeManifest({ version: 1, entries: { [`${W}/a.json`]: await entry("a") } });
    const { platform, run, events } = setup({
      "processed_manifest.json": current,
      ".proxx.manifest-journal": await journal(older, [{ path: `${W}/zombie.json`, entry: await entry("zombie") }]),
    });
    expect(Object.keys((await readManifest(platform, W)).manifest.entries)).toEqual([`${W}/a.json`]);
    await run();
    expect(platform.text(MANIFEST)).toBe(current);
    expect(platform.exists(JOURNAL)).toBe(false);
    expect(events.some((e) => e.type === "warning" && e.message.includes("belonged to an earlier"))).toBe(true);
  });

  test("a torn last line (power cut mid-append) is skipped with a warning; the lines before it count", async () => {
    const manifestText = serializeManifest({ version: 1, entries: {} });
    const { platform, run, events } = setup({
      "processed/a.json": job("a"),
      "a.result.json": "{}\n",
      "processed_manifest.json": manifestText,
      ".proxx.manifest-journal": await journal(
        manifestText,
        [{ path: `${W}/a.json`, entry: await entry("a") }],
        '{"path":"/w/b.js',
      ),
    });
    await run();
    expect(Object.keys(platform.json(MANIFEST).entries)).toEqual([`${W}/a.json`]);
    expect(events.some((e) => e.type === "warning" && e.message.includes("skipped 1 unreadable line"))).toBe(true);
  });

  test("reset after a crash folds the journal first, so a removed entry cannot come back from it", async () => {
    const manifestText = serializeManifest({ version: 1, entries: {} });
    const { platform, run, jobs } = setup({
      "processed/a.json": job("a"),
      "a.result.json": "{}\n",
      "processed_manifest.json": manifestText,
      ".proxx.manifest-journal": await journal(manifestText, [{ path: `${W}/a.json`, entry: await entry("a") }]),
    });
    await resetJobs(platform, W, { jobs: ["a"] });
    expect(platform.exists(`${W}/a.json`)).toBe(true);
    expect(platform.exists(JOURNAL)).toBe(false);
    expect(platform.json(MANIFEST).entries).toEqual({});
    // The reset job runs again: it was not brought back as "already processed".
    await run();
    expect(jobs.calls).toEqual([`${W}/a.json`]);
  });

  test("a job slower than the fold interval sees the manifest file rewritten right after it", async () => {
    const { platform, run, jobs } = setup({ "a.json": job("a"), "b.json": job("b") });
    const seen: string[][] = [];
    jobs.during = async (path) => {
      if (path.endsWith("b.json")) seen.push(Object.keys(platform.json(MANIFEST).entries));
      await platform.sleep(2500);
    };
    await run();
    expect(seen).toEqual([[`${W}/a.json`]]);
  });
});
