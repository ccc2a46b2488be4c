/**
 * `proxx watch --recursive` as a real process with real FFmpeg on a real file system: a
 * tree of three levels with repeated names, symbolic links (to a folder and to a JobSpec)
 * and hidden folders, `status` and `reset` on the tree, kill -9 of a job in a subfolder,
 * and a folder with subfolders watched without `--recursive`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { makeClip } from "../helpers/media.ts";
import { ffmpegWrapper, lines, proxx, tempDir } from "../helpers/cli.ts";

let root: string;
let media: string;

beforeAll(() => {
  root = tempDir("proxx-watch-recursive-");
  media = join(root, "media");
  mkdirSync(media);
  makeClip(media, "clip.mov", { width: 160, height: 120, seconds: 0.4 });
});

afterAll(() => {
  // Orphans of kill -9'd runners must not outlive the tests.
  spawnSync("pkill", ["-9", "-f", root]);
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function folder(): { jobs: string; out: string; log: string; base: string } {
  const base = join(root, `case-${++n}`);
  const jobs = join(base, "jobs");
  const out = join(base, "out");
  mkdirSync(jobs, { recursive: true });
  mkdirSync(out);
  return { jobs, out, log: join(base, "ffmpeg.log"), base };
}

/** A JobSpec whose proxy is named after its job id, so every job of a tree has its own output. */
function jobSpec(out: string, jobId: string): string {
  return JSON.stringify({
    job_id: jobId,
    sources: [join(media, "clip.mov")],
    output_directory: out,
    codec: "h264",
    container: "mp4",
    resolution: "half",
    naming_template: "{job_id}_{source_name}",
  });
}

function put(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const watch = (jobs: string, extra: string[] = [], env: Record<string, string> = {}) =>
  proxx(["watch", jobs, "--once", "--settle-seconds", "0", ...extra], { env });

// deno-lint-ignore no-explicit-any
const ndjson = (text: string): any[] => text.split("\n").filter(Boolean).map((l) => JSON.parse(l));

/** Every file below `dir` with its bytes and mtime: "nothing changed" is equality of two of these. */
function filesWithTimes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = join(dir, rel);
    const st = statSync(p);
    if (st.isFile()) out[rel] = `${st.mtimeMs} ${readFileSync(p, "utf8")}`;
  }
  return out;
}

describe("watch --recursive on a real tree", () => {
  test("three levels, repeated names: sorted order, results beside, mirrored moves, absolute keys; links and hidden folders not walked; status and reset on the tree", () => {
    const { jobs, out, base, log } = folder();
    const wrapper = ffmpegWrapper(base, log);
    put(join(jobs, "job.json"), jobSpec(out, "root"));
    put(join(jobs, "a", "job.json"), jobSpec(out, "a"));
    put(join(jobs, "a", "x", "job.json"), jobSpec(out, "ax"));
    put(join(jobs, "b", "job.json"), jobSpec(out, "b"));
    put(join(jobs, ".hidden", "job.json"), jobSpec(out, "hidden"));
    put(join(jobs, "a", "processed", "old.json"), jobSpec(out, "old"));
    // A folder outside the tree, reached through a link inside it; and a linked JobSpec.
    const outside = join(base, "outside");
    put(join(outside, "job.json"), jobSpec(out, "outside"));
    symlinkSync(outside, join(jobs, "linked"));
    put(join(base, "elsewhere.json"), jobSpec(out, "elsewhere"));
    symlinkSync(join(base, "elsewhere.json"), join(jobs, "b", "link.json"));
    const outsideBefore = filesWithTimes(outside);

    const r = watch(jobs, ["--recursive", "--json"], { PROXX_FFMPEG: wrapper });
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    const rel = (p: string) => p.slice(jobs.length + 1);
    expect(events.filter((e) => e.type === "job_taken").map((e) => rel(e.jobspec_path))).toEqual([
      "a/job.json",
      "a/x/job.json",
      "b/job.json",
      "job.json",
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "skip", jobspec_path: join(jobs, "b", "link.json") }),
    );
    for (const dir of ["", "a", "a/x", "b"]) {
      const result = JSON.parse(readFileSync(join(jobs, dir, "job.result.json"), "utf8"));
      expect({ dir, status: result.final_status, path: result._metadata.jobspec_path }).toEqual({
        dir,
        status: "COMPLETED",
        path: join(jobs, dir, "job.json"),
      });
      expect(existsSync(join(jobs, "processed", dir, "job.json"))).toBe(true);
      expect(existsSync(join(jobs, dir, "job.json"))).toBe(false);
    }
    const manifest = JSON.parse(readFileSync(join(jobs, "processed_manifest.json"), "utf8"));
    expect(Object.keys(manifest.entries).sort()).toEqual(
      ["a/job.json", "a/x/job.json", "b/job.json", "job.json"].map((p) => join(jobs, p)),
    );
    expect(readdirSync(out).sort()).toEqual(["a_clip.mp4", "ax_clip.mp4", "b_clip.mp4", "root_clip.mp4"]);
    expect(lines(log).length).toBe(4);
    // Not walked: the hidden folder, the nested processed/, the linked folder (untouched).
    expect(existsSync(join(jobs, ".hidden", "job.json"))).toBe(true);
    expect(existsSync(join(jobs, "a", "processed", "old.json"))).toBe(true);
    expect(filesWithTimes(outside)).toEqual(outsideBefore);
    expect(existsSync(join(jobs, "processed", "linked"))).toBe(false);
    expect(existsSync(join(jobs, "b", "link.json"))).toBe(true);
    expect(readdirSync(join(jobs, "processed")).sort()).toEqual(["a", "b", "job.json"]);

    const status = proxx(["status", jobs, "--recursive", "--json"]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ pending: [], processed: 4, failed: 0, passed_over: [] });
    expect(s.skipped.map((k: { path: string }) => k.path)).toEqual([join(jobs, "b", "link.json")]);

    const flat = proxx(["status", jobs, "--json"]);
    expect(JSON.parse(flat.stdout).processed).toBe(1);
    expect(flat.stderr).toContain("add --recursive to include them");

    const reset = proxx(["reset", jobs, "--recursive", "a/x/job"]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(
      `moved ${join(jobs, "processed", "a", "x", "job.json")} → ${join(jobs, "a", "x", "job.json")}`,
    );
    expect(existsSync(join(jobs, "a", "x", "job.result.json"))).toBe(false);
    // --settle-seconds 0: the JobSpec written moments ago would otherwise count as settling.
    expect(JSON.parse(proxx(["status", jobs, "--recursive", "--json", "--settle-seconds", "0"]).stdout).pending)
      .toEqual([
        join(jobs, "a", "x", "job.json"),
      ]);
    rmSync(out, { recursive: true });
    mkdirSync(out);
    const again = watch(jobs, ["--recursive"], { PROXX_FFMPEG: wrapper });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("job taken: a/x/job.json");
    expect(lines(log).length).toBe(5);
    expect(readdirSync(out)).toEqual(["ax_clip.mp4"]);
  });

  test("without --recursive a folder with subfolders is handled as before: subfolder JobSpecs not taken, not touched", () => {
    const { jobs, out } = folder();
    put(join(jobs, "job.json"), jobSpec(out, "root"));
    put(join(jobs, "a", "job.json"), jobSpec(out, "a"));
    put(join(jobs, "a", "x", "job.json"), jobSpec(out, "ax"));
    const sub = () => filesWithTimes(join(jobs, "a"));
    const before = sub();
    const r = watch(jobs, ["--json"]);
    expect(r.code).toBe(0);
    expect(sub()).toEqual(before);
    expect(r.stdout).not.toContain(join(jobs, "a") + "/");
    const manifest = JSON.parse(readFileSync(join(jobs, "processed_manifest.json"), "utf8"));
    expect(Object.keys(manifest.entries)).toEqual([join(jobs, "job.json")]);
    expect(readdirSync(join(jobs, "processed"))).toEqual(["job.json"]);
    expect(readdirSync(out)).toEqual(["root_clip.mp4"]);
  });
});

describe("planted links", () => {
  test("a link planted where a mirrored folder goes is never followed: the JobSpec stays in the watch folder", () => {
    const { jobs, base } = folder();
    put(join(jobs, "a", "job.json"), "{ not json"); // invalid: PARTIAL, goes to failed/a/, no FFmpeg needed
    const outside = join(base, "outside");
    mkdirSync(outside);
    mkdirSync(join(jobs, "failed"));
    symlinkSync(outside, join(jobs, "failed", "a"));
    const r = watch(jobs, ["--recursive", "--json"]);
    expect(r.code).toBe(1);
    expect(readdirSync(outside)).toEqual([]);
    const moved = ndjson(r.stdout).find((e) => e.type === "job_result").moved_to;
    expect(moved).toMatch(new RegExp(`^${jobs}/failed/a_\\d{8}T\\d{6}/job\\.json$`));
    expect(readFileSync(moved, "utf8")).toBe("{ not json");
    expect(existsSync(join(jobs, "a", "job.result.json"))).toBe(true);
  });
});

describe("kill -9 of a job in a subfolder, then a restart", () => {
  const points = [
    { name: "before-result", encodes: 2 },
    { name: "after-result", encodes: 1 },
    { name: "after-move", encodes: 1 },
  ];
  for (const point of points) {
    test(`${point.name}: finished at the next start, moved to processed/Day01/CamA/`, () => {
      const { jobs, out, log, base } = folder();
      const wrapper = ffmpegWrapper(base, log);
      const spec = join(jobs, "Day01", "CamA", "job.json");
      put(spec, jobSpec(out, "a"));
      const crashed = watch(jobs, ["--recursive"], { PROXX_FAILPOINT: point.name, PROXX_FFMPEG: wrapper });
      expect(crashed.signal).toBe("SIGKILL");
      expect(JSON.parse(readFileSync(join(jobs, ".proxx.inflight.json"), "utf8")).jobspec_path).toBe(spec);

      const restarted = watch(jobs, ["--recursive"], { PROXX_FFMPEG: wrapper });
      expect(restarted.code).toBe(0);
      expect(readdirSync(join(jobs, "processed", "Day01", "CamA"))).toEqual(["job.json"]);
      expect(existsSync(spec)).toBe(false);
      expect(existsSync(join(jobs, ".proxx.inflight.json"))).toBe(false);
      expect(JSON.parse(readFileSync(join(jobs, "Day01", "CamA", "job.result.json"), "utf8")).final_status).toBe(
        "COMPLETED",
      );
      const manifest = JSON.parse(readFileSync(join(jobs, "processed_manifest.json"), "utf8"));
      expect(Object.keys(manifest.entries)).toEqual([spec]);
      expect(lines(log).length).toBe(point.encodes);
      expect(readdirSync(out)).toEqual(["a_clip.mp4"]);
      const temps = readdirSync(jobs, { recursive: true }).map(String).filter((f) =>
        /\.tmp-\d+$|proxx-partial/.test(f)
      );
      expect(temps).toEqual([]);
    });
  }
});
