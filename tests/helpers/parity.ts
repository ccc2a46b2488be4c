/**
 * One scenario, run by two ways of starting proxx (source under Bun, source under Deno, the
 * compiled binary), so their outcomes can be compared field by field.
 *
 * The scenario: `run` of a three-clip ProRes Proxy JobSpec, then `watch --once` over a
 * folder holding a valid multi-clip JobSpec, an invalid one and a failing one (its second
 * source is random bytes named .mov). Each way gets its own copy of the same files under a
 * different root; `normalize` replaces the root by `<ROOT>` and drops what legitimately
 * differs between two runs (timestamps, durations, the proxx version string), so anything
 * left that differs is a real behaviour difference.
 *
 * ffmpeg and ffprobe are reached through tiny sh wrappers that log their parent pid: every
 * FFmpeg must be a direct child of the proxx process we started (the binary never re-execs
 * itself to run work).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeClip } from "./media.ts";

export interface Scenario {
  root: string;
  spawnLog: string;
}

/** Media, JobSpecs and folders for one scenario, built once and copied per runner. */
export function buildTemplate(dir: string): string {
  const t = join(dir, "template");
  mkdirSync(join(t, "media"), { recursive: true });
  for (const [i, name] of ["clip_a", "clip_b", "clip_c"].entries()) {
    makeClip(join(t, "media"), `${name}.mov`, {
      width: 320,
      height: 180,
      seconds: 0.5,
      timecode: `0${i + 1}:00:00:00`,
      reelName: `A00${i + 1}`,
      audioChannels: [2],
    });
  }
  // Random-looking but identical in every copy (a seeded generator): same bytes, same errors.
  let seed = 12345;
  const bytes = new Uint8Array(64 * 1024).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  writeFileSync(join(t, "media", "corrupt.mov"), bytes);

  const spec = (over: Record<string, unknown>) =>
    JSON.stringify(
      {
        sources: ["../media/clip_a.mov", "../media/clip_b.mov", "../media/clip_c.mov"],
        output_directory: "../proxies",
        codec: "prores_proxy",
        container: "mov",
        resolution: "half",
        naming_template: "{source_name}_proxy_{index}",
        created_at: "2025-12-28T12:00:00Z",
        ...over,
      },
      null,
      2,
    );
  mkdirSync(join(t, "run"));
  mkdirSync(join(t, "proxies"));
  mkdirSync(join(t, "proxies-run"));
  writeFileSync(join(t, "run", "multi.json"), spec({ job_id: "run-multi", output_directory: "../proxies-run" }));
  mkdirSync(join(t, "jobs"));
  writeFileSync(join(t, "jobs", "a_valid.json"), spec({ job_id: "watch-valid" }));
  writeFileSync(
    join(t, "jobs", "b_invalid.json"),
    spec({ job_id: "watch-invalid", codec: "dnxhd", naming_template: "{source_name}_{nope}" }),
  );
  writeFileSync(
    join(t, "jobs", "c_failing.json"),
    spec({
      job_id: "watch-failing",
      sources: ["../media/clip_a.mov", "../media/corrupt.mov", "../media/clip_c.mov"],
      codec: "h264",
      container: "mp4",
      naming_template: "{source_name}_fail_{index}",
    }),
  );
  return t;
}

/** sh wrappers for ffmpeg/ffprobe that append "<tool> <parent pid>" to $PROXX_TEST_SPAWN_LOG. */
export function toolWrappers(dir: string): { ffmpeg: string; ffprobe: string } {
  const out: Record<string, string> = {};
  for (const tool of ["ffmpeg", "ffprobe"]) {
    const real = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (!real) throw new Error(`${tool} is not on PATH (run scripts/setup)`);
    const path = join(dir, `${tool}-wrapper`);
    writeFileSync(path, `#!/bin/sh\necho "${tool} $PPID" >> "$PROXX_TEST_SPAWN_LOG"\nexec '${real}' "$@"\n`);
    chmodSync(path, 0o755);
    out[tool] = path;
  }
  return out as { ffmpeg: string; ffprobe: string };
}

export interface Outcome {
  run: { code: number | null; result: unknown };
  watch: { code: number | null };
  results: Record<string, unknown>;
  manifest: unknown;
  layout: string[];
  proxies: Record<string, number>;
  /** Parent pids of every ffmpeg/ffprobe started, and the pids of the proxx processes we started. */
  spawnParents: number[];
  proxxPids: number[];
  stderr: string;
}

/**
 * Run the scenario with `command` (e.g. ["bun", "src/main.ts"] or ["dist/proxx-linux-x64"])
 * in a fresh copy of `template` at `root`.
 */
export function runScenario(
  command: string[],
  template: string,
  root: string,
  tools: { ffmpeg: string; ffprobe: string },
): Outcome {
  cpSync(template, root, { recursive: true });
  const spawnLog = join(root, "spawn.log");
  const env = { ...process.env, NO_COLOR: "1", PROXX_TEST_SPAWN_LOG: spawnLog };
  const toolArgs = ["--ffmpeg", tools.ffmpeg, "--ffprobe", tools.ffprobe];
  const go = (args: string[]) =>
    spawnSync(command[0]!, [...command.slice(1), ...args], { cwd: root, env, encoding: "utf8", timeout: 120_000 });

  const run = go(["run", "run/multi.json", "--json", ...toolArgs]);
  const watch = go(["watch", "jobs", "--once", "--settle-seconds", "0", ...toolArgs]);
  const proxxPids = [run.pid, watch.pid].filter((p): p is number => typeof p === "number");

  const jobs = join(root, "jobs");
  const results: Record<string, unknown> = {};
  for (const name of readdirSync(jobs).filter((n) => n.endsWith(".result.json")).sort()) {
    results[name] = JSON.parse(readFileSync(join(jobs, name), "utf8"));
  }
  const manifestPath = join(jobs, "processed_manifest.json");
  const layout: string[] = [];
  for (const sub of ["", "processed", "failed"]) {
    const d = join(jobs, sub);
    if (!existsSync(d)) continue;
    for (const n of readdirSync(d).sort()) if (statSync(join(d, n)).isFile()) layout.push(sub ? `${sub}/${n}` : n);
  }
  const proxies: Record<string, number> = {};
  for (const sub of ["proxies", "proxies-run"]) {
    for (const n of readdirSync(join(root, sub)).sort()) proxies[`${sub}/${n}`] = statSync(join(root, sub, n)).size;
  }
  let runResult: unknown = null;
  try {
    runResult = JSON.parse(run.stdout);
  } catch {
    runResult = { unparseable_stdout: run.stdout };
  }
  const spawnParents = existsSync(spawnLog)
    ? readFileSync(spawnLog, "utf8").trim().split("\n").filter(Boolean).map((l) => Number(l.split(" ")[1]))
    : [];
  return {
    run: { code: run.status, result: runResult },
    watch: { code: watch.status },
    results,
    manifest: existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : null,
    layout,
    proxies,
    spawnParents,
    proxxPids,
    stderr: `--- run ---\n${run.stderr}\n--- watch ---\n${watch.stderr}`,
  };
}

/** Keys whose values differ between any two runs by nature. */
const VOLATILE = new Set(["started_at", "completed_at", "result_written_at", "processed_at", "proxx_version"]);

/** Replace the scenario root by `<ROOT>` everywhere and drop volatile fields, recursively. */
export function normalize(value: unknown, root: string): unknown {
  if (typeof value === "string") return value.split(root).join("<ROOT>");
  if (Array.isArray(value)) return value.map((v) => normalize(v, root));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // A wall-clock duration sits beside its started_at; a probe's media duration does not.
    const timed = "started_at" in value;
    for (const [k, v] of Object.entries(value)) {
      const key = k.split(root).join("<ROOT>");
      if (VOLATILE.has(k) || (timed && k === "duration_seconds")) out[key] = v === null ? null : "<volatile>";
      else out[key] = normalize(v, root);
    }
    return out;
  }
  return value;
}

/** What must be equal between two ways of running proxx. */
export function comparable(o: Outcome, root: string) {
  return normalize(
    { run: o.run, watch: o.watch, results: o.results, manifest: o.manifest, layout: o.layout, proxies: o.proxies },
    root,
  );
}
